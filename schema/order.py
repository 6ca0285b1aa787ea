"""GraphQL types for the price list (明码标价) and resident orders (居民点单、社区下单、物业接单)."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated

import strawberry
from strawberry.file_uploads import Upload

from auth import policies
from models import order as order_model
from models import org as org_model
from schema.compound import Compound
from schema.context import Context
from schema.errors import UserError
from schema.org import Org
from schema.photo import Photo
from schema.project import ProjectCategory
from schema.relay import Node, deferred, to_global_id

if TYPE_CHECKING:
    from schema.user import User

Info = strawberry.Info[Context, None]

OrderStatus = strawberry.enum(order_model.OrderStatus, description="SUBMITTED -> DISPATCHED -> ACCEPTED -> "
                              "IN_PROGRESS -> COMPLETED -> CONFIRMED; a decline returns DISPATCHED to SUBMITTED; "
                              "CANCELLED by the resident before ACCEPTED or by staff before COMPLETED.")
OrderAction = strawberry.enum(order_model.OrderAction, description="What an order event records.")


@strawberry.type(description="A provider's service at a clearly marked price (明码标价). Approved offerings are "
                             "visible to everyone logged in; pending ones to the provider's managers and to those "
                             "who may approve them.")
class ServiceOffering(Node):
    id: strawberry.ID
    title: str
    category: ProjectCategory
    price_fen: int = strawberry.field(description="Price in fen (1/100 yuan) per `unit`.")
    unit: str = strawberry.field(description="What the price is for: 次, 小时, 平方米 ...")
    description: str
    approved: bool
    approved_at: datetime | None
    pk: strawberry.Private[int]
    provider_id: strawberry.Private[int]

    @classmethod
    def from_model(cls, o: order_model.ServiceOffering) -> ServiceOffering:
        return cls(id=to_global_id("ServiceOffering", o.id), title=o.title, category=o.category,
                   price_fen=o.price_fen, unit=o.unit, description=o.description,
                   approved=o.approved_at is not None, approved_at=o.approved_at, pk=o.id, provider_id=o.provider_id)

    @strawberry.field
    async def provider(self, info: Info) -> Org:
        return Org.from_model(await info.context.loaders.org.load(self.provider_id))


@strawberry.type(description="One step of an order's history (oldest first; never changed).")
class OrderEvent:
    action: OrderAction
    status: OrderStatus = strawberry.field(description="The order's status after this step.")
    note: str | None = strawberry.field(description="A decline's or cancellation's reason, a completion note, the "
                                                    "resident's comment.")
    at: datetime
    price_fen: int | None = strawberry.field(description="The price agreed by a dispatch (kept after a decline).")
    actor_id: strawberry.Private[int | None]
    provider_id: strawberry.Private[int | None]

    @classmethod
    def from_model(cls, e: order_model.OrderEvent) -> OrderEvent:
        return cls(action=e.action, status=e.status, note=e.note, at=e.at, price_fen=e.price_fen,
                   actor_id=e.actor_id, provider_id=e.provider_id)

    @strawberry.field(description="Who did it (phone masked unless the viewer may see it).")
    async def actor(self, info: Info) -> Annotated["User", strawberry.lazy("schema.user")] | None:
        from schema.user import User

        if self.actor_id is None:
            return None
        row = await info.context.loaders.user.load(self.actor_id)
        return User.from_model(row) if row else None

    @strawberry.field(description="The provider concerned (dispatched to, accepting, declining ...).")
    async def provider(self, info: Info) -> Org | None:
        if self.provider_id is None:
            return None
        row = await info.context.loaders.org.load(self.provider_id)
        return Org.from_model(row) if row else None


@strawberry.type(description="A resident's order. Visible to the resident, managers of the compound's community "
                             "or branch (and above), and managers of the provider it is dispatched to.")
class Order(Node):
    id: strawberry.ID
    status: OrderStatus
    category: ProjectCategory
    description: str
    preferred_time: datetime | None
    price_fen: int | None = strawberry.field(description="The agreed price in fen, set when dispatched.")
    rating: int | None = strawberry.field(description="1-5, given when the resident confirms.")
    comment: str | None
    created_at: datetime
    updated_at: datetime
    pk: strawberry.Private[int]
    model: strawberry.Private[order_model.Order]
    # What the list resolver fetched with the row (None / False: not fetched; the fields load it then).
    provider_row: strawberry.Private[org_model.Org | None] = None
    latest_event_row: strawberry.Private[order_model.OrderEvent | None] = None
    latest_event_fetched: strawberry.Private[bool] = False

    @classmethod
    def from_model(cls, o: order_model.Order) -> Order:
        return cls(id=to_global_id("Order", o.id), status=o.status, category=o.category, description=o.description,
                   preferred_time=o.preferred_time, price_fen=o.price_fen, rating=o.rating, comment=o.comment,
                   created_at=o.created_at, updated_at=o.updated_at, pk=o.id, model=o)

    @classmethod
    def from_with(cls, w: order_model.OrderWith) -> Order:
        """An order with the related rows its list fetched alongside it."""
        order = cls.from_model(w.order)
        order.provider_row = w.provider
        order.latest_event_row, order.latest_event_fetched = w.latest_event, w.latest_event_fetched
        return order

    @strawberry.field
    async def compound(self, info: Info) -> Compound:
        return Compound.from_model(await info.context.loaders.compound.load(self.model.compound_id))

    @strawberry.field(description="The resident. The phone is shown to the resident, the community's managers, and "
                                  "the provider's managers only from ACCEPTED until the resident confirms.")
    async def resident(self, info: Info) -> Annotated["User", strawberry.lazy("schema.user")]:
        from schema.user import User

        row = await info.context.loaders.user.load(self.model.resident_id)
        reveal = await policies.can_see_order_phone(info.context.viewer, self.model)
        return User.from_model(row, phone_revealed=reveal)

    @strawberry.field(description="The provider it is dispatched to (null while SUBMITTED).")
    def provider(self, info: Info) -> Org | None:
        if self.model.provider_id is None:
            return None
        if self.provider_row is not None:
            return Org.from_model(self.provider_row)
        return deferred(self._load_provider(info))

    async def _load_provider(self, info: Info) -> Org | None:
        row = await info.context.loaders.org.load(self.model.provider_id)
        return Org.from_model(row) if row else None

    @strawberry.field(description="The price-list entry the resident chose, if any.")
    async def offering(self, info: Info) -> ServiceOffering | None:
        if self.model.offering_id is None:
            return None
        row = await info.context.loaders.offering.load(self.model.offering_id)
        return ServiceOffering.from_model(row) if row else None

    @strawberry.field(description="The history, oldest first.")
    async def events(self, info: Info) -> list[OrderEvent]:
        return [OrderEvent.from_model(e) for e in await info.context.loaders.order_events.load(self.pk)]

    @strawberry.field(description="The newest event (the order list shows it under each order).")
    def latest_event(self, info: Info) -> OrderEvent | None:
        if self.latest_event_fetched:
            return OrderEvent.from_model(self.latest_event_row) if self.latest_event_row else None
        return deferred(self._load_latest_event(info))

    async def _load_latest_event(self, info: Info) -> OrderEvent | None:
        row = await info.context.loaders.latest_order_event.load(self.pk)
        return OrderEvent.from_model(row) if row else None

    @strawberry.field(description="The photos the resident attached, in upload order.")
    async def photos(self, info: Info) -> list[Photo]:
        rows = await info.context.loaders.order_photos.load(self.pk)
        return [Photo.from_model(p, info.context.settings) for p in rows]


@strawberry.input(description="Filter for the order list.")
class OrderFilter:
    mine: bool = strawberry.field(default=False, description="Only the viewer's own orders (as a resident).")
    org_id: strawberry.ID | None = strawberry.field(
        default=None, description="Orders of compounds in this org's subtree, or dispatched to this provider.")
    status: list[OrderStatus] | None = None


@strawberry.input(description="Filter for the price list.")
class ServiceOfferingFilter:
    provider_id: strawberry.ID | None = None
    category: ProjectCategory | None = None
    approved: bool | None = None


@strawberry.input
class CreateServiceOfferingInput:
    provider_org_id: strawberry.ID
    title: str
    category: ProjectCategory
    price_fen: int
    unit: str
    description: str = ""


@strawberry.input
class ApproveServiceOfferingInput:
    offering_id: strawberry.ID


@strawberry.input(description="A resident of the compound orders a service (optionally from the price list).")
class PlaceOrderInput:
    compound_id: strawberry.ID
    category: ProjectCategory
    description: str
    offering_id: strawberry.ID | None = None
    preferred_time: datetime | None = None
    photos: list[Upload] | None = strawberry.field(
        default=None, description="Up to 6 photos (JPEG, PNG or WebP, judged by their bytes; at most 5 MB each), sent "
                                  "as files of a GraphQL multipart request with an `Authorization: Bearer` header.")


@strawberry.input(description="Community staff dispatch a SUBMITTED order to a provider; `priceFen` defaults to the "
                              "chosen offering's price when dispatched to its provider.")
class DispatchOrderInput:
    order_id: strawberry.ID
    provider_org_id: strawberry.ID
    price_fen: int | None = None


@strawberry.input
class AcceptOrderInput:
    order_id: strawberry.ID


@strawberry.input
class StartOrderInput:
    order_id: strawberry.ID


@strawberry.input
class DeclineOrderInput:
    order_id: strawberry.ID
    reason: str


@strawberry.input
class CompleteOrderInput:
    order_id: strawberry.ID
    note: str | None = None


@strawberry.input
class ConfirmOrderInput:
    order_id: strawberry.ID
    rating: int
    comment: str | None = None


@strawberry.input(description="The resident cancels before ACCEPTED; staff any time before COMPLETED, with a reason.")
class CancelOrderInput:
    order_id: strawberry.ID
    reason: str | None = None


@strawberry.type
class ServiceOfferingPayload:
    offering: ServiceOffering | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class OrderPayload:
    order: Order | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)
