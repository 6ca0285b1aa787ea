"""Test harness: a fresh migrated database per test (in-memory SQLite, or PostgreSQL via JINLIN_TEST_DB_URL),
the real ASGI app over httpx, demo data with tokens, and an SQL statement counter."""

from __future__ import annotations

from collections import Counter
import os
import sqlite3
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import aiosqlite
import httpx
import pytest
from tortoise import Tortoise
from tortoise.backends.base.executor import EXECUTOR_CACHE
from tortoise.connection import get_connection
from tortoise.migrations.executor import MigrationExecutor

from app import create_app
from auth import tokens
from auth.tokens import TokenType
from jinlin import db
from jinlin.db import tortoise_config
from jinlin.settings import Settings, normalise_db_url

TEST_DB_URL = os.environ.get("JINLIN_TEST_DB_URL")
SECRET = "test-secret-key-that-is-long-enough-0123456789"
_pg_migrated = False
# The in-memory SQLite database as the real migrations leave it, made once per session and copied into each test's.
_sqlite_migrated: sqlite3.Connection | None = None


# Test apps serve the API alone unless a test hands them a build: whether web/dist happens to be built (the README's
# commands build it) must not change what /nowhere or /graphiql answers. tests/test_web.py covers the app at /.
NO_WEB_BUILD = os.path.join(os.path.dirname(__file__), "no-web-build")


def make_settings(**overrides: Any) -> Settings:
    """Settings for a test app (development mode, and no web app, unless overridden)."""
    url = normalise_db_url(TEST_DB_URL) if TEST_DB_URL else "sqlite://:memory:"
    return Settings(db_url=url, secret_key=SECRET, **{"web_dist": NO_WEB_BUILD, **overrides})


async def _migrate(config: dict) -> None:
    """Run every tortoise migration for real on the default connection (what `jinlin migrate` does)."""
    await MigrationExecutor(get_connection("default"), config["apps"]).migrate(None)


async def _sqlite_connection() -> aiosqlite.Connection:
    """The aiosqlite connection under tortoise's default client, opened now if tortoise has not yet."""
    client = get_connection("default")
    await client.create_connection(with_db=True)  # a no-op when the connection is already open
    connection = client._connection
    assert isinstance(connection, aiosqlite.Connection), connection
    return connection


async def _fresh_sqlite_database(config: dict) -> None:
    """Migrate an in-memory SQLite database: for real the first time in the session, afterwards by copying the pages
    of that first result in (sqlite3's backup API), which gives the very same schema and migration records in ~1 ms."""
    global _sqlite_migrated
    connection = await _sqlite_connection()
    if _sqlite_migrated is None:
        await _migrate(config)
        migrated = sqlite3.connect(":memory:", check_same_thread=False)
        await connection.backup(migrated)
        _sqlite_migrated = migrated
        return
    # The copy runs on this thread while tortoise's worker thread sits idle (nothing has used the connection yet);
    # connection-level settings that tortoise set on connecting (foreign_keys=ON and the rest) are kept.
    _sqlite_migrated.backup(connection._conn)


async def _fresh_database(settings: Settings) -> None:
    """Init the ORM on a clean, migrated database: in-memory SQLite gets a copy of the session's one real migration,
    PostgreSQL is migrated once and truncated per test, any other database (a SQLite file) is migrated for real."""
    global _pg_migrated
    config = tortoise_config(settings.db_url)
    # tortoise caches each table's INSERT per connection name, not per dialect: a test that opened SQLite in a
    # PostgreSQL session would otherwise hand later PostgreSQL inserts SQLite's `?` placeholders.
    EXECUTOR_CACHE.clear()
    await Tortoise.init(config=config, _enable_global_fallback=True)
    if not db.is_postgres():
        if get_connection("default").filename == ":memory:":
            await _fresh_sqlite_database(config)
        else:
            await _migrate(config)
        return
    if not _pg_migrated:
        await db.execute("DROP SCHEMA public CASCADE")
        await db.execute("CREATE SCHEMA public")
        await _migrate(config)
        _pg_migrated = True
        return
    tables = [row["tablename"] for row in await db.fetch(
        "SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename NOT LIKE 'tortoise%'")]
    await db.execute(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE")


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Close the session's migrated SQLite database once no test needs a copy of it."""
    global _sqlite_migrated
    if _sqlite_migrated is not None:
        _sqlite_migrated.close()
        _sqlite_migrated = None


@pytest.fixture
def settings() -> Settings:
    return make_settings()


@pytest.fixture
async def database(settings: Settings) -> AsyncIterator[None]:
    await _fresh_database(settings)
    try:
        yield
    finally:
        await Tortoise.close_connections()


@pytest.fixture
async def client(settings: Settings, database: None) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(settings, init_db=False)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        yield http


@dataclass
class Api:
    """Posts GraphQL to the app like a phone would, as anonymous or as a demo account."""

    http: httpx.AsyncClient
    settings: Settings
    users: dict[str, int] = field(default_factory=dict)

    def token(self, phone: str) -> str:
        """A fresh access token for a seeded account (no password hashing in the hot path of tests)."""
        return tokens.issue(self.settings, user_id=self.users[phone], typ=TokenType.ACCESS)[0]

    async def post(self, query: str, variables: dict | None = None, *, as_: str | None = None,
                   token: str | None = None, lang: str | None = None) -> httpx.Response:
        headers = {}
        if as_ is not None:
            headers["Authorization"] = f"Bearer {self.token(as_)}"
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        if lang is not None:
            headers["Accept-Language"] = lang
        return await self.http.post("/graphql", json={"query": query, "variables": variables or {}},
                                    headers=headers)

    async def __call__(self, query: str, variables: dict | None = None, **kwargs: Any) -> dict:
        response = await self.post(query, variables, **kwargs)
        assert response.status_code == 200, response.text
        return response.json()

    async def ok(self, query: str, variables: dict | None = None, **kwargs: Any) -> dict:
        """Data of a response that must have no top-level errors."""
        body = await self(query, variables, **kwargs)
        assert "errors" not in body, body
        return body["data"]


@pytest.fixture
async def api(client: httpx.AsyncClient, settings: Settings) -> Api:
    return Api(http=client, settings=settings)


@pytest.fixture
async def demo(api: Api) -> Api:
    """The contract's demo data set, with its accounts ready to act."""
    from jinlin.seed import seed
    from models.user import User

    await seed(scale="demo")
    api.users = {u.phone: u.id for u in await User.all()}
    return api


# Statement counting lives with the database helpers (the benchmark counts the same way).
SqlCounter = db.StatementCounter
count_sql = db.count_statements


def gid(type_name: str, pk: int) -> str:
    """Global id of a row, as the API shows it."""
    from schema.relay import to_global_id

    return to_global_id(type_name, pk)


async def org_id(name: str) -> str:
    """Global id of a seeded org by name."""
    from models.org import Org

    return gid("Org", (await Org.get(name=name)).id)


def outcome(body: dict, field: str) -> str:
    """How a call ended: OK, the payload's error codes (with fields), or the top-level error code."""
    if "errors" in body:
        assert body["data"] is None, body
        return body["errors"][0]["extensions"]["code"]
    errors = body["data"][field]["errors"]
    return " ".join(f"{e['code']}:{'.'.join(e['field'] or [])}" for e in errors) or "OK"


def outcomes(bodies: list[dict], field: str) -> Counter:
    """How racing calls ended: OK, or their payload error codes; a top-level error (a masked fault) fails the test."""
    seen: Counter = Counter()
    for body in bodies:
        assert "errors" not in body, body
        seen["+".join(e["code"] for e in body["data"][field]["errors"]) or "OK"] += 1
    return seen


def pk(global_id: str) -> int:
    """The primary key behind a global id (the id must decode)."""
    from schema.relay import from_global_id

    decoded = from_global_id(global_id)
    assert decoded is not None, global_id
    return decoded[1]


async def project_gid(title: str) -> str:
    """Global id of a seeded project by title."""
    from models.project import Project

    return gid("Project", (await Project.get(title=title)).id)


async def person(demo: Api, phone: str, name: str, *roles: tuple[str, Any]) -> None:
    """A further account with roles (MemberRole) in named orgs, ready to act as `phone`."""
    from models.org import Org
    from models.user import Membership, User

    user = await User.create(phone=phone, display_name=name, password_hash="-")
    demo.users[phone] = user.id
    for org_name, role in roles:
        await Membership.create(user=user, org=await Org.get(name=org_name), role=role)
