"""Compound queries and mutations: the public directory and the community's register of compounds."""

from __future__ import annotations

import strawberry

from auth import policies
from models import compound as compound_model
from models import org as org_model
from models.enums import OrgKind
from resolvers.common import check_range, check_text, load_org, require_login
from schema.compound import Compound, CompoundFilter, CompoundPayload, CreateCompoundInput, UpdateCompoundInput
from schema.errors import ErrorCode, UserError, forbidden, user_error
from schema.relay import Connection, connection, decode_cursor, page_size, pk_of

from schema.context import Context

Info = strawberry.Info[Context, None]
MAX_HOUSEHOLDS = 100_000


async def compound(info: Info, id: strawberry.ID) -> Compound | None:
    """One compound by global id (public)."""
    pk = pk_of(id, "Compound")
    row = await info.context.loaders.compound.load(pk) if pk is not None else None
    return Compound.from_model(row) if row else None


async def compounds(
    info: Info, filter: CompoundFilter | None = None, first: int | None = None, after: str | None = None
) -> Connection[Compound]:
    """The compound directory, oldest first, filtered by org subtree, name/address and coverage."""
    ctx = info.context
    size, cursor = page_size(first, ctx.lang), decode_cursor(after, ctx.lang)
    org_id = None
    if filter and filter.org_id is not None:
        org_id = pk_of(filter.org_id, "Org") or -1
    search = ((filter.search or "").strip() or None) if filter else None
    covered = filter.covered if filter else None
    rows = await compound_model.page(org_id=org_id, search=search, covered=covered, first=size, after=cursor)
    return connection(rows, first=size, convert=Compound.from_model,
                      total=lambda: compound_model.count(org_id=org_id, search=search, covered=covered))


def _check_placement(
    ctx: Context, errors: list[UserError], community: org_model.Org | None, branch: org_model.Org | None
) -> None:
    """A compound belongs to a community; its branch (if any) must be one of that community's branches."""
    if community is not None and community.kind is not OrgKind.COMMUNITY_COMMITTEE:
        errors.append(user_error(ctx.lang, ErrorCode.INVALID_PARENT, ["communityId"], "must_be_community"))
    elif branch is not None and community is not None and (
        branch.kind is not OrgKind.COMPOUND_BRANCH or branch.parent_id != community.id
    ):
        errors.append(user_error(ctx.lang, ErrorCode.INVALID_PARENT, ["branchId"], "branch_not_in_community"))


async def create_compound(info: Info, input: CreateCompoundInput) -> CompoundPayload:
    """Register a compound in a community the viewer manages."""
    ctx = info.context
    require_login(ctx)
    errors: list[UserError] = []
    community = await load_org(ctx, errors, "communityId", input.community_id)
    branch = await load_org(ctx, errors, "branchId", input.branch_id) if input.branch_id is not None else None
    if errors:
        return CompoundPayload(errors=errors)
    if not await policies.can_manage(ctx.viewer, community.id):
        raise forbidden(ctx.lang)
    name = check_text(ctx, errors, "name", input.name, min_len=1, max_len=100)
    address = check_text(ctx, errors, "address", input.address, min_len=0, max_len=200) or None
    check_range(ctx, errors, "households", input.households, low=0, high=MAX_HOUSEHOLDS)
    _check_placement(ctx, errors, community, branch)
    if errors:
        return CompoundPayload(errors=errors)
    created = await compound_model.create(
        name=name, community=community, branch=branch, address=address, households=input.households,
        has_red_committee=input.has_red_committee, property_management=input.property_management,
    )
    return CompoundPayload(compound=Compound.from_model(created))


async def update_compound(info: Info, input: UpdateCompoundInput) -> CompoundPayload:
    """Change a compound's details; moving it needs management of both the old and the new community."""
    ctx = info.context
    require_login(ctx)
    errors: list[UserError] = []
    pk = pk_of(input.compound_id, "Compound")
    target = await compound_model.get(compound_id=pk) if pk is not None else None
    if target is None:
        return CompoundPayload(errors=[user_error(ctx.lang, ErrorCode.NOT_FOUND, ["compoundId"], "not_found")])
    if not await policies.can_manage(ctx.viewer, target.community_id):
        raise forbidden(ctx.lang)
    changes: dict[str, object] = {}
    community = await ctx.loaders.org.load(target.community_id)
    if input.community_id is not strawberry.UNSET:
        community = await load_org(ctx, errors, "communityId", input.community_id)
        if community is not None and community.id != target.community_id:
            if not await policies.can_manage(ctx.viewer, community.id):
                raise forbidden(ctx.lang)
            changes["community"] = community
    branch_id = target.branch_id
    if input.branch_id is not strawberry.UNSET:
        branch = await load_org(ctx, errors, "branchId", input.branch_id) if input.branch_id is not None else None
        branch_id = branch.id if branch else None
        changes["branch"] = branch
    branch = await ctx.loaders.org.load(branch_id) if branch_id is not None else None
    if errors:
        return CompoundPayload(errors=errors)
    _check_placement(ctx, errors, community, branch)
    if input.name is not strawberry.UNSET:
        changes["name"] = check_text(ctx, errors, "name", input.name, min_len=1, max_len=100)
    if input.address is not strawberry.UNSET:
        changes["address"] = check_text(ctx, errors, "address", input.address, min_len=0, max_len=200) or None
    if input.households is not strawberry.UNSET:
        if input.households is None:
            errors.append(user_error(ctx.lang, ErrorCode.INVALID, ["households"], "required"))
        else:
            changes["households"] = check_range(ctx, errors, "households", input.households, low=0, high=MAX_HOUSEHOLDS)
    for attr, field in (("has_red_committee", "hasRedCommittee"), ("property_management", "propertyManagement")):
        value = getattr(input, attr)
        if value is strawberry.UNSET:
            continue
        if value is None:
            errors.append(user_error(ctx.lang, ErrorCode.INVALID, [field], "required"))
        else:
            changes[attr] = value
    if errors:
        return CompoundPayload(errors=errors)
    updated = await compound_model.update(compound=target, changes=changes)
    return CompoundPayload(compound=Compound.from_model(updated))
