"""Rate limits: token-bucket arithmetic (in memory with a fake clock, and through Redis), the middleware's 429 per
client address and per user on /graphql (HTTP and websocket connects), the per-account limit on login, signUp and
refreshToken, the settings, and Redis failing open. Redis tests run when JINLIN_TEST_REDIS_URL is set."""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import os
import uuid
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest
import websockets

from app import create_app
from auth import tokens
from auth.tokens import TokenType
from jinlin import rate_limit
from jinlin.rate_limit import MemoryLimiter, RedisLimiter, address_key, client_address, retry_after
from jinlin.seed import DEMO_PASSWORD
from jinlin.settings import RateLimit, Settings, SettingsError, load
from tests.asgi_ws import Closed, WsClient
from tests.conftest import Api, make_settings
from tests.live_server import serving

REDIS_URL = os.environ.get("JINLIN_TEST_REDIS_URL")
needs_redis = pytest.mark.skipif(not REDIS_URL, reason="needs Redis (JINLIN_TEST_REDIS_URL)")
DEAD_REDIS = "redis://127.0.0.1:1/0"  # nothing listens on port 1

TYPENAME = "{ __typename }"
LOGIN = """
mutation($input: LoginInput!) { login(input: $input) { accessToken refreshToken errors { field code message } } }"""
SIGN_UP = """
mutation($input: SignUpInput!) { signUp(input: $input) { accessToken errors { field code message } } }"""
REFRESH = """
mutation($t: String!) { refreshToken(input: {refreshToken: $t}) { accessToken refreshToken errors { field code message } } }"""
MEMBER, SECRETARY = "13800000004", "13800000003"


class Clock:
    """A monotonic clock that moves only when told."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


# --- the token bucket -----------------------------------------------------------------------------------------------


async def test_bucket_starts_full_refills_and_caps_at_the_burst() -> None:
    clock = Clock()
    limiter = MemoryLimiter(clock=clock)
    take = lambda: limiter.take("k", rate=1, burst=3)  # noqa: E731
    assert [await take() for _ in range(3)] == [0, 0, 0]
    assert await take() == 1.0  # empty: one token a second
    clock.advance(0.25)
    assert await take() == 0.75  # a refusal takes nothing
    clock.advance(0.75)
    assert await take() == 0
    assert await take() == 1.0
    clock.advance(3600)  # an hour idle refills three tokens, not 3600
    assert [await take() for _ in range(4)] == [0, 0, 0, 1.0]
    assert await limiter.take("other", rate=1, burst=3) == 0  # buckets are per key


async def test_cost_and_exact_retry_after() -> None:
    clock = Clock()
    limiter = MemoryLimiter(clock=clock)
    take = lambda: limiter.take("k", rate=2, burst=10, cost=4)  # noqa: E731
    assert [await take(), await take()] == [0, 0]  # 10 -> 6 -> 2
    assert await take() == 1.0  # 2 tokens short at 2 a second
    clock.advance(1)
    assert await take() == 0
    # 5 requests a minute: after five, exactly 12 s until the next (Retry-After: 12, not 13 from float noise).
    assert [await limiter.take("m", rate=5 / 60, burst=5) for _ in range(6)][-1] == pytest.approx(12)
    assert retry_after(12.000000000002) == 12 and retry_after(11.2) == 12 and retry_after(0.01) == 1
    for rate, burst, cost in ((0, 1, 1), (1, 1, 2), (1, 1, 0)):
        with pytest.raises(ValueError):
            await limiter.take("k", rate=rate, burst=burst, cost=cost)


async def test_memory_is_bounded() -> None:
    clock = Clock()
    limiter = MemoryLimiter(clock=clock, max_keys=3)
    for n in range(5):
        await limiter.take(f"k{n}", rate=1, burst=1)
    assert len(limiter) == 3  # k0 and k1, the least recently used, are forgotten (full again for their owners)
    assert await limiter.take("k0", rate=1, burst=1) == 0
    assert await limiter.take("k4", rate=1, burst=1) == 1.0  # remembered
    # Buckets that have refilled are dropped as the clock passes them, cap or not.
    clock.advance(2)
    await limiter.take("fresh", rate=1, burst=1)
    assert len(limiter) == 1


# --- the middleware -------------------------------------------------------------------------------------------------


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    """The apps the test creates get a memory limiter on this clock."""
    clock = Clock()
    monkeypatch.setattr(rate_limit, "create", lambda redis_url: MemoryLimiter(clock=clock))
    return clock


@pytest.fixture
async def limited(database: None, clock: Clock) -> AsyncIterator[Callable[..., Any]]:
    """`await limited(**settings)`: an Api on an app with those settings (and the demo data)."""
    from jinlin.seed import seed
    from models.user import User

    clients: list[httpx.AsyncClient] = []
    seeded: dict[str, int] = {}

    async def make(**overrides: Any) -> Api:
        settings = make_settings(**overrides)
        http = httpx.AsyncClient(transport=httpx.ASGITransport(app=create_app(settings, init_db=False)),
                                 base_url="http://testserver")
        clients.append(http)
        if not seeded:
            await seed(scale="demo")
            seeded.update({u.phone: u.id for u in await User.all()})
        return Api(http=http, settings=settings, users=dict(seeded))

    yield make
    for http in clients:
        await http.aclose()


def refusal(seconds: int, lang: str = "zh") -> dict:
    text = f"请求过于频繁，请 {seconds} 秒后再试" if lang == "zh" else f"Too many requests; try again in {seconds} s"
    return {"errors": [{"message": text, "extensions": {"code": "RATE_LIMITED", "retryAfter": seconds}}]}


async def test_per_address_limit_answers_429_with_retry_after(limited: Callable[..., Any], clock: Clock) -> None:
    api = await limited(rate_ip=RateLimit(5, 60))
    for _ in range(5):
        assert (await api.post(TYPENAME)).status_code == 200
    refused = await api.post(TYPENAME)
    assert refused.status_code == 429
    assert refused.headers["retry-after"] == "12" and refused.headers["cache-control"] == "no-store"
    assert refused.headers["content-type"] == "application/json"
    assert refused.json() == refusal(12)
    clock.advance(5)
    english = await api.post(TYPENAME, lang="en")
    assert (english.status_code, english.headers["retry-after"], english.json()) == (429, "7", refusal(7, "en"))
    # GET (persisted queries) counts too; /healthz and photos do not (load balancers probe from one address).
    assert (await api.http.get("/graphql", params={"query": TYPENAME})).status_code == 429
    assert [(await api.http.get("/healthz")).status_code for _ in range(10)] == [200] * 10
    clock.advance(7)
    assert (await api.post(TYPENAME)).json() == {"data": {"__typename": "Query"}}
    # GraphQL's own media type relabels the refusal but keeps the 429.
    refused = await api.http.post("/graphql", json={"query": TYPENAME},
                                  headers={"Accept": "application/graphql-response+json"})
    assert (refused.status_code, refused.headers["content-type"]) == (429, "application/graphql-response+json")


async def test_two_users_behind_one_address(limited: Callable[..., Any]) -> None:
    """Each user has a bucket of their own; all of them and the anonymous share the address's."""
    api = await limited(rate_ip=RateLimit(5, 60), rate_user=RateLimit(2, 60))
    assert [(await api.post(TYPENAME, as_=MEMBER)).status_code for _ in range(3)] == [200, 200, 429]
    assert (await api.post(TYPENAME, as_=MEMBER)).json() == refusal(30)
    # Another user is not held back by the first one's bucket; the refused requests took nothing from the address.
    assert [(await api.post(TYPENAME, as_=SECRETARY)).status_code for _ in range(3)] == [200, 200, 429]
    assert (await api.post(TYPENAME)).status_code == 200  # the address's fifth
    anonymous = await api.post(TYPENAME)
    assert (anonymous.status_code, anonymous.json()) == (429, refusal(12))
    assert (await api.post(TYPENAME, as_="13800000002")).status_code == 429  # a fresh user, the spent address


async def test_a_refused_request_never_claims_its_idempotency_key(limited: Callable[..., Any], clock: Clock) -> None:
    """The limiter sits outside the idempotency middleware: the retry after Retry-After runs for real."""
    from models.idempotency import IdempotencyKey

    api = await limited(rate_user=RateLimit(1, 60))
    headers = {"Authorization": f"Bearer {api.token(MEMBER)}", "Idempotency-Key": "k-1"}
    mutation = {"query": "mutation { logout(input: {refreshToken: \"x\"}) { ok } }"}
    assert (await api.http.post("/graphql", json={"query": TYPENAME}, headers=headers)).status_code == 200
    await IdempotencyKey.all().delete()
    refused = await api.http.post("/graphql", json=mutation, headers=headers)
    assert refused.status_code == 429 and await IdempotencyKey.all().count() == 0
    clock.advance(60)
    retried = await api.http.post("/graphql", json=mutation, headers=headers)
    assert retried.status_code == 200 and "idempotent-replayed" not in retried.headers
    assert await IdempotencyKey.all().count() == 1


async def test_forwarded_for_counts_only_from_trusted_proxies(limited: Callable[..., Any]) -> None:
    """httpx's in-process transport connects from 127.0.0.1, here a trusted proxy or a client."""
    proxied = await limited(rate_ip=RateLimit(1, 60), trusted_proxies=(ipaddress.ip_network("127.0.0.0/8"),))
    forwarded = lambda address: {"X-Forwarded-For": f"203.0.113.9, {address}"}  # noqa: E731

    async def status(api: Api, address: str) -> int:
        return (await api.http.post("/graphql", json={"query": TYPENAME}, headers=forwarded(address))).status_code

    assert [await status(proxied, "198.51.100.1"), await status(proxied, "198.51.100.2")] == [200, 200]
    assert await status(proxied, "198.51.100.1") == 429
    direct = await limited(rate_ip=RateLimit(1, 60))  # no trusted proxy: the header is the client's to forge
    assert [await status(direct, "198.51.100.1"), await status(direct, "198.51.100.2")] == [200, 429]


def test_client_address_and_buckets() -> None:
    def scope(peer: str, *forwarded: str) -> dict:
        return {"client": (peer, 1234), "headers": [(b"x-forwarded-for", value.encode()) for value in forwarded]}

    proxies = (ipaddress.ip_network("10.0.0.0/8"), ipaddress.ip_network("fd00::/8"))
    assert client_address(scope("10.0.0.5", "1.1.1.1, 2.2.2.2"), proxies) == "2.2.2.2"
    assert client_address(scope("10.0.0.5", "forged", "2.2.2.2, 10.0.0.7"), proxies) == "2.2.2.2"
    assert client_address(scope("10.0.0.5", "[2001:db8::1]:443"), proxies) == "[2001:db8::1]:443"
    assert client_address(scope("10.0.0.5"), proxies) == "10.0.0.5"
    assert client_address(scope("192.0.2.1", "2.2.2.2"), proxies) == "192.0.2.1"  # not a proxy of ours
    assert client_address(scope("10.0.0.5", "2.2.2.2"), ()) == "10.0.0.5"
    assert client_address({"headers": []}) == "unknown"
    assert address_key("2001:db8::1") == address_key("[2001:db8::ffff]:443") == "ip:2001:db8::/64"
    assert address_key("::ffff:192.0.2.1") == address_key("192.0.2.1:80") == "ip:192.0.2.1"
    assert address_key("testclient") == "ip:testclient"
    assert address_key("x" * 100).startswith("ip:sha256:")


async def test_websocket_connects_count_per_address(limited: Callable[..., Any]) -> None:
    """In-process (no ASGI http-response extension): closed before accepting, with 4429."""
    api = await limited(rate_ip=RateLimit(2, 60))
    app = api.http._transport.app  # type: ignore[attr-defined]
    assert (await api.post(TYPENAME)).status_code == 200
    async with WsClient(app) as ws:
        assert await ws.init({}) == {"type": "connection_ack"}
    with pytest.raises(Closed) as closed:
        async with WsClient(app):
            pass
    assert closed.value.code == 4429


async def test_websocket_handshake_refused_with_http_429(limited: Callable[..., Any]) -> None:
    """Through uvicorn: the upgrade answers 429 with Retry-After (graphql-ws and Apollo retry with back-off)."""
    api = await limited(rate_ip=RateLimit(1, 60))
    app = api.http._transport.app  # type: ignore[attr-defined]
    async with serving(app) as host:
        async with websockets.connect(f"ws://{host}/graphql", subprotocols=["graphql-transport-ws"]):
            pass
        with pytest.raises(websockets.exceptions.InvalidStatus) as refused:
            await websockets.connect(f"ws://{host}/graphql", subprotocols=["graphql-transport-ws"])
    response = refused.value.response
    assert (response.status_code, response.headers["Retry-After"]) == (429, "60")
    assert response.body.decode() == '{"errors":[{"message":"请求过于频繁，请 60 秒后再试","extensions":' \
                                     '{"code":"RATE_LIMITED","retryAfter":60}}]}'


# --- credential operations ------------------------------------------------------------------------------------------


def attempts_refused(seconds: int) -> dict:
    return {"field": None, "code": "RATE_LIMITED", "message": f"尝试次数过多，请 {seconds} 秒后再试"}


async def login(api: Api, phone: str, password: str = DEMO_PASSWORD) -> httpx.Response:
    response = await api.post(LOGIN, {"input": {"phone": phone, "password": password}})
    assert response.status_code == 200, response.text
    return response


async def test_the_eleventh_login_for_one_phone_is_refused(limited: Callable[..., Any], clock: Clock) -> None:
    from models.user import LoginFailure

    api = await limited()  # the default: 10 attempts per phone per 10 minutes
    for _ in range(10):
        response = await login(api, "138 0000 0004")
        assert response.json()["data"]["login"]["errors"] == [] and "retry-after" not in response.headers
    refused = await login(api, MEMBER)
    assert refused.json()["data"]["login"] == {"accessToken": None, "refreshToken": None,
                                               "errors": [attempts_refused(60)]}
    assert refused.headers["retry-after"] == "60"
    # signUp shares the phone's bucket; other phones are not affected.
    sign_up = await api.ok(SIGN_UP, {"input": {"phone": MEMBER, "password": "long enough", "displayName": "x"}})
    assert sign_up["signUp"]["errors"] == [attempts_refused(60)]
    assert (await login(api, SECRETARY)).json()["data"]["login"]["errors"] == []
    english = (await api.ok(LOGIN, {"input": {"phone": MEMBER, "password": "x"}}, lang="en"))["login"]["errors"]
    assert english == [{"field": None, "code": "RATE_LIMITED", "message": "Too many attempts; try again in 60 s"}]
    assert await LoginFailure.filter(phone=MEMBER).count() == 0  # refused before anything was recorded or checked
    clock.advance(60)
    assert (await login(api, MEMBER)).json()["data"]["login"]["errors"] == []


async def test_the_wrong_password_throttle_still_applies(limited: Callable[..., Any]) -> None:
    api = await limited(rate_account=RateLimit(100, 600))
    for _ in range(5):
        assert (await login(api, MEMBER, "wrong")).json()["data"]["login"]["errors"][0]["code"] == "WRONG_CREDENTIALS"
    locked = (await login(api, MEMBER)).json()["data"]["login"]["errors"]
    assert locked == [{"field": None, "code": "RATE_LIMITED", "message": "密码错误次数过多，请 15 分钟后再试"}]


async def test_refresh_is_limited_per_login(limited: Callable[..., Any], clock: Clock) -> None:
    from models.user import RefreshToken

    api = await limited()
    one, other = [(await login(api, MEMBER)).json()["data"]["login"] for _ in range(2)]
    token = one["refreshToken"]
    for _ in range(10):
        token = (await api.ok(REFRESH, {"t": token}))["refreshToken"]["refreshToken"]
    refused = await api.post(REFRESH, {"t": token})
    assert refused.json()["data"]["refreshToken"] == {"accessToken": None, "refreshToken": None,
                                                      "errors": [attempts_refused(60)]}
    assert refused.headers["retry-after"] == "60"
    jti = tokens.verify(api.settings, token, typ=TokenType.REFRESH).jti
    assert (await RefreshToken.get(jti=jti)).spent_at is None  # not spent: the same token works once allowed
    # The other device's login has its own bucket.
    assert (await api.ok(REFRESH, {"t": other["refreshToken"]}))["refreshToken"]["errors"] == []
    clock.advance(60)
    assert (await api.ok(REFRESH, {"t": token}))["refreshToken"]["errors"] == []


async def test_limits_can_be_turned_off(limited: Callable[..., Any]) -> None:
    api = await limited(rate_ip=None, rate_user=None, rate_account=None)
    assert [(await api.post(TYPENAME, as_=MEMBER)).status_code for _ in range(30)] == [200] * 30
    for _ in range(11):
        assert (await login(api, MEMBER)).json()["data"]["login"]["errors"] == []


# --- settings -------------------------------------------------------------------------------------------------------

KEY = {"JINLIN_SECRET_KEY": "k" * 32}


def test_defaults_are_loose() -> None:
    settings = load(KEY)
    assert (settings.rate_ip, settings.rate_user, settings.rate_account) == (
        RateLimit(3000, 60), RateLimit(300, 60), RateLimit(10, 600))
    assert settings.trusted_proxies == () and Settings().rate_ip == settings.rate_ip
    assert (settings.rate_ip.rate, settings.rate_ip.burst) == (50, 3000)


@pytest.mark.parametrize(("raw", "expected"), [
    ("600/60", RateLimit(600, 60)), (" 10/10m ", RateLimit(10, 600)), ("5 / 1h", RateLimit(5, 3600)),
    ("100/30s", RateLimit(100, 30)), ("OFF", None), ("", RateLimit(3000, 60)),
])
def test_rate_settings(raw: str, expected: RateLimit | None) -> None:
    assert load({**KEY, "JINLIN_RATE_IP": raw}).rate_ip == expected


@pytest.mark.parametrize("raw", ["600", "600/0", "0/60", "abc", "600/60x", "-1/60", "1/2d", "1.5/60", "60/60/60",
                                 "1/86401", "1000001/60"])
def test_bad_rate_settings(raw: str) -> None:
    with pytest.raises(SettingsError, match=r"^JINLIN_RATE_USER must be COUNT/PERIOD, e\.g\. 600/60 .*" +
                       f"not {raw!r}$"):
        load({**KEY, "JINLIN_RATE_USER": raw})


def test_trusted_proxies_setting() -> None:
    proxies = load({**KEY, "JINLIN_TRUSTED_PROXIES": "10.0.0.5, 172.16.0.0/12 fd00::/8"}).trusted_proxies
    assert proxies == (ipaddress.ip_network("10.0.0.5/32"), ipaddress.ip_network("172.16.0.0/12"),
                       ipaddress.ip_network("fd00::/8"))
    with pytest.raises(SettingsError, match="JINLIN_TRUSTED_PROXIES: 'proxy.local' is not an IP address"):
        load({**KEY, "JINLIN_TRUSTED_PROXIES": "10.0.0.5 proxy.local"})


# --- Redis ----------------------------------------------------------------------------------------------------------


def redis_limiter() -> RedisLimiter:
    return RedisLimiter(REDIS_URL or "", prefix=f"jinlin:test:{uuid.uuid4().hex}:")


@needs_redis
async def test_redis_bucket_arithmetic() -> None:
    limiter = redis_limiter()
    try:
        take = lambda key, **kw: limiter.take(key, **kw)  # noqa: E731
        assert [await take("a", rate=0.001, burst=3) for _ in range(3)] == [0, 0, 0]
        assert 999 < await take("a", rate=0.001, burst=3) <= 1000  # one token every 1000 s
        assert [await take("c", rate=0.001, burst=10, cost=4) for _ in range(2)] == [0, 0]
        assert 1999 < await take("c", rate=0.001, burst=10, cost=4) <= 2000
        assert [await take("r", rate=20, burst=2) for _ in range(2)] == [0, 0]
        wait = await take("r", rate=20, burst=2)
        assert 0 < wait <= 0.05
        await asyncio.sleep(wait + 0.01)
        assert await take("r", rate=20, burst=2) == 0
        # An idle bucket vanishes once it would be full again.
        ttl = await limiter._redis.pttl(limiter.prefix + "a")
        assert 990_000 < ttl <= 1_000_000 * 3
        assert await limiter._redis.exists(limiter.prefix + "never") == 0
    finally:
        await limiter._redis.delete(*[limiter.prefix + key for key in "acr"])
        await limiter.close()


@needs_redis
async def test_two_workers_share_a_bucket_in_redis(database: None, monkeypatch: pytest.MonkeyPatch) -> None:
    prefix = f"jinlin:test:{uuid.uuid4().hex}:"
    limiters: list[RedisLimiter] = []
    monkeypatch.setattr(rate_limit, "create", lambda redis_url: limiters.append(
        RedisLimiter(redis_url or "", prefix=prefix)) or limiters[-1])
    settings = make_settings(redis_url=REDIS_URL, rate_ip=RateLimit(3, 3600))
    statuses = []
    for app in (create_app(settings, init_db=False), create_app(settings, init_db=False)):
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as http:
            for _ in range(2):
                response = await http.post("/graphql", json={"query": TYPENAME})
                statuses.append((response.status_code, response.headers.get("retry-after")))
    await limiters[0]._redis.delete(prefix + "ip:127.0.0.1")
    for limiter in limiters:
        await limiter.close()
    assert statuses == [(200, None), (200, None), (200, None), (429, "1200")]


async def test_redis_down_lets_requests_through_and_logs(caplog: pytest.LogCaptureFixture) -> None:
    limiter = RedisLimiter(DEAD_REDIS)
    try:
        with caplog.at_level(logging.ERROR, logger="jinlin.rate_limit"):
            assert [await limiter.take("k", rate=1, burst=1) for _ in range(5)] == [0] * 5
    finally:
        await limiter.close()
    lines = [r.getMessage() for r in caplog.records if r.name == "jinlin.rate_limit"]
    assert len(lines) == 1 and lines[0].startswith("rate limits are off for 5 s: Redis at redis://127.0.0.1:1/0 "
                                                   "failed"), lines


async def test_app_with_redis_down_answers(database: None, caplog: pytest.LogCaptureFixture) -> None:
    app = create_app(make_settings(redis_url=DEAD_REDIS, rate_ip=RateLimit(1, 60)), init_db=False)
    with caplog.at_level(logging.ERROR, logger="jinlin.rate_limit"):
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as http:
            for _ in range(3):
                assert (await http.post("/graphql", json={"query": TYPENAME})).json() == {
                    "data": {"__typename": "Query"}}
    assert "rate limits are off" in caplog.text
