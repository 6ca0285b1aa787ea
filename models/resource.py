"""Resource sharing (资源共享): venues, equipment, vehicles, funds and expertise offered by one org and booked by
others, never approved beyond the resource's quantity at any instant."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from enum import Enum

from tortoise import fields
from tortoise.models import Model
from tortoise.transactions import in_transaction

from jinlin import db
from models.alliance import allied_sql
from models.org import Org
from models.project import Project
from models.user import User


class ResourceKind(str, Enum):
    """What is offered."""

    VENUE = "VENUE"
    EQUIPMENT = "EQUIPMENT"
    VEHICLE = "VEHICLE"
    FUNDS = "FUNDS"
    EXPERTISE = "EXPERTISE"
    SERVICE = "SERVICE"


class ShareScope(str, Enum):
    """Who may request: the owner's subtree, plus paired orgs (and alliance members), or the whole district."""

    SUBTREE = "SUBTREE"
    PARTNERS = "PARTNERS"
    DISTRICT = "DISTRICT"


class BookingStatus(str, Enum):
    """A booking is requested, then approved or rejected by the owner, or cancelled by either side."""

    PENDING = "PENDING"
    APPROVED = "APPROVED"
    REJECTED = "REJECTED"
    CANCELLED = "CANCELLED"


class Resource(Model):
    """Something an org offers to others. `lock_version` is bumped by every approval to serialise them."""

    id = fields.IntField(primary_key=True)
    owner: fields.ForeignKeyRelation[Org] = fields.ForeignKeyField(
        "jinlin.Org", related_name=False, on_delete=fields.RESTRICT
    )
    name = fields.CharField(max_length=100)
    kind = fields.CharEnumField(ResourceKind, max_length=16)
    quantity = fields.IntField(default=1)
    share_scope = fields.CharEnumField(ShareScope, max_length=16, default=ShareScope.SUBTREE)
    description = fields.TextField(null=True)
    location = fields.CharField(max_length=200, null=True)
    retired_at = fields.DatetimeField(null=True)
    lock_version = fields.IntField(default=0)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "resource"
        indexes = (("owner_id", "id"), ("share_scope", "id"))


class Booking(Model):
    """A request to use some quantity of a resource over [starts_at, ends_at) for an org."""

    id = fields.IntField(primary_key=True)
    resource: fields.ForeignKeyRelation[Resource] = fields.ForeignKeyField(
        "jinlin.Resource", related_name=False, on_delete=fields.CASCADE
    )
    for_org: fields.ForeignKeyRelation[Org] = fields.ForeignKeyField(
        "jinlin.Org", related_name=False, on_delete=fields.CASCADE
    )
    requested_by: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "jinlin.User", related_name=False, null=True, on_delete=fields.SET_NULL
    )
    project: fields.ForeignKeyNullableRelation[Project] = fields.ForeignKeyField(
        "jinlin.Project", related_name=False, null=True, on_delete=fields.SET_NULL
    )
    starts_at = fields.DatetimeField()
    ends_at = fields.DatetimeField()
    quantity = fields.IntField(default=1)
    status = fields.CharEnumField(BookingStatus, max_length=16, default=BookingStatus.PENDING)
    purpose = fields.CharField(max_length=200, null=True)
    reason = fields.CharField(max_length=200, null=True)
    decided_by: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "jinlin.User", related_name=False, null=True, on_delete=fields.SET_NULL
    )
    created_at = fields.DatetimeField(auto_now_add=True)
    decided_at = fields.DatetimeField(null=True)

    class Meta:
        table = "booking"
        indexes = (("resource_id", "status", "starts_at"), ("for_org_id", "id"))


@dataclass(frozen=True)
class Interval:
    """A stretch of time and how much of a resource is still free throughout it."""

    starts_at: datetime
    ends_at: datetime
    free_quantity: int


class OverBooked(Exception):
    """Approving would put more than the resource's quantity in use at some instant."""


class QuantityInUse(Exception):
    """The new quantity is below what approved bookings use at once from now on (`peak`)."""

    def __init__(self, peak: int) -> None:
        super().__init__(peak)
        self.peak = peak


def _db_time(value: datetime) -> object:
    """A datetime as tortoise stores it (UTC ISO text on SQLite, timestamptz on PostgreSQL), for raw statements."""
    return Booking._meta.fields_map["starts_at"].to_db_value(db.utc(value), Booking)


async def get(*, resource_id: int) -> Resource | None:
    """One resource by primary key."""
    return await Resource.get_or_none(id=resource_id)


async def get_many(*, resource_ids: list[int]) -> dict[int, Resource]:
    """Resources by primary key, one statement."""
    return {r.id: r for r in await Resource.filter(id__in=resource_ids)}


async def get_bookings(*, booking_ids: list[int]) -> dict[int, Booking]:
    """Bookings by primary key, one statement."""
    return {b.id: b for b in await Booking.filter(id__in=booking_ids)}


def requestable_sql(org_ids: list[int], alias: str = "r", *, orgs_sql: tuple[str, list] | None = None
                    ) -> tuple[str, list]:
    """SQL predicate: one of these orgs may request resource `r` by its share scope.

    SUBTREE: the org lies in the owner's subtree. PARTNERS: also partner units paired with the owner or one of its
    ancestors, (for a partner unit's resource) the subtrees of the orgs it is paired with, and orgs allied
    (党建联盟) with the owner's lineage. DISTRICT: every org (an existing one: no orgs, or the id -1, match nothing).
    Retired resources take no requests. `orgs_sql` (a parenthesised subquery and its parameters) stands in for the
    id list.
    """
    orgs, params = orgs_sql if orgs_sql is not None else db.in_list(org_ids)
    sql = (
        f"({alias}.retired_at IS NULL AND (({alias}.share_scope = 'DISTRICT' "
        f"AND EXISTS (SELECT 1 FROM org ro WHERE ro.id IN {orgs}))"
        f" OR EXISTS (SELECT 1 FROM org_closure rc WHERE rc.ancestor_id = {alias}.owner_id "
        f"AND rc.descendant_id IN {orgs})"
        f" OR ({alias}.share_scope = 'PARTNERS' AND ("
        f"EXISTS (SELECT 1 FROM partnership rp JOIN org_closure oc ON oc.ancestor_id = rp.org_id "
        f"WHERE oc.descendant_id = {alias}.owner_id AND rp.partner_id IN {orgs})"
        f" OR EXISTS (SELECT 1 FROM partnership rq JOIN org_closure pc ON pc.ancestor_id = rq.org_id "
        f"WHERE rq.partner_id = {alias}.owner_id AND pc.descendant_id IN {orgs})"
        f" OR {allied_sql(f'{alias}.owner_id', orgs)}))))"
    )
    return sql, [*params, *params, *params, *params, *params]


def visible_sql(*, member_org_ids: list[int], managed_org_ids: list[int], alias: str = "r") -> tuple[str, list]:
    """SQL predicate: managers of the owner (or above) see its resources, retired ones too; others see what one of
    their orgs, or an org they manage (any below their own), may request."""
    managed, managed_params = db.in_list(managed_org_ids)
    members, member_params = db.in_list(member_org_ids)
    orgs = (f"(SELECT vo.id FROM org vo WHERE vo.id IN {members} UNION "
            f"SELECT vc.descendant_id FROM org_closure vc WHERE vc.ancestor_id IN {managed})")
    requestable, params = requestable_sql([], alias, orgs_sql=(orgs, [*member_params, *managed_params]))
    sql = (f"(EXISTS (SELECT 1 FROM org_closure mc WHERE mc.descendant_id = {alias}.owner_id "
           f"AND mc.ancestor_id IN {managed}) OR {requestable})")
    return sql, [*managed_params, *params]


async def is_requestable(*, resource_id: int, org_id: int) -> bool:
    """Whether an org may request a resource."""
    where, params = requestable_sql([org_id])
    rows = await db.fetch(f"SELECT 1 AS ok FROM resource r WHERE r.id = ? AND {where}", [resource_id, *params])
    return bool(rows)


async def visible_ids(*, member_org_ids: list[int], managed_org_ids: list[int], resource_ids: list[int]) -> set[int]:
    """Which of these resources the viewer may see, one statement."""
    where, params = visible_sql(member_org_ids=member_org_ids, managed_org_ids=managed_org_ids)
    rows = await db.fetch(f"SELECT r.id FROM resource r WHERE r.id IN ({db.placeholders(resource_ids)}) AND {where}",
                          [*resource_ids, *params])
    return {row["id"] for row in rows}


def _filter_sql(*, member_org_ids: list[int], managed_org_ids: list[int], kind: ResourceKind | None,
                owner_id: int | None, requestable_by: int | None) -> tuple[str, list]:
    where, params = visible_sql(member_org_ids=member_org_ids, managed_org_ids=managed_org_ids)
    clauses = [where]
    if kind is not None:
        clauses.append("r.kind = ?")
        params.append(kind.value)
    if owner_id is not None:
        clauses.append("r.owner_id = ?")
        params.append(owner_id)
    if requestable_by is not None:
        sql, more = requestable_sql([requestable_by])
        clauses.append(sql)
        params += more
    return " AND ".join(clauses), params


async def page(*, member_org_ids: list[int], managed_org_ids: list[int], kind: ResourceKind | None,
               owner_id: int | None, requestable_by: int | None, first: int, after: int | None) -> list[Resource]:
    """Resources the viewer may see, oldest first (`first + 1` rows)."""
    where, params = _filter_sql(member_org_ids=member_org_ids, managed_org_ids=managed_org_ids, kind=kind,
                                owner_id=owner_id, requestable_by=requestable_by)
    return await db.fetch_models(
        Resource, f"SELECT r.* FROM resource r WHERE {where} AND r.id > ? ORDER BY r.id LIMIT ?",
        [*params, after if after is not None else -1, first + 1])


async def count(*, member_org_ids: list[int], managed_org_ids: list[int], kind: ResourceKind | None,
                owner_id: int | None, requestable_by: int | None) -> int:
    """How many resources the filter finds for the viewer."""
    where, params = _filter_sql(member_org_ids=member_org_ids, managed_org_ids=managed_org_ids, kind=kind,
                                owner_id=owner_id, requestable_by=requestable_by)
    rows = await db.fetch(f"SELECT COUNT(*) AS n FROM resource r WHERE {where}", params)
    return int(rows[0]["n"])


async def create(*, owner_id: int, name: str, kind: ResourceKind, quantity: int, share_scope: ShareScope,
                 description: str | None, location: str | None) -> Resource:
    """Offer a resource."""
    return await Resource.create(owner_id=owner_id, name=name, kind=kind, quantity=quantity,
                                 share_scope=share_scope, description=description, location=location)


async def update(*, resource: Resource, changes: dict[str, object]) -> Resource:
    """Apply validated changes; `QuantityInUse` when a new quantity is below the peak approved use from now on.

    A quantity change takes the approvals' lock first (see `approve`), so no approval slips in between the check
    and the change.
    """
    if changes:
        async with in_transaction():
            quantity = changes.get("quantity")
            if isinstance(quantity, int):
                await db.execute("UPDATE resource SET lock_version = lock_version + 1 WHERE id = ?", [resource.id])
                peak = await peak_use(resource_id=resource.id, since=datetime.now(timezone.utc))
                if quantity < peak:
                    raise QuantityInUse(peak)
            await Resource.filter(id=resource.id).update(**changes)
    return await Resource.get(id=resource.id)


async def retire(*, resource: Resource) -> bool:
    """Stop offering a resource (bookings stay as history); False when it was already retired."""
    return await Resource.filter(id=resource.id, retired_at=None).update(retired_at=datetime.now(timezone.utc)) == 1


async def peak_use(*, resource_id: int, since: datetime) -> int:
    """The largest approved quantity in use at any instant from `since` on (to refuse lowering the quantity).

    That peak is reached at `since` itself or at the start of a later booking; bookings that ended before `since`
    do not count, even where they overlapped one still running.
    """
    at = _db_time(since)
    rows = await db.fetch(
        "SELECT (SELECT SUM(u.quantity) FROM booking u WHERE u.resource_id = ? AND u.status = 'APPROVED' "
        "AND u.starts_at <= ? AND u.ends_at > ?) AS now_use, "
        "(SELECT MAX((SELECT SUM(u.quantity) FROM booking u WHERE u.resource_id = ? AND u.status = 'APPROVED' "
        "AND u.starts_at <= b.starts_at AND u.ends_at > b.starts_at)) FROM booking b "
        "WHERE b.resource_id = ? AND b.status = 'APPROVED' AND b.starts_at > ?) AS later_use",
        [resource_id, at, at, resource_id, resource_id, at])
    return max(int(rows[0]["now_use"] or 0), int(rows[0]["later_use"] or 0))


async def request(*, resource_id: int, for_org_id: int, requested_by: int, starts_at: datetime, ends_at: datetime,
                  quantity: int, purpose: str | None, project_id: int | None) -> Booking:
    """Insert a PENDING booking."""
    return await Booking.create(resource_id=resource_id, for_org_id=for_org_id, requested_by_id=requested_by,
                                starts_at=starts_at, ends_at=ends_at, quantity=quantity, purpose=purpose,
                                project_id=project_id, status=BookingStatus.PENDING)


async def decide(*, booking_id: int, to: BookingStatus, allowed_from: tuple[BookingStatus, ...], decided_by: int,
                 reason: str | None) -> bool:
    """Reject or cancel with one conditional UPDATE; False when the booking was not in an allowed state."""
    changed = await Booking.filter(id=booking_id, status__in=list(allowed_from)).update(
        status=to, decided_by_id=decided_by, decided_at=datetime.now(timezone.utc), reason=reason)
    return changed == 1


def _bookings_sql(resource_ids: list[int], starts: datetime | None, ends: datetime | None,
                  for_managed: tuple[int, ...] | None) -> tuple[str, list]:
    sql = (f"SELECT b.*, b.resource_id AS _g, b.id AS _k FROM booking b "
           f"WHERE b.resource_id IN ({db.placeholders(resource_ids)})")
    params: list = list(resource_ids)
    if ends is not None:
        sql += " AND b.starts_at < ?"
        params.append(_db_time(ends))
    if starts is not None:
        sql += " AND b.ends_at > ?"
        params.append(_db_time(starts))
    if for_managed is not None:
        managed, managed_params = db.in_list(for_managed)
        sql += (" AND EXISTS (SELECT 1 FROM org_closure bc WHERE bc.descendant_id = b.for_org_id "
                f"AND bc.ancestor_id IN {managed})")
        params += managed_params
    return sql, params


async def bookings_between(*, resource_ids: list[int], starts: datetime | None, ends: datetime | None,
                           for_managed: tuple[int, ...] | None, first: int, after: int | None
                           ) -> dict[int, list[Booking]]:
    """A page of each resource's bookings overlapping [starts, ends), oldest first, one statement; with
    `for_managed`, only bookings for orgs in those orgs' subtrees (what a requester may see)."""
    sql, params = _bookings_sql(resource_ids, starts, ends, for_managed)
    return await db.page_per_group(sql, params, first=first, after=after, model=Booking)


async def booking_counts(*, resource_ids: list[int], starts: datetime | None, ends: datetime | None,
                         for_managed: tuple[int, ...] | None) -> dict[int, int]:
    """Number of each resource's bookings overlapping [starts, ends) (restricted like `bookings_between`)."""
    sql, params = _bookings_sql(resource_ids, starts, ends, for_managed)
    return await db.count_per_group(sql, params)


async def approved_between(*, resource_id: int, starts: datetime, ends: datetime) -> list[Booking]:
    """Approved bookings overlapping [starts, ends), for the availability calendar."""
    return list(await Booking.filter(resource_id=resource_id, status=BookingStatus.APPROVED,
                                     starts_at__lt=db.utc(ends), ends_at__gt=db.utc(starts)).order_by("starts_at"))


def availability(*, quantity: int, bookings: list[Booking], starts: datetime, ends: datetime) -> list[Interval]:
    """Cut [starts, ends) at every booking edge and give the free quantity of each piece (merged when equal)."""
    edges = sorted({starts, ends, *(b.starts_at for b in bookings if starts < b.starts_at < ends),
                    *(b.ends_at for b in bookings if starts < b.ends_at < ends)})
    out: list[Interval] = []
    for left, right in zip(edges, edges[1:]):
        used = sum(b.quantity for b in bookings if b.starts_at < right and b.ends_at > left)
        free = max(quantity - used, 0)
        if out and out[-1].free_quantity == free:
            out[-1] = Interval(out[-1].starts_at, right, free)
        else:
            out.append(Interval(left, right, free))
    return out


async def approve(*, booking_id: int, decided_by: int) -> bool:
    """PENDING -> APPROVED unless that would overbook; False when the booking was no longer PENDING.

    In one transaction: bump the resource's `lock_version` (a row lock on PostgreSQL; SQLite's write lock is
    already held), so approvals of one resource queue up; then one conditional UPDATE that checks the peak use
    over the booking's interval. The peak of a set of intervals is reached at one of their starts.
    """
    async with in_transaction():
        booking = await Booking.get_or_none(id=booking_id)
        if booking is None or booking.status is not BookingStatus.PENDING:
            return False
        await db.execute("UPDATE resource SET lock_version = lock_version + 1 WHERE id = ?", [booking.resource_id])
        changed = await db.execute(
            "UPDATE booking SET status = 'APPROVED', decided_by_id = ?, decided_at = ? "
            "WHERE id = ? AND status = 'PENDING' AND NOT EXISTS ("
            "  SELECT 1 FROM (SELECT b.starts_at AS t FROM booking b WHERE b.id = ? "
            "    UNION SELECT o.starts_at FROM booking o WHERE o.resource_id = ? AND o.status = 'APPROVED' "
            "    AND o.starts_at > ? AND o.starts_at < ?) pts "
            "  WHERE ? + (SELECT COALESCE(SUM(u.quantity), 0) FROM booking u WHERE u.resource_id = ? "
            "    AND u.status = 'APPROVED' AND u.starts_at <= pts.t AND u.ends_at > pts.t) "
            "  > (SELECT r.quantity FROM resource r WHERE r.id = ?))",
            [decided_by, _db_time(datetime.now(timezone.utc)), booking.id, booking.id, booking.resource_id,
             _db_time(booking.starts_at), _db_time(booking.ends_at), booking.quantity, booking.resource_id,
             booking.resource_id])
        if changed != 1:
            if not await Booking.exists(id=booking.id, status=BookingStatus.PENDING):
                return False  # decided by someone else while this approval waited for the lock
            raise OverBooked()
    return True
