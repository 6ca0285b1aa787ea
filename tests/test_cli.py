"""The `jinlin` command in real subprocesses: export-schema, migrate, seed (demo and Siming scale), bad settings
ending in one line on stderr, the development secret beside the database, and `serve --demo` answering HTTP."""

from __future__ import annotations

import os
import socket
import sqlite3
import stat
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from tortoise import Tortoise

from app import create_app
from jinlin.db import tortoise_config
from jinlin.settings import Settings, normalise_db_url
from models.enums import OrgKind
from models.duty import DutyShift
from models.org import Org
from schema.relay import to_global_id
from schema.root import build_schema
from tests.conftest import SECRET

TIMEOUT = 30  # seconds for any one command; they take one or two


def clean_env(**extra: str) -> dict[str, str]:
    """The caller's environment without any JINLIN_* setting, plus `extra`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("JINLIN_")}
    return {**env, **extra}


def jinlin(*args: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Run `python -m jinlin.cli ARGS` (what the `jinlin` console script calls) in `cwd`."""
    return subprocess.run([sys.executable, "-m", "jinlin.cli", *args], cwd=cwd, env=env or clean_env(),
                          capture_output=True, text=True, timeout=TIMEOUT)


def assert_one_line_failure(result: subprocess.CompletedProcess[str]) -> str:
    """A refusal: non-zero exit, exactly one `jinlin: ...` line on stderr, no traceback anywhere."""
    assert result.returncode != 0, result
    assert "Traceback" not in result.stderr + result.stdout, result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("jinlin: "), result.stderr
    return lines[0]


def tables(db_file: Path) -> set[str]:
    with sqlite3.connect(db_file) as conn:
        return {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}


# --- export-schema and migrate --------------------------------------------------------------------------------------

def test_export_schema(tmp_path: Path) -> None:
    missing_dir = jinlin("export-schema", "-o", "out/schema.graphql", cwd=tmp_path)
    assert assert_one_line_failure(missing_dir) == "jinlin: cannot write out/schema.graphql: No such file or directory"
    result = jinlin("export-schema", "-o", "schema.graphql", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout == "schema written to schema.graphql\n"
    sdl = (tmp_path / "schema.graphql").read_text(encoding="utf-8")
    assert sdl == build_schema().as_str() + "\n"
    assert "type Org implements Node {" in sdl
    assert "createCompound(input: CreateCompoundInput!): CompoundPayload!" in sdl
    to_stdout = jinlin("export-schema", cwd=tmp_path)
    assert to_stdout.returncode == 0 and to_stdout.stdout == sdl
    # The console script installed beside this interpreter is the same program.
    script = Path(sys.executable).with_name("jinlin")
    if script.exists():
        by_script = subprocess.run([str(script), "export-schema"], cwd=tmp_path, env=clean_env(),
                                   capture_output=True, text=True, timeout=TIMEOUT)
        assert by_script.returncode == 0 and by_script.stdout == sdl
    assert not (tmp_path / ".jinlin-secret").exists()  # no settings needed to print the schema


def test_migrate_fresh_sqlite(tmp_path: Path) -> None:
    result = jinlin("migrate", "--db", "sqlite://data/fresh.sqlite3", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout == "migrations applied to sqlite://data/fresh.sqlite3\n"
    assert "Traceback" not in result.stderr
    db_file = tmp_path / "data" / "fresh.sqlite3"
    assert {"org", "org_closure", "partnership", "compound", "app_user", "membership",
            "registration"} <= tables(db_file)
    # Running it again is harmless.
    again = jinlin("migrate", "--db", "sqlite://data/fresh.sqlite3", cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    # JINLIN_DB_URL is the default when --db is not given.
    by_env = jinlin("migrate", cwd=tmp_path, env=clean_env(JINLIN_DB_URL="sqlite://env.sqlite3"))
    assert by_env.returncode == 0, by_env.stderr
    assert "org" in tables(tmp_path / "env.sqlite3")


LONG_SECRET = "x" * 32


@pytest.mark.parametrize("args, env, expected", [
    (["migrate", "--db", "nonsense://x"], {}, "is not understood"),
    (["seed", "--db", "nonsense://x"], {}, "is not understood"),
    (["migrate", "--db", "sqlite://"], {}, "has no file path"),
    (["migrate", "--db", "postgres://postgres@127.0.0.1:notaport/test"], {}, "port that is not a number"),
    (["migrate", "--db", "postgres://postgres@127.0.0.1:1/test"], {},
     "database error (postgres://postgres@127.0.0.1:1/test)"),
    (["seed", "--db", "postgres://postgres:hunter2@127.0.0.1:1/test"], {}, "database error (postgres://postgres:***@"),
    (["migrate", "--db", "sqlite://x.sqlite3"], {"JINLIN_ENV": "production"},
     "JINLIN_SECRET_KEY is required when JINLIN_ENV=production"),
    (["migrate", "--db", "sqlite://x.sqlite3"], {"JINLIN_ENV": "production", "JINLIN_SECRET_KEY": "x" * 31},
     "JINLIN_SECRET_KEY must be at least 32 bytes long"),
    (["migrate", "--db", "sqlite://x.sqlite3"], {"JINLIN_SECRET_KEY": "short"},
     "JINLIN_SECRET_KEY must be at least 32 bytes long"),
    (["migrate", "--db", "sqlite://x.sqlite3"], {"JINLIN_ENV": "staging"},
     "JINLIN_ENV must be 'development' or 'production', not 'staging'"),
    (["serve", "--db", "sqlite://x.sqlite3"], {"JINLIN_ENV": "staging"}, "JINLIN_ENV must be"),
    (["serve", "--workers", "0"], {}, "--workers must be at least 1"),
    (["migrate", "--db", "sqlite://a-file/x.sqlite3"], {}, "cannot keep the development secret"),
    # With a real secret nothing creates the directory: SQLite cannot open the file (this used to hang).
    (["migrate", "--db", "sqlite://a-file/x.sqlite3"], {"JINLIN_SECRET_KEY": LONG_SECRET},
     "database error (sqlite://a-file/x.sqlite3): unable to open database file"),
    (["seed", "--db", "sqlite://no-such-dir/x.sqlite3"], {"JINLIN_SECRET_KEY": LONG_SECRET},
     "unable to open database file"),
    (["serve", "--db", "sqlite://no-such-dir/x.sqlite3"], {"JINLIN_SECRET_KEY": LONG_SECRET},
     "unable to open database file"),
])
def test_bad_settings_end_in_one_line(tmp_path: Path, args: list[str], env: dict[str, str], expected: str) -> None:
    (tmp_path / "a-file").write_text("not a directory")
    line = assert_one_line_failure(jinlin(*args, cwd=tmp_path, env=clean_env(**env)))
    assert expected in line, line
    assert "hunter2" not in line
    assert not (tmp_path / "x.sqlite3").exists()  # refused before anything was created


def test_truncated_dev_secret_is_reported(tmp_path: Path) -> None:
    (tmp_path / ".jinlin-secret").write_text("")
    line = assert_one_line_failure(jinlin("migrate", "--db", "sqlite://x.sqlite3", cwd=tmp_path))
    assert ".jinlin-secret is too short" in line


# --- seed -----------------------------------------------------------------------------------------------------------

def test_seed_demo_twice(tmp_path: Path) -> None:
    first = jinlin("seed", "--scale", "demo", "--db", "sqlite://demo.sqlite3", cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    assert first.stdout == ("seeded demo: 15 orgs, 3 compounds, 8 users, 1 registrations, 3 pairings, 4 projects, "
                            "1 claims, 10 duty shifts, 0 commissioners, 12 households, 7 orders, 4 opinions, "
                            "1 polls\n")
    second = jinlin("seed", "--scale", "demo", "--db", "sqlite://demo.sqlite3", cwd=tmp_path)
    assert assert_one_line_failure(second) == "jinlin: the database already holds data; seed an empty database"
    with sqlite3.connect(tmp_path / "demo.sqlite3") as conn:
        assert conn.execute("SELECT COUNT(*) FROM org").fetchone() == (15,)
        assert conn.execute("SELECT COUNT(*) FROM app_user").fetchone() == (8,)
    unknown = jinlin("seed", "--scale", "world", "--db", "sqlite://demo.sqlite3", cwd=tmp_path)
    assert unknown.returncode == 2 and "invalid choice" in unknown.stderr  # argparse's own usage error


SIMING_QUERY = """
query($district: ID!) {
  org(id: $district) { name kind stats { compoundCount coveredCompoundCount coverageRate branchCount
                                         redCommitteeCount registeredMemberCount partnerUnitCount
                                         projectCount claimedProjectCount verifiedHours
                                         commissionerCount servedDutyShiftCount } }
  streets: orgs(filter: {kind: STREET_COMMITTEE}, first: 100) { totalCount nodes { name } }
  communities: orgs(filter: {kind: COMMUNITY_COMMITTEE}) { totalCount }
  compounds { totalCount }
}"""


async def test_seed_siming_and_the_dev_secret(tmp_path: Path) -> None:
    result = jinlin("seed", "--scale", "siming", "--db", "sqlite://data/siming.sqlite3", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("seeded siming: ")
    assert "760 compounds" in result.stdout and "11000 registrations" in result.stdout
    assert "1200 commissioners" in result.stdout

    # The development secret lives beside the database, readable by its owner only...
    secret_file = tmp_path / "data" / ".jinlin-secret"
    assert stat.S_IMODE(secret_file.stat().st_mode) == 0o600
    secret = secret_file.read_text()
    assert len(secret.strip().encode()) >= 32
    assert not (tmp_path / ".jinlin-secret").exists()
    # ...and the next run on the same database reuses it.
    again = jinlin("migrate", "--db", "sqlite://data/siming.sqlite3", cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    assert secret_file.read_text() == secret
    assert stat.S_IMODE(secret_file.stat().st_mode) == 0o600

    settings = Settings(db_url=normalise_db_url(f"sqlite://{tmp_path / 'data' / 'siming.sqlite3'}"),
                        secret_key=SECRET)
    await Tortoise.init(config=tortoise_config(settings.db_url), _enable_global_fallback=True)
    try:
        district = await Org.get(kind=OrgKind.DISTRICT)
        # 1,400+ partner units on the duty rotation (轮值驻点), none twice on one day.
        on_duty = await DutyShift.all().values_list("unit_id", "duty_date")
        assert len({unit for unit, _day in on_duty}) >= 1400 and len(set(on_duty)) == len(on_duty)
        app = create_app(settings, init_db=False)
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as http:
            response = await http.post("/graphql", json={"query": SIMING_QUERY,
                                                         "variables": {"district": to_global_id("Org", district.id)}})
    finally:
        await Tortoise.close_connections()
    body = response.json()
    assert "errors" not in body, body
    data = body["data"]
    stats = data["org"]["stats"]
    # 7,000+ claimed service projects (项目认领), some completed with verified hours.
    assert stats.pop("claimedProjectCount") >= 7000 and stats.pop("projectCount") >= 7000
    assert stats.pop("verifiedHours") > 0
    assert stats.pop("servedDutyShiftCount") > 1400  # two weeks of rosters at every community's centre
    assert data["org"] == {"name": "思明区", "kind": "DISTRICT", "stats": {
        "compoundCount": 760, "coveredCompoundCount": 760, "coverageRate": 1.0, "branchCount": 696,
        "redCommitteeCount": 331, "registeredMemberCount": 11000, "partnerUnitCount": 1420,
        "commissionerCount": 1200}}
    assert data["streets"]["totalCount"] == 10
    assert [n["name"] for n in data["streets"]["nodes"]][:3] == ["嘉莲街道", "厦港街道", "鹭江街道"]
    assert "鼓浪屿街道" in {n["name"] for n in data["streets"]["nodes"]}
    assert 90 <= data["communities"]["totalCount"] <= 110
    assert data["compounds"]["totalCount"] == 760


# --- serve ----------------------------------------------------------------------------------------------------------

LOGIN = """
mutation($input: LoginInput!) { login(input: $input) { accessToken refreshToken user { displayName phone }
                                                       errors { code } } }"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_serve_demo(tmp_path: Path) -> None:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    (tmp_path / "dist").mkdir()  # a stand-in for the web app's build (web/dist)
    (tmp_path / "dist" / "index.html").write_text('<!doctype html><div id="app"></div>', encoding="utf-8")
    proc = subprocess.Popen(
        [sys.executable, "-m", "jinlin.cli", "serve", "--demo", "--port", str(port), "--db", "sqlite://serve.sqlite3"],
        cwd=tmp_path, env=clean_env(JINLIN_WEB_DIST=str(tmp_path / "dist")), stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 30
        while True:
            assert proc.poll() is None, proc.communicate(timeout=5)
            try:
                health = httpx.get(f"{base}/healthz", timeout=1)
                if health.status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "the server did not come up within 30 s"
            time.sleep(0.1)
        assert health.json() == {"status": "ok"}
        login = httpx.post(f"{base}/graphql", timeout=10, json={
            "query": LOGIN, "variables": {"input": {"phone": "13800000001", "password": "jinlin-demo"}}})
        payload = login.json()["data"]["login"]
        assert payload["errors"] == []
        assert payload["user"] == {"displayName": "嘉莲街道管理员", "phone": "13800000001"}
        assert payload["accessToken"] and payload["refreshToken"]
        viewer = httpx.post(f"{base}/graphql", timeout=10, json={"query": "{ viewer { displayName } }"},
                            headers={"Authorization": f"Bearer {payload['accessToken']}"})
        assert viewer.json() == {"data": {"viewer": {"displayName": "嘉莲街道管理员"}}}
        wrong = httpx.post(f"{base}/graphql", timeout=10, json={
            "query": LOGIN, "variables": {"input": {"phone": "13800000001", "password": "wrong-password"}}})
        assert wrong.json()["data"]["login"]["errors"] == [{"code": "WRONG_CREDENTIALS"}]
        # Development mode: GraphiQL is served to browsers.
        ide = httpx.get(f"{base}/graphql", headers={"Accept": "text/html"}, timeout=10)
        assert ide.status_code == 200 and "graphiql" in ide.text.lower()
        # The web app at / on the same origin, and its own routes too (index.html answers them).
        for path in ("/", "/orders/T3JkZXI6MQ=="):
            app = httpx.get(f"{base}{path}", timeout=10)
            assert app.status_code == 200 and '<div id="app"></div>' in app.text
    finally:
        proc.terminate()
        try:
            out, err = proc.communicate(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            out, err = proc.communicate(timeout=15)
    assert "demo data loaded (password for every demo account: jinlin-demo)" in out
    assert f"serving GraphQL on http://127.0.0.1:{port}/graphql" in out
    assert f"serving the mobile web app on http://127.0.0.1:{port}/ (open it in a phone-sized window)" in out
    assert "Traceback" not in err, err
    assert stat.S_IMODE((tmp_path / ".jinlin-secret").stat().st_mode) == 0o600
