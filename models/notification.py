"""Notifications: what happened to a person's claims and projects, one INSERT ... SELECT per event however many
people it reaches."""

from __future__ import annotations

from enum import Enum

from tortoise import fields
from tortoise.models import Model

from jinlin import db, events
from models.enums import MANAGER_ROLES
from models.user import User


class NotificationKind(str, Enum):
    """What a notification is about; the text is rendered in the reader's language."""

    CLAIM_CREATED = "CLAIM_CREATED"
    CLAIM_WITHDRAWN = "CLAIM_WITHDRAWN"
    CLAIM_DONE = "CLAIM_DONE"
    CLAIM_VERIFIED = "CLAIM_VERIFIED"
    CLAIM_REJECTED = "CLAIM_REJECTED"
    PROJECT_CLOSED = "PROJECT_CLOSED"
    PROJECT_COMPLETED = "PROJECT_COMPLETED"
    PROJECT_CANCELLED = "PROJECT_CANCELLED"


class Notification(Model):
    """One message for one user, about a project and possibly one claim on it."""

    id = fields.IntField(primary_key=True)
    user: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "jinlin.User", related_name=False, on_delete=fields.CASCADE
    )
    kind = fields.CharEnumField(NotificationKind, max_length=32)
    project = fields.ForeignKeyField("jinlin.Project", related_name=False, null=True, on_delete=fields.CASCADE)
    claim = fields.ForeignKeyField("jinlin.Claim", related_name=False, null=True, on_delete=fields.CASCADE)
    actor: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "jinlin.User", related_name=False, null=True, on_delete=fields.SET_NULL
    )
    read_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "notification"
        indexes = (("user_id", "id"),)


_MANAGERS = ", ".join(f"'{role.value}'" for role in sorted(MANAGER_ROLES))


async def notify_org_managers(
    *, org_id: int, kind: NotificationKind, project_id: int, claim_id: int | None, actor_id: int | None
) -> None:
    """Tell the direct ADMIN/STAFF of an org (the actor excepted)."""
    _announce(await db.fetch(
        "INSERT INTO notification (user_id, kind, project_id, claim_id, actor_id, created_at) "
        f"SELECT m.user_id, ?, ?, ?, ?, CURRENT_TIMESTAMP FROM membership m WHERE m.org_id = ? "
        f"AND m.role IN ({_MANAGERS}) AND m.user_id <> ? RETURNING id, user_id",
        [kind.value, project_id, claim_id, actor_id, org_id, actor_id or 0],
    ))


async def notify_claimants(
    *, claim_ids: list[int], kind: NotificationKind, project_id: int, actor_id: int | None
) -> None:
    """Tell the people behind claims: the member who claimed, or the direct ADMIN/STAFF of the claiming org."""
    if not claim_ids:
        return
    marks = db.placeholders(claim_ids)
    # Typed parameters: under UNION ALL PostgreSQL no longer infers them from the target columns (text otherwise).
    values = "CAST(? AS VARCHAR(32)), CAST(? AS INTEGER), c.id, CAST(? AS INTEGER)"
    _announce(await db.fetch(
        "INSERT INTO notification (user_id, kind, project_id, claim_id, actor_id, created_at) "
        f"SELECT c.user_id, {values}, CURRENT_TIMESTAMP FROM claim c "
        f"WHERE c.id IN ({marks}) AND c.user_id IS NOT NULL AND c.user_id <> ? "
        f"UNION ALL SELECT m.user_id, {values}, CURRENT_TIMESTAMP FROM claim c JOIN membership m "
        f"ON m.org_id = c.org_id AND m.role IN ({_MANAGERS}) WHERE c.id IN ({marks}) AND m.user_id <> ? "
        "RETURNING id, user_id",
        [kind.value, project_id, actor_id, *claim_ids, actor_id or 0,
         kind.value, project_id, actor_id, *claim_ids, actor_id or 0],
    ))


def _announce(rows: list[dict]) -> None:
    """Name each new notification for its reader's live subscription."""
    for row in rows:
        events.emit(events.notifications_topic(int(row["user_id"])), notification=int(row["id"]))


def _filter_sql(user_id: int, unread_only: bool) -> tuple[str, list]:
    sql = "n.user_id = ?"
    if unread_only:
        sql += " AND n.read_at IS NULL"
    return sql, [user_id]


async def page(*, user_id: int, unread_only: bool, first: int, after: int | None) -> list[Notification]:
    """A user's notifications, newest first (`first + 1` rows)."""
    where, params = _filter_sql(user_id, unread_only)
    return await db.fetch_models(
        Notification, f"SELECT n.* FROM notification n WHERE {where} AND n.id < ? ORDER BY n.id DESC LIMIT ?",
        [*params, after if after is not None else db.MAX_KEY, first + 1])


async def count(*, user_id: int, unread_only: bool) -> int:
    """How many notifications a user has (or unread ones)."""
    where, params = _filter_sql(user_id, unread_only)
    rows = await db.fetch(f"SELECT COUNT(*) AS n FROM notification n WHERE {where}", params)
    return int(rows[0]["n"])


async def mark_read(*, user_id: int, notification_ids: list[int]) -> list[Notification]:
    """Mark the user's own notifications read (others' ids are ignored); returns them."""
    from datetime import datetime, timezone

    await Notification.filter(id__in=notification_ids, user_id=user_id, read_at=None).update(
        read_at=datetime.now(timezone.utc))
    return list(await Notification.filter(id__in=notification_ids, user_id=user_id).order_by("-id"))


async def get_own(*, user_id: int, notification_ids: list[int]) -> dict[int, Notification]:
    """The user's own notifications among the ids (others' are not found), one statement."""
    return {n.id: n for n in await Notification.filter(id__in=notification_ids, user_id=user_id)}
