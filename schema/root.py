"""Query and Mutation: the contract's operations wired to their resolvers, and the schema factory."""

from __future__ import annotations

import strawberry
from graphql import GraphQLError
from strawberry.types import ExecutionContext
from strawberry.schema.config import StrawberryConfig

from jinlin.settings import Settings
from resolvers import auth as auth_r
from resolvers import compound as compound_r
from resolvers import node as node_r
from resolvers import org as org_r
from resolvers import user as user_r
from schema import extensions
from schema.auth import AuthPayload, LogoutPayload
from schema.compound import Compound, CompoundPayload
from schema.org import Org, OrgPayload, PairPartnerPayload
from schema.relay import Connection, Node
from schema.user import MembershipPayload, User


@strawberry.type
class Query:
    node: Node | None = strawberry.field(resolver=node_r.node)
    nodes: list[Node | None] = strawberry.field(resolver=node_r.nodes)
    viewer: User | None = strawberry.field(resolver=user_r.viewer)
    org: Org | None = strawberry.field(resolver=org_r.org)
    orgs: Connection[Org] = strawberry.field(resolver=org_r.orgs)
    compound: Compound | None = strawberry.field(resolver=compound_r.compound)
    compounds: Connection[Compound] = strawberry.field(resolver=compound_r.compounds)


@strawberry.type
class Mutation:
    sign_up: AuthPayload = strawberry.mutation(resolver=auth_r.sign_up)
    login: AuthPayload = strawberry.mutation(resolver=auth_r.login)
    refresh_token: AuthPayload = strawberry.mutation(resolver=auth_r.refresh_token)
    logout: LogoutPayload = strawberry.mutation(resolver=auth_r.logout)
    create_org: OrgPayload = strawberry.mutation(resolver=org_r.create_org)
    update_org: OrgPayload = strawberry.mutation(resolver=org_r.update_org)
    create_compound: CompoundPayload = strawberry.mutation(resolver=compound_r.create_compound)
    update_compound: CompoundPayload = strawberry.mutation(resolver=compound_r.update_compound)
    pair_partner: PairPartnerPayload = strawberry.mutation(resolver=org_r.pair_partner)
    unpair_partner: PairPartnerPayload = strawberry.mutation(resolver=org_r.unpair_partner)
    add_member: MembershipPayload = strawberry.mutation(resolver=user_r.add_member)
    remove_member: MembershipPayload = strawberry.mutation(resolver=user_r.remove_member)


class Schema(strawberry.Schema):
    """strawberry's schema, quiet about errors meant for the client (faults are logged when masked)."""

    def process_errors(self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None) -> None:
        return None


def build_schema(settings: Settings | None = None) -> strawberry.Schema:
    """The schema for a deployment: the same types everywhere, limits and suggestions by environment."""
    settings = settings or Settings()
    return Schema(
        query=Query,
        mutation=Mutation,
        types=[Org, Compound, User],
        extensions=extensions.build(settings),
        config=StrawberryConfig(disable_field_suggestions=settings.production),
    )
