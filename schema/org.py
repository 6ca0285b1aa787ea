"""GraphQL types for organisations: the public directory, subtree statistics, members and pairings."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import strawberry

from auth import policies
from models import org as org_model
from schema.enums import MemberRole, OrgKind
from schema.errors import UserError, unauthenticated, forbidden
from schema.relay import (
    Connection, Node, connection, decode_cursor, deferred, node_fields, page_size, to_global_id, wants_rows,
)

from schema.context import Context

if TYPE_CHECKING:
    from schema.audit import AuditEntry
    from schema.opinion import OpinionStats
    from schema.compound import Compound
    from schema.registration import Registration
    from schema.user import Membership

Info = strawberry.Info[Context, None]


@strawberry.type(description="Figures rolled up over an organisation's whole subtree.")
class OrgStats:
    compound_count: int
    covered_compound_count: int
    coverage_rate: float = strawberry.field(description="Covered compounds / compounds, 0..1.")
    branch_count: int
    red_committee_count: int
    partner_unit_count: int
    registered_member_count: int
    project_count: int = strawberry.field(description="Projects ever published (drafts not counted).")
    claimed_project_count: int = strawberry.field(description="Projects with at least one live claim.")
    verified_hours: float
    resource_count: int = strawberry.field(description="Resources offered (not retired) by orgs in the subtree.")
    approved_booking_count: int = strawberry.field(description="Approved bookings of resources owned in the subtree "
                                                            "(retired ones too: they were used).")
    meeting_count: int = strawberry.field(description="Joint meetings convened in the subtree that have begun.")
    open_resolution_count: int = strawberry.field(description="Resolutions owned in the subtree, not yet projects.")
    converted_resolution_count: int = strawberry.field(description="Resolutions owned in the subtree that became "
                                                                   "projects.")
    served_duty_shift_count: int = strawberry.field(description="Duty shifts checked in at centres in the subtree "
                                                                "(for a partner unit: the shifts it served).")
    commissioner_count: int = strawberry.field(description="Service commissioners (近邻服务专员) at partner units "
                                                           "paired in the subtree (for a unit: its own).")

    @classmethod
    def from_model(cls, stats: org_model.OrgStats) -> OrgStats:
        return cls(
            resource_count=stats.resource_count,
            approved_booking_count=stats.approved_booking_count,
            meeting_count=stats.meeting_count,
            open_resolution_count=stats.open_resolution_count,
            converted_resolution_count=stats.converted_resolution_count,
            served_duty_shift_count=stats.served_duty_shift_count,
            commissioner_count=stats.commissioner_count,
            compound_count=stats.compound_count,
            covered_compound_count=stats.covered_compound_count,
            coverage_rate=stats.coverage_rate,
            branch_count=stats.branch_count,
            red_committee_count=stats.red_committee_count,
            partner_unit_count=stats.partner_unit_count,
            registered_member_count=stats.registered_member_count,
            project_count=stats.project_count,
            claimed_project_count=stats.claimed_project_count,
            verified_hours=stats.verified_hours,
        )


@strawberry.type(description="An organisation of the 近邻 hierarchy, a partner unit or a volunteer team. Public.")
class Org(Node):
    id: strawberry.ID
    name: str
    kind: OrgKind
    pk: strawberry.Private[int]
    parent_id: strawberry.Private[int | None]
    # The figures when the list that holds this org loaded them for the whole page (None: `stats` loads them).
    stats_row: strawberry.Private[org_model.OrgStats | None] = None

    @classmethod
    def from_model(cls, org: org_model.Org, stats: org_model.OrgStats | None = None) -> Org:
        return cls(id=to_global_id("Org", org.id), name=org.name, kind=org.kind, pk=org.id, parent_id=org.parent_id,
                   stats_row=stats)

    @strawberry.field(description="The parent organisation (null for a district or a partner unit).")
    async def parent(self, info: Info) -> Org | None:
        if self.parent_id is None:
            return None
        parent = await info.context.loaders.org.load(self.parent_id)
        return Org.from_model(parent) if parent else None

    @strawberry.field(description="Every ancestor, root first, this org excluded.")
    async def ancestors(self, info: Info) -> list[Org]:
        ids = await info.context.loaders.ancestors.load(self.pk)
        orgs = await info.context.loaders.org.load_many(ids)
        return [Org.from_model(org) for org in orgs if org]

    @strawberry.field(description="Direct children, optionally of one kind.")
    async def children(
        self, info: Info, kind: OrgKind | None = None, first: int | None = None, after: str | None = None
    ) -> Connection[Org]:
        loaders, lang = info.context.loaders, info.context.lang
        size, cursor = page_size(first, lang), decode_cursor(after, lang)
        rows = await loaders.children_page.load((self.pk, kind, size, cursor)) if wants_rows(info) else []
        stats: dict[int, org_model.OrgStats] = {}
        if rows and "stats" in node_fields(info):
            # Every child's figures in one statement of the shared loader, handed to the children with their rows.
            ids = [row.id for row in rows[:size]]
            stats = dict(zip(ids, await loaders.org_stats.load_many(ids)))
        return connection(rows, first=size, convert=lambda row: Org.from_model(row, stats.get(row.id)),
                          total=lambda: loaders.children_count.load((self.pk, kind)))

    @strawberry.field(description="Every compound in the subtree (for a branch: the compounds it covers).")
    async def compounds(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> Connection[Annotated["Compound", strawberry.lazy("schema.compound")]]:
        from schema.compound import Compound

        loaders, lang = info.context.loaders, info.context.lang
        size, cursor = page_size(first, lang), decode_cursor(after, lang)
        rows = await loaders.compounds_page.load((self.pk, size, cursor)) if wants_rows(info) else []
        return connection(rows, first=size, convert=Compound.from_model,
                          total=lambda: loaders.compounds_count.load((self.pk,)))

    @strawberry.field(description="Paired organisations, both directions (partner units of a street or community, "
                                  "or the streets and communities of a partner unit).")
    async def partners(self, info: Info, first: int | None = None, after: str | None = None) -> Connection[Org]:
        loaders, lang = info.context.loaders, info.context.lang
        size, cursor = page_size(first, lang), decode_cursor(after, lang)
        rows = await loaders.partners_page.load((self.pk, size, cursor)) if wants_rows(info) else []
        return connection(rows, first=size, convert=Org.from_model,
                          total=lambda: loaders.partners_count.load((self.pk,)))

    @strawberry.field(description="Members, for the org's own members (phones masked) and its managers. "
                                  "Anonymous: UNAUTHENTICATED; others: FORBIDDEN.")
    async def members(
        self, info: Info, role: MemberRole | None = None, first: int | None = None, after: str | None = None
    ) -> Connection[Annotated["Membership", strawberry.lazy("schema.user")]]:
        from schema.user import Membership

        ctx = info.context
        if not ctx.viewer.authenticated:
            raise unauthenticated(ctx.lang)
        if not await policies.can_see_members(ctx.viewer, self.pk):
            raise forbidden(ctx.lang)
        size, cursor = page_size(first, ctx.lang), decode_cursor(after, ctx.lang)
        rows = await ctx.loaders.members_page.load((self.pk, role, size, cursor)) if wants_rows(info) else []
        return connection(rows, first=size, convert=Membership.from_model,
                          total=lambda: ctx.loaders.members_count.load((self.pk, role)))

    @strawberry.field(description="Service commissioners (近邻服务专员) assigned to this partner unit as its contacts, "
                                  "oldest first (at most 100). Needs login; phones are shown in full to the unit's "
                                  "managers and to managers of the orgs paired with it, masked to others.")
    async def commissioners(self, info: Info) -> list[Annotated["Membership", strawberry.lazy("schema.user")]]:
        from schema.user import Membership

        ctx = info.context
        if not ctx.viewer.authenticated:
            raise unauthenticated(ctx.lang)
        rows = await ctx.loaders.members_page.load((self.pk, MemberRole.COMMISSIONER, 100, None))
        # The side that sent them calls them too.
        reveal = bool(rows) and self.kind is OrgKind.PARTNER_UNIT and await policies.can_assign_commissioner(
            ctx.viewer, self.pk)
        return [Membership.from_model(row, reveal_phone=reveal) for row in rows[:100]]

    @strawberry.field(description="Statistics rolled up over the whole subtree.")
    def stats(self, info: Info) -> OrgStats:
        if self.stats_row is not None:
            return OrgStats.from_model(self.stats_row)
        return deferred(self._load_stats(info))

    async def _load_stats(self, info: Info) -> OrgStats:
        return OrgStats.from_model(await info.context.loaders.org_stats.load(self.pk))

    @strawberry.field(description="How residents' opinions (听邻说事) owned in the subtree are answered. Public, like "
                                  "`stats`.")
    async def opinion_stats(self, info: Info) -> Annotated["OpinionStats", strawberry.lazy("schema.opinion")]:
        from schema.opinion import OpinionStats

        return OpinionStats.from_model(await info.context.loaders.opinion_stats.load(self.pk))

    @strawberry.field(description="Hours verified on claims this org made in its own name (units and teams).")
    async def service_hours(self, info: Info) -> float:
        return await info.context.loaders.org_service_hours.load(self.pk)

    @strawberry.field(description="Dual registrations (双报到) at this branch, oldest first; for its managers.")
    async def registrations(
        self, info: Info, active: bool | None = True, first: int | None = None, after: str | None = None
    ) -> Connection[Annotated["Registration", strawberry.lazy("schema.registration")]]:
        from schema.registration import Registration

        ctx = info.context
        await _require_manager(ctx, self.pk)
        size, cursor = page_size(first, ctx.lang), decode_cursor(after, ctx.lang)
        rows = await ctx.loaders.registrations_page.load((self.pk, active, size, cursor)) if wants_rows(info) else []
        return connection(rows, first=size, convert=Registration.from_model,
                          total=lambda: ctx.loaders.registrations_count.load((self.pk, active)))

    @strawberry.field(description="Every mutation touching this org's subtree, newest first; for its managers.")
    async def audit_log(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> Connection[Annotated["AuditEntry", strawberry.lazy("schema.audit")]]:
        from models import audit as audit_model
        from schema.audit import AuditEntry

        ctx = info.context
        await _require_manager(ctx, self.pk)
        size, cursor = page_size(first, ctx.lang), decode_cursor(after, ctx.lang)
        rows = await audit_model.page(org_id=self.pk, first=size, after=cursor) if wants_rows(info) else []
        return connection(rows, first=size, convert=AuditEntry.from_model,
                          total=lambda: audit_model.count(org_id=self.pk))

    @strawberry.field(description="The viewer's role here, direct or inherited ADMIN/STAFF; null if none.")
    async def viewer_role(self, info: Info) -> MemberRole | None:
        return await policies.role_in(info.context.viewer, self.pk)


async def _require_manager(ctx: Context, org_id: int) -> None:
    """Staff-only fields: UNAUTHENTICATED when anonymous, FORBIDDEN unless ADMIN/STAFF here or above."""
    if not ctx.viewer.authenticated:
        raise unauthenticated(ctx.lang)
    if not await policies.can_manage(ctx.viewer, org_id):
        raise forbidden(ctx.lang)


@strawberry.input(description="Filter for the organisation directory.")
class OrgFilter:
    kind: OrgKind | None = None
    parent_id: strawberry.ID | None = None
    search: str | None = strawberry.field(default=None, description="Part of the name, case-insensitive.")


@strawberry.input
class CreateOrgInput:
    name: str
    kind: OrgKind
    parent_id: strawberry.ID | None = None


@strawberry.input
class UpdateOrgInput:
    org_id: strawberry.ID
    name: str


@strawberry.type
class OrgPayload:
    org: Org | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.input
class PairPartnerInput:
    partner_unit_id: strawberry.ID
    org_id: strawberry.ID = strawberry.field(description="A street or community committee.")


@strawberry.input
class UnpairPartnerInput:
    partner_unit_id: strawberry.ID
    org_id: strawberry.ID


@strawberry.type
class PairPartnerPayload:
    partner: Org | None = None
    org: Org | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)
