"""Resource sharing (资源共享): offer, request, approve without ever overbooking, and the availability calendar."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import strawberry

from auth import policies
from models import resource as resource_model
from models.resource import BookingStatus as Status
from resolvers.common import audit_target, check_range, check_text, load_org, require_login
from schema.context import Context
from schema.errors import ErrorCode, UserError, forbidden, invalid_argument, user_error
from schema.relay import Connection, connection, decode_cursor, page_size, pk_of, to_global_id
from schema.resource import (
    ApproveBookingInput, Availability, Booking, BookingPayload, CancelBookingInput, CreateResourceInput,
    RejectBookingInput, RequestBookingInput, Resource, ResourceFilter, ResourcePayload, RetireResourceInput,
    UpdateResourceInput,
)

Info = strawberry.Info[Context, None]
MAX_QUANTITY = 100_000
MAX_BOOKING = timedelta(days=30)
MAX_CALENDAR = timedelta(days=92)
PAST_GRACE = timedelta(minutes=5)  # a phone's clock and a slow network


async def resources(
    info: Info, filter: ResourceFilter | None = None, first: int | None = None, after: str | None = None
) -> Connection[Resource]:
    """Resources the viewer may see (or that one of their orgs may request), oldest first."""
    ctx = info.context
    require_login(ctx)
    size, cursor = page_size(first, ctx.lang), decode_cursor(after, ctx.lang)
    scope = await policies.project_scope(ctx.viewer)
    f = filter or ResourceFilter()
    owner_id = (pk_of(f.owner_id, "Org") or -1) if f.owner_id is not None else None
    requestable_by = (pk_of(f.requestable_by, "Org") or -1) if f.requestable_by is not None else None
    if requestable_by is not None and requestable_by not in scope.member_org_ids and not (
            await policies.can_manage(ctx.viewer, requestable_by)):
        requestable_by = -1  # only orgs the viewer belongs to or manages: no probing what others may request
    args = dict(member_org_ids=list(scope.member_org_ids), managed_org_ids=list(scope.managed_org_ids),
                kind=f.kind, owner_id=owner_id, requestable_by=requestable_by)
    rows = await resource_model.page(**args, first=size, after=cursor)
    return connection(rows, first=size, convert=Resource.from_model, total=lambda: resource_model.count(**args))


async def availability(info: Info, resource: Resource, starts: datetime, ends: datetime) -> list[Availability]:
    """Free quantity per interval of [from, to) for a resource the viewer sees."""
    ctx = info.context
    if ends <= starts:
        raise invalid_argument(ctx.lang, "to", "ends_before_start")
    if ends - starts > MAX_CALENDAR:
        raise invalid_argument(ctx.lang, "to", "range_too_long", days=MAX_CALENDAR.days)
    bookings = await resource_model.approved_between(resource_id=resource.pk, starts=starts, ends=ends)
    return [Availability(starts_at=i.starts_at, ends_at=i.ends_at, free_quantity=i.free_quantity)
            for i in resource_model.availability(quantity=resource.quantity, bookings=bookings, starts=starts,
                                                 ends=ends)]


async def load_resource(ctx: Context, errors: list[UserError], global_id: str) -> resource_model.Resource | None:
    """A resource the viewer may see, or NOT_FOUND on `resourceId`."""
    pk = pk_of(global_id, "Resource")
    row = await ctx.loaders.resource.load(pk) if pk is not None else None
    if row is None or not await policies.can_see_resource(ctx.viewer, row.id):
        errors.append(user_error(ctx.lang, ErrorCode.NOT_FOUND, ["resourceId"], "not_found"))
        return None
    audit_target(ctx, org_id=row.owner_id, object_id=to_global_id("Resource", row.id))
    return row


async def create_resource(info: Info, input: CreateResourceInput) -> ResourcePayload:
    """Offer a resource of an org the viewer manages."""
    ctx = info.context
    require_login(ctx)
    errors: list[UserError] = []
    owner = await load_org(ctx, errors, "ownerOrgId", input.owner_org_id)
    if owner is None:
        return ResourcePayload(errors=errors)
    if not await policies.can_manage(ctx.viewer, owner.id):
        raise forbidden(ctx.lang)
    name = check_text(ctx, errors, "name", input.name, min_len=1, max_len=100)
    check_range(ctx, errors, "quantity", input.quantity, low=1, high=MAX_QUANTITY)
    description = check_text(ctx, errors, "description", input.description, min_len=0, max_len=2000) or None
    location = check_text(ctx, errors, "location", input.location, min_len=0, max_len=200) or None
    if errors:
        return ResourcePayload(errors=errors)
    row = await resource_model.create(owner_id=owner.id, name=name, kind=input.kind, quantity=input.quantity,
                                      share_scope=input.share_scope, description=description, location=location)
    return ResourcePayload(resource=Resource.from_model(row))


async def _managed_resource(ctx: Context, global_id: str) -> tuple[resource_model.Resource | None, list[UserError]]:
    require_login(ctx)
    errors: list[UserError] = []
    row = await load_resource(ctx, errors, global_id)
    if row is not None and not await policies.can_manage(ctx.viewer, row.owner_id):
        raise forbidden(ctx.lang)
    return row, errors


async def update_resource(info: Info, input: UpdateResourceInput) -> ResourcePayload:
    """Change a resource; its quantity cannot go below what approved bookings use at once from now on."""
    ctx = info.context
    row, errors = await _managed_resource(ctx, input.resource_id)
    if row is None:
        return ResourcePayload(errors=errors)
    changes: dict[str, object] = {}
    if input.name is not strawberry.UNSET:
        changes["name"] = check_text(ctx, errors, "name", input.name, min_len=1, max_len=100)
    if input.description is not strawberry.UNSET:
        changes["description"] = check_text(ctx, errors, "description", input.description, min_len=0,
                                            max_len=2000) or None
    if input.location is not strawberry.UNSET:
        changes["location"] = check_text(ctx, errors, "location", input.location, min_len=0, max_len=200) or None
    if input.share_scope is not strawberry.UNSET:
        if input.share_scope is None:
            errors.append(user_error(ctx.lang, ErrorCode.INVALID, ["shareScope"], "required"))
        else:
            changes["share_scope"] = input.share_scope
    if input.quantity is not strawberry.UNSET:
        if input.quantity is None:
            errors.append(user_error(ctx.lang, ErrorCode.INVALID, ["quantity"], "required"))
        else:
            check_range(ctx, errors, "quantity", input.quantity, low=1, high=MAX_QUANTITY)
        changes["quantity"] = input.quantity
    if errors:
        return ResourcePayload(errors=errors)
    try:
        updated = await resource_model.update(resource=row, changes=changes)
    except resource_model.QuantityInUse as exc:
        return ResourcePayload(errors=[user_error(ctx.lang, ErrorCode.CONFLICT, ["quantity"], "quantity_in_use",
                                                  peak=exc.peak)])
    return ResourcePayload(resource=Resource.from_model(updated))


async def retire_resource(info: Info, input: RetireResourceInput) -> ResourcePayload:
    """Stop offering a resource; existing bookings stay."""
    ctx = info.context
    row, errors = await _managed_resource(ctx, input.resource_id)
    if row is None:
        return ResourcePayload(errors=errors)
    if not await resource_model.retire(resource=row):
        errors.append(user_error(ctx.lang, ErrorCode.INVALID_STATE, ["resourceId"], "retired"))
    return ResourcePayload(resource=Resource.from_model(await resource_model.get(resource_id=row.id)), errors=errors)


async def request_booking(info: Info, input: RequestBookingInput) -> BookingPayload:
    """Staff of an org ask for a resource shared with it: PENDING until the owner decides."""
    ctx = info.context
    user_id = require_login(ctx)
    errors: list[UserError] = []
    row = await load_resource(ctx, errors, input.resource_id)
    for_org = await load_org(ctx, errors, "forOrgId", input.for_org_id)
    if row is None or for_org is None:
        return BookingPayload(errors=errors)
    if not await policies.can_manage(ctx.viewer, for_org.id):
        raise forbidden(ctx.lang)
    if row.retired_at is not None:
        errors.append(user_error(ctx.lang, ErrorCode.INVALID_STATE, ["resourceId"], "retired"))
    elif not await resource_model.is_requestable(resource_id=row.id, org_id=for_org.id):
        errors.append(user_error(ctx.lang, ErrorCode.INVALID, ["forOrgId"], "not_shared"))
    starts, ends = input.starts_at, input.ends_at
    if starts.tzinfo is None or ends.tzinfo is None:
        starts, ends = starts.replace(tzinfo=starts.tzinfo or timezone.utc), ends.replace(tzinfo=ends.tzinfo or
                                                                                          timezone.utc)
    if ends <= starts:
        errors.append(user_error(ctx.lang, ErrorCode.INVALID, ["endsAt"], "ends_before_start"))
    elif ends - starts > MAX_BOOKING:
        errors.append(user_error(ctx.lang, ErrorCode.INVALID, ["endsAt"], "booking_too_long", days=MAX_BOOKING.days))
    if starts < datetime.now(timezone.utc) - PAST_GRACE:
        errors.append(user_error(ctx.lang, ErrorCode.INVALID, ["startsAt"], "in_the_past"))
    check_range(ctx, errors, "quantity", input.quantity, low=1, high=row.quantity)
    purpose = check_text(ctx, errors, "purpose", input.purpose, min_len=0, max_len=200) or None
    project_id = None
    if input.project_id is not None:
        project_id = pk_of(input.project_id, "Project")
        if project_id is None or not await policies.can_see_project(ctx.viewer, project_id):
            errors.append(user_error(ctx.lang, ErrorCode.NOT_FOUND, ["projectId"], "not_found"))
    if errors:
        return BookingPayload(errors=errors)
    booking = await resource_model.request(resource_id=row.id, for_org_id=for_org.id, requested_by=user_id,
                                           starts_at=starts, ends_at=ends, quantity=input.quantity, purpose=purpose,
                                           project_id=project_id)
    audit_target(ctx, object_id=to_global_id("Booking", booking.id))
    return BookingPayload(booking=Booking.from_model(booking))


async def _load_booking(
    ctx: Context, global_id: str
) -> tuple[resource_model.Booking | None, resource_model.Resource | None]:
    """A booking the viewer may see, with its resource; (None, None) reads as NOT_FOUND."""
    require_login(ctx)
    pk = pk_of(global_id, "Booking")
    booking = await ctx.loaders.booking.load(pk) if pk is not None else None
    if booking is None:
        return None, None
    row = await ctx.loaders.resource.load(booking.resource_id)
    if not await policies.can_see_booking(ctx.viewer, row.owner_id, booking.for_org_id):
        return None, None
    audit_target(ctx, org_id=row.owner_id, object_id=to_global_id("Booking", booking.id))
    return booking, row


async def _booking_result(ctx: Context, booking_id: int, done: bool, verb: tuple[str, str],
                          errors: list[UserError] | None = None) -> BookingPayload:
    fresh = (await resource_model.get_bookings(booking_ids=[booking_id]))[booking_id]
    ctx.loaders.booking.prime(booking_id, fresh, force=True)  # nested fields see the new status
    if not done and not errors:
        errors = [user_error(ctx.lang, ErrorCode.INVALID_STATE, ["bookingId"], "booking_state",
                             status=fresh.status.value, action=verb[1] if ctx.lang == "en" else verb[0])]
    return BookingPayload(booking=Booking.from_model(fresh), errors=errors or [])


def _not_found(ctx: Context) -> BookingPayload:
    return BookingPayload(errors=[user_error(ctx.lang, ErrorCode.NOT_FOUND, ["bookingId"], "not_found")])


async def approve_booking(info: Info, input: ApproveBookingInput) -> BookingPayload:
    """The owner's staff approve; CONFLICT when the quantity would be exceeded at any instant."""
    ctx = info.context
    booking, row = await _load_booking(ctx, input.booking_id)
    if booking is None or row is None:
        return _not_found(ctx)
    if not await policies.can_manage(ctx.viewer, row.owner_id):
        raise forbidden(ctx.lang)
    try:
        done = await resource_model.approve(booking_id=booking.id, decided_by=ctx.viewer.user_id or 0)
    except resource_model.OverBooked:
        return await _booking_result(ctx, booking.id, False, ("批准", "approved"), [
            user_error(ctx.lang, ErrorCode.CONFLICT, ["bookingId"], "overbooked")])
    return await _booking_result(ctx, booking.id, done, ("批准", "approved"))


async def reject_booking(info: Info, input: RejectBookingInput) -> BookingPayload:
    """The owner's staff turn a PENDING request down, with a reason."""
    ctx = info.context
    booking, row = await _load_booking(ctx, input.booking_id)
    if booking is None or row is None:
        return _not_found(ctx)
    if not await policies.can_manage(ctx.viewer, row.owner_id):
        raise forbidden(ctx.lang)
    errors: list[UserError] = []
    reason = check_text(ctx, errors, "reason", input.reason, min_len=0, max_len=200) or None
    if errors:
        return BookingPayload(errors=errors)
    done = await resource_model.decide(booking_id=booking.id, to=Status.REJECTED, allowed_from=(Status.PENDING,),
                                       decided_by=ctx.viewer.user_id or 0, reason=reason)
    return await _booking_result(ctx, booking.id, done, ("拒绝", "rejected"))


async def cancel_booking(info: Info, input: CancelBookingInput) -> BookingPayload:
    """The requester or the owner cancels a PENDING or APPROVED booking (the quantity is free again)."""
    ctx = info.context
    booking, row = await _load_booking(ctx, input.booking_id)
    if booking is None or row is None:
        return _not_found(ctx)
    errors: list[UserError] = []
    reason = check_text(ctx, errors, "reason", input.reason, min_len=0, max_len=200) or None
    if errors:
        return BookingPayload(errors=errors)
    done = await resource_model.decide(booking_id=booking.id, to=Status.CANCELLED,
                                       allowed_from=(Status.PENDING, Status.APPROVED),
                                       decided_by=ctx.viewer.user_id or 0, reason=reason)
    return await _booking_result(ctx, booking.id, done, ("取消", "cancelled"))
