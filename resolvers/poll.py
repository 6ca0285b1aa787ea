"""Household votes (电子投票): staff create, open and close polls; residents cast one vote per household."""

from __future__ import annotations

import strawberry

from auth import policies
from models import household as household_model
from models import poll as poll_model
from models.poll import PollStatus
from resolvers.common import audit_target, check_range, check_text, load_compound, require_login
from schema.context import Context
from schema.errors import ErrorCode, UserError, forbidden, user_error
from schema.poll import CastVoteInput, ClosePollInput, CreatePollInput, OpenPollInput, Poll, PollFilter, PollPayload
from schema.relay import Connection, connection, decode_cursor, page_size, pk_of, to_global_id, wants_rows

Info = strawberry.Info[Context, None]
MAX_OPTIONS = 20


async def polls(
    info: Info, filter: PollFilter | None = None, first: int | None = None, after: str | None = None
) -> Connection[Poll]:
    """Polls of the viewer's compounds (as a resident) and of compounds they manage, newest first."""
    ctx = info.context
    user_id = require_login(ctx)
    size, cursor = page_size(first, ctx.lang), decode_cursor(after, ctx.lang)
    f = filter or PollFilter()
    scope = await policies.project_scope(ctx.viewer)
    args = dict(user_id=user_id, managed_org_ids=list(scope.managed_org_ids),
                compound_id=(pk_of(f.compound_id, "Compound") or -1) if f.compound_id is not None else None,
                status=f.status)
    rows = await poll_model.page(**args, first=size, after=cursor) if wants_rows(info) else []
    return connection(rows, first=size, convert=Poll.from_model, total=lambda: poll_model.count(**args))


async def create_poll(info: Info, input: CreatePollInput) -> PollPayload:
    """The compound's branch or community staff draft a poll."""
    ctx = info.context
    user_id = require_login(ctx)
    errors: list[UserError] = []
    compound = await load_compound(ctx, errors, "compoundId", input.compound_id)
    if compound is None:
        return PollPayload(errors=errors)
    if not await policies.can_manage_compound(ctx.viewer, compound.id):
        raise forbidden(ctx.lang)
    title = check_text(ctx, errors, "title", input.title, min_len=1, max_len=100)
    description = check_text(ctx, errors, "description", input.description, min_len=0, max_len=5000)
    options = [option.strip() for option in input.options]
    if not 2 <= len(options) <= MAX_OPTIONS:
        errors.append(user_error(ctx.lang, ErrorCode.INVALID, ["options"], "option_count", max=MAX_OPTIONS))
    elif any(not 1 <= len(option) <= 100 or "\x00" in option for option in options):
        errors.append(user_error(ctx.lang, ErrorCode.INVALID, ["options"], "length", min=1, max=100))
    elif len(set(options)) != len(options):
        errors.append(user_error(ctx.lang, ErrorCode.DUPLICATE, ["options"], "option_repeated"))
    check_range(ctx, errors, "quorumPercent", input.quorum_percent, low=1, high=100)
    if input.opens_at is not None and input.closes_at is not None and input.closes_at <= input.opens_at:
        errors.append(user_error(ctx.lang, ErrorCode.INVALID, ["closesAt"], "ends_before_start"))
    if errors:
        return PollPayload(errors=errors)
    row = await poll_model.create(compound_id=compound.id, title=title, description=description, options=options,
                                  opens_at=input.opens_at, closes_at=input.closes_at,
                                  quorum_percent=input.quorum_percent, rule=input.rule, created_by=user_id)
    audit_target(ctx, object_id=to_global_id("Poll", row.id))
    return PollPayload(poll=Poll.from_model(row))


async def _staff_poll(ctx: Context, global_id: str) -> tuple[poll_model.Poll | None, list[UserError]]:
    """A poll the viewer may see and manage (NOT_FOUND when invisible, FORBIDDEN for residents)."""
    require_login(ctx)
    pk = pk_of(global_id, "Poll")
    row = await poll_model.get(poll_id=pk) if pk is not None else None
    if row is None or not await ctx.loaders.poll_visible.load(row.id):
        return None, [user_error(ctx.lang, ErrorCode.NOT_FOUND, ["pollId"], "not_found")]
    audit_target(ctx, object_id=to_global_id("Poll", row.id))
    if not await policies.can_manage_compound(ctx.viewer, row.compound_id):
        raise forbidden(ctx.lang)
    return row, []


async def _moved(ctx: Context, row: poll_model.Poll, to: PollStatus, expected: PollStatus) -> PollPayload:
    """Apply a status change, or INVALID_STATE with the state the poll is in."""
    if not await poll_model.transition(poll_id=row.id, to=to, expected=expected):
        current = await poll_model.get(poll_id=row.id)
        return PollPayload(errors=[user_error(ctx.lang, ErrorCode.INVALID_STATE, ["pollId"], "poll_state",
                                              status=(current or row).status.value)])
    return PollPayload(poll=Poll.from_model(await poll_model.get(poll_id=row.id)))


async def open_poll(info: Info, input: OpenPollInput) -> PollPayload:
    """DRAFT -> OPEN: voting starts (at `opensAt` if later)."""
    ctx = info.context
    row, errors = await _staff_poll(ctx, input.poll_id)
    if row is None:
        return PollPayload(errors=errors)
    return await _moved(ctx, row, PollStatus.OPEN, PollStatus.DRAFT)


async def close_poll(info: Info, input: ClosePollInput) -> PollPayload:
    """OPEN -> CLOSED: voting ends and residents see the results."""
    ctx = info.context
    row, errors = await _staff_poll(ctx, input.poll_id)
    if row is None:
        return PollPayload(errors=errors)
    ctx.loaders.poll_tally.clear_all()
    return await _moved(ctx, row, PollStatus.CLOSED, PollStatus.OPEN)


async def cast_vote(info: Info, input: CastVoteInput) -> PollPayload:
    """One vote per household, only by its residents and only while the poll is open; the second is DUPLICATE."""
    ctx = info.context
    user_id = require_login(ctx)
    pk = pk_of(input.poll_id, "Poll")
    row = await poll_model.get(poll_id=pk) if pk is not None else None
    if row is None or not await ctx.loaders.poll_visible.load(row.id):
        return PollPayload(errors=[user_error(ctx.lang, ErrorCode.NOT_FOUND, ["pollId"], "not_found")])
    audit_target(ctx, org_id=None, object_id=to_global_id("Poll", row.id))
    homes = await household_model.lives_in(user_id=user_id, compound_id=row.compound_id)
    if not homes:
        raise forbidden(ctx.lang)
    if input.household_id is not None:
        wanted = pk_of(input.household_id, "Household")
        homes = [h for h in homes if h.id == wanted]
        if not homes:
            return PollPayload(errors=[user_error(ctx.lang, ErrorCode.NOT_FOUND, ["householdId"], "not_found")])
    elif len(homes) > 1:
        return PollPayload(errors=[user_error(ctx.lang, ErrorCode.INVALID, ["householdId"], "household_required")])
    option_pk = pk_of(input.option_id, "PollOption")
    options = await ctx.loaders.poll_options.load(row.id)
    if option_pk not in {o.id for o in options}:
        return PollPayload(errors=[user_error(ctx.lang, ErrorCode.NOT_FOUND, ["optionId"], "not_found")])
    household = homes[0]
    if await poll_model.cast(poll_id=row.id, option_id=option_pk, household_id=household.id, user_id=user_id):
        ctx.loaders.poll_tally.clear_all()
        ctx.loaders.poll_voted.clear_all()
        return PollPayload(poll=Poll.from_model(row))
    if await poll_model.has_voted(poll_id=row.id, household_id=household.id):
        return PollPayload(errors=[user_error(ctx.lang, ErrorCode.DUPLICATE, ["pollId"], "already_voted")])
    return PollPayload(errors=[user_error(ctx.lang, ErrorCode.INVALID_STATE, ["pollId"], "poll_not_open")])
