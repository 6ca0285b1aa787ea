"""`jinlin bench`: the raw endpoints answer each screen with the very JSON the GraphQL service answers (for the
benchmark's viewers and for others, whose visibility differs), and the command line parses as documented."""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import AsyncIterator
from typing import Any

import pytest
from tortoise.connection import get_connection

from auth import tokens
from bench import harness, load, raw, wrk
from bench.fixtures import BenchData, add
from bench.load import LoadSpec, Request, WriteSpec
from bench.screens import SCREENS, Screen
from bench.servers import free_port, serve_uvicorn_options
from jinlin import db
from jinlin.cli import build_parser, cmd_bench
from jinlin.cli import main as cli_main
from jinlin.settings import Settings
from tests.conftest import TEST_DB_URL, Api


@pytest.fixture
async def bench_demo(demo: Api) -> BenchData:
    """The demo data set with the benchmark's fixtures on top (a small write pool)."""
    return await add(pool_members=6, write_projects=3)


@pytest.fixture
async def raw_db(bench_demo: BenchData) -> AsyncIterator[raw.Database]:
    """The raw endpoints' database: the test database itself (in-memory SQLite is per connection: tortoise's own)."""
    if db.is_postgres():
        import asyncpg

        connection = await asyncpg.connect(TEST_DB_URL)
        try:
            yield await raw.detect_counters(raw.PostgresDatabase(connection))
        finally:
            await connection.close()
        return
    client = get_connection("default")
    await client.create_connection(with_db=True)
    yield await raw.detect_counters(raw.SqliteDatabase([client._connection]))


async def _both(api: Api, raw_db: raw.Database, screen: Screen, user_id: int, variables: dict[str, Any]
                ) -> tuple[dict, dict]:
    token = tokens.issue(api.settings, user_id=user_id, typ=tokens.TokenType.ACCESS)[0]
    graphql = await api(screen.query, variables, token=token)
    assert "errors" not in graphql, graphql
    return graphql, await raw.screen(raw_db, screen.name, user_id=user_id, variables=variables)


@pytest.mark.parametrize("screen", SCREENS, ids=[s.name for s in SCREENS])
async def test_raw_answer_is_the_graphql_answer(demo: Api, bench_demo: BenchData, raw_db: raw.Database,
                                                screen: Screen) -> None:
    graphql, answer = await _both(demo, raw_db, screen, bench_demo.viewers[screen.role],
                                  bench_demo.variables[screen.name])
    assert answer == {"data": graphql["data"]}
    listed = {"projects_near_me": lambda d: d["projects"]["nodes"], "org_page": lambda d: d["org"]["children"]["nodes"],
              "project_detail": lambda d: d["node"]["claims"]["nodes"], "my_orders": lambda d: d["orders"]["nodes"]}
    if screen.name in listed:  # the fixtures give each list a full page
        assert len(listed[screen.name](answer["data"])) == 20


@pytest.mark.parametrize("screen", SCREENS, ids=[s.name for s in SCREENS])
@pytest.mark.parametrize("phone", ["13800000000", "13800000002", "13800000004", "13800000005", "13800000006",
                                   "13800000007"])
async def test_raw_answer_follows_each_viewer(demo: Api, bench_demo: BenchData, raw_db: raw.Database,
                                              screen: Screen, phone: str) -> None:
    """Other viewers see other rows (a manager every claim, a member only theirs, a partner unit's admin what the
    unit may claim, a resident nothing of a project): the raw SQL follows the service's rules, not the fixtures."""
    graphql, answer = await _both(demo, raw_db, screen, demo.users[phone], bench_demo.variables[screen.name])
    assert answer == {"data": graphql["data"]}


@pytest.mark.parametrize("variables", [{"first": 0}, {"first": 3}, {"id": "T3JnOjk5OTk5", "first": 2},
                                       {"id": "UHJvamVjdDox", "first": 5}])
async def test_raw_answer_for_other_variables(demo: Api, bench_demo: BenchData, raw_db: raw.Database,
                                              variables: dict[str, Any]) -> None:
    """Short pages, an empty page, an unknown org (null) and a project of the demo data."""
    for screen in SCREENS:
        wanted = {k: v for k, v in variables.items() if f"${k}" in screen.query}
        if "$id" in screen.query and "id" not in wanted:
            wanted["id"] = bench_demo.variables[screen.name]["id"]
        graphql, answer = await _both(demo, raw_db, screen, bench_demo.viewers[screen.role], wanted)
        assert answer == {"data": graphql["data"]}, screen.name


@pytest.mark.parametrize("screen", [s for s in SCREENS if "stats" in s.query], ids=lambda s: s.name)
async def test_statistics_recounted_from_rows_are_the_graphql_answer(demo: Api, bench_demo: BenchData,
                                                                       raw_db: raw.Database, screen: Screen) -> None:
    """Where the schema keeps counters the raw endpoints read them, as the service does; computed from the rows
    instead (the harness's check that counters and a recount agree) the answer is the same."""
    variables = bench_demo.variables[screen.name]
    graphql, _ = await _both(demo, raw_db, screen, bench_demo.viewers[screen.role], variables)
    recounted = await raw.screen(raw_db, screen.name, user_id=bench_demo.viewers[screen.role], variables=variables,
                                 recount=True)
    assert recounted == {"data": graphql["data"]}


def test_raw_endpoint_accepts_only_access_tokens(settings: Settings) -> None:
    """The raw endpoints check the Bearer token as the service does (pyjwt, its algorithm and claims)."""
    access = tokens.issue(settings, user_id=7, typ=tokens.TokenType.ACCESS)[0]
    refresh = tokens.issue(settings, user_id=7, typ=tokens.TokenType.REFRESH, family="f")[0]
    assert raw.viewer_id(f"Bearer {access}", settings.secret_key) == 7
    assert raw.viewer_id(f"bearer {access}", settings.secret_key) == 7
    assert raw.viewer_id(f"Bearer {refresh}", settings.secret_key) is None
    assert raw.viewer_id(f"Bearer {access}", "another-secret-key-that-is-long-enough-0123") is None
    assert raw.viewer_id(access, settings.secret_key) is None
    assert raw.viewer_id(None, settings.secret_key) is None


def test_command_line() -> None:
    """`jinlin bench [--quick] [--db URL] [--workers N] [--duration S] [--markdown FILE]`."""
    args = build_parser().parse_args(["bench", "--quick", "--db", "postgres://postgres@127.0.0.1:5432/jinlin_bench",
                                      "--workers", "2", "--markdown", "bench/RESULTS.md"])
    assert args.func is cmd_bench
    options = harness.Options.from_args(args)
    assert options == harness.Options(quick=True, db="postgres://postgres@127.0.0.1:5432/jinlin_bench", workers=2,
                                      duration=harness.QUICK_DURATION_S, markdown="bench/RESULTS.md",
                                      loadgen="auto", connections=16)
    default = harness.Options.from_args(build_parser().parse_args(["bench"]))
    assert (default.quick, default.db, default.workers, default.duration, default.markdown) == (
        False, None, 1, harness.DEFAULT_DURATION_S, None)
    assert harness.Options.from_args(build_parser().parse_args(["bench", "--quick", "--duration", "5"])).duration == 5
    with pytest.raises(harness.BenchError, match="--duration"):
        harness.Options.from_args(build_parser().parse_args(["bench", "--duration", "0"]))
    with pytest.raises(SystemExit) as exited:
        cli_main(["bench", "--workers", "0"])
    assert exited.value.code == 2
    with pytest.raises(SystemExit):
        build_parser().parse_args(["bench", "--loadgen", "ab"])


def test_raw_server_gets_the_uvicorn_options_of_jinlin_serve() -> None:
    """The raw server runs under uvicorn as `jinlin serve` runs (loop, http, logging...), read from the command."""
    before = dict(os.environ)
    options = serve_uvicorn_options()
    assert dict(os.environ) == before
    assert {"app", "factory", "host", "port", "workers"}.isdisjoint(options)
    assert options["proxy_headers"] is True and options["server_header"] is False
    assert "log_level" in options


def test_write_mix_never_repeats_a_claim() -> None:
    """Write k of a run claims pair start + k: each (member, project) once, each with its own Idempotency-Key."""
    write = WriteSpec(kind="claim", every=20, sha256="a" * 64, tokens=["t0", "t1", "t2"], run_id="run",
                      projects=["p0", "p1"], start=1)
    assert write.capacity == 6
    requests = [write.request(n) for n in range(5)]
    pairs = [(r.headers["Authorization"], json.loads(r.body or "")["variables"]["id"]) for r in requests]
    assert pairs == [("Bearer t0", "p1"), ("Bearer t1", "p0"), ("Bearer t1", "p1"), ("Bearer t2", "p0"),
                     ("Bearer t2", "p1")]
    assert len({r.headers["Idempotency-Key"] for r in requests}) == 5
    assert json.loads(requests[0].body or "")["extensions"] == {"persistedQuery": {"version": 1,
                                                                                   "sha256Hash": "a" * 64}}
    order = WriteSpec(kind="order", every=20, sha256="b" * 64, tokens=["r"], run_id="run",
                      order_input={"compoundId": "Q29tcG91bmQ6MQ==", "category": "REPAIR", "description": "漏水"})
    assert json.loads(order.request(3).body or "")["variables"]["input"]["description"] == "漏水"


def test_wrk_script() -> None:
    """The Lua script: the read as wrk's static request, checks in response(), writes every 20th request."""
    read = Request("GET", '/graphql?variables={"first":20}', {"Authorization": "Bearer x", "Accept": "a"})
    write = WriteSpec(kind="claim", every=20, sha256="a" * 64, tokens=["t0"], run_id="r", projects=["p\"0"])
    reads_only = wrk.script(LoadSpec(label="l", host="127.0.0.1", port=8701, connections=16, duration=1, read=read))
    assert 'wrk.path = "/graphql?variables={\\"first\\":20}"' in reads_only
    assert "function response(" in reads_only and "function request(" not in reads_only
    mixed = wrk.script(LoadSpec(label="l", host="127.0.0.1", port=8701, connections=16, duration=1, read=read,
                                write=write))
    assert "function request(" in mixed and '"p\\"0"' in mixed and "local EVERY, START, RUN" in mixed
    assert wrk.lua_string("a\nb\\") == '"a\\010b\\\\"'


async def test_builtin_load_generator_checks_every_answer() -> None:
    """The built-in generator keeps its connections busy and counts answers that are not a clean 200."""
    port = free_port()
    server = asyncio.create_task(load.serve_trivial(port))
    await asyncio.sleep(0.05)
    try:
        spec = LoadSpec(label="trivial", host="127.0.0.1", port=port, connections=4, duration=0.3,
                        read=Request("GET", "/", {}))
        result = await load.generate(spec)
    finally:
        server.cancel()
    assert result.requests > 100 and not result.problems(), result
    assert result.p50_ms <= result.p95_ms <= result.p99_ms


def test_report_and_markdown(tmp_path: Any) -> None:
    """The report names the setup and the machine; --markdown appends it as a dated section."""
    figures = {"rps": 100.0, "raw_rps": 400.0, "ratio": 0.25, "cached_rps": 500.0, "cached_ratio": 1.25,
               "p95_ms": 9.0, "sql_per_op": 3, "sql_per_op_document": 2, "cached_writes": 10,
               **{f"{prefix}{p}_ms": 1.0 for prefix in ("", "raw_", "cached_") for p in ("p50", "p95", "p99")}}
    summary = {"screens": {s.name: figures for s in SCREENS}, "db": "sqlite", "workers": 1, "peak_mb": 80.0,
               "peak_mb_uncached": 80.0, "peak_mb_cached": 79.0, "raw_peak_mb": 40.0, "loadgen": "wrk",
               "loadgen_max_rps": 90000.0, "loadgen_cpu_share_max": 0.05, "connections": 16, "duration_s": 3.0,
               "warmup_s": 1.0, "quick": True, "wall_s": 80.0, "failures": []}
    lines = harness.report(summary)
    assert any("| projects_near_me | 100 | 400 | 0.250 | 500 | 1.250 | 3 |" in line for line in lines)
    target = tmp_path / "RESULTS.md"
    target.write_text("# Results\n", encoding="utf-8")
    harness.append_markdown(str(target), summary)
    harness.append_markdown(str(target), summary)
    text = target.read_text(encoding="utf-8")
    assert text.startswith("# Results\n") and text.count("\n## ") == 2
    assert f"{harness.machine()['nproc']} CPUs (`nproc`)" in text and "load generator: wrk" in text


async def test_raw_encoding_is_the_service_encoding(bench_demo: BenchData, raw_db: raw.Database) -> None:
    """The raw server's bytes are what json.dumps(ensure_ascii=False, compact) gives, with or without orjson."""
    for screen in SCREENS:
        body = await raw.screen(raw_db, screen.name, user_id=bench_demo.viewers[screen.role],
                                variables=bench_demo.variables[screen.name])
        assert raw.encode(body) == json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()
