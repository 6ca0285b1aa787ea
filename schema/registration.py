"""GraphQL types for dual registration (双报到): where a party member lives and serves."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated

import strawberry

from models import registration as registration_model
from schema.context import Context
from schema.enums import MemberType
from schema.errors import UserError
from schema.org import Org
from schema.relay import Node, to_global_id

if TYPE_CHECKING:
    from schema.user import User

Info = strawberry.Info[Context, None]


@strawberry.type(description="A party member's registration at the branch where they live (双报到). Visible to "
                             "the member and the branch's managers.")
class Registration(Node):
    id: strawberry.ID
    member_type: MemberType
    work_unit: str | None
    registered_at: datetime
    ended_at: datetime | None
    active: bool
    pk: strawberry.Private[int]
    branch_id: strawberry.Private[int]
    user_id: strawberry.Private[int]

    @classmethod
    def from_model(cls, r: registration_model.Registration) -> Registration:
        return cls(id=to_global_id("Registration", r.id), member_type=r.member_type, work_unit=r.work_unit,
                   registered_at=r.registered_at, ended_at=r.ended_at, active=r.active, pk=r.id,
                   branch_id=r.branch_id, user_id=r.user_id)

    @strawberry.field
    async def branch(self, info: Info) -> Org:
        return Org.from_model(await info.context.loaders.org.load(self.branch_id))

    @strawberry.field
    async def user(self, info: Info) -> Annotated["User", strawberry.lazy("schema.user")]:
        from schema.user import User

        return User.from_model(await info.context.loaders.user.load(self.user_id))


@strawberry.input(description="Register where you live: at most one active registration; registering elsewhere "
                              "ends the old one (kept as history).")
class RegisterAtBranchInput:
    branch_id: strawberry.ID
    member_type: MemberType
    work_unit: str | None = None


@strawberry.input(description="End a registration (the member, or the branch's managers).")
class EndRegistrationInput:
    registration_id: strawberry.ID


@strawberry.type
class RegistrationPayload:
    registration: Registration | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)
