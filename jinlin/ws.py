"""graphql-transport-ws with keep-alive: strawberry's handler answers pings but never sends any, and mobile networks
(NAT, carrier proxies) silently drop a socket that stays quiet for a minute or two."""

from __future__ import annotations

import asyncio
import hashlib
from contextlib import suppress
from typing import Any

from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import BaseGraphQLTransportWSHandler
from strawberry.subscriptions.protocols.graphql_transport_ws.types import ConnectionInitMessage, SubscribeMessage


class TransportWSHandler(BaseGraphQLTransportWSHandler[Any, Any]):
    """Sends the protocol's `ping` every `ping_interval` seconds once the connection is acknowledged (clients such
    as graphql-ws and Apollo Kotlin answer `pong` by themselves)."""

    ping_interval: float = 15.0

    async def handle_connection_init(self, message: ConnectionInitMessage) -> None:
        """strawberry's init (authentication, ack), then the keep-alive loop."""
        await super().handle_connection_init(message)
        if self.connection_acknowledged and getattr(self, "_pinger", None) is None:
            self._pinger: asyncio.Task[None] | None = asyncio.create_task(self._ping_forever())

    async def handle_subscribe(self, message: SubscribeMessage) -> None:
        """Persisted documents over the socket as over HTTP: a hash alone runs the document registered (or listed)
        under it, and in trusted-documents mode nothing else runs. A refusal is the protocol's `error` message."""
        payload = message.get("payload")
        if self.connection_acknowledged and isinstance(payload, dict):
            refusal = await self._document(payload)
            if refusal is not None:
                await self.send_message({"id": message["id"], "type": "error", "payload": [refusal]})  # type: ignore
                return
        await super().handle_subscribe(message)

    async def _document(self, payload: dict[str, Any]) -> dict[str, Any] | None:
        """Fill `payload["query"]` from the persisted-query store or manifest; the error to send when refused."""
        extensions = payload.get("extensions")
        persisted = extensions.get("persistedQuery") if isinstance(extensions, dict) else None
        sha256 = persisted.get("sha256Hash") if isinstance(persisted, dict) else None
        query = payload.get("query")
        trusted = self.view.settings.trusted_documents  # type: ignore[attr-defined]
        if trusted is not None:
            listed = trusted.get(sha256) if isinstance(sha256, str) else None
            if listed is None and isinstance(query, str):
                listed = trusted.get(hashlib.sha256(query.encode()).hexdigest())
            if listed is None or (isinstance(query, str) and query != listed):
                return _error("Only the app's registered operations run here", "PERSISTED_QUERY_REQUIRED")
            payload["query"] = listed
            return None
        if query is None and isinstance(sha256, str):
            stored = await self.view.store.get(sha256)  # type: ignore[attr-defined]
            if stored is None:
                return _error("PersistedQueryNotFound", "PERSISTED_QUERY_NOT_FOUND")
            payload["query"] = stored
        return None

    async def _ping_forever(self) -> None:
        with suppress(Exception):  # the socket closed under us: the handler's own loop notices and shuts down
            while True:
                await asyncio.sleep(self.ping_interval)
                await self.send_message({"type": "ping"})

    async def shutdown(self) -> None:
        """Stop pinging, then strawberry's shutdown (cancel the operations)."""
        pinger = getattr(self, "_pinger", None)
        if pinger is not None:
            pinger.cancel()
            with suppress(asyncio.CancelledError):
                await pinger
        await super().shutdown()


def _error(text: str, code: str) -> dict[str, Any]:
    """One GraphQL error as the protocol's `error` message carries it."""
    return {"message": text, "extensions": {"code": code}}
