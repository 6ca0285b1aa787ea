"""The live-update bus (in-process and Redis), publication after the operation, and the Redis persisted-query store.
Redis tests run when JINLIN_TEST_REDIS_URL is set (as .ci/run does); the in-process ones always run."""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import os
import uuid

import httpx
import pytest

from app import create_app
from jinlin import events
from jinlin.persisted_store import RedisStore
from jinlin.settings import SettingsError, load
from tests.conftest import make_settings

REDIS_URL = os.environ.get("JINLIN_TEST_REDIS_URL")
needs_redis = pytest.mark.skipif(not REDIS_URL, reason="needs Redis (JINLIN_TEST_REDIS_URL)")
DEAD_REDIS = "redis://127.0.0.1:1/0"  # nothing listens on port 1

TYPENAME = "{ __typename }"


def payload(**data: object) -> str:
    return json.dumps(data, sort_keys=True)


async def test_bus_delivers_to_every_listener_of_the_topic_only() -> None:
    bus = events.Bus()
    async with bus.listen("order:1") as first, bus.listen("order:1") as second, bus.listen("order:2") as other:
        await bus.publish([("order:1", payload(n=1))])
        assert (first.get_nowait(), second.get_nowait()) == ({"n": 1}, {"n": 1})
        assert other.empty()
        assert bus.subscriber_count() == 3
    assert bus.subscriber_count() == 0


async def test_a_slow_subscriber_loses_the_oldest_events_not_the_latest() -> None:
    bus = events.Bus()
    async with bus.listen("t") as inbox:
        await bus.publish([("t", payload(n=n)) for n in range(events.QUEUE_SIZE + 5)])
        received = [inbox.get_nowait()["n"] for _ in range(inbox.qsize())]
    assert received == list(range(5, events.QUEUE_SIZE + 5))


async def test_events_wait_for_the_end_of_the_operation_and_repeat_once() -> None:
    """emit() during an operation publishes nothing until it ends (its transaction has committed by then), and the
    same change named twice is published once."""
    bus = events.Bus()
    async with bus.listen("order:7") as inbox:
        async with events.collecting(bus):
            events.emit("order:7")
            events.emit("order:7")
            await asyncio.sleep(0)
            assert inbox.empty()
        assert [inbox.get_nowait()] == [{}] and inbox.empty()
    events.emit("order:7")  # outside an operation (seeding, the CLI): dropped, nobody listens


@needs_redis
async def test_redis_bus_fans_out_between_buses() -> None:
    """Two buses (two workers) on one Redis: an event published by either reaches listeners on both."""
    prefix = f"jinlin:test:{uuid.uuid4().hex}:"
    one, two = events.RedisBus(REDIS_URL or "", prefix=prefix), events.RedisBus(REDIS_URL or "", prefix=prefix)
    await one.start()
    await two.start()
    try:
        async with one.listen("project:5:claims") as here, two.listen("project:5:claims") as there:
            await one.publish([("project:5:claims", payload(claim=9))])
            assert await asyncio.wait_for(here.get(), 5) == {"claim": 9}
            assert await asyncio.wait_for(there.get(), 5) == {"claim": 9}
    finally:
        await one.stop()
        await two.stop()


async def test_redis_down_costs_the_live_update_not_the_request(caplog: pytest.LogCaptureFixture) -> None:
    bus = events.RedisBus(DEAD_REDIS)
    with caplog.at_level(logging.ERROR, logger="jinlin.events"):
        await bus.publish([("order:1", payload())])
    assert "could not publish 1 live update(s) to Redis" in caplog.text
    await bus.stop()


def test_redis_url_is_checked() -> None:
    assert load({"JINLIN_SECRET_KEY": "k" * 32, "JINLIN_REDIS_URL": " redis://127.0.0.1:6379/0 "}).redis_url == \
        "redis://127.0.0.1:6379/0"
    assert load({"JINLIN_SECRET_KEY": "k" * 32}).redis_url is None
    with pytest.raises(SettingsError, match="JINLIN_REDIS_URL 'http://x' is not understood"):
        load({"JINLIN_SECRET_KEY": "k" * 32, "JINLIN_REDIS_URL": "http://x"})


def apq(document: str) -> dict:
    return {"persistedQuery": {"version": 1, "sha256Hash": hashlib.sha256(document.encode()).hexdigest()}}


@needs_redis
async def test_persisted_queries_live_in_redis_when_configured(database: None) -> None:
    """Registered over POST into Redis (not the table), then run by hash over GET by another app (another worker)."""
    import redis.asyncio as redis

    document = "{ __typename } # " + uuid.uuid4().hex
    sha = apq(document)["persistedQuery"]["sha256Hash"]
    settings = make_settings(redis_url=REDIS_URL)
    first, second = create_app(settings, init_db=False), create_app(settings, init_db=False)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=first), base_url="http://t") as http:
        response = await http.post("/graphql", json={"query": document, "extensions": apq(document)})
        assert response.json() == {"data": {"__typename": "Query"}}
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=second), base_url="http://t") as http:
        response = await http.get("/graphql", params={"extensions": json.dumps(apq(document))})
        assert response.json() == {"data": {"__typename": "Query"}}
    client = redis.from_url(REDIS_URL or "")
    try:
        assert await client.get(f"jinlin:apq:{sha}") == document.encode()
        assert 0 < await client.ttl(f"jinlin:apq:{sha}") <= 30 * 24 * 3600
        await client.delete(f"jinlin:apq:{sha}")
    finally:
        await client.aclose()
    from models.persisted_query import PersistedQuery

    assert await PersistedQuery.all().count() == 0


async def test_persisted_query_store_down_degrades_to_a_miss(database: None) -> None:
    """Redis unreachable: a hash alone gets PERSISTED_QUERY_NOT_FOUND (Apollo then sends the document), and the
    document with its hash still runs."""
    app = create_app(make_settings(redis_url=DEAD_REDIS), init_db=False)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as http:
        response = await http.post("/graphql", json={"extensions": apq(TYPENAME)})
        assert response.json() == {"errors": [{"message": "PersistedQueryNotFound",
                                               "extensions": {"code": "PERSISTED_QUERY_NOT_FOUND"}}]}
        response = await http.post("/graphql", json={"query": TYPENAME, "extensions": apq(TYPENAME)})
        assert response.json() == {"data": {"__typename": "Query"}}


async def test_redis_store_roundtrip_and_close() -> None:
    if not REDIS_URL:
        pytest.skip("needs Redis (JINLIN_TEST_REDIS_URL)")
    store = RedisStore(REDIS_URL, prefix=f"jinlin:test:{uuid.uuid4().hex}:")
    try:
        assert await store.get("a" * 64) is None
        await store.put("a" * 64, TYPENAME)
        await store.put("a" * 64, "{ other }")  # the first registration stays
        assert await store.get("a" * 64) == TYPENAME
    finally:
        await store.close()


async def test_a_subscription_over_http_is_told_where_to_go(api) -> None:
    """Not a resolver fault (INTERNAL): the answer names the websocket, in the request's language."""
    body = await api("subscription { notificationAdded { id } }", lang="en")
    assert body == {"data": None, "errors": [{"message": "Subscriptions run over a websocket to /graphql "
                                                         "(graphql-transport-ws)",
                                              "extensions": {"code": "SUBSCRIPTION_NEEDS_WEBSOCKET"}}]}
