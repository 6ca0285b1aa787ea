"""Abuse of the GraphQL layer in production mode: the probes of the graphql-cop auditor (dolevf/graphql-cop,
lib/tests/*.py; its PyPI package is an empty placeholder), each sent as graphql-cop sends it and each refused or
harmless, and the time limits (jinlin.timeouts) that keep a slow operation or a slow client from holding on.

graphql-cop flags a finding when: 101 aliases answer `data.alias100`; a batch of 11 answers 10 or more results; 500
copies of `__typename` answer `data.__typename`; 10 unknown directives on one field answer exactly 10 errors; the
circular fragments answer without `errors`; the circular introspection answers more than 25 types; introspection
answers types; an IDE page shows up at /graphiql, /playground, /console or /graphql; an error says "Did you mean";
an answer carries `extensions.tracing`, `extensions.exception` or a stack trace; GET runs a query or a mutation; a
url-encoded POST runs a query. Each test below asserts the exact refusal instead.

Batching: refused in every environment (strawberry's default, kept on purpose). A batch of 100 documents, each
under every limit, would multiply what one request may cost by 100, and the apps do not batch.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest

from app import create_app
from jinlin import db
from jinlin import settings as settings_module
from jinlin.settings import SettingsError
from jinlin.timeouts import guard_transactions
from models import audit as audit_model
from models import org as org_model
from models.org import Org as OrgRow
from schema import cost
from tests.conftest import Api, make_settings, org_id

JSON = {"Accept": "application/json"}
SPEC = {"Accept": "application/graphql-response+json, application/json"}  # Apollo's default


@asynccontextmanager
async def production(seed: bool = False, **overrides: Any) -> AsyncIterator[Api]:
    """The app as deployed (JINLIN_ENV=production) on the test database, optionally with the demo data."""
    from jinlin.seed import seed as load_demo
    from models.user import User

    settings = make_settings(env="production", **overrides)
    app = create_app(settings, init_db=False)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as http:
        api = Api(http=http, settings=settings)
        if seed:
            await load_demo(scale="demo")
            api.users = {u.phone: u.id for u in await User.all()}
        yield api


@pytest.fixture
async def prod(database: None) -> AsyncIterator[Api]:
    async with production() as api:
        yield api


async def cop(prod: Api, query: str, **headers: str) -> httpx.Response:
    """POST a document the way graphql-cop's graph_query does: `{"query": ...}` as JSON."""
    return await prod.http.post("/graphql", json={"query": query}, headers=headers)


def validation_failed(*messages: str, locations: list[list[dict]] | None = None) -> dict:
    """The answer for a document refused before execution (application/json: 200 with `"data": null`)."""
    errors = []
    for index, text in enumerate(messages):
        error: dict[str, Any] = {"message": text}
        if locations is not None:
            error["locations"] = locations[index]
        error["extensions"] = {"code": "GRAPHQL_VALIDATION_FAILED"}
        errors.append(error)
    return {"data": None, "errors": errors}


# --- graphql-cop's probes -------------------------------------------------------------------------------------------

async def test_alias_overloading(prod: Api) -> None:
    """dos_alias_overloading: 101 aliases of `__typename`."""
    query = "query { " + "".join(f"alias{i}:__typename \n" for i in range(101)) + " }"
    response = await cop(prod, query)
    assert response.status_code == 200
    assert response.json() == validation_failed("101 aliases found. Allowed: 30")
    spec = await cop(prod, query, **SPEC)
    assert spec.status_code == 400
    assert spec.json() == {"errors": [{"message": "101 aliases found. Allowed: 30",
                                       "extensions": {"code": "GRAPHQL_VALIDATION_FAILED"}}]}


@pytest.mark.parametrize("size", [1, 11, 100])
async def test_batched_queries(prod: Api, size: int) -> None:
    """dos_batch: a JSON array of 11 `{"query": "query { __typename }"}` (and of 1 and 100): refused whole, before
    any document is parsed."""
    response = await prod.http.post("/graphql", json=[{"query": "query { __typename }"}] * size)
    assert response.status_code == 400
    assert response.headers["content-type"].startswith("text/plain")
    assert response.text == "Batching is not enabled"


async def test_field_duplication(prod: Api) -> None:
    """dos_field_duplication: 500 copies of `__typename` (500 tokens, under the 4000-token limit). Refused before the
    validation rules run: graphql-core's overlapping-fields rule compares every pair of same-named fields, which for
    repeated fields with sub-selections costs seconds of CPU inside the token limit."""
    response = await cop(prod, "query { " + "__typename \n" * 500 + "} ")
    assert response.json() == validation_failed("查询中重复的字段过多（499 个，上限 30 个）",
                                                locations=[[{"line": 1, "column": 7}]])
    heavy = await cop(prod, "{ " + "orgs { nodes { name } } " * 500 + "}", **{"Accept-Language": "en"})  # 3502 tokens
    assert heavy.json()["errors"] == [{"message": "Too many repeated fields in the query (499; at most 30)",
                                       "locations": [{"line": 1, "column": 1}],
                                       "extensions": {"code": "GRAPHQL_VALIDATION_FAILED"}}]
    # Up to the limit, repeats are merged by the executor and cost nothing more.
    assert await prod.ok("{ " + "__typename " * (cost.MAX_REPEATED_FIELDS + 1) + "}") == {"__typename": "Query"}


@pytest.mark.parametrize("count", [10, 300])
async def test_directive_overloading(prod: Api, count: int) -> None:
    """dos_directive_overloading: `query cop { __typename @aa@aa... }` (10 in graphql-cop, which flags exactly 10
    errors; 300 here too): one error, before validation."""
    response = await cop(prod, "query cop { __typename " + "@aa" * count + " }")
    assert response.json() == validation_failed(f"同一位置的指令过多（{count} 个，上限 3 个）",
                                                locations=[[{"line": 1, "column": 13}]])
    known = await cop(prod, "query cop { __typename " + "@include(if: true)" * 50 + " }")
    assert len(known.json()["errors"]) == 1 and known.json()["data"] is None


async def test_circular_fragments(prod: Api) -> None:
    """dos_circular_fragment: fragments A and B on __Schema spreading each other; also a cycle on Query and a long
    one. A validation error each, never a recursion crash: a document whose fragments are unsound (a cycle, an unknown
    spread) is validated by graphql-core's rules only, since strawberry's depth and alias limiters recurse through
    fragments unguarded (a 300-fragment cycle used to answer "maximum recursion depth exceeded", `{ ...Nope }` the
    KeyError's "'Nope'", both without a code)."""
    query = """
    query {
        __schema {
          ...A
        }
    }

    fragment A on __Schema {
        __typename
        ...B
    }

    fragment B on __Schema {
        ...A
    }
"""
    assert (await cop(prod, query)).json() == validation_failed(
        "Cannot spread fragment 'A' within itself via 'B'.",
        locations=[[{"line": 10, "column": 9}, {"line": 14, "column": 9}]])
    on_query = "{ ...A } fragment A on Query { __typename ...B } fragment B on Query { ...A }"
    assert (await cop(prod, on_query)).json() == validation_failed(
        "Cannot spread fragment 'A' within itself via 'B'.",
        locations=[[{"line": 1, "column": 43}, {"line": 1, "column": 72}]])
    chain = "{ ...F0 } " + "".join(f"fragment F{i} on Query {{ ...F{(i + 1) % 300} }} " for i in range(300))
    body = (await cop(prod, chain)).json()
    assert body == validation_failed("Validation aborted.")  # graphql-core's guard against deep fragment nesting
    unknown = await cop(prod, "{ ...Nope }")
    assert unknown.json() == validation_failed("Unknown fragment 'Nope'.", locations=[[{"line": 1, "column": 6}]])


async def test_fragment_fan_out(prod: Api) -> None:
    """Not one of graphql-cop's probes, but the same family: fragments spreading the next one twice per level are a
    short document whose expansion doubles with every level. strawberry's depth and alias limiters walk it spread for
    spread (20 levels took 6 s of CPU on the event loop); refused before validation once the expansion passes
    MAX_FIELDS."""
    def fan_out(levels: int) -> str:
        return "{ ...F0 } " + "".join(f"fragment F{i} on Query {{ ...F{i + 1} ... on Query {{ ...F{i + 1} }} }} "
                                      for i in range(levels)) + f"fragment F{levels} on Query {{ __typename }}"

    assert await prod.ok(fan_out(13)) == {"__typename": "Query"}  # 2^13 = 8192 fields expanded
    response = await cop(prod, fan_out(40), **{"Accept-Language": "en"})
    assert response.json() == validation_failed(
        f"Too many fields in the query ({2 ** 40}, a fragment's wherever it is spread; at most 10000)")
    assert (await cop(prod, fan_out(14))).json()["errors"][0]["message"] == (
        "查询的字段过多（16384 个，片段按每处引用计算；上限 10000 个）")


async def test_circular_introspection(prod: Api) -> None:
    """dos_circular_introspection: types → fields → type → fields ... four levels deep."""
    query = ("query cop { __schema { types { fields { type { fields { type { fields { type { fields { type { name } } "
             "} } } } } } } } }")
    body = (await cop(prod, query)).json()
    assert body["data"] is None
    assert body["errors"][0] == {"message": "Maximum introspection depth exceeded",
                                 "locations": [{"line": 1, "column": 13}],
                                 "extensions": {"code": "GRAPHQL_VALIDATION_FAILED"}}
    assert {e["extensions"]["code"] for e in body["errors"]} == {"GRAPHQL_VALIDATION_FAILED"}
    assert "types" not in json.dumps(body.get("data"))


async def test_introspection(prod: Api) -> None:
    """info_introspect: `query cop { __schema { types { name fields { name } } } }`."""
    body = (await cop(prod, "query cop { __schema { types { name fields { name } } } }")).json()
    assert body == validation_failed(*(
        f"GraphQL introspection has been disabled, but the requested query contained the field '{field}'."
        for field in ("__schema", "types", "fields")), locations=[
        [{"line": 1, "column": 13}], [{"line": 1, "column": 24}], [{"line": 1, "column": 37}]])


@pytest.mark.parametrize("path", ["/graphiql", "/playground", "/console", "/graphql"])
async def test_graphiql(prod: Api, path: str) -> None:
    """info_graphiql: GET each of graphql-cop's paths, as a browser (text/html) and as a script."""
    for accept in ("text/html", "*/*"):
        response = await prod.http.get(path, headers={"Accept": accept})
        assert response.status_code in (400, 404), (path, accept, response.status_code)
        for marker in ("graphiql.min.css", "GraphQL Playground", "GraphiQL", "graphql-playground"):
            assert marker not in response.text


async def test_field_suggestions(prod: Api) -> None:
    """info_field_suggestions: `query cop { __schema { directive } }` (and a typo outside introspection)."""
    body = (await cop(prod, "query cop { __schema { directive } }")).json()
    assert body == validation_failed(
        "GraphQL introspection has been disabled, but the requested query contained the field '__schema'.",
        "Cannot query field 'directive' on type '__Schema'.",
        locations=[[{"line": 1, "column": 13}], [{"line": 1, "column": 24}]])
    typo = (await cop(prod, "{ org(id: \"x\") { nmae } }")).json()
    assert typo == validation_failed("Cannot query field 'nmae' on type 'Org'.",
                                     locations=[[{"line": 1, "column": 18}]])
    assert "Did you mean" not in json.dumps(body) + json.dumps(typo)


async def test_tracing(prod: Api) -> None:
    """info_trace_mode: `query cop { __typename }` answers data and nothing else: no `extensions` (tracing, Apollo's
    cache control, timings), no exception, no stack trace."""
    response = await cop(prod, "query cop { __typename }")
    assert response.status_code == 200
    assert response.json() == {"data": {"__typename": "Query"}}
    failing = await cop(prod, "query cop { __typename, orgz }")
    assert "extensions" not in failing.json()
    assert "tracing" not in failing.text and "stacktrace" not in failing.text.lower()


async def test_get_method_queries(prod: Api) -> None:
    """info_get_method_support: GET `?query={__typename}`. Only persisted queries run over GET (by hash, registered
    with a POST); a document in the URL never does."""
    response = await prod.http.get("/graphql", params={"query": "{__typename}"})
    assert response.status_code == 400
    assert response.text == "GET is only for persisted queries; POST the document"
    assert "__typename" not in response.text and "Query" not in response.text.replace("queries", "")


async def test_get_based_mutations(prod: Api) -> None:
    """info_get_based_mutation: GET `?query=mutation cop {__typename}`; and a mutation registered as a persisted query
    (POST), then asked for by hash over GET: never run."""
    response = await prod.http.get("/graphql", params={"query": "mutation cop {__typename}"})
    assert response.status_code == 400
    assert response.text == "GET is only for persisted queries; POST the document"
    mutation = 'mutation { logout(input: {refreshToken: "x"}) { errors { code } } }'
    extensions = {"persistedQuery": {"version": 1, "sha256Hash": hashlib.sha256(mutation.encode()).hexdigest()}}
    audit_rows = await audit_model.AuditEntry.all().count()
    registered = await prod.http.post("/graphql", json={"query": mutation, "extensions": extensions})
    assert registered.json()["errors"][0]["extensions"] == {"code": "UNAUTHENTICATED"}  # it ran, over POST
    by_hash = await prod.http.get("/graphql", params={"extensions": json.dumps(extensions)})
    assert by_hash.status_code == 400
    assert by_hash.text == "mutations are not allowed when using GET"
    assert await audit_model.AuditEntry.all().count() == audit_rows + 1  # the POST only


async def test_url_encoded_post(prod: Api) -> None:
    """info_post_based_csrf: a POST without JSON (what a cross-site form or `fetch` in no-cors mode can send without a
    preflight): url-encoded form, the query in the URL, text/plain JSON; multipart needs a Bearer header."""
    form = await prod.http.post("/graphql", data={"query": "query {__typename}"})
    in_url = await prod.http.post("/graphql", params={"query": "query {__typename}"})
    text_plain = await prod.http.post("/graphql", content=json.dumps({"query": "query {__typename}"}),
                                      headers={"Content-Type": "text/plain"})
    for response in (form, in_url, text_plain):
        assert response.status_code == 400
        assert response.text == "Unsupported content type"
    multipart = await prod.http.post("/graphql", files={
        "operations": (None, json.dumps({"query": "query {__typename}"})), "map": (None, "{}")})
    assert multipart.status_code == 400
    assert multipart.json() == {"errors": [{"message": "上传文件须带 Authorization: Bearer 请求头（防止跨站请求伪造）",
                                            "extensions": {"code": "CSRF"}}]}


async def test_unhandled_errors(prod: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    """info_unhandled_error: `qwerty cop { abc }` gets the parser's message and a code, no exception text; so do
    broken variables and broken JSON, and a resolver's fault is masked (see also tests/test_app.py)."""
    response = await cop(prod, "qwerty cop { abc }")
    assert response.json() == {"data": None, "errors": [{
        "message": "Syntax Error: Unexpected Name 'qwerty'.", "locations": [{"line": 1, "column": 1}],
        "extensions": {"code": "GRAPHQL_PARSE_FAILED"}}]}
    variables = await prod.http.post("/graphql", json={"query": "query($id: ID!) { org(id: $id) { name } }",
                                                       "variables": {"id": {"nested": [1]}}})
    assert variables.json()["errors"][0]["extensions"] == {"code": "GRAPHQL_VALIDATION_FAILED"}
    broken = await prod.http.post("/graphql", content=b'{"query": "{ __typename }", "variables": [}',
                                  headers={"Content-Type": "application/json"})
    assert (broken.status_code, broken.text) == (400, "Unable to parse request body as JSON")

    async def fault(*, org_ids: list[int]) -> dict:
        raise ZeroDivisionError("division by zero in stats")

    monkeypatch.setattr(org_model, "stats", fault)
    masked = await prod.post('{ org(id: "T3JnOjE=") { stats { compoundCount } } }')
    for response in (response, variables, broken, masked):
        text = response.text.lower()
        for leak in ("exception", "traceback", "stacktrace", "zerodivision", "division by zero", ".py"):
            assert leak not in text, (leak, response.text)


async def test_a_validation_rule_that_fails_is_a_refusal_not_a_leak(prod: Api, monkeypatch: pytest.MonkeyPatch,
                                                                    caplog: pytest.LogCaptureFixture) -> None:
    """Should a validation rule raise all the same, the document is refused with a code and the operator gets the
    traceback; the exception's text never reaches the client (strawberry would answer it verbatim, unmasked)."""
    from strawberry.extensions import query_depth_limiter

    def broken(*args: Any, **kwargs: Any) -> int:
        raise RuntimeError("secret detail of a broken rule")

    monkeypatch.setattr(query_depth_limiter, "determine_depth", broken)
    with caplog.at_level(logging.ERROR, logger="jinlin.errors"):
        response = await cop(prod, "query BrokenRule { __typename }")
    assert response.json() == validation_failed("Validation aborted.")
    assert "secret detail of a broken rule" in caplog.text


# --- time limits ----------------------------------------------------------------------------------------------------

SLOW_STATS = '{ org(id: "T3JnOjE=") { name stats { compoundCount } } }'  # 思明区


def slow_stats(monkeypatch: pytest.MonkeyPatch, seconds: float) -> None:
    """Make every org's statistics take `seconds`."""
    original = org_model.stats

    async def stats(*, org_ids: list[int]) -> dict:
        await asyncio.sleep(seconds)
        return await original(org_ids=org_ids)

    monkeypatch.setattr(org_model, "stats", stats)


async def test_a_request_running_too_long_is_cut_off(database: None, monkeypatch: pytest.MonkeyPatch,
                                                     caplog: pytest.LogCaptureFixture) -> None:
    slow_stats(monkeypatch, 30)
    async with production(seed=True, request_timeout=0.3) as api:
        with caplog.at_level(logging.WARNING, logger="jinlin.timeouts"):
            started = asyncio.get_running_loop().time()
            response = await api.post(SLOW_STATS)
            elapsed = asyncio.get_running_loop().time() - started
        assert response.status_code == 503
        assert response.headers["cache-control"] == "no-store"
        assert response.json() == {"errors": [{"message": "请求处理超时（0.3 秒），请稍后再试",
                                               "extensions": {"code": "TIMEOUT"}}]}
        assert 0.3 <= elapsed < 5
        assert "POST /graphql cut off after 0.3 s (still running)" in caplog.text
        english = await api.post(SLOW_STATS, lang="en")
        assert english.json()["errors"][0]["message"] == "The request took longer than 0.3 s; try again later"
        # The worker is free again at once.
        assert await api.ok("{ __typename }") == {"__typename": "Query"}


async def test_the_body_limit_does_not_cut_off_a_request_whose_body_is_in(database: None,
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """`body_timeout` bounds the upload only; the operation then has `request_timeout` (GET has no body at all)."""
    slow_stats(monkeypatch, 0.3)
    async with production(seed=True, request_timeout=5, body_timeout=0.1) as api:
        assert (await api.ok(SLOW_STATS))["org"]["name"] == "思明区"
        extensions = {"persistedQuery": {"version": 1,
                                         "sha256Hash": hashlib.sha256(SLOW_STATS.encode()).hexdigest()}}
        registered = await api.http.post("/graphql", json={"query": SLOW_STATS, "extensions": extensions})
        assert registered.status_code == 200
        by_get = await api.http.get("/graphql", params={"extensions": json.dumps(extensions)}, headers=JSON)
        assert by_get.status_code == 200
        assert by_get.json()["data"]["org"]["name"] == "思明区"


async def test_a_slow_client_is_cut_off(database: None) -> None:
    """A body trickled in slowly (slowloris): 408 once `body_timeout` has passed, and the connection is closed."""

    async def trickle() -> AsyncIterator[bytes]:
        yield b'{"query": "{ __typ'
        for _ in range(100):
            await asyncio.sleep(0.05)
            yield b" "
        yield b'ename }"}'

    async with production(body_timeout=0.3) as api:
        started = asyncio.get_running_loop().time()
        response = await api.http.post("/graphql", content=trickle(), headers={"Content-Type": "application/json",
                                                                                "Accept-Language": "en"})
        elapsed = asyncio.get_running_loop().time() - started
        assert response.status_code == 408
        assert response.headers["connection"] == "close"
        assert response.json() == {"errors": [{"message": "The request body did not arrive within 0.3 s",
                                               "extensions": {"code": "REQUEST_TIMEOUT"}}]}
        assert 0.3 <= elapsed < 3


CREATE_ORG = """mutation($input: CreateOrgInput!) { createOrg(input: $input) { org { name } errors { code } } }"""


def slow_closure(monkeypatch: pytest.MonkeyPatch, seconds: float) -> Callable[[], int]:
    """Make org creation stall inside its transaction, after the org row is written and before its closure rows are:
    a cut there must roll the row back. Returns how many stalls began."""
    original = db.execute
    stalls = 0

    async def execute(sql: str, *args: Any, **kwargs: Any) -> Any:
        nonlocal stalls
        if "org_closure" in sql and sql.lstrip().upper().startswith("INSERT"):
            stalls += 1
            await asyncio.sleep(seconds)
        return await original(sql, *args, **kwargs)

    monkeypatch.setattr(db, "execute", execute)
    return lambda: stalls


async def test_a_mutation_cut_off_mid_transaction_leaves_nothing_behind(database: None,
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    async with production(seed=True, request_timeout=0.5) as api:
        district = await org_id("思明区")
        orgs_before = await OrgRow.all().count()
        closure_before = await db.fetch("SELECT COUNT(*) AS n FROM org_closure")
        stalls = slow_closure(monkeypatch, 30)
        variables = {"input": {"name": "超时街道", "kind": "STREET_COMMITTEE", "parentId": district}}
        response = await api.post(CREATE_ORG, variables, as_="13800000000")
        assert response.status_code == 503 and response.json()["errors"][0]["extensions"] == {"code": "TIMEOUT"}
        assert stalls() == 1  # it was cut inside the transaction, after inserting the org
        assert await OrgRow.filter(name="超时街道").count() == 0
        assert await OrgRow.all().count() == orgs_before
        assert await db.fetch("SELECT COUNT(*) AS n FROM org_closure") == closure_before
        audit = await audit_model.AuditEntry.filter(action="createOrg").order_by("-id").first()
        assert audit is not None and audit.outcome == "CANCELLED"
        # The database is free for the next transaction (the connection's transaction lock was released).
        monkeypatch.undo()
        created = await api.ok(CREATE_ORG, variables, as_="13800000000")
        assert created["createOrg"] == {"org": {"name": "超时街道"}, "errors": []}
        assert await OrgRow.filter(name="超时街道").count() == 1


async def test_a_cut_off_mutation_can_be_retried_with_its_idempotency_key(database: None,
                                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    async with production(seed=True, request_timeout=0.5) as api:
        variables = {"input": {"name": "重试街道", "kind": "STREET_COMMITTEE", "parentId": await org_id("思明区")}}
        headers = {"Authorization": f"Bearer {api.token('13800000000')}", "Idempotency-Key": "create-street-1"}
        slow_closure(monkeypatch, 30)
        first = await api.http.post("/graphql", json={"query": CREATE_ORG, "variables": variables}, headers=headers)
        assert first.status_code == 503
        monkeypatch.undo()
        retry = await api.http.post("/graphql", json={"query": CREATE_ORG, "variables": variables}, headers=headers)
        assert retry.status_code == 200 and "idempotent-replayed" not in retry.headers
        assert retry.json() == {"data": {"createOrg": {"org": {"name": "重试街道"}, "errors": []}}}
        assert await OrgRow.filter(name="重试街道").count() == 1


async def test_a_transaction_cancelled_while_it_opens_gives_its_connection_back(database: None) -> None:
    """tortoise 1.1 leaks the SQLite transaction lock (a pooled connection on PostgreSQL) when a cancellation lands
    between taking it and BEGIN; jinlin.timeouts.guard_transactions (installed with the middleware) gives it back,
    rolled back, so the next transaction neither waits forever nor runs inside a stray BEGIN."""
    from tortoise.connection import get_connection
    from tortoise.transactions import in_transaction

    guard_transactions()  # what RequestTimeout does when starlette builds the middleware stack (the first request)
    wrapper = type(get_connection("default")._in_transaction().client if db.is_postgres()
                   else get_connection("default")._in_transaction().connection)
    original = wrapper.begin
    began = asyncio.Event()

    async def slow_begin(self: Any) -> None:
        await original(self)
        began.set()
        await asyncio.sleep(30)

    async def write(name: str) -> None:
        async with in_transaction():
            await OrgRow.create(name=name, kind="DISTRICT", depth=0)

    await write("第一个区")
    wrapper.begin = slow_begin  # type: ignore[method-assign]
    try:
        stuck = asyncio.create_task(write("取消的区"))
        await asyncio.wait_for(began.wait(), 5)
        stuck.cancel()
        with pytest.raises(asyncio.CancelledError):
            await stuck
    finally:
        wrapper.begin = original  # type: ignore[method-assign]
    await asyncio.wait_for(write("下一个区"), 5)
    assert [o.name for o in await OrgRow.filter(name__in=["取消的区", "下一个区"])] == ["下一个区"]
    if db.is_postgres():
        pool = get_connection("default")._pool
        assert pool.get_idle_size() == pool.get_size()  # every pooled connection back (none kept by the cancelled one)
    else:
        assert not get_connection("default")._connection._conn.in_transaction


def test_the_time_settings(tmp_path: Any) -> None:
    base = {"JINLIN_DB_URL": f"sqlite://{tmp_path}/x.sqlite3"}
    defaults = settings_module.load(base)
    assert (defaults.request_timeout, defaults.body_timeout) == (30, 10)
    tuned = settings_module.load({**base, "JINLIN_REQUEST_TIMEOUT": "60", "JINLIN_BODY_TIMEOUT": " 5 "})
    assert (tuned.request_timeout, tuned.body_timeout) == (60, 5)
    for name in ("JINLIN_REQUEST_TIMEOUT", "JINLIN_BODY_TIMEOUT"):
        for bad in ("0", "2.5", "-1", "3601", "30s", "३०"):
            with pytest.raises(SettingsError, match=f"{name} must be a whole number of seconds from 1 to 3600"):
                settings_module.load({**base, name: bad})
