"""GraphQL over HTTP's request rules, as graphql-http's auditServer checks them (tests/node/audit.mjs runs that audit
against a live server in CI): ill-formed requests are a plain-text 400 whichever JSON type the client accepts (a JSON
body that is not an object included, where strawberry alone answers 500), `operationName` must be a string and the
empty string means none, `application/json; charset=utf-8` and a UTF-8 BOM are JSON, variable coercion failures are
request errors, and an Accept header naming nothing /graphql serves is a 406 before anything runs."""

from __future__ import annotations

import httpx
import pytest

from jinlin.http_media import MEDIA_TYPE, NOT_ACCEPTABLE, acceptable
from jinlin.http_request import BAD_OPERATION_NAME, NOT_AN_OBJECT
from tests.conftest import Api, org_id

TYPENAME = b'{"query":"{ __typename }"}'
ANSWER = b'{"data":{"__typename":"Query"}}'
TEXT = "text/plain; charset=utf-8"
NO_QUERY = "No GraphQL query found in the request"
BAD_QUERY = "The GraphQL operation's `query` must be a string or null, if provided."
BAD_VARIABLES = "The GraphQL operation's `variables` must be an object or null, if provided."
BAD_EXTENSIONS = "The GraphQL operation's `extensions` must be an object or null, if provided."
NOT_JSON = "Unable to parse request body as JSON"
UNSUPPORTED = "Unsupported content type"
# What Apollo Client, Apollo Kotlin / iOS and a plain JSON client send.
APOLLO = "application/graphql-response+json,application/json;q=0.9"
APOLLO_MOBILE = "multipart/mixed;deferSpec=20220824, application/graphql-response+json, application/json"


async def _post(client: httpx.AsyncClient, body: bytes, *, accept: str | None = None,
                content_type: str | None = "application/json") -> httpx.Response:
    headers = {}
    if accept is not None:
        headers["Accept"] = accept
    if content_type is not None:
        headers["Content-Type"] = content_type
    return await client.post("/graphql", content=body, headers=headers)


def _whole(response: httpx.Response) -> tuple[int, str, bytes]:
    return response.status_code, response.headers.get("content-type", ""), response.content


@pytest.mark.parametrize(("body", "content_type", "message"), [
    (b"{}", "application/json", NO_QUERY),
    (b'{"variables":{}}', "application/json", NO_QUERY),
    (b'{"query":null}', "application/json", NO_QUERY),
    *[(b'{"query":%s}' % value, "application/json", BAD_QUERY) for value in (b'{"a":1}', b"1", b"true", b"[]")],
    *[(b'{"query":"{ __typename }","variables":%s}' % value, "application/json", BAD_VARIABLES)
      for value in (b'"{}"', b"1", b"true", b"[]")],
    *[(b'{"query":"{ __typename }","extensions":%s}' % value, "application/json", BAD_EXTENSIONS)
      for value in (b'"{}"', b"1", b"true", b"[]")],
    *[(b'{"query":"{ __typename }","operationName":%s}' % value, "application/json", BAD_OPERATION_NAME)
      for value in (b"{}", b"1", b"true", b"[]")],
    (b'{"query":', "application/json", NOT_JSON),
    (b"NONSENSE", "application/json", NOT_JSON),
    (b"", "application/json", NOT_JSON),
    # JSON, but not an object: strawberry alone answers these with a 500.
    *[(value, "application/json", NOT_AN_OBJECT) for value in (b'"{ __typename }"', b"1", b"null", b"true", b" 1 ")],
    (TYPENAME, "text/plain", UNSUPPORTED),
    (TYPENAME, "application/graphql", UNSUPPORTED),
    (TYPENAME, None, UNSUPPORTED),
], ids=lambda value: value.decode() if isinstance(value, bytes) else value)
async def test_ill_formed_requests_are_a_400(client: httpx.AsyncClient, body: bytes, content_type: str | None,
                                           message: str) -> None:
    for accept in (APOLLO, MEDIA_TYPE, "application/json", None):
        response = await _post(client, body, accept=accept, content_type=content_type)
        assert _whole(response) == (400, TEXT, message.encode()), accept


@pytest.mark.parametrize("body, content_type", [
    (TYPENAME, "application/json; charset=utf-8"),
    (TYPENAME, "application/json;charset=UTF-8"),
    (b'\xef\xbb\xbf{"query":"{ __typename }"}', "application/json"),  # a UTF-8 byte order mark
    (b' \n\t{"query":"{ __typename }"}', "application/json"),
    (b'{"query":"{ __typename }","variables":null,"operationName":null,"extensions":null}', "application/json"),
    (b'{"query":"{ __typename }","variables":{},"extensions":{}}', "application/json"),
    (b'{"query":"{ __typename }","operationName":""}', "application/json"),  # the empty name is no name
    (b'{"query":"query Kind { __typename }","operationName":""}', "application/json"),
    (b'{"query":"query Kind { __typename } query Other { a: __typename }","operationName":"Kind"}',
     "application/json"),
], ids=["charset", "charset-upper", "bom", "whitespace", "nulls", "empty-maps", "empty-name", "empty-name-named",
        "named"])
async def test_well_formed_requests_run(client: httpx.AsyncClient, body: bytes, content_type: str) -> None:
    assert _whole(await _post(client, body, content_type=content_type)) == (200, "application/json", ANSWER)
    assert _whole(await _post(client, body, accept=APOLLO, content_type=content_type)) == (200, MEDIA_TYPE, ANSWER)


async def test_variable_coercion_failure_is_a_request_error(client: httpx.AsyncClient) -> None:
    body = b'{"query":"query ($n: String!) { __type(name: $n) { name } }","variables":{"n":1}}'
    error = {"message": "Variable '$n' has invalid value: String cannot represent a non string value: 1",
             "locations": [{"line": 1, "column": 8}], "extensions": {"code": "GRAPHQL_VALIDATION_FAILED"}}
    spec = await _post(client, body, accept=APOLLO)
    assert (spec.status_code, spec.headers["content-type"], spec.json()) == (400, MEDIA_TYPE, {"errors": [error]})
    plain = await _post(client, body, accept="application/json")
    assert (plain.status_code, plain.headers["content-type"], plain.json()) == (
        200, "application/json", {"data": None, "errors": [error]})


# --- Accept ---------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("accept", "method", "wanted"), [
    ("", "POST", True),  # no preference: application/json
    ("application/json", "POST", True),
    (MEDIA_TYPE, "POST", True),
    ("APPLICATION/JSON", "POST", True),
    ("*/*", "POST", True),
    ("application/*", "POST", True),
    (APOLLO_MOBILE, "POST", True),
    ("text/event-stream", "POST", True),
    ("text/html, application/json;q=0.1", "POST", True),
    ("text/html", "GET", True),  # GraphiQL
    ("text/html", "POST", False),
    ("application/xml", "POST", False),
    ("application/xml", "GET", False),
    ("text/plain, image/png", "POST", False),
    ("application/json;q=0", "POST", False),
    ("*/*;q=0", "POST", False),
    ("application/json;q=zero", "POST", False),
    (f"{MEDIA_TYPE};q=0, application/json;q=0", "POST", False),
])
def test_acceptable(accept: str, method: str, wanted: bool) -> None:
    assert acceptable(accept, method) is wanted


@pytest.mark.parametrize("accept", ["text/html", "application/xml", "text/plain, image/png", "application/json;q=0",
                                    "*/*;q=0", f"{MEDIA_TYPE};q=0, application/json;q=0"])
async def test_unacceptable_accept_is_a_406(client: httpx.AsyncClient, accept: str) -> None:
    assert _whole(await _post(client, TYPENAME, accept=accept)) == (406, TEXT, NOT_ACCEPTABLE.encode())
    # A GET is refused the same way (text/html aside: that is GraphiQL).
    if "text/html" not in accept:
        response = await client.get("/graphql", params={"query": "{ __typename }"}, headers={"Accept": accept})
        assert _whole(response) == (406, TEXT, NOT_ACCEPTABLE.encode())


@pytest.mark.parametrize("accept", [None, "", "*/*", "application/*", "application/json", "text/html, application/json",
                                    APOLLO, APOLLO_MOBILE, MEDIA_TYPE])
async def test_acceptable_accept_runs(client: httpx.AsyncClient, accept: str | None) -> None:
    expected = MEDIA_TYPE if accept in (APOLLO, APOLLO_MOBILE, MEDIA_TYPE) else "application/json"
    assert _whole(await _post(client, TYPENAME, accept=accept)) == (200, expected, ANSWER)


async def test_several_accept_lines_are_one_list(client: httpx.AsyncClient) -> None:
    response = await client.post("/graphql", content=TYPENAME, headers=[
        ("Content-Type", "application/json"), ("Accept", "text/html"), ("Accept", MEDIA_TYPE)])
    assert _whole(response) == (200, MEDIA_TYPE, ANSWER)


async def test_a_406_runs_nothing(demo: Api) -> None:
    """The spec: respond 406 and stop processing. A mutation sent with an unacceptable Accept changes nothing."""
    lianhua = await org_id("莲花北社区")
    rename = {"query": "mutation ($input: UpdateOrgInput!) { updateOrg(input: $input) { org { name } } }",
              "variables": {"input": {"orgId": lianhua, "name": "改名"}}}
    admin = {"Authorization": f"Bearer {demo.token('13800000002')}", "Idempotency-Key": "406-then-json"}
    refused = await demo.http.post("/graphql", json=rename, headers={**admin, "Accept": "text/html"})
    assert _whole(refused) == (406, TEXT, NOT_ACCEPTABLE.encode())
    name = await demo.ok("query ($id: ID!) { org(id: $id) { name } }", {"id": lianhua})
    assert name == {"org": {"name": "莲花北社区"}}
    # The Idempotency-Key was not taken by the refused request: the same key then runs the mutation once.
    renamed = await demo.http.post("/graphql", json=rename, headers={**admin, "Accept": "application/json"})
    assert (renamed.status_code, renamed.json()) == (200, {"data": {"updateOrg": {"org": {"name": "改名"}}}})
    assert "idempotent-replayed" not in renamed.headers
