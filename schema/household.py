"""GraphQL types for households (户) and the residents living in them."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import strawberry

from auth import policies
from models import household as household_model
from schema.compound import Compound
from schema.context import Context
from schema.errors import UserError
from schema.relay import Node, to_global_id

if TYPE_CHECKING:
    from schema.user import User

Info = strawberry.Info[Context, None]


@strawberry.type(description="A dwelling of a compound with its floor area. Visible to its residents and to managers "
                             "of the compound's branch or community.")
class Household(Node):
    id: strawberry.ID
    unit: str = strawberry.field(description="Building, unit and room as people write it (e.g. 3号楼2单元501).")
    area_sqm: float = strawberry.field(description="Floor area in square metres (weighs DOUBLE_MAJORITY votes).")
    pk: strawberry.Private[int]
    compound_id: strawberry.Private[int]

    @classmethod
    def from_model(cls, h: household_model.Household) -> Household:
        return cls(id=to_global_id("Household", h.id), unit=h.unit, area_sqm=h.area_sqm, pk=h.id,
                   compound_id=h.compound_id)

    @strawberry.field
    async def compound(self, info: Info) -> Compound:
        return Compound.from_model(await info.context.loaders.compound.load(self.compound_id))

    @strawberry.field(description="The residents living here (phones masked unless the viewer may see them).")
    async def residents(self, info: Info) -> list[Annotated["User", strawberry.lazy("schema.user")]]:
        from schema.user import User

        ids = await info.context.loaders.household_members.load(self.pk)
        rows = await info.context.loaders.user.load_many(ids)
        reveal = await policies.can_manage_compound(info.context.viewer, self.compound_id)
        return [User.from_model(row, phone_revealed=reveal) for row in rows if row is not None]


@strawberry.input
class CreateHouseholdInput:
    compound_id: strawberry.ID
    unit: str
    area_sqm: float = strawberry.field(description="Floor area in m², above 0 and at most 10000; kept to 0.01.")


@strawberry.input
class AddHouseholdMemberInput:
    household_id: strawberry.ID
    phone: str


@strawberry.type
class HouseholdPayload:
    household: Household | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)
