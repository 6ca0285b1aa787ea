"""GraphQL types for people: users (phones masked by policy), memberships and dual registrations."""

from __future__ import annotations

from datetime import datetime
import strawberry

from auth import policies
from models import registration as registration_model
from models import user as user_model
from schema.enums import MemberRole, MemberType
from schema.errors import UserError
from schema.org import Org
from schema.relay import Node, to_global_id

from schema.context import Context

Info = strawberry.Info[Context, None]


def mask_phone(phone: str) -> str:
    """138****5678: enough to recognise, not enough to call."""
    return phone[:3] + "****" + phone[-4:] if len(phone) >= 7 else "****"


@strawberry.type(description="A party member's registration at the branch where they live (双报到).")
class Registration:
    member_type: MemberType
    work_unit: str | None
    registered_at: datetime
    active: bool
    branch_id: strawberry.Private[int]

    @classmethod
    def from_model(cls, r: registration_model.Registration) -> Registration:
        return cls(member_type=r.member_type, work_unit=r.work_unit, registered_at=r.registered_at,
                   active=r.active, branch_id=r.branch_id)

    @strawberry.field
    async def branch(self, info: Info) -> Org:
        return Org.from_model(await info.context.loaders.org.load(self.branch_id))


@strawberry.type(description="A person. Visible to themself, fellow members of an org, and managers of their orgs.")
class User(Node):
    id: strawberry.ID
    display_name: str
    pk: strawberry.Private[int]
    raw_phone: strawberry.Private[str]
    # The account just authenticated by this very mutation (signUp, login, refreshToken): the caller is this
    # user although the request carried no access token yet.
    authenticated_self: strawberry.Private[bool] = False

    @classmethod
    def from_model(cls, u: user_model.User, *, authenticated_self: bool = False) -> User:
        return cls(id=to_global_id("User", u.id), display_name=u.display_name, pk=u.id, raw_phone=u.phone,
                   authenticated_self=authenticated_self)

    @strawberry.field(description="Masked (138****5678) unless the viewer is this user or ADMIN/STAFF of one "
                                  "of the user's organisations (or of an ancestor).")
    async def phone(self, info: Info) -> str:
        if self.authenticated_self or await policies.can_see_phone(info.context.viewer, self.pk):
            return self.raw_phone
        return mask_phone(self.raw_phone)

    @strawberry.field
    async def memberships(self, info: Info) -> list[Membership]:
        return [Membership.from_model(m) for m in await info.context.loaders.memberships.load(self.pk)]

    @strawberry.field(description="The active registration (双报到), if any.")
    async def registration(self, info: Info) -> Registration | None:
        reg = await info.context.loaders.registration.load(self.pk)
        return Registration.from_model(reg) if reg else None

    @strawberry.field(description="Hours of service verified on the user's own claims.")
    async def service_hours(self, info: Info) -> float:
        return await info.context.loaders.service_hours.load(self.pk)


@strawberry.type(description="A person's role in an organisation.")
class Membership:
    role: MemberRole
    pk: strawberry.Private[int]
    org_id: strawberry.Private[int]
    user_id: strawberry.Private[int]

    @classmethod
    def from_model(cls, m: user_model.Membership) -> Membership:
        return cls(role=m.role, pk=m.id, org_id=m.org_id, user_id=m.user_id)

    @strawberry.field
    async def org(self, info: Info) -> Org:
        return Org.from_model(await info.context.loaders.org.load(self.org_id))

    @strawberry.field
    async def user(self, info: Info) -> User:
        return User.from_model(await info.context.loaders.user.load(self.user_id))


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
