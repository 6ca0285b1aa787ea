"""Duty rotation (轮值驻点): partner units take turns serving at a street's or community's party-mass service centre.

A unit serves at most one centre on a day (a unique constraint), rosters are planned evenly, swaps need both
units' consent (or the centre's staff), and a unit checks in on its day, once.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone

from tortoise import fields
from tortoise.exceptions import IntegrityError
from tortoise.models import Model
from tortoise.transactions import in_transaction

from jinlin import db
from models.org import Org
from models.user import User

# The district's civil time (China keeps UTC+8 all year): duty days and "today" are dates there.
LOCAL_TZ = timezone(timedelta(hours=8), "Asia/Shanghai")


class DutyShift(Model):
    """One partner unit on duty at one centre on one day."""

    id = fields.IntField(primary_key=True)
    centre: fields.ForeignKeyRelation[Org] = fields.ForeignKeyField(
        "jinlin.Org", related_name=False, on_delete=fields.CASCADE
    )
    unit: fields.ForeignKeyRelation[Org] = fields.ForeignKeyField(
        "jinlin.Org", related_name=False, on_delete=fields.CASCADE
    )
    duty_date = fields.DateField()
    checked_in_at = fields.DatetimeField(null=True)
    checked_in_by: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "jinlin.User", related_name=False, null=True, on_delete=fields.SET_NULL
    )
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "duty_shift"
        unique_together = (("unit_id", "duty_date"),)
        indexes = (("centre_id", "duty_date", "id"), ("duty_date", "id"))


class DutySwapConsent(Model):
    """A unit's consent to trade its shift for another: the swap happens once both units have consented.

    The consent names the units it was given for, so it lapses by itself when either shift changes hands.
    """

    id = fields.IntField(primary_key=True)
    shift: fields.ForeignKeyRelation[DutyShift] = fields.ForeignKeyField(
        "jinlin.DutyShift", related_name=False, on_delete=fields.CASCADE
    )
    with_shift: fields.ForeignKeyRelation[DutyShift] = fields.ForeignKeyField(
        "jinlin.DutyShift", related_name=False, on_delete=fields.CASCADE
    )
    unit_id = fields.IntField()
    with_unit_id = fields.IntField()
    given_by: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "jinlin.User", related_name=False, null=True, on_delete=fields.SET_NULL
    )
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "duty_swap_consent"
        unique_together = (("shift_id", "with_shift_id"),)
        indexes = (("with_shift_id", "shift_id"),)


class RosterConflict(Exception):
    """Another roster or swap took a unit's day meanwhile (the unique constraint said no)."""


class Contention(RosterConflict):
    """PostgreSQL chose this transaction as a deadlock's victim (or it failed to serialise): try again."""


def _contention(exc: BaseException) -> bool:
    """PostgreSQL aborted the transaction for a deadlock or a serialisation failure (asyncpg's error passes tortoise
    untranslated): answered like a conflict, never as a fault."""
    return getattr(exc, "sqlstate", None) in ("40P01", "40001")


async def _lock_pair(conn: object, shift_ids: list[int]) -> int:
    """Take two shifts' row locks in id order (PostgreSQL; SQLite's write lock is already held), so that consents,
    swaps and their foreign-key checks on a pair queue up instead of deadlocking; how many of them still exist."""
    lock = " FOR UPDATE" if db.is_postgres(conn) else ""  # type: ignore[arg-type]
    rows = await db.fetch(f"SELECT id FROM duty_shift WHERE id IN (?, ?) ORDER BY id{lock}", shift_ids,
                          conn=conn)  # type: ignore[arg-type]
    return len(rows)


@dataclass(frozen=True)
class RosterResult:
    """What a roster generation did: the shifts it created, those it kept, and days left short of units."""

    created: int
    kept: int
    short_days: list[date]


def local_today() -> date:
    """Today in the district."""
    return datetime.now(LOCAL_TZ).date()


def _db_date(value: date) -> object:
    """A date as a raw statement's parameter (ISO text on SQLite, a date on PostgreSQL)."""
    return value if db.is_postgres() else value.isoformat()


def plan(*, units: list[int], days: list[date], per_day: int, taken: dict[date, list[int]] | None = None,
         busy: set[tuple[int, date]] | None = None) -> list[tuple[date, int]]:
    """Spread duty days over units as evenly as possible: each day the least-used free units, in a fixed order.

    `taken` are shifts that stay (they fill their day and count for their unit); `busy` are (unit, day) pairs
    already on duty elsewhere. With nothing busy every unit ends within one shift of every other.
    """
    taken = taken or {}
    busy = busy or set()
    served: Counter[int] = Counter(unit for day_units in taken.values() for unit in day_units if unit in units)
    order = {unit: i for i, unit in enumerate(units)}
    last: dict[int, int] = {}
    out: list[tuple[date, int]] = []
    for n, day in enumerate(days):
        already = set(taken.get(day, []))
        free = [u for u in units if u not in already and (u, day) not in busy]
        free.sort(key=lambda u: (served[u], last.get(u, -1), order[u]))
        for unit in free[:max(0, per_day - len(already))]:
            served[unit] += 1
            last[unit] = n
            out.append((day, unit))
    return out


async def units_of(*, centre_id: int) -> list[int]:
    """Partner units paired with the centre's org or any org below it, by id."""
    rows = await db.fetch(
        "SELECT DISTINCT p.partner_id AS id FROM org_closure cl JOIN partnership p ON p.org_id = cl.descendant_id "
        "WHERE cl.ancestor_id = ? ORDER BY p.partner_id", [centre_id])
    return [row["id"] for row in rows]


async def generate(*, centre_id: int, units: list[int], start: date, end: date, per_day: int) -> RosterResult:
    """Replace the centre's unserved shifts from `start` to `end` (inclusive) by an even plan, in one transaction.

    Shifts already checked in stay and count. Raises RosterConflict when a concurrent roster or swap took a
    unit's day first (the caller answers CONFLICT; nothing is half-written).
    """
    days = [start + timedelta(days=i) for i in range((end - start).days + 1)]
    try:
        async with in_transaction() as conn:
            await db.execute("DELETE FROM duty_shift WHERE centre_id = ? AND duty_date >= ? AND duty_date <= ? "
                             "AND checked_in_at IS NULL", [centre_id, _db_date(start), _db_date(end)], conn=conn)
            kept = await DutyShift.filter(centre_id=centre_id, duty_date__gte=start, duty_date__lte=end).using_db(conn)
            taken: dict[date, list[int]] = {}
            for shift in kept:
                taken.setdefault(shift.duty_date, []).append(shift.unit_id)
            busy: set[tuple[int, date]] = set()
            if units:
                elsewhere = await DutyShift.filter(unit_id__in=units, duty_date__gte=start, duty_date__lte=end
                                                   ).exclude(centre_id=centre_id).using_db(conn).values_list(
                    "unit_id", "duty_date")
                busy = {(unit, day) for unit, day in elsewhere}
            planned = plan(units=units, days=days, per_day=per_day, taken=taken, busy=busy)
            # Inserted in (day, unit) order: concurrent rosters then wait for each other's rows without deadlocking.
            await DutyShift.bulk_create([DutyShift(centre_id=centre_id, unit_id=unit, duty_date=day)
                                         for day, unit in sorted(planned)], batch_size=1000, using_db=conn)
    except IntegrityError as exc:
        raise RosterConflict() from exc
    except Exception as exc:
        if _contention(exc):
            raise Contention() from exc
        raise
    filled = Counter(day for day, _unit in planned)
    short = [day for day in days if filled[day] + len(taken.get(day, [])) < per_day]
    return RosterResult(created=len(planned), kept=len(kept), short_days=short)


async def get(*, shift_id: int) -> DutyShift | None:
    """One shift by primary key."""
    return await DutyShift.get_or_none(id=shift_id)


async def get_many(*, shift_ids: list[int]) -> dict[int, DutyShift]:
    """Shifts by primary key, one statement."""
    return {s.id: s for s in await DutyShift.filter(id__in=shift_ids)}


def _filter_sql(*, org_id: int | None, start: date | None, end: date | None) -> tuple[str, list]:
    clauses, params = ["1 = 1"], []
    if org_id is not None:
        clauses.append("(s.unit_id = ? OR EXISTS (SELECT 1 FROM org_closure fc WHERE fc.ancestor_id = ? "
                       "AND fc.descendant_id = s.centre_id))")
        params += [org_id, org_id]
    if start is not None:
        clauses.append("s.duty_date >= ?")
        params.append(_db_date(start))
    if end is not None:
        clauses.append("s.duty_date <= ?")
        params.append(_db_date(end))
    return " AND ".join(clauses), params


async def page(*, org_id: int | None, start: date | None, end: date | None, first: int,
               after: tuple[date, int] | None) -> list[DutyShift]:
    """Shifts at centres in an org's subtree (or served by a unit), by day then id: keyset on (day, id)."""
    where, params = _filter_sql(org_id=org_id, start=start, end=end)
    if after is not None:
        where += " AND (s.duty_date > ? OR (s.duty_date = ? AND s.id > ?))"
        params += [_db_date(after[0]), _db_date(after[0]), after[1]]
    return await db.fetch_models(DutyShift, f"SELECT s.* FROM duty_shift s WHERE {where} "
                                 "ORDER BY s.duty_date, s.id LIMIT ?", [*params, first + 1])


async def count(*, org_id: int | None, start: date | None, end: date | None) -> int:
    """How many shifts the filter finds."""
    where, params = _filter_sql(org_id=org_id, start=start, end=end)
    rows = await db.fetch(f"SELECT COUNT(*) AS n FROM duty_shift s WHERE {where}", params)
    return int(rows[0]["n"])


async def consent(*, shift: DutyShift, other: DutyShift, user_id: int) -> bool:
    """Record (or renew) the consent of `shift`'s unit to trade with `other` as both stand now; False when a shift
    is gone meanwhile (a new roster replaced it). Raises RosterConflict (Contention) when PostgreSQL picked it as a
    deadlock's victim."""
    try:
        async with in_transaction() as conn:
            if await _lock_pair(conn, [shift.id, other.id]) < 2:
                return False
            await db.fetch(
                "INSERT INTO duty_swap_consent (shift_id, with_shift_id, unit_id, with_unit_id, given_by_id, "
                "created_at) VALUES (?, ?, ?, ?, ?, CURRENT_TIMESTAMP) ON CONFLICT (shift_id, with_shift_id) DO UPDATE "
                "SET unit_id = excluded.unit_id, with_unit_id = excluded.with_unit_id, "
                "given_by_id = excluded.given_by_id, created_at = excluded.created_at RETURNING id",
                [shift.id, other.id, shift.unit_id, other.unit_id, user_id], conn=conn)
    except Exception as exc:
        if _contention(exc):
            raise Contention() from exc
        raise
    return True


_CONSENTED = ("EXISTS (SELECT 1 FROM duty_swap_consent c WHERE c.shift_id = ? AND c.with_shift_id = ? "
              "AND c.unit_id = ? AND c.with_unit_id = ?)")


async def swap(*, shift: DutyShift, other: DutyShift, need_consent: bool) -> bool:
    """Trade the units of two unserved shifts in one conditional UPDATE; False when either changed meanwhile (or,
    with `need_consent`, unless both units' current consents exist). Raises RosterConflict when a unit is on
    duty elsewhere on its new day."""
    sql = ("UPDATE duty_shift SET unit_id = CASE WHEN id = ? THEN CAST(? AS INTEGER) ELSE CAST(? AS INTEGER) END "
           "WHERE checked_in_at IS NULL AND ((id = ? AND unit_id = ?) OR (id = ? AND unit_id = ?))")
    params: list = [shift.id, other.unit_id, shift.unit_id, shift.id, shift.unit_id, other.id, other.unit_id]
    if need_consent:
        sql += f" AND {_CONSENTED} AND {_CONSENTED}"
        params += [shift.id, other.id, shift.unit_id, other.unit_id, other.id, shift.id, other.unit_id, shift.unit_id]
    try:
        async with in_transaction() as conn:
            await _lock_pair(conn, [shift.id, other.id])
            changed = await db.execute(sql, params, conn=conn)
            if changed != 2:
                raise _NotSwapped()
            await db.execute("DELETE FROM duty_swap_consent WHERE shift_id IN (?, ?) OR with_shift_id IN (?, ?)",
                             [shift.id, other.id, shift.id, other.id], conn=conn)
    except _NotSwapped:
        return False
    except IntegrityError as exc:
        raise RosterConflict() from exc
    except Exception as exc:
        if _contention(exc):
            raise Contention() from exc
        raise
    return True


class _NotSwapped(Exception):
    """Rolls a half-matched swap back."""


async def _valid_consents(*, shift_ids: list[int], side: str, other: str) -> dict[int, list[int]]:
    """Consents still valid (units unchanged, both shifts unserved), grouped by one side, one statement."""
    rows = await db.fetch(
        f"SELECT c.{side} AS s, c.{other} AS w FROM duty_swap_consent c "
        "JOIN duty_shift a ON a.id = c.shift_id AND a.unit_id = c.unit_id "
        "JOIN duty_shift b ON b.id = c.with_shift_id AND b.unit_id = c.with_unit_id "
        f"WHERE c.{side} IN ({db.placeholders(shift_ids)}) AND a.checked_in_at IS NULL "
        "AND b.checked_in_at IS NULL ORDER BY c.id", shift_ids)
    out: dict[int, list[int]] = {sid: [] for sid in shift_ids}
    for row in rows:
        out[row["s"]].append(row["w"])
    return out


async def swap_offers(*, shift_ids: list[int]) -> dict[int, list[int]]:
    """For each shift, the shifts its unit has offered to trade with (consents still valid), one statement."""
    return await _valid_consents(shift_ids=shift_ids, side="shift_id", other="with_shift_id")


async def swap_requests(*, shift_ids: list[int]) -> dict[int, list[int]]:
    """For each shift, the shifts whose units have offered to trade with it (consents still valid), one statement:
    what the unit being asked has to answer."""
    return await _valid_consents(shift_ids=shift_ids, side="with_shift_id", other="shift_id")


async def check_in(*, shift_id: int, unit_id: int, user_id: int, today: date) -> bool:
    """Mark a shift served by its unit, once and only on its day (conditional UPDATE); False otherwise."""
    changed = await DutyShift.filter(id=shift_id, unit_id=unit_id, checked_in_at=None, duty_date=today).update(
        checked_in_at=datetime.now(timezone.utc), checked_in_by_id=user_id)
    return changed == 1
