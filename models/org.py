"""Organisations of the 近邻 hierarchy, their ancestor closure, and partner pairings (结对共建)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timezone
from importlib import import_module
from types import ModuleType
from typing import TYPE_CHECKING

from tortoise import fields
from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.models import Model
from tortoise.transactions import in_transaction

from jinlin import db
from models.enums import OrgKind

if TYPE_CHECKING:
    from models.user import User  # models.user imports this module


class Org(Model):
    """A district, street work committee, community party committee, compound branch, partner unit or team."""

    id = fields.IntField(primary_key=True)
    name = fields.CharField(max_length=100)
    kind = fields.CharEnumField(OrgKind, max_length=24)
    parent: fields.ForeignKeyNullableRelation[Org] = fields.ForeignKeyField(
        "jinlin.Org", related_name="children", null=True, on_delete=fields.RESTRICT
    )
    depth = fields.IntField(default=0)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "org"
        indexes = (("parent_id", "id"), ("kind", "id"))


class OrgClosure(Model):
    """One row per (ancestor, descendant) pair, self included: subtree and ancestor queries stay one indexed join."""

    id = fields.IntField(primary_key=True)
    ancestor: fields.ForeignKeyRelation[Org] = fields.ForeignKeyField(
        "jinlin.Org", related_name=False, on_delete=fields.CASCADE
    )
    descendant: fields.ForeignKeyRelation[Org] = fields.ForeignKeyField(
        "jinlin.Org", related_name=False, on_delete=fields.CASCADE
    )
    depth = fields.IntField()

    class Meta:
        table = "org_closure"
        unique_together = (("ancestor_id", "descendant_id"),)
        indexes = (("descendant_id", "depth"),)


class Partnership(Model):
    """A partner unit paired with a street or community (结对共建)."""

    id = fields.IntField(primary_key=True)
    partner: fields.ForeignKeyRelation[Org] = fields.ForeignKeyField(
        "jinlin.Org", related_name=False, on_delete=fields.CASCADE
    )
    org: fields.ForeignKeyRelation[Org] = fields.ForeignKeyField(
        "jinlin.Org", related_name=False, on_delete=fields.CASCADE
    )
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "partnership"
        unique_together = (("partner_id", "org_id"),)
        indexes = (("org_id", "partner_id"),)


class OrgStatCounter(Model):
    """An org's subtree totals, kept by database triggers in every writing transaction: dashboards read, never scan."""

    id = fields.IntField(primary_key=True)
    org: fields.OneToOneRelation[Org] = fields.OneToOneField("jinlin.Org", related_name=False, on_delete=fields.CASCADE)
    compound_count = fields.IntField(default=0)
    covered_compound_count = fields.IntField(default=0)
    red_committee_count = fields.IntField(default=0)
    branch_count = fields.IntField(default=0)
    partner_unit_count = fields.IntField(default=0)
    registered_member_count = fields.IntField(default=0)
    project_count = fields.IntField(default=0)
    claimed_project_count = fields.IntField(default=0)
    verified_hours = fields.FloatField(default=0)
    resource_count = fields.IntField(default=0)
    approved_booking_count = fields.IntField(default=0)
    meeting_total = fields.IntField(default=0)  # future meetings included: `stats` subtracts those
    open_resolution_count = fields.IntField(default=0)
    converted_resolution_count = fields.IntField(default=0)
    centre_shift_count = fields.IntField(default=0)  # served at centres in the subtree
    unit_shift_count = fields.IntField(default=0)  # served by this org as a unit at centres outside its subtree
    commissioner_count = fields.IntField(default=0)

    class Meta:
        table = "org_stat"


class OrgStatPartner(Model):
    """A partner unit counted once in an org's stats: `pairs` pairings in the subtree, `own` 1 for the unit itself."""

    id = fields.IntField(primary_key=True)
    org: fields.ForeignKeyRelation[Org] = fields.ForeignKeyField(
        "jinlin.Org", related_name=False, on_delete=fields.CASCADE
    )
    partner: fields.ForeignKeyRelation[Org] = fields.ForeignKeyField(
        "jinlin.Org", related_name=False, on_delete=fields.CASCADE
    )
    pairs = fields.IntField(default=0)
    own = fields.IntField(default=0)

    class Meta:
        table = "org_stat_partner"
        unique_together = (("org_id", "partner_id"),)
        indexes = (("partner_id", "org_id"),)


class OrgStatCommissioner(Model):
    """A commissioner counted once in an org's stats: `sources` of its partner units they serve (row gone at 0)."""

    id = fields.IntField(primary_key=True)
    org: fields.ForeignKeyRelation[Org] = fields.ForeignKeyField(
        "jinlin.Org", related_name=False, on_delete=fields.CASCADE
    )
    user: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "jinlin.User", related_name=False, on_delete=fields.CASCADE
    )
    sources = fields.IntField(default=0)

    class Meta:
        table = "org_stat_commissioner"
        unique_together = (("org_id", "user_id"),)


@dataclass(frozen=True)
class OrgStats:
    """Figures rolled up over an org's whole subtree, as the dashboards show them."""

    compound_count: int = 0
    covered_compound_count: int = 0
    branch_count: int = 0
    red_committee_count: int = 0
    partner_unit_count: int = 0
    registered_member_count: int = 0
    project_count: int = 0
    claimed_project_count: int = 0
    verified_hours: float = 0.0
    resource_count: int = 0
    approved_booking_count: int = 0
    meeting_count: int = 0
    open_resolution_count: int = 0
    converted_resolution_count: int = 0
    served_duty_shift_count: int = 0
    commissioner_count: int = 0

    @property
    def coverage_rate(self) -> float:
        """Share of compounds covered by a branch (0 when there are none)."""
        return self.covered_compound_count / self.compound_count if self.compound_count else 0.0


async def get(*, org_id: int) -> Org | None:
    """One org by primary key."""
    return await Org.get_or_none(id=org_id)


async def get_many(*, org_ids: list[int]) -> dict[int, Org]:
    """Orgs by primary key, in one statement."""
    return {org.id: org for org in await Org.filter(id__in=org_ids)}


async def create(*, name: str, kind: OrgKind, parent: Org | None) -> Org:
    """Insert an org and its closure rows atomically (ancestors come from the parent's rows)."""
    async with in_transaction() as conn:
        org = await Org.create(
            name=name, kind=kind, parent=parent, depth=(parent.depth + 1) if parent else 0, using_db=conn
        )
        await db.execute(
            "INSERT INTO org_closure (ancestor_id, descendant_id, depth) "
            "SELECT ancestor_id, CAST(? AS INTEGER), depth + 1 FROM org_closure WHERE descendant_id = ? "
            "UNION ALL SELECT CAST(? AS INTEGER), CAST(? AS INTEGER), 0",
            [org.id, parent.id if parent else -1, org.id, org.id],
            conn=conn,
        )
    return org


async def rename(*, org: Org, name: str) -> Org:
    """Change an org's display name (its place in the tree never moves)."""
    org.name = name
    await org.save(update_fields=["name"])
    return org


async def ancestor_ids(*, org_ids: list[int]) -> dict[int, list[int]]:
    """Ancestors of each org, root first, the org itself excluded."""
    result: dict[int, list[int]] = {org_id: [] for org_id in org_ids}
    rows = await db.fetch(
        "SELECT descendant_id AS d, ancestor_id AS a FROM org_closure "
        f"WHERE descendant_id IN ({db.placeholders(org_ids)}) AND depth > 0 ORDER BY descendant_id, depth DESC",
        org_ids,
    )
    for row in rows:
        result[row["d"]].append(row["a"])
    return result


def _filter_sql(*, kind: OrgKind | None, parent_id: int | None, search: str | None) -> tuple[str, list]:
    clauses, params = [], []
    if kind is not None:
        clauses.append("o.kind = ?")
        params.append(kind.value)
    if parent_id is not None:
        clauses.append("o.parent_id = ?")
        params.append(parent_id)
    if search:
        clauses.append(f"LOWER(o.name) {db.LIKE}")
        params.append(db.like_pattern(search.lower()))
    return (" AND ".join(clauses) or "1 = 1"), params


async def page(
    *, kind: OrgKind | None, parent_id: int | None, search: str | None, first: int, after: int | None
) -> list[Org]:
    """A keyset page of the public org directory (`first + 1` rows, by id)."""
    where, params = _filter_sql(kind=kind, parent_id=parent_id, search=search)
    return await db.fetch_models(
        Org, f"SELECT o.* FROM org o WHERE {where} AND o.id > ? ORDER BY o.id LIMIT ?",
        [*params, after if after is not None else -1, first + 1],
    )


async def count(*, kind: OrgKind | None, parent_id: int | None, search: str | None) -> int:
    """How many orgs match the directory filter."""
    where, params = _filter_sql(kind=kind, parent_id=parent_id, search=search)
    rows = await db.fetch(f"SELECT COUNT(*) AS n FROM org o WHERE {where}", params)
    return int(rows[0]["n"])


def _children_sql(parent_ids: list[int], kind: OrgKind | None) -> tuple[str, list]:
    sql = f"SELECT o.*, o.parent_id AS _g, o.id AS _k FROM org o WHERE o.parent_id IN ({db.placeholders(parent_ids)})"
    params: list = list(parent_ids)
    if kind is not None:
        sql += " AND o.kind = ?"
        params.append(kind.value)
    return sql, params


async def children_pages(
    *, parent_ids: list[int], kind: OrgKind | None, first: int, after: int | None
) -> dict[int, list[Org]]:
    """A page of direct children for each parent, in one statement."""
    sql, params = _children_sql(parent_ids, kind)
    return await db.page_per_group(sql, params, first=first, after=after, model=Org)


async def children_counts(*, parent_ids: list[int], kind: OrgKind | None) -> dict[int, int]:
    """Number of direct children for each parent, in one statement."""
    sql, params = _children_sql(parent_ids, kind)
    return await db.count_per_group(sql, params)


def _partners_sql(org_ids: list[int]) -> tuple[str, list]:
    marks = db.placeholders(org_ids)
    sql = (
        f"SELECT o.*, p.org_id AS _g, o.id AS _k FROM partnership p JOIN org o ON o.id = p.partner_id "
        f"WHERE p.org_id IN ({marks}) "
        f"UNION ALL SELECT o.*, p.partner_id AS _g, o.id AS _k FROM partnership p JOIN org o ON o.id = p.org_id "
        f"WHERE p.partner_id IN ({marks})"
    )
    return sql, [*org_ids, *org_ids]


async def partner_pages(*, org_ids: list[int], first: int, after: int | None) -> dict[int, list[Org]]:
    """Paired orgs of each org, both directions, one statement."""
    sql, params = _partners_sql(org_ids)
    return await db.page_per_group(sql, params, first=first, after=after, model=Org)


async def partner_counts(*, org_ids: list[int]) -> dict[int, int]:
    """Number of paired orgs of each org."""
    sql, params = _partners_sql(org_ids)
    return await db.count_per_group(sql, params)


async def paired_ids(*, org_ids: list[int]) -> dict[int, list[int]]:
    """Ids of the orgs paired with each org (both directions), one statement."""
    marks = db.placeholders(org_ids)
    rows = await db.fetch(
        f"SELECT org_id AS g, partner_id AS p FROM partnership WHERE org_id IN ({marks}) "
        f"UNION ALL SELECT partner_id, org_id FROM partnership WHERE partner_id IN ({marks})", [*org_ids, *org_ids])
    out: dict[int, list[int]] = {org_id: [] for org_id in org_ids}
    for row in rows:
        out[row["g"]].append(row["p"])
    return out


async def is_paired(*, partner_id: int, org_id: int) -> bool:
    """Whether a partner unit is paired with an org."""
    return await Partnership.exists(partner_id=partner_id, org_id=org_id)


async def pair(*, partner: Org, org: Org) -> bool:
    """Pair a partner unit with a street or community; False when they were already paired."""
    inserted = await db.fetch(
        "INSERT INTO partnership (partner_id, org_id, created_at) VALUES (?, ?, CURRENT_TIMESTAMP) "
        "ON CONFLICT (partner_id, org_id) DO NOTHING RETURNING id",
        [partner.id, org.id],
    )
    return len(inserted) == 1


async def unpair(*, partner: Org, org: Org) -> bool:
    """Dissolve a pairing; False when there was none."""
    return await Partnership.filter(partner_id=partner.id, org_id=org.id).delete() > 0


# The live computation over the subtree's rows: what the counters must always equal (tests, `jinlin stats-check`).
_RECOUNT_SQL = """
SELECT o.id AS org_id,
  COALESCE(cs.n, 0) AS compound_count, COALESCE(cs.covered, 0) AS covered_compound_count,
  COALESCE(cs.red, 0) AS red_committee_count,
  (SELECT COUNT(*) FROM org_closure cl JOIN org d ON d.id = cl.descendant_id
     WHERE cl.ancestor_id = o.id AND d.kind = 'COMPOUND_BRANCH') AS branch_count,
  (SELECT COUNT(DISTINCT p.partner_id) FROM org_closure cl JOIN partnership p ON p.org_id = cl.descendant_id
     WHERE cl.ancestor_id = o.id) AS partner_unit_count,
  (SELECT COUNT(*) FROM org_closure cl JOIN registration r ON r.branch_id = cl.descendant_id
     WHERE cl.ancestor_id = o.id AND r.active_user_id IS NOT NULL) AS registered_member_count,
  (SELECT COUNT(*) FROM org_closure cl JOIN project pr ON pr.org_id = cl.descendant_id
     WHERE cl.ancestor_id = o.id AND pr.published_at IS NOT NULL) AS project_count,
  (SELECT COUNT(*) FROM org_closure cl JOIN project pr ON pr.org_id = cl.descendant_id
     WHERE cl.ancestor_id = o.id AND pr.claimed_count > 0) AS claimed_project_count,
  (SELECT COALESCE(SUM(c.verified_hours), 0) FROM org_closure cl JOIN project pr ON pr.org_id = cl.descendant_id
     JOIN claim c ON c.project_id = pr.id WHERE cl.ancestor_id = o.id AND c.status = 'VERIFIED') AS verified_hours,
  (SELECT COUNT(*) FROM org_closure cl JOIN resource rs ON rs.owner_id = cl.descendant_id
     WHERE cl.ancestor_id = o.id AND rs.retired_at IS NULL) AS resource_count,
  (SELECT COUNT(*) FROM org_closure cl JOIN resource rs ON rs.owner_id = cl.descendant_id
     JOIN booking bk ON bk.resource_id = rs.id WHERE cl.ancestor_id = o.id AND bk.status = 'APPROVED')
     AS approved_booking_count,
  (SELECT COUNT(*) FROM org_closure cl JOIN meeting mt ON mt.convener_id = cl.descendant_id
     WHERE cl.ancestor_id = o.id AND mt.starts_at <= ?) AS meeting_count,
  (SELECT COUNT(*) FROM org_closure cl JOIN resolution rl ON rl.owner_id = cl.descendant_id
     WHERE cl.ancestor_id = o.id AND rl.project_id IS NULL) AS open_resolution_count,
  (SELECT COUNT(*) FROM org_closure cl JOIN resolution rl ON rl.owner_id = cl.descendant_id
     WHERE cl.ancestor_id = o.id AND rl.project_id IS NOT NULL) AS converted_resolution_count,
  (SELECT COUNT(*) FROM duty_shift ds WHERE ds.checked_in_at IS NOT NULL AND (ds.unit_id = o.id
     OR ds.centre_id IN (SELECT cl.descendant_id FROM org_closure cl WHERE cl.ancestor_id = o.id)))
     AS served_duty_shift_count,
  (SELECT COUNT(DISTINCT ms.user_id) FROM membership ms WHERE ms.role = 'COMMISSIONER' AND (
     (o.kind = 'PARTNER_UNIT' AND ms.org_id = o.id) OR ms.org_id IN (SELECT p.partner_id FROM org_closure cl
     JOIN partnership p ON p.org_id = cl.descendant_id WHERE cl.ancestor_id = o.id))) AS commissioner_count
FROM org o
LEFT JOIN (
  SELECT cl.ancestor_id AS aid, COUNT(*) AS n,
    SUM(CASE WHEN c.branch_id IS NOT NULL THEN 1 ELSE 0 END) AS covered,
    SUM(CASE WHEN c.has_red_committee THEN 1 ELSE 0 END) AS red
  FROM org_closure cl JOIN compound c ON cl.descendant_id = COALESCE(c.branch_id, c.community_id)
  WHERE cl.ancestor_id IN ({marks}) GROUP BY cl.ancestor_id
) cs ON cs.aid = o.id
WHERE o.id IN ({marks})
"""


# What the counters are computed from: the tables whose writes fire the counter triggers. A statement reading the
# counters names them in a comment, for the response cache (jinlin/response_cache.py), which keeps an answer while
# the tables its statements name keep their data versions: counters change only in transactions writing these.
STATS_SOURCES = ("org", "org_closure", "partnership", "membership", "compound", "registration", "project", "claim",
                 "resource", "booking", "meeting", "resolution", "duty_shift")
STATS_SOURCES_SQL = f"/* org_stat counts rows of: {' '.join(STATS_SOURCES)} */"

# The counters of migration 0014: one row per org by primary key. Meetings that have not begun are subtracted from
# the total, found from the index on meeting.starts_at (the outer loop: CROSS JOIN fixes SQLite's join order).
_STATS_SQL = STATS_SOURCES_SQL + """
SELECT s.org_id, s.compound_count, s.covered_compound_count, s.red_committee_count, s.branch_count,
  s.partner_unit_count, s.registered_member_count, s.project_count, s.claimed_project_count, s.verified_hours,
  s.resource_count, s.approved_booking_count, s.meeting_total - COALESCE(fm.n, 0) AS meeting_count,
  s.open_resolution_count, s.converted_resolution_count,
  s.centre_shift_count + s.unit_shift_count AS served_duty_shift_count, s.commissioner_count
FROM org_stat s LEFT JOIN (
  SELECT cl.ancestor_id AS aid, COUNT(*) AS n FROM meeting mt CROSS JOIN org_closure cl
  WHERE mt.starts_at > ? AND cl.descendant_id = mt.convener_id AND cl.ancestor_id IN ({marks})
  GROUP BY cl.ancestor_id
) fm ON fm.aid = s.org_id
WHERE s.org_id IN ({marks})
"""


def _now_param() -> object:
    """Now as meeting.starts_at is stored (text on SQLite), for comparing in raw SQL."""
    from models.meeting import Meeting  # the meeting module builds on this one

    return Meeting._meta.fields_map["starts_at"].to_db_value(datetime.now(timezone.utc), Meeting)


def _stats_rows(rows: list[dict]) -> dict[int, OrgStats]:
    return {
        row.pop("org_id"): OrgStats(
            **{k: (float(v) if k == "verified_hours" else int(v)) for k, v in row.items()}
        )
        for row in rows
    }


async def stats(*, org_ids: list[int]) -> dict[int, OrgStats]:
    """Subtree statistics for many orgs in one statement, read from counters the writes keep (no subtree scan)."""
    marks = db.placeholders(org_ids)
    return _stats_rows(await db.fetch(_STATS_SQL.format(marks=marks), [_now_param(), *org_ids, *org_ids]))


async def stats_recount(*, org_ids: list[int]) -> dict[int, OrgStats]:
    """The same statistics computed live from the subtree's rows: the definition the counters are checked against."""
    marks = db.placeholders(org_ids)
    return _stats_rows(await db.fetch(_RECOUNT_SQL.format(marks=marks), [_now_param(), *org_ids, *org_ids]))


async def stats_mismatches(*, batch: int = 200) -> dict[int, tuple[OrgStats, OrgStats]]:
    """Orgs whose counters differ from a live recount, as (counters, recount): finds writes that bypassed triggers."""
    ids = [row["id"] for row in await db.fetch("SELECT id FROM org ORDER BY id")]
    out: dict[int, tuple[OrgStats, OrgStats]] = {}
    for start in range(0, len(ids), batch):
        chunk = ids[start:start + batch]
        counted, recounted = await stats(org_ids=chunk), await stats_recount(org_ids=chunk)
        for org_id in chunk:
            have, want = counted.get(org_id, OrgStats()), recounted[org_id]
            # hours to 1e-6: float sums added in another order may differ in the last bits
            close = abs(have.verified_hours - want.verified_hours) <= 1e-6 * max(1.0, abs(want.verified_hours))
            if not close or replace(have, verified_hours=want.verified_hours) != want:
                out[org_id] = (have, want)
    return out


def _counters_migration() -> ModuleType:
    """The migration that defines the counters: its triggers' switch and its set-wise backfill."""
    return import_module("models.migrations.0014_org_stats")


def _dialect(conn: BaseDBAsyncClient) -> str:
    return "postgres" if db.is_postgres(conn) else "sqlite"


async def pause_stats(*, conn: BaseDBAsyncClient) -> None:
    """Counter triggers off for the rest of a bulk load's transaction (it ends with `rebuild_stats`): no hot rows."""
    for sql in _counters_migration().BULK_ON[_dialect(conn)]:
        await db.execute(sql, conn=conn)


async def rebuild_stats(*, conn: BaseDBAsyncClient | None = None) -> None:
    """Every counter recomputed set-wise in one transaction, triggers on again: ends a bulk load, repairs drift."""
    if conn is None:
        async with in_transaction() as own:
            await rebuild_stats(conn=own)
        return
    migration = _counters_migration()
    if db.is_postgres(conn):  # writers wait (their triggers update org_stat) until the new counters commit
        await db.execute("LOCK TABLE org_stat, org_stat_partner, org_stat_commissioner IN EXCLUSIVE MODE", conn=conn)
    dialect = _dialect(conn)
    for sql in [*migration.BULK_ON[dialect], *migration.BACKFILL, *migration.BULK_OFF[dialect]]:
        await db.execute(sql, conn=conn)
    # New counters without a write to their source tables: bump those tables' data versions (migration 0013) so
    # that no cached answer outlives the rebuild; `*` first, the order every writer takes.
    for names in (("*",), STATS_SOURCES):
        await db.execute("INSERT INTO data_version (name, version) VALUES "
                         + ", ".join("(?, 1)" for _ in names)
                         + " ON CONFLICT (name) DO UPDATE SET version = data_version.version + 1", list(names),
                         conn=conn)
