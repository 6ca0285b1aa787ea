"""Crash safety: a real server under a bounded write load is killed with SIGKILL at random moments and restarted,
several times; afterwards every mutation that had been acknowledged (HTTP 200, no errors) is there, nothing that was
never sent is, each order has its history, and SQLite's integrity_check is ok. SQLite always; PostgreSQL too when
JINLIN_TEST_DB_URL is one. The test stops itself (every wait has a deadline) and kills what it started."""

from __future__ import annotations

import asyncio
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from auth import tokens
from auth.tokens import TokenType
from jinlin.settings import Settings
from schema.relay import to_global_id
from tests.live_server import free_port
from tests.test_backup import PG, Fetch, pg_fetch, scratch_pg_database, sqlite_fetch
from tests.test_cli import clean_env

KEY = "crash-test-signing-key-0123456789abcdef"
CYCLES = 4
PER_CLIENT_PER_CYCLE = 50  # bounded: well under the default per-user rate limit over the whole test
START_TIMEOUT = 30.0
RESIDENT, MEMBER, BRANCH_ADMIN = "13800000006", "13800000004", "13800000003"
ROOT = Path(__file__).resolve().parent.parent


@dataclass
class Client:
    """One phone creating one kind of object, over and over; remembers what the server acknowledged."""

    kind: str  # "order", "opinion", "household"
    phone: str
    sent: list[str] = field(default_factory=list)  # markers of every mutation sent (acknowledged or not)
    acked: list[str] = field(default_factory=list)
    refused: int = 0  # answered with errors (e.g. rate limited): neither acknowledged nor a failure of durability

    def request(self, marker: str, compound: str) -> tuple[str, dict]:
        if self.kind == "order":
            return ("mutation($input: PlaceOrderInput!) { placeOrder(input: $input) { order { id } errors { code } } }",
                    {"input": {"compoundId": compound, "category": "REPAIR", "description": marker}})
        if self.kind == "opinion":
            return ("mutation($input: SubmitOpinionInput!) { submitOpinion(input: $input) { opinion { id } "
                    "errors { code } } }", {"input": {"text": marker, "compoundId": compound}})
        return ("mutation($input: CreateHouseholdInput!) { createHousehold(input: $input) { household { id } "
                "errors { code } } }", {"input": {"compoundId": compound, "unit": marker, "areaSqm": 75.25}})

    async def run(self, base: str, token: str, compound: str, cycle: int, stop: asyncio.Event) -> None:
        """Send mutations until stopped, the cycle's quota is used, or the server is gone."""
        field_name = {"order": "placeOrder", "opinion": "submitOpinion", "household": "createHousehold"}[self.kind]
        async with httpx.AsyncClient(base_url=base, timeout=10,
                                     headers={"Authorization": f"Bearer {token}"}) as http:
            for n in range(PER_CLIENT_PER_CYCLE):
                if stop.is_set():
                    return
                marker = f"crash-{self.kind}-{cycle}-{n}"
                query, variables = self.request(marker, compound)
                self.sent.append(marker)
                try:
                    response = await http.post("/graphql", json={"query": query, "variables": variables})
                except httpx.HTTPError:
                    return  # killed mid-request: its outcome is unknown, and the server is gone
                body = response.json() if response.status_code == 200 else {}
                if response.status_code == 200 and "errors" not in body and body["data"][field_name]["errors"] == []:
                    self.acked.append(marker)
                else:
                    self.refused += 1


@asynccontextmanager
async def database(backend: str, tmp_path: Path) -> AsyncIterator[tuple[str, Fetch, Path | None]]:
    """A fresh database: a file in tmp_path, or a scratch PostgreSQL database beside the test database."""
    if backend == "sqlite":
        path = tmp_path / "crash.sqlite3"
        yield f"sqlite://{path}", sqlite_fetch(path), path
        return
    async with scratch_pg_database("crash") as url:
        yield url, pg_fetch(url), None


def start_server(url: str, port: int, log: Path, cwd: Path) -> subprocess.Popen:
    """`jinlin serve` (migrations, then uvicorn) in a session of its own, so that killing its group kills all of it."""
    return subprocess.Popen(
        [sys.executable, "-m", "jinlin.cli", "serve", "--db", url, "--host", "127.0.0.1", "--port", str(port)],
        cwd=cwd, env=clean_env(JINLIN_SECRET_KEY=KEY, PYTHONPATH=str(ROOT)), stdin=subprocess.DEVNULL,
        stdout=log.open("ab"), stderr=subprocess.STDOUT, start_new_session=True)


def kill(proc: subprocess.Popen) -> None:
    """SIGKILL the server's process group (it and anything it started), then reap it."""
    if proc.poll() is None:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    proc.wait(timeout=10)


async def wait_healthy(base: str, proc: subprocess.Popen, log: Path) -> float:
    """Seconds until /healthz answered; fails (with the server's log) if it exits or takes too long."""
    started = time.monotonic()
    async with httpx.AsyncClient(base_url=base, timeout=1) as http:
        while True:
            assert proc.poll() is None, f"the server exited ({proc.returncode}):\n{log.read_text()[-3000:]}"
            try:
                if (await http.get("/healthz")).status_code == 200:
                    return time.monotonic() - started
            except httpx.HTTPError:
                pass
            assert time.monotonic() - started < START_TIMEOUT, f"no /healthz within {START_TIMEOUT} s:\n" \
                                                               f"{log.read_text()[-3000:]}"
            await asyncio.sleep(0.05)


def _markers(rows: list[tuple]) -> set[str]:
    return {value for (value,) in rows}


@pytest.mark.parametrize("backend", ["sqlite", pytest.param("postgres", marks=pytest.mark.skipif(
    not PG, reason="JINLIN_TEST_DB_URL is not a PostgreSQL URL"))])
async def test_acknowledged_writes_survive_sigkill(backend: str, tmp_path: Path) -> None:
    rng = random.Random()
    seed = rng.randrange(1 << 30)
    rng.seed(seed)
    began = time.monotonic()
    procs: list[subprocess.Popen] = []
    log = tmp_path / "server.log"
    timings: list[str] = []
    async with database(backend, tmp_path) as (url, fetch, db_file):
        seeded = await asyncio.to_thread(
            subprocess.run, [sys.executable, "-m", "jinlin.cli", "seed", "--scale", "demo", "--db", url],
            cwd=tmp_path, env=clean_env(JINLIN_SECRET_KEY=KEY), capture_output=True, text=True, timeout=60)
        assert seeded.returncode == 0, seeded.stderr
        users = {phone: user_id for phone, user_id in await fetch("SELECT phone, id FROM app_user")}
        compound = to_global_id("Compound", (await fetch("SELECT id FROM compound WHERE name = '观远里小区'"))[0][0])
        settings = Settings(secret_key=KEY)
        clients = [Client("order", RESIDENT), Client("opinion", MEMBER), Client("household", BRANCH_ADMIN)]
        token = {c.phone: tokens.issue(settings, user_id=users[c.phone], typ=TokenType.ACCESS)[0] for c in clients}
        try:
            for cycle in range(CYCLES):
                port = free_port()
                base = f"http://127.0.0.1:{port}"
                proc = start_server(url, port, log, tmp_path)
                procs.append(proc)
                startup = await wait_healthy(base, proc, log)
                acked_before = sum(len(c.acked) for c in clients)
                stop = asyncio.Event()
                load = [asyncio.create_task(c.run(base, token[c.phone], compound, cycle, stop)) for c in clients]
                load_began = time.monotonic()
                # Let some writes be acknowledged, then kill at a random moment while the clients keep writing.
                deadline = load_began + 15
                while sum(len(c.acked) for c in clients) < acked_before + 3 and time.monotonic() < deadline \
                        and not all(t.done() for t in load):
                    await asyncio.sleep(0.01)
                await asyncio.sleep(rng.uniform(0.0, 0.6))
                in_flight = sum(not t.done() for t in load)
                kill(proc)
                stop.set()
                await asyncio.wait_for(asyncio.gather(*load), timeout=15)
                acked = sum(len(c.acked) for c in clients) - acked_before
                timings.append(f"cycle {cycle}: up in {startup:.1f} s, killed after {time.monotonic() - load_began:.2f}"
                               f" s of load, {acked} acknowledged, {in_flight} clients mid-request")
                assert acked >= 3, f"cycle {cycle}: the load did not run ({timings[-1]})\n{log.read_text()[-3000:]}"
            # Once more after the last kill: the database opens, and the server serves what was acknowledged.
            port = free_port()
            base = f"http://127.0.0.1:{port}"
            proc = start_server(url, port, log, tmp_path)
            procs.append(proc)
            startup = await wait_healthy(base, proc, log)
            async with httpx.AsyncClient(base_url=base, timeout=10) as http:
                mine = await http.post("/graphql", headers={"Authorization": f"Bearer {token[RESIDENT]}"}, json={
                    "query": "{ orders(filter: {mine: true}) { totalCount } }"})
            served_orders = mine.json()["data"]["orders"]["totalCount"]
            proc.terminate()
            proc.wait(timeout=15)
        finally:
            for proc in procs:
                kill(proc)

        # Every acknowledged mutation is there; nothing that was never sent is.
        present = {
            "order": _markers(await fetch("SELECT description FROM resident_order WHERE description LIKE 'crash-%'")),
            "opinion": _markers(await fetch("SELECT text FROM opinion WHERE text LIKE 'crash-%'")),
            "household": _markers(await fetch("SELECT unit FROM household WHERE unit LIKE 'crash-%'")),
        }
        for client in clients:
            lost = sorted(set(client.acked) - present[client.kind])
            assert lost == [], f"acknowledged but lost after SIGKILL ({client.kind}, seed {seed}): {lost}"
            assert present[client.kind] <= set(client.sent), f"{client.kind}: rows nobody sent"
        # Each order came with its first event in one transaction.
        orphans = await fetch("SELECT o.id FROM resident_order o WHERE NOT EXISTS "
                              "(SELECT 1 FROM order_event e WHERE e.order_id = o.id)")
        assert orphans == []
        resident_orders = (await fetch(f"SELECT COUNT(*) FROM resident_order WHERE resident_id = {users[RESIDENT]}"))
        assert served_orders == resident_orders[0][0]
        if db_file is not None:
            with sqlite3.connect(db_file) as conn:
                assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
                assert conn.execute("PRAGMA foreign_key_check").fetchall() == []

    acked_total = sum(len(c.acked) for c in clients)
    unknown = sum(len(present[c.kind]) for c in clients) - acked_total
    print(f"\ncrash test ({backend}, seed {seed}): {CYCLES} SIGKILLs, {acked_total} acknowledged writes all present, "
          f"{unknown} unacknowledged ones committed anyway, {sum(c.refused for c in clients)} refused; final start "
          f"{startup:.1f} s; {time.monotonic() - began:.1f} s in all\n  " + "\n  ".join(timings))
