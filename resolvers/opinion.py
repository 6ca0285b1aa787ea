"""Opinions (听邻说事 → 让邻事办): residents submit, staff record, assign, reply and close."""

from __future__ import annotations

import strawberry

from auth import policies
from models import opinion as opinion_model
from models import user as user_model
from models.opinion import OpinionChannel
from resolvers.common import audit_target, check_phone, check_text, load_compound, load_org, require_login
from resolvers.photo import check_photos, store_photos
from schema.context import Context
from schema.errors import ErrorCode, UserError, forbidden, user_error
from schema.opinion import (
    AssignOpinionInput, CloseOpinionInput, Opinion, OpinionFilter, OpinionPayload, ReplyOpinionInput,
    SubmitOpinionInput,
)
from schema.relay import Connection, connection, decode_cursor, page_size, pk_of, to_global_id, wants_rows

Info = strawberry.Info[Context, None]


async def opinions(
    info: Info, filter: OpinionFilter | None = None, first: int | None = None, after: str | None = None
) -> Connection[Opinion]:
    """Opinions the viewer may see (`mine`: only those they submitted), newest first."""
    ctx = info.context
    user_id = require_login(ctx)
    size, cursor = page_size(first, ctx.lang), decode_cursor(after, ctx.lang)
    f = filter or OpinionFilter()
    scope = await policies.project_scope(ctx.viewer)
    args = dict(user_id=user_id, managed_org_ids=list(scope.managed_org_ids), mine=f.mine,
                org_id=(pk_of(f.org_id, "Org") or -1) if f.org_id is not None else None, status=f.status)
    rows = await opinion_model.page(**args, first=size, after=cursor) if wants_rows(info) else []
    return connection(rows, first=size, convert=Opinion.from_model, total=lambda: opinion_model.count(**args))


async def submit_opinion(info: Info, input: SubmitOpinionInput) -> OpinionPayload:
    """From the app a resident speaks for themself; staff record what they heard for the compound or org they
    manage, naming the resident by phone when known."""
    ctx = info.context
    user_id = require_login(ctx)
    errors: list[UserError] = []
    text = check_text(ctx, errors, "text", input.text, min_len=1, max_len=2000)
    compound = None
    if input.compound_id is not None:
        compound = await load_compound(ctx, errors, "compoundId", input.compound_id)
    org = await load_org(ctx, errors, "orgId", input.org_id) if input.org_id is not None else None
    if errors:
        return OpinionPayload(errors=errors)
    author_id: int | None = user_id
    contact_phone: str | None = None
    recorded_by: int | None = None
    if input.channel is OpinionChannel.APP:
        if input.resident_phone is not None or org is not None:
            errors.append(user_error(ctx.lang, ErrorCode.INVALID, ["channel"], "staff_channel_required"))
        if compound is None and not errors:
            homes = (await ctx.loaders.households_of_user.load(user_id))
            compound = await ctx.loaders.compound.load(homes[0].compound_id) if homes else None
            if compound is None:
                errors.append(user_error(ctx.lang, ErrorCode.INVALID, ["compoundId"], "compound_required"))
        owner_id = compound.community_id if compound else 0
    else:
        # Recorded by staff: for a compound (its branch or community) or an org they manage.
        target = (compound.branch_id or compound.community_id) if compound else (org.id if org else None)
        if target is None:
            return OpinionPayload(errors=[user_error(ctx.lang, ErrorCode.INVALID, ["compoundId"],
                                                     "compound_required")])
        if not await policies.can_manage(ctx.viewer, target):
            raise forbidden(ctx.lang)
        owner_id = compound.community_id if compound else target
        recorded_by, author_id = user_id, None
        if input.resident_phone is not None:
            phone = check_phone(ctx, errors, "residentPhone", input.resident_phone)
            person = await user_model.get_by_phone(phone=phone) if not errors else None
            author_id = person.id if person else None
            contact_phone = None if person else phone
    photos = await check_photos(ctx, errors, input.photos)
    if errors:
        return OpinionPayload(errors=errors)
    row = await opinion_model.submit(text=text, category=input.category, compound_id=compound.id if compound else None,
                                     org_id=owner_id, channel=input.channel, anonymous=input.anonymous,
                                     author_id=author_id, contact_phone=contact_phone, recorded_by=recorded_by,
                                     photos=await store_photos(ctx, photos))
    audit_target(ctx, org_id=owner_id, object_id=to_global_id("Opinion", row.id))
    return OpinionPayload(opinion=Opinion.from_model(row))


async def _handled(ctx: Context, global_id: str) -> tuple[opinion_model.Opinion | None, list[UserError]]:
    """An opinion the viewer may handle (NOT_FOUND when they may not even see it, FORBIDDEN when only see it)."""
    require_login(ctx)
    pk = pk_of(global_id, "Opinion")
    row = await opinion_model.get(opinion_id=pk) if pk is not None else None
    if row is None or not await ctx.loaders.opinion_visible.load(row.id):
        return None, [user_error(ctx.lang, ErrorCode.NOT_FOUND, ["opinionId"], "not_found")]
    audit_target(ctx, org_id=row.org_id, object_id=to_global_id("Opinion", row.id))
    if not await policies.can_handle_opinion(ctx.viewer, row):
        raise forbidden(ctx.lang)
    return row, []


async def _payload(ctx: Context, opinion_id: int) -> OpinionPayload:
    """The opinion as it is now, its replies re-read."""
    ctx.loaders.opinion_replies.clear_all()
    return OpinionPayload(opinion=Opinion.from_model(await opinion_model.get(opinion_id=opinion_id)))


async def assign_opinion(info: Info, input: AssignOpinionInput) -> OpinionPayload:
    """Hand an opinion to an org to act on (让邻事办)."""
    ctx = info.context
    row, errors = await _handled(ctx, input.opinion_id)
    if row is None:
        return OpinionPayload(errors=errors)
    org = await load_org(ctx, errors, "orgId", input.org_id)
    if org is None:
        return OpinionPayload(errors=errors)
    if not await opinion_model.assign(opinion_id=row.id, org_id=org.id):
        return OpinionPayload(errors=[user_error(ctx.lang, ErrorCode.INVALID_STATE, ["opinionId"],
                                                 "opinion_closed")])
    return await _payload(ctx, row.id)


async def reply_opinion(info: Info, input: ReplyOpinionInput) -> OpinionPayload:
    """Answer the resident (they see it under the opinion), on behalf of the assignee, the owning org or the
    compound's branch: the first of them the replier manages."""
    ctx = info.context
    user_id = require_login(ctx)
    row, errors = await _handled(ctx, input.opinion_id)
    if row is None:
        return OpinionPayload(errors=errors)
    text = check_text(ctx, errors, "text", input.text, min_len=1, max_len=2000)
    if errors:
        return OpinionPayload(errors=errors)
    on_behalf = row.org_id  # the assignee's, the owner's, else the compound branch's voice: whichever they manage
    if row.assignee_id is not None and await policies.can_manage(ctx.viewer, row.assignee_id):
        on_behalf = row.assignee_id
    elif not await policies.can_manage(ctx.viewer, row.org_id) and row.compound_id is not None:
        compound = await ctx.loaders.compound.load(row.compound_id)
        on_behalf = compound.branch_id if compound and compound.branch_id else row.org_id
    if await opinion_model.reply(opinion_id=row.id, org_id=on_behalf, author_id=user_id, text=text) is None:
        return OpinionPayload(errors=[user_error(ctx.lang, ErrorCode.INVALID_STATE, ["opinionId"],
                                                 "opinion_closed")])
    return await _payload(ctx, row.id)


async def close_opinion(info: Info, input: CloseOpinionInput) -> OpinionPayload:
    """Close the loop, once."""
    ctx = info.context
    row, errors = await _handled(ctx, input.opinion_id)
    if row is None:
        return OpinionPayload(errors=errors)
    if not await opinion_model.close(opinion_id=row.id):
        return OpinionPayload(errors=[user_error(ctx.lang, ErrorCode.INVALID_STATE, ["opinionId"],
                                                 "opinion_closed")])
    return await _payload(ctx, row.id)

