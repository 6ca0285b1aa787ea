"""GraphQL over HTTP's `application/graphql-response+json`: the media type when the client prefers it, HTTP 400 for
answers without `data` (parse and validation failures), 200 once execution began; plain JSON clients unchanged."""

from __future__ import annotations

import httpx
import pytest

from jinlin.http_media import MEDIA_TYPE, wants_graphql_response

GRAPHQL_RESPONSE = "application/graphql-response+json, application/json;q=0.9"


@pytest.mark.parametrize(("accept", "wanted"), [
    (GRAPHQL_RESPONSE, True),
    (MEDIA_TYPE, True),
    ("application/json, application/graphql-response+json", False),  # order decides at equal q
    ("application/json;q=0.5, application/graphql-response+json", True),
    ("application/graphql-response+json;q=0, application/json", False),
    ("application/json", False),
    ("*/*", False),
    ("", False),
])
def test_preference(accept: str, wanted: bool) -> None:
    assert wants_graphql_response(accept) is wanted


async def _post(client: httpx.AsyncClient, query: str, accept: str) -> httpx.Response:
    return await client.post("/graphql", json={"query": query}, headers={"Accept": accept})


async def test_status_codes_follow_the_spec(client: httpx.AsyncClient) -> None:
    ok = await _post(client, "{ __typename }", GRAPHQL_RESPONSE)
    assert (ok.status_code, ok.headers["content-type"], ok.json()) == (200, MEDIA_TYPE, {"data": {"__typename": "Query"}})
    for broken in ("{ __typename", "{ nope }"):  # a parse error, a validation error: no `data`
        refused = await _post(client, broken, GRAPHQL_RESPONSE)
        assert (refused.status_code, refused.headers["content-type"]) == (400, MEDIA_TYPE)
        assert "data" not in refused.json() and refused.json()["errors"]
        plain = await _post(client, broken, "application/json")
        assert (plain.status_code, plain.headers["content-type"]) == (200, "application/json")
    # Execution began (login is required for the viewer's orders): data is null, the status stays 200.
    began = await _post(client, "{ orders { totalCount } }", GRAPHQL_RESPONSE)
    assert (began.status_code, began.json()["data"]) == (200, None)


async def test_a_persisted_query_miss_stays_200(client: httpx.AsyncClient) -> None:
    response = await client.post("/graphql", headers={"Accept": GRAPHQL_RESPONSE}, json={
        "extensions": {"persistedQuery": {"version": 1, "sha256Hash": "0" * 64}}})
    assert (response.status_code, response.headers["content-type"]) == (200, MEDIA_TYPE)
    assert response.json()["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_FOUND"
