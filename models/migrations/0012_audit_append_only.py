"""The audit log becomes append-only in the database itself: triggers refuse UPDATE and DELETE of `audit_entry` rows
on PostgreSQL and on SQLite, whoever sends them (the ORM refuses them too, see models/audit.py).

The one change let through is the foreign keys' own `ON DELETE SET NULL`: when a user or an org is deleted, its id
in the audit rows becomes NULL (and nothing else changes). A hand-written `SET actor_id = NULL` while the user still
exists is refused like any other update. TRUNCATE fires no row triggers (the tests empty tables that way), and
`jinlin restore` loads rows before it creates triggers (pg_restore) or copies pages (SQLite), so neither is affected.
"""

from tortoise import migrations
from tortoise.migrations import operations as ops

# Every column but the two nullable foreign keys stays as it was; each key either stays or becomes NULL because the
# row it pointed at is gone; and at least one of them changed (a no-op UPDATE is refused like any other).
_PG_ALLOWED = """
    NEW.id = OLD.id AND NEW.action IS NOT DISTINCT FROM OLD.action
    AND NEW.object_id IS NOT DISTINCT FROM OLD.object_id AND NEW.outcome IS NOT DISTINCT FROM OLD.outcome
    AND NEW.at IS NOT DISTINCT FROM OLD.at
    AND (NEW.actor_id IS NOT DISTINCT FROM OLD.actor_id
         OR (NEW.actor_id IS NULL AND NOT EXISTS (SELECT 1 FROM app_user u WHERE u.id = OLD.actor_id)))
    AND (NEW.org_id IS NOT DISTINCT FROM OLD.org_id
         OR (NEW.org_id IS NULL AND NOT EXISTS (SELECT 1 FROM org o WHERE o.id = OLD.org_id)))
    AND (NEW.actor_id IS DISTINCT FROM OLD.actor_id OR NEW.org_id IS DISTINCT FROM OLD.org_id)"""

POSTGRES = [
    f"""
CREATE OR REPLACE FUNCTION audit_entry_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND ({_PG_ALLOWED}) THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'audit_entry is append-only: % refused', TG_OP USING ERRCODE = 'insufficient_privilege';
END
$$""",
    "DROP TRIGGER IF EXISTS audit_entry_append_only ON audit_entry",
    """CREATE TRIGGER audit_entry_append_only BEFORE UPDATE OR DELETE ON audit_entry
    FOR EACH ROW EXECUTE FUNCTION audit_entry_append_only()""",
]

POSTGRES_REVERSE = [
    "DROP TRIGGER IF EXISTS audit_entry_append_only ON audit_entry",
    "DROP FUNCTION IF EXISTS audit_entry_append_only()",
]

SQLITE = [
    """CREATE TRIGGER IF NOT EXISTS audit_entry_no_update BEFORE UPDATE ON audit_entry
WHEN NOT (
    NEW.id IS OLD.id AND NEW.action IS OLD.action AND NEW.object_id IS OLD.object_id
    AND NEW.outcome IS OLD.outcome AND NEW.at IS OLD.at
    AND (NEW.actor_id IS OLD.actor_id
         OR (NEW.actor_id IS NULL AND NOT EXISTS (SELECT 1 FROM app_user u WHERE u.id = OLD.actor_id)))
    AND (NEW.org_id IS OLD.org_id
         OR (NEW.org_id IS NULL AND NOT EXISTS (SELECT 1 FROM org o WHERE o.id = OLD.org_id)))
    AND (NEW.actor_id IS NOT OLD.actor_id OR NEW.org_id IS NOT OLD.org_id))
BEGIN
    SELECT RAISE(ABORT, 'audit_entry is append-only: UPDATE refused');
END""",
    """CREATE TRIGGER IF NOT EXISTS audit_entry_no_delete BEFORE DELETE ON audit_entry
BEGIN
    SELECT RAISE(ABORT, 'audit_entry is append-only: DELETE refused');
END""",
]

SQLITE_REVERSE = [
    "DROP TRIGGER IF EXISTS audit_entry_no_update",
    "DROP TRIGGER IF EXISTS audit_entry_no_delete",
]


def _statements(schema_editor, *, forward: bool) -> list[str]:
    dialect = schema_editor.client.capabilities.dialect
    if dialect == "postgres":
        return POSTGRES if forward else POSTGRES_REVERSE
    if dialect == "sqlite":
        return SQLITE if forward else SQLITE_REVERSE
    return []  # other databases: the ORM's refusal only


async def _run(schema_editor, statements: list[str]) -> None:
    """One statement at a time as written (the SQLite editor would split a trigger body at its semicolons)."""
    for sql in statements:
        if schema_editor.collect_sql:
            schema_editor.collected_sql.append(sql)
        else:
            await schema_editor.client.execute_query(sql)


async def create_triggers(apps, schema_editor) -> None:
    await _run(schema_editor, _statements(schema_editor, forward=True))


async def drop_triggers(apps, schema_editor) -> None:
    await _run(schema_editor, _statements(schema_editor, forward=False))


class Migration(migrations.Migration):
    dependencies = [('jinlin', '0011_photos')]

    initial = False

    operations = [
        ops.RunPython(create_triggers, drop_triggers),
    ]
