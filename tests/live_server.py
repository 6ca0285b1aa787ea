"""Real servers for tests that need real sockets: uvicorn inside the test's event loop (sharing its database), or
separate `uvicorn` processes (sharing PostgreSQL and Redis) for the fan-out across workers."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator, Mapping
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path

import httpx
import uvicorn
from starlette.types import ASGIApp

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    """A TCP port nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@asynccontextmanager
async def serving(app: ASGIApp) -> AsyncIterator[str]:
    """Serve `app` on 127.0.0.1 (an ephemeral port) in this event loop; yields `host:port`. The socket says
    IPPROTO_TCP so asyncio sets TCP_NODELAY on accepted connections: with proto 0 every answer (headers and body are
    two writes) waited ~40 ms for the client's delayed ACK."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, lifespan="on", log_level="warning"))
    task = asyncio.create_task(server.serve(sockets=[sock]))
    try:
        for _ in range(500):
            if server.started or task.done():
                break
            await asyncio.sleep(0.01)
        assert server.started, "uvicorn did not start"
        yield f"127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await asyncio.wait_for(task, timeout=10)
        sock.close()


@contextmanager
def processes(count: int, env: Mapping[str, str]) -> Iterator[list[str]]:
    """Start `count` server processes (`uvicorn app:create_app`) with the given JINLIN_* settings; yields their
    `host:port`s once every one answers /healthz, and stops them all afterwards."""
    ports = [free_port() for _ in range(count)]
    children = [
        subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "app:create_app", "--factory", "--host", "127.0.0.1", "--port",
             str(port), "--log-level", "warning"],
            cwd=ROOT, env={**os.environ, **env}, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        for port in ports
    ]
    try:
        deadline = time.monotonic() + 30
        for port, child in zip(ports, children):
            while True:
                if child.poll() is not None:
                    raise AssertionError(f"server on {port} exited: {child.stdout.read().decode()}")  # type: ignore
                try:
                    if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                assert time.monotonic() < deadline, f"server on {port} did not start"
                time.sleep(0.1)
        yield [f"127.0.0.1:{port}" for port in ports]
    finally:
        for child in children:
            child.terminate()
        for child in children:
            try:
                child.wait(timeout=10)
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()
