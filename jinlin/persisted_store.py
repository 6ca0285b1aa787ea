"""Where persisted-query documents live: the database by default, Redis when JINLIN_REDIS_URL is set (every worker
and machine shares it, and the database is spared a lookup per request)."""

from __future__ import annotations

import logging
from collections import OrderedDict
from collections.abc import Mapping
from typing import Any, Protocol

from models import persisted_query

log = logging.getLogger("jinlin.persisted")

# A document unused for this long is forgotten by Redis; the app re-registers it on its next miss (APQ's design).
REDIS_TTL_SECONDS = 30 * 24 * 3600


class Store(Protocol):
    """A hash -> document map that outlives the process."""

    async def get(self, sha256: str) -> str | None: ...

    async def put(self, sha256: str, query: str) -> None: ...

    async def close(self) -> None: ...


class DatabaseStore:
    """The `persisted_query` table (kept forever: the documents are an app's few hundred operations)."""

    async def get(self, sha256: str) -> str | None:
        """The document registered under a hash, if any."""
        return await persisted_query.get(sha256=sha256)

    async def put(self, sha256: str, query: str) -> None:
        """Register a document; registering twice is harmless."""
        await persisted_query.put(sha256=sha256, query=query)

    async def close(self) -> None:
        """The ORM's connections are closed by the ORM."""


class RedisStore:
    """Redis keys `jinlin:apq:<sha256>`, refreshed on every hit. Redis trouble degrades to a miss (the app sends
    the document along and the operation still runs), never to a failed request."""

    def __init__(self, url: str, *, prefix: str = "jinlin:apq:") -> None:
        import redis.asyncio as redis

        self._redis: Any = redis.from_url(url)
        self.prefix = prefix

    async def get(self, sha256: str) -> str | None:
        """The document under a hash, refreshing its lifetime."""
        try:
            value = await self._redis.getex(self.prefix + sha256, ex=REDIS_TTL_SECONDS)
        except Exception as exc:  # noqa: BLE001 - a miss: Apollo's link sends the document next
            log.error("persisted-query lookup in Redis failed: %s", exc)
            return None
        return value.decode() if value is not None else None

    async def put(self, sha256: str, query: str) -> None:
        """Register a document (the first registration wins, though equal hashes mean equal documents)."""
        try:
            await self._redis.set(self.prefix + sha256, query.encode(), ex=REDIS_TTL_SECONDS, nx=True)
        except Exception as exc:  # noqa: BLE001 - the operation runs anyway, it is just not remembered
            log.error("persisted-query registration in Redis failed: %s", exc)

    async def close(self) -> None:
        """Close the connection pool."""
        await self._redis.aclose()


class Remembered:
    """An in-process memory of documents already found, in front of a store: a hash names one document forever (it
    is checked on registration), so a phone's every request need not look it up again (a statement or a Redis round
    trip per request otherwise). Bounded: the least recently used documents are forgotten first."""

    def __init__(self, store: Store, *, size: int = 2048) -> None:
        self.store = store
        self.size = size
        self.documents: OrderedDict[str, str] = OrderedDict()

    async def get(self, sha256: str) -> str | None:
        """The document under a hash, from memory when it was seen before."""
        query = self.documents.get(sha256)
        if query is not None:
            self.documents.move_to_end(sha256)
            return query
        query = await self.store.get(sha256)
        if query is not None:
            self._remember(sha256, query)
        return query

    async def put(self, sha256: str, query: str) -> None:
        """Register a document in the store, and remember it."""
        await self.store.put(sha256, query)
        self._remember(sha256, query)

    async def close(self) -> None:
        """Close the store underneath."""
        await self.store.close()

    def _remember(self, sha256: str, query: str) -> None:
        self.documents[sha256] = query
        if len(self.documents) > self.size:
            self.documents.popitem(last=False)


class Known:
    """Documents known before any phone registers them (the built web app's manifest), in front of a store: the app's
    first query by hash is found at once instead of costing a miss and a second round trip (2 s on slow 3G)."""

    def __init__(self, store: Store, documents: Mapping[str, str]) -> None:
        self.store = store
        self.documents = dict(documents)

    async def get(self, sha256: str) -> str | None:
        """A known document, else the store's."""
        return self.documents.get(sha256) or await self.store.get(sha256)

    async def put(self, sha256: str, query: str) -> None:
        """Register a document the store does not know from the start."""
        if sha256 not in self.documents:
            await self.store.put(sha256, query)

    async def close(self) -> None:
        """Close the store underneath."""
        await self.store.close()


def create(redis_url: str | None, *, known: Mapping[str, str] | None = None) -> Store:
    """Redis when configured, the database otherwise, with the process's memory in front, and `known` documents (the
    web app's) before both."""
    store: Store = Remembered(RedisStore(redis_url) if redis_url else DatabaseStore())
    return Known(store, known) if known else store
