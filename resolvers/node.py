"""`node` and `nodes`: fetch anything by global id, answering null alike for missing and for invisible objects."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import strawberry

from auth import policies
from models import notification as notification_model
from schema.alliance import Alliance
from schema.compound import Compound
from schema.duty import DutyShift
from schema.household import Household
from schema.opinion import Opinion
from schema.order import Order, ServiceOffering
from schema.poll import Poll
from schema.meeting import Meeting, Resolution
from schema.notification import Notification
from schema.errors import invalid_argument
from schema.org import Org
from schema.project import Claim, Project
from schema.registration import Registration
from schema.resource import Booking, Resource
from schema.relay import MAX_PAGE, Node, from_global_id
from schema.user import User

from schema.context import Context

Info = strawberry.Info[Context, None]


async def _org(ctx: Context, pk: int) -> Any:
    row = await ctx.loaders.org.load(pk)
    return Org.from_model(row) if row else None


async def _compound(ctx: Context, pk: int) -> Any:
    row = await ctx.loaders.compound.load(pk)
    return Compound.from_model(row) if row else None


async def _user(ctx: Context, pk: int) -> Any:
    if not await policies.can_see_user(ctx.viewer, pk):
        return None
    row = await ctx.loaders.user.load(pk)
    return User.from_model(row) if row else None


async def _project(ctx: Context, pk: int) -> Any:
    # `policies.can_see_project` in the same statement as the row, its org and the viewer's right to manage it.
    row = await ctx.loaders.visible_project.load(pk) if ctx.viewer.authenticated else None
    if row is None:
        return None
    ctx.loaders.project.prime(pk, row.project)
    ctx.loaders.project_visible.prime(pk, True)
    return Project.from_with(row)


async def _claim(ctx: Context, pk: int) -> Any:
    row = await ctx.loaders.claim.load(pk) if ctx.viewer.authenticated else None
    if row is None:
        return None
    project = await ctx.loaders.project.load(row.project_id)
    if not await policies.can_see_claim(ctx.viewer, row, project.org_id):
        return None
    return Claim.from_model(row)


async def _registration(ctx: Context, pk: int) -> Any:
    row = await ctx.loaders.registration_by_id.load(pk) if ctx.viewer.authenticated else None
    if row is None or not await policies.can_see_registration(ctx.viewer, row.user_id, row.branch_id):
        return None
    return Registration.from_model(row)


async def _resource(ctx: Context, pk: int) -> Any:
    if not await policies.can_see_resource(ctx.viewer, pk):
        return None
    row = await ctx.loaders.resource.load(pk)
    return Resource.from_model(row) if row else None


async def _booking(ctx: Context, pk: int) -> Any:
    row = await ctx.loaders.booking.load(pk) if ctx.viewer.authenticated else None
    if row is None:
        return None
    resource = await ctx.loaders.resource.load(row.resource_id)
    if not await policies.can_see_booking(ctx.viewer, resource.owner_id, row.for_org_id):
        return None
    return Booking.from_model(row)


async def _alliance(ctx: Context, pk: int) -> Any:
    row = await ctx.loaders.alliance.load(pk)
    return Alliance.from_model(row) if row else None


async def _meeting(ctx: Context, pk: int) -> Any:
    if not ctx.viewer.authenticated or not await ctx.loaders.meeting_visible.load(pk):
        return None
    row = await ctx.loaders.meeting.load(pk)
    return Meeting.from_model(row) if row else None


async def _resolution(ctx: Context, pk: int) -> Any:
    from models import meeting as meeting_model

    row = await meeting_model.get_resolution(resolution_id=pk) if ctx.viewer.authenticated else None
    if row is None or not await ctx.loaders.meeting_visible.load(row.meeting_id):
        return None
    return Resolution.from_model(row)


async def _duty_shift(ctx: Context, pk: int) -> Any:
    row = await ctx.loaders.duty_shift.load(pk) if ctx.viewer.authenticated else None
    return DutyShift.from_model(row) if row else None


async def _offering(ctx: Context, pk: int) -> Any:
    row = await ctx.loaders.offering.load(pk) if ctx.viewer.authenticated else None
    if row is None:
        return None
    if row.approved_at is None and not (await policies.can_offer_as(ctx.viewer, row.provider_id)
                                        or await policies.can_approve_offering(ctx.viewer, row.provider_id)):
        return None
    return ServiceOffering.from_model(row)


async def _order(ctx: Context, pk: int) -> Any:
    if not ctx.viewer.authenticated or not await ctx.loaders.order_visible.load(pk):
        return None
    row = await ctx.loaders.order.load(pk)
    return Order.from_model(row) if row else None


async def _opinion(ctx: Context, pk: int) -> Any:
    if not ctx.viewer.authenticated or not await ctx.loaders.opinion_visible.load(pk):
        return None
    row = await ctx.loaders.opinion.load(pk)
    return Opinion.from_model(row) if row else None


async def _household(ctx: Context, pk: int) -> Any:
    row = await ctx.loaders.household.load(pk) if ctx.viewer.authenticated else None
    if row is None or not await policies.can_see_household(ctx.viewer, row):
        return None
    return Household.from_model(row)


async def _poll(ctx: Context, pk: int) -> Any:
    if not ctx.viewer.authenticated or not await ctx.loaders.poll_visible.load(pk):
        return None
    row = await ctx.loaders.poll.load(pk)
    return Poll.from_model(row) if row else None


async def _notification(ctx: Context, pk: int) -> Any:
    if ctx.viewer.user_id is None:
        return None
    row = (await notification_model.get_own(user_id=ctx.viewer.user_id, notification_ids=[pk])).get(pk)
    return Notification.from_model(row) if row else None


# Type name -> fetch-and-check; each later domain registers its node types here.
NODE_TYPES: dict[str, Callable[[Context, int], Awaitable[Any]]] = {
    "Org": _org,
    "Compound": _compound,
    "User": _user,
    "Project": _project,
    "Claim": _claim,
    "Registration": _registration,
    "Resource": _resource,
    "Booking": _booking,
    "Alliance": _alliance,
    "Meeting": _meeting,
    "Resolution": _resolution,
    "DutyShift": _duty_shift,
    "ServiceOffering": _offering,
    "Order": _order,
    "Opinion": _opinion,
    "Household": _household,
    "Poll": _poll,
    "Notification": _notification,
}


async def _resolve(ctx: Context, global_id: str) -> Node | None:
    decoded = from_global_id(global_id)
    if decoded is None or decoded[0] not in NODE_TYPES:
        return None
    return await NODE_TYPES[decoded[0]](ctx, decoded[1])


async def node(info: Info, id: strawberry.ID) -> Node | None:
    """Any object by global id; null when unknown or not visible to the viewer."""
    return await _resolve(info.context, id)


async def nodes(info: Info, ids: list[strawberry.ID]) -> list[Node | None]:
    """Several objects by global id (at most 100), batched through the request's loaders."""
    if len(ids) > MAX_PAGE:
        raise invalid_argument(info.context.lang, "ids", "too_many_ids", max=MAX_PAGE)
    return list(await asyncio.gather(*(_resolve(info.context, gid) for gid in ids)))
