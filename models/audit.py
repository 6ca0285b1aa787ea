"""The append-only audit log: one row per mutation, who did what to which object of which org, and the outcome.

Append-only is enforced twice: here (saving a stored row, deleting one, and a queryset's update/delete raise
AuditLogAppendOnly) and in the database (triggers of migration 0012 refuse UPDATE and DELETE of `audit_entry` on
PostgreSQL and SQLite alike, whoever sends them; only the foreign keys' own ON DELETE SET NULL of a user or an org
that is gone may blank its id)."""

from __future__ import annotations

from typing import Any, NoReturn

from tortoise import fields
from tortoise.exceptions import OperationalError
from tortoise.manager import Manager
from tortoise.models import Model
from tortoise.queryset import QuerySet

from jinlin import db
from models.org import Org
from models.user import User


class AuditLogAppendOnly(OperationalError):
    """An attempt to change or remove an audit row: the log is only ever appended to."""


def _refuse(what: str) -> NoReturn:
    raise AuditLogAppendOnly(f"the audit log is append-only: {what} is refused")


class AppendOnlyQuerySet(QuerySet):
    """A queryset of audit rows that reads and inserts but never updates or deletes."""

    def update(self, **kwargs: Any) -> NoReturn:
        _refuse("AuditEntry queryset update()")

    def delete(self) -> NoReturn:
        _refuse("AuditEntry queryset delete()")

    def bulk_update(self, *args: Any, **kwargs: Any) -> NoReturn:
        _refuse("AuditEntry bulk_update()")

    def bulk_create(self, objects: Any, batch_size: int | None = None, ignore_conflicts: bool = False,
                    update_fields: Any = None, on_conflict: Any = None) -> Any:
        if update_fields:  # an upsert would update rows that exist
            _refuse("AuditEntry bulk_create() with update_fields (an upsert)")
        return super().bulk_create(objects, batch_size=batch_size, ignore_conflicts=ignore_conflicts,
                                   on_conflict=on_conflict)


class AppendOnlyManager(Manager):
    """Hands out AppendOnlyQuerySets for every `AuditEntry.filter/all/get/...`."""

    def get_queryset(self) -> AppendOnlyQuerySet:
        return AppendOnlyQuerySet(self._model)


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
        manager = AppendOnlyManager()

    async def save(self, using_db: Any = None, update_fields: Any = None, force_create: bool = False,
                   force_update: bool = False) -> None:
        """Insert a new row; saving one that is already stored (an update) is refused."""
        if not force_create and (force_update or update_fields or self._saved_in_db):
            _refuse(f"updating AuditEntry {self.pk}")
        await super().save(using_db=using_db, force_create=force_create)

    async def delete(self, using_db: Any = None) -> NoReturn:
        """Refused: audit rows are never deleted."""
        _refuse(f"deleting AuditEntry {self.pk}")


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
