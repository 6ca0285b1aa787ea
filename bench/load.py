"""Load generation for `jinlin bench`: what a run asks for (LoadSpec), what it measured (LoadResult), and the
built-in generator used when `wrk` is not on PATH: keep-alive connections on asyncio streams (uvloop when
importable), requests encoded once, run in its own process so it never shares an event loop with the harness.

Also a trivial HTTP responder: driving it shows the most a generator can deliver on this machine, i.e. that the
generator is not what limits the measured servers.

Run as `python -m bench.load run SPEC.json` (prints one JSON result line) or `python -m bench.load trivial --port P`.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

ACCEPT = "application/graphql-response+json, application/json"


@dataclass(frozen=True)
class Request:
    """One HTTP request as the generator sends it."""

    method: str
    path: str
    headers: dict[str, str]
    body: str | None = None


@dataclass(frozen=True)
class WriteSpec:
    """Every `every`-th request is a mutation, POSTed by persisted-query hash with a unique Idempotency-Key:
    `claim` walks (member, project) pairs from `start` (pair k: tokens[k // len(projects)], projects[k % ...]), so
    no member claims a project twice; `order` places an order as the resident (tokens[0])."""

    kind: str
    every: int
    sha256: str
    tokens: list[str]
    run_id: str
    projects: list[str] = field(default_factory=list)
    start: int = 0
    order_input: dict[str, Any] = field(default_factory=dict)

    @property
    def capacity(self) -> int:
        """How many writes the spec can make without repeating a claim."""
        return len(self.tokens) * len(self.projects) if self.kind == "claim" else 1 << 62

    def request(self, n: int) -> Request:
        """The n-th write of this run (0-based)."""
        if self.kind == "claim":
            k = self.start + n
            token, variables = self.tokens[k // len(self.projects)], {"id": self.projects[k % len(self.projects)]}
        else:
            token, variables = self.tokens[0], {"input": self.order_input}
        body = json.dumps({"extensions": {"persistedQuery": {"version": 1, "sha256Hash": self.sha256}},
                           "variables": variables}, ensure_ascii=False, separators=(",", ":"))
        return Request("POST", "/graphql", {"Authorization": f"Bearer {token}", "Content-Type": "application/json",
                                            "Accept": ACCEPT, "Idempotency-Key": f"{self.run_id}-{n}"}, body)


@dataclass(frozen=True)
class LoadSpec:
    """One measurement: `connections` keep-alive connections sending `read` (and writes, if any) for `duration`."""

    label: str
    host: str
    port: int
    connections: int
    duration: float
    read: Request
    write: WriteSpec | None = None


@dataclass(frozen=True)
class LoadResult:
    """What a run measured. `bad` counts non-200 answers and reads with `errors`; `bad_writes` writes whose payload
    had errors; `writes` counts writes sent (their pairs are used up even if the run ended before the answer)."""

    requests: int
    duration_s: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    socket_errors: int = 0
    status_errors: int = 0
    timeouts: int = 0
    bad: int = 0
    bad_writes: int = 0
    writes: int = 0
    ok_writes: int = 0
    exhausted: int = 0
    first_bad: str = ""
    cpu_s: float = 0.0  # CPU time of the load generator process

    @property
    def rps(self) -> float:
        """Completed requests per second."""
        return self.requests / self.duration_s if self.duration_s else 0.0

    def problems(self) -> list[str]:
        """Why this run does not count, if it does not (an empty list: every answer was right)."""
        found = []
        if self.requests == 0:
            found.append("no request completed")
        for what, n in (("socket errors", self.socket_errors), ("non-2xx answers", self.status_errors),
                        ("timeouts", self.timeouts), ("wrong answers (status or errors)", self.bad),
                        ("writes with payload errors", self.bad_writes),
                        ("writes skipped: the member/project pairs ran out", self.exhausted)):
            if n:
                found.append(f"{n} {what}")
        if self.first_bad:
            found.append(f"first: {self.first_bad[:300]}")
        return found


def percentile(sorted_values: list[float], fraction: float) -> float:
    """The value below which `fraction` of the (sorted) values lie."""
    if not sorted_values:
        return 0.0
    return sorted_values[min(len(sorted_values) - 1, int(len(sorted_values) * fraction))]


def encode_request(request: Request, host: str, port: int) -> bytes:
    """The request's bytes on the wire (HTTP/1.1, keep-alive)."""
    body = request.body.encode() if request.body is not None else b""
    lines = [f"{request.method} {request.path} HTTP/1.1", f"Host: {host}:{port}"]
    lines += [f"{name}: {value}" for name, value in request.headers.items()]
    if request.body is not None:
        lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


async def _response(reader: asyncio.StreamReader) -> tuple[int, bytes]:
    """Read one response: status and body (Content-Length or chunked)."""
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head[9:12])
    length, chunked = None, False
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        name = name.strip().lower()
        if name == b"content-length":
            length = int(value)
        elif name == b"transfer-encoding" and b"chunked" in value.lower():
            chunked = True
    if chunked:
        parts = []
        while True:
            size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
            data = await reader.readexactly(size + 2)
            if size == 0:
                break
            parts.append(data[:-2])
        return status, b"".join(parts)
    return status, await reader.readexactly(length or 0)


class _Run:
    """Shared counters of one run's connections (one event loop: no locks)."""

    def __init__(self, spec: LoadSpec) -> None:
        self.spec = spec
        self.read = encode_request(spec.read, spec.host, spec.port)
        self.sent = 0
        self.latencies: list[float] = []
        self.counts = {"socket_errors": 0, "bad": 0, "bad_writes": 0, "writes": 0, "ok_writes": 0, "exhausted": 0}
        self.first_bad = ""

    def next_request(self) -> tuple[bytes, bool]:
        """The next request's bytes, and whether it is a write (every `every`-th, while pairs last)."""
        self.sent += 1
        write = self.spec.write
        if write is None or self.sent % write.every:
            return self.read, False
        n = self.counts["writes"]
        if write.start + n >= write.capacity:
            self.counts["exhausted"] += 1
            return self.read, False
        self.counts["writes"] += 1
        return encode_request(write.request(n), self.spec.host, self.spec.port), True

    def check(self, status: int, body: bytes, is_write: bool) -> None:
        """Count an answer that is not a clean 200 (a read with `errors`, a write without `"errors":[]`)."""
        if status != 200:
            self._bad("bad", f"{status} {body[:300]!r}")
        elif is_write:
            if b'"errors":[]' in body:
                self.counts["ok_writes"] += 1
            else:
                self._bad("bad_writes", body[:300].decode(errors="replace"))
        elif b'"errors"' in body:
            self._bad("bad", body[:300].decode(errors="replace"))

    def _bad(self, counter: str, text: str) -> None:
        self.counts[counter] += 1
        self.first_bad = self.first_bad or text

    async def connection(self, deadline: float) -> None:
        """One keep-alive connection sending requests back to back until the deadline."""
        reader, writer = await asyncio.open_connection(self.spec.host, self.spec.port)
        try:
            while time.perf_counter() < deadline:
                data, is_write = self.next_request()
                started = time.perf_counter()
                writer.write(data)
                try:
                    status, body = await _response(reader)
                except (asyncio.IncompleteReadError, ConnectionError) as exc:
                    self._bad("socket_errors", f"connection lost: {exc}")
                    writer.close()
                    reader, writer = await asyncio.open_connection(self.spec.host, self.spec.port)
                    continue
                self.latencies.append(time.perf_counter() - started)
                self.check(status, body, is_write)
        finally:
            writer.close()


async def generate(spec: LoadSpec) -> LoadResult:
    """Drive the target with the spec's connections for its duration (in this process's event loop)."""
    run = _Run(spec)
    started = time.perf_counter()
    await asyncio.gather(*(run.connection(started + spec.duration) for _ in range(spec.connections)))
    elapsed = time.perf_counter() - started
    latencies = sorted(run.latencies)
    return LoadResult(requests=len(latencies), duration_s=elapsed, p50_ms=percentile(latencies, 0.50) * 1000,
                      p95_ms=percentile(latencies, 0.95) * 1000, p99_ms=percentile(latencies, 0.99) * 1000,
                      first_bad=run.first_bad, **run.counts)


def spec_to_json(spec: LoadSpec) -> str:
    """A spec as the generator process reads it."""
    return json.dumps(asdict(spec), ensure_ascii=False)


def spec_from_json(text: str) -> LoadSpec:
    """The spec written by spec_to_json."""
    data = json.loads(text)
    data["read"] = Request(**data["read"])
    data["write"] = WriteSpec(**data["write"]) if data["write"] else None
    return LoadSpec(**data)


def run_process(argv: list[str], *, output: Path) -> tuple[int, str, float]:
    """Run a load generator process to its end: exit code, stdout, and its CPU seconds (user + system, from
    wait4, so the harness knows what share of the machine the generator took)."""
    with open(output, "wb") as out:
        process = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT)
        try:
            _pid, status, usage = os.wait4(process.pid, 0)
        except BaseException:  # interrupted: the generator must not outlive the harness
            process.kill()
            process.wait()
            raise
        process.returncode = os.waitstatus_to_exitcode(status)
    return process.returncode, output.read_text(errors="replace"), usage.ru_utime + usage.ru_stime


def run_builtin(spec: LoadSpec, *, workdir: Path) -> LoadResult:
    """Run the built-in generator in its own process and read its result."""
    spec_file = Path(tempfile.mkstemp(dir=workdir, prefix="load-", suffix=".json")[1])
    spec_file.write_text(spec_to_json(spec), encoding="utf-8")
    code, text, cpu = run_process([sys.executable, "-m", "bench.load", "run", str(spec_file)],
                                  output=spec_file.with_suffix(".out"))
    line = next((line for line in reversed(text.splitlines()) if line.startswith("{")), None)
    if code != 0 or line is None:
        raise RuntimeError(f"the built-in load generator failed on {spec.label} (exit {code}): {text[-2000:]}")
    return replace(LoadResult(**json.loads(line)), cpu_s=cpu)


class _Trivial(asyncio.Protocol):
    """Answers every request with the same tiny 200, keep-alive: the cheapest server there is."""

    ANSWER = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Type: text/plain\r\n\r\nok"

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        """A new connection: nothing buffered yet."""
        self.transport = transport
        self.buffer = b""

    def data_received(self, data: bytes) -> None:
        """One answer per complete request head (GET only: no bodies to skip)."""
        self.buffer += data
        answers = self.buffer.count(b"\r\n\r\n")
        if answers:
            self.buffer = self.buffer[self.buffer.rfind(b"\r\n\r\n") + 4:]
            self.transport.write(self.ANSWER * answers)  # type: ignore[attr-defined]


async def serve_trivial(port: int) -> None:
    """Serve _Trivial on 127.0.0.1:port until killed."""
    server = await asyncio.get_running_loop().create_server(_Trivial, "127.0.0.1", port)
    async with server:
        await server.serve_forever()


def _event_loop_policy() -> None:
    try:
        import uvloop
    except ImportError:
        return
    asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())


def main(argv: list[str] | None = None) -> None:
    """`run SPEC.json` prints the result as one JSON line; `trivial --port P` serves the trivial responder."""
    parser = argparse.ArgumentParser(prog="python -m bench.load", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run")
    run.add_argument("spec")
    trivial = sub.add_parser("trivial")
    trivial.add_argument("--port", type=int, required=True)
    args = parser.parse_args(argv)
    _event_loop_policy()
    if args.command == "trivial":
        asyncio.run(serve_trivial(args.port))
        return
    result = asyncio.run(generate(spec_from_json(Path(args.spec).read_text(encoding="utf-8"))))
    print(json.dumps(asdict(result), ensure_ascii=False), flush=True)


if __name__ == "__main__":
    main()
