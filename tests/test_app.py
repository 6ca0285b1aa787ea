"""HTTP behaviour of the app: GraphiQL and GET in development, batching, /healthz, and the production
hardening (no GraphiQL, no introspection, no suggestions, depth/alias/token limits, masked faults)."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator

import httpx
import pytest

from app import create_app
from models import org as org_model
from tests.conftest import Api, make_settings, org_id

TYPENAME = "{ __typename }"
INTROSPECTION = "{ __schema { types { name } } }"
TYPO = "{ orgz { totalCount } }"
STATS = "query($id: ID!) { org(id: $id) { name stats { compoundCount } } }"
UPDATE_ORG = """
mutation($input: UpdateOrgInput!) { updateOrg(input: $input) { org { name } errors { field code message } } }"""


def nested_parents(parents: int) -> str:
    """`org(思明区) { parent { parent ... { name } } }` with that many `parent` levels."""
    return '{ org(id: "T3JnOjE=") { ' + "parent { " * parents + "name" + " }" * parents + " } }"


def aliases(count: int) -> str:
    return "{ " + " ".join(f"a{i}: __typename" for i in range(count)) + " }"


@pytest.fixture
async def prod(database: None) -> AsyncIterator[Api]:
    """The app as deployed (JINLIN_ENV=production) on the test database, with the demo data."""
    from jinlin.seed import seed
    from models.user import User

    settings = make_settings(env="production")
    app = create_app(settings, init_db=False)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as http:
        api = Api(http=http, settings=settings)
        await seed(scale="demo")
        api.users = {u.phone: u.id for u in await User.all()}
        yield api


def codes(body: dict) -> list[str]:
    return [error["extensions"]["code"] for error in body["errors"]]


# --- development ----------------------------------------------------------------------------------------------------

async def test_development_serves_graphiql(client: httpx.AsyncClient) -> None:
    response = await client.get("/graphql", headers={"Accept": "text/html"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert "graphiql" in response.text.lower()


async def test_get_queries_are_refused(client: httpx.AsyncClient) -> None:
    """The contract allows GET only for persisted queries: a plain GET query is refused."""
    for query in (TYPENAME, "mutation { logout(input: {refreshToken: \"x\"}) { errors { code } } }"):
        response = await client.get("/graphql", params={"query": query}, headers={"Accept": "application/json"})
        assert response.status_code == 400, response.text
        assert "GET is only for persisted queries" in response.text
        assert "__typename" not in response.text and "Query" not in response.text


async def test_batched_body_is_refused(client: httpx.AsyncClient) -> None:
    response = await client.post("/graphql", json=[{"query": TYPENAME}, {"query": TYPENAME}])
    assert response.status_code == 400
    assert "Batching is not enabled" in response.text
    assert "Query" not in response.text


async def test_malformed_requests_are_refused(client: httpx.AsyncClient) -> None:
    not_json = await client.post("/graphql", content=b"{not json", headers={"Content-Type": "application/json"})
    assert not_json.status_code == 400
    no_query = await client.post("/graphql", json={"variables": {}})
    assert no_query.status_code == 400
    ok = await client.post("/graphql", json={"query": TYPENAME})
    assert ok.status_code == 200 and ok.json() == {"data": {"__typename": "Query"}}


async def test_healthz(client: httpx.AsyncClient) -> None:
    response = await client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert (await client.post("/healthz")).status_code == 405
    assert (await client.get("/nowhere")).status_code == 404


async def test_development_is_open_for_tools(api: Api) -> None:
    """Introspection and suggestions help developers; the limits are production-only."""
    schema = await api.ok(INTROSPECTION)
    assert "Org" in {t["name"] for t in schema["__schema"]["types"]}
    typo = await api(TYPO)
    assert "Did you mean" in typo["errors"][0]["message"]
    assert codes(typo) == ["GRAPHQL_VALIDATION_FAILED"]
    assert await api.ok(aliases(101)) == {f"a{i}": "Query" for i in range(101)}


async def test_syntax_errors_carry_a_code(api: Api) -> None:
    body = await api("{ org( ")
    assert body["data"] is None
    assert body["errors"][0]["message"].startswith("Syntax Error")
    assert codes(body) == ["GRAPHQL_PARSE_FAILED"]


# --- production -----------------------------------------------------------------------------------------------------

async def test_production_has_no_graphiql(prod: Api) -> None:
    response = await prod.http.get("/graphql", headers={"Accept": "text/html"})
    assert response.status_code == 404
    assert "graphiql" not in response.text.lower()
    assert (await prod.http.get("/healthz")).json() == {"status": "ok"}
    refused = await prod.http.get("/graphql", params={"query": TYPENAME})
    assert refused.status_code == 400


async def test_production_refuses_introspection(prod: Api) -> None:
    for query in (INTROSPECTION, '{ __type(name: "Org") { name fields { name } } }'):
        body = await prod(query)
        assert body["data"] is None
        assert set(codes(body)) == {"GRAPHQL_VALIDATION_FAILED"}
        assert "introspection has been disabled" in body["errors"][0]["message"]
    # __typename is not introspection of the schema: clients rely on it.
    assert await prod.ok(TYPENAME) == {"__typename": "Query"}


async def test_production_gives_no_field_suggestions(prod: Api) -> None:
    body = await prod(TYPO)
    assert body["data"] is None
    assert body["errors"][0]["message"] == "Cannot query field 'orgz' on type 'Query'."
    assert "Did you mean" not in str(body)
    assert codes(body) == ["GRAPHQL_VALIDATION_FAILED"]


async def test_production_depth_limit(prod: Api) -> None:
    limit = prod.settings.max_query_depth
    # The root field sits at depth 0: `limit - 1` parents put `name` exactly at the limit.
    assert await prod.ok(nested_parents(limit - 1)) == {"org": {"parent": None}}  # 思明区 has no parent
    body = await prod(nested_parents(limit))
    assert body["data"] is None
    assert codes(body) == ["GRAPHQL_VALIDATION_FAILED"]
    assert f"exceeds maximum operation depth of {limit}" in body["errors"][0]["message"]
    deep = await prod(nested_parents(limit + 30))
    assert codes(deep) == ["GRAPHQL_VALIDATION_FAILED"]


async def test_production_alias_limit(prod: Api) -> None:
    limit = prod.settings.max_aliases
    assert limit < 101
    assert await prod.ok(aliases(limit)) == {f"a{i}": "Query" for i in range(limit)}
    for count in (limit + 1, 101):
        body = await prod(aliases(count))
        assert body["data"] is None
        assert codes(body) == ["GRAPHQL_VALIDATION_FAILED"]
        assert body["errors"][0]["message"] == f"{count} aliases found. Allowed: {limit}"


async def test_production_token_limit(prod: Api) -> None:
    limit = prod.settings.max_tokens
    body = await prod("{ " + "__typename " * (limit + 1) + "}")
    assert body["data"] is None
    assert codes(body) == ["GRAPHQL_PARSE_FAILED"]
    assert f"more than {limit} tokens" in body["errors"][0]["message"]
    # An ordinary screen's query is far below every limit.
    screen = await prod.ok("""query($id: ID!) { org(id: $id) { name ancestors { name } children { totalCount
        nodes { name compounds { nodes { name branch { name } } } } } stats { compoundCount coverageRate } } }""",
                           {"id": await org_id("莲花北社区")})
    assert screen["org"]["children"]["totalCount"] == 1


async def test_unexpected_faults_are_masked(prod: Api, monkeypatch: pytest.MonkeyPatch,
                                            caplog: pytest.LogCaptureFixture) -> None:
    async def broken_stats(*, org_ids: list[int]) -> dict:
        raise RuntimeError("secret detail")

    monkeypatch.setattr(org_model, "stats", broken_stats)
    district = await org_id("思明区")
    with caplog.at_level(logging.ERROR, logger="jinlin.errors"):
        for lang in (None, "en"):
            response = await prod.post(STATS, {"id": district}, lang=lang)
            assert response.status_code == 200
            assert "secret detail" not in response.text
            assert "Traceback" not in response.text and "RuntimeError" not in response.text
            body = response.json()
            assert body == {"data": {"org": None}, "errors": [{
                "message": "Internal server error, please try again later" if lang else "服务器内部错误，请稍后再试",
                "locations": [{"line": 1, "column": 39}], "path": ["org", "stats"],
                "extensions": {"code": "INTERNAL"}}]}
    # The operator still gets the whole story in the log.
    faults = [r for r in caplog.records if r.name == "jinlin.errors"]
    assert faults and faults[0].exc_info is not None
    assert "secret detail" in str(faults[0].exc_info[1])
    # Fields that do not touch the broken function keep working.
    assert await prod.ok("query($id: ID!) { org(id: $id) { name } }", {"id": district}) == {"org": {"name": "思明区"}}


async def test_development_masks_faults_too(demo: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    async def broken_stats(*, org_ids: list[int]) -> dict:
        raise RuntimeError("secret detail")

    monkeypatch.setattr(org_model, "stats", broken_stats)
    response = await demo.post("{ orgs { nodes { stats { compoundCount } } } }")
    assert "secret detail" not in response.text
    assert codes(response.json()) == ["INTERNAL"]


async def test_expected_errors_stay_readable(prod: Api) -> None:
    lianhua = await org_id("莲花北社区")
    anon = await prod(UPDATE_ORG, {"input": {"orgId": lianhua, "name": "x"}})
    assert anon["data"] is None
    assert anon["errors"][0]["message"] == "请先登录"
    assert anon["errors"][0]["extensions"] == {"code": "UNAUTHENTICATED"}
    denied = await prod(UPDATE_ORG, {"input": {"orgId": lianhua, "name": "x"}}, as_="13800000006")
    assert denied["errors"][0]["message"] == "无权进行此操作"
    assert denied["errors"][0]["extensions"] == {"code": "FORBIDDEN"}
    missing_arg = await prod("{ org { name } }")
    assert codes(missing_arg) == ["GRAPHQL_VALIDATION_FAILED"]
    assert missing_arg["errors"][0]["message"] == (
        "Argument 'Query.org(id:)' of type 'ID!' is required, but it was not provided.")
    bad_variable = await prod(UPDATE_ORG, {"input": {"orgId": lianhua}})
    assert codes(bad_variable) == ["GRAPHQL_VALIDATION_FAILED"]
    assert "name" in bad_variable["errors"][0]["message"]
    too_many = await prod("{ orgs(first: 101) { totalCount } }")
    assert too_many["errors"][0]["extensions"] == {"code": "INVALID", "field": ["first"]}
    payload = await prod.ok(UPDATE_ORG, {"input": {"orgId": lianhua, "name": ""}}, as_="13800000002")
    assert payload["updateOrg"]["errors"] == [{"field": ["name"], "code": "INVALID", "message": "长度须为 1–100 个字符"}]


@pytest.mark.parametrize("header, expected", [
    (None, "请先登录"),
    ("en", "You need to log in"),
    ("en-US,en;q=0.9", "You need to log in"),
    ("zh-CN,zh;q=0.9,en;q=0.8", "请先登录"),
    ("en;q=0.5,zh;q=0.9", "请先登录"),
    ("fr", "请先登录"),
])
async def test_accept_language_switches_messages(prod: Api, header: str | None, expected: str) -> None:
    lianhua = await org_id("莲花北社区")
    anon = await prod(UPDATE_ORG, {"input": {"orgId": lianhua, "name": "x"}}, lang=header)
    assert anon["errors"][0]["message"] == expected
    payload = await prod.ok(UPDATE_ORG, {"input": {"orgId": lianhua, "name": ""}}, as_="13800000002", lang=header)
    english = expected.startswith("You")
    assert payload["updateOrg"]["errors"][0]["message"] == (
        "Must be 1 to 100 characters long" if english else "长度须为 1–100 个字符")
    bad_token = await prod.http.post("/graphql", json={"query": TYPENAME},
                                     headers={"Authorization": "Bearer nonsense",
                                              **({"Accept-Language": header} if header else {})})
    assert bad_token.json()["errors"][0]["extensions"] == {"code": "UNAUTHENTICATED"}
    assert bad_token.json()["errors"][0]["message"] == (
        "The access token is invalid or expired; log in again" if english else "登录凭证无效或已过期，请重新登录")

