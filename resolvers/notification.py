"""markNotificationsRead: the viewer clears their own notifications (others' ids are ignored, not revealed)."""

from __future__ import annotations

import strawberry

from models import notification as notification_model
from resolvers.common import require_login
from schema.context import Context
from schema.errors import ErrorCode, user_error
from schema.notification import MarkNotificationsReadInput, MarkNotificationsReadPayload, Notification
from schema.relay import MAX_PAGE, pk_of

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
