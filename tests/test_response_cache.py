"""The response cache (jinlin/response_cache.py): persisted-query answers served again without running GraphQL,
never to another viewer and never after a write to a table they were built from."""

from __future__ import annotations

import asyncio
import hashlib
import json
from typing import Any

import httpx
import pytest
from tortoise.transactions import in_transaction

from app import create_app
from bench.screens import MY_ORDERS, PROJECTS_NEAR_ME
from jinlin import db
from jinlin.response_cache import VERSIONED, ResponseCache, current_versions, tables_in
from jinlin.seed import seed
from models.user import User
from tests.conftest import Api, count_sql, make_settings, pk

# Tables no answer is built from: tortoise's, the idempotency and persisted-query stores, login throttling,
# refresh tokens, and the versions themselves.
UNVERSIONED = {"tortoise_migrations", "idempotency_key", "persisted_query", "login_failure", "refresh_token",
               "data_version",
               # org statistics counters: written only with their source tables, which the reading statement names
               # (models.org.STATS_SOURCES_SQL); org_stat_bulk is the SQLite switch of their triggers
               "org_stat", "org_stat_partner", "org_stat_commissioner", "org_stat_bulk"}

CLAIM = """mutation($input: ClaimProjectInput!) {
  claimProject(input: $input) { claim { id } errors { code field } }
}"""

PLACE_ORDER = """mutation($input: PlaceOrderInput!) { placeOrder(input: $input) { order { id } errors { code } } }"""

COMPOUND_OF = """query { orders(filter: {mine: true}, first: 1) { nodes { compound { id } } } }"""

NEW_ORG = "INSERT INTO org (name, kind, depth, created_at) VALUES ('新区', 'DISTRICT', 0, CURRENT_TIMESTAMP)"

BROKEN = """query { projects(first: 1000) { nodes { id } } }"""


def _params(document: str, variables: dict[str, Any] | None) -> dict[str, str]:
    sha = hashlib.sha256(document.encode()).hexdigest()
    params = {"extensions": json.dumps({"persistedQuery": {"version": 1, "sha256Hash": sha}}, separators=(",", ":"))}
    if variables is not None:
        params["variables"] = json.dumps(variables, separators=(",", ":"))
    return params


class Phone:
    """A phone sending persisted queries by hash over GET, the way the cache sees them."""

    def __init__(self, api: Api, http: httpx.AsyncClient) -> None:
        self.api, self.http = api, http
        self.registered: set[str] = set()

    def headers(self, as_: str | None, lang: str | None = None) -> dict[str, str]:
        headers = {"Accept-Encoding": "identity"}
        if as_ is not None:
            headers["Authorization"] = f"Bearer {self.api.token(as_)}"
        if lang is not None:
            headers["Accept-Language"] = lang
        return headers

    async def get(self, document: str, variables: dict[str, Any] | None = None, *, as_: str | None = None,
                  lang: str | None = None) -> httpx.Response:
        if document not in self.registered:  # Apollo's registration: POST the document with its hash, once
            sha = hashlib.sha256(document.encode()).hexdigest()
            await self.http.post("/graphql", json={"query": document, "variables": variables or {}, "extensions": {
                "persistedQuery": {"version": 1, "sha256Hash": sha}}}, headers=self.headers(as_))
            self.registered.add(document)
        response = await self.http.get("/graphql", params=_params(document, variables),
                                       headers=self.headers(as_, lang))
        assert response.status_code == 200, response.text
        return response

    async def data(self, document: str, variables: dict[str, Any] | None = None, **kwargs: Any) -> dict:
        body = (await self.get(document, variables, **kwargs)).json()
        assert "errors" not in body, body
        return body["data"]


def _cache(app: Any) -> ResponseCache:
    """The app's response-cache middleware (built on the first request)."""
    layer = app.middleware_stack
    while not isinstance(layer, ResponseCache):
        layer = layer.app
    return layer


@pytest.fixture
async def phone(demo: Api) -> Phone:
    return Phone(demo, demo.http)


async def test_a_repeated_screen_is_answered_from_the_cache_with_one_statement(phone: Phone) -> None:
    first = await phone.get(PROJECTS_NEAR_ME.query, {"first": 20}, as_="13800000004")
    with count_sql() as sql:
        second = await phone.get(PROJECTS_NEAR_ME.query, {"first": 20}, as_="13800000004")
    assert second.content == first.content
    assert second.headers["etag"] == first.headers["etag"]
    assert sql.statements == ["SELECT name, version FROM data_version: []"]
    assert first.json()["data"]["projects"]["nodes"], "the member has claimable projects in the demo"


async def test_an_answer_is_never_served_to_another_viewer(phone: Phone) -> None:
    """The resident's own orders are not what the member or an anonymous phone gets for the same request."""
    resident = await phone.data(MY_ORDERS.query, {"first": 20}, as_="13800000006")
    member = await phone.data(MY_ORDERS.query, {"first": 20}, as_="13800000004")
    anonymous = (await phone.get(MY_ORDERS.query, {"first": 20})).json()
    assert resident["orders"]["totalCount"] > 0
    assert member["orders"] == {"totalCount": 0, "nodes": [], "pageInfo": {"hasNextPage": False, "endCursor": None}}
    assert anonymous["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert await phone.data(MY_ORDERS.query, {"first": 20}, as_="13800000006") == resident


async def test_a_claim_shows_at_once_on_the_next_read(phone: Phone) -> None:
    """Never older than the last write it depends on: the claim through the API bumps the claim and project
    versions in its own transaction."""
    before = await phone.data(PROJECTS_NEAR_ME.query, {"first": 20}, as_="13800000004")
    project = before["projects"]["nodes"][0]
    claimed = await phone.api.ok(CLAIM, {"input": {"projectId": project["id"]}}, as_="13800000004")
    assert claimed["claimProject"]["errors"] == []
    after = await phone.data(PROJECTS_NEAR_ME.query, {"first": 20}, as_="13800000004")
    assert after != before
    assert project["id"] not in [node["id"] for node in after["projects"]["nodes"]] or next(
        node for node in after["projects"]["nodes"] if node["id"] == project["id"]
    )["remaining"] == project["remaining"] - 1


async def test_a_write_that_bypasses_the_api_invalidates_too(phone: Phone) -> None:
    """The triggers bump versions whoever writes: a hand-written UPDATE renames an org on the next read."""
    before = await phone.data(PROJECTS_NEAR_ME.query, {"first": 20}, as_="13800000004")
    org = before["projects"]["nodes"][0]["org"]
    await db.execute("UPDATE org SET name = ? WHERE id = ?", ["改名后的支部", pk(org["id"])])
    after = await phone.data(PROJECTS_NEAR_ME.query, {"first": 20}, as_="13800000004")
    assert {node["org"]["name"] for node in after["projects"]["nodes"] if node["org"]["id"] == org["id"]} == {
        "改名后的支部"}


async def test_a_write_to_other_tables_keeps_the_answer(phone: Phone) -> None:
    """An order touches no table of the projects screen: the next read is still a hit."""
    await phone.data(PROJECTS_NEAR_ME.query, {"first": 20}, as_="13800000004")
    compound = (await phone.api.ok(COMPOUND_OF, as_="13800000006"))["orders"]["nodes"][0]["compound"]["id"]
    placed = await phone.api.ok(PLACE_ORDER, {"input": {"compoundId": compound, "category": "REPAIR",
                                                       "description": "水龙头漏水"}}, as_="13800000006")
    assert placed["placeOrder"]["errors"] == []
    with count_sql() as sql:
        await phone.data(PROJECTS_NEAR_ME.query, {"first": 20}, as_="13800000004")
    assert sql.count == 1


async def test_a_rolled_back_write_bumps_nothing(phone: Phone) -> None:
    before = await current_versions()
    with pytest.raises(RuntimeError):
        async with in_transaction():
            await db.execute("UPDATE org SET name = name || '!'")
            raise RuntimeError("roll back")
    assert await current_versions() == before


async def test_a_committed_write_bumps_its_tables(phone: Phone) -> None:
    before = await current_versions()
    await db.execute("UPDATE project SET title = title || '!' WHERE id = (SELECT MIN(id) FROM project)")
    after = await current_versions()
    assert after["project"] == before.get("project", 0) + 1
    assert {name for name in after if after[name] != before.get(name, 0)} <= {"project", "*"}


async def test_answers_differ_by_language(phone: Phone) -> None:
    """The key holds the language: an English phone never gets the Chinese answer (and errors are never kept)."""
    zh = (await phone.get(BROKEN, as_="13800000004")).json()
    en = (await phone.get(BROKEN, as_="13800000004", lang="en")).json()
    assert zh["errors"][0]["message"] != en["errors"][0]["message"]
    assert _cache(phone.http._transport.app).entries == {}, "an answer with errors is never kept"


async def test_an_answer_expires_after_its_ttl(phone: Phone, monkeypatch: pytest.MonkeyPatch) -> None:
    import jinlin.response_cache as module

    clock = [1000.0]
    monkeypatch.setattr(module.time, "monotonic", lambda: clock[0])
    await phone.get(PROJECTS_NEAR_ME.query, {"first": 20}, as_="13800000004")
    clock[0] += 59
    with count_sql() as sql:
        await phone.get(PROJECTS_NEAR_ME.query, {"first": 20}, as_="13800000004")
    assert sql.count == 1
    clock[0] += 2
    with count_sql() as sql:
        await phone.get(PROJECTS_NEAR_ME.query, {"first": 20}, as_="13800000004")
    assert sql.count > 1


async def test_identical_requests_at_once_are_computed_once(phone: Phone) -> None:
    await phone.get(PROJECTS_NEAR_ME.query, {"first": 20}, as_="13800000004")  # registered, and a first answer
    await db.execute("UPDATE project SET title = title WHERE id = (SELECT MIN(id) FROM project)")  # invalidate it
    with count_sql() as sql:
        answers = await asyncio.gather(*(phone.get(PROJECTS_NEAR_ME.query, {"first": 20}, as_="13800000004")
                                         for _ in range(8)))
    assert len({a.content for a in answers}) == 1
    reads = [s for s in sql.statements if not s.startswith("SELECT name, version FROM data_version")]
    with count_sql() as single:
        await db.execute("UPDATE project SET title = title WHERE id = (SELECT MIN(id) FROM project)")
    with count_sql() as one:
        await phone.get(PROJECTS_NEAR_ME.query, {"first": 20}, as_="13800000004")
    assert len(reads) == one.count - 1, "eight phones at once cost one computation"
    assert single.count == 1


async def test_the_cache_can_be_turned_off(database: None) -> None:
    app = create_app(make_settings(response_cache=False), init_db=False)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as http:
        await seed(scale="demo")
        api = Api(http=http, settings=make_settings(), users={u.phone: u.id for u in await User.all()})
        phone = Phone(api, http)
        await phone.get(PROJECTS_NEAR_ME.query, {"first": 20}, as_="13800000004")
        with count_sql() as sql:
            await phone.get(PROJECTS_NEAR_ME.query, {"first": 20}, as_="13800000004")
    assert not any("data_version" in s for s in sql.statements)
    assert sql.count > 1


async def test_every_table_an_answer_can_read_has_a_version(database: None) -> None:
    """A table added later without triggers would let the cache serve stale answers: this names it."""
    if db.is_postgres():
        rows = await db.fetch("SELECT tablename AS name FROM pg_tables WHERE schemaname = 'public'")
        triggered = {row["t"] for row in await db.fetch(
            "SELECT c.relname AS t FROM pg_trigger g JOIN pg_class c ON c.oid = g.tgrelid "
            "WHERE g.tgname = 'data_version_bump'")}
    else:
        rows = await db.fetch("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")
        triggers = {row["name"] for row in await db.fetch("SELECT name FROM sqlite_master WHERE type = 'trigger'")}
        triggered = {t for t in VERSIONED if all(f"data_version_{t}_{e}" in triggers
                                                 for e in ("insert", "update", "delete"))}
    tables = {row["name"] for row in rows}
    assert tables - UNVERSIONED == set(VERSIONED)
    assert triggered == set(VERSIONED)


def test_tables_are_read_off_the_statement() -> None:
    assert tables_in('SELECT "id" FROM "project" LEFT OUTER JOIN "org" "o" ON o.id = project.org_id') == {
        "project", "org"}
    assert tables_in("SELECT 1 FROM org_closure cl, claim c WHERE c.project_id IN (SELECT id FROM project)") == {
        "org_closure", "claim", "project"}
    assert tables_in("SELECT name, version FROM data_version") == set()
    assert {"claim", "project", "registration", "org_closure"} <= tables_in("SELECT * FROM org_stat WHERE org_id = ?")


async def test_a_sqlite_file_is_read_on_the_loop_and_sees_a_write_at_once(tmp_path: Any) -> None:
    """A SQLite file's versions come from a read-only connection of the cache's own: a write committed through the
    ORM's connection shows on the very next read."""
    from tortoise import Tortoise

    from jinlin.response_cache import Versions
    from tests.conftest import _fresh_database

    settings = make_settings().with_db_url(f"sqlite://{tmp_path / 'jinlin.sqlite3'}")
    await _fresh_database(settings)
    try:
        versions = Versions(settings.db_url)
        assert versions.path == str(tmp_path / "jinlin.sqlite3")
        before = await versions.read()
        await db.execute(NEW_ORG)
        after = await versions.read()
        assert after["org"] == before["org"] + 1
        versions.close()
    finally:
        await Tortoise.close_connections()


async def test_requests_arriving_together_share_one_read_of_the_versions(database: None) -> None:
    """On PostgreSQL (and SQLite in memory) the versions come through the ORM: callers in the same turn of the
    loop share one statement, and a caller after a write gets a read that started after it."""
    from jinlin.response_cache import Versions

    versions = Versions("postgres://unused/db" if db.is_postgres() else "sqlite://:memory:")
    with count_sql() as sql:
        together = await asyncio.gather(*(versions.read() for _ in range(5)))
    assert sql.count == 1 and all(v == together[0] for v in together)
    await db.execute(NEW_ORG)
    assert (await versions.read())["org"] == together[0].get("org", 0) + 1
