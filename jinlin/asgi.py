"""A small ASGI helper for middleware that must see a whole response before answering (the GraphQL answers it
wraps are small JSON documents)."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

# Given the status, the headers (to change in place) and the body, returns the status and body to send.
Rewrite = Callable[[int, MutableHeaders, bytes], Awaitable[tuple[int, bytes]]]


async def rewrite_response(app: ASGIApp, scope: Scope, receive: Receive, send: Send, rewrite: Rewrite) -> None:
    """Run `app`, buffer its response, let `rewrite` change it, then send it as one body."""
    start: Message | None = None
    body = bytearray()

    async def capture(message: Message) -> None:
        nonlocal start
        if message["type"] == "http.response.start":
            start = message
            return
        if message["type"] != "http.response.body":
            await send(message)
            return
        body.extend(message.get("body", b""))
        if message.get("more_body", False):
            return
        assert start is not None
        headers = MutableHeaders(raw=list(start["headers"]))
        status, answer = await rewrite(start["status"], headers, bytes(body))
        if "content-length" in headers:
            headers["content-length"] = str(len(answer))
        await send({"type": "http.response.start", "status": status, "headers": headers.raw})
        await send({"type": "http.response.body", "body": answer})

    await app(scope, receive, capture)


# Headers our own JSON answers add where they must never be cached or the connection must not be reused.
NO_STORE = (b"cache-control", b"no-store")
CLOSE = (b"connection", b"close")


def error_body(code: str, text: str, **extensions: object) -> bytes:
    """A top-level GraphQL error with `extensions.code` (and any other extensions), as compact UTF-8 JSON."""
    return json.dumps({"errors": [{"message": text, "extensions": {"code": code, **extensions}}]},
                      ensure_ascii=False, separators=(",", ":")).encode()


def json_headers(body: bytes, *extra: tuple[bytes, bytes]) -> list[tuple[bytes, bytes]]:
    """Content type and length of a JSON body, then `extra`."""
    return [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()), *extra]


async def send_json(send: Send, status: int, body: bytes, *extra: tuple[bytes, bytes]) -> None:
    """Answer with one whole JSON body from middleware, before or instead of the app."""
    await send({"type": "http.response.start", "status": status, "headers": json_headers(body, *extra)})
    await send({"type": "http.response.body", "body": body})


class StartTracker:
    """Wraps `send` and notes whether the response has started: after that a middleware can no longer answer with
    an error of its own."""

    def __init__(self, send: Send) -> None:
        self.send = send
        self.started = False

    async def __call__(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            self.started = True
        await self.send(message)
