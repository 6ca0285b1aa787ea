"""HTTP caching for GET /graphql (persisted queries): an ETag on every answer, 304 for a matching If-None-Match,
and a Cache-Control that lets shared caches keep anonymous answers but never a person's own data."""

from __future__ import annotations

import hashlib

from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Receive, Scope, Send

from jinlin.asgi import rewrite_response


class HttpCache:
    """Pure ASGI middleware: buffers GET responses of one path (they are small JSON documents) to tag them."""

    def __init__(self, app: ASGIApp, *, path: str = "/graphql", public_max_age: int = 60) -> None:
        self.app = app
        self.path = path
        self.public_max_age = public_max_age

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "GET" or scope["path"] != self.path:
            await self.app(scope, receive, send)
            return
        request = Headers(scope=scope)

        async def tag(status: int, headers: MutableHeaders, body: bytes) -> tuple[int, bytes]:
            """Add the validators, or turn the answer into a bodiless 304 when the client's copy is current."""
            if status != 200 or not headers.get("content-type", "").startswith("application/"):
                return status, body
            etag = 'W/"' + hashlib.sha256(body).hexdigest()[:32] + '"'
            headers["ETag"] = etag
            personal = "authorization" in request or b'"errors"' in body
            headers["Cache-Control"] = "private, no-store" if personal else f"public, max-age={self.public_max_age}"
            headers["Vary"] = "Authorization, Accept, Accept-Language, Accept-Encoding"
            wanted = _etags(request.get("if-none-match", ""))
            if etag in wanted or "W/*" in wanted:
                for name in ("content-length", "content-type"):
                    if name in headers:
                        del headers[name]
                return 304, b""
            return status, body

        await rewrite_response(self.app, scope, receive, send, tag)


def _etags(value: str) -> set[str]:
    """The entity tags of an If-None-Match header (weak and strong compare alike for GET, as RFC 9110 says)."""
    tags = set()
    for tag in value.split(","):
        tag = tag.strip()
        if tag:
            tags.add(tag if tag.startswith("W/") else "W/" + tag)
    return tags
