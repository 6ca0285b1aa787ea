"""Data versions for the response cache (jinlin/response_cache.py): one counter per table, bumped by triggers inside
every transaction that writes the table, so a cached answer is checked against the versions of exactly the tables
it read, and no writer can forget to invalidate it.

PostgreSQL: a deferred constraint trigger bumps the table's counter once per transaction, at commit, after first
bumping the `*` row: every committing writer locks `*` before any table's row, so two writers never wait on each
other's rows in opposite orders (no deadlock), and they hold those locks only while committing. SQLite has one
writer at a time already: plain row triggers bump the counter in the writing transaction. A missing row reads as
version 0 and is created by the first write (tests empty tables with TRUNCATE, which fires no row triggers).
"""

from tortoise import migrations
from tortoise.migrations import operations as ops

# Every table at this migration but the ones no query answer is built from (tortoise's own, idempotency and
# persisted-query stores, login throttling, refresh tokens). tests/test_response_cache.py checks new tables are added.
TABLES = (
    "alliance", "alliance_member", "app_user", "audit_entry", "booking", "claim", "compound", "duty_shift",
    "duty_swap_consent", "household", "household_member", "meeting", "meeting_invitee", "membership", "notification",
    "opinion", "opinion_reply", "order_event", "org", "org_closure", "partnership", "photo", "poll", "poll_option",
    "project", "registration", "resident_order", "resolution", "resource", "service_offering", "vote",
)

_CREATE = "CREATE TABLE IF NOT EXISTS data_version (name VARCHAR(64) NOT NULL PRIMARY KEY, version BIGINT NOT NULL)"

POSTGRES = [
    _CREATE,
    """
CREATE OR REPLACE FUNCTION data_version_bump() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF current_setting('jinlin.bumped_' || TG_TABLE_NAME, true) IS DISTINCT FROM '1' THEN
        PERFORM set_config('jinlin.bumped_' || TG_TABLE_NAME, '1', true);
        INSERT INTO data_version (name, version) VALUES ('*', 1)
            ON CONFLICT (name) DO UPDATE SET version = data_version.version + 1;
        INSERT INTO data_version (name, version) VALUES (TG_TABLE_NAME, 1)
            ON CONFLICT (name) DO UPDATE SET version = data_version.version + 1;
    END IF;
    RETURN NULL;
END
$$""",
    *(sql for table in TABLES for sql in (
        f"DROP TRIGGER IF EXISTS data_version_bump ON {table}",
        f"CREATE CONSTRAINT TRIGGER data_version_bump AFTER INSERT OR UPDATE OR DELETE ON {table} "
        f"DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION data_version_bump()",
    )),
    "INSERT INTO data_version (name, version) VALUES " + ", ".join(f"('{t}', 0)" for t in ("*", *TABLES))
    + " ON CONFLICT (name) DO NOTHING",
]

POSTGRES_REVERSE = [
    *(f"DROP TRIGGER IF EXISTS data_version_bump ON {table}" for table in TABLES),
    "DROP FUNCTION IF EXISTS data_version_bump()",
    "DROP TABLE IF EXISTS data_version",
]

_SQLITE_BUMP = ("INSERT INTO data_version (name, version) VALUES ('{table}', 1) "
                "ON CONFLICT (name) DO UPDATE SET version = version + 1")

SQLITE = [
    _CREATE,
    *(f"CREATE TRIGGER IF NOT EXISTS data_version_{table}_{event.lower()} AFTER {event} ON {table} "
      f"BEGIN {_SQLITE_BUMP.format(table=table)}; END"
      for table in TABLES for event in ("INSERT", "UPDATE", "DELETE")),
    "INSERT OR IGNORE INTO data_version (name, version) VALUES " + ", ".join(f"('{t}', 0)" for t in ("*", *TABLES)),
]

SQLITE_REVERSE = [
    *(f"DROP TRIGGER IF EXISTS data_version_{table}_{event.lower()}"
      for table in TABLES for event in ("INSERT", "UPDATE", "DELETE")),
    "DROP TABLE IF EXISTS data_version",
]


def _statements(schema_editor, *, forward: bool) -> list[str]:
    dialect = schema_editor.client.capabilities.dialect
    if dialect == "postgres":
        return POSTGRES if forward else POSTGRES_REVERSE
    if dialect == "sqlite":
        return SQLITE if forward else SQLITE_REVERSE
    return []  # other databases: no response cache (jinlin.response_cache turns itself off without the table)


async def _run(schema_editor, statements: list[str]) -> None:
    """One statement at a time as written (the SQLite editor would split a trigger body at its semicolons)."""
    for sql in statements:
        if schema_editor.collect_sql:
            schema_editor.collected_sql.append(sql)
        else:
            await schema_editor.client.execute_query(sql)


async def create_versions(apps, schema_editor) -> None:
    await _run(schema_editor, _statements(schema_editor, forward=True))


async def drop_versions(apps, schema_editor) -> None:
    await _run(schema_editor, _statements(schema_editor, forward=False))


class Migration(migrations.Migration):
    dependencies = [('jinlin', '0012_audit_append_only')]

    initial = False

    operations = [
        ops.RunPython(create_versions, drop_versions),
    ]
