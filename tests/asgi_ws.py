"""A graphql-transport-ws client that talks to the ASGI app in-process (same event loop and test database as the
HTTP tests), so subscription tests need no server and no threads."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from starlette.types import ASGIApp


class Closed(Exception):
    """The server closed the socket; `code` and `reason` say why."""

    def __init__(self, code: int, reason: str = "") -> None:
        super().__init__(f"closed {code} {reason}")
        self.code = code
        self.reason = reason


class WsClient:
    """One websocket to `/graphql`, speaking raw protocol messages (tests assert them exactly)."""

    def __init__(self, app: ASGIApp, *, subprotocol: str = "graphql-transport-ws",
                 headers: dict[str, str] | None = None) -> None:
        self.app = app
        self.subprotocol = subprotocol
        self.headers = headers or {}
        self._incoming: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self._outgoing: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self._task: asyncio.Task[None] | None = None
        self.accepted_subprotocol: str | None = None

    async def __aenter__(self) -> "WsClient":
        scope = {
            "type": "websocket", "asgi": {"version": "3.0"}, "scheme": "ws", "path": "/graphql", "raw_path": b"/graphql",
            "query_string": b"", "root_path": "", "client": ("127.0.0.1", 50000), "server": ("testserver", 80),
            "headers": [(b"host", b"testserver"), (b"sec-websocket-protocol", self.subprotocol.encode()),
                        *((k.lower().encode(), v.encode()) for k, v in self.headers.items())],
            "subprotocols": [self.subprotocol], "state": {},
        }
        self._task = asyncio.create_task(self.app(scope, self._receive, self._send))
        await self._incoming.put({"type": "websocket.connect"})
        message = await self._next_raw()
        if message["type"] == "websocket.close":
            raise Closed(message.get("code", 1000), message.get("reason", ""))
        assert message["type"] == "websocket.accept", message
        self.accepted_subprotocol = message.get("subprotocol")
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self._incoming.put({"type": "websocket.disconnect", "code": 1000})
        if self._task is not None:
            try:
                await asyncio.wait_for(self._task, timeout=5)
            except (asyncio.TimeoutError, Exception):
                self._task.cancel()

    async def _receive(self) -> dict[str, Any]:
        return await self._incoming.get()

    async def _send(self, message: dict[str, Any]) -> None:
        await self._outgoing.put(message)

    async def _next_raw(self, timeout: float = 10) -> dict[str, Any]:
        return await asyncio.wait_for(self._outgoing.get(), timeout=timeout)

    async def send(self, message: dict[str, Any]) -> None:
        """Send one protocol message."""
        await self._incoming.put({"type": "websocket.receive", "text": json.dumps(message)})

    async def receive(self, timeout: float = 10) -> dict[str, Any]:
        """The next protocol message; raises Closed when the server closes the socket instead."""
        message = await self._next_raw(timeout)
        if message["type"] == "websocket.close":
            raise Closed(message.get("code", 1000), message.get("reason", ""))
        assert message["type"] == "websocket.send", message
        assert message.get("text") is not None, f"graphql-transport-ws sends text frames only, not {message}"
        return json.loads(message["text"])

    async def nothing(self, wait: float = 0.3) -> None:
        """Assert that the server sends nothing for a moment."""
        try:
            message = await self._next_raw(wait)
        except asyncio.TimeoutError:
            return
        raise AssertionError(f"unexpected message {message}")

    async def init(self, payload: dict[str, Any] | None = None) -> dict[str, Any]:
        """connection_init and its answer (connection_ack, or Closed)."""
        await self.send({"type": "connection_init", **({"payload": payload} if payload is not None else {})})
        return await self.receive()

    async def subscribe(self, op_id: str, query: str, variables: dict[str, Any] | None = None) -> None:
        """Start a subscription under `op_id`."""
        await self.send({"id": op_id, "type": "subscribe", "payload": {"query": query, "variables": variables or {}}})
