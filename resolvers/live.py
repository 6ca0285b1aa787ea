"""The shared loop behind every subscription: listen to a topic, and per event re-read the object with the
subscriber's current rights, so nobody receives what they may not see (or no longer may)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, Awaitable, Callable
from datetime import datetime, timezone
from typing import Any

from resolvers.common import require_login
from resolvers.node import _resolve
from schema.context import Context
from schema.errors import ApiError, message


def not_found(ctx: Context) -> ApiError:
    """Unknown and invisible objects are refused alike (no existence leak), as `node` answers null for both."""
    return ApiError("NOT_FOUND", message(ctx.lang, "not_found"))


async def visible(ctx: Context, global_id: str, type_name: str) -> Any:
    """The object behind a global id of the given type if the viewer may see it, else NOT_FOUND."""
    from schema.relay import from_global_id

    decoded = from_global_id(global_id)
    found = await _resolve(ctx, global_id) if decoded is not None and decoded[0] == type_name else None
    if found is None:
        raise not_found(ctx)
    return found


async def follow(ctx: Context, *, topic: str, node_id: Callable[[dict[str, Any]], str],
                 check: Callable[[], Awaitable[Any]] | None = None) -> AsyncGenerator[Any, None]:
    """Yield the object each event on `topic` names, as the viewer may see it now; events about objects the viewer
    may not see are skipped. `check` (the right to subscribe at all) runs once listening has begun, so nothing that
    happens after it is missed. Ends with UNAUTHENTICATED when the socket's access token expires (the app
    reconnects with a fresh one)."""
    require_login(ctx)
    if ctx.token_expires_at is not None and ctx.token_expires_at <= datetime.now(timezone.utc):
        raise ApiError("UNAUTHENTICATED", message(ctx.lang, "token_invalid"))  # reconnect, whatever the object
    async with ctx.bus.listen(topic) as inbox:
        if check is not None:
            ctx.fresh()  # the socket's loaders hold rights and rows read for earlier operations: check them as now
            await check()
        while True:
            data = await _next(ctx, inbox)
            ctx.fresh()
            found = await _resolve(ctx, node_id(data))
            if found is not None:
                yield found


async def _next(ctx: Context, inbox: asyncio.Queue) -> dict[str, Any]:
    """The next event, or UNAUTHENTICATED once the token has expired (whichever comes first)."""
    if ctx.token_expires_at is None:
        return await inbox.get()
    remaining = (ctx.token_expires_at - datetime.now(timezone.utc)).total_seconds()
    try:
        if remaining <= 0:
            raise TimeoutError
        return await asyncio.wait_for(inbox.get(), timeout=remaining)
    except TimeoutError:
        raise ApiError("UNAUTHENTICATED", message(ctx.lang, "token_invalid")) from None
