"""GraphQL types for people: users (phones masked by policy), memberships and dual registrations."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import strawberry

from auth import policies
from models import user as user_model
from schema.enums import MemberRole
from schema.errors import UserError, forbidden, unauthenticated
from schema.org import Org
from schema.registration import Registration
from schema.relay import Connection, Node, connection, decode_cursor, page_size, to_global_id, wants_rows

from schema.context import Context

Info = strawberry.Info[Context, None]

if TYPE_CHECKING:
    from schema.household import Household
    from schema.notification import Notification
    from schema.project import Claim


def _require_self(ctx: Context, user_id: int) -> None:
    """Personal lists belong to their owner alone."""
    if not ctx.viewer.authenticated:
        raise unauthenticated(ctx.lang)
    if ctx.viewer.user_id != user_id:
        raise forbidden(ctx.lang)


def mask_phone(phone: str) -> str:
    """138****5678: enough to recognise, not enough to call."""
    return phone[:3] + "****" + phone[-4:] if len(phone) >= 7 else "****"


@strawberry.type(description="A person. Visible to themself, fellow members of an org, and managers of their orgs.")
class User(Node):
    id: strawberry.ID
    display_name: str
    pk: strawberry.Private[int]
    raw_phone: strawberry.Private[str]
    # The account just authenticated by this very mutation (signUp, login, refreshToken): the caller is this
    # user although the request carried no access token yet.
    authenticated_self: strawberry.Private[bool] = False
    # Shown in full by the caller's own rule (a service commissioner to the side that sent them).
    phone_revealed: strawberry.Private[bool] = False

    @classmethod
    def from_model(cls, u: user_model.User, *, authenticated_self: bool = False, phone_revealed: bool = False
                   ) -> User:
        return cls(id=to_global_id("User", u.id), display_name=u.display_name, pk=u.id, raw_phone=u.phone,
                   authenticated_self=authenticated_self, phone_revealed=phone_revealed)

    @strawberry.field(description="Masked (138****5678) unless the viewer is this user or ADMIN/STAFF of one "
                                  "of the user's organisations (or of an ancestor); a service commissioner's also "
                                  "for managers of the orgs paired with their unit.")
    async def phone(self, info: Info) -> str:
        if self.authenticated_self or self.phone_revealed or await policies.can_see_phone(info.context.viewer,
                                                                                           self.pk):
            return self.raw_phone
        return mask_phone(self.raw_phone)

    @strawberry.field
    async def memberships(self, info: Info) -> list[Membership]:
        return [Membership.from_model(m) for m in await info.context.loaders.memberships.load(self.pk)]

    @strawberry.field(description="The active registration (双报到), if any.")
    async def registration(self, info: Info) -> Registration | None:
        reg = await info.context.loaders.registration.load(self.pk)
        return Registration.from_model(reg) if reg else None

    @strawberry.field(description="The user's own claims, oldest first (only for the user themself).")
    async def claims(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> Connection[Annotated["Claim", strawberry.lazy("schema.project")]]:
        from schema.project import Claim

        ctx = info.context
        _require_self(ctx, self.pk)
        size, cursor = page_size(first, ctx.lang), decode_cursor(after, ctx.lang)
        rows = await ctx.loaders.user_claims_page.load((self.pk, size, cursor)) if wants_rows(info) else []
        return connection(rows, first=size, convert=Claim.from_model,
                          total=lambda: ctx.loaders.user_claims_count.load((self.pk,)))

    @strawberry.field(description="The user's notifications, newest first (only for the user themself).")
    async def notifications(
        self, info: Info, first: int | None = None, after: str | None = None, unread_only: bool = False
    ) -> Connection[Annotated["Notification", strawberry.lazy("schema.notification")]]:
        from models import notification as notification_model
        from schema.notification import Notification

        ctx = info.context
        _require_self(ctx, self.pk)
        size, cursor = page_size(first, ctx.lang), decode_cursor(after, ctx.lang)
        rows = (await notification_model.page(user_id=self.pk, unread_only=unread_only, first=size, after=cursor)
                if wants_rows(info) else [])
        return connection(rows, first=size, convert=Notification.from_model,
                          total=lambda: notification_model.count(user_id=self.pk, unread_only=unread_only))

    @strawberry.field(description="Unread notifications (only for the user themself).")
    async def unread_notification_count(self, info: Info) -> int:
        from models import notification as notification_model

        _require_self(info.context, self.pk)
        return await notification_model.count(user_id=self.pk, unread_only=True)

    @strawberry.field(description="The households the user lives in (only for the user themself).")
    async def households(self, info: Info) -> list[Annotated["Household", strawberry.lazy("schema.household")]]:
        from schema.household import Household

        _require_self(info.context, self.pk)
        return [Household.from_model(h) for h in await info.context.loaders.households_of_user.load(self.pk)]

    @strawberry.field(description="Hours of service verified on the user's own claims.")
    async def service_hours(self, info: Info) -> float:
        return await info.context.loaders.service_hours.load(self.pk)


@strawberry.type(description="A person's role in an organisation.")
class Membership:
    role: MemberRole
    pk: strawberry.Private[int]
    org_id: strawberry.Private[int]
    user_id: strawberry.Private[int]
    reveal_phone: strawberry.Private[bool] = False

    @classmethod
    def from_model(cls, m: user_model.Membership, *, reveal_phone: bool = False) -> Membership:
        return cls(role=m.role, pk=m.id, org_id=m.org_id, user_id=m.user_id, reveal_phone=reveal_phone)

    @strawberry.field
    async def org(self, info: Info) -> Org:
        return Org.from_model(await info.context.loaders.org.load(self.org_id))

    @strawberry.field
    async def user(self, info: Info) -> User:
        return User.from_model(await info.context.loaders.user.load(self.user_id), phone_revealed=self.reveal_phone)


@strawberry.input(description="Give the person with this phone a role in the org (changes the role if they "
                              "are already a member). Only ADMINs may appoint ADMINs.")
class AddMemberInput:
    org_id: strawberry.ID
    phone: str
    role: MemberRole = MemberRole.MEMBER


@strawberry.input(description="Remove a member (managers, or the member themself).")
class RemoveMemberInput:
    org_id: strawberry.ID
    user_id: strawberry.ID


@strawberry.type
class MembershipPayload:
    membership: Membership | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)
