"""`jinlin backup` and `jinlin restore`: a backup taken while writers run restores to a consistent database (SQLite
always; PostgreSQL when JINLIN_TEST_DB_URL is one), and restore refuses a kind mismatch, a damaged backup and a
database that already holds data (unless --force), each in one line."""

from __future__ import annotations

import asyncio
import shutil
import sqlite3
import sys
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import pytest
from tortoise.backends.base.executor import EXECUTOR_CACHE

from jinlin.backup import PgTarget
from jinlin.settings import Settings, normalise_db_url
from models.audit import AuditEntry
from models.compound import Compound
from models.project import Project
from tests.conftest import SECRET, TEST_DB_URL, Api, gid, make_settings
from tests.test_cli import assert_one_line_failure, clean_env, jinlin

ROOT = Path(__file__).resolve().parent.parent
PG = bool(TEST_DB_URL) and urlsplit(TEST_DB_URL or "").scheme in {"postgres", "postgresql", "asyncpg"}
needs_pg = pytest.mark.skipif(not PG, reason="JINLIN_TEST_DB_URL is not a PostgreSQL URL")
needs_pg_tools = pytest.mark.skipif(shutil.which("pg_dump") is None or shutil.which("pg_restore") is None,
                                    reason="pg_dump/pg_restore are not installed")
RESIDENT, MEMBER, BRANCH_ADMIN = "13800000006", "13800000004", "13800000003"
LIVE_CLAIM = ("ACTIVE", "DONE", "VERIFIED")


def without_rate_limits(settings: Settings) -> Settings:
    """The same settings with every rate limit off (None), whatever limits the settings know: the writers here are
    a deliberate flood from three accounts."""
    return replace(settings, **{f.name: None for f in fields(settings) if f.name.startswith("rate_")})


@pytest.fixture(autouse=True)
def fresh_statement_cache() -> Iterator[None]:
    """tortoise caches each table's INSERT statement per connection name, not per dialect: with SQLite and
    PostgreSQL in one session (this module runs both), a statement cached for one would be sent to the other."""
    EXECUTOR_CACHE.clear()
    yield
    EXECUTOR_CACHE.clear()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=[needs_pg, needs_pg_tools])])
def backend(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture
def settings(backend: str, tmp_path: Path) -> Settings:
    """A database file of its own for SQLite (another process must read it), the test database for PostgreSQL."""
    if backend == "sqlite":
        return without_rate_limits(Settings(db_url=normalise_db_url(f"sqlite://{tmp_path / 'live.sqlite3'}"),
                                            secret_key=SECRET))
    return without_rate_limits(make_settings())


def pg_url(database: str) -> str:
    """The test database's URL with another database name."""
    parts = urlsplit(TEST_DB_URL or "")
    return urlunsplit(parts._replace(path=f"/{database}"))


async def _pg_connect(url: str) -> Any:
    import asyncpg

    target = PgTarget.from_url(url)
    return await asyncpg.connect(host=target.host, port=target.port, user=target.user, password=target.password,
                                 database=target.database)


@asynccontextmanager
async def scratch_pg_database(suffix: str) -> AsyncIterator[str]:
    """A new, empty database beside the test database (`<name>_<suffix>`), dropped afterwards; yields its URL."""
    name = f"{PgTarget.from_url(TEST_DB_URL or '').database}_{suffix}"
    admin = await _pg_connect(TEST_DB_URL or "")
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.execute(f'CREATE DATABASE "{name}"')
        yield pg_url(name)
    finally:
        try:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await admin.close()


async def run_jinlin(*args: str, timeout: float = 60) -> tuple[int, str, str]:
    """`python -m jinlin.cli ARGS` without blocking the event loop (the writers keep going meanwhile)."""
    proc = await asyncio.create_subprocess_exec(sys.executable, "-m", "jinlin.cli", *args, cwd=ROOT, env=clean_env(),
                                                stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    try:
        out, err = await asyncio.wait_for(proc.communicate(), timeout)
    except asyncio.TimeoutError:
        proc.kill()
        await proc.wait()
        raise
    return proc.returncode or 0, out.decode(), err.decode()


# --- the writers ----------------------------------------------------------------------------------------------------


@dataclass
class Writer:
    """One client doing one kind of write after another; `issued` counts the calls begun, `acked` those that
    succeeded. A sequential writer's committed writes are a prefix of its calls: a consistent copy holds exactly the
    first k of them."""

    name: str
    step: Callable[[int], Awaitable[bool]]
    issued: int = 0
    acked: list[int] = field(default_factory=list)

    async def run(self, stop: asyncio.Event, limit: int = 3000) -> None:
        while not stop.is_set() and self.issued < limit:
            index = self.issued
            self.issued += 1
            if await self.step(index):
                self.acked.append(index)
            await asyncio.sleep(0.002)  # leave the CPU to the backup process now and then


def make_writers(demo: Api, compound: str, project: str) -> list[Writer]:
    async def place_order(i: int) -> bool:
        data = await demo.ok("""mutation($input: PlaceOrderInput!) { placeOrder(input: $input) { errors { code } } }""",
                             {"input": {"compoundId": compound, "category": "REPAIR", "description": f"load-{i}"}},
                             as_=RESIDENT)
        return data["placeOrder"]["errors"] == []

    async def create_household(i: int) -> bool:
        data = await demo.ok("""mutation($input: CreateHouseholdInput!) {
            createHousehold(input: $input) { errors { code } } }""",
                             {"input": {"compoundId": compound, "unit": f"load-{i}", "areaSqm": 80.5}},
                             as_=BRANCH_ADMIN)
        return data["createHousehold"]["errors"] == []

    claim: dict[str, str | None] = {"id": None}

    async def claim_or_withdraw(i: int) -> bool:
        """Claim the project, withdraw the claim, claim again...: two statements in one transaction each time."""
        if claim["id"] is None:
            data = await demo.ok("""mutation($input: ClaimProjectInput!) {
                claimProject(input: $input) { claim { id } errors { code } } }""",
                                 {"input": {"projectId": project}}, as_=MEMBER)
            claim["id"] = (data["claimProject"]["claim"] or {}).get("id")
            return data["claimProject"]["errors"] == []
        data = await demo.ok("""mutation($input: WithdrawClaimInput!) {
            withdrawClaim(input: $input) { errors { code } } }""", {"input": {"claimId": claim["id"]}}, as_=MEMBER)
        claim["id"] = None
        return data["withdrawClaim"]["errors"] == []

    return [Writer("orders", place_order), Writer("households", create_household),
            Writer("claims", claim_or_withdraw)]


async def wait_until(condition: Callable[[], bool], timeout: float = 30) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not condition():
        assert asyncio.get_running_loop().time() < deadline, "timed out"
        await asyncio.sleep(0.01)


# --- what a consistent copy must show --------------------------------------------------------------------------------


Fetch = Callable[[str], Awaitable[list[tuple]]]


def _load_indexes(values: list[tuple]) -> list[int]:
    return sorted(int(value.removeprefix("load-")) for (value,) in values)


async def check_consistent(fetch: Fetch, *, base: dict[str, int], before: dict[str, int],
                           issued_at_end: dict[str, int]) -> dict[str, int]:
    """The invariants a torn copy would break; returns how many of each writer's calls the copy holds."""
    # Counters equal the rows they count: each project's claimed_count is its live claims (one transaction moves both).
    mismatched = await fetch(
        "SELECT p.id, p.claimed_count, (SELECT COUNT(*) FROM claim c WHERE c.project_id = p.id AND c.status IN "
        f"({', '.join(repr(s) for s in LIVE_CLAIM)})) AS live FROM project p")
    assert [row for row in mismatched if row[1] != row[2]] == []
    # Every order has its events, the last of which is the order's status.
    orders = await fetch("SELECT o.id, o.status, (SELECT e.status FROM order_event e WHERE e.order_id = o.id "
                         "ORDER BY e.id DESC LIMIT 1) AS last FROM resident_order o")
    assert orders and [row for row in orders if row[1] != row[2]] == []
    # Each writer's rows are the first k of its calls (no gaps), with k between what was acknowledged before the
    # backup began and what had been begun when it ended.
    held = {
        "orders": _load_indexes(await fetch("SELECT description FROM resident_order WHERE description LIKE 'load-%'")),
        "households": _load_indexes(await fetch("SELECT unit FROM household WHERE unit LIKE 'load-%'")),
    }
    claims = await fetch("SELECT COUNT(*) FROM claim c JOIN app_user u ON u.id = c.user_id "
                         f"WHERE u.phone = '{MEMBER}'")
    held_counts: dict[str, int] = {}
    for name, indexes in held.items():
        assert indexes == list(range(len(indexes))), f"{name}: not a prefix of the writer's calls"
        held_counts[name] = len(indexes)
    # Claims alternate claim/withdraw: k calls leave ceil(k/2) claim rows beyond the seed's.
    held_counts["claims"] = claims[0][0] - base["member_claims"]
    for name in ("orders", "households"):
        assert before[name] <= held_counts[name] <= issued_at_end[name], (name, held_counts, before, issued_at_end)
    assert (before["claims"] + 1) // 2 <= held_counts["claims"] <= (issued_at_end["claims"] + 1) // 2
    # The audit row follows its mutation's transaction: for k calls the copy holds k or k - 1 of them.
    for action, name in (("placeOrder", "orders"), ("createHousehold", "households")):
        audited = (await fetch(f"SELECT COUNT(*) FROM audit_entry WHERE action = '{action}' AND outcome = 'OK'"))[0][0]
        assert held_counts[name] - 1 <= audited - base[action] <= held_counts[name], (action, audited, held_counts)
    return held_counts


def sqlite_fetch(path: Path) -> Fetch:
    async def fetch(sql: str) -> list[tuple]:
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as conn:
            return conn.execute(sql).fetchall()
    return fetch


def pg_fetch(url: str) -> Fetch:
    async def fetch(sql: str) -> list[tuple]:
        conn = await _pg_connect(url)
        try:
            return [tuple(row) for row in await conn.fetch(sql)]
        finally:
            await conn.close()
    return fetch


async def _baseline(demo: Api) -> dict[str, int]:
    from models.project import Claim

    return {"member_claims": await Claim.filter(user_id=demo.users[MEMBER]).count(),
            "placeOrder": await AuditEntry.filter(action="placeOrder", outcome="OK").count(),
            "createHousehold": await AuditEntry.filter(action="createHousehold", outcome="OK").count()}


async def _pad(backend: str) -> None:
    """A few megabytes of rows nobody reads here, so the copy takes long enough for commits to land while it runs."""
    from jinlin import db
    from models.notification import Notification, NotificationKind
    from models.user import User

    someone = await User.get(phone=BRANCH_ADMIN)
    rows = [Notification(user_id=someone.id, kind=NotificationKind.CLAIM_DONE) for _ in range(30_000)]
    await Notification.bulk_create(rows, batch_size=2000)
    if backend == "sqlite":
        await db.execute("PRAGMA wal_checkpoint(TRUNCATE)")


# --- the test -------------------------------------------------------------------------------------------------------


async def test_backup_under_write_load_restores_a_consistent_snapshot(demo: Api, settings: Settings, backend: str,
                                                                     tmp_path: Path) -> None:
    compound = gid("Compound", (await Compound.get(name="观远里小区")).id)
    project = gid("Project", (await Project.get(title="三红垃圾分类督导")).id)
    await _pad(backend)
    base = await _baseline(demo)
    writers = make_writers(demo, compound, project)
    stop = asyncio.Event()
    tasks = [asyncio.create_task(writer.run(stop)) for writer in writers]
    archive = tmp_path / ("jinlin.backup" if backend == "sqlite" else "jinlin.pgdump")
    try:
        await wait_until(lambda: all(len(w.acked) >= 5 for w in writers) or any(t.done() for t in tasks))
        before = {w.name: len(w.acked) for w in writers}
        code, out, err = await run_jinlin("backup", str(archive), "--db", settings.db_url)
        issued_at_end = {w.name: w.issued for w in writers}
        await wait_until(lambda: all(w.issued >= issued_at_end[w.name] + 5 for w in writers)
                         or any(t.done() for t in tasks))
    finally:
        stop.set()
        await asyncio.gather(*tasks)
    assert code == 0 and err == "", err
    for writer in writers:
        assert writer.acked == list(range(writer.issued)), f"{writer.name}: a write failed"
        # The load really ran while the backup process did.
        assert issued_at_end[writer.name] > before[writer.name]
    assert out.startswith(f"backed up {settings.db_url.split('?')[0]} to {archive} (")

    if backend == "sqlite":
        restored = tmp_path / "restored.sqlite3"
        target = f"sqlite://{restored}"
        code, out, err = await run_jinlin("restore", str(archive), "--db", target)
        assert code == 0, err
        assert out.startswith(f"restored {archive} into {target}: ") and out.endswith(", integrity_check ok\n")
        with sqlite3.connect(restored) as conn:
            assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
            assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
        held = await check_consistent(sqlite_fetch(restored), base=base, before=before, issued_at_end=issued_at_end)
        # The backup file itself is one self-contained database (no -wal beside it) holding the same rows.
        assert not archive.with_name(archive.name + "-wal").exists()
        assert await check_consistent(sqlite_fetch(archive), base=base, before=before,
                                      issued_at_end=issued_at_end) == held
        await _restore_refusals(archive, target, fetch=sqlite_fetch(restored), held=held, base=base,
                                before=before, issued_at_end=issued_at_end)
        # The restored database is up to date with the migrations.
        code, out, err = await run_jinlin("migrate", "--db", target)
        assert code == 0 and out == f"migrations applied to {target}\n", err
    else:
        async with scratch_pg_database("restore") as target:
            code, out, err = await run_jinlin("restore", str(archive), "--db", target)
            assert code == 0, err
            assert out.startswith(f"restored {archive} into {target}: ")
            held = await check_consistent(pg_fetch(target), base=base, before=before, issued_at_end=issued_at_end)
            await _restore_refusals(archive, target, fetch=pg_fetch(target), held=held, base=base,
                                    before=before, issued_at_end=issued_at_end)
            # The audit log of the restored database is append-only again (the trigger came back with the data).
            conn = await _pg_connect(target)
            try:
                with pytest.raises(Exception, match="audit_entry is append-only"):
                    await conn.execute("DELETE FROM audit_entry")
            finally:
                await conn.close()
    print(f"\nbackup under load ({backend}): the copy holds {held} of {issued_at_end} calls begun by its end")


async def _restore_refusals(archive: Path, target: str, *, fetch: Fetch, held: dict[str, int],
                            **snapshot: Any) -> None:
    """A second restore into the restored (non-empty) database is refused without --force, done with it."""
    code, out, err = await run_jinlin("restore", str(archive), "--db", target)
    assert code == 1 and out == "" and len(err.splitlines()) == 1, err
    assert err.startswith("jinlin: the database ") and "already holds data" in err and "pass --force" in err
    code, out, err = await run_jinlin("restore", str(archive), "--db", target, "--force")
    assert code == 0, err
    assert await check_consistent(fetch, **snapshot) == held


# --- refusals, in one line ------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def seeded_backup(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A backup of a demo database, made once for the refusal tests."""
    where = tmp_path_factory.mktemp("seeded")
    seeded = jinlin("seed", "--db", "sqlite://demo.sqlite3", cwd=where, env=clean_env(JINLIN_SECRET_KEY=SECRET))
    assert seeded.returncode == 0, seeded.stderr
    made = jinlin("backup", "demo.backup", "--db", "sqlite://demo.sqlite3", cwd=where)
    assert made.returncode == 0, made.stderr
    assert made.stdout.startswith("backed up sqlite://demo.sqlite3 to demo.backup (SQLite database): ")
    return where / "demo.backup"


def test_restore_refuses_what_it_must(seeded_backup: Path, tmp_path: Path) -> None:
    def refused(*args: str) -> str:
        return assert_one_line_failure(jinlin(*args, cwd=tmp_path))

    # Kind mismatches are refused before any database is touched (port 1: nothing listens there).
    line = refused("restore", str(seeded_backup), "--db", "postgres://postgres:hunter2@127.0.0.1:1/x")
    assert line == (f"jinlin: {seeded_backup} is an SQLite backup; it cannot be restored into PostgreSQL "
                    "(postgres://postgres:***@127.0.0.1:1/x)")
    (tmp_path / "fake.pgdump").write_bytes(b"PGDMP\x01\x0e\x00" + b"\x00" * 100)
    assert refused("restore", "fake.pgdump", "--db", "sqlite://target.sqlite3") == (
        "jinlin: fake.pgdump is a PostgreSQL backup (pg_dump archive); it cannot be restored into SQLite "
        "(sqlite://target.sqlite3)")
    (tmp_path / "notes.txt").write_text("not a backup at all\n")
    assert refused("restore", "notes.txt", "--db", "sqlite://target.sqlite3") == (
        "jinlin: notes.txt is not a jinlin backup (neither an SQLite database nor a pg_dump custom archive)")
    assert refused("restore", "missing.backup", "--db", "sqlite://target.sqlite3") == (
        "jinlin: cannot read missing.backup: No such file or directory")
    assert not (tmp_path / "target.sqlite3").exists()

    # A damaged backup is refused and restores nothing.
    damaged = tmp_path / "damaged.backup"
    data = bytearray(seeded_backup.read_bytes())
    data[4096 * 3:4096 * 6] = b"\xa5" * (4096 * 3)
    damaged.write_bytes(bytes(data))
    line = refused("restore", "damaged.backup", "--db", "sqlite://target.sqlite3")
    assert line.startswith("jinlin: the backup damaged.backup is damaged (") and "nothing was restored" in line
    assert not (tmp_path / "target.sqlite3").exists()

    # Into a new file, then not again without --force; a file that is not SQLite is never overwritten.
    first = jinlin("restore", str(seeded_backup), "--db", "sqlite://target.sqlite3", cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    assert first.stdout.startswith("restored ") and first.stdout.endswith(", integrity_check ok\n")
    line = refused("restore", str(seeded_backup), "--db", "sqlite://target.sqlite3")
    assert line.startswith("jinlin: the database target.sqlite3 already holds data (") and "--force" in line
    (tmp_path / "precious.txt").write_text("keep me")
    assert refused("restore", str(seeded_backup), "--db", "sqlite://precious.txt", "--force") == (
        "jinlin: precious.txt is not an SQLite database; not overwriting it")
    assert (tmp_path / "precious.txt").read_text() == "keep me"


def test_backup_refusals(tmp_path: Path) -> None:
    def refused(*args: str, env: dict[str, str] | None = None) -> str:
        return assert_one_line_failure(jinlin(*args, cwd=tmp_path, env=env))

    assert refused("backup", "x.backup", "--db", "sqlite://nothing-here.sqlite3") == (
        "jinlin: there is no database at nothing-here.sqlite3")
    sqlite3.connect(tmp_path / "db.sqlite3").close()
    assert refused("backup", "no-such-dir/x.backup", "--db", "sqlite://db.sqlite3") == (
        "jinlin: cannot write no-such-dir/x.backup: No such file or directory")
    assert refused("backup", "db.sqlite3", "--db", "sqlite://db.sqlite3") == (
        "jinlin: db.sqlite3 is the database itself; choose another path")
    assert refused("backup", "x.backup", "--db", "nonsense://x").endswith("is not understood: use sqlite://FILE or "
                                                                         "postgres://USER@HOST:PORT/DB")
    # Without the PostgreSQL client tools on PATH: said so, in one line.
    no_tools = clean_env(PATH=str(Path(sys.executable).parent))
    assert refused("backup", "x.pgdump", "--db", "postgres://postgres@127.0.0.1:1/x", env=no_tools).startswith(
        "jinlin: pg_dump was not found on PATH")
    assert not list(tmp_path.glob("x.*")), "nothing written"


@needs_pg_tools
def test_pg_dump_failure_is_one_line_without_the_password(tmp_path: Path) -> None:
    line = assert_one_line_failure(jinlin("backup", "x.pgdump", "--db", "postgres://postgres:hunter2@127.0.0.1:1/x",
                                          cwd=tmp_path))
    assert line.startswith("jinlin: pg_dump failed: ") and "127.0.0.1" in line, line
    assert "hunter2" not in line
    assert not list(tmp_path.iterdir())
