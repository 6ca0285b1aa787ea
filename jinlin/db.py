"""Database wiring: the tortoise config, and a small raw-SQL helper for the few statements the ORM cannot express."""

from __future__ import annotations

import logging
import re
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime, timezone
from typing import Any, TypeVar

from tortoise import connections
from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.models import Model

from models import MODEL_MODULES

APP_LABEL = "jinlin"


def _count_own_changes() -> None:
    """tortoise's SQLite client counts an UPDATE's or DELETE's rows as the connection's `total_changes` difference,
    which includes rows changed by triggers (the data-version triggers of migration 0013 add one to every write), so
    `UPDATE ... WHERE claimed_count < capacity` would report 2. Count the statement's own rows (sqlite3's rowcount,
    which is `sqlite3_changes()`), as PostgreSQL does. Applied once, on import."""
    from tortoise.backends.sqlite.client import SqliteClient, translate_exceptions

    if getattr(SqliteClient.execute_query, "_own_changes", False):
        return

    @translate_exceptions
    async def execute_query(self: SqliteClient, query: str, values: list | None = None
                            ) -> tuple[int, Sequence[dict]]:
        query = query.replace("\x00", "'||CHAR(0)||'")
        async with self.acquire_connection() as connection:
            self.log.debug("%s: %s", query, values)
            async with connection.execute(query, values) as cursor:
                rows = await cursor.fetchall()
                return max(cursor.rowcount, 0) or len(rows), rows

    execute_query._own_changes = True  # type: ignore[attr-defined]
    SqliteClient.execute_query = execute_query  # type: ignore[method-assign]


_count_own_changes()
M = TypeVar("M", bound=Model)
_PLACEHOLDER = re.compile(r"\?")


def tortoise_config(db_url: str) -> dict[str, Any]:
    """The one tortoise config used by the server, the CLI, migrations and tests."""
    return {
        "connections": {"default": db_url},
        "apps": {
            APP_LABEL: {
                "models": list(MODEL_MODULES),
                "default_connection": "default",
                "migrations": "models.migrations",
            }
        },
        "use_tz": True,
        "timezone": "UTC",
    }


def client() -> BaseDBAsyncClient:
    """The connection of the current context (a transaction's, inside `in_transaction`)."""
    return connections.get("default")


def is_postgres(conn: BaseDBAsyncClient | None = None) -> bool:
    """Dialect switch for the handful of statements that differ between SQLite and PostgreSQL."""
    return (conn or client()).capabilities.dialect == "postgres"


def _to_dialect(sql: str, conn: BaseDBAsyncClient) -> str:
    """Statements are written with `?` placeholders; asyncpg wants `$1, $2, ...`."""
    if not is_postgres(conn):
        return sql
    counter = iter(range(1, 10_000))
    return _PLACEHOLDER.sub(lambda _m: f"${next(counter)}", sql)


async def fetch(sql: str, params: Sequence[Any] = (), *, conn: BaseDBAsyncClient | None = None) -> list[dict]:
    """Run one SELECT (or INSERT/UPDATE ... RETURNING) and return rows as dicts."""
    conn = conn or client()
    return await conn.execute_query_dict(_to_dialect(sql, conn), list(params))


async def fetch_models(model: type[M], sql: str, params: Sequence[Any] = ()) -> list[M]:
    """Run one SELECT of a model's whole rows and return them as model instances."""
    return [model._init_from_db(**row) for row in await fetch(sql, params)]


async def execute(sql: str, params: Sequence[Any] = (), *, conn: BaseDBAsyncClient | None = None) -> int:
    """Run one UPDATE or DELETE and return the number of rows it changed.

    For INSERTs whose outcome matters use `fetch` with RETURNING: tortoise's asyncpg client reads the OID there.
    """
    conn = conn or client()
    count, _rows = await conn.execute_query(_to_dialect(sql, conn), list(params))
    return count


def utc(value: datetime) -> datetime:
    """An aware datetime in UTC, as a raw statement's parameter: tortoise stores times in UTC, and SQLite compares
    them as text, so every time compared there must be written the same way."""
    return value.astimezone(timezone.utc)


def like_pattern(text: str) -> str:
    """`%text%` for `LIKE ? ESCAPE '\\'`, with the user's own `%`, `_` and `\\` matched literally."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


LIKE = "LIKE ? ESCAPE '\\'"


def placeholders(values: Iterable[Any]) -> str:
    """`?, ?, ?` for an IN list of the given values (never empty: callers check first)."""
    return ", ".join("?" for _ in values)


async def rows_per_group(
    inner_sql: str, params: Sequence[Any], *, first: int, after: int | None
) -> dict[int, list[dict[str, Any]]]:
    """Keyset-paginate many lists in one statement: `inner_sql` yields rows with `_g` (list) and `_k` (sort key).

    Returns up to `first + 1` rows per group as dicts (the extra one tells `hasNextPage`), ordered by `_k`, joined
    columns included.
    """
    sql = (
        "SELECT * FROM (SELECT q.*, ROW_NUMBER() OVER (PARTITION BY q._g ORDER BY q._k) AS _rn "
        f"FROM ({inner_sql}) q WHERE q._k > ?) w WHERE w._rn <= ? ORDER BY w._g, w._k"
    )
    rows = await fetch(sql, [*params, after if after is not None else -1, first + 1])
    grouped: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        group = row.pop("_g")
        row.pop("_rn", None)
        row.pop("_k", None)
        grouped[group].append(row)
    return grouped


async def page_per_group(
    inner_sql: str,
    params: Sequence[Any],
    *,
    first: int,
    after: int | None,
    model: type[Model],
) -> dict[int, list[Any]]:
    """`rows_per_group` as model instances."""
    grouped: dict[int, list[Any]] = defaultdict(list)
    for group, rows in (await rows_per_group(inner_sql, params, first=first, after=after)).items():
        grouped[group] = [model._init_from_db(**row) for row in rows]
    return grouped


async def count_per_group(inner_sql: str, params: Sequence[Any]) -> dict[int, int]:
    """Count rows per `_g` of `inner_sql` in one statement (the `totalCount` of many lists)."""
    rows = await fetch(f"SELECT q._g AS g, COUNT(*) AS n FROM ({inner_sql}) q GROUP BY q._g", params)
    return {row["g"]: int(row["n"]) for row in rows}


# For tortoise's own CLI (`tortoise makemigrations`), named in pyproject's [tool.tortoise].
TORTOISE_ORM: dict[str, Any] = tortoise_config("sqlite://:memory:")


def _sqlite_transactions_begin_immediate() -> None:
    """Make tortoise's SQLite transactions `BEGIN IMMEDIATE`: they take the write lock up front and wait for it
    (busy_timeout), instead of failing with SQLITE_BUSY when several server processes share one database file."""
    import sqlite3

    from tortoise.backends.sqlite.client import SqliteTransactionWrapper
    from tortoise.exceptions import TransactionManagementError

    async def begin(self: SqliteTransactionWrapper) -> None:
        try:
            await self._connection.commit()
            await self._connection.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as exc:
            raise TransactionManagementError(exc) from exc

    SqliteTransactionWrapper.begin = begin  # type: ignore[method-assign]


_sqlite_transactions_begin_immediate()


def in_list(values: Iterable[Any]) -> tuple[str, list[Any]]:
    """`(?, ?)` and its values for an IN list; `(NULL)` (matching nothing) when there are none."""
    values = list(values)
    return (f"({placeholders(values)})" if values else "(NULL)"), values

# The `after` of a descending list's first page (`id < MAX_KEY`): the largest 32-bit integer, since PostgreSQL
# binds the parameter as `integer` like the id it is compared with (2**31 fails there as out of range).
MAX_KEY = 2**31 - 1


class StatementCounter(logging.Handler):
    """Collects the statements the ORM sends (tortoise logs each one at DEBUG on `tortoise.db_client`)."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.statements: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        text = record.getMessage()
        if not text.startswith(("Created connection", "Closed connection")):
            self.statements.append(text)

    @property
    def count(self) -> int:
        return len(self.statements)


@contextmanager
def count_statements() -> Iterator[StatementCounter]:
    """`with count_statements() as sql: ...; sql.count`: the statements issued inside the block (tests, bench)."""
    logger = logging.getLogger("tortoise.db_client")
    counter = StatementCounter()
    old_level = logger.level
    logger.setLevel(logging.DEBUG)
    logger.addHandler(counter)
    try:
        yield counter
    finally:
        logger.removeHandler(counter)
        logger.setLevel(old_level)
