"""GraphQL types for party-building alliances (党建联盟)."""

from __future__ import annotations

import strawberry

from models import alliance as alliance_model
from schema.context import Context
from schema.errors import UserError
from schema.org import Org
from schema.relay import Connection, Node, connection, decode_cursor, page_size, to_global_id, wants_rows

Info = strawberry.Info[Context, None]


@strawberry.type(description="An alliance led by one org (盟主) with member orgs (盟友). Public. Active members see "
                             "each other's PARTNERS-scope resources and their projects.")
class Alliance(Node):
    id: strawberry.ID
    name: str
    pk: strawberry.Private[int]
    lead_id: strawberry.Private[int]

    @classmethod
    def from_model(cls, a: alliance_model.Alliance) -> Alliance:
        return cls(id=to_global_id("Alliance", a.id), name=a.name, pk=a.id, lead_id=a.lead_id)

    @strawberry.field
    async def lead(self, info: Info) -> Org:
        return Org.from_model(await info.context.loaders.org.load(self.lead_id))

    @strawberry.field(description="Active members, the lead included.")
    async def members(self, info: Info, first: int | None = None, after: str | None = None) -> Connection[Org]:
        loaders, lang = info.context.loaders, info.context.lang
        size, cursor = page_size(first, lang), decode_cursor(after, lang)
        rows = await loaders.alliance_members_page.load((self.pk, size, cursor)) if wants_rows(info) else []
        return connection(rows, first=size, convert=Org.from_model,
                          total=lambda: loaders.alliance_members_count.load((self.pk,)))


@strawberry.input(description="Filter for the alliance list.")
class AllianceFilter:
    org_id: strawberry.ID | None = strawberry.field(default=None, description="Alliances this org is an active "
                                                                            "member of.")


@strawberry.input
class CreateAllianceInput:
    name: str
    lead_org_id: strawberry.ID


@strawberry.input
class InviteToAllianceInput:
    alliance_id: strawberry.ID
    org_id: strawberry.ID


@strawberry.input
class RespondAllianceInviteInput:
    alliance_id: strawberry.ID
    org_id: strawberry.ID
    accept: bool


@strawberry.input
class LeaveAllianceInput:
    alliance_id: strawberry.ID
    org_id: strawberry.ID


@strawberry.type
class AlliancePayload:
    alliance: Alliance | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)
