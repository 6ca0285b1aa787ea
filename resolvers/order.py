"""The price list and resident orders: post and approve offerings; place, dispatch, serve, confirm, cancel orders.

Each transition checks the actor here and the current state in the model's conditional UPDATE, so a race never
leaves two winners: the loser gets INVALID_STATE.
"""

from __future__ import annotations


from collections.abc import AsyncGenerator

import strawberry

from jinlin import events
from auth import policies
from models import household as household_model
from models import order as order_model
from models.enums import OrgKind
from models.order import OrderAction, OrderStatus
from resolvers.common import audit_target, check_range, check_text, load_compound, load_org, require_login
from resolvers.photo import check_photos, store_photos
from resolvers import live
from schema.context import Context
from schema.errors import ErrorCode, UserError, forbidden, user_error
from schema.order import (
    AcceptOrderInput, ApproveServiceOfferingInput, CancelOrderInput, CompleteOrderInput, ConfirmOrderInput,
    CreateServiceOfferingInput, DeclineOrderInput, DispatchOrderInput, Order, OrderFilter, OrderPayload,
    PlaceOrderInput, ServiceOffering, ServiceOfferingFilter, ServiceOfferingPayload, StartOrderInput,
)
from schema.relay import (
    Connection, connection, decode_cursor, node_fields, page_size, pk_of, to_global_id, wants_rows,
)

Info = strawberry.Info[Context, None]
PROVIDER_KINDS = frozenset({OrgKind.PARTNER_UNIT, OrgKind.VOLUNTEER_TEAM})
MAX_PRICE_FEN = 100_000_000  # 1,000,000 yuan: anything above is a typo
# Which states each actor may cancel from.
RESIDENT_CANCELS = (OrderStatus.SUBMITTED, OrderStatus.DISPATCHED)
STAFF_CANCELS = (OrderStatus.SUBMITTED, OrderStatus.DISPATCHED, OrderStatus.ACCEPTED, OrderStatus.IN_PROGRESS)


# --- price list ---------------------------------------------------------------------------------------------------


async def service_offerings(
    info: Info, filter: ServiceOfferingFilter | None = None, first: int | None = None, after: str | None = None
) -> Connection[ServiceOffering]:
    """The price list: approved offerings, plus pending ones the viewer provides or may approve."""
    ctx = info.context
    require_login(ctx)
    size, cursor = page_size(first, ctx.lang), decode_cursor(after, ctx.lang)
    f = filter or ServiceOfferingFilter()
    scope = await policies.project_scope(ctx.viewer)
    args = dict(managed_org_ids=list(scope.managed_org_ids),
                provider_id=(pk_of(f.provider_id, "Org") or -1) if f.provider_id is not None else None,
                category=f.category, approved=f.approved)
    rows = await order_model.offering_page(**args, first=size, after=cursor) if wants_rows(info) else []
    return connection(rows, first=size, convert=ServiceOffering.from_model,
                      total=lambda: order_model.offering_count(**args))


async def create_service_offering(info: Info, input: CreateServiceOfferingInput) -> ServiceOfferingPayload:
    """A provider's staff post a service at a clearly marked price; it waits for a community's approval."""
    ctx = info.context
    require_login(ctx)
    errors: list[UserError] = []
    provider = await load_org(ctx, errors, "providerOrgId", input.provider_org_id)
    if provider is None:
        return ServiceOfferingPayload(errors=errors)
    if not await policies.can_offer_as(ctx.viewer, provider.id):
        raise forbidden(ctx.lang)
    if provider.kind not in PROVIDER_KINDS:
        errors.append(user_error(ctx.lang, ErrorCode.INVALID, ["providerOrgId"], "provider_kind"))
    title = check_text(ctx, errors, "title", input.title, min_len=1, max_len=100)
    unit = check_text(ctx, errors, "unit", input.unit, min_len=1, max_len=20)
    description = check_text(ctx, errors, "description", input.description, min_len=0, max_len=2000)
    check_range(ctx, errors, "priceFen", input.price_fen, low=0, high=MAX_PRICE_FEN)
    if errors:
        return ServiceOfferingPayload(errors=errors)
    row = await order_model.create_offering(provider_id=provider.id, title=title, category=input.category,
                                            price_fen=input.price_fen, unit=unit, description=description)
    audit_target(ctx, object_id=to_global_id("ServiceOffering", row.id))
    return ServiceOfferingPayload(offering=ServiceOffering.from_model(row))


async def _visible_offering(ctx: Context, errors: list[UserError], field: str, global_id: str | None
                            ) -> order_model.ServiceOffering | None:
    """An offering the viewer may see, or NOT_FOUND on `field`."""
    pk = pk_of(global_id, "ServiceOffering")
    row = await ctx.loaders.offering.load(pk) if pk is not None else None
    if row is not None and row.approved_at is None and not (
            await policies.can_offer_as(ctx.viewer, row.provider_id)
            or await policies.can_approve_offering(ctx.viewer, row.provider_id)):
        row = None
    if row is None:
        errors.append(user_error(ctx.lang, ErrorCode.NOT_FOUND, [field], "not_found"))
    return row


async def approve_service_offering(info: Info, input: ApproveServiceOfferingInput) -> ServiceOfferingPayload:
    """A community's (or paired org's) staff approve an offering, once; then residents see it."""
    ctx = info.context
    user_id = require_login(ctx)
    errors: list[UserError] = []
    row = await _visible_offering(ctx, errors, "offeringId", input.offering_id)
    if row is None:
        return ServiceOfferingPayload(errors=errors)
    audit_target(ctx, org_id=row.provider_id, object_id=to_global_id("ServiceOffering", row.id))
    if not await policies.can_approve_offering(ctx.viewer, row.provider_id):
        raise forbidden(ctx.lang)
    if not await order_model.approve_offering(offering_id=row.id, user_id=user_id):
        return ServiceOfferingPayload(errors=[user_error(ctx.lang, ErrorCode.INVALID_STATE, ["offeringId"],
                                                         "already_approved")])
    return ServiceOfferingPayload(offering=ServiceOffering.from_model(
        await order_model.get_offering(offering_id=row.id)))


# --- orders -------------------------------------------------------------------------------------------------------


async def orders(
    info: Info, filter: OrderFilter | None = None, first: int | None = None, after: str | None = None
) -> Connection[Order]:
    """Orders the viewer may see (`mine`: only their own as a resident), newest first."""
    ctx = info.context
    user_id = require_login(ctx)
    size, cursor = page_size(first, ctx.lang), decode_cursor(after, ctx.lang)
    f = filter or OrderFilter()
    # The viewer's own orders need no roles: they are theirs.
    managed = [] if f.mine else list((await policies.project_scope(ctx.viewer)).managed_org_ids)
    args = dict(user_id=user_id, managed_org_ids=managed, mine=f.mine,
                org_id=(pk_of(f.org_id, "Org") or -1) if f.org_id is not None else None,
                status=list(f.status) if f.status else None)
    rows = []
    if wants_rows(info):
        asked = node_fields(info)
        rows = await order_model.page(**args, first=size, after=cursor, with_provider="provider" in asked,
                                      with_latest_event="latestEvent" in asked)
    return connection(rows, first=size, convert=Order.from_with, key=lambda row: row.order.id,
                      total=lambda: order_model.count(**args))


async def place_order(info: Info, input: PlaceOrderInput) -> OrderPayload:
    """A resident of the compound orders a service; it waits for the community to dispatch it."""
    ctx = info.context
    user_id = require_login(ctx)
    errors: list[UserError] = []
    compound = await load_compound(ctx, errors, "compoundId", input.compound_id)
    if compound is None:
        return OrderPayload(errors=errors)
    audit_target(ctx, org_id=compound.community_id)
    if not await household_model.lives_in(user_id=user_id, compound_id=compound.id):
        return OrderPayload(errors=[user_error(ctx.lang, ErrorCode.INVALID, ["compoundId"], "not_resident")])
    description = check_text(ctx, errors, "description", input.description, min_len=1, max_len=2000)
    offering = None
    if input.offering_id is not None:
        offering = await _visible_offering(ctx, errors, "offeringId", input.offering_id)
        if offering is not None and offering.approved_at is None:
            errors.append(user_error(ctx.lang, ErrorCode.INVALID_STATE, ["offeringId"], "offering_not_approved"))
        elif offering is not None and offering.category is not input.category:
            errors.append(user_error(ctx.lang, ErrorCode.INVALID, ["category"], "category_mismatch"))
    photos = await check_photos(ctx, errors, input.photos)
    if errors:
        return OrderPayload(errors=errors)
    row = await order_model.place(resident_id=user_id, compound=compound, category=input.category,
                                  description=description, offering_id=offering.id if offering else None,
                                  preferred_time=input.preferred_time, photos=await store_photos(ctx, photos))
    audit_target(ctx, object_id=to_global_id("Order", row.id))
    return OrderPayload(order=Order.from_model(row))


async def _load_order(ctx: Context, errors: list[UserError], global_id: str) -> order_model.Order | None:
    """An order the viewer may see, or NOT_FOUND on `orderId` (missing and invisible look the same)."""
    pk = pk_of(global_id, "Order")
    row = await order_model.get(order_id=pk) if pk is not None else None
    if row is None or not await ctx.loaders.order_visible.load(row.id):
        errors.append(user_error(ctx.lang, ErrorCode.NOT_FOUND, ["orderId"], "not_found"))
        return None
    audit_target(ctx, org_id=row.community_id, object_id=to_global_id("Order", row.id))
    return row


async def _after(ctx: Context, order_id: int, moved: bool) -> OrderPayload:
    """The payload after a transition attempt: the order as it is now, or INVALID_STATE (with the state it was
    found in) when a concurrent change won."""
    row = await order_model.get(order_id=order_id)
    if not moved:
        return _wrong_state(ctx, row)
    ctx.loaders.order_events.clear_all()
    return OrderPayload(order=Order.from_model(row))


def _wrong_state(ctx: Context, row: order_model.Order) -> OrderPayload:
    return OrderPayload(errors=[user_error(ctx.lang, ErrorCode.INVALID_STATE, ["orderId"], "order_state",
                                           status=row.status.value)])


async def dispatch_order(info: Info, input: DispatchOrderInput) -> OrderPayload:
    """Community staff send a SUBMITTED order to a provider at a price."""
    ctx = info.context
    user_id = require_login(ctx)
    errors: list[UserError] = []
    row = await _load_order(ctx, errors, input.order_id)
    if row is None:
        return OrderPayload(errors=errors)
    if not await policies.can_dispatch_order(ctx.viewer, row):
        raise forbidden(ctx.lang)
    provider = await load_org(ctx, errors, "providerOrgId", input.provider_org_id)
    if provider is not None and provider.kind not in PROVIDER_KINDS:
        errors.append(user_error(ctx.lang, ErrorCode.INVALID, ["providerOrgId"], "provider_kind"))
    price = input.price_fen
    if price is None and provider is not None and row.offering_id is not None:
        offering = await ctx.loaders.offering.load(row.offering_id)
        if offering is not None and offering.provider_id == provider.id:
            price = offering.price_fen
    if price is None:
        errors.append(user_error(ctx.lang, ErrorCode.INVALID, ["priceFen"], "required"))
    else:
        check_range(ctx, errors, "priceFen", price, low=0, high=MAX_PRICE_FEN)
    if errors or provider is None:
        return OrderPayload(errors=errors)
    if row.status is not OrderStatus.SUBMITTED:
        return _wrong_state(ctx, row)
    moved = await order_model.transition(order_id=row.id, expected=(OrderStatus.SUBMITTED,),
                                         to=OrderStatus.DISPATCHED, action=OrderAction.DISPATCHED, actor_id=user_id,
                                         event_provider_id=provider.id, event_price_fen=price,
                                         changes={"provider_id": provider.id, "price_fen": price})
    return await _after(ctx, row.id, moved)


async def _provider_step(ctx: Context, global_id: str, *, expected: OrderStatus, to: OrderStatus,
                         action: OrderAction, note: str | None = None, changes: dict | None = None,
                         errors: list[UserError] | None = None) -> OrderPayload:
    """A step of the provider the order is dispatched to: its staff only, from one expected state."""
    user_id = require_login(ctx)
    errors = errors if errors is not None else []
    row = await _load_order(ctx, errors, global_id)
    if row is None:
        return OrderPayload(errors=errors)
    if not await policies.can_serve_order(ctx.viewer, row):
        raise forbidden(ctx.lang)
    if errors:
        return OrderPayload(errors=errors)
    if row.status is not expected:
        return _wrong_state(ctx, row)
    moved = await order_model.transition(order_id=row.id, expected=(expected,), to=to, action=action,
                                         actor_id=user_id, note=note, provider_id=row.provider_id, changes=changes)
    return await _after(ctx, row.id, moved)


async def accept_order(info: Info, input: AcceptOrderInput) -> OrderPayload:
    """The provider takes a DISPATCHED order (then it sees the resident's phone)."""
    return await _provider_step(info.context, input.order_id, expected=OrderStatus.DISPATCHED,
                                to=OrderStatus.ACCEPTED, action=OrderAction.ACCEPTED)


async def decline_order(info: Info, input: DeclineOrderInput) -> OrderPayload:
    """The provider turns a DISPATCHED order down: back to SUBMITTED for another provider, the reason kept."""
    ctx = info.context
    errors: list[UserError] = []
    reason = check_text(ctx, errors, "reason", input.reason, min_len=1, max_len=500)
    return await _provider_step(ctx, input.order_id, expected=OrderStatus.DISPATCHED, to=OrderStatus.SUBMITTED,
                                action=OrderAction.DECLINED, note=reason,
                                changes={"provider_id": None, "price_fen": None}, errors=errors)


async def start_order(info: Info, input: StartOrderInput) -> OrderPayload:
    """The provider starts the work."""
    return await _provider_step(info.context, input.order_id, expected=OrderStatus.ACCEPTED,
                                to=OrderStatus.IN_PROGRESS, action=OrderAction.STARTED)


async def complete_order(info: Info, input: CompleteOrderInput) -> OrderPayload:
    """The provider reports the work done; the resident confirms it."""
    ctx = info.context
    errors: list[UserError] = []
    note = check_text(ctx, errors, "note", input.note, min_len=0, max_len=2000) or None
    return await _provider_step(ctx, input.order_id, expected=OrderStatus.IN_PROGRESS, to=OrderStatus.COMPLETED,
                                action=OrderAction.COMPLETED, note=note, errors=errors)


async def confirm_order(info: Info, input: ConfirmOrderInput) -> OrderPayload:
    """The resident confirms a COMPLETED order and rates it 1-5."""
    ctx = info.context
    user_id = require_login(ctx)
    errors: list[UserError] = []
    row = await _load_order(ctx, errors, input.order_id)
    if row is None:
        return OrderPayload(errors=errors)
    if row.resident_id != user_id:
        raise forbidden(ctx.lang)
    check_range(ctx, errors, "rating", input.rating, low=1, high=5)
    comment = check_text(ctx, errors, "comment", input.comment, min_len=0, max_len=2000) or None
    if errors:
        return OrderPayload(errors=errors)
    if row.status is not OrderStatus.COMPLETED:
        return _wrong_state(ctx, row)
    moved = await order_model.transition(order_id=row.id, expected=(OrderStatus.COMPLETED,),
                                         to=OrderStatus.CONFIRMED, action=OrderAction.CONFIRMED, actor_id=user_id,
                                         note=comment, event_provider_id=row.provider_id,
                                         changes={"rating": input.rating, "comment": comment})
    return await _after(ctx, row.id, moved)


async def cancel_order(info: Info, input: CancelOrderInput) -> OrderPayload:
    """The resident cancels before the provider accepts; community staff cancel any time before COMPLETED, saying
    why."""
    ctx = info.context
    user_id = require_login(ctx)
    errors: list[UserError] = []
    row = await _load_order(ctx, errors, input.order_id)
    if row is None:
        return OrderPayload(errors=errors)
    staff = await policies.can_dispatch_order(ctx.viewer, row)
    resident = row.resident_id == user_id
    if not staff and not resident:
        raise forbidden(ctx.lang)
    # Without a reason only the resident's rule applies (before ACCEPTED), also to staff cancelling their own order.
    as_resident = resident and row.status in RESIDENT_CANCELS
    reason = check_text(ctx, errors, "reason", input.reason, min_len=0 if as_resident or not staff else 1,
                        max_len=500) or None
    if errors:
        return OrderPayload(errors=errors)
    allowed = STAFF_CANCELS if staff and reason else RESIDENT_CANCELS
    if row.status not in allowed:
        return _wrong_state(ctx, row)
    moved = await order_model.transition(order_id=row.id, expected=allowed, to=OrderStatus.CANCELLED,
                                         action=OrderAction.CANCELLED, actor_id=user_id, note=reason,
                                         event_provider_id=row.provider_id)
    return await _after(ctx, row.id, moved)


async def order_updated(info: Info, order_id: strawberry.ID) -> AsyncGenerator[Order, None]:
    """The order each time its status changes, for whoever may see it (resident, provider, community staff)."""
    ctx = info.context
    async for order in live.follow(ctx, topic=events.order_topic(pk_of(order_id, "Order") or 0),
                                   node_id=lambda _data: order_id,
                                   check=lambda: live.visible(ctx, order_id, "Order")):
        yield order
