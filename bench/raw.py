"""The hand-written baseline of `jinlin bench`: plain Starlette and the database driver (aiosqlite or an asyncpg
pool, no ORM, no GraphQL), one endpoint per screen, each answering with ONE SQL statement and the very JSON the
GraphQL service answers for the same viewer. The ratio GraphQL / raw throughput is only honest because of that
equality, which the harness and tests/test_bench.py check.

Run by the harness as `python -m bench.raw --db URL --port P --workers N --uvicorn JSON` (uvicorn with the same
options as `jinlin serve`). The screen functions take any `Database`, so tests call them on the test database.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import os
import re
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Protocol

import jwt
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from auth.tokens import ALGORITHM, REQUIRED_CLAIMS, TokenType
from jinlin.settings import Settings, normalise_db_url, sqlite_path

DEFAULT_PAGE, MAX_PAGE = 20, 100
# Connections per worker: a pool deep enough that 16 client connections never queue for one.
POSTGRES_POOL_SIZE = 10
SQLITE_CONNECTIONS = 2
ENV_DB_URL = "JINLIN_BENCH_DB_URL"

Row = Sequence[Any]


@dataclass(frozen=True)
class Sql:
    """One statement in both dialects: written with SQLite's numbered `?1` parameters (reusable within the
    statement), turned into asyncpg's `$1` for PostgreSQL."""

    sqlite: str
    postgres: str

    @classmethod
    def of(cls, text: str) -> Sql:
        """Both dialects of a statement written with `?N` placeholders."""
        return cls(text, re.sub(r"\?(\d+)", r"$\1", text))


class Database(Protocol):
    """Runs one statement and returns its rows (positionally indexable). `counters`: the schema keeps subtree
    statistics in `org_stat` (migration 0014), which a hand-written endpoint reads as the service does."""

    postgres: bool
    counters: bool

    async def rows(self, sql: Sql, params: Sequence[Any]) -> Sequence[Row]:
        """The rows of one statement."""
        ...


class SqliteDatabase:
    """A few aiosqlite connections (one thread each), handed out in turn."""

    postgres = False
    counters = False

    def __init__(self, connections: Sequence[Any]) -> None:
        self._free: asyncio.Queue[Any] = asyncio.Queue()
        self._all = list(connections)
        for connection in connections:
            self._free.put_nowait(connection)

    @classmethod
    async def open(cls, *, path: str, connections: int = SQLITE_CONNECTIONS) -> SqliteDatabase:
        """Open `connections` read connections to a database file (WAL: readers never block the writer)."""
        import aiosqlite

        opened = []
        for _ in range(connections):
            connection = await aiosqlite.connect(path)
            await connection.execute("PRAGMA busy_timeout = 10000")
            opened.append(connection)
        return cls(opened)

    async def rows(self, sql: Sql, params: Sequence[Any]) -> Sequence[Row]:
        """Rows of one statement on the next free connection."""
        connection = await self._free.get()
        try:
            return await connection.execute_fetchall(sql.sqlite, params)
        finally:
            self._free.put_nowait(connection)

    async def close(self) -> None:
        """Close every connection this object opened."""
        for connection in self._all:
            await connection.close()


class PostgresDatabase:
    """An asyncpg pool (or a single connection, in tests): prepared statements are cached per connection."""

    postgres = True
    counters = False

    def __init__(self, target: Any) -> None:
        self._target = target

    @classmethod
    async def open(cls, *, url: str, size: int = POSTGRES_POOL_SIZE) -> PostgresDatabase:
        """A pool of `size` connections to the benchmark database."""
        import asyncpg

        return cls(await asyncpg.create_pool(dsn=url, min_size=size, max_size=size))

    async def rows(self, sql: Sql, params: Sequence[Any]) -> Sequence[Row]:
        """Rows of one statement."""
        return await self._target.fetch(sql.postgres, *params)

    async def close(self) -> None:
        """Close the pool or connection."""
        await self._target.close()


_COUNTERS_PROBE = Sql.of("SELECT COUNT(*) FROM org_stat WHERE org_id = 0")


async def detect_counters(db: SqliteDatabase | PostgresDatabase) -> SqliteDatabase | PostgresDatabase:
    """Set `db.counters`: whether the `org_stat` counters exist (else statistics are computed from the rows)."""
    try:
        await db.rows(_COUNTERS_PROBE, [])
    except Exception:  # noqa: BLE001 - sqlite3.OperationalError or asyncpg's UndefinedTableError: no such table
        db.counters = False
    else:
        db.counters = True
    return db


async def open_database(url: str) -> SqliteDatabase | PostgresDatabase:
    """The raw server's database for a service database URL."""
    url = normalise_db_url(url)
    path = sqlite_path(url)
    if path is not None:
        return await detect_counters(await SqliteDatabase.open(path=path))
    return await detect_counters(await PostgresDatabase.open(url=url.split("?")[0]))


# --- values as the GraphQL service shows them ---------------------------------------------------------------------


def gid(type_name: str, pk: int) -> str:
    """A global id, built as schema/relay.py's to_global_id builds it."""
    return base64.b64encode(f"{type_name}:{pk}".encode()).decode()


def cursor(key: int) -> str:
    """A keyset cursor, as schema/relay.py's encode_cursor builds it."""
    return base64.b64encode(f"k:{key}".encode()).decode()


def iso(value: Any) -> str | None:
    """A timestamp as strawberry writes it (`datetime.isoformat()` in UTC): asyncpg gives datetimes, SQLite the text
    tortoise stored (`isoformat(" ")`, or `CURRENT_TIMESTAMP`'s naive UTC text)."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.astimezone(timezone.utc).isoformat()
    text = f"{value[:10]}T{value[11:]}"
    if text.endswith("+00:00"):
        return text
    parsed = datetime.fromisoformat(text)
    utc = parsed.replace(tzinfo=timezone.utc) if parsed.tzinfo is None else parsed.astimezone(timezone.utc)
    return utc.isoformat()


def page_info(keys: Sequence[int], fetched: int, first: int) -> dict[str, Any]:
    """`pageInfo` of a page built from `first + 1` fetched rows (the extra row only says that more follow)."""
    return {"hasNextPage": fetched > first, "endCursor": cursor(keys[-1]) if keys else None}


def _encode_json(body: dict[str, Any]) -> bytes:
    return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()


try:  # the service answers with orjson (tortoise-orm[accel] brings it): the same bytes, ~60 us less a screen
    from orjson import dumps as _encode_orjson
except ImportError:  # pragma: no cover - without orjson the service and this server both use the json module
    _encode_orjson = None


def encode(body: dict[str, Any]) -> bytes:
    """Compact UTF-8 JSON, Chinese as itself: the service's own encoding (orjson when installed, as the service)."""
    return _encode_orjson(body) if _encode_orjson is not None else _encode_json(body)


# --- the viewer's orgs, as auth.policies.project_scope derives them, inside each statement -------------------------

_ROLES = """roles AS (SELECT m.org_id, m.role FROM membership m WHERE m.user_id = ?1),
managed AS (SELECT org_id FROM roles WHERE role IN ('ADMIN', 'STAFF')),
claimants AS (SELECT r.org_id FROM roles r JOIN org ro ON ro.id = r.org_id
              WHERE r.role IN ('ADMIN', 'STAFF') AND ro.kind IN ('PARTNER_UNIT', 'VOLUNTEER_TEAM'))"""

# models.project.claimable_sql for the viewer ?1 (member key ?2). A project the viewer may claim is always one they
# may see (claimable_sql's orgs are a subset of visible_sql's), so the list needs no visibility predicate of its own.
PROJECTS_NEAR_ME_SQL = Sql.of(f"""WITH {_ROLES}
SELECT p.id, p.title, p.category, p.capacity, p.claimed_count, p.starts_at, p.location, o.id, o.name, vc.id, vc.status
FROM project p
JOIN org o ON o.id = p.org_id
LEFT JOIN claim vc ON vc.id = (SELECT MAX(c.id) FROM claim c WHERE c.project_id = p.id
    AND (c.user_id = ?1 OR c.claimed_by_id = ?1 OR c.org_id IN (SELECT org_id FROM claimants)))
WHERE p.status = 'OPEN' AND p.claimed_count < p.capacity AND (
  (p.claimant_kinds LIKE '%MEMBER%'
   AND EXISTS (SELECT 1 FROM org_closure mc WHERE mc.ancestor_id = p.org_id
               AND mc.descendant_id IN (SELECT org_id FROM roles))
   AND NOT EXISTS (SELECT 1 FROM claim mk WHERE mk.project_id = p.id AND mk.active_key = ?2))
  OR (p.claimant_kinds LIKE '%ORG%' AND (
   EXISTS (SELECT 1 FROM partnership op JOIN org_closure oc ON oc.ancestor_id = op.org_id
           WHERE oc.descendant_id = p.org_id AND op.partner_id IN (SELECT org_id FROM claimants)
           AND NOT EXISTS (SELECT 1 FROM claim ok WHERE ok.project_id = p.id AND ok.org_id = op.partner_id
                           AND ok.active_key IS NOT NULL))
   OR EXISTS (SELECT 1 FROM org_closure tc WHERE tc.ancestor_id = p.org_id
              AND tc.descendant_id IN (SELECT org_id FROM claimants)
              AND NOT EXISTS (SELECT 1 FROM claim tk WHERE tk.project_id = p.id AND tk.org_id = tc.descendant_id
                              AND tk.active_key IS NOT NULL)))))
ORDER BY p.id DESC LIMIT ?3""")


async def projects_near_me(db: Database, *, user_id: int, first: int) -> dict[str, Any]:
    """`projects(filter: {claimable: true})`: newest first, every row claimable by the viewer."""
    rows = await db.rows(PROJECTS_NEAR_ME_SQL, [user_id, f"u:{user_id}", first + 1])
    page = rows[:first]
    nodes = [{"id": gid("Project", r[0]), "title": r[1], "category": r[2], "capacity": r[3],
              "remaining": max(r[3] - r[4], 0), "startsAt": iso(r[5]), "location": r[6],
              "org": {"id": gid("Org", r[7]), "name": r[8]}, "viewerCanClaim": True,
              "viewerClaim": None if r[9] is None else {"id": gid("Claim", r[9]), "status": r[10]}} for r in page]
    return {"data": {"projects": {"nodes": nodes,
                                  "pageInfo": page_info([r[0] for r in page], len(rows), first)}}}


# The org page's figures for each child: compounds in the subtree, covered ones, registered members, published
# projects, claimed projects, verified hours. From the `org_stat` counters when the schema has them...
_CHILD_FIGURES_COUNTERS = """COALESCE(s.covered_compound_count, 0),
  COALESCE(s.compound_count - s.covered_compound_count, 0), COALESCE(s.registered_member_count, 0),
  COALESCE(s.project_count, 0), COALESCE(s.claimed_project_count, 0), COALESCE(s.verified_hours, 0)"""
# ... else from the rows. A compound sits under COALESCE(branch, community) (models.org): the covered ones under their
# branch, the others under their community, both halves index lookups from the child's descendants.
_CHILD_FIGURES_ROWS = """(SELECT COUNT(*) FROM org_closure cl JOIN compound cp ON cp.branch_id = cl.descendant_id
     WHERE cl.ancestor_id = c.id),
  (SELECT COUNT(*) FROM org_closure cl JOIN compound cp ON cp.community_id = cl.descendant_id
     WHERE cl.ancestor_id = c.id AND cp.branch_id IS NULL),
  (SELECT COUNT(*) FROM org_closure cl JOIN registration r ON r.branch_id = cl.descendant_id
     WHERE cl.ancestor_id = c.id AND r.active_user_id IS NOT NULL),
  (SELECT COUNT(*) FROM org_closure cl JOIN project pr ON pr.org_id = cl.descendant_id
     WHERE cl.ancestor_id = c.id AND pr.published_at IS NOT NULL),
  (SELECT COUNT(*) FROM org_closure cl JOIN project pr ON pr.org_id = cl.descendant_id
     WHERE cl.ancestor_id = c.id AND pr.claimed_count > 0),
  (SELECT COALESCE(SUM(cm.verified_hours), 0) FROM org_closure cl JOIN project pr ON pr.org_id = cl.descendant_id
     JOIN claim cm ON cm.project_id = pr.id WHERE cl.ancestor_id = c.id AND cm.status = 'VERIFIED')"""
_ORG_PAGE = """SELECT p.id, p.name, p.kind, (SELECT COUNT(*) FROM org k WHERE k.parent_id = p.id), c.id, c.name, c.kind,
  {figures}
FROM org p
LEFT JOIN (SELECT * FROM org WHERE parent_id = ?1 ORDER BY id LIMIT ?2) c ON 1 = 1
{join}WHERE p.id = ?1
ORDER BY c.id"""
ORG_PAGE_COUNTERS_SQL = Sql.of(_ORG_PAGE.format(figures=_CHILD_FIGURES_COUNTERS,
                                                join="LEFT JOIN org_stat s ON s.org_id = c.id\n"))
ORG_PAGE_ROWS_SQL = Sql.of(_ORG_PAGE.format(figures=_CHILD_FIGURES_ROWS, join=""))


async def org_page(db: Database, *, user_id: int, org_id: int, first: int, recount: bool = False) -> dict[str, Any]:
    """`org(id) { children(first) { stats } }`: the org directory is public, so the viewer changes nothing.
    `recount` computes the figures from the rows even where counters exist (to check the counters)."""
    rows = await db.rows(ORG_PAGE_COUNTERS_SQL if db.counters and not recount else ORG_PAGE_ROWS_SQL,
                         [org_id, first + 1])
    if not rows:
        return {"data": {"org": None}}
    head = rows[0]
    children = [r for r in rows if r[4] is not None]
    page = children[:first]
    nodes = []
    for r in page:
        compounds = r[7] + r[8]
        nodes.append({"id": gid("Org", r[4]), "name": r[5], "kind": r[6], "stats": {
            "compoundCount": compounds, "coverageRate": r[7] / compounds if compounds else 0.0,
            "registeredMemberCount": r[9], "projectCount": r[10], "claimedProjectCount": r[11],
            "verifiedHours": float(r[12])}})
    return {"data": {"org": {"id": gid("Org", head[0]), "name": head[1], "kind": head[2], "children": {
        "totalCount": head[3], "nodes": nodes,
        "pageInfo": page_info([r[4] for r in page], len(children), first)}}}}


# models.project.visible_sql for the viewer ?1, then the claims it shows: every claim for a manager of the publisher
# (or above), else the viewer's own (as claimant, filer, or manager of the claiming unit or team).
PROJECT_DETAIL_SQL = Sql.of(f"""WITH {_ROLES},
pr AS (
  SELECT p.*, EXISTS (SELECT 1 FROM org_closure mg WHERE mg.descendant_id = p.org_id
                      AND mg.ancestor_id IN (SELECT org_id FROM managed)) AS manages
  FROM project p
  WHERE p.id = ?2 AND (
    EXISTS (SELECT 1 FROM org_closure vc WHERE vc.descendant_id = p.org_id
            AND vc.ancestor_id IN (SELECT org_id FROM managed))
    OR (p.status <> 'DRAFT' AND (
      EXISTS (SELECT 1 FROM org_closure vc WHERE vc.ancestor_id = p.org_id
              AND vc.descendant_id IN (SELECT org_id FROM roles))
      OR EXISTS (SELECT 1 FROM partnership vp JOIN org_closure vc ON vc.ancestor_id = vp.org_id
                 WHERE vc.descendant_id = p.org_id AND vp.partner_id IN (SELECT org_id FROM roles))
      OR EXISTS (SELECT 1 FROM alliance_member a1 JOIN alliance_member a2 ON a2.alliance_id = a1.alliance_id
                 JOIN org_closure al ON al.ancestor_id = a1.org_id JOIN org_closure ar ON ar.ancestor_id = a2.org_id
                 WHERE a1.status = 'ACTIVE' AND a2.status = 'ACTIVE' AND a1.org_id <> a2.org_id
                 AND al.descendant_id = p.org_id AND ar.descendant_id IN (SELECT org_id FROM roles)))))),
cl AS (
  SELECT c.id, c.status, c.reported_hours, c.verified_hours, c.created_at, c.user_id, c.org_id
  FROM claim c JOIN pr ON c.project_id = pr.id
  WHERE pr.manages OR c.user_id = ?1 OR c.claimed_by_id = ?1 OR c.org_id IN (SELECT org_id FROM claimants))
SELECT pr.id, pr.title, pr.description, pr.category, pr.status, pr.capacity, pr.claimed_count, pr.starts_at,
  pr.ends_at, pr.location, o.id, o.name, (SELECT COUNT(*) FROM cl),
  c.id, c.status, c.reported_hours, c.verified_hours, c.created_at, c.user_id, c.org_id, u.display_name, co.name
FROM pr
JOIN org o ON o.id = pr.org_id
LEFT JOIN (SELECT * FROM cl ORDER BY id LIMIT ?3) c ON 1 = 1
LEFT JOIN app_user u ON u.id = c.user_id
LEFT JOIN org co ON co.id = c.org_id
ORDER BY c.id""")


async def project_detail(db: Database, *, user_id: int, project_id: int, first: int) -> dict[str, Any]:
    """`node(id) { ... on Project { claims(first) { claimant } } }`: null when the viewer may not see it."""
    rows = await db.rows(PROJECT_DETAIL_SQL, [user_id, project_id, first + 1])
    if not rows:
        return {"data": {"node": None}}
    p = rows[0]
    claims = [r for r in rows if r[13] is not None]
    page = claims[:first]
    nodes = [{"id": gid("Claim", r[13]), "status": r[14], "reportedHours": r[15], "verifiedHours": r[16],
              "createdAt": iso(r[17]),
              "claimant": {"__typename": "User", "id": gid("User", r[18]), "displayName": r[20]} if r[19] is None
              else {"__typename": "Org", "id": gid("Org", r[19]), "name": r[21]}} for r in page]
    return {"data": {"node": {
        "id": gid("Project", p[0]), "title": p[1], "description": p[2], "category": p[3], "status": p[4],
        "capacity": p[5], "claimedCount": p[6], "remaining": max(p[5] - p[6], 0), "startsAt": iso(p[7]),
        "endsAt": iso(p[8]), "location": p[9], "org": {"id": gid("Org", p[10]), "name": p[11]},
        "claims": {"totalCount": p[12], "nodes": nodes,
                   "pageInfo": page_info([r[13] for r in page], len(claims), first)}}}}


MY_ORDERS_SQL = Sql.of("""SELECT (SELECT COUNT(*) FROM resident_order k WHERE k.resident_id = ?1),
  o.id, o.status, o.category, o.description, o.created_at, o.provider_id, pv.name, e.action, e.status, e.at, e.note
FROM (SELECT * FROM resident_order WHERE resident_id = ?1 ORDER BY id DESC LIMIT ?2) o
LEFT JOIN org pv ON pv.id = o.provider_id
LEFT JOIN order_event e ON e.id = (SELECT MAX(x.id) FROM order_event x WHERE x.order_id = o.id)
ORDER BY o.id DESC""")


async def my_orders(db: Database, *, user_id: int, first: int) -> dict[str, Any]:
    """`orders(filter: {mine: true})`: the viewer's own orders, newest first, each with provider and newest event."""
    rows = await db.rows(MY_ORDERS_SQL, [user_id, first + 1])
    page = rows[:first]
    nodes = [{"id": gid("Order", r[1]), "status": r[2], "category": r[3], "description": r[4],
              "createdAt": iso(r[5]),
              "provider": None if r[6] is None or r[7] is None else {"id": gid("Org", r[6]), "name": r[7]},
              "latestEvent": None if r[8] is None else {"action": r[8], "status": r[9], "at": iso(r[10]),
                                                        "note": r[11]}} for r in page]
    return {"data": {"orders": {"totalCount": rows[0][0] if rows else 0, "nodes": nodes,
                                "pageInfo": page_info([r[1] for r in page], len(rows), first)}}}


# Every figure of one org, in the order of _DASHBOARD_KEYS after the compound figures. From the counters (meetings
# that have not begun taken off their total, as models.org.stats does)...
DASHBOARD_COUNTERS_SQL = Sql.of("""SELECT o.id, o.name, COALESCE(s.compound_count, 0),
  COALESCE(s.covered_compound_count, 0), COALESCE(s.red_committee_count, 0), COALESCE(s.branch_count, 0),
  COALESCE(s.partner_unit_count, 0), COALESCE(s.registered_member_count, 0), COALESCE(s.project_count, 0),
  COALESCE(s.claimed_project_count, 0), COALESCE(s.verified_hours, 0), COALESCE(s.resource_count, 0),
  COALESCE(s.approved_booking_count, 0),
  CASE WHEN s.org_id IS NULL THEN 0 ELSE s.meeting_total - (SELECT COUNT(*) FROM meeting mt CROSS JOIN org_closure cl
    WHERE mt.starts_at > ?2 AND cl.descendant_id = mt.convener_id AND cl.ancestor_id = o.id) END,
  COALESCE(s.open_resolution_count, 0), COALESCE(s.converted_resolution_count, 0),
  COALESCE(s.centre_shift_count + s.unit_shift_count, 0), COALESCE(s.commissioner_count, 0)
FROM org o LEFT JOIN org_stat s ON s.org_id = o.id
WHERE o.id = ?1""")
# ... or from the rows; compounds by one pass over the compound table (each one's anchor looked up in the closure),
# cheaper for a whole district than walking its closure.
DASHBOARD_ROWS_SQL = Sql.of("""SELECT o.id, o.name, COALESCE(cs.n, 0), COALESCE(cs.covered, 0), COALESCE(cs.red, 0),
  (SELECT COUNT(*) FROM org_closure cl JOIN org d ON d.id = cl.descendant_id
     WHERE cl.ancestor_id = o.id AND d.kind = 'COMPOUND_BRANCH'),
  (SELECT COUNT(DISTINCT p.partner_id) FROM org_closure cl JOIN partnership p ON p.org_id = cl.descendant_id
     WHERE cl.ancestor_id = o.id),
  (SELECT COUNT(*) FROM org_closure cl JOIN registration r ON r.branch_id = cl.descendant_id
     WHERE cl.ancestor_id = o.id AND r.active_user_id IS NOT NULL),
  (SELECT COUNT(*) FROM org_closure cl JOIN project pr ON pr.org_id = cl.descendant_id
     WHERE cl.ancestor_id = o.id AND pr.published_at IS NOT NULL),
  (SELECT COUNT(*) FROM org_closure cl JOIN project pr ON pr.org_id = cl.descendant_id
     WHERE cl.ancestor_id = o.id AND pr.claimed_count > 0),
  (SELECT COALESCE(SUM(c.verified_hours), 0) FROM org_closure cl JOIN project pr ON pr.org_id = cl.descendant_id
     JOIN claim c ON c.project_id = pr.id WHERE cl.ancestor_id = o.id AND c.status = 'VERIFIED'),
  (SELECT COUNT(*) FROM org_closure cl JOIN resource rs ON rs.owner_id = cl.descendant_id
     WHERE cl.ancestor_id = o.id AND rs.retired_at IS NULL),
  (SELECT COUNT(*) FROM org_closure cl JOIN resource rs ON rs.owner_id = cl.descendant_id
     JOIN booking bk ON bk.resource_id = rs.id WHERE cl.ancestor_id = o.id AND bk.status = 'APPROVED'),
  (SELECT COUNT(*) FROM org_closure cl JOIN meeting mt ON mt.convener_id = cl.descendant_id
     WHERE cl.ancestor_id = o.id AND mt.starts_at <= ?2),
  (SELECT COUNT(*) FROM org_closure cl JOIN resolution rl ON rl.owner_id = cl.descendant_id
     WHERE cl.ancestor_id = o.id AND rl.project_id IS NULL),
  (SELECT COUNT(*) FROM org_closure cl JOIN resolution rl ON rl.owner_id = cl.descendant_id
     WHERE cl.ancestor_id = o.id AND rl.project_id IS NOT NULL),
  (SELECT COUNT(*) FROM duty_shift ds WHERE ds.checked_in_at IS NOT NULL AND (ds.unit_id = o.id
     OR ds.centre_id IN (SELECT cl.descendant_id FROM org_closure cl WHERE cl.ancestor_id = o.id))),
  (SELECT COUNT(DISTINCT ms.user_id) FROM membership ms WHERE ms.role = 'COMMISSIONER' AND (
     (o.kind = 'PARTNER_UNIT' AND ms.org_id = o.id) OR ms.org_id IN (SELECT p.partner_id FROM org_closure cl
     JOIN partnership p ON p.org_id = cl.descendant_id WHERE cl.ancestor_id = o.id)))
FROM org o
LEFT JOIN (
  SELECT COUNT(*) AS n, SUM(CASE WHEN cp.branch_id IS NOT NULL THEN 1 ELSE 0 END) AS covered,
         SUM(CASE WHEN cp.has_red_committee THEN 1 ELSE 0 END) AS red
  FROM compound cp WHERE EXISTS (SELECT 1 FROM org_closure ca WHERE ca.ancestor_id = ?1
                                 AND ca.descendant_id = COALESCE(cp.branch_id, cp.community_id))
) cs ON 1 = 1
WHERE o.id = ?1""")

# Columns 5.. of both statements, in the document's order of the figures after the compound ones.
_DASHBOARD_KEYS = ("branchCount", "partnerUnitCount", "registeredMemberCount", "projectCount", "claimedProjectCount",
                   "verifiedHours", "resourceCount", "approvedBookingCount", "meetingCount", "openResolutionCount",
                   "convertedResolutionCount", "servedDutyShiftCount", "commissionerCount")


async def district_dashboard(db: Database, *, user_id: int, org_id: int, recount: bool = False) -> dict[str, Any]:
    """`org(id) { stats }` with every figure: public, like the org page. `recount`: from the rows, as org_page."""
    now = datetime.now(timezone.utc)
    rows = await db.rows(DASHBOARD_COUNTERS_SQL if db.counters and not recount else DASHBOARD_ROWS_SQL,
                         [org_id, now if db.postgres else now.isoformat(" ")])
    if not rows:
        return {"data": {"org": None}}
    r = rows[0]
    figures = dict(zip(_DASHBOARD_KEYS, r[5:]))
    compounds, covered = int(r[2]), int(r[3])
    stats = {"compoundCount": compounds, "coveredCompoundCount": covered,
             "coverageRate": covered / compounds if compounds else 0.0, "branchCount": int(figures["branchCount"]),
             "redCommitteeCount": int(r[4])}
    stats.update((key, float(figures[key]) if key == "verifiedHours" else int(figures[key]))
                 for key in _DASHBOARD_KEYS[1:])
    return {"data": {"org": {"id": gid("Org", r[0]), "name": r[1], "stats": stats}}}


# --- HTTP ---------------------------------------------------------------------------------------------------------


class BadRequest(Exception):
    """Variables the screen cannot use (400)."""


def _first(variables: dict[str, Any]) -> int:
    first = variables.get("first", DEFAULT_PAGE)
    first = DEFAULT_PAGE if first is None else first
    if not isinstance(first, int) or not 0 <= first <= MAX_PAGE:
        raise BadRequest(f"first must be 0..{MAX_PAGE}")
    return first


def _pk(variables: dict[str, Any], type_name: str) -> int:
    """The primary key behind the `id` variable; -1 (found nowhere) for an id of another type or a malformed one."""
    try:
        kind, _, raw = base64.b64decode(str(variables.get("id", "")).encode(), validate=True).decode().partition(":")
        return int(raw) if kind == type_name else -1
    except ValueError:
        return -1


Handler = Callable[[Database, int, dict[str, Any], bool], Awaitable[dict[str, Any]]]

SCREENS: dict[str, Handler] = {
    "projects_near_me": lambda db, uid, v, _recount: projects_near_me(db, user_id=uid, first=_first(v)),
    "org_page": lambda db, uid, v, recount: org_page(db, user_id=uid, org_id=_pk(v, "Org"), first=_first(v),
                                                     recount=recount),
    "project_detail": lambda db, uid, v, _recount: project_detail(db, user_id=uid, project_id=_pk(v, "Project"),
                                                                  first=_first(v)),
    "my_orders": lambda db, uid, v, _recount: my_orders(db, user_id=uid, first=_first(v)),
    "district_dashboard": lambda db, uid, v, recount: district_dashboard(db, user_id=uid, org_id=_pk(v, "Org"),
                                                                         recount=recount),
}


async def screen(db: Database, name: str, *, user_id: int, variables: dict[str, Any], recount: bool = False
                 ) -> dict[str, Any]:
    """The answer of one screen for a viewer, as `{"data": ...}` (the tests' entry point); `recount` computes
    statistics from the rows even where the schema keeps counters."""
    return await SCREENS[name](db, user_id, variables, recount)


def viewer_id(authorization: str | None, secret: str) -> int | None:
    """The user of a valid Bearer access token (pyjwt, the service's algorithm and claims), else None."""
    scheme, _, token = (authorization or "").partition(" ")
    if scheme.lower() != "bearer":
        return None
    try:
        claims = jwt.decode(token.strip(), secret, algorithms=[ALGORITHM], audience=Settings.jwt_audience,
                            issuer=Settings.jwt_issuer, options={"require": REQUIRED_CLAIMS})
        return int(claims["sub"]) if claims.get("typ") == TokenType.ACCESS.value else None
    except (jwt.PyJWTError, TypeError, ValueError):
        return None


def create_app(db_url: str | None = None, secret: str | None = None) -> Starlette:
    """The raw server: `GET /screens/<name>?variables=<json>` with a Bearer token (`&recount=1`: statistics from
    the rows, not the counters), `/healthz`, `/ping`."""
    db_url = db_url or os.environ[ENV_DB_URL]
    secret = secret or os.environ["JINLIN_SECRET_KEY"]
    state: dict[str, Database] = {}

    @asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        database = await open_database(db_url)
        state["db"] = database
        try:
            yield
        finally:
            await database.close()

    async def screen_endpoint(request: Request) -> Response:
        handler = SCREENS.get(request.path_params["name"])
        if handler is None:
            return Response(b'{"error":"no such screen"}', status_code=404, media_type="application/json")
        user_id = viewer_id(request.headers.get("authorization"), secret)
        if user_id is None:
            return Response(b'{"error":"unauthenticated"}', status_code=401, media_type="application/json")
        try:
            variables = json.loads(request.query_params.get("variables") or "{}")
            if not isinstance(variables, dict):
                raise BadRequest("variables must be an object")
            body = await handler(state["db"], user_id, variables, request.query_params.get("recount") == "1")
        except (BadRequest, ValueError) as exc:
            return Response(encode({"error": str(exc)}), status_code=400, media_type="application/json")
        return Response(encode(body), media_type="application/json")

    async def healthz(_request: Request) -> Response:
        return Response(b'{"status":"ok"}', media_type="application/json")

    async def ping(_request: Request) -> Response:
        return Response(b"ok", media_type="text/plain")

    return Starlette(routes=[Route("/screens/{name}", screen_endpoint), Route("/healthz", healthz),
                             Route("/ping", ping)], lifespan=lifespan)


def main(argv: list[str] | None = None) -> None:
    """Serve the raw endpoints with uvicorn, with the options `jinlin serve` uses (passed as JSON by the harness)."""
    import uvicorn

    parser = argparse.ArgumentParser(prog="python -m bench.raw", description=__doc__.splitlines()[0])
    parser.add_argument("--db", required=True)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--uvicorn", default="{}", help="uvicorn.run keyword arguments as JSON")
    args = parser.parse_args(argv)
    os.environ[ENV_DB_URL] = args.db  # workers are separate processes: they read it from the environment
    uvicorn.run("bench.raw:create_app", factory=True, host=args.host, port=args.port, workers=args.workers,
                **json.loads(args.uvicorn))


if __name__ == "__main__":
    main()
