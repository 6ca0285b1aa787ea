"""Time limits for HTTP requests to /graphql: a request is cancelled once it has run `request_timeout` seconds (503,
code TIMEOUT), and a client that takes longer than `body_timeout` seconds to send its body is cut off (408, code
REQUEST_TIMEOUT), so neither a slow operation nor a slow client keeps holding the server's resources.

Cancellation is asyncio's: the request's task gets CancelledError wherever it waits. A transaction open at that
moment rolls back (tortoise's `in_transaction` does on any exception), one still opening gives its connection back
(guard_transactions below: tortoise 1.1 does not), the idempotency middleware gives the key back, and the audit row
of a cut-off mutation says CANCELLED. CPU-bound work that never awaits cannot be interrupted; the document limits
(schema.cost, the production token limit) keep parsing and validation short instead. A slow client still sending its
headers never reaches the app: that is the server's or the reverse proxy's to bound.

Websockets are not limited here (a subscription lives for as long as the app wants it; graphql-transport-ws has its
own connection-init timeout and pings).
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from tortoise.backends.base.client import TransactionContextPooled
from tortoise.backends.sqlite.client import SqliteTransactionContext
from tortoise.connection import get_connections

from jinlin.asgi import CLOSE, NO_STORE, StartTracker, error_body, send_json
from schema.context import language_of
from schema.errors import message

log = logging.getLogger("jinlin.timeouts")


class RequestTimeout:
    """Pure ASGI middleware, outside everything that reads the body or runs the operation. One deadline, moved as
    the request progresses: `body_timeout` after the request arrived while its body is still coming in, then
    `request_timeout` after it arrived."""

    def __init__(self, app: ASGIApp, *, path: str = "/graphql", request_timeout: float = 30.0,
                 body_timeout: float = 10.0) -> None:
        self.app = app
        self.path = path
        self.request_timeout = request_timeout
        self.body_timeout = body_timeout
        guard_transactions()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] != self.path:
            await self.app(scope, receive, send)
            return
        loop = asyncio.get_running_loop()
        arrived = loop.time()
        request_deadline = arrived + self.request_timeout
        # GET and HEAD carry no body; anything else is waiting for one until its last chunk is in.
        body_pending = scope["method"] not in ("GET", "HEAD")
        tracked = StartTracker(send)
        deadline = asyncio.timeout_at(min(arrived + self.body_timeout, request_deadline) if body_pending
                                      else request_deadline)

        async def timed_receive() -> Message:
            nonlocal body_pending
            msg = await receive()
            if body_pending and (msg["type"] != "http.request" or not msg.get("more_body", False)):
                body_pending = False  # the whole body is in (or the client left): the request's own deadline now
                deadline.reschedule(request_deadline)
            return msg

        try:
            async with deadline:
                await self.app(scope, timed_receive, tracked)
        except TimeoutError:
            if not deadline.expired():
                raise  # the app's own timeout, not ours
            slow_body = body_pending
            seconds = self.body_timeout if slow_body else self.request_timeout
            log.warning("%s %s cut off after %.1f s (%s)", scope["method"], scope["path"], loop.time() - arrived,
                        "the body was still arriving" if slow_body else "still running")
            if tracked.started:
                return  # the answer was on its way: the connection just ends (the server closes it)
            lang = language_of(Headers(scope=scope).get("accept-language", ""))
            if slow_body:  # the rest of the body may still come: close, never read it as a next request
                text = message(lang, "request_timeout", seconds=_n(seconds))
                await send_json(send, 408, error_body("REQUEST_TIMEOUT", text), NO_STORE, CLOSE)
            else:
                await send_json(send, 503, error_body("TIMEOUT", message(lang, "timeout", seconds=_n(seconds))),
                                NO_STORE)


def _n(seconds: float) -> str:
    """30.0 -> "30", 0.25 -> "0.25"."""
    return f"{seconds:g}"


def guard_transactions() -> None:
    """Make tortoise's transactions safe to cancel while they open. tortoise 1.1 takes the SQLite connection's
    transaction lock (or a pooled connection) and then awaits BEGIN; a cancellation landing in that await never
    reaches `__aexit__`, so the lock (the connection) is never given back and every later transaction of the process
    waits forever, while on SQLite the shared connection is left inside the BEGIN. Wrapped here: if opening fails
    after the context took its connection (it has set its token by then, with no await in between), the transaction is
    rolled back and the lock or connection given back before the cancellation goes on. Idempotent."""
    if getattr(SqliteTransactionContext.__aenter__, "_guarded", False):
        return
    SqliteTransactionContext.__aenter__ = _guarded(SqliteTransactionContext.__aenter__, _undo_sqlite)  # type: ignore
    TransactionContextPooled.__aenter__ = _guarded(TransactionContextPooled.__aenter__, _undo_pooled)  # type: ignore


def _guarded(enter: Any, undo: Any) -> Any:
    async def __aenter__(self: Any) -> Any:
        try:
            return await enter(self)
        except BaseException:
            if getattr(self, "token", None) is not None:  # past taking the lock or connection: give it back
                try:
                    await undo(self)
                except Exception:
                    log.exception("could not undo a transaction that failed to open")
            raise

    __aenter__._guarded = True  # type: ignore[attr-defined]
    return __aenter__


async def _undo_sqlite(context: Any) -> None:
    try:
        # A cancelled await does not withdraw BEGIN from aiosqlite's queue: roll back behind it.
        await context.connection._connection.rollback()
    finally:
        get_connections().reset(context.token)
        context._trxlock.release()


async def _undo_pooled(context: Any) -> None:
    try:
        await context.client._parent._pool.release(context.client._connection)  # the pool resets an open transaction
    finally:
        get_connections().reset(context.token)
