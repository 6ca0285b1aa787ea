"""Alliances (党建联盟): the lead's admin founds and invites; invited orgs' admins accept or decline; members leave."""

from __future__ import annotations

import strawberry

from auth import policies
from models import alliance as alliance_model
from models.alliance import AllianceMemberStatus as Status
from models.org import Org
from resolvers.common import audit_target, check_text, load_org, require_login
from schema.alliance import (
    Alliance, AllianceFilter, AlliancePayload, CreateAllianceInput, InviteToAllianceInput, LeaveAllianceInput,
    RespondAllianceInviteInput,
)
from schema.context import Context
from schema.errors import ErrorCode, UserError, forbidden, user_error
from schema.relay import Connection, connection, decode_cursor, page_size, pk_of, to_global_id

Info = strawberry.Info[Context, None]


async def alliances(
    info: Info, filter: AllianceFilter | None = None, first: int | None = None, after: str | None = None
) -> Connection[Alliance]:
    """Alliances (public), oldest first, optionally those an org is an active member of."""
    ctx = info.context
    size, cursor = page_size(first, ctx.lang), decode_cursor(after, ctx.lang)
    org_id = (pk_of(filter.org_id, "Org") or -1) if filter and filter.org_id is not None else None
    rows = await alliance_model.page(org_id=org_id, first=size, after=cursor)
    return connection(rows, first=size, convert=Alliance.from_model, total=lambda: alliance_model.count(org_id=org_id))


async def _load_alliance(ctx: Context, errors: list[UserError], global_id: str) -> alliance_model.Alliance | None:
    pk = pk_of(global_id, "Alliance")
    row = await ctx.loaders.alliance.load(pk) if pk is not None else None
    if row is None:
        errors.append(user_error(ctx.lang, ErrorCode.NOT_FOUND, ["allianceId"], "not_found"))
    else:
        audit_target(ctx, org_id=row.lead_id, object_id=to_global_id("Alliance", row.id))
    return row


async def _alliance_and_org(
    ctx: Context, alliance_gid: str, org_gid: str
) -> tuple[alliance_model.Alliance | None, Org | None, list[UserError]]:
    """Both objects an alliance mutation acts on, or NOT_FOUND errors for the missing ones."""
    require_login(ctx)
    errors: list[UserError] = []
    row = await _load_alliance(ctx, errors, alliance_gid)
    org = await load_org(ctx, errors, "orgId", org_gid)
    return row, org, errors


async def _payload(alliance_id: int) -> AlliancePayload:
    return AlliancePayload(alliance=Alliance.from_model(await alliance_model.get(alliance_id=alliance_id)))


async def create_alliance(info: Info, input: CreateAllianceInput) -> AlliancePayload:
    """Found an alliance led by an org the viewer is ADMIN of (partner units may lead: 龙头带小微)."""
    ctx = info.context
    require_login(ctx)
    errors: list[UserError] = []
    lead = await load_org(ctx, errors, "leadOrgId", input.lead_org_id)
    if lead is None:
        return AlliancePayload(errors=errors)
    if not await policies.is_admin(ctx.viewer, lead.id):
        raise forbidden(ctx.lang)
    name = check_text(ctx, errors, "name", input.name, min_len=1, max_len=100)
    if errors:
        return AlliancePayload(errors=errors)
    row = await alliance_model.create(name=name, lead_id=lead.id)
    return await _payload(row.id)


async def invite_to_alliance(info: Info, input: InviteToAllianceInput) -> AlliancePayload:
    """The lead's ADMIN invites an org; DUPLICATE when it is already invited or a member."""
    ctx = info.context
    row, org, errors = await _alliance_and_org(ctx, input.alliance_id, input.org_id)
    if row is None or org is None:
        return AlliancePayload(errors=errors)
    if not await policies.is_admin(ctx.viewer, row.lead_id):
        raise forbidden(ctx.lang)
    if not await alliance_model.invite(alliance_id=row.id, org_id=org.id):
        return AlliancePayload(errors=[user_error(ctx.lang, ErrorCode.DUPLICATE, ["orgId"], "already_member")])
    return await _payload(row.id)


async def respond_alliance_invite(info: Info, input: RespondAllianceInviteInput) -> AlliancePayload:
    """The invited org's ADMIN accepts or declines; INVALID_STATE unless the org is invited."""
    ctx = info.context
    row, org, errors = await _alliance_and_org(ctx, input.alliance_id, input.org_id)
    if row is None or org is None:
        return AlliancePayload(errors=errors)
    if not await policies.is_admin(ctx.viewer, org.id):
        raise forbidden(ctx.lang)
    to = Status.ACTIVE if input.accept else Status.DECLINED
    if not await alliance_model.move(alliance_id=row.id, org_id=org.id, to=to, allowed_from=Status.INVITED):
        return AlliancePayload(errors=[user_error(ctx.lang, ErrorCode.INVALID_STATE, ["orgId"], "not_invited")])
    return await _payload(row.id)


async def leave_alliance(info: Info, input: LeaveAllianceInput) -> AlliancePayload:
    """A member's ADMIN leaves (or the lead's ADMIN removes it); the lead itself cannot leave."""
    ctx = info.context
    row, org, errors = await _alliance_and_org(ctx, input.alliance_id, input.org_id)
    if row is None or org is None:
        return AlliancePayload(errors=errors)
    if not (await policies.is_admin(ctx.viewer, org.id) or await policies.is_admin(ctx.viewer, row.lead_id)):
        raise forbidden(ctx.lang)
    if org.id == row.lead_id:
        return AlliancePayload(errors=[user_error(ctx.lang, ErrorCode.INVALID_STATE, ["orgId"], "lead_cannot_leave")])
    if not await alliance_model.move(alliance_id=row.id, org_id=org.id, to=Status.LEFT, allowed_from=Status.ACTIVE):
        return AlliancePayload(errors=[user_error(ctx.lang, ErrorCode.INVALID_STATE, ["orgId"], "not_active_member")])
    return await _payload(row.id)
