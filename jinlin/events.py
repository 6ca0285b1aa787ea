"""Live updates: mutations name what changed (a topic and an id), the names are published once the operation has
finished (its transactions committed), and subscribers in this process, or through Redis pub/sub in every worker on
every machine, re-read the object with their own rights. An event carries ids only, never data a subscriber could
not see."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from contextvars import ContextVar
from typing import Any

from jinlin.settings import redacted_url

log = logging.getLogger("jinlin.events")

Event = tuple[str, dict[str, Any]]

# The events an operation has named so far; None outside an operation (seeding, the CLI: nobody listens).
_pending: ContextVar[list[Event] | None] = ContextVar("jinlin_pending_events", default=None)

# How many undelivered events one subscriber may have queued; past that the oldest goes (a slow phone misses
# intermediate states, never the latest one).
QUEUE_SIZE = 100


def emit(topic: str, **data: Any) -> None:
    """Name a change for the subscribers of `topic`, to be published when the current operation ends."""
    pending = _pending.get()
    if pending is not None:
        pending.append((topic, data))


def order_topic(order_id: int) -> str:
    """Changes to one order (every status transition)."""
    return f"order:{order_id}"


def claims_topic(project_id: int) -> str:
    """Claims on one project appearing or changing status."""
    return f"project:{project_id}:claims"


def notifications_topic(user_id: int) -> str:
    """Notifications added for one user."""
    return f"user:{user_id}:notifications"


@asynccontextmanager
async def collecting(bus: "Bus") -> AsyncIterator[list[Event]]:
    """Collect what an operation emits and publish it afterwards (also when the operation failed half-way: what it
    committed before failing did change, and subscribers re-read, so rolled-back ids are simply not found)."""
    pending: list[Event] = []
    token = _pending.set(pending)
    try:
        yield pending
    finally:
        try:
            _pending.reset(token)
        except ValueError:  # left in another context than entered: stop collecting all the same
            _pending.set(None)
        if pending:
            await bus.publish(list(dict.fromkeys((t, json.dumps(d, sort_keys=True)) for t, d in pending)))


class _Queue(asyncio.Queue):
    """A subscriber's inbox that drops its oldest event rather than block the publisher."""

    def offer(self, data: dict[str, Any]) -> None:
        if self.full():
            self.get_nowait()
        self.put_nowait(data)


class Bus:
    """In-process fan-out: enough for one worker (the default, SQLite) and the base of the Redis bus."""

    def __init__(self) -> None:
        self._subscribers: dict[str, set[_Queue]] = {}

    async def start(self) -> None:
        """Nothing to connect in-process."""

    async def stop(self) -> None:
        """Nothing to disconnect in-process."""

    async def publish(self, events: list[tuple[str, str]]) -> None:
        """Deliver `(topic, json)` events to this process's subscribers."""
        for topic, payload in events:
            self._deliver(topic, payload)

    def _deliver(self, topic: str, payload: str) -> None:
        queues = self._subscribers.get(topic)
        if not queues:
            return
        data = json.loads(payload)
        for queue in queues:
            queue.offer(data)

    @asynccontextmanager
    async def listen(self, topic: str) -> AsyncIterator[_Queue]:
        """Receive the topic's events while inside the block (subscribe before the first read, so nothing that
        happens after the caller checked its rights is missed)."""
        queue = _Queue(maxsize=QUEUE_SIZE)
        self._subscribers.setdefault(topic, set()).add(queue)
        try:
            yield queue
        finally:
            queues = self._subscribers.get(topic)
            if queues is not None:
                queues.discard(queue)
                if not queues:
                    del self._subscribers[topic]

    def subscriber_count(self) -> int:
        """Live subscriptions in this process (for tests and health checks)."""
        return sum(len(queues) for queues in self._subscribers.values())


class RedisBus(Bus):
    """Fan-out across workers and machines: every worker publishes to Redis and hears every event once through one
    pattern subscription, then delivers it to its own subscribers."""

    def __init__(self, url: str, *, prefix: str = "jinlin:events:") -> None:
        super().__init__()
        self.url = url
        self.prefix = prefix
        self._redis: Any = None
        self._task: asyncio.Task[None] | None = None
        self._ready = asyncio.Event()

    async def start(self) -> None:
        """Connect and subscribe; waits (a few seconds at most) until the subscription is live, so a worker that
        reports ready also hears events. Redis being down is logged and retried, not fatal."""
        import redis.asyncio as redis

        self._redis = redis.from_url(self.url)
        self._task = asyncio.create_task(self._listen_forever())
        try:
            await asyncio.wait_for(self._ready.wait(), timeout=5)
        except TimeoutError:
            log.error("Redis at %s is not answering; live updates reach this worker's subscribers only once it "
                      "does", redacted_url(self.url))

    async def stop(self) -> None:
        """Stop listening and close the connections."""
        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except (asyncio.CancelledError, Exception):
                pass
        if self._redis is not None:
            await self._redis.aclose()

    async def publish(self, events: list[tuple[str, str]]) -> None:
        """Publish through Redis (this worker hears its own events back, like every other); a Redis failure costs
        the live update, never the mutation that caused it."""
        try:
            async with self._redis.pipeline(transaction=False) as pipe:
                for topic, payload in events:
                    pipe.publish(self.prefix + topic, payload)
                await pipe.execute()
        except Exception as exc:  # noqa: BLE001 - logged, and the mutation's answer is unaffected
            log.error("could not publish %d live update(s) to Redis: %s", len(events), exc)

    async def _listen_forever(self) -> None:
        delay = 0.5
        while True:
            pubsub = self._redis.pubsub(ignore_subscribe_messages=True)
            try:
                await pubsub.psubscribe(self.prefix + "*")
                self._ready.set()
                delay = 0.5
                while True:
                    message = await pubsub.get_message(timeout=30)
                    if message is not None and message["type"] == "pmessage":
                        channel = message["channel"].decode()
                        self._deliver(channel[len(self.prefix):], message["data"].decode())
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # noqa: BLE001 - reconnect with back-off
                log.warning("Redis subscription lost (%s); reconnecting in %.1f s", exc, delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 10)
            finally:
                try:
                    await pubsub.aclose()
                except Exception:  # noqa: BLE001 - the connection is gone anyway
                    pass


def create(redis_url: str | None) -> Bus:
    """Redis fan-out when configured, in-process otherwise."""
    return RedisBus(redis_url) if redis_url else Bus()
