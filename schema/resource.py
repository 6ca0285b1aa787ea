"""GraphQL types for resource sharing (资源共享): resources, bookings and the availability calendar."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import strawberry

from auth import policies
from models import resource as resource_model
from schema.context import Context
from schema.errors import UserError
from schema.org import Org
from schema.project import Project
from schema.relay import Connection, Node, connection, decode_cursor, page_size, to_global_id, wants_rows

Info = strawberry.Info[Context, None]

ResourceKind = strawberry.enum(resource_model.ResourceKind, description="What is offered.")
ShareScope = strawberry.enum(resource_model.ShareScope, description="SUBTREE: the owner's subtree; PARTNERS: also "
                             "paired orgs and their subtrees; DISTRICT: every org.")
BookingStatus = strawberry.enum(resource_model.BookingStatus, description="PENDING -> APPROVED or REJECTED; "
                                "PENDING or APPROVED -> CANCELLED.")


@strawberry.type(description="A stretch of time and the quantity free throughout it.")
class Availability:
    starts_at: datetime
    ends_at: datetime
    free_quantity: int


@strawberry.type(description="Something an org offers to others. Visible to the owner's managers and to members of "
                             "orgs that may request it.")
class Resource(Node):
    id: strawberry.ID
    name: str
    kind: ResourceKind
    quantity: int
    share_scope: ShareScope
    description: str | None
    location: str | None
    retired: bool
    pk: strawberry.Private[int]
    owner_id: strawberry.Private[int]

    @classmethod
    def from_model(cls, r: resource_model.Resource) -> Resource:
        return cls(id=to_global_id("Resource", r.id), name=r.name, kind=r.kind, quantity=r.quantity,
                   share_scope=r.share_scope, description=r.description, location=r.location,
                   retired=r.retired_at is not None, pk=r.id, owner_id=r.owner_id)

    @strawberry.field
    async def owner(self, info: Info) -> Org:
        return Org.from_model(await info.context.loaders.org.load(self.owner_id))

    @strawberry.field(description="Bookings overlapping [from, to), oldest first: all of them for the owner's "
                                  "managers, for others those of orgs they manage (`availability` shows everyone "
                                  "when the resource is free, without saying who booked it).")
    async def bookings(
        self, info: Info, from_: Annotated[datetime | None, strawberry.argument(name="from")] = None,
        to: datetime | None = None, first: int | None = None, after: str | None = None,
    ) -> Connection[Booking]:
        ctx = info.context
        size, cursor = page_size(first, ctx.lang), decode_cursor(after, ctx.lang)
        only = None
        if not await policies.can_manage(ctx.viewer, self.owner_id):
            only = tuple((await policies.project_scope(ctx.viewer)).managed_org_ids)
        rows = (await ctx.loaders.bookings_page.load((self.pk, from_, to, only, size, cursor)) if wants_rows(info)
                else [])
        return connection(rows, first=size, convert=Booking.from_model,
                          total=lambda: ctx.loaders.bookings_count.load((self.pk, from_, to, only)))

    @strawberry.field(description="Free quantity per interval of [from, to) (at most 92 days), for a calendar.")
    async def availability(
        self, info: Info, from_: Annotated[datetime, strawberry.argument(name="from")], to: datetime
    ) -> list[Availability]:
        from resolvers.resource import availability

        return await availability(info, self, from_, to)


@strawberry.type(description="A request to use some quantity of a resource over [startsAt, endsAt) for an org.")
class Booking(Node):
    id: strawberry.ID
    starts_at: datetime
    ends_at: datetime
    quantity: int
    status: BookingStatus
    purpose: str | None
    reason: str | None = strawberry.field(description="Why it was rejected or cancelled.")
    pk: strawberry.Private[int]
    resource_id: strawberry.Private[int]
    for_org_id: strawberry.Private[int]
    project_id: strawberry.Private[int | None]

    @classmethod
    def from_model(cls, b: resource_model.Booking) -> Booking:
        return cls(id=to_global_id("Booking", b.id), starts_at=b.starts_at, ends_at=b.ends_at, quantity=b.quantity,
                   status=b.status, purpose=b.purpose, reason=b.reason, pk=b.id, resource_id=b.resource_id,
                   for_org_id=b.for_org_id, project_id=b.project_id)

    @strawberry.field
    async def resource(self, info: Info) -> Resource:
        return Resource.from_model(await info.context.loaders.resource.load(self.resource_id))

    @strawberry.field
    async def for_org(self, info: Info) -> Org:
        return Org.from_model(await info.context.loaders.org.load(self.for_org_id))

    @strawberry.field(description="The project the booking serves, while the viewer may see it.")
    async def project(self, info: Info) -> Project | None:
        if self.project_id is None or not await info.context.loaders.project_visible.load(self.project_id):
            return None
        return Project.from_model(await info.context.loaders.project.load(self.project_id))


@strawberry.input(description="Filter for the resource list.")
class ResourceFilter:
    kind: ResourceKind | None = None
    owner_id: strawberry.ID | None = None
    requestable_by: strawberry.ID | None = strawberry.field(
        default=None, description="Only what this org may request: one the viewer belongs to or manages (directly "
                                  "or from above); any other org lists nothing.")


@strawberry.input
class CreateResourceInput:
    owner_org_id: strawberry.ID
    name: str
    kind: ResourceKind
    quantity: int = 1
    share_scope: ShareScope = ShareScope.SUBTREE
    description: str | None = None
    location: str | None = None


@strawberry.input(description="Fields left out stay as they are.")
class UpdateResourceInput:
    resource_id: strawberry.ID
    name: str | None = strawberry.UNSET
    quantity: int | None = strawberry.UNSET
    share_scope: ShareScope | None = strawberry.UNSET
    description: str | None = strawberry.UNSET
    location: str | None = strawberry.UNSET


@strawberry.input
class RetireResourceInput:
    resource_id: strawberry.ID


@strawberry.type
class ResourcePayload:
    resource: Resource | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.input
class RequestBookingInput:
    resource_id: strawberry.ID
    for_org_id: strawberry.ID
    starts_at: datetime
    ends_at: datetime
    quantity: int = 1
    purpose: str | None = None
    project_id: strawberry.ID | None = None


@strawberry.input
class ApproveBookingInput:
    booking_id: strawberry.ID
    reason: str | None = None


@strawberry.input
class RejectBookingInput:
    booking_id: strawberry.ID
    reason: str | None = None


@strawberry.input
class CancelBookingInput:
    booking_id: strawberry.ID
    reason: str | None = None


@strawberry.type
class BookingPayload:
    booking: Booking | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)
