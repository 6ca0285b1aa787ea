"""Automatic persisted queries (Apollo APQ, issue: mobile client support) and the HTTP caching of GET /graphql.

Covered: registering a document with its SHA-256 over POST and running it by hash over GET (variables, extensions
and operationName JSON-encoded in the query string as Apollo's link sends them), PERSISTED_QUERY_NOT_FOUND for an
unknown hash over GET and POST, hash mismatch / malformed hash / unsupported version (400), idempotent (and racing)
registration, mutations only over POST, the store being a database table that a new app instance reads, GET refused
without a persisted hash and GraphiQL only for a browser GET without an operation; then the GET caching: weak ETags
that follow the body, 304 for If-None-Match (one tag, a list, the strong form), Cache-Control public with the
configured max-age for anonymous error-free answers and `private, no-store` for a logged-in viewer or any error,
Vary, gzip from 1024 bytes up (not below), POST left as it was, and JINLIN_CACHE_MAX_AGE in settings.load.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import re
from collections.abc import AsyncIterator, Callable
from typing import Any
from urllib.parse import quote

import httpx
import pytest

from app import create_app
from jinlin import settings as settings_module
from jinlin.settings import Settings, SettingsError
from models.persisted_query import PersistedQuery
from tests.conftest import SECRET, Api, make_settings, org_id

TYPENAME = "{ __typename }"
# Two operations (operationName picks one) and non-ASCII text: the hash is over the document's UTF-8 bytes.
ORG_NAME = "query OrgName($id: ID!) { org(id: $id) { name } }\nquery Kind { __typename }  # 组织名称"
VIEWER = "query Viewer { viewer { displayName phone } }"
RENAME = """mutation Rename($input: UpdateOrgInput!) {
  updateOrg(input: $input) { org { name } errors { code } } }"""
NOT_FOUND = {"errors": [{"message": "PersistedQueryNotFound", "extensions": {"code": "PERSISTED_QUERY_NOT_FOUND"}}]}
NOT_FOUND_BYTES = b'{"errors":[{"message":"PersistedQueryNotFound","extensions":{"code":"PERSISTED_QUERY_NOT_FOUND"}}]}'
ETAG = re.compile(r'W/"[0-9a-f]{32}"')
VARY = "Authorization, Accept, Accept-Language, Accept-Encoding"
# What Apollo Client sends as Accept (and a phone's HTTP stack as Accept-Encoding is left to each test).
APOLLO_ACCEPT = "application/graphql-response+json,application/json;q=0.9"
NOT_ONLY_GET = "GET is only for persisted queries; POST the document"
BAD_HASH = "persistedQuery.sha256Hash must be a lowercase hex SHA-256"
BAD_VERSION = "Unsupported persisted query version"


def sha256(document: str) -> str:
    return hashlib.sha256(document.encode()).hexdigest()


def persisted(document: str) -> dict[str, Any]:
    """The `extensions` Apollo's persisted-queries link adds to an operation."""
    return {"persistedQuery": {"version": 1, "sha256Hash": sha256(document)}}


def compact(value: object) -> str:
    """JSON.stringify, as Apollo encodes `variables` and `extensions` into a GET's query string."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


async def register(http: httpx.AsyncClient, document: str, variables: dict | None = None, *,
                   operation_name: str | None = None, headers: dict[str, str] | None = None) -> httpx.Response:
    """Apollo's retry after PERSISTED_QUERY_NOT_FOUND: POST the document along with its hash."""
    body: dict[str, Any] = {"query": document, "variables": variables or {}, "extensions": persisted(document)}
    if operation_name is not None:
        body["operationName"] = operation_name
    return await http.post("/graphql", json=body, headers=headers or {})


async def post_hash(http: httpx.AsyncClient, document: str, variables: dict | None = None, *,
                    headers: dict[str, str] | None = None) -> httpx.Response:
    """A hash-only POST (Apollo's first try when GET is not used for hashed queries)."""
    return await http.post("/graphql", json={"variables": variables or {}, "extensions": persisted(document)},
                           headers=headers or {})


async def get(http: httpx.AsyncClient, document: str | None = None, variables: dict | None = None, *,
              operation_name: str | None = None, extensions: object = None,
              headers: dict[str, str] | None = None) -> httpx.Response:
    """A hash-only GET as Apollo sends it with `useGETForHashedQueries` (the document itself never travels)."""
    params = {"extensions": compact(extensions if extensions is not None else persisted(document or ""))}
    if variables is not None:
        params["variables"] = compact(variables)
    if operation_name is not None:
        params["operationName"] = operation_name
    return await http.get("/graphql", params=params,
                          headers={"Accept": APOLLO_ACCEPT, "Accept-Encoding": "identity", **(headers or {})})


async def stored() -> dict[str, str]:
    """The persisted-query table: hash → document."""
    return {row.sha256: row.query for row in await PersistedQuery.all()}


def cache_headers(response: httpx.Response) -> dict[str, str | None]:
    """The caching headers of a response (None where absent)."""
    return {name: response.headers.get(name) for name in ("cache-control", "vary", "content-encoding")}


def public(max_age: int = 60) -> dict[str, str | None]:
    return {"cache-control": f"public, max-age={max_age}", "vary": VARY, "content-encoding": None}


PRIVATE = {"cache-control": "private, no-store", "vary": VARY, "content-encoding": None}


def etag(response: httpx.Response) -> str:
    value = response.headers["etag"]
    assert ETAG.fullmatch(value), value
    return value


def refused(response: httpx.Response, message: str) -> None:
    """A plain-text 400 that carries no cache validators."""
    assert (response.status_code, response.text) == (400, message)
    assert response.headers["content-type"].startswith("text/plain")
    assert "etag" not in response.headers and "cache-control" not in response.headers


AppFor = Callable[[Settings], httpx.AsyncClient]


@pytest.fixture
async def app_for(database: None) -> AsyncIterator[AppFor]:
    """Clients for further app instances on the test database (closed at the end of the test)."""
    clients: list[httpx.AsyncClient] = []

    def make(settings: Settings) -> httpx.AsyncClient:
        http = httpx.AsyncClient(transport=httpx.ASGITransport(app=create_app(settings, init_db=False)),
                                 base_url="http://testserver")
        clients.append(http)
        return http

    yield make
    for http in clients:
        await http.aclose()


# --- persisted queries ----------------------------------------------------------------------------------------------

async def test_register_over_post_then_run_over_get(demo: Api) -> None:
    district = await org_id("思明区")
    registered = await register(demo.http, ORG_NAME, {"id": district}, operation_name="OrgName")
    assert registered.status_code == 200
    assert registered.json() == {"data": {"org": {"name": "思明区"}}}
    assert await stored() == {sha256(ORG_NAME): ORG_NAME}

    response = await get(demo.http, ORG_NAME, {"id": district}, operation_name="OrgName")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/graphql-response+json"  # what Apollo asks for
    assert response.content == '{"data":{"org":{"name":"思明区"}}}'.encode()
    assert cache_headers(response) == public()
    etag(response)
    # operationName picks the other operation of the same document; variables may be left out.
    kind = await get(demo.http, ORG_NAME, operation_name="Kind")
    assert kind.json() == {"data": {"__typename": "Query"}}
    assert cache_headers(kind) == public()
    # The URL exactly as Apollo's rewriteURIForGET builds it (encodeURIComponent of each value).
    url = (f"/graphql?operationName=OrgName&variables={quote(compact({'id': district}), safe='')}"
           f"&extensions={quote(compact(persisted(ORG_NAME)), safe='')}")
    assert (await demo.http.get(url)).json() == {"data": {"org": {"name": "思明区"}}}


async def test_unknown_hash_then_apollo_registers(client: httpx.AsyncClient) -> None:
    """Apollo's exchange: hash alone → PERSISTED_QUERY_NOT_FOUND (200) → document and hash → hash alone works."""
    over_get = await get(client, TYPENAME)
    assert over_get.status_code == 200
    assert over_get.content == NOT_FOUND_BYTES
    assert over_get.json() == NOT_FOUND
    assert over_get.headers["content-type"] == "application/graphql-response+json"  # Apollo's Accept
    assert cache_headers(over_get) == PRIVATE  # an error: never kept by a shared cache
    etag(over_get)

    over_post = await post_hash(client, TYPENAME)
    assert (over_post.status_code, over_post.content) == (200, NOT_FOUND_BYTES)
    assert over_post.headers["cache-control"] == "no-store"
    assert "etag" not in over_post.headers
    assert await stored() == {}

    assert (await register(client, TYPENAME)).json() == {"data": {"__typename": "Query"}}
    assert (await get(client, TYPENAME)).json() == {"data": {"__typename": "Query"}}
    assert (await post_hash(client, TYPENAME)).json() == {"data": {"__typename": "Query"}}
    # A hash that merely differs in one digit is still unknown.
    other = sha256(TYPENAME)[:-1] + ("0" if sha256(TYPENAME)[-1] != "0" else "1")
    response = await get(client, extensions={"persistedQuery": {"version": 1, "sha256Hash": other}})
    assert response.json() == NOT_FOUND


async def test_hash_mismatch_is_refused(client: httpx.AsyncClient) -> None:
    spaced = "{  __typename }"
    for document, claimed in ((TYPENAME, "{ viewer { phone } }"), (spaced, TYPENAME)):
        body = {"query": document, "extensions": persisted(claimed)}
        refused(await client.post("/graphql", json=body), "provided sha does not match query")
        refused(await client.get("/graphql", params={"query": document, "extensions": compact(persisted(claimed))}),
                "provided sha does not match query")
    assert await stored() == {}
    assert (await get(client, TYPENAME)).json() == NOT_FOUND


@pytest.mark.parametrize("extension, message", [
    ({"version": 1, "sha256Hash": sha256(TYPENAME).upper()}, BAD_HASH),
    ({"version": 1, "sha256Hash": sha256(TYPENAME)[:63]}, BAD_HASH),
    ({"version": 1, "sha256Hash": sha256(TYPENAME) + "0"}, BAD_HASH),
    ({"version": 1, "sha256Hash": "g" * 64}, BAD_HASH),
    ({"version": 1, "sha256Hash": " " + sha256(TYPENAME)[1:]}, BAD_HASH),
    ({"version": 1, "sha256Hash": int(sha256(TYPENAME)[:15], 16)}, BAD_HASH),
    ({"version": 1, "sha256Hash": None}, BAD_HASH),
    ({"version": 1}, BAD_HASH),
    ({"version": 2, "sha256Hash": sha256(TYPENAME)}, BAD_VERSION),
    ({"version": 0, "sha256Hash": sha256(TYPENAME)}, BAD_VERSION),
    ({"version": "1", "sha256Hash": sha256(TYPENAME)}, BAD_VERSION),
    (sha256(TYPENAME), "extensions.persistedQuery must be an object"),
], ids=["upper", "short", "long", "not-hex", "space", "number", "null", "missing", "v2", "v0", "v-string", "string"])
async def test_malformed_hash_or_version_is_refused(client: httpx.AsyncClient, extension: object,
                                                    message: str) -> None:
    extensions = {"persistedQuery": extension}
    refused(await get(client, extensions=extensions), message)
    refused(await client.post("/graphql", json={"extensions": extensions}), message)
    # Even with the document along, nothing is registered under a malformed hash.
    refused(await client.post("/graphql", json={"query": TYPENAME, "extensions": extensions}), message)
    assert await stored() == {}


async def test_registering_twice_is_harmless(client: httpx.AsyncClient) -> None:
    for _ in range(2):
        response = await register(client, TYPENAME)
        assert (response.status_code, response.json()) == (200, {"data": {"__typename": "Query"}})
    # Workers racing to register the same document (PostgreSQL runs these on separate connections).
    racing = await asyncio.gather(*[register(client, VIEWER) for _ in range(6)])
    assert [(r.status_code, r.json()) for r in racing] == [(200, {"data": {"viewer": None}})] * 6
    assert await stored() == {sha256(TYPENAME): TYPENAME, sha256(VIEWER): VIEWER}
    assert (await get(client, TYPENAME)).json() == {"data": {"__typename": "Query"}}
    assert (await get(client, VIEWER)).json() == {"data": {"viewer": None}}


async def test_persisted_mutation_runs_over_post_never_over_get(demo: Api) -> None:
    lianhua = await org_id("莲花北社区")
    admin = {"Authorization": f"Bearer {demo.token('13800000002')}"}

    def rename(name: str) -> dict:
        return {"input": {"orgId": lianhua, "name": name}}

    async def name_over_get() -> httpx.Response:
        return await get(demo.http, ORG_NAME, {"id": lianhua}, operation_name="OrgName")

    assert (await register(demo.http, ORG_NAME, {"id": lianhua}, operation_name="OrgName")).status_code == 200
    before = await name_over_get()
    assert before.json() == {"data": {"org": {"name": "莲花北社区"}}}

    registered = await register(demo.http, RENAME, rename("莲花北"), headers=admin)
    assert registered.json() == {"data": {"updateOrg": {"org": {"name": "莲花北"}, "errors": []}}}
    assert sha256(RENAME) in await stored()

    # Over GET the registered mutation is refused, hash alone or with its document, and nothing changes.
    refused(await get(demo.http, RENAME, rename("GET改名"), headers=admin), "mutations are not allowed when using GET")
    with_document = await demo.http.get("/graphql", headers=admin, params={
        "query": RENAME, "variables": compact(rename("GET改名")), "extensions": compact(persisted(RENAME))})
    refused(with_document, "Register persisted queries with POST")  # a GET never writes to the store
    after_get = await name_over_get()
    assert after_get.json() == {"data": {"org": {"name": "莲花北"}}}
    assert etag(after_get) != etag(before)  # the answer changed, so its tag did
    stale = await get(demo.http, ORG_NAME, {"id": lianhua}, operation_name="OrgName",
                      headers={"If-None-Match": etag(before)})
    assert (stale.status_code, stale.json()) == (200, {"data": {"org": {"name": "莲花北"}}})

    # Over POST the hash alone runs it.
    by_hash = await post_hash(demo.http, RENAME, rename("莲花北社区"), headers=admin)
    assert by_hash.status_code == 200
    assert by_hash.json() == {"data": {"updateOrg": {"org": {"name": "莲花北社区"}, "errors": []}}}
    assert "etag" not in by_hash.headers and "cache-control" not in by_hash.headers
    assert (await name_over_get()).json() == {"data": {"org": {"name": "莲花北社区"}}}
    # Anonymous, the same hash reaches the schema's own refusal, not a persisted-query error.
    anonymous = await post_hash(demo.http, RENAME, rename("x"))
    assert anonymous.json()["errors"][0]["extensions"] == {"code": "UNAUTHENTICATED"}


async def test_documents_survive_a_new_app_instance(client: httpx.AsyncClient, settings: Settings,
                                                    app_for: AppFor) -> None:
    """The store is the database (shared by workers, kept over restarts), not the view's memory."""
    assert (await register(client, TYPENAME)).status_code == 200
    restarted = app_for(settings)
    response = await get(restarted, TYPENAME)
    assert (response.status_code, response.json()) == (200, {"data": {"__typename": "Query"}})
    assert (await post_hash(restarted, TYPENAME)).json() == {"data": {"__typename": "Query"}}
    # …and a document registered through the new instance serves the first one.
    assert (await register(restarted, VIEWER)).status_code == 200
    assert (await get(client, VIEWER)).json() == {"data": {"viewer": None}}
    rows = await PersistedQuery.all().order_by("sha256")
    assert [(row.sha256, row.query) for row in rows] == sorted([(sha256(TYPENAME), TYPENAME),
                                                                (sha256(VIEWER), VIEWER)])
    assert all(row.created_at is not None and row.created_at.tzinfo is not None for row in rows)


async def test_get_without_a_persisted_hash_is_refused(client: httpx.AsyncClient) -> None:
    assert (await register(client, TYPENAME)).status_code == 200
    mutation = 'mutation { logout(input: {refreshToken: "x"}) { errors { code } } }'
    for params in (
        {"query": TYPENAME},
        {"query": mutation},
        {"query": TYPENAME, "extensions": "{}"},
        {"query": TYPENAME, "extensions": '{"tracing":true}'},
        {"query": TYPENAME, "extensions": '{"persistedQuery":null}'},  # present but null is no persisted query
        {"extensions": '{"persistedQuery":null}'},
        {"operationName": "Kind", "variables": "{}"},
        {},
    ):
        response = await client.get("/graphql", params=params, headers={"Accept": "application/json"})
        refused(response, NOT_ONLY_GET)
        assert "Query" not in response.text
    # The query string must hold JSON where JSON belongs.
    for params in ({"extensions": "{not json"}, {"extensions": compact(persisted(TYPENAME)), "variables": "{x"}):
        refused(await client.get("/graphql", params=params), "Unable to parse request body as JSON")


async def test_graphiql_only_for_a_browser_get_without_an_operation(client: httpx.AsyncClient,
                                                                    app_for: AppFor) -> None:
    assert (await register(client, TYPENAME)).status_code == 200
    for accept in ("text/html,application/xhtml+xml,*/*;q=0.8", "*/*"):
        ide = await client.get("/graphql", headers={"Accept": accept})
        assert ide.status_code == 200
        assert ide.headers["content-type"].startswith("text/html")
        assert "graphiql" in ide.text.lower()
        assert "etag" not in ide.headers and "cache-control" not in ide.headers
        # A browser (or curl, which accepts */*) opening a persisted-query URL gets the answer, not the IDE.
        answer = await get(client, TYPENAME, headers={"Accept": accept})
        assert (answer.status_code, answer.content) == (200, b'{"data":{"__typename":"Query"}}')
        assert answer.headers["content-type"] == "application/json"
    # Production has no GraphiQL, yet persisted queries work there over GET.
    prod = app_for(make_settings(env="production"))
    assert (await prod.get("/graphql", headers={"Accept": "text/html"})).status_code == 404
    response = await get(prod, TYPENAME, headers={"Accept": "text/html"})
    assert (response.status_code, response.json()) == (200, {"data": {"__typename": "Query"}})
    assert cache_headers(response) == public()


# --- HTTP caching of GET --------------------------------------------------------------------------------------------

async def test_logged_in_get_is_private_and_the_viewers_own(demo: Api) -> None:
    assert (await register(demo.http, VIEWER)).json() == {"data": {"viewer": None}}
    resident = {"Authorization": f"Bearer {demo.token('13800000006')}"}

    mine = await get(demo.http, VIEWER, headers=resident)
    assert mine.status_code == 200
    assert mine.json() == {"data": {"viewer": {"displayName": "林居民", "phone": "13800000006"}}}
    assert cache_headers(mine) == PRIVATE
    anonymous = await get(demo.http, VIEWER)
    assert anonymous.json() == {"data": {"viewer": None}}
    assert cache_headers(anonymous) == public()
    assert etag(mine) != etag(anonymous)
    secretary = await get(demo.http, VIEWER, headers={"Authorization": f"Bearer {demo.token('13800000002')}"})
    assert secretary.json() == {"data": {"viewer": {"displayName": "莲花北社区书记", "phone": "13800000002"}}}
    assert cache_headers(secretary) == PRIVATE and etag(secretary) != etag(mine)

    # The viewer's own copy revalidates, and stays private.
    again = await get(demo.http, VIEWER, headers={**resident, "If-None-Match": etag(mine)})
    assert (again.status_code, again.content) == (304, b"")
    assert again.headers["etag"] == etag(mine)
    assert again.headers["cache-control"] == "private, no-store"
    # A stale or bad token is an error answer: private too.
    bad = await get(demo.http, VIEWER, headers={"Authorization": "Bearer nonsense"})
    assert bad.json() == {"data": None, "errors": [{"message": "登录凭证无效或已过期，请重新登录",
                                                    "extensions": {"code": "UNAUTHENTICATED"}}]}
    assert cache_headers(bad) == PRIVATE


async def test_answers_with_errors_are_never_public(client: httpx.AsyncClient) -> None:
    assert (await register(client, ORG_NAME, {"id": "T3JnOjE="}, operation_name="OrgName")).status_code == 200
    missing_variable = await get(client, ORG_NAME, operation_name="OrgName", headers={"Accept": "application/json"})
    assert missing_variable.status_code == 200
    body = missing_variable.json()
    assert body["data"] is None and body["errors"][0]["extensions"] == {"code": "GRAPHQL_VALIDATION_FAILED"}
    assert cache_headers(missing_variable) == PRIVATE
    etag(missing_variable)
    english = await get(client, ORG_NAME, operation_name="OrgName",
                        headers={"Accept-Language": "en", "Accept": "application/json"})
    assert cache_headers(english) == PRIVATE
    # Asked for application/graphql-response+json (as Apollo does), the same request error is a bare 400.
    spec = await get(client, ORG_NAME, operation_name="OrgName")
    assert (spec.status_code, "data" in spec.json(), spec.headers.get("etag")) == (400, False, None)
    assert spec.headers.get("cache-control") is None


async def test_etag_follows_the_body(demo: Api) -> None:
    district, lianhua = await org_id("思明区"), await org_id("莲花北社区")
    assert (await register(demo.http, ORG_NAME, {"id": district}, operation_name="OrgName")).status_code == 200

    first = await get(demo.http, ORG_NAME, {"id": district}, operation_name="OrgName")
    second = await get(demo.http, ORG_NAME, {"id": district}, operation_name="OrgName")
    assert first.content == second.content
    assert etag(first) == etag(second)
    # The same variables spelt differently give the same answer and so the same tag.
    spelt = await demo.http.get("/graphql", params={
        "extensions": json.dumps(persisted(ORG_NAME), indent=2), "variables": '{ "id" : "%s" }' % district,
        "operationName": "OrgName"})
    assert etag(spelt) == etag(first)
    other = await get(demo.http, ORG_NAME, {"id": lianhua}, operation_name="OrgName")
    assert other.json() == {"data": {"org": {"name": "莲花北社区"}}}
    assert etag(other) != etag(first)
    # POST answers carry no validators at all.
    assert "etag" not in (await post_hash(demo.http, ORG_NAME, {"id": district})).headers


@pytest.mark.parametrize("if_none_match", [
    "{tag}",
    'W/"00000000000000000000000000000000", {tag}',
    '"{strong}"',
    '"deadbeef" ,  "{strong}",W/"cafe"',
], ids=["weak", "list", "strong", "strong-in-list"])
async def test_if_none_match_gives_304(client: httpx.AsyncClient, if_none_match: str) -> None:
    assert (await register(client, TYPENAME)).status_code == 200
    fresh = await get(client, TYPENAME)
    tag = etag(fresh)
    header = if_none_match.format(tag=tag, strong=tag[2:].strip('"'))
    for encoding in ("identity", "gzip"):
        response = await get(client, TYPENAME, headers={"If-None-Match": header, "Accept-Encoding": encoding})
        assert response.status_code == 304
        assert response.content == b""
        assert response.headers["etag"] == tag
        assert cache_headers(response) == public()
        assert "content-type" not in response.headers
        assert response.headers.get("content-length", "0") == "0"


async def test_if_none_match_that_does_not_match_gives_the_body(client: httpx.AsyncClient) -> None:
    assert (await register(client, TYPENAME)).status_code == 200
    tag = etag(await get(client, TYPENAME))
    for header in ('W/"00000000000000000000000000000000"', tag[:-2] + '"', tag[2:-1], ""):
        response = await get(client, TYPENAME, headers={"If-None-Match": header})
        assert (response.status_code, response.content) == (200, b'{"data":{"__typename":"Query"}}'), header
        assert response.headers["etag"] == tag
    # If-None-Match means nothing to POST.
    posted = await client.post("/graphql", json={"query": TYPENAME}, headers={"If-None-Match": tag})
    assert (posted.status_code, posted.json()) == (200, {"data": {"__typename": "Query"}})


async def test_cache_max_age_comes_from_settings(database: None, app_for: AppFor) -> None:
    short = app_for(make_settings(cache_max_age=5))
    assert (await register(short, TYPENAME)).status_code == 200
    response = await get(short, TYPENAME)
    assert (response.status_code, response.json()) == (200, {"data": {"__typename": "Query"}})
    assert cache_headers(response) == public(5)
    never = app_for(make_settings(cache_max_age=0))
    assert cache_headers(await get(never, TYPENAME)) == public(0)
    # Private answers ignore the setting.
    assert cache_headers(await get(short, TYPENAME, headers={"Authorization": "Bearer x"})) == PRIVATE


def sized(length: int) -> str:
    """A document whose answer is exactly `length` bytes: `{"data":{"<alias>":"Query"}}` is 21 bytes plus the alias."""
    return "{ " + "a" * (length - 21) + ": __typename }"


async def test_gzip_from_1024_bytes(client: httpx.AsyncClient) -> None:
    for length in (1023, 1024, 4000):
        document = sized(length)
        expected = {"data": {"a" * (length - 21): "Query"}}
        assert (await register(client, document)).json() == expected
        plain = await get(client, document)
        assert len(plain.content) == length
        assert plain.headers["content-length"] == str(length)
        assert "content-encoding" not in plain.headers

        zipped = await get(client, document, headers={"Accept-Encoding": "gzip"})
        assert zipped.status_code == 200
        assert zipped.json() == expected  # httpx has decoded it
        assert zipped.headers["etag"] == plain.headers["etag"]  # a weak tag: the same content, either encoding
        assert zipped.headers["cache-control"] == "public, max-age=60"
        if length < 1024:
            assert "content-encoding" not in zipped.headers
            assert zipped.headers["content-length"] == str(length)
            assert zipped.headers["vary"] == VARY
        else:
            assert zipped.headers["content-encoding"] == "gzip"
            assert int(zipped.headers["content-length"]) == zipped.num_bytes_downloaded < 200
            assert set(zipped.headers["vary"].split(", ")) == set(VARY.split(", "))
        # POST answers are compressed the same way.
        posted = await client.post("/graphql", json={"query": document}, headers={"Accept-Encoding": "gzip"})
        assert posted.json() == expected
        assert posted.headers.get("content-encoding") == (None if length < 1024 else "gzip")


async def test_post_behaves_as_before(client: httpx.AsyncClient) -> None:
    plain = await client.post("/graphql", json={"query": TYPENAME})
    assert (plain.status_code, plain.content) == (200, b'{"data":{"__typename":"Query"}}')
    assert plain.headers["content-type"] == "application/json"
    assert cache_headers(plain) == {"cache-control": None, "vary": None, "content-encoding": None}
    assert "etag" not in plain.headers
    # Other extensions, or a null persistedQuery, are no persisted query: the document simply runs, unregistered.
    for extensions in ({"tracing": True}, {"persistedQuery": None}, None):
        response = await client.post("/graphql", json={"query": TYPENAME, "extensions": extensions})
        assert response.json() == {"data": {"__typename": "Query"}}
    assert await stored() == {}
    mutation = await client.post("/graphql", json={"query": 'mutation { logout(input: {refreshToken: "x"}) '
                                                            "{ errors { code } } }"})
    assert mutation.json()["errors"][0]["extensions"] == {"code": "UNAUTHENTICATED"}
    assert "cache-control" not in mutation.headers
    batch = await client.post("/graphql", json=[{"extensions": persisted(TYPENAME)}] * 2)
    assert batch.status_code == 400 and "Batching is not enabled" in batch.text
    assert (await client.post("/graphql", json={"variables": {}})).status_code == 400


# --- settings -------------------------------------------------------------------------------------------------------

def load(**environ: str) -> Settings:
    return settings_module.load({"JINLIN_SECRET_KEY": SECRET, "JINLIN_DB_URL": "sqlite://:memory:", **environ})


@pytest.mark.parametrize("raw, seconds", [(None, 60), ("", 60), ("  ", 60), ("5", 5), (" 30 ", 30), ("0", 0),
                                          ("86400", 86400)])
def test_cache_max_age_setting(raw: str | None, seconds: int) -> None:
    settings = load() if raw is None else load(JINLIN_CACHE_MAX_AGE=raw)
    assert settings.cache_max_age == seconds
    assert Settings().cache_max_age == 60


@pytest.mark.parametrize("raw", ["abc", "-1", "1.5", "5s", "1e3", "+5", "²", "٣"])
def test_cache_max_age_setting_must_be_a_whole_number(raw: str) -> None:
    with pytest.raises(SettingsError) as error:
        load(JINLIN_CACHE_MAX_AGE=raw)
    assert str(error.value) == f"JINLIN_CACHE_MAX_AGE must be a whole number of seconds, not {raw!r}"


# --- what the store refuses to keep ---------------------------------------------------------------------------------


async def test_a_get_never_registers(client: httpx.AsyncClient) -> None:
    response = await client.get("/graphql", params={"query": TYPENAME, "extensions": compact(persisted(TYPENAME))},
                                headers={"Accept": APOLLO_ACCEPT})
    refused(response, "Register persisted queries with POST")
    assert await stored() == {}
    assert (await register(client, TYPENAME)).status_code == 200  # Apollo's retry goes over POST
    assert await stored() == {sha256(TYPENAME): TYPENAME}


async def test_broken_and_huge_documents_are_not_stored(client: httpx.AsyncClient) -> None:
    broken = "{ nope"
    body = (await register(client, broken)).json()
    assert body["data"] is None and body["errors"][0]["extensions"]["code"] == "GRAPHQL_PARSE_FAILED"
    huge = "{ __typename }" + " " * 20_000
    assert (await register(client, huge)).json() == {"data": {"__typename": "Query"}}
    assert await stored() == {}
    for document in (broken, huge):
        assert (await get(client, document)).json()["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_FOUND"


async def test_if_none_match_star_revalidates_any_answer(client: httpx.AsyncClient) -> None:
    await register(client, TYPENAME)
    first = await get(client, TYPENAME)
    again = await get(client, TYPENAME, headers={"If-None-Match": "*"})
    assert (again.status_code, again.content, again.headers["etag"]) == (304, b"", etag(first))


# --- trusted documents (JINLIN_PERSISTED_ONLY) ----------------------------------------------------------------------

LISTED = "query Listed { orgs(first: 1) { nodes { name } } }"


def _manifests(tmp_path: Any) -> dict[str, Any]:
    """The same one-operation manifest as Apollo's generator and as graphql-codegen's write it."""
    apollo = tmp_path / "persisted-query-manifest.json"
    apollo.write_text(json.dumps({"format": "apollo-persisted-query-manifest", "version": 1, "operations": [
        {"id": sha256(LISTED), "name": "Listed", "type": "query", "body": LISTED}]}), encoding="utf-8")
    codegen = tmp_path / "persisted-documents.json"
    codegen.write_text(json.dumps({sha256(LISTED): LISTED}), encoding="utf-8")
    return {"apollo": apollo, "codegen": codegen}


def test_manifests_load_in_both_formats_and_are_checked(tmp_path: Any) -> None:
    for path in _manifests(tmp_path).values():
        assert settings_module.load_manifest(str(path)) == {sha256(LISTED): LISTED}
    wrong = tmp_path / "wrong.json"
    wrong.write_text(json.dumps({sha256(TYPENAME): LISTED}), encoding="utf-8")
    for path, needle in ((str(wrong), "not its SHA-256"), (str(tmp_path / "missing.json"), "cannot read"),
                         ("", "needs JINLIN_PERSISTED_MANIFEST")):
        with pytest.raises(SettingsError, match=needle):
            settings_module.load_manifest(path)
    environ = {"JINLIN_SECRET_KEY": SECRET, "JINLIN_DB_URL": "sqlite://:memory:", "JINLIN_PERSISTED_ONLY": "1"}
    with pytest.raises(SettingsError, match="needs JINLIN_PERSISTED_MANIFEST"):
        settings_module.load(environ)
    loaded = settings_module.load({**environ, "JINLIN_PERSISTED_MANIFEST": str(_manifests(tmp_path)["codegen"])})
    assert loaded.trusted_documents == {sha256(LISTED): LISTED}
    assert settings_module.load({**environ, "JINLIN_PERSISTED_ONLY": ""}).trusted_documents is None


async def test_trusted_documents_mode_runs_only_the_manifest(database: None, tmp_path: Any) -> None:
    trusted = settings_module.load_manifest(str(_manifests(tmp_path)["apollo"]))
    app = create_app(make_settings(trusted_documents=trusted), init_db=False)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as http:
        expected = {"data": {"orgs": {"nodes": []}}}
        assert (await get(http, LISTED)).json() == expected  # by hash, over GET
        assert (await post_hash(http, LISTED)).json() == expected  # by hash, over POST
        assert (await http.post("/graphql", json={"query": LISTED})).json() == expected  # a listed document
        assert (await register(http, LISTED)).json() == expected
        unknown = await get(http, TYPENAME)
        assert unknown.json()["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_FOUND"
        for attempt in (await http.post("/graphql", json={"query": TYPENAME}), await register(http, TYPENAME)):
            assert attempt.status_code == 400
            assert attempt.json() == {"errors": [{"message": "Only the app's registered operations run here",
                                                  "extensions": {"code": "PERSISTED_QUERY_REQUIRED"}}]}
        mismatch = await http.post("/graphql", json={"query": TYPENAME, "extensions": persisted(LISTED)})
        assert mismatch.status_code == 400
    assert await stored() == {}  # the manifest is the only source: nothing is registered
