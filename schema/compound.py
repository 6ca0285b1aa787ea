"""GraphQL types for compounds (小区): public places with households, covered (or not) by a branch."""

from __future__ import annotations

import strawberry

from models import compound as compound_model
from schema.enums import PropertyManagement
from schema.errors import UserError
from schema.org import Org
from schema.relay import Node, to_global_id

from schema.context import Context

Info = strawberry.Info[Context, None]


@strawberry.type(description="A residential compound (小区). Public.")
class Compound(Node):
    id: strawberry.ID
    name: str
    address: str | None
    households: int
    has_red_committee: bool = strawberry.field(description="Led by a 红色业委会 (party-led owners' committee).")
    property_management: PropertyManagement
    pk: strawberry.Private[int]
    community_id: strawberry.Private[int]
    branch_id: strawberry.Private[int | None]

    @classmethod
    def from_model(cls, c: compound_model.Compound) -> Compound:
        return cls(
            id=to_global_id("Compound", c.id), name=c.name, address=c.address, households=c.households,
            has_red_committee=bool(c.has_red_committee), property_management=c.property_management,
            pk=c.id, community_id=c.community_id, branch_id=c.branch_id,
        )

    @strawberry.field(description="The community party committee the compound belongs to.")
    async def community(self, info: Info) -> Org:
        org = await info.context.loaders.org.load(self.community_id)
        return Org.from_model(org)

    @strawberry.field(description="The covering compound branch; null = not covered.")
    async def branch(self, info: Info) -> Org | None:
        if self.branch_id is None:
            return None
        org = await info.context.loaders.org.load(self.branch_id)
        return Org.from_model(org) if org else None


@strawberry.input(description="Filter for the compound directory.")
class CompoundFilter:
    org_id: strawberry.ID | None = strawberry.field(default=None, description="Compounds in this org's subtree.")
    search: str | None = strawberry.field(default=None, description="Part of the name or address.")
    covered: bool | None = strawberry.field(default=None, description="Only covered (true) or uncovered (false).")


@strawberry.input
class CreateCompoundInput:
    name: str
    community_id: strawberry.ID
    branch_id: strawberry.ID | None = None
    address: str | None = None
    households: int = 0
    has_red_committee: bool = False
    property_management: PropertyManagement = PropertyManagement.COMPANY


@strawberry.input(description="Fields left out stay as they are; `branchId: null` uncovers the compound.")
class UpdateCompoundInput:
    compound_id: strawberry.ID
    name: str | None = strawberry.UNSET
    community_id: strawberry.ID | None = strawberry.UNSET
    branch_id: strawberry.ID | None = strawberry.UNSET
    address: str | None = strawberry.UNSET
    households: int | None = strawberry.UNSET
    has_red_committee: bool | None = strawberry.UNSET
    property_management: PropertyManagement | None = strawberry.UNSET


@strawberry.type
class CompoundPayload:
    compound: Compound | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)
