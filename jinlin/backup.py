"""`jinlin backup` and `jinlin restore`: a consistent copy of a live database, and putting one back.

SQLite is copied with its online backup API in one step, which reads one snapshot while writers carry on (WAL mode),
into PATH.tmp that is checked, fsynced and then renamed over PATH. PostgreSQL is dumped with `pg_dump --format=custom`
(one repeatable-read snapshot) and put back with `pg_restore --clean --if-exists --no-owner --single-transaction`
(all or nothing). Every failure is a BackupError with one line meant for the operator; passwords never appear in it.
"""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import sqlite3
import subprocess
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

SQLITE_MAGIC = b"SQLite format 3\x00"
PGDUMP_MAGIC = b"PGDMP"
MIGRATIONS_TABLE = "tortoise_migrations"  # tortoise's record of applied migrations: present in an "empty" database
BUSY_TIMEOUT_MS = 10_000


class BackupError(Exception):
    """A backup or restore that cannot go ahead or failed; the message is one line for the operator."""


@dataclass(frozen=True)
class Summary:
    """What a backup holds or a restore left behind."""

    tables: int
    rows: int | None  # None: not counted (a pg_dump archive, read without a database)
    size: int  # bytes of the backup file

    def describe(self) -> str:
        parts = [f"{self.tables} tables"]
        if self.rows is not None:
            parts.append(f"{self.rows} rows")
        parts.append(human_size(self.size))
        return ", ".join(parts)


def human_size(size: int) -> str:
    """1234567 -> '1.2 MB'."""
    value = float(size)
    for unit in ("bytes", "kB", "MB", "GB"):
        if value < 1000 or unit == "GB":
            return f"{int(value)} bytes" if unit == "bytes" else f"{value:.1f} {unit}"
        value /= 1000
    raise AssertionError("unreachable")


def file_kind(path: Path) -> str | None:
    """'sqlite' for an SQLite database file, 'pg_dump' for a pg_dump custom archive, None for anything else."""
    with path.open("rb") as file:
        head = file.read(len(SQLITE_MAGIC))
    if head == SQLITE_MAGIC:
        return "sqlite"
    if head.startswith(PGDUMP_MAGIC):
        return "pg_dump"
    return None


def _describe(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else exc.__class__.__name__


def _fsync_file(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _publish(tmp: Path, path: Path) -> None:
    """Make a complete, fsynced file appear under its final name (atomically, and durably)."""
    _fsync_file(tmp)
    os.replace(tmp, path)
    _fsync_dir(path.parent)


def _tmp_for(path: Path) -> Path:
    tmp = path.with_name(path.name + ".tmp")
    if not path.parent.is_dir():
        raise BackupError(f"cannot write {path}: No such file or directory")
    _remove_tmp(tmp)
    return tmp


def _remove_tmp(tmp: Path) -> None:
    """A temporary copy and whatever SQLite kept beside it (after a failure, or a crash of an earlier run)."""
    for suffix in ("", "-journal", "-wal", "-shm"):
        tmp.with_name(tmp.name + suffix).unlink(missing_ok=True)


# --- SQLite ---------------------------------------------------------------------------------------------------------


def _sqlite_connect(path: str | Path) -> sqlite3.Connection:
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    return conn


def _sqlite_counts(conn: sqlite3.Connection) -> dict[str, int]:
    """Rows per table (SQLite's own tables left out), read in one transaction."""
    names = [row[0] for row in conn.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")]
    conn.execute("BEGIN")
    try:
        return {name: conn.execute(f'SELECT COUNT(*) FROM "{name}"').fetchone()[0] for name in names}
    finally:
        conn.execute("COMMIT")


def _sqlite_integrity(conn: sqlite3.Connection) -> str:
    """'ok', or the first problem PRAGMA integrity_check reports."""
    rows = conn.execute("PRAGMA integrity_check").fetchall()
    return "ok" if rows == [("ok",)] else str(rows[0][0])


def _data_rows(counts: dict[str, int]) -> int:
    return sum(n for name, n in counts.items() if name != MIGRATIONS_TABLE)


def backup_sqlite(db_path: str, out: Path) -> Summary:
    """Copy a (possibly live) SQLite database to `out` as one self-contained file."""
    if db_path == ":memory:":
        raise BackupError("an in-memory database cannot be backed up")
    if not Path(db_path).is_file():
        raise BackupError(f"there is no database at {db_path}")
    if Path(db_path).stat().st_size > 0 and file_kind(Path(db_path)) != "sqlite":  # an empty file is an empty db
        raise BackupError(f"{db_path} is not an SQLite database")
    tmp = _tmp_for(out)
    try:
        src = _sqlite_connect(db_path)
        try:
            dst = _sqlite_connect(tmp)
            try:
                # pages=-1: the whole database in one step under one read transaction, i.e. one consistent snapshot
                # (in WAL mode writers carry on meanwhile; a step-wise copy would restart whenever they commit).
                src.backup(dst, pages=-1)
                dst.execute("PRAGMA journal_mode = DELETE")  # one file, no -wal beside it
                problem = _sqlite_integrity(dst)
                if problem != "ok":
                    raise BackupError(f"the copy failed its integrity check: {problem}")
                counts = _sqlite_counts(dst)
            finally:
                dst.close()
        finally:
            src.close()
        _publish(tmp, out)
    except sqlite3.Error as exc:
        raise BackupError(f"backup failed: {_describe(exc)}") from None
    except OSError as exc:
        raise BackupError(f"cannot write {out}: {exc.strerror or exc}") from None
    finally:
        _remove_tmp(tmp)
    return Summary(tables=len(counts), rows=sum(counts.values()), size=out.stat().st_size)


def restore_sqlite(backup: Path, db_path: str, *, force: bool) -> tuple[Summary, str]:
    """Copy a backup into the database at `db_path` (created when missing) through SQLite itself, so a server that
    has the file open (and its -wal and -shm files) sees the restored data; returns the summary and integrity."""
    if db_path == ":memory:":
        raise BackupError("cannot restore into an in-memory database")
    target = Path(db_path)
    if target.exists() and target.resolve() == backup.resolve():
        raise BackupError(f"{backup} is the database itself")
    if not target.parent.is_dir():
        raise BackupError(f"cannot restore into {db_path}: No such file or directory")
    if target.exists() and target.stat().st_size > 0 and file_kind(target) != "sqlite":
        raise BackupError(f"{db_path} is not an SQLite database; not overwriting it")
    try:
        src = sqlite3.connect(f"file:{backup.resolve()}?mode=ro", uri=True)
    except sqlite3.Error as exc:
        raise BackupError(f"cannot read {backup}: {_describe(exc)}") from None
    try:
        try:
            problem = _sqlite_integrity(src)
        except sqlite3.DatabaseError as exc:
            problem = _describe(exc)
        if problem != "ok":
            raise BackupError(f"the backup {backup} is damaged ({problem}); nothing was restored")
        dst = _sqlite_connect(db_path)
        try:
            if not force:
                rows = _data_rows(_sqlite_counts(dst))
                if rows:
                    raise BackupError(f"the database {db_path} already holds data ({rows} rows); "
                                      "pass --force to replace it")
            src.backup(dst, pages=-1)
            integrity = _sqlite_integrity(dst)
            counts = _sqlite_counts(dst)
        finally:
            dst.close()
    except sqlite3.Error as exc:
        raise BackupError(f"restore failed: {_describe(exc)}") from None
    finally:
        src.close()
    return Summary(tables=len(counts), rows=sum(counts.values()), size=backup.stat().st_size), integrity


# --- PostgreSQL -----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PgTarget:
    """Where a PostgreSQL URL points, as libpq's environment variables (so no password is on a command line)."""

    host: str | None
    port: int | None
    user: str | None
    password: str | None
    database: str
    sslmode: str | None

    @classmethod
    def from_url(cls, url: str) -> "PgTarget":
        from tortoise.backends.base.config_generator import expand_db_url

        creds = expand_db_url(url)["credentials"]
        port = creds.get("port")
        return cls(host=creds.get("host") or None, port=int(port) if port else None, user=creds.get("user") or None,
                   password=creds.get("password") or None, database=str(creds["database"]),
                   sslmode=creds.get("sslmode") or None)

    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
        pairs = {"PGHOST": self.host, "PGPORT": str(self.port) if self.port else None, "PGUSER": self.user,
                 "PGPASSWORD": self.password, "PGDATABASE": self.database, "PGSSLMODE": self.sslmode,
                 "PGCONNECT_TIMEOUT": "10"}
        env.update({k: v for k, v in pairs.items() if v})
        return env

    def scrub(self, text: str) -> str:
        """`text` without the password, for messages."""
        return text.replace(self.password, "***") if self.password else text


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise BackupError(f"{name} was not found on PATH: install the PostgreSQL client tools "
                          "(the server's major version or newer) to back up or restore PostgreSQL")
    return path


def _run_tool(target: PgTarget, args: list[str]) -> subprocess.CompletedProcess[str]:
    name = Path(args[0]).name
    try:
        result = subprocess.run(args, env=target.env(), capture_output=True, text=True, stdin=subprocess.DEVNULL)
    except OSError as exc:
        raise BackupError(f"cannot run {name}: {exc.strerror or exc}") from None
    if result.returncode != 0:
        lines = [line for line in result.stderr.splitlines() if line.strip()]
        # pg_restore prefixes context lines ("pg_restore: while PROCESSING TOC:"); the error proper says "error:".
        errors = [line for line in lines if "error:" in line.lower()] or lines or [f"exit status {result.returncode}"]
        message = re.sub(rf"^{re.escape(name)}: (error: )?", "", errors[0].strip())
        raise BackupError(target.scrub(f"{name} failed: {message}"))
    return result


def _archive_tables(target: PgTarget, archive: Path) -> int:
    """How many tables' data a pg_dump archive holds (from its table of contents)."""
    listing = _run_tool(target, [_tool("pg_restore"), "--list", str(archive)]).stdout
    return sum(1 for line in listing.splitlines() if " TABLE DATA " in line and not line.startswith(";"))


def backup_postgres(url: str, out: Path) -> Summary:
    """`pg_dump --format=custom` of the database behind `url` into `out` (via out.tmp, fsynced, renamed)."""
    target = PgTarget.from_url(url)
    pg_dump = _tool("pg_dump")
    tmp = _tmp_for(out)
    try:
        _run_tool(target, [pg_dump, "--format=custom", "--no-password", f"--file={tmp}"])
        tables = _archive_tables(target, tmp)
        _publish(tmp, out)
    except OSError as exc:
        raise BackupError(f"cannot write {out}: {exc.strerror or exc}") from None
    finally:
        _remove_tmp(tmp)
    return Summary(tables=tables, rows=None, size=out.stat().st_size)


async def _pg_counts(target: PgTarget) -> dict[str, int]:
    """Rows per table of the public schema, in one snapshot."""
    import asyncpg

    conn = await asyncpg.connect(host=target.host, port=target.port, user=target.user, password=target.password,
                                 database=target.database, ssl=target.sslmode, timeout=10)
    try:
        async with conn.transaction(isolation="repeatable_read", readonly=True):
            names = [row["tablename"] for row in await conn.fetch(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename")]
            return {name: await conn.fetchval(f'SELECT COUNT(*) FROM public."{name}"') for name in names}
    finally:
        await conn.close()


def pg_counts(url: str) -> dict[str, int]:
    target = PgTarget.from_url(url)
    try:
        return asyncio.run(_pg_counts(target))
    except Exception as exc:  # driver and network errors: one line, without the password
        raise BackupError(target.scrub(f"cannot read the database: {_describe(exc)}")) from None


def restore_postgres(backup: Path, url: str, *, force: bool) -> Summary:
    """`pg_restore --clean --if-exists --no-owner` of a pg_dump archive into the database behind `url`, in one
    transaction (a failure leaves the database as it was)."""
    target = PgTarget.from_url(url)
    pg_restore = _tool("pg_restore")
    if not force:
        rows = _data_rows(pg_counts(url))
        if rows:
            raise BackupError(f"the database {target.database} already holds data ({rows} rows); "
                              "pass --force to replace it")
    _run_tool(target, [pg_restore, "--clean", "--if-exists", "--no-owner", "--no-acl", "--single-transaction",
                       "--no-password", f"--dbname={target.database}", str(backup)])
    counts = pg_counts(url)
    return Summary(tables=len(counts), rows=sum(counts.values()), size=backup.stat().st_size)


def is_postgres_url(url: str) -> bool:
    return urlsplit(url).scheme in {"postgres", "postgresql", "asyncpg"}
