"""HTTP caching for GET /graphql (persisted queries): an ETag on every answer, 304 for a matching If-None-Match,
and a Cache-Control that lets shared caches keep anonymous answers but never a person's own data."""

from __future__ import annotations

import hashlib

from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send


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
        request_headers = Headers(scope=scope)
        start: Message | None = None
        body = bytearray()

        async def capture(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                start = message
            elif message["type"] == "http.response.body":
                body.extend(message.get("body", b""))
                if not message.get("more_body", False):
                    await self._finish(start, bytes(body), request_headers, send)

        await self.app(scope, receive, capture)

    async def _finish(self, start: Message | None, body: bytes, request: Headers, send: Send) -> None:
        """Send the buffered response with its validators, or a bodiless 304 when the client's copy is current."""
        assert start is not None
        headers = MutableHeaders(raw=list(start["headers"]))
        status = start["status"]
        is_json = headers.get("content-type", "").startswith("application/")
        if status == 200 and is_json:
            etag = 'W/"' + hashlib.sha256(body).hexdigest()[:32] + '"'
            headers["ETag"] = etag
            personal = "authorization" in request or b'"errors"' in body
            headers["Cache-Control"] = ("private, no-store" if personal
                                        else f"public, max-age={self.public_max_age}")
            headers["Vary"] = "Authorization, Accept, Accept-Language, Accept-Encoding"
            wanted = _etags(request.get("if-none-match", ""))
            if etag in wanted or "W/*" in wanted:
                for name in ("content-length", "content-type"):
                    if name in headers:
                        del headers[name]
                await send({"type": "http.response.start", "status": 304, "headers": headers.raw})
                await send({"type": "http.response.body", "body": b""})
                return
        await send({"type": "http.response.start", "status": status, "headers": headers.raw})
        await send({"type": "http.response.body", "body": body})


def _etags(value: str) -> set[str]:
    """The entity tags of an If-None-Match header (weak and strong compare alike for GET, as RFC 9110 says)."""
    tags = set()
    for tag in value.split(","):
        tag = tag.strip()
        if tag:
            tags.add(tag if tag.startswith("W/") else "W/" + tag)
    return tags
