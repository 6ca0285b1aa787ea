"""Server processes of `jinlin bench`: `jinlin serve` as users start it, the raw baseline under uvicorn with the very
options `jinlin serve` passes to uvicorn, and the trivial responder; each in its own process group, its log in a
file, stopped by its own id (SIGTERM, then SIGKILL of its group) whatever happens."""

from __future__ import annotations

import contextlib
import io
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Sequence
from pathlib import Path
from typing import Any

PORTS = range(8701, 8721)
_NOT_UVICORN_OPTIONS = {"app", "factory", "host", "port", "workers"}


class ServerError(Exception):
    """A server did not start or answer; the message names it and ends with its log."""


def free_port(*, taken: Sequence[int] = ()) -> int:
    """A port of 8701-8720 that nothing listens on (nor one of `taken`)."""
    for port in PORTS:
        if port in taken:
            continue
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise ServerError(f"no free port in {PORTS.start}-{PORTS.stop - 1}")


def serve_uvicorn_options() -> dict[str, Any]:
    """The keyword arguments `jinlin serve` gives `uvicorn.run` (loop, http, logging, proxy headers...), read by
    running its command with `uvicorn.run` and the database step replaced, so the raw server always runs like it."""
    import uvicorn

    from jinlin import cli

    captured: dict[str, Any] = {}
    saved_env, saved_run, saved_run_db = dict(os.environ), uvicorn.run, cli._run_db
    uvicorn.run = lambda *_args, **kwargs: captured.update(kwargs)  # type: ignore[assignment]
    cli._run_db = lambda _settings, _factory: None  # type: ignore[assignment]
    os.environ["JINLIN_SECRET_KEY"] = "x" * 48  # no development secret file is made for this dry run
    try:
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            cli.main(["serve", "--db", "sqlite://jinlin-bench-dry-run.sqlite3", "--port", str(PORTS.start)])
    finally:
        uvicorn.run, cli._run_db = saved_run, saved_run_db  # type: ignore[assignment]
        os.environ.clear()
        os.environ.update(saved_env)
    if not captured:
        raise ServerError("`jinlin serve` did not call uvicorn.run: cannot give the raw server the same options")
    return {key: value for key, value in captured.items() if key not in _NOT_UVICORN_OPTIONS
            and _jsonable(value)}


def _jsonable(value: Any) -> bool:
    try:
        json.dumps(value)
    except TypeError:
        return False
    return True


def jinlin_command() -> list[str]:
    """`jinlin` from the running interpreter's environment (the script beside it, else `python -m jinlin.cli`)."""
    script = Path(sys.executable).with_name("jinlin")
    return [str(script)] if script.exists() else [sys.executable, "-m", "jinlin.cli"]


def _children() -> dict[int, list[int]]:
    """Every process's children, from /proc."""
    tree: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        parent = int(stat[stat.rfind(")") + 2:].split()[1])
        tree.setdefault(parent, []).append(int(entry))
    return tree


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def peak_rss_mb(pid: int) -> float:
    """VmHWM (peak resident memory) of a process, in MB; 0 when it is gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


class Server:
    """One server process; `start` returns once it answers GET /healthz."""

    def __init__(self, name: str, argv: list[str], *, env: dict[str, str], port: int, workdir: Path,
                 workers: int) -> None:
        self.name, self.argv, self.env, self.port, self.workers = name, argv, env, port, workers
        self.log_path = workdir / f"{name.replace(' ', '-')}-{port}.log"
        self.cwd = workdir
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def base_url(self) -> str:
        """Where the server listens."""
        return f"http://127.0.0.1:{self.port}"

    def log_tail(self, lines: int = 30) -> str:
        """The end of the server's log, for error messages."""
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"

    def start(self, *, timeout: float = 90.0) -> None:
        """Start the process in its own group and wait until /healthz answers 200."""
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(self.argv, env=self.env, cwd=self.cwd, stdout=log,
                                            stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise ServerError(f"{self.name} exited with code {self.process.returncode} while starting:\n"
                                  f"{self.log_tail()}")
            try:
                with urllib.request.urlopen(f"{self.base_url}/healthz", timeout=2) as answer:
                    if answer.status == 200:
                        return
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            time.sleep(0.1)
        raise ServerError(f"{self.name} did not answer /healthz within {timeout:.0f} s:\n{self.log_tail()}")

    def worker_pids(self) -> list[int]:
        """The processes that serve requests: the spawned workers with several, the process itself with one."""
        if self.process is None:
            return []
        if self.workers <= 1:
            return [self.process.pid]
        tree, found, todo = _children(), [], [self.process.pid]
        while todo:
            for child in tree.get(todo.pop(), []):
                todo.append(child)
                if "spawn_main" in _cmdline(child):
                    found.append(child)
        return found or [self.process.pid]

    def peak_mb(self) -> float:
        """The highest VmHWM of the worker processes, in MB."""
        return max((peak_rss_mb(pid) for pid in self.worker_pids()), default=0.0)

    def stop(self) -> None:
        """SIGTERM (uvicorn shuts down gracefully, workers with it), then SIGKILL to the group after 20 s."""
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)
        # A worker that outlived its supervisor would keep the port: end the group for good.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
