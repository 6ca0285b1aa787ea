"""Organisation queries and mutations: the public directory, hierarchy rules, pairing partner units."""

from __future__ import annotations

import strawberry

from auth import policies
from models import org as org_model
from models import user as user_model
from models.enums import PARENT_KINDS, MemberRole
from models.enums import OrgKind as OrgKindModel
from resolvers.common import check_text, load_org, require_login
from schema.errors import ErrorCode, UserError, forbidden, user_error
from schema.org import (
    Org, OrgFilter, OrgPayload, PairPartnerInput, PairPartnerPayload, UnpairPartnerInput, UpdateOrgInput,
    CreateOrgInput,
)
from schema.relay import Connection, connection, decode_cursor, page_size, pk_of

from schema.context import Context

Info = strawberry.Info[Context, None]


async def org(info: Info, id: strawberry.ID) -> Org | None:
    """One org by global id (the directory is public); null when there is none."""
    pk = pk_of(id, "Org")
    row = await info.context.loaders.org.load(pk) if pk is not None else None
    return Org.from_model(row) if row else None


async def orgs(
    info: Info, filter: OrgFilter | None = None, first: int | None = None, after: str | None = None
) -> Connection[Org]:
    """The organisation directory, oldest first, filtered by kind, parent or name."""
    ctx = info.context
    size, cursor = page_size(first, ctx.lang), decode_cursor(after, ctx.lang)
    kind = filter.kind if filter else None
    search = (filter.search or "").strip() or None if filter else None
    parent_id = None
    if filter and filter.parent_id is not None:
        parent_id = pk_of(filter.parent_id, "Org") or -1  # an unknown parent simply has no children
    rows = await org_model.page(kind=kind, parent_id=parent_id, search=search, first=size, after=cursor)
    return connection(rows, first=size, convert=Org.from_model,
                      total=lambda: org_model.count(kind=kind, parent_id=parent_id, search=search))


def _kind_label(kind: OrgKindModel | None) -> str:
    return kind.value if kind else "NONE"


async def create_org(info: Info, input: CreateOrgInput) -> OrgPayload:
    """Create an org under a parent the viewer manages; kinds must follow the hierarchy (else INVALID_PARENT)."""
    ctx = info.context
    user_id = require_login(ctx)
    errors: list[UserError] = []
    name = check_text(ctx, errors, "name", input.name, min_len=1, max_len=100)
    kind = OrgKindModel(input.kind.value)
    parent = None
    if input.parent_id is not None:
        parent = await load_org(ctx, errors, "parentId", input.parent_id)
        if parent is None:
            return OrgPayload(errors=errors)
    if not await policies.can_create_org(ctx.viewer, kind, parent.id if parent else None):
        raise forbidden(ctx.lang)
    allowed = PARENT_KINDS[kind]
    if (parent.kind if parent else None) not in allowed:
        key = "parent_required" if parent is None else ("parent_forbidden" if None in allowed else "invalid_parent")
        errors.append(user_error(ctx.lang, ErrorCode.INVALID_PARENT, ["parentId"], key,
                                 kind=kind.value, parent=_kind_label(parent.kind if parent else None)))
    if errors:
        return OrgPayload(errors=errors)
    created = await org_model.create(name=name, kind=kind, parent=parent)
    if parent is None:
        # The founder of a root org (a partner unit or a district) becomes its first ADMIN.
        founder = await user_model.get(user_id=user_id)
        if founder is not None:
            await user_model.upsert_membership(user=founder, org=created, role=MemberRole.ADMIN)
    return OrgPayload(org=Org.from_model(created))


async def update_org(info: Info, input: UpdateOrgInput) -> OrgPayload:
    """Rename an org the viewer manages."""
    ctx = info.context
    require_login(ctx)
    errors: list[UserError] = []
    target = await load_org(ctx, errors, "orgId", input.org_id)
    if target is None:
        return OrgPayload(errors=errors)
    if not await policies.can_manage(ctx.viewer, target.id):
        raise forbidden(ctx.lang)
    name = check_text(ctx, errors, "name", input.name, min_len=1, max_len=100)
    if errors:
        return OrgPayload(errors=errors)
    return OrgPayload(org=Org.from_model(await org_model.rename(org=target, name=name)))


async def _pairing(
    ctx: Context, partner_gid: str, org_gid: str
) -> tuple[org_model.Org | None, org_model.Org | None, list[UserError]]:
    """Resolve and check both sides of a pairing; the street/community side must be managed by the viewer."""
    require_login(ctx)
    errors: list[UserError] = []
    partner = await load_org(ctx, errors, "partnerUnitId", partner_gid)
    target = await load_org(ctx, errors, "orgId", org_gid)
    if errors or partner is None or target is None:
        return partner, target, errors
    if not await policies.can_pair(ctx.viewer, target.id):
        raise forbidden(ctx.lang)
    if partner.kind is not OrgKindModel.PARTNER_UNIT:
        errors.append(user_error(ctx.lang, ErrorCode.INVALID, ["partnerUnitId"], "must_be_partner"))
    if target.kind not in (OrgKindModel.STREET_COMMITTEE, OrgKindModel.COMMUNITY_COMMITTEE):
        errors.append(user_error(ctx.lang, ErrorCode.INVALID, ["orgId"], "must_be_street_or_community"))
    return partner, target, errors


async def pair_partner(info: Info, input: PairPartnerInput) -> PairPartnerPayload:
    """Pair a partner unit with a street or community (结对共建); DUPLICATE when already paired."""
    ctx = info.context
    partner, target, errors = await _pairing(ctx, input.partner_unit_id, input.org_id)
    if not errors and partner and target and not await org_model.pair(partner=partner, org=target):
        errors.append(user_error(ctx.lang, ErrorCode.DUPLICATE, ["partnerUnitId"], "already_paired"))
    if errors:
        return PairPartnerPayload(errors=errors)
    return PairPartnerPayload(partner=Org.from_model(partner), org=Org.from_model(target))


async def unpair_partner(info: Info, input: UnpairPartnerInput) -> PairPartnerPayload:
    """Dissolve a pairing; NOT_FOUND when there was none."""
    ctx = info.context
    partner, target, errors = await _pairing(ctx, input.partner_unit_id, input.org_id)
    if not errors and partner and target and not await org_model.unpair(partner=partner, org=target):
        errors.append(user_error(ctx.lang, ErrorCode.NOT_FOUND, ["partnerUnitId"], "not_paired"))
    if errors:
        return PairPartnerPayload(errors=errors)
    return PairPartnerPayload(partner=Org.from_model(partner), org=Org.from_model(target))
