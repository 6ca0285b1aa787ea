"""markNotificationsRead: the viewer clears their own notifications (others' ids are ignored, not revealed)."""

from __future__ import annotations

from collections.abc import AsyncGenerator

import strawberry

from jinlin import events
from models import notification as notification_model
from resolvers.common import require_login
from resolvers import live
from schema.context import Context
from schema.errors import ErrorCode, user_error
from schema.notification import MarkNotificationsReadInput, MarkNotificationsReadPayload, Notification
from schema.relay import MAX_PAGE, pk_of, to_global_id

Info = strawberry.Info[Context, None]


async def mark_notifications_read(info: Info, input: MarkNotificationsReadInput) -> MarkNotificationsReadPayload:
    """Mark up to 100 of the viewer's notifications read; returns them and the unread count left."""
    ctx = info.context
    user_id = require_login(ctx)
    if len(input.ids) > MAX_PAGE:
        return MarkNotificationsReadPayload(errors=[user_error(ctx.lang, ErrorCode.INVALID, ["ids"], "too_many_ids",
                                                               max=MAX_PAGE)])
    ids = [pk for pk in (pk_of(gid, "Notification") for gid in input.ids) if pk is not None]
    rows = await notification_model.mark_read(user_id=user_id, notification_ids=ids) if ids else []
    unread = await notification_model.count(user_id=user_id, unread_only=True)
    return MarkNotificationsReadPayload(notifications=[Notification.from_model(n) for n in rows], unread_count=unread)


async def notification_added(info: Info) -> AsyncGenerator[Notification, None]:
    """The viewer's notifications as they are created (the list `viewer.notifications` holds them afterwards)."""
    ctx = info.context
    user_id = require_login(ctx)
    async for notification in live.follow(ctx, topic=events.notifications_topic(user_id),
                                          node_id=lambda data: to_global_id("Notification", data["notification"])):
        yield notification
