"""A Siming data set N times over (default 10x), for measuring how reads grow with the district's size.

`jinlin seed --scale siming` first, then every org below the ten streets (communities, branches, volunteer teams) and
every partner unit is copied N-1 times, the copies of a community under the same street, with copies of what hangs
off them: compounds, the members (new accounts) with their registrations and MEMBER roles, the commissioners,
pairings (with the same street, or with the copied community), projects with their claims, and duty rosters. At 10x:
~23,000 orgs, 7,600 compounds, 110,000 registered members, 72,000 projects, 140,000 claims, 14,200 partner units.
The demo accounts, resources, meetings, alliances and resident services stay single.

Rows are copied with INSERT ... SELECT (ids offset per copy) in one transaction, with the statistics triggers
switched off and the counters rebuilt once at the end (models.org.pause_stats / rebuild_stats), then PostgreSQL's
sequences are moved past the new ids and the tables analysed. Takes about a minute on PostgreSQL.

Run: `python bench/scale.py --db postgres://postgres@127.0.0.1:5432/jinlin_x10 [--factor 10]` on an empty database
(migrated and seeded here), or `await multiply(factor=10)` with the ORM on a siming-seeded database.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from pathlib import Path

from tortoise import Tortoise
from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.models import Model
from tortoise.transactions import in_transaction

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from jinlin import db  # noqa: E402
from models.compound import Compound  # noqa: E402
from models.duty import DutyShift  # noqa: E402
from models.org import Org, OrgClosure, Partnership, pause_stats, rebuild_stats  # noqa: E402
from models.project import Claim, Project  # noqa: E402
from models.registration import Registration  # noqa: E402
from models.user import Membership, User  # noqa: E402

KEPT_KINDS = ("DISTRICT", "STREET_COMMITTEE")  # one of each: the copies hang under them
DEMO_PHONES = "138%"  # the demo accounts are not copied


async def _max_id(model: type[Model], conn: BaseDBAsyncClient) -> int:
    rows = await db.fetch(f"SELECT COALESCE(MAX(id), 0) AS m FROM {model._meta.db_table}", conn=conn)
    return int(rows[0]["m"])


async def _count(model: type[Model], conn: BaseDBAsyncClient) -> int:
    rows = await db.fetch(f"SELECT COUNT(*) AS n FROM {model._meta.db_table}", conn=conn)
    return int(rows[0]["n"])


async def _copy(conn: BaseDBAsyncClient, model: type[Model], where: str, mapped: dict[str, str]) -> None:
    """INSERT INTO the model's table SELECT its columns, `mapped` ones as the SQL given (over the source row `s`),
    from the rows matching `where`."""
    columns = list(model._meta.db_fields)
    select = ", ".join(mapped.get(c, f"s.{c}") for c in columns)
    table = model._meta.db_table
    await db.execute(f"INSERT INTO {table} ({', '.join(columns)}) SELECT {select} FROM {table} s WHERE {where}",
                     conn=conn)


async def multiply(*, factor: int = 10) -> dict[str, int]:
    """Copy the seeded siming set `factor - 1` times (see the module docstring); returns rows added per table."""
    copied = (Org, OrgClosure, Partnership, Compound, User, Membership, Registration, Project, Claim, DutyShift)
    async with in_transaction() as conn:
        before = {m: await _count(m, conn) for m in copied}
        await pause_stats(conn=conn)
        kept = [row["id"] for row in await db.fetch(
            f"SELECT id FROM org WHERE kind IN ({db.placeholders(KEPT_KINDS)})", list(KEPT_KINDS), conn=conn)]
        kept_sql = ", ".join(str(i) for i in kept)
        off = {m: await _max_id(m, conn) + 1 for m in copied}
        for k in range(1, factor):
            o, u = k * off[Org], k * off[User]

            def org(col: str) -> str:  # an original org id -> its copy (the district and streets stay)
                return f"CASE WHEN {col} IN ({kept_sql}) THEN {col} ELSE {col} + {o} END"

            copied_user = f"(SELECT 1 FROM app_user cu WHERE cu.id = s.user_id AND cu.phone NOT LIKE '{DEMO_PHONES}')"
            steps = [
                (Org, f"s.id < {off[Org]} AND s.kind NOT IN ('DISTRICT', 'STREET_COMMITTEE')",
                 {"id": f"s.id + {o}", "name": f"s.name || ' {k}'", "parent_id": org("s.parent_id")}),
                (OrgClosure, f"s.id < {off[OrgClosure]} AND s.descendant_id NOT IN ({kept_sql})",
                 {"id": f"s.id + {k * off[OrgClosure]}", "ancestor_id": org("s.ancestor_id"),
                  "descendant_id": f"s.descendant_id + {o}"}),
                (Partnership, f"s.id < {off[Partnership]}",
                 {"id": f"s.id + {k * off[Partnership]}", "partner_id": f"s.partner_id + {o}",
                  "org_id": org("s.org_id")}),
                (Compound, f"s.id < {off[Compound]}",
                 {"id": f"s.id + {k * off[Compound]}", "name": f"s.name || ' {k}'",
                  "community_id": org("s.community_id"), "branch_id": org("s.branch_id")}),
                (User, f"s.id < {off[User]} AND s.phone NOT LIKE '{DEMO_PHONES}'",
                 {"id": f"s.id + {u}", "phone": f"s.phone || '#{k}'"}),
                (Membership, f"s.id < {off[Membership]} AND EXISTS {copied_user}",
                 {"id": f"s.id + {k * off[Membership]}", "user_id": f"s.user_id + {u}", "org_id": org("s.org_id")}),
                (Registration, f"s.id < {off[Registration]} AND EXISTS {copied_user}",
                 {"id": f"s.id + {k * off[Registration]}", "user_id": f"s.user_id + {u}",
                  "branch_id": org("s.branch_id"), "active_user_id": f"s.active_user_id + {u}"}),
                (Project, f"s.id < {off[Project]}",
                 {"id": f"s.id + {k * off[Project]}", "org_id": org("s.org_id"), "title": f"s.title || ' {k}'",
                  "compound_id": f"s.compound_id + {k * off[Compound]}", "created_by_id": "NULL"}),
                (Claim, f"s.id < {off[Claim]} AND EXISTS {copied_user}",
                 {"id": f"s.id + {k * off[Claim]}", "project_id": f"s.project_id + {k * off[Project]}",
                  "user_id": f"s.user_id + {u}", "org_id": "NULL", "claimed_by_id": f"s.user_id + {u}",
                  "active_key": f"CASE WHEN s.active_key IS NULL THEN NULL ELSE 'u:' || CAST(s.user_id + {u} AS "
                                f"VARCHAR(20)) END"}),
                (DutyShift, f"s.id < {off[DutyShift]}",
                 {"id": f"s.id + {k * off[DutyShift]}", "centre_id": org("s.centre_id"),
                  "unit_id": f"s.unit_id + {o}", "checked_in_by_id": "NULL"}),
            ]
            for model, where, mapped in steps:
                await _copy(conn, model, where, mapped)
        # A copied claim's project copy keeps its claimed_count: the same live claims were copied (demo claims of
        # the demo member are not, so those few projects are recounted).
        await db.execute(
            f"UPDATE project SET claimed_count = (SELECT COUNT(*) FROM claim c WHERE c.project_id = project.id "
            f"AND c.status IN ('ACTIVE', 'DONE', 'VERIFIED')) WHERE id >= {off[Project]}", conn=conn)
        await rebuild_stats(conn=conn)
        added = {m._meta.db_table: await _count(m, conn) - before[m] for m in copied}
        if db.is_postgres(conn):
            from jinlin.seed import _reset_sequences

            await _reset_sequences(conn)
    if db.is_postgres():
        await db.execute("ANALYZE")
    return added


async def _main(url: str, factor: int) -> None:
    from jinlin.cli import apply_migrations
    from jinlin.db import tortoise_config
    from jinlin.seed import seed
    from jinlin.settings import Settings, normalise_db_url

    url = normalise_db_url(url)
    started = time.perf_counter()
    await apply_migrations(Settings(db_url=url, secret_key="scale-" * 8))
    await Tortoise.init(config=tortoise_config(url), _enable_global_fallback=True)
    try:
        seeded = await seed(scale="siming")
        print(f"seeded siming: {seeded['orgs']} orgs, {seeded['registrations']} registrations, "
              f"{seeded['projects']} projects, {seeded['claims']} claims ({time.perf_counter() - started:.0f} s)")
        added = await multiply(factor=factor)
        print(f"multiplied x{factor}: " + ", ".join(f"+{n} {table}" for table, n in added.items())
              + f" ({time.perf_counter() - started:.0f} s)")
    finally:
        await Tortoise.close_connections()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", required=True, help="an empty database (PostgreSQL or SQLite URL)")
    parser.add_argument("--factor", type=int, default=10)
    args = parser.parse_args()
    asyncio.run(_main(args.db, args.factor))


if __name__ == "__main__":
    main()
