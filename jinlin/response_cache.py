"""A response cache for persisted queries (GET /graphql): a phone's screen answered again without running GraphQL,
for as long as no table it was built from has been written.

An answer is kept per query string (document hash, variables, operation), viewer and language, with the tables its
statements read (seen on tortoise's statement log while it was computed) and those tables' data versions read
BEFORE it ran. Triggers bump a table's version inside every transaction that writes it (migration 0013), so a kept
answer is served only while every table it read still has the version it had before the answer was computed: never
older than a committed write it depends on, and only to the viewer it was computed for. Answers with errors are not
kept, and none lives longer than `ttl` seconds (for what changes with time alone: claimable windows, signed photo
URLs). The versions live in the database, so every worker and every machine sees a write at once.
"""

from __future__ import annotations

import asyncio
import logging
import re
import sqlite3
import time
from collections import OrderedDict
from contextvars import ContextVar
from dataclasses import dataclass
from urllib.parse import urlsplit

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from jinlin import db
from schema.context import language_of

log = logging.getLogger("jinlin.response_cache")

# The tables whose writes bump a version (migration 0013 and later ones add triggers; a test keeps this list whole).
VERSIONED = frozenset({
    "alliance", "alliance_member", "app_user", "audit_entry", "booking", "claim", "compound", "duty_shift",
    "duty_swap_consent", "household", "household_member", "meeting", "meeting_invitee", "membership", "notification",
    "opinion", "opinion_reply", "order_event", "org", "org_closure", "partnership", "photo", "poll", "poll_option",
    "project", "registration", "resident_order", "resolution", "resource", "service_offering", "vote",
})

_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_reading: ContextVar[set[str] | None] = ContextVar("jinlin_response_cache_reading", default=None)
_tables_of: dict[str, frozenset[str]] = {}


def _derived() -> dict[str, frozenset[str]]:
    """Tables kept by triggers from others, unversioned themselves: a statement reading one depends on its sources
    (org statistics' counters change only in the transactions that write their source tables)."""
    from models.org import STATS_SOURCES

    return {name: frozenset(STATS_SOURCES) for name in ("org_stat", "org_stat_partner", "org_stat_commissioner")}


DERIVED = _derived()


def tables_in(sql: str) -> frozenset[str]:
    """Versioned tables a statement names, or whose derived tables it names (any word equal to a table name counts:
    reading too much is safe)."""
    found = _tables_of.get(sql)
    if found is None:
        words = set(_WORD.findall(sql))
        found = frozenset(VERSIONED.intersection(words).union(*(DERIVED[w] for w in words & DERIVED.keys())))
        if len(_tables_of) < 4096:
            _tables_of[sql] = found
    return found


class _StatementWatcher(logging.Handler):
    """Notes the tables of every statement tortoise logs while an answer is being computed (tortoise logs each
    statement it sends on `tortoise.db_client` at DEBUG, on every backend)."""

    def emit(self, record: logging.LogRecord) -> None:
        reading = _reading.get()
        if reading is None:
            return
        sql = record.args[0] if isinstance(record.args, tuple) and record.args else record.msg
        if isinstance(sql, str):
            reading.update(tables_in(sql))


_watcher = _StatementWatcher(level=logging.DEBUG)


def watch_statements() -> None:
    """Attach the watcher once per process (idempotent): the statement log must be on for answers to be kept."""
    logger = logging.getLogger("tortoise.db_client")
    if _watcher not in logger.handlers:
        logger.addHandler(_watcher)
    if not logger.isEnabledFor(logging.DEBUG):
        logger.setLevel(logging.DEBUG)


@dataclass(frozen=True)
class Entry:
    """One kept answer: what it read at which versions, when it expires, and the response itself."""

    versions: tuple[tuple[str, int], ...]
    expires: float
    headers: list[tuple[bytes, bytes]]
    body: bytes

    def fresh(self, current: dict[str, int], now: float) -> bool:
        return now < self.expires and all(current.get(name, 0) == version for name, version in self.versions)


VERSIONS_SQL = "SELECT name, version FROM data_version"


async def current_versions() -> dict[str, int]:
    """Every table's data version, in one statement (a table never written since it was emptied reads as 0)."""
    return {row["name"]: int(row["version"]) for row in await db.fetch(VERSIONS_SQL)}


def sqlite_file(db_url: str) -> str | None:
    """The file of a SQLite database URL, or None (PostgreSQL, or SQLite in memory)."""
    parts = urlsplit(db_url)
    path = parts.netloc + parts.path
    return path if parts.scheme == "sqlite" and path and path != ":memory:" else None


class Versions:
    """Reads the data versions for each request. A SQLite file is read on the event loop's own thread through a
    read-only connection of its own (a 32-row table: microseconds, where the ORM's worker-thread hop costs more than
    the rest of a cached answer). Otherwise through the ORM, and requests that arrive in the same turn of the loop
    share one read; never a read already running, which may predate a write their client has seen committed."""

    def __init__(self, db_url: str) -> None:
        self.path = sqlite_file(db_url)
        self._file: sqlite3.Connection | None = None
        self._next: asyncio.Future[dict[str, int]] | None = None

    async def read(self) -> dict[str, int]:
        """The versions as of now (every write committed before this call is counted)."""
        if self.path is not None:
            return self._read_file()
        if self._next is None:
            loop = asyncio.get_running_loop()
            self._next = loop.create_future()
            loop.call_soon(self._start, self._next)
        return await asyncio.shield(self._next)

    def _start(self, future: asyncio.Future[dict[str, int]]) -> None:
        self._next = None  # whoever comes after this point waits for a read that starts after them

        def done(task: asyncio.Task[dict[str, int]]) -> None:
            if task.exception() is not None:
                future.set_exception(task.exception())  # type: ignore[arg-type]
            else:
                future.set_result(task.result())

        asyncio.ensure_future(current_versions()).add_done_callback(done)

    def _read_file(self) -> dict[str, int]:
        if self._file is None:
            self._file = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True, isolation_level=None,
                                         check_same_thread=False)
        return {name: int(version) for name, version in self._file.execute(VERSIONS_SQL)}

    def close(self) -> None:
        """Close the read-only connection, if one was opened."""
        if self._file is not None:
            self._file.close()
            self._file = None


class ResponseCache:
    """Pure ASGI middleware, inside authentication (it needs `state.user_id`) and rate limiting (a cached answer
    still counts): serves and keeps GET /graphql answers of persisted queries."""

    def __init__(self, app: ASGIApp, *, db_url: str, path: str = "/graphql", ttl: float = 60.0,
                 max_entries: int = 4096, max_body: int = 256 * 1024) -> None:
        self.app = app
        self.versions = Versions(db_url)
        self.path = path
        self.ttl = ttl
        self.max_entries = max_entries
        self.max_body = max_body
        self.entries: OrderedDict[tuple, Entry] = OrderedDict()
        self.computing: dict[tuple, asyncio.Future[Entry | None]] = {}
        self.hits = self.misses = 0  # since the process started: for a debugger or a metrics exporter
        watch_statements()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        key = self._key(scope)
        if key is None:
            await self.app(scope, receive, send)
            return
        try:
            versions = await self.versions.read()
        except Exception:  # no data_version table (a database this cache does not know): answer uncached
            log.warning("response cache off for this request: the data versions could not be read", exc_info=True)
            await self.app(scope, receive, send)
            return
        now = time.monotonic()
        entry = self.entries.get(key)
        if entry is not None and entry.fresh(versions, now):
            self.entries.move_to_end(key)
            self.hits += 1
            await _replay(send, entry)
            return
        self.misses += 1
        # Requests that find the same answer being computed from the same versions wait for it instead.
        flight = (key, tuple(sorted(versions.items())))
        pending = self.computing.get(flight)
        if pending is not None:
            shared = await asyncio.shield(pending)
            if shared is not None:
                await _replay(send, shared)
                return
            await self.app(scope, receive, send)
            return
        future: asyncio.Future[Entry | None] = asyncio.get_running_loop().create_future()
        self.computing[flight] = future
        entry = None
        try:
            entry = await self._compute(scope, receive, send, versions, now)
        finally:
            del self.computing[flight]
            future.set_result(entry)  # None (waiters run the request themselves) when it failed or may not be kept
        if entry is not None:
            self.entries[key] = entry
            self.entries.move_to_end(key)
            while len(self.entries) > self.max_entries:
                self.entries.popitem(last=False)

    def _key(self, scope: Scope) -> tuple | None:
        """The answer's identity, or None when it must not be cached: not a GET of a persisted query on our path, or
        a bad token (that answer is an error)."""
        if scope["type"] != "http" or scope["method"] != "GET" or scope["path"] != self.path:
            return None
        query_string: bytes = scope.get("query_string", b"")
        if b"persistedQuery" not in query_string:
            return None
        state = scope.get("state") or {}
        if state.get("token_error"):
            return None
        lang = language_of(Headers(scope=scope).get("accept-language", ""))
        return query_string, state.get("user_id"), lang

    async def _compute(self, scope: Scope, receive: Receive, send: Send, versions: dict[str, int], now: float
                       ) -> Entry | None:
        """Run the request, answering as usual, and return it as an entry when it may be kept."""
        reading: set[str] = set()
        token = _reading.set(reading)
        start: Message | None = None
        body = bytearray()

        async def capture(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                start = message
            elif message["type"] == "http.response.body":
                body.extend(message.get("body", b""))
            await send(message)

        try:
            await self.app(scope, receive, capture)
        finally:
            _reading.reset(token)
        if start is None or start["status"] != 200 or len(body) > self.max_body or b'"errors"' in body:
            return None
        read = sorted((name, versions.get(name, 0)) for name in reading)
        return Entry(versions=tuple(read), expires=now + self.ttl, headers=list(start["headers"]), body=bytes(body))


async def _replay(send: Send, entry: Entry) -> None:
    await send({"type": "http.response.start", "status": 200, "headers": entry.headers})
    await send({"type": "http.response.body", "body": entry.body})
