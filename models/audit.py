"""The append-only audit log: one row per mutation, who did what to which object of which org, and the outcome."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model

from jinlin import db
from models.org import Org
from models.user import User


class AuditEntry(Model):
    """One mutation as it happened. Rows are only ever inserted."""

    id = fields.IntField(primary_key=True)
    actor: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "jinlin.User", related_name=False, null=True, on_delete=fields.SET_NULL
    )
    org: fields.ForeignKeyNullableRelation[Org] = fields.ForeignKeyField(
        "jinlin.Org", related_name=False, null=True, on_delete=fields.SET_NULL
    )
    action = fields.CharField(max_length=64)
    object_id = fields.CharField(max_length=100, null=True)
    outcome = fields.CharField(max_length=200)
    at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "audit_entry"
        indexes = (("org_id", "id"),)


async def record(*, actor_id: int | None, org_id: int | None, action: str, object_id: str | None,
                 outcome: str) -> None:
    """Append one row."""
    await AuditEntry.create(actor_id=actor_id, org_id=org_id, action=action, object_id=object_id,
                            outcome=outcome[:200])


def _subtree_sql(org_id: int) -> tuple[str, list]:
    return "EXISTS (SELECT 1 FROM org_closure ac WHERE ac.ancestor_id = ? AND ac.descendant_id = a.org_id)", [org_id]


async def page(*, org_id: int, first: int, after: int | None) -> list[AuditEntry]:
    """Audit rows of an org's subtree, newest first (`first + 1` rows)."""
    where, params = _subtree_sql(org_id)
    return await db.fetch_models(
        AuditEntry, f"SELECT a.* FROM audit_entry a WHERE {where} AND a.id < ? ORDER BY a.id DESC LIMIT ?",
        [*params, after if after is not None else db.MAX_KEY, first + 1])


async def count(*, org_id: int) -> int:
    """Audit rows of an org's subtree."""
    where, params = _subtree_sql(org_id)
    rows = await db.fetch(f"SELECT COUNT(*) AS n FROM audit_entry a WHERE {where}", params)
    return int(rows[0]["n"])
