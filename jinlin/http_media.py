"""GraphQL over HTTP's own media type: a client that asks for `application/graphql-response+json` gets it, and an
answer without `data` (the document did not parse or validate) then carries HTTP 400, as the spec requires. A request
whose Accept header names nothing the endpoint serves is refused with 406 before it runs (the spec's recommendation)."""

from __future__ import annotations

import json

from starlette.datastructures import Headers, MutableHeaders
from starlette.responses import PlainTextResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from jinlin.asgi import rewrite_response

MEDIA_TYPE = "application/graphql-response+json"
# What /graphql can answer with: the two JSON types (any range covering them), strawberry's streaming transports for
# subscriptions over HTTP, and for GET also text/html (GraphiQL, and a browser opening a persisted-query link).
_SERVED = frozenset({MEDIA_TYPE, "application/json", "application/*", "*/*", "multipart/mixed", "text/event-stream"})
_SERVED_TO_GET = _SERVED | {"text/html"}
NOT_ACCEPTABLE = "Not Acceptable: /graphql answers application/graphql-response+json or application/json"


def weighted(header: str) -> list[tuple[str, float]]:
    """The items of an Accept-style header (Accept, Accept-Encoding) with their q-values, in order (lower case; a q
    that does not parse counts as 0)."""
    ranges = []
    for part in header.split(","):
        media, *params = [p.strip() for p in part.split(";")]
        if not media:
            continue
        q = 1.0
        for param in params:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        ranges.append((media.lower(), q))
    return ranges


def acceptable(accept: str, method: str) -> bool:
    """Whether the request accepts something /graphql serves (no Accept header at all means application/json)."""
    ranges = weighted(accept)
    served = _SERVED_TO_GET if method == "GET" else _SERVED
    return not ranges or any(media in served and q > 0 for media, q in ranges)


def wants_graphql_response(accept: str) -> bool:
    """Whether the client prefers the GraphQL response media type over plain JSON (by order, then q-value)."""
    best: tuple[float, int, str] | None = None
    for position, (media, q) in enumerate(weighted(accept)):
        if media in (MEDIA_TYPE, "application/json") and q > 0:
            candidate = (-q, position, media)
            best = candidate if best is None or candidate < best else best
    return best is not None and best[2] == MEDIA_TYPE


class GraphQLResponseMedia:
    """Pure ASGI middleware for one path: relabels JSON answers and sets the spec's status codes."""

    def __init__(self, app: ASGIApp, *, path: str = "/graphql") -> None:
        self.app = app
        self.path = path

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] != self.path:
            await self.app(scope, receive, send)
            return
        accept = ", ".join(Headers(scope=scope).getlist("accept"))  # several Accept lines are one list
        if scope["method"] in ("GET", "POST") and not acceptable(accept, scope["method"]):
            await PlainTextResponse(NOT_ACCEPTABLE, status_code=406)(scope, receive, send)
            return
        if not wants_graphql_response(accept):
            await self.app(scope, receive, send)
            return
        async def relabel(status: int, headers: MutableHeaders, body: bytes) -> tuple[int, bytes]:
            """The spec's media type, and 400 (without `data`) for an answer that never reached execution."""
            if not headers.get("content-type", "").startswith("application/json"):
                return status, body
            headers["content-type"] = MEDIA_TYPE
            request_error = _request_error(body) if status == 200 else None
            return (400, request_error) if request_error is not None else (status, body)

        await rewrite_response(self.app, scope, receive, send, relabel)


# Answers without `data` that are part of a protocol, not a failed request: Apollo's persisted-query link expects
# PERSISTED_QUERY_NOT_FOUND with 200 before it sends the document along.
_PROTOCOL_CODES = frozenset({"PERSISTED_QUERY_NOT_FOUND"})
# Failures before execution: strawberry still writes `"data": null` for them, the spec wants no `data` and a 400.
_REQUEST_ERROR_CODES = frozenset({"GRAPHQL_PARSE_FAILED", "GRAPHQL_VALIDATION_FAILED"})


def _request_error(body: bytes) -> bytes | None:
    """The answer to send with 400 when this one is a request error (it never reached execution), else None."""
    try:
        parsed = json.loads(body)
    except ValueError:
        return None
    if not isinstance(parsed, dict) or not parsed.get("errors") or parsed.get("data") is not None:
        return None
    codes = {(e.get("extensions") or {}).get("code") for e in parsed["errors"] if isinstance(e, dict)}
    if codes <= _PROTOCOL_CODES:
        return None
    if "data" in parsed and not codes <= _REQUEST_ERROR_CODES:
        return None  # execution began and failed at the root (data: null): 200, as the spec recommends
    parsed.pop("data", None)
    return json.dumps(parsed, ensure_ascii=False, separators=(",", ":")).encode()
