"""`jinlin bench`: the five mobile screens (bench/screens.py) through the GraphQL service as users run it, beside
hand-written SQL (bench/raw.py) on the same freshly seeded data, driven by wrk (or bench/load.py) on 127.0.0.1.

Per screen: (a) GraphQL with the response cache off, (b) the raw endpoint, (c) GraphQL with the cache on under 95%
reads and 5% writes that invalidate them. Before measuring, every screen's GraphQL answer must equal the raw one
(else the ratio would compare different work); after the write mix they must still agree (a cache may not serve a
stale answer). Prints the tables, then one JSON object as the last line of stdout; progress goes to stderr.
"""

from __future__ import annotations

import argparse
import asyncio
import difflib
import hashlib
import json
import math
import os
import secrets
import shutil
import sys
import tempfile
import time
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass, replace
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit, urlunsplit

from bench import load, wrk
from bench.fixtures import BenchData
from bench.load import ACCEPT, LoadResult, LoadSpec, Request, WriteSpec
from bench.screens import SCREENS, Screen
from bench.servers import Server, ServerError, free_port, jinlin_command, serve_uvicorn_options

CONNECTIONS = 16
WRITE_EVERY = 20  # 5% of the mix's requests are writes
WARMUP_S = 1.0
QUICK_DURATION_S, DEFAULT_DURATION_S = 3.0, 15.0
CEILING_S = 2.0
WRITE_PROJECTS = 24
# Sizing the member pool: enough (member, project) pairs for a mix this fast on every claim screen.
ASSUMED_MAX_RPS = 8000

CLAIM = ("mutation BenchClaim($id: ID!) { claimProject(input: {projectId: $id}) { claim { id status } "
         "project { claimedCount remaining } errors { code field } } }")
ORDER = ("mutation BenchOrder($input: PlaceOrderInput!) { placeOrder(input: $input) { order { id status } "
         "errors { code field } } }")
# The write of each screen's mix: placing orders changes "my orders"; claims change the other four.
WRITE_KIND = {"my_orders": "order"}


class BenchError(Exception):
    """The benchmark cannot give a trustworthy figure; the message says which screen and phase, and why."""


@dataclass(frozen=True)
class Options:
    """The command line, checked."""

    quick: bool = False
    db: str | None = None
    workers: int = 1
    duration: float = DEFAULT_DURATION_S
    markdown: str | None = None
    loadgen: str = "auto"
    connections: int = CONNECTIONS
    scale: int = 1  # the siming data set this many times over (bench/scale.py), for how reads grow with size

    @classmethod
    def from_args(cls, args: argparse.Namespace) -> Options:
        """Options of `jinlin bench`; `--quick` shortens each measurement unless `--duration` says otherwise."""
        duration = args.duration if args.duration is not None else (
            QUICK_DURATION_S if args.quick else DEFAULT_DURATION_S)
        if duration <= 0:
            raise BenchError("--duration must be positive")
        scale = getattr(args, "scale", 1)
        if not 1 <= scale <= 20:
            raise BenchError("--scale must be from 1 to 20")
        return cls(quick=args.quick, db=args.db, workers=args.workers, duration=duration, markdown=args.markdown,
                   loadgen=args.loadgen, scale=scale)


@dataclass
class ScreenResult:
    """Everything measured for one screen."""

    screen: Screen
    sql_per_op: int = 0
    sql_per_op_document: int = 0
    uncached: LoadResult | None = None
    raw: LoadResult | None = None
    cached: LoadResult | None = None


@dataclass
class Peaks:
    """Peak memory per worker (VmHWM, MB) at the end of each phase."""

    uncached: float = 0.0
    raw: float = 0.0
    cached: float = 0.0


def log(message: str) -> None:
    """Progress, on stderr (stdout is the report)."""
    print(message, file=sys.stderr, flush=True)


def sha256(document: str) -> str:
    """The persisted-query hash of a document."""
    return hashlib.sha256(document.encode()).hexdigest()


def _compact(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def persisted_get(document: str, variables: dict[str, Any], token: str) -> Request:
    """A persisted query over GET, as a phone sends it (hash only; registered beforehand by POST)."""
    query = urlencode({"extensions": _compact({"persistedQuery": {"version": 1, "sha256Hash": sha256(document)}}),
                       "variables": _compact(variables)})
    return Request("GET", f"/graphql?{query}", {"Authorization": f"Bearer {token}", "Accept": ACCEPT})


def raw_get(screen: Screen, variables: dict[str, Any], token: str) -> Request:
    """The raw endpoint's request for a screen."""
    return Request("GET", f"/screens/{screen.name}?{urlencode({'variables': _compact(variables)})}",
                   {"Authorization": f"Bearer {token}", "Accept": "application/json"})


async def asgi_request(app: Any, method: str, target: str, headers: dict[str, str], body: bytes = b""
                       ) -> tuple[int, bytes]:
    """One request straight into an ASGI app in this process: status and body (no client library needed)."""
    path, _, query = target.partition("?")
    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": method, "scheme": "http",
             "path": path, "raw_path": path.encode(), "query_string": query.encode(), "root_path": "",
             "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()],
             "client": ("127.0.0.1", 1), "server": ("127.0.0.1", 80), "state": {}}
    messages = [{"type": "http.request", "body": body, "more_body": False}]
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return messages.pop() if messages else {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    await app(scope, receive, send)
    status = next(m["status"] for m in sent if m["type"] == "http.response.start")
    return status, b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")


def http(base_url: str, request: Request) -> tuple[int, bytes]:
    """Send one request (the harness's own checks, not load): status and body."""
    data = request.body.encode() if request.body is not None else None
    outgoing = urllib.request.Request(base_url + request.path, data=data, method=request.method,
                                      headers=request.headers)
    try:
        with urllib.request.urlopen(outgoing, timeout=60) as answer:
            return answer.status, answer.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def json_diff(expected: Any, actual: Any, *, names: tuple[str, str]) -> str:
    """A unified diff of two JSON documents (sorted keys, one value a line)."""
    def lines(value: Any) -> list[str]:
        return json.dumps(value, ensure_ascii=False, indent=1, sort_keys=True).splitlines()

    return "\n".join(difflib.unified_diff(lines(expected), lines(actual), *names, lineterm="", n=2))


def same_json(a: Any, b: Any) -> bool:
    """Equal JSON, floats within a relative 1e-9 (sums of hours added in another order may differ in the last bit)."""
    if isinstance(a, float) or isinstance(b, float):
        return isinstance(a, (int, float)) and isinstance(b, (int, float)) and math.isclose(a, b, rel_tol=1e-9,
                                                                                           abs_tol=1e-9)
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same_json(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(same_json(x, y) for x, y in zip(a, b))
    return a == b


async def _recreate_postgres(url: str) -> None:
    """Drop and create the benchmark's PostgreSQL database (only one whose name says it is a benchmark's)."""
    import asyncpg

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    if "bench" not in name:
        raise BenchError(f"refusing to drop database {name!r}: jinlin bench recreates its database, so its name "
                         "must contain 'bench' (e.g. postgres://postgres@127.0.0.1:5432/jinlin_bench)")
    try:
        admin = await asyncpg.connect(urlunsplit(parts._replace(path="/postgres", query="")))
        try:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            await admin.execute(f'CREATE DATABASE "{name}"')
        finally:
            await admin.close()
    except (OSError, asyncpg.PostgresError) as exc:
        raise BenchError(f"cannot recreate database {name!r} on {parts.hostname}: {exc}") from None


class Bench:
    """One run of `jinlin bench`; every server it starts is stopped by `close`."""

    def __init__(self, options: Options, workdir: Path) -> None:
        self.options = options
        self.workdir = workdir
        self.secret = secrets.token_urlsafe(48)
        self.servers: list[Server] = []
        self.results = {screen.name: ScreenResult(screen) for screen in SCREENS}
        self.peaks = Peaks()
        self.cursor = 0  # next (member, project) pair of the write pool
        self.stale: list[str] = []  # answers that differed once the cache was on and writes had happened
        self.ceiling: LoadResult | None = None
        self.data: BenchData | None = None
        self.tokens: dict[str, str] = {}
        self.pool_tokens: list[str] = []
        self.use_wrk = options.loadgen == "wrk" or (options.loadgen == "auto" and wrk.available())
        if options.loadgen == "wrk" and not wrk.available():
            raise BenchError("--loadgen wrk: wrk is not on PATH (apt-get install wrk)")
        self.url = ""
        self.env_common = {"JINLIN_SECRET_KEY": self.secret, "JINLIN_ENV": "production", "JINLIN_RATE_IP": "off",
                           "JINLIN_RATE_USER": "off", "JINLIN_RATE_ACCOUNT": "off",
                           "JINLIN_PHOTO_DIR": str(workdir / "photos")}
        if os.environ.get("JINLIN_REDIS_URL"):
            self.env_common["JINLIN_REDIS_URL"] = os.environ["JINLIN_REDIS_URL"]

    # --- setting up ---------------------------------------------------------------------------------------------

    def database_url(self) -> str:
        """A fresh database: a temporary SQLite file, a new SQLite file, or the PostgreSQL database recreated."""
        from jinlin.settings import SettingsError, normalise_db_url, sqlite_path

        try:
            url = normalise_db_url(self.options.db or f"sqlite://{self.workdir}/siming.sqlite3")
        except SettingsError as exc:
            raise BenchError(str(exc)) from None
        path = sqlite_path(url)
        if path is None:
            asyncio.run(_recreate_postgres(url))
            return url
        if self.options.db and Path(path).exists():
            raise BenchError(f"{path} exists: jinlin bench seeds a new database, so name a file that does not exist")
        # The servers run in the work directory: a relative file name would be another database there.
        return normalise_db_url(f"sqlite://{Path(path).resolve()}?{urlsplit(url).query}")

    def settings(self, *, cache: bool) -> Any:
        """The service's settings as the server will read them from its environment."""
        from jinlin import settings as settings_module

        return settings_module.load({**self.env_common, "JINLIN_RESPONSE_CACHE": "on" if cache else "off"},
                                    db_url=self.url)

    def pool_size(self) -> int:
        """Members in the write pool: enough pairs for ASSUMED_MAX_RPS on every claim screen, warm-ups included."""
        claim_screens = sum(1 for screen in SCREENS if WRITE_KIND.get(screen.name, "claim") == "claim")
        writes = ASSUMED_MAX_RPS / WRITE_EVERY * (self.options.duration + WARMUP_S) * claim_screens
        return max(500, math.ceil(writes / WRITE_PROJECTS) + 1)

    async def prepare(self) -> None:
        """Migrate, seed the siming scale, add the fixtures, and count each screen's SQL statements in-process."""
        from tortoise import Tortoise

        from bench import fixtures
        from jinlin.cli import apply_migrations
        from jinlin.db import tortoise_config
        from jinlin.seed import seed

        settings = self.settings(cache=False)
        started = time.monotonic()
        await apply_migrations(settings)
        await Tortoise.init(config=tortoise_config(self.url), _enable_global_fallback=True)
        try:
            counts = await seed(scale="siming")
            log(f"seeded siming in {time.monotonic() - started:.1f} s: " + ", ".join(
                f"{n} {what}" for what, n in counts.items()))
            if self.options.scale > 1:
                from bench import scale

                added = await scale.multiply(factor=self.options.scale)
                log(f"multiplied x{self.options.scale} in {time.monotonic() - started:.1f} s: " + ", ".join(
                    f"+{n} {table}" for table, n in added.items()))
            self.data = await fixtures.add(pool_members=self.pool_size(), write_projects=WRITE_PROJECTS)
            log("fixtures: " + ", ".join(f"{n} {table}" for table, n in self.data.added.items()))
            self.mint_tokens(settings)
            await self.count_sql(settings)
        finally:
            await Tortoise.close_connections()

    def mint_tokens(self, settings: Any) -> None:
        """Access tokens for every viewer and pool member, signed with the servers' secret, valid for the run."""
        from auth import tokens

        assert self.data is not None
        long_lived = replace(settings, access_ttl=timedelta(hours=12))
        self.tokens = {role: tokens.issue(long_lived, user_id=user_id, typ=tokens.TokenType.ACCESS)[0]
                       for role, user_id in self.data.viewers.items()}
        self.pool_tokens = [tokens.issue(long_lived, user_id=user_id, typ=tokens.TokenType.ACCESS)[0]
                            for user_id in self.data.pool]

    async def count_sql(self, settings: Any) -> None:
        """SQL statements per screen, counted: the app in-process (ASGI calls, no client library), a warm-up, then one
        counted persisted GET (as phones send it) and one counted POST of the bare document (the screen's own)."""
        from app import create_app
        from jinlin import db

        assert self.data is not None
        app = create_app(settings, init_db=False)
        for screen in SCREENS:
            variables, token = self.data.variables[screen.name], self.tokens[screen.role]
            get = persisted_get(screen.query, variables, token)
            bodies = {"register": {"query": screen.query, "variables": variables, "extensions": {
                "persistedQuery": {"version": 1, "sha256Hash": screen.sha256}}},
                      "post": {"query": screen.query, "variables": variables}}

            async def send(kind: str) -> None:
                if kind == "get":
                    status, body = await asgi_request(app, "GET", get.path, get.headers)
                else:
                    status, body = await asgi_request(app, "POST", "/graphql", {
                        **get.headers, "Content-Type": "application/json"}, json.dumps(bodies[kind]).encode())
                if status != 200 or "errors" in json.loads(body):
                    raise BenchError(f"{screen.name}: in-process {kind} failed: {body[:500]!r}")

            for kind in ("register", "get", "post"):  # registers the persisted query, warms every cache
                await send(kind)
            with db.count_statements() as statements:
                await send("get")
            self.results[screen.name].sql_per_op = statements.count
            with db.count_statements() as statements:
                await send("post")
            self.results[screen.name].sql_per_op_document = statements.count
        log("SQL statements per screen: " + ", ".join(
            f"{name} {r.sql_per_op}" for name, r in self.results.items()))

    # --- servers ------------------------------------------------------------------------------------------------

    def _server_env(self, extra: dict[str, str]) -> dict[str, str]:
        inherited = {k: v for k, v in os.environ.items() if not k.startswith("JINLIN_")}
        return {**inherited, **self.env_common, **extra}

    def start_graphql(self, *, cache: bool) -> Server:
        """`jinlin serve --db URL --port P --workers N`, with the response cache on or off."""
        port = free_port(taken=[s.port for s in self.servers])
        server = Server(f"jinlin serve (response cache {'on' if cache else 'off'})",
                        [*jinlin_command(), "serve", "--db", self.url, "--port", str(port),
                         "--workers", str(self.options.workers)],
                        env=self._server_env({"JINLIN_RESPONSE_CACHE": "on" if cache else "off"}), port=port,
                        workdir=self.workdir, workers=self.options.workers)
        self.servers.append(server)
        server.start()
        return server

    def start_raw(self) -> Server:
        """bench/raw.py under uvicorn with `jinlin serve`'s uvicorn options and worker count."""
        port = free_port(taken=[s.port for s in self.servers])
        server = Server("raw server", [sys.executable, "-m", "bench.raw", "--db", self.url, "--port", str(port),
                                       "--workers", str(self.options.workers),
                                       "--uvicorn", json.dumps(serve_uvicorn_options())],
                        env=self._server_env({}), port=port, workdir=self.workdir, workers=self.options.workers)
        self.servers.append(server)
        server.start()
        return server

    def stop(self, server: Server) -> None:
        """Stop one server now."""
        server.stop()
        self.servers.remove(server)

    def close(self) -> None:
        """Stop every server still running."""
        while self.servers:
            self.stop(self.servers[-1])

    # --- load ---------------------------------------------------------------------------------------------------

    def generate(self, spec: LoadSpec) -> LoadResult:
        """One run of the load generator."""
        try:
            if self.use_wrk:
                return wrk.run(spec, workdir=self.workdir)
            return load.run_builtin(spec, workdir=self.workdir)
        except RuntimeError as exc:
            raise BenchError(str(exc)) from None

    def measure(self, label: str, server: Server, read: Request, write: WriteSpec | None = None) -> LoadResult:
        """Warm up for WARMUP_S, then measure for the run's duration; any wrong answer fails the run."""
        result: LoadResult | None = None
        for stage, duration in (("warm-up", WARMUP_S), ("measurement", self.options.duration)):
            spec_write = None
            if write is not None:
                spec_write = replace(write, start=self.cursor, run_id=f"bench-{uuid.uuid4().hex[:16]}")
            spec = LoadSpec(label=f"{label} {stage}", host="127.0.0.1", port=server.port,
                            connections=self.options.connections, duration=duration, read=read, write=spec_write)
            result = self.generate(spec)
            self.cursor += result.writes
            problems = result.problems()
            if write is not None and not result.writes:
                problems.append("no write was sent")
            if problems:
                raise BenchError(f"{label}, {stage}: " + "; ".join(problems))
        assert result is not None
        log(f"  {label}: {result.rps:,.0f} rps, p50 {result.p50_ms:.1f} / p95 {result.p95_ms:.1f} / "
            f"p99 {result.p99_ms:.1f} ms" + (f", {result.ok_writes} writes" if write else ""))
        return result

    def loadgen_ceiling(self) -> LoadResult:
        """The generator against the trivial responder: the most it can deliver here."""
        port = free_port(taken=[s.port for s in self.servers])
        server = Server("trivial responder", [sys.executable, "-m", "bench.load", "trivial", "--port", str(port)],
                        env=self._server_env({}), port=port, workdir=self.workdir, workers=1)
        self.servers.append(server)
        try:
            server.start()
            spec = LoadSpec(label="load generator ceiling", host="127.0.0.1", port=port,
                            connections=self.options.connections, duration=CEILING_S,
                            read=Request("GET", "/ping", {"Accept": "text/plain"}))
            result = self.generate(spec)
        finally:
            self.stop(server)
        if result.socket_errors or result.status_errors or result.bad:
            raise BenchError("load generator ceiling: " + "; ".join(result.problems()))
        log(f"load generator ({self.loadgen_name}) against a trivial responder: {result.rps:,.0f} rps")
        return result

    @property
    def loadgen_name(self) -> str:
        """The load generator's name as the JSON summary gives it."""
        return "wrk" if self.use_wrk else "builtin"

    # --- checks -------------------------------------------------------------------------------------------------

    def fetch(self, server: Server, request: Request, *, what: str) -> dict[str, Any]:
        """One answer as JSON; anything but a 200 without `errors` fails the run."""
        status, body = http(server.base_url, request)
        try:
            answer = json.loads(body)
        except ValueError:
            answer = None
        if status != 200 or not isinstance(answer, dict) or "errors" in answer:
            raise BenchError(f"{what}: {server.name} answered {status}: {body[:1000].decode(errors='replace')}")
        return answer

    def compare(self, graphql: Server, raw: Server, screens: tuple[Screen, ...], *, when: str) -> list[str]:
        """Why GraphQL and raw answers differ, screen by screen (an empty list: they agree). Each screen's GraphQL
        answer must be the raw answer (parsed JSON), else the figures mean nothing; where the schema keeps
        statistics as counters, they must also equal a recount from the rows."""
        assert self.data is not None
        found = []
        for screen in screens:
            if any(problem.startswith(f"{screen.name} (") for problem in self.stale):
                continue  # reported once is enough
            variables, token = self.data.variables[screen.name], self.tokens[screen.role]
            label = f"{screen.name} ({when})"
            expected = self.fetch(raw, raw_get(screen, variables, token), what=label)
            # Each worker keeps its own caches, and the kernel picks the worker of a new connection: ask a few times.
            asks = 1 if self.options.workers == 1 else 2 * self.options.workers
            answers = [{"data": self.fetch(graphql, persisted_get(screen.query, variables, token), what=label)["data"]}
                       for _ in range(asks)]
            answer = next((a for a in answers if a != expected), answers[0])
            recounted = expected
            if "stats" in screen.query:
                recount = raw_get(screen, variables, token)
                recounted = self.fetch(raw, replace(recount, path=recount.path + "&recount=1"), what=label)
            if not same_json(expected, recounted):
                found.append(f"{label}: the org_stat counters disagree with a recount of the rows (GraphQL and "
                             "the raw endpoint both read the counters):\n" + json_diff(
                                 recounted, expected, names=("recount", "counters")))
            elif answer != expected:
                cause = ("; the response cache served an answer older than the last write it depends on"
                         if "cache on" in when else "; the ratio would compare different work")
                found.append(f"{label}: the GraphQL answer differs from the raw endpoint's{cause}.\n"
                             + json_diff(expected, answer, names=("raw", "graphql")))
        return found

    def settle(self, raw: Server, *, timeout: float = 30.0) -> None:
        """Wait until writes still running when the load generator stopped (the server finishes them) are done:
        the raw answers of every screen stop changing."""
        assert self.data is not None

        def answers() -> list[dict[str, Any]]:
            return [self.fetch(raw, raw_get(s, self.data.variables[s.name], self.tokens[s.role]), what=s.name)
                    for s in SCREENS]

        deadline, before = time.monotonic() + timeout, answers()
        while time.monotonic() < deadline:
            time.sleep(0.3)
            after = answers()
            if after == before:
                return
            before = after
        raise BenchError(f"the data kept changing for {timeout:.0f} s after the write mix ended")

    def agree(self, graphql: Server, raw: Server, screens: tuple[Screen, ...], *, when: str) -> None:
        """compare(), failing the run at once on any difference."""
        found = self.compare(graphql, raw, screens, when=when)
        if found:
            raise BenchError("\n".join(found))

    def register(self, graphql: Server) -> None:
        """Register each screen's document as a persisted query (POST with the document), as Apollo's link does."""
        assert self.data is not None
        for screen in SCREENS:
            body = _compact({"query": screen.query, "variables": self.data.variables[screen.name],
                             "extensions": {"persistedQuery": {"version": 1, "sha256Hash": screen.sha256}}})
            self.fetch(graphql, Request("POST", "/graphql", {
                "Authorization": f"Bearer {self.tokens[screen.role]}", "Content-Type": "application/json",
                "Accept": ACCEPT}, body), what=f"{screen.name}: registering the persisted query")

    def write_spec(self, screen: Screen) -> WriteSpec:
        """The writes of a screen's mix (start and run id are set per run)."""
        from schema.relay import to_global_id

        assert self.data is not None
        if WRITE_KIND.get(screen.name) == "order":
            return WriteSpec(kind="order", every=WRITE_EVERY, sha256=sha256(ORDER), tokens=[self.tokens["resident"]],
                             run_id="", order_input=self.order_input())
        return WriteSpec(kind="claim", every=WRITE_EVERY, sha256=sha256(CLAIM), tokens=self.pool_tokens,
                         run_id="", projects=[to_global_id("Project", pk) for pk in self.data.write_projects])

    def order_input(self) -> dict[str, Any]:
        """What the resident orders in the mix."""
        from schema.relay import to_global_id

        assert self.data is not None
        return {"compoundId": to_global_id("Compound", self.data.compound_id), "category": "REPAIR",
                "description": "基准下单：卫生间水龙头滴水，请上门更换"}

    def dry_run_writes(self, graphql: Server) -> None:
        """One claim and one order, POSTed with their documents (registering them): both must succeed."""
        for screen in (SCREENS[0], next(s for s in SCREENS if WRITE_KIND.get(s.name) == "order")):
            write = replace(self.write_spec(screen), start=self.cursor, run_id=f"bench-dry-{uuid.uuid4().hex[:16]}")
            request = write.request(0)
            document = ORDER if write.kind == "order" else CLAIM
            body = {**json.loads(request.body or "{}"), "query": document}
            answer = self.fetch(graphql, replace(request, body=_compact(body)), what=f"dry run of {write.kind}")
            payload = next(iter(answer["data"].values()))
            if payload.get("errors"):
                raise BenchError(f"dry run: {write.kind} was refused: {payload['errors']}")
            self.cursor += 1 if write.kind == "claim" else 0

    # --- the run ------------------------------------------------------------------------------------------------

    def run(self) -> dict[str, Any]:
        """Prepare, check, measure the three phases, and return the summary."""
        started = time.monotonic()
        self.url = self.database_url()
        asyncio.run(self.prepare())
        assert self.data is not None
        self.ceiling = self.loadgen_ceiling()
        raw = self.start_raw()
        graphql = self.start_graphql(cache=False)
        self.register(graphql)
        self.agree(graphql, raw, SCREENS, when="before measuring")
        log(f"GraphQL and raw answers agree on all {len(SCREENS)} screens; phases (a) GraphQL without response "
            "cache and (b) raw, screen by screen (back to back, so that both see the same machine)")
        for screen in SCREENS:
            variables, token = self.data.variables[screen.name], self.tokens[screen.role]
            self.results[screen.name].uncached = self.measure(f"{screen.name}: GraphQL", graphql,
                                                              persisted_get(screen.query, variables, token))
            self.results[screen.name].raw = self.measure(f"{screen.name}: raw", raw, raw_get(screen, variables, token))
        self.peaks.uncached, self.peaks.raw = graphql.peak_mb(), raw.peak_mb()
        self.stop(graphql)
        log("phase (c): GraphQL, response cache on, 95% reads / 5% writes")
        graphql = self.start_graphql(cache=True)
        self.agree(graphql, raw, SCREENS, when="response cache on, cold")
        self.dry_run_writes(graphql)
        # From here a difference is the cache's (or the counters'): the run goes on, so that all is measured and
        # reported, and fails at the end.
        self.stale += self.compare(graphql, raw, SCREENS, when="response cache on, after the dry-run writes")
        for screen in SCREENS:
            request = persisted_get(screen.query, self.data.variables[screen.name], self.tokens[screen.role])
            self.results[screen.name].cached = self.measure(f"{screen.name}: GraphQL cached mix", graphql, request,
                                                            self.write_spec(screen))
            self.settle(raw)
            self.stale += self.compare(graphql, raw, SCREENS, when="response cache on, after the write mix of "
                                                                   f"{screen.name}")
        self.peaks.cached = graphql.peak_mb()
        self.close()
        return self.summary(wall_s=time.monotonic() - started)

    # --- reporting ----------------------------------------------------------------------------------------------

    def summary(self, *, wall_s: float) -> dict[str, Any]:
        """The JSON summary (the last line of stdout)."""
        screens = {}
        shares = []
        for name, r in self.results.items():
            assert r.uncached and r.raw and r.cached
            entry: dict[str, Any] = {
                "rps": round(r.uncached.rps, 1), "raw_rps": round(r.raw.rps, 1),
                "ratio": round(r.uncached.rps / r.raw.rps, 3), "cached_rps": round(r.cached.rps, 1),
                "cached_ratio": round(r.cached.rps / r.raw.rps, 3), "p95_ms": round(r.uncached.p95_ms, 2),
                "sql_per_op": r.sql_per_op, "sql_per_op_document": r.sql_per_op_document}
            for prefix, result in (("", r.uncached), ("raw_", r.raw), ("cached_", r.cached)):
                for p in ("p50", "p95", "p99"):
                    entry[f"{prefix}{p}_ms"] = round(getattr(result, f"{p}_ms"), 2)
                shares.append(result.cpu_s / result.duration_s if result.duration_s else 0.0)
            entry["cached_writes"] = r.cached.ok_writes
            screens[name] = entry
        assert self.ceiling is not None
        return {"screens": screens, "db": "postgresql" if self.url.startswith("postgres") else "sqlite",
                "workers": self.options.workers, "peak_mb": round(max(self.peaks.uncached, self.peaks.cached), 1),
                "peak_mb_uncached": round(self.peaks.uncached, 1), "peak_mb_cached": round(self.peaks.cached, 1),
                "raw_peak_mb": round(self.peaks.raw, 1), "loadgen": self.loadgen_name,
                "loadgen_max_rps": round(self.ceiling.rps, 1), "loadgen_cpu_share_max": round(max(shares), 3),
                "connections": self.options.connections, "duration_s": self.options.duration, "warmup_s": WARMUP_S,
                "scale": self.options.scale,
                "quick": self.options.quick, "wall_s": round(wall_s, 1),
                "failures": [problem.splitlines()[0] for problem in self.stale]}


def table(summary: dict[str, Any]) -> list[str]:
    """The results as a Markdown table (read as well in a terminal)."""
    lines = ["| screen | GraphQL rps | raw rps | ratio | cached mix rps | cached ratio | SQL/op | "
             "GraphQL p50/p95/p99 ms | raw p50/p95/p99 ms | cached p50/p95/p99 ms |",
             "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for name, s in summary["screens"].items():
        def lat(prefix: str) -> str:
            return "/".join(f"{s[f'{prefix}{p}_ms']:.1f}" for p in ("p50", "p95", "p99"))

        lines.append(f"| {name} | {s['rps']:,.0f} | {s['raw_rps']:,.0f} | {s['ratio']:.3f} | {s['cached_rps']:,.0f} | "
                     f"{s['cached_ratio']:.3f} | {s['sql_per_op']} | {lat('')} | {lat('raw_')} | {lat('cached_')} |")
    return lines


def machine() -> dict[str, str]:
    """nproc, CPU model and memory, for the results file."""
    model, memory = "unknown CPU", "unknown"
    try:
        model = next(line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                     if line.startswith("model name"))
        kb = next(int(line.split()[1]) for line in Path("/proc/meminfo").read_text().splitlines()
                  if line.startswith("MemTotal:"))
        memory = f"{kb / 1024 / 1024:.1f} GiB"
    except (OSError, StopIteration, ValueError):
        pass
    return {"nproc": str(len(os.sched_getaffinity(0))), "cpu": model, "memory": memory}


def report(summary: dict[str, Any]) -> list[str]:
    """The human-readable report: setup, table, memory and the load generator's headroom."""
    box = machine()
    return [
        f"jinlin bench — {summary['db']}{' at ' + str(summary.get('scale', 1)) + 'x siming' if summary.get('scale', 1) > 1 else ''}"
        f", {summary['workers']} worker(s), {summary['loadgen']} "
        f"(1 thread, {summary['connections']} connections), {summary['duration_s']:g} s per measurement after "
        f"{summary['warmup_s']:g} s warm-up{' (--quick)' if summary['quick'] else ''}",
        f"machine: {box['nproc']} CPUs (nproc), {box['cpu']}, {box['memory']}",
        "",
        *table(summary),
        "",
        "ratio = GraphQL rps / raw rps (no response cache); cached ratio = mix rps (95% reads, 5% writes, response "
        "cache on) / raw rps; SQL/op counted in-process for the persisted GET.",
        f"peak memory per worker (VmHWM): GraphQL {summary['peak_mb_uncached']:.0f} MB uncached, "
        f"{summary['peak_mb_cached']:.0f} MB cached; raw {summary['raw_peak_mb']:.0f} MB",
        f"load generator: {summary['loadgen_max_rps']:,.0f} rps against a trivial responder; at most "
        f"{summary['loadgen_cpu_share_max'] * 100:.0f}% of one CPU during a measurement",
        f"wall time: {summary['wall_s']:.0f} s",
        *(f"FAILED: {failure}" for failure in summary["failures"]),
    ]


def append_markdown(path: str, summary: dict[str, Any]) -> None:
    """Append a results section (date, machine, setup, table) to a Markdown file."""
    box = machine()
    lines = report(summary)
    when = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    size = f" at {summary['scale']}x siming" if summary.get("scale", 1) > 1 else ""
    section = [f"## {when}: {summary['db']}{size}, {summary['workers']} worker(s)"
               f"{' (--quick)' if summary['quick'] else ''}",
               "", f"- machine: {box['nproc']} CPUs (`nproc`), {box['cpu']}, {box['memory']} memory",
               f"- database: {summary['db']}; workers: {summary['workers']}; load generator: {summary['loadgen']} "
               f"(1 thread, {summary['connections']} connections, {summary['loadgen_max_rps']:,.0f} rps against a "
               f"trivial responder); {summary['duration_s']:g} s per measurement after {summary['warmup_s']:g} s "
               "warm-up", "", *lines[3:]]
    try:
        with open(path, "a", encoding="utf-8") as out:
            out.write("\n" + "\n".join(section) + "\n")
    except OSError as exc:
        raise BenchError(f"cannot append to {path}: {exc.strerror or exc}") from None


def main(args: argparse.Namespace) -> dict[str, Any]:
    """`jinlin bench`: run, print the report and the JSON line, append to --markdown; returns the summary."""
    options = Options.from_args(args)
    workdir = Path(tempfile.mkdtemp(prefix="jinlin-bench-"))
    bench = Bench(options, workdir)
    try:
        summary = bench.run()
    except ServerError as exc:
        raise BenchError(str(exc)) from None
    finally:
        bench.close()
        shutil.rmtree(workdir, ignore_errors=True)
    print("\n".join(report(summary)), flush=True)
    if options.markdown:
        append_markdown(options.markdown, summary)
    print(json.dumps(summary, ensure_ascii=False), flush=True)
    if bench.stale:
        raise BenchError(f"{len(bench.stale)} wrong answer(s) with the response cache on (the figures above are "
                         "printed but do not count):\n" + "\n".join(bench.stale))
    return summary

