"""Duty rotation (轮值驻点): plan a centre's roster, swap shifts with consent, check in on the day, list shifts."""

from __future__ import annotations

from datetime import date

import strawberry

from auth import policies
from models import duty as duty_model
from models.enums import OrgKind
from resolvers.common import audit_target, check_range, load_org, require_login
from schema.context import Context
from schema.duty import (
    CheckInDutyInput, DutyRosterPayload, DutyShift, DutyShiftFilter, DutyShiftPayload, GenerateDutyRosterInput,
    SwapDutyInput, SwapDutyPayload,
)
from schema.errors import ErrorCode, UserError, forbidden, user_error
from schema.org import Org
from schema.relay import (
    Connection, connection, decode_pair_cursor, encode_pair_cursor, page_size, pk_of, to_global_id, wants_rows,
)

Info = strawberry.Info[Context, None]
CENTRE_KINDS = frozenset({OrgKind.STREET_COMMITTEE, OrgKind.COMMUNITY_COMMITTEE})
MAX_ROSTER_DAYS = 366
MAX_UNITS_PER_DAY = 100


def _cursor(row: object) -> str:
    return encode_pair_cursor(row.duty_date.toordinal(), row.id)  # type: ignore[attr-defined]


async def duty_shifts(
    info: Info, filter: DutyShiftFilter | None = None, first: int | None = None, after: str | None = None
) -> Connection[DutyShift]:
    """The roster, by day: at centres in an org's subtree or served by a unit, optionally between two days."""
    ctx = info.context
    require_login(ctx)
    size, cursor = page_size(first, ctx.lang), decode_pair_cursor(after, ctx.lang)
    org_id = (pk_of(filter.org_id, "Org") or -1) if filter and filter.org_id is not None else None
    args = dict(org_id=org_id, start=filter.from_ if filter else None, end=filter.to if filter else None)
    position = (date.fromordinal(max(1, min(cursor[0], date.max.toordinal()))), cursor[1]) if cursor else None
    rows = await duty_model.page(**args, first=size, after=position) if wants_rows(info) else []
    return connection(rows, first=size, convert=DutyShift.from_model, cursor=_cursor,
                      total=lambda: duty_model.count(**args))


async def generate_duty_roster(info: Info, input: GenerateDutyRosterInput) -> DutyRosterPayload:
    """The centre's staff plan the rotation of its paired partner units over a period."""
    ctx = info.context
    require_login(ctx)
    errors: list[UserError] = []
    centre = await load_org(ctx, errors, "centreOrgId", input.centre_org_id)
    if centre is None:
        return DutyRosterPayload(errors=errors)
    if not await policies.can_run_roster(ctx.viewer, centre.id):
        raise forbidden(ctx.lang)
    if centre.kind not in CENTRE_KINDS:
        errors.append(user_error(ctx.lang, ErrorCode.INVALID, ["centreOrgId"], "roster_centre_kind"))
    if input.from_ < duty_model.local_today():
        errors.append(user_error(ctx.lang, ErrorCode.INVALID, ["from"], "date_in_past"))
    if input.to < input.from_:
        errors.append(user_error(ctx.lang, ErrorCode.INVALID, ["to"], "date_order"))
    elif (input.to - input.from_).days + 1 > MAX_ROSTER_DAYS:
        errors.append(user_error(ctx.lang, ErrorCode.INVALID, ["to"], "period_too_long", days=MAX_ROSTER_DAYS))
    check_range(ctx, errors, "unitsPerDay", input.units_per_day, low=1, high=MAX_UNITS_PER_DAY)
    if errors:
        return DutyRosterPayload(errors=errors)
    units = await duty_model.units_of(centre_id=centre.id)
    if not units:
        return DutyRosterPayload(errors=[user_error(ctx.lang, ErrorCode.INVALID, ["centreOrgId"], "no_duty_units")])
    if input.units_per_day > len(units):
        return DutyRosterPayload(errors=[user_error(ctx.lang, ErrorCode.INVALID, ["unitsPerDay"], "not_enough_units",
                                                    count=len(units))])
    try:
        result = await duty_model.generate(centre_id=centre.id, units=units, start=input.from_, end=input.to,
                                           per_day=input.units_per_day)
    except duty_model.RosterConflict:
        return DutyRosterPayload(errors=[user_error(ctx.lang, ErrorCode.CONFLICT, ["centreOrgId"],
                                                    "roster_conflict")])
    return DutyRosterPayload(centre=Org.from_model(centre), created_count=result.created, kept_count=result.kept,
                             unit_count=len(units), short_days=result.short_days)


async def _load_shift(ctx: Context, errors: list[UserError], field: str, global_id: str,
                      fetched: dict[int, duty_model.DutyShift] | None = None) -> duty_model.DutyShift | None:
    """A shift by global id (from `fetched` when given), or NOT_FOUND on `field` (every logged-in user sees the
    roster)."""
    pk = pk_of(global_id, "DutyShift")
    if pk is None:
        row = None
    else:
        row = fetched.get(pk) if fetched is not None else await duty_model.get(shift_id=pk)
    if row is None:
        errors.append(user_error(ctx.lang, ErrorCode.NOT_FOUND, [field], "not_found"))
    return row


async def _swap_payload(ctx: Context, shift_id: int, with_id: int, swapped: bool) -> SwapDutyPayload:
    """Both shifts as they are now (re-read, not taken from the request's cache); INVALID_STATE when a new roster
    replaced one meanwhile."""
    rows = await duty_model.get_many(shift_ids=[shift_id, with_id])
    if len(rows) < 2:
        return SwapDutyPayload(errors=[user_error(ctx.lang, ErrorCode.INVALID_STATE, ["shiftId"], "swap_changed")])
    for row in rows.values():
        ctx.loaders.duty_shift.prime(row.id, row, force=True)
    return SwapDutyPayload(shift=DutyShift.from_model(rows[shift_id]), with_shift=DutyShift.from_model(rows[with_id]),
                           swapped=swapped)


async def swap_duty(info: Info, input: SwapDutyInput) -> SwapDutyPayload:
    """Centre staff swap two units' days at once; a unit's staff consent, and the second consent swaps."""
    ctx = info.context
    user_id = require_login(ctx)
    errors: list[UserError] = []
    # Both shifts in one statement: as of one moment, so a concurrent swap cannot show both with the same unit.
    pks = [pk for pk in (pk_of(input.shift_id, "DutyShift"), pk_of(input.with_shift_id, "DutyShift")) if pk]
    pair = await duty_model.get_many(shift_ids=pks) if pks else {}
    shift = await _load_shift(ctx, errors, "shiftId", input.shift_id, pair)
    other = await _load_shift(ctx, errors, "withShiftId", input.with_shift_id, pair)
    if shift is None or other is None:
        return SwapDutyPayload(errors=errors)
    audit_target(ctx, org_id=shift.centre_id, object_id=to_global_id("DutyShift", shift.id))
    by_centre = await policies.can_run_roster(ctx.viewer, shift.centre_id)
    mine: list[tuple[duty_model.DutyShift, duty_model.DutyShift]] = []
    if not by_centre:
        if await policies.can_act_for_unit(ctx.viewer, shift.unit_id):
            mine.append((shift, other))
        if await policies.can_act_for_unit(ctx.viewer, other.unit_id):
            mine.append((other, shift))
        if not mine:
            raise forbidden(ctx.lang)
    today = duty_model.local_today()
    if shift.id == other.id:
        errors.append(user_error(ctx.lang, ErrorCode.INVALID, ["withShiftId"], "same_shift"))
    elif shift.centre_id != other.centre_id:
        errors.append(user_error(ctx.lang, ErrorCode.INVALID, ["withShiftId"], "different_centre"))
    elif shift.duty_date == other.duty_date:
        errors.append(user_error(ctx.lang, ErrorCode.INVALID, ["withShiftId"], "same_day"))
    elif shift.unit_id == other.unit_id:
        errors.append(user_error(ctx.lang, ErrorCode.INVALID, ["withShiftId"], "same_unit"))
    for field, row in (("shiftId", shift), ("withShiftId", other)):
        if row.checked_in_at is not None:
            errors.append(user_error(ctx.lang, ErrorCode.INVALID_STATE, [field], "shift_served"))
        elif row.duty_date < today:
            errors.append(user_error(ctx.lang, ErrorCode.INVALID_STATE, [field], "shift_past"))
    if errors:
        return SwapDutyPayload(errors=errors)
    try:
        for own, theirs in mine:
            await duty_model.consent(shift=own, other=theirs, user_id=user_id)
        swapped = await duty_model.swap(shift=shift, other=other, need_consent=not by_centre)
    except duty_model.RosterConflict as exc:
        key = "roster_conflict" if isinstance(exc, duty_model.Contention) else "unit_busy"
        return SwapDutyPayload(errors=[user_error(ctx.lang, ErrorCode.CONFLICT, ["withShiftId"], key)])
    if by_centre and not swapped:
        return SwapDutyPayload(errors=[user_error(ctx.lang, ErrorCode.INVALID_STATE, ["shiftId"], "swap_changed")])
    return await _swap_payload(ctx, shift.id, other.id, swapped)


async def check_in_duty(info: Info, input: CheckInDutyInput) -> DutyShiftPayload:
    """The unit on duty reports at the centre (its staff, on the day, once)."""
    ctx = info.context
    user_id = require_login(ctx)
    errors: list[UserError] = []
    shift = await _load_shift(ctx, errors, "shiftId", input.shift_id)
    if shift is None:
        return DutyShiftPayload(errors=errors)
    audit_target(ctx, org_id=shift.unit_id, object_id=to_global_id("DutyShift", shift.id))
    if not await policies.can_act_for_unit(ctx.viewer, shift.unit_id):
        raise forbidden(ctx.lang)
    today = duty_model.local_today()
    if shift.checked_in_at is not None:
        return DutyShiftPayload(errors=[user_error(ctx.lang, ErrorCode.INVALID_STATE, ["shiftId"],
                                                   "already_checked_in")])
    if shift.duty_date != today:
        return DutyShiftPayload(errors=[user_error(ctx.lang, ErrorCode.INVALID_STATE, ["shiftId"], "not_duty_day",
                                                   date=shift.duty_date.isoformat())])
    served = await duty_model.check_in(shift_id=shift.id, unit_id=shift.unit_id, user_id=user_id, today=today)
    row = await duty_model.get(shift_id=shift.id)
    if not served:  # a concurrent check-in, or the shift was swapped away meanwhile
        key = "already_checked_in" if row is not None and row.checked_in_at is not None else "swap_changed"
        return DutyShiftPayload(errors=[user_error(ctx.lang, ErrorCode.INVALID_STATE, ["shiftId"], key)])
    return DutyShiftPayload(shift=DutyShift.from_model(row))
