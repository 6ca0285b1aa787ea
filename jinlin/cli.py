"""The `jinlin` command: serve, migrate, seed, export-schema, backup, restore; bad settings end in one line on
stderr."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sqlite3
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TypeVar

from tortoise import Tortoise
from tortoise.migrations.api import migrate as tortoise_migrate

from jinlin import settings as settings_module
from jinlin import web
from jinlin.db import tortoise_config
from jinlin.settings import Settings, SettingsError, redacted_url

T = TypeVar("T")
log = logging.getLogger("jinlin")


class CliError(Exception):
    """A failure to report as one line, without a traceback."""


def _describe(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else exc.__class__.__name__
    return text


def _check_sqlite_file(settings: Settings) -> None:
    """Open an SQLite file once with the standard library: when SQLite cannot open it (missing directory, no
    permission), tortoise's migrator swallows the error and then waits forever on the connection lock it holds."""
    path = settings_module.sqlite_path(settings.db_url)
    if path and path != ":memory:":
        try:
            sqlite3.connect(path).close()
        except sqlite3.Error as exc:
            raise CliError(f"database error ({redacted_url(settings.db_url)}): {_describe(exc)}") from None


async def apply_migrations(settings: Settings) -> None:
    """Bring the schema up to date (the same migrations on SQLite and PostgreSQL)."""
    _check_sqlite_file(settings)
    try:
        await tortoise_migrate(config=tortoise_config(settings.db_url))
    finally:
        await Tortoise.close_connections()


async def with_orm(settings: Settings, work: Callable[[], Awaitable[T]]) -> T:
    """Run `work` with the ORM initialised on the configured database, closing connections afterwards."""
    await Tortoise.init(config=tortoise_config(settings.db_url), _enable_global_fallback=True)
    try:
        return await work()
    finally:
        await Tortoise.close_connections()


def _run_db(settings: Settings, coro_factory: Callable[[], Awaitable[T]]) -> T:
    """Run database work, turning connection and migration failures into a CliError."""
    try:
        return asyncio.run(coro_factory())
    except (CliError, SettingsError):
        raise
    except Exception as exc:  # driver, network and migration errors all end the command the same way
        raise CliError(f"database error ({redacted_url(settings.db_url)}): {_describe(exc)}") from exc


def cmd_migrate(args: argparse.Namespace) -> None:
    settings = settings_module.load(db_url=args.db)
    _run_db(settings, lambda: apply_migrations(settings))
    print(f"migrations applied to {redacted_url(settings.db_url)}")


def cmd_seed(args: argparse.Namespace) -> None:
    from jinlin.seed import SeedError, seed

    settings = settings_module.load(db_url=args.db)

    async def work() -> dict[str, int]:
        await apply_migrations(settings)
        try:
            return await with_orm(settings, lambda: seed(scale=args.scale))
        except SeedError as exc:
            raise CliError(str(exc)) from None

    counts = _run_db(settings, work)
    print(f"seeded {args.scale}: " + ", ".join(f"{n} {what}" for what, n in counts.items()))


def _db_url_only(args: argparse.Namespace) -> str:
    """The database URL of `--db` or JINLIN_DB_URL, checked: backup and restore need nothing else (no secret key, so
    a backup job needs no signing key and creates no development secret)."""
    url = args.db or os.environ.get("JINLIN_DB_URL") or settings_module.DEFAULT_DB_URL
    return settings_module.normalise_db_url(url)


def cmd_backup(args: argparse.Namespace) -> None:
    from jinlin import backup

    url = _db_url_only(args)
    out = Path(args.path)
    try:
        if backup.is_postgres_url(url):
            summary = backup.backup_postgres(url, out)
            kind = "pg_dump custom archive"
        else:
            db_file = settings_module.sqlite_path(url) or ""
            if db_file != ":memory:" and out.exists() and out.resolve() == Path(db_file).resolve():
                raise CliError(f"{out} is the database itself; choose another path")
            summary = backup.backup_sqlite(db_file, out)
            kind = "SQLite database"
    except backup.BackupError as exc:
        raise CliError(str(exc)) from None
    print(f"backed up {redacted_url(url)} to {out} ({kind}): {summary.describe()}")


def cmd_restore(args: argparse.Namespace) -> None:
    from jinlin import backup

    url = _db_url_only(args)
    source = Path(args.path)
    try:
        kind = backup.file_kind(source)
    except OSError as exc:
        raise CliError(f"cannot read {source}: {exc.strerror or exc}") from None
    postgres = backup.is_postgres_url(url)
    if kind is None:
        raise CliError(f"{source} is not a jinlin backup (neither an SQLite database nor a pg_dump custom archive)")
    if kind == "sqlite" and postgres:
        raise CliError(f"{source} is an SQLite backup; it cannot be restored into PostgreSQL ({redacted_url(url)})")
    if kind == "pg_dump" and not postgres:
        raise CliError(f"{source} is a PostgreSQL backup (pg_dump archive); it cannot be restored into SQLite "
                       f"({redacted_url(url)})")
    try:
        if postgres:
            summary = backup.restore_postgres(source, url, force=args.force)
            checked = ""
        else:
            summary, integrity = backup.restore_sqlite(source, settings_module.sqlite_path(url) or "",
                                                       force=args.force)
            if integrity != "ok":
                raise CliError(f"restored {source} into {redacted_url(url)}, but integrity_check reports: {integrity}")
            checked = ", integrity_check ok"
    except backup.BackupError as exc:
        raise CliError(str(exc)) from None
    print(f"restored {source} into {redacted_url(url)}: {summary.tables} tables, {summary.rows} rows{checked}")


def cmd_stats_check(args: argparse.Namespace) -> None:
    """`jinlin stats-check`: the org statistics counters against a live recount; `--repair` rebuilds them."""
    from models import org as org_model

    settings = settings_module.load(db_url=args.db)

    async def work() -> list[int]:
        wrong = sorted(await org_model.stats_mismatches())
        if wrong and args.repair:
            await org_model.rebuild_stats()
        return wrong

    wrong = _run_db(settings, lambda: with_orm(settings, work))
    if not wrong:
        print("org statistics: every org's counters match a live recount")
    elif args.repair:
        print(f"org statistics: rebuilt the counters ({len(wrong)} orgs differed from a live recount)")
    else:
        shown = ", ".join(str(org_id) for org_id in wrong[:10]) + (", ..." if len(wrong) > 10 else "")
        raise CliError(f"org statistics: the counters of {len(wrong)} orgs differ from a live recount (org ids "
                       f"{shown}); `jinlin stats-check --repair` rebuilds them")


def cmd_export_schema(args: argparse.Namespace) -> None:
    from schema.root import build_schema

    sdl = build_schema().as_str() + "\n"
    if args.output in (None, "-"):
        sys.stdout.write(sdl)
    else:
        try:
            Path(args.output).write_text(sdl, encoding="utf-8")
        except OSError as exc:
            raise CliError(f"cannot write {args.output}: {exc.strerror or exc}") from None
        print(f"schema written to {args.output}")


def cmd_serve(args: argparse.Namespace) -> None:
    import uvicorn

    from jinlin.seed import DEMO_PASSWORD, is_empty, seed

    settings = settings_module.load(db_url=args.db)

    async def prepare() -> str | None:
        await apply_migrations(settings)
        if not args.demo:
            return None

        async def load_demo() -> str | None:
            if not await is_empty():
                return None
            await seed(scale="demo")
            return DEMO_PASSWORD

        return await with_orm(settings, load_demo)

    seeded = _run_db(settings, prepare)
    if args.demo:
        print("demo data loaded (password for every demo account: jinlin-demo)" if seeded
              else "database already holds data; demo data not loaded again", flush=True)
    # Workers are separate processes: hand them the resolved settings through the environment.
    os.environ["JINLIN_DB_URL"] = settings.db_url
    os.environ["JINLIN_SECRET_KEY"] = settings.secret_key
    if settings.secret_key_previous:
        os.environ["JINLIN_SECRET_KEY_PREVIOUS"] = settings.secret_key_previous
    os.environ["JINLIN_ENV"] = settings.env
    if args.workers > 1 and settings.redis_url is None:
        print("warning: several workers without JINLIN_REDIS_URL: a live update reaches only the subscribers of the "
              "worker that made the change", file=sys.stderr, flush=True)
    print(f"serving GraphQL on http://{args.host}:{args.port}/graphql (subscriptions: ws://{args.host}:{args.port}"
          "/graphql)", flush=True)
    if (web.folder(settings.web_dist) / "index.html").is_file():
        print(f"serving the mobile web app on http://{args.host}:{args.port}/ (open it in a phone-sized window)",
              flush=True)
    # A restart waits for running requests (their time limit, and a little) but not for ever on open websockets,
    # and a websocket message is a subscription request: 1 MiB is plenty (uvicorn's default is 16 MiB).
    uvicorn.run("app:create_app", factory=True, host=args.host, port=args.port, workers=args.workers,
                log_level="info", proxy_headers=True, server_header=False,
                timeout_graceful_shutdown=settings.request_timeout + 5, ws_max_size=1024 * 1024)


def cmd_bench(args: argparse.Namespace) -> None:
    """`jinlin bench`: the five mobile screens, GraphQL beside hand-written SQL (bench/harness.py)."""
    from bench import harness

    try:
        harness.main(args)
    except harness.BenchError as exc:
        raise CliError(str(exc)) from None


def build_parser() -> argparse.ArgumentParser:
    """The command line, declared in one place."""
    parser = argparse.ArgumentParser(prog="jinlin", description="近邻 (Close Neighbour) GraphQL service")
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="apply migrations, then serve /graphql")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--db", help="database URL (default: $JINLIN_DB_URL or sqlite://jinlin.sqlite3)")
    serve.add_argument("--demo", action="store_true", help="load the demo data set into an empty database first")
    serve.add_argument("--workers", type=int, default=1)
    serve.set_defaults(func=cmd_serve)

    migrate = sub.add_parser("migrate", help="apply pending migrations")
    migrate.add_argument("--db")
    migrate.set_defaults(func=cmd_migrate)

    seed = sub.add_parser("seed", help="load a data set into an empty database")
    seed.add_argument("--scale", choices=["demo", "siming"], default="demo")
    seed.add_argument("--db")
    seed.set_defaults(func=cmd_seed)

    backup = sub.add_parser("backup", help="copy the database to PATH (SQLite: online backup; PostgreSQL: pg_dump)")
    backup.add_argument("path", metavar="PATH")
    backup.add_argument("--db", help="database URL (default: $JINLIN_DB_URL or sqlite://jinlin.sqlite3)")
    backup.set_defaults(func=cmd_backup)

    restore = sub.add_parser("restore", help="put a backup from PATH into the database")
    restore.add_argument("path", metavar="PATH")
    restore.add_argument("--db", help="database URL (default: $JINLIN_DB_URL or sqlite://jinlin.sqlite3)")
    restore.add_argument("--force", action="store_true", help="replace a database that already holds data")
    restore.set_defaults(func=cmd_restore)

    bench = sub.add_parser("bench", help="benchmark the mobile screens: GraphQL beside hand-written SQL, on a fresh "
                                         "siming-scale database")
    bench.add_argument("--quick", action="store_true", help="3 s per measurement (the whole run under two minutes)")
    bench.add_argument("--db", help="a PostgreSQL database to drop and recreate (its name must contain 'bench'), or "
                                    "a new SQLite file (default: a temporary SQLite file)")
    bench.add_argument("--workers", type=int, default=1, help="server worker processes (GraphQL and raw alike)")
    bench.add_argument("--duration", type=float, help="seconds per measurement (default 15, or 3 with --quick)")
    bench.add_argument("--markdown", metavar="FILE", help="append the results, with the machine, to FILE")
    bench.add_argument("--loadgen", choices=["auto", "wrk", "builtin"], default="auto",
                       help="load generator (auto: wrk when on PATH, else the built-in one)")
    bench.add_argument("--scale", type=int, default=1, help="the siming data set this many times over "
                                                             "(bench/scale.py; 10 for the 10x check)")
    bench.set_defaults(func=cmd_bench)

    export = sub.add_parser("export-schema", help="print or write the GraphQL SDL")
    export.add_argument("-o", "--output", default=None)
    export.set_defaults(func=cmd_export_schema)

    stats = sub.add_parser("stats-check", help="compare the org statistics counters with a live recount")
    stats.add_argument("--db")
    stats.add_argument("--repair", action="store_true", help="rebuild the counters from the rows when they differ")
    stats.set_defaults(func=cmd_stats_check)
    return parser


def main(argv: list[str] | None = None) -> None:
    """Entry point of the console script."""
    args = build_parser().parse_args(argv)
    if getattr(args, "workers", 1) < 1:
        print("jinlin: --workers must be at least 1", file=sys.stderr)
        raise SystemExit(2)
    try:
        args.func(args)
    except (SettingsError, CliError) as exc:
        print(f"jinlin: {exc}", file=sys.stderr)
        raise SystemExit(1) from None
    except KeyboardInterrupt:
        raise SystemExit(130) from None


if __name__ == "__main__":
    main()
