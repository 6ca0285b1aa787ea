"""Resident orders (居民点单、社区下单、物业接单) and the price list they draw on (明码标价).

Every status change is one conditional UPDATE on the expected status (and actor), written together with an
append-only OrderEvent in one transaction: two providers or two clicks racing, one wins.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from enum import Enum

from tortoise import fields
from tortoise.models import Model
from tortoise.transactions import in_transaction

from jinlin import db, events
from models import photo as photo_model
from models.compound import Compound
from models.enums import ProjectCategory
from models.joins import columns, joined
from models.org import Org
from models.user import User


class OrderStatus(str, Enum):
    """SUBMITTED -> DISPATCHED -> ACCEPTED -> IN_PROGRESS -> COMPLETED -> CONFIRMED; CANCELLED on the way."""

    SUBMITTED = "SUBMITTED"
    DISPATCHED = "DISPATCHED"
    ACCEPTED = "ACCEPTED"
    IN_PROGRESS = "IN_PROGRESS"
    COMPLETED = "COMPLETED"
    CONFIRMED = "CONFIRMED"
    CANCELLED = "CANCELLED"


class OrderAction(str, Enum):
    """What happened in an event (a decline returns the order to SUBMITTED, so the status alone cannot say)."""

    PLACED = "PLACED"
    DISPATCHED = "DISPATCHED"
    ACCEPTED = "ACCEPTED"
    DECLINED = "DECLINED"
    STARTED = "STARTED"
    COMPLETED = "COMPLETED"
    CONFIRMED = "CONFIRMED"
    CANCELLED = "CANCELLED"


# The provider sees the resident's phone while it is doing the work.
PHONE_TO_PROVIDER = frozenset({OrderStatus.ACCEPTED, OrderStatus.IN_PROGRESS, OrderStatus.COMPLETED})


class ServiceOffering(Model):
    """A provider's service at a posted price, seen by residents once a community's staff approved it."""

    id = fields.IntField(primary_key=True)
    provider: fields.ForeignKeyRelation[Org] = fields.ForeignKeyField(
        "jinlin.Org", related_name=False, on_delete=fields.CASCADE
    )
    title = fields.CharField(max_length=100)
    category = fields.CharEnumField(ProjectCategory, max_length=24)
    price_fen = fields.IntField()
    unit = fields.CharField(max_length=20)
    description = fields.TextField(default="")
    approved_at = fields.DatetimeField(null=True)
    approved_by: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "jinlin.User", related_name=False, null=True, on_delete=fields.SET_NULL
    )
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "service_offering"
        indexes = (("provider_id", "id"),)


class Order(Model):
    """A resident's request for a service, dispatched by the community to a provider at a price."""

    id = fields.IntField(primary_key=True)
    resident: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "jinlin.User", related_name=False, on_delete=fields.RESTRICT
    )
    compound: fields.ForeignKeyRelation[Compound] = fields.ForeignKeyField(
        "jinlin.Compound", related_name=False, on_delete=fields.RESTRICT
    )
    community: fields.ForeignKeyRelation[Org] = fields.ForeignKeyField(
        "jinlin.Org", related_name=False, on_delete=fields.RESTRICT
    )
    category = fields.CharEnumField(ProjectCategory, max_length=24)
    description = fields.TextField()
    offering: fields.ForeignKeyNullableRelation[ServiceOffering] = fields.ForeignKeyField(
        "jinlin.ServiceOffering", related_name=False, null=True, on_delete=fields.SET_NULL
    )
    preferred_time = fields.DatetimeField(null=True)
    status = fields.CharEnumField(OrderStatus, max_length=16, default=OrderStatus.SUBMITTED)
    provider: fields.ForeignKeyNullableRelation[Org] = fields.ForeignKeyField(
        "jinlin.Org", related_name=False, null=True, on_delete=fields.SET_NULL
    )
    price_fen = fields.IntField(null=True)
    rating = fields.IntField(null=True)
    comment = fields.TextField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "resident_order"
        indexes = (("resident_id", "id"), ("community_id", "id"), ("provider_id", "id"))


class OrderEvent(Model):
    """One step of an order's history, appended and never changed."""

    id = fields.IntField(primary_key=True)
    order: fields.ForeignKeyRelation[Order] = fields.ForeignKeyField(
        "jinlin.Order", related_name=False, on_delete=fields.CASCADE
    )
    action = fields.CharEnumField(OrderAction, max_length=16)
    status = fields.CharEnumField(OrderStatus, max_length=16)
    actor: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "jinlin.User", related_name=False, null=True, on_delete=fields.SET_NULL
    )
    provider_id = fields.IntField(null=True)
    price_fen = fields.IntField(null=True)
    note = fields.TextField(null=True)
    at = fields.DatetimeField()

    class Meta:
        table = "order_event"
        indexes = (("order_id", "id"),)


@dataclass(frozen=True)
class OrderWith:
    """An order with what its screen asked for, fetched in the same statement (None / False: not fetched)."""

    order: Order
    provider: Org | None = None
    latest_event: OrderEvent | None = None
    latest_event_fetched: bool = False


# --- offerings ----------------------------------------------------------------------------------------------------


async def get_offering(*, offering_id: int) -> ServiceOffering | None:
    """One offering by primary key."""
    return await ServiceOffering.get_or_none(id=offering_id)


async def get_offerings(*, offering_ids: list[int]) -> dict[int, ServiceOffering]:
    """Offerings by primary key, one statement."""
    return {o.id: o for o in await ServiceOffering.filter(id__in=offering_ids)}


async def create_offering(*, provider_id: int, title: str, category: ProjectCategory, price_fen: int, unit: str,
                          description: str) -> ServiceOffering:
    """Post a service at a price, awaiting approval."""
    return await ServiceOffering.create(provider_id=provider_id, title=title, category=category, price_fen=price_fen,
                                        unit=unit, description=description)


async def approve_offering(*, offering_id: int, user_id: int) -> bool:
    """Approve once (conditional UPDATE); False when it already was."""
    return await ServiceOffering.filter(id=offering_id, approved_at=None).update(
        approved_at=datetime.now(timezone.utc), approved_by_id=user_id) == 1


def offerings_visible_sql(*, managed_org_ids: list[int]) -> tuple[str, list]:
    """SQL predicate: approved offerings for everyone logged in; pending ones for the provider's managers and for
    those who may approve them (the rule of `auth.policies.can_approve_offering`, in SQL): managers of a district,
    street or community above a team, or of an org (or an ancestor of one) paired with a partner unit."""
    managed, params = db.in_list(managed_org_ids)
    sql = (f"(s.approved_at IS NOT NULL OR EXISTS (SELECT 1 FROM org_closure sc "
           f"WHERE sc.descendant_id = s.provider_id AND sc.ancestor_id IN {managed}) "
           f"OR EXISTS (SELECT 1 FROM org_closure gc JOIN org ga ON ga.id = gc.ancestor_id "
           f"WHERE gc.descendant_id = s.provider_id AND gc.depth > 0 AND gc.ancestor_id IN {managed} "
           f"AND ga.kind IN ('DISTRICT', 'STREET_COMMITTEE', 'COMMUNITY_COMMITTEE')) "
           f"OR EXISTS (SELECT 1 FROM partnership sp JOIN org_closure pc ON pc.descendant_id = sp.org_id "
           f"WHERE sp.partner_id = s.provider_id AND pc.ancestor_id IN {managed}))")
    return sql, [*params, *params, *params]


def _offering_filter(*, managed_org_ids: list[int], provider_id: int | None,
                     category: ProjectCategory | None, approved: bool | None) -> tuple[str, list]:
    where, params = offerings_visible_sql(managed_org_ids=managed_org_ids)
    if provider_id is not None:
        where += " AND s.provider_id = ?"
        params.append(provider_id)
    if category is not None:
        where += " AND s.category = ?"
        params.append(category.value)
    if approved is not None:
        where += " AND s.approved_at IS NOT NULL" if approved else " AND s.approved_at IS NULL"
    return where, params


async def offering_page(*, managed_org_ids: list[int], provider_id: int | None,
                        category: ProjectCategory | None, approved: bool | None, first: int,
                        after: int | None) -> list[ServiceOffering]:
    """The price list as the viewer may see it, oldest first (`first + 1` rows)."""
    where, params = _offering_filter(managed_org_ids=managed_org_ids,
                                     provider_id=provider_id, category=category, approved=approved)
    return await db.fetch_models(ServiceOffering, f"SELECT s.* FROM service_offering s WHERE {where} AND s.id > ? "
                                 "ORDER BY s.id LIMIT ?", [*params, after if after is not None else -1, first + 1])


async def offering_count(*, managed_org_ids: list[int], provider_id: int | None,
                         category: ProjectCategory | None, approved: bool | None) -> int:
    """How many offerings the filter finds."""
    where, params = _offering_filter(managed_org_ids=managed_org_ids,
                                     provider_id=provider_id, category=category, approved=approved)
    rows = await db.fetch(f"SELECT COUNT(*) AS n FROM service_offering s WHERE {where}", params)
    return int(rows[0]["n"])


# --- orders -------------------------------------------------------------------------------------------------------


def visible_sql(*, user_id: int | None, managed_org_ids: list[int], alias: str = "o") -> tuple[str, list]:
    """SQL predicate: the resident, managers of the order's community or of its compound's branch (or above), and
    managers of the provider it is dispatched to."""
    managed, params = db.in_list(managed_org_ids)
    sql = (f"({alias}.resident_id = ? OR EXISTS (SELECT 1 FROM org_closure oc WHERE oc.ancestor_id IN {managed} "
           f"AND (oc.descendant_id = {alias}.community_id OR oc.descendant_id = (SELECT ob.branch_id FROM compound "
           f"ob WHERE ob.id = {alias}.compound_id))) OR EXISTS (SELECT 1 FROM org_closure op "
           f"WHERE op.descendant_id = {alias}.provider_id AND op.ancestor_id IN {managed}))")
    return sql, [user_id if user_id is not None else -1, *params, *params]


async def get(*, order_id: int) -> Order | None:
    """One order by primary key."""
    return await Order.get_or_none(id=order_id)


async def get_many(*, order_ids: list[int]) -> dict[int, Order]:
    """Orders by primary key, one statement."""
    return {o.id: o for o in await Order.filter(id__in=order_ids)}


async def visible_ids(*, user_id: int | None, managed_org_ids: list[int], order_ids: list[int]) -> set[int]:
    """Which of these orders the viewer may see, one statement."""
    where, params = visible_sql(user_id=user_id, managed_org_ids=managed_org_ids)
    rows = await db.fetch(f"SELECT o.id FROM resident_order o WHERE o.id IN ({db.placeholders(order_ids)}) "
                          f"AND {where}", [*order_ids, *params])
    return {row["id"] for row in rows}


def _order_filter(*, user_id: int | None, managed_org_ids: list[int], mine: bool, org_id: int | None,
                  status: list[OrderStatus] | None) -> tuple[str, list]:
    if mine:
        where, params = "o.resident_id = ?", [user_id if user_id is not None else -1]
    else:
        where, params = visible_sql(user_id=user_id, managed_org_ids=managed_org_ids)
    if org_id is not None:
        # A compound lies in the subtree of its branch (when covered) and of its community and above.
        where += (" AND (o.provider_id = ? OR EXISTS (SELECT 1 FROM org_closure fc WHERE fc.ancestor_id = ? "
                  "AND (fc.descendant_id = o.community_id OR fc.descendant_id = "
                  "(SELECT fb.branch_id FROM compound fb WHERE fb.id = o.compound_id))))")
        params += [org_id, org_id]
    if status:
        where += f" AND o.status IN ({db.placeholders(status)})"
        params += [s.value for s in status]
    return where, params


async def page(*, user_id: int | None, managed_org_ids: list[int], mine: bool, org_id: int | None,
               status: list[OrderStatus] | None, first: int, after: int | None, with_provider: bool = False,
               with_latest_event: bool = False) -> list[OrderWith]:
    """Orders the viewer may see (or their own), newest first (`first + 1` rows), providers and events if asked."""
    where, params = _order_filter(user_id=user_id, managed_org_ids=managed_org_ids, mine=mine, org_id=org_id,
                                  status=status)
    select, joins = ["o.*"], []
    if with_provider:
        select.append(columns(Org, "pv", "p__"))
        joins.append("LEFT JOIN org pv ON pv.id = o.provider_id")
    if with_latest_event:
        select.append(columns(OrderEvent, "le", "e__"))
        joins.append("LEFT JOIN order_event le ON le.id = (SELECT MAX(lx.id) FROM order_event lx "
                     "WHERE lx.order_id = o.id)")
    rows = await db.fetch(f"SELECT {', '.join(select)} FROM resident_order o {' '.join(joins)} WHERE {where} "
                          "AND o.id < ? ORDER BY o.id DESC LIMIT ?",
                          [*params, after if after is not None else db.MAX_KEY, first + 1])
    providers: dict[int, Org] = {}
    return [OrderWith(order=Order._init_from_db(**row),
                      provider=joined(Org, row, "p__", providers) if with_provider else None,
                      latest_event=joined(OrderEvent, row, "e__") if with_latest_event else None,
                      latest_event_fetched=with_latest_event) for row in rows]


async def count(*, user_id: int | None, managed_org_ids: list[int], mine: bool, org_id: int | None,
                status: list[OrderStatus] | None) -> int:
    """How many orders the filter finds."""
    where, params = _order_filter(user_id=user_id, managed_org_ids=managed_org_ids, mine=mine, org_id=org_id,
                                  status=status)
    rows = await db.fetch(f"SELECT COUNT(*) AS n FROM resident_order o WHERE {where}", params)
    return int(rows[0]["n"])


async def place(*, resident_id: int, compound: Compound, category: ProjectCategory, description: str,
                offering_id: int | None, preferred_time: datetime | None,
                photos: Sequence[photo_model.PhotoFile] = ()) -> Order:
    """A new SUBMITTED order, its first event and its photos' rows (files already stored), in one transaction."""
    now = datetime.now(timezone.utc)
    async with in_transaction():
        order = await Order.create(resident_id=resident_id, compound_id=compound.id,
                                   community_id=compound.community_id, category=category, description=description,
                                   offering_id=offering_id, preferred_time=preferred_time, created_at=now,
                                   updated_at=now)
        await OrderEvent.create(order_id=order.id, action=OrderAction.PLACED, status=OrderStatus.SUBMITTED,
                                actor_id=resident_id, at=now)
        await photo_model.attach(photos=photos, uploaded_by_id=resident_id, order_id=order.id)
    events.emit(events.order_topic(order.id))
    return order


class _Lost(Exception):
    """Rolls a transition back when its conditional UPDATE found the order elsewhere."""


async def transition(*, order_id: int, expected: tuple[OrderStatus, ...], to: OrderStatus, action: OrderAction,
                     actor_id: int, note: str | None = None, provider_id: int | None = None,
                     event_provider_id: int | None = None, event_price_fen: int | None = None,
                     changes: dict[str, object] | None = None) -> bool:
    """Move an order from one of `expected` to `to` (only while dispatched to `provider_id`, when given) and append
    its event, atomically; False when the order was no longer in an expected state."""
    now = datetime.now(timezone.utc)
    try:
        async with in_transaction():
            query = Order.filter(id=order_id, status__in=list(expected))
            if provider_id is not None:
                query = query.filter(provider_id=provider_id)
            if await query.update(status=to, updated_at=now, **(changes or {})) != 1:
                raise _Lost()
            await OrderEvent.create(order_id=order_id, action=action, status=to, actor_id=actor_id,
                                    provider_id=event_provider_id if event_provider_id is not None else provider_id,
                                    price_fen=event_price_fen, note=note, at=now)
    except _Lost:
        return False
    events.emit(events.order_topic(order_id))
    return True


async def events_of(*, order_ids: list[int]) -> dict[int, list[OrderEvent]]:
    """Each order's history, oldest first, one statement."""
    out: dict[int, list[OrderEvent]] = {oid: [] for oid in order_ids}
    for row in await OrderEvent.filter(order_id__in=order_ids).order_by("id"):
        out[row.order_id].append(row)
    return out


async def latest_events(*, order_ids: list[int]) -> dict[int, OrderEvent]:
    """Each order's newest event, one statement (the list screen needs no more of the history)."""
    marks = db.placeholders(order_ids)
    if not order_ids:
        return {}
    rows = await db.fetch_models(OrderEvent, f"SELECT * FROM order_event WHERE id IN (SELECT MAX(id) FROM order_event "
                                              f"WHERE order_id IN ({marks}) GROUP BY order_id)", order_ids)
    return {row.order_id: row for row in rows}
