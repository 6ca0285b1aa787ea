"""A small ASGI helper for middleware that must see a whole response before answering (the GraphQL answers it
wraps are small JSON documents)."""

from __future__ import annotations

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
