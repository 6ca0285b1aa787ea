"""Per-request context: the viewer, the language, and DataLoaders so no field ever queries once per row."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Awaitable, Callable, Hashable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from typing import Any, TypeVar

from starlette.requests import Request
from starlette.responses import Response
from strawberry.dataloader import DataLoader

from auth.viewer import Viewer
from jinlin.events import Bus
from jinlin.settings import Settings
from models import alliance as alliance_model
from models import compound as compound_model
from models import duty as duty_model
from models import household as household_model
from models import opinion as opinion_model
from models import order as order_model
from models import poll as poll_model
from models import meeting as meeting_model
from models import org as org_model
from models import photo as photo_model
from models import project as project_model
from models import registration as registration_model
from models import resource as resource_model
from models import user as user_model

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


def by_key(fetch: Callable[[list[K]], Awaitable[dict[K, V]]], default: Any = None) -> DataLoader[K, V]:
    """A DataLoader over a `fetch(keys) -> {key: value}` model function; missing keys get `default`."""

    async def load(keys: list[K]) -> list[V]:
        found = await fetch(list(keys))
        return [found.get(key, default) for key in keys]

    return DataLoader(load_fn=load)


def by_group(fetch: Callable[..., Awaitable[dict[int, Any]]], default: Any) -> DataLoader[tuple, Any]:
    """A DataLoader keyed by `(id, *params)`: one model call per distinct params, covering every id."""

    async def load(keys: list[tuple]) -> list[Any]:
        groups: dict[tuple, list[int]] = defaultdict(list)
        for key in keys:
            groups[key[1:]].append(key[0])
        results: dict[tuple, Any] = {}
        for params, ids in groups.items():
            unique_ids = list(dict.fromkeys(ids))
            found = await fetch(unique_ids, *params)
            for id_ in unique_ids:
                results[(id_, *params)] = found.get(id_, default)
        return [results[key] for key in keys]

    return DataLoader(load_fn=load)


class Loaders:
    """Every loader of one request, created on first use; `viewer` is set when the context is built."""

    viewer: Viewer

    async def _scope(self) -> project_model.Scope:
        from auth.policies import project_scope

        return await project_scope(self.viewer)

    def _visibility(self, check: Callable[[project_model.Scope, list[int]], Awaitable[set[int]]]
                    ) -> DataLoader[int, bool]:
        """A yes/no loader over a model's id-set check (`visible_ids`, `claimable_ids`): one statement for every id
        asked in a tick."""

        async def fetch(ids: list[int]) -> dict[int, bool]:
            visible = await check(await self._scope(), ids)
            return {id_: id_ in visible for id_ in ids}

        return by_key(fetch, default=False)

    @cached_property
    def org(self) -> DataLoader[int, org_model.Org | None]:
        return by_key(lambda ids: org_model.get_many(org_ids=ids))

    @cached_property
    def ancestors(self) -> DataLoader[int, list[int]]:
        return by_key(lambda ids: org_model.ancestor_ids(org_ids=ids), default=[])

    @cached_property
    def org_stats(self) -> DataLoader[int, org_model.OrgStats]:
        return by_key(lambda ids: org_model.stats(org_ids=ids), default=org_model.OrgStats())

    @cached_property
    def children_page(self) -> DataLoader[tuple, list[org_model.Org]]:
        return by_group(lambda ids, kind, first, after: org_model.children_pages(
            parent_ids=ids, kind=kind, first=first, after=after), default=[])

    @cached_property
    def children_count(self) -> DataLoader[tuple, int]:
        return by_group(lambda ids, kind: org_model.children_counts(parent_ids=ids, kind=kind), default=0)

    @cached_property
    def partners_page(self) -> DataLoader[tuple, list[org_model.Org]]:
        return by_group(lambda ids, first, after: org_model.partner_pages(
            org_ids=ids, first=first, after=after), default=[])

    @cached_property
    def partners_count(self) -> DataLoader[tuple, int]:
        return by_group(lambda ids: org_model.partner_counts(org_ids=ids), default=0)

    @cached_property
    def compound(self) -> DataLoader[int, compound_model.Compound | None]:
        return by_key(lambda ids: compound_model.get_many(compound_ids=ids))

    @cached_property
    def compounds_page(self) -> DataLoader[tuple, list[compound_model.Compound]]:
        return by_group(lambda ids, first, after: compound_model.subtree_pages(
            org_ids=ids, first=first, after=after), default=[])

    @cached_property
    def compounds_count(self) -> DataLoader[tuple, int]:
        return by_group(lambda ids: compound_model.subtree_counts(org_ids=ids), default=0)

    @cached_property
    def user(self) -> DataLoader[int, user_model.User | None]:
        return by_key(lambda ids: user_model.get_many(user_ids=ids))

    @cached_property
    def memberships(self) -> DataLoader[int, list[user_model.Membership]]:
        return by_key(lambda ids: user_model.memberships_of_users(user_ids=ids), default=[])

    @cached_property
    def members_page(self) -> DataLoader[tuple, list[user_model.Membership]]:
        return by_group(lambda ids, role, first, after: user_model.member_pages(
            org_ids=ids, role=role, first=first, after=after), default=[])

    @cached_property
    def members_count(self) -> DataLoader[tuple, int]:
        return by_group(lambda ids, role: user_model.member_counts(org_ids=ids, role=role), default=0)

    @cached_property
    def registration(self) -> DataLoader[int, registration_model.Registration | None]:
        return by_key(lambda ids: registration_model.active_of_users(user_ids=ids))

    @cached_property
    def registration_by_id(self) -> DataLoader[int, registration_model.Registration | None]:
        return by_key(lambda ids: registration_model.get_many(registration_ids=ids))

    @cached_property
    def registrations_page(self) -> DataLoader[tuple, list[registration_model.Registration]]:
        return by_group(lambda ids, active, first, after: registration_model.branch_pages(
            branch_ids=ids, active=active, first=first, after=after), default=[])

    @cached_property
    def registrations_count(self) -> DataLoader[tuple, int]:
        return by_group(lambda ids, active: registration_model.branch_counts(branch_ids=ids, active=active), default=0)

    @cached_property
    def project(self) -> DataLoader[int, project_model.Project | None]:
        return by_key(lambda ids: project_model.get_many(project_ids=ids))

    @cached_property
    def project_visible(self) -> DataLoader[int, bool]:
        return self._visibility(lambda scope, ids: project_model.visible_ids(scope=scope, project_ids=ids))

    @cached_property
    def project_claimable(self) -> DataLoader[int, bool]:
        return self._visibility(lambda scope, ids: project_model.claimable_ids(scope=scope, project_ids=ids))

    @cached_property
    def viewer_claim(self) -> DataLoader[int, project_model.Claim | None]:
        async def fetch(ids: list[int]) -> dict[int, project_model.Claim]:
            return await project_model.latest_claims_by(scope=await self._scope(), project_ids=ids)

        return by_key(fetch)

    @cached_property
    def claim(self) -> DataLoader[int, project_model.Claim | None]:
        return by_key(lambda ids: project_model.get_claims(claim_ids=ids))

    @cached_property
    def visible_project(self) -> DataLoader[int, project_model.ProjectWith | None]:
        """A project the viewer may see, with its org and whether the viewer manages it (the project screen)."""

        async def fetch(ids: list[int]) -> dict[int, project_model.ProjectWith]:
            return await project_model.get_visible(scope=await self._scope(), project_ids=ids)

        return by_key(fetch)

    @cached_property
    def claims_page(self) -> DataLoader[tuple, list[project_model.ClaimWith]]:
        async def fetch(ids: list[int], full: bool, first: int, after: int | None, claimants: bool
                        ) -> dict[int, list]:
            return await project_model.claim_pages(project_ids=ids, scope=await self._scope(),
                                                   managed_project_ids=set(ids) if full else set(),
                                                   first=first, after=after, with_claimants=claimants)

        return by_group(fetch, default=[])

    @cached_property
    def claims_count(self) -> DataLoader[tuple, int]:
        async def fetch(ids: list[int], full: bool) -> dict[int, int]:
            return await project_model.claim_counts(project_ids=ids, scope=await self._scope(),
                                                    managed_project_ids=set(ids) if full else set())

        return by_group(fetch, default=0)

    @cached_property
    def user_claims_page(self) -> DataLoader[tuple, list[project_model.Claim]]:
        return by_group(lambda ids, first, after: project_model.user_claim_pages(
            user_ids=ids, first=first, after=after), default=[])

    @cached_property
    def user_claims_count(self) -> DataLoader[tuple, int]:
        return by_group(lambda ids: project_model.user_claim_counts(user_ids=ids), default=0)

    @cached_property
    def org_service_hours(self) -> DataLoader[int, float]:
        return by_key(lambda ids: project_model.service_hours_of_orgs(org_ids=ids), default=0.0)

    @cached_property
    def resource(self) -> DataLoader[int, resource_model.Resource | None]:
        return by_key(lambda ids: resource_model.get_many(resource_ids=ids))

    @cached_property
    def resource_visible(self) -> DataLoader[int, bool]:
        return self._visibility(lambda scope, ids: resource_model.visible_ids(
            member_org_ids=list(scope.member_org_ids), managed_org_ids=list(scope.managed_org_ids), resource_ids=ids))

    @cached_property
    def booking(self) -> DataLoader[int, resource_model.Booking | None]:
        return by_key(lambda ids: resource_model.get_bookings(booking_ids=ids))

    @cached_property
    def bookings_page(self) -> DataLoader[tuple, list[resource_model.Booking]]:
        return by_group(lambda ids, starts, ends, only, first, after: resource_model.bookings_between(
            resource_ids=ids, starts=starts, ends=ends, for_managed=only, first=first, after=after), default=[])

    @cached_property
    def bookings_count(self) -> DataLoader[tuple, int]:
        return by_group(lambda ids, starts, ends, only: resource_model.booking_counts(
            resource_ids=ids, starts=starts, ends=ends, for_managed=only), default=0)

    @cached_property
    def alliance(self) -> DataLoader[int, alliance_model.Alliance | None]:
        return by_key(lambda ids: alliance_model.get_many(alliance_ids=ids))

    @cached_property
    def alliance_members_page(self) -> DataLoader[tuple, list[org_model.Org]]:
        return by_group(lambda ids, first, after: alliance_model.member_pages(
            alliance_ids=ids, first=first, after=after), default=[])

    @cached_property
    def alliance_members_count(self) -> DataLoader[tuple, int]:
        return by_group(lambda ids: alliance_model.member_counts(alliance_ids=ids), default=0)

    @cached_property
    def meeting(self) -> DataLoader[int, meeting_model.Meeting | None]:
        return by_key(lambda ids: meeting_model.get_many(meeting_ids=ids))

    @cached_property
    def meeting_visible(self) -> DataLoader[int, bool]:
        return self._visibility(lambda scope, ids: meeting_model.visible_ids(
            member_org_ids=list(scope.member_org_ids), managed_org_ids=list(scope.managed_org_ids), meeting_ids=ids))

    @cached_property
    def meeting_invitees(self) -> DataLoader[int, list[meeting_model.MeetingInvitee]]:
        return by_key(lambda ids: meeting_model.invitees_of(meeting_ids=ids), default=[])

    @cached_property
    def meeting_resolutions(self) -> DataLoader[int, list[meeting_model.Resolution]]:
        return by_key(lambda ids: meeting_model.resolutions_of(meeting_ids=ids), default=[])

    @cached_property
    def duty_shift(self) -> DataLoader[int, duty_model.DutyShift | None]:
        return by_key(lambda ids: duty_model.get_many(shift_ids=ids))

    @cached_property
    def duty_swap_offers(self) -> DataLoader[int, list[int]]:
        return by_key(lambda ids: duty_model.swap_offers(shift_ids=ids), default=[])

    @cached_property
    def duty_swap_requests(self) -> DataLoader[int, list[int]]:
        return by_key(lambda ids: duty_model.swap_requests(shift_ids=ids), default=[])

    @cached_property
    def paired_orgs(self) -> DataLoader[int, list[int]]:
        return by_key(lambda ids: org_model.paired_ids(org_ids=ids), default=[])

    @cached_property
    def offering(self) -> DataLoader[int, order_model.ServiceOffering | None]:
        return by_key(lambda ids: order_model.get_offerings(offering_ids=ids))

    @cached_property
    def order_visible(self) -> DataLoader[int, bool]:
        return self._visibility(lambda scope, ids: order_model.visible_ids(
            user_id=self.viewer.user_id, managed_org_ids=list(scope.managed_org_ids), order_ids=ids))

    @cached_property
    def order(self) -> DataLoader[int, order_model.Order | None]:
        return by_key(lambda ids: order_model.get_many(order_ids=ids))

    @cached_property
    def order_events(self) -> DataLoader[int, list[order_model.OrderEvent]]:
        return by_key(lambda ids: order_model.events_of(order_ids=ids), default=[])

    @cached_property
    def latest_order_event(self) -> DataLoader[int, order_model.OrderEvent | None]:
        return by_key(lambda ids: order_model.latest_events(order_ids=ids))

    @cached_property
    def order_photos(self) -> DataLoader[int, list[photo_model.Photo]]:
        return by_key(lambda ids: photo_model.for_orders(order_ids=ids), default=[])

    @cached_property
    def opinion(self) -> DataLoader[int, opinion_model.Opinion | None]:
        return by_key(lambda ids: opinion_model.get_many(opinion_ids=ids))

    @cached_property
    def opinion_visible(self) -> DataLoader[int, bool]:
        return self._visibility(lambda scope, ids: opinion_model.visible_ids(
            user_id=self.viewer.user_id, managed_org_ids=list(scope.managed_org_ids), opinion_ids=ids))

    @cached_property
    def opinion_replies(self) -> DataLoader[int, list[opinion_model.OpinionReply]]:
        return by_key(lambda ids: opinion_model.replies_of(opinion_ids=ids), default=[])

    @cached_property
    def opinion_photos(self) -> DataLoader[int, list[photo_model.Photo]]:
        return by_key(lambda ids: photo_model.for_opinions(opinion_ids=ids), default=[])

    @cached_property
    def opinion_stats(self) -> DataLoader[int, opinion_model.OpinionStats]:
        return by_key(lambda ids: opinion_model.stats(org_ids=ids), default=opinion_model.OpinionStats())

    @cached_property
    def household(self) -> DataLoader[int, household_model.Household | None]:
        return by_key(lambda ids: household_model.get_many(household_ids=ids))

    @cached_property
    def household_members(self) -> DataLoader[int, list[int]]:
        return by_key(lambda ids: household_model.members_of(household_ids=ids), default=[])

    @cached_property
    def households_of_user(self) -> DataLoader[int, list[household_model.Household]]:
        return by_key(lambda ids: household_model.of_users(user_ids=ids), default=[])

    @cached_property
    def poll(self) -> DataLoader[int, poll_model.Poll | None]:
        return by_key(lambda ids: poll_model.get_many(poll_ids=ids))

    @cached_property
    def poll_visible(self) -> DataLoader[int, bool]:
        return self._visibility(lambda scope, ids: poll_model.visible_ids(
            user_id=self.viewer.user_id, managed_org_ids=list(scope.managed_org_ids), poll_ids=ids))

    @cached_property
    def poll_options(self) -> DataLoader[int, list[poll_model.PollOption]]:
        return by_key(lambda ids: poll_model.options_of(poll_ids=ids), default=[])

    @cached_property
    def poll_tally(self) -> DataLoader[int, poll_model.Tally]:
        return by_key(lambda ids: poll_model.tallies(poll_ids=ids), default=poll_model.Tally())

    @cached_property
    def poll_voted(self) -> DataLoader[int, bool]:
        async def fetch(ids: list[int]) -> dict[int, bool]:
            if self.viewer.user_id is None:
                return {}
            voted = await poll_model.voted_by(user_id=self.viewer.user_id, poll_ids=ids)
            return {pid: pid in voted for pid in ids}

        return by_key(fetch, default=False)

    @cached_property
    def service_hours(self) -> DataLoader[int, float]:
        return by_key(lambda ids: project_model.service_hours_of_users(user_ids=ids), default=0.0)


def language_of(accept_language: str) -> str:
    """`en` when the client prefers English in Accept-Language, else `zh` (the default)."""
    best_lang, best_q = "zh", 0.0
    for part in accept_language.split(","):
        tag, _, q = part.strip().partition(";q=")
        try:
            weight = float(q) if q else 1.0
        except ValueError:
            continue
        tag = tag.strip().lower()
        if weight > best_q and (tag.startswith("en") or tag.startswith("zh")):
            best_lang, best_q = tag[:2], weight
    return best_lang


@dataclass
class AuditNote:
    """What a mutation touched, noted by its resolver for the audit row (the payload fills in the rest)."""

    actor_id: int | None = None
    org_id: int | None = None
    object_id: str | None = None


@dataclass
class Context:
    """What every resolver gets as `info.context`."""

    request: Request
    response: Response | None
    settings: Settings
    viewer: Viewer
    lang: str
    loaders: Loaders = field(default_factory=Loaders)
    audit: AuditNote = field(default_factory=lambda: AuditNote())
    bus: Bus = field(default_factory=Bus)
    # A websocket's connection_init payload (strawberry fills it in) and when the token it carried expires.
    connection_params: dict[str, Any] | None = None
    token_expires_at: datetime | None = None

    def authenticate(self, user_id: int, *, expires_at: datetime) -> None:
        """Log a websocket in with the token from its connection_init (HTTP requests are logged in by the
        middleware before the context exists)."""
        self.token_expires_at = expires_at
        self.fresh()
        self.viewer.user_id = user_id

    def fresh(self) -> None:
        """Forget everything loaded so far: a subscription re-reads objects and the viewer's rights per event, since
        either may have changed since the socket opened."""
        loaders = Loaders()
        loaders.viewer = Viewer(user_id=self.viewer.user_id, loaders=loaders)
        self.loaders, self.viewer = loaders, loaders.viewer


def build(
    request: Request, response: Response | None, settings: Settings, user_id: int | None, token_error: bool = False,
    *, bus: Bus | None = None,
) -> Context:
    """Assemble the context once the token has been checked (by the auth middleware)."""
    loaders = Loaders()
    loaders.viewer = Viewer(user_id=user_id, loaders=loaders, token_error=token_error)
    return Context(
        request=request,
        response=response,
        settings=settings,
        viewer=loaders.viewer,
        lang=language_of(request.headers.get("accept-language", "")),
        loaders=loaders,
        bus=bus or Bus(),
    )


def unique(values: Sequence[K]) -> list[K]:
    """Order-preserving de-duplication for id lists."""
    return list(dict.fromkeys(values))
