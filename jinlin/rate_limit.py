"""Rate limits: token buckets per client address and per user on /graphql (HTTP requests and websocket connects), and
per account on the credential operations (login, signUp, refreshToken). Buckets live in Redis when JINLIN_REDIS_URL is
set (every worker and machine shares them), in this process's memory otherwise.

A bucket holds up to `burst` tokens and refills at `rate` tokens a second; a request takes one and is refused while the
bucket is empty, with the seconds until it has one again (`Retry-After`). A refused request takes nothing, so a
client that waits as told always gets through.
"""

from __future__ import annotations

import ipaddress
import logging
import math
import time
from collections import OrderedDict
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, Protocol

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Receive, Scope, Send

from jinlin.asgi import NO_STORE, error_body, json_headers, send_json
from jinlin.settings import RateLimit, Settings, redacted_url
from schema.errors import ErrorCode, UserError, message, user_error

if TYPE_CHECKING:
    from schema.context import Context

log = logging.getLogger("jinlin.rate_limit")

# Where the middleware leaves the limiter for the resolvers (`scope["state"]`, i.e. `request.state`).
STATE_KEY = "rate_limiter"
# Buckets the memory limiter keeps at most (a full bucket needs no memory; past the cap the idlest goes).
MAX_MEMORY_KEYS = 100_000
# Float noise forgiven: 12 s at 1/12 token a second is 0.9999999999999999 tokens, and a token all the same.
EPSILON = 1e-9
# An identity longer than this (a made-up phone number of a megabyte) is keyed by its hash.
MAX_IDENTITY = 64


class Limiter(Protocol):
    """Token buckets by key."""

    async def take(self, key: str, *, rate: float, burst: float, cost: float = 1) -> float:
        """Take `cost` tokens from the bucket `key` (full at first, at most `burst`, refilling `rate` a second):
        0 when taken, else the seconds until there are enough (nothing is taken then)."""
        ...

    async def close(self) -> None:
        """Let go of connections, if any."""
        ...


def _check(rate: float, burst: float, cost: float) -> None:
    if not (rate > 0 and 0 < cost <= burst):
        raise ValueError(f"a token bucket needs rate > 0 and 0 < cost <= burst (rate={rate}, burst={burst}, "
                         f"cost={cost})")


class MemoryLimiter:
    """Buckets in a dict of key -> (tokens, updated, full_at): one process's view (enough for one worker, the
    default). Memory stays bounded: a bucket that has refilled is the same as no bucket, so the least recently used
    ones are dropped once full again, and past `max_keys` the least recently used goes anyway (forgetting a bucket
    only ever lets its owner through sooner)."""

    def __init__(self, *, clock: Callable[[], float] = time.monotonic, max_keys: int = MAX_MEMORY_KEYS) -> None:
        self.clock = clock
        self.max_keys = max_keys
        self._buckets: OrderedDict[str, tuple[float, float, float]] = OrderedDict()

    async def take(self, key: str, *, rate: float, burst: float, cost: float = 1) -> float:
        """See `Limiter.take` (atomic: no await between reading and writing the bucket)."""
        _check(rate, burst, cost)
        now = self.clock()
        tokens, updated, _ = self._buckets.pop(key, (burst, now, now))
        tokens = min(burst, tokens + max(0.0, now - updated) * rate)
        wait = 0.0
        if tokens + EPSILON >= cost:
            tokens = max(0.0, tokens - cost)
        else:
            wait = (cost - tokens) / rate
        self._buckets[key] = (tokens, now, now + (burst - tokens) / rate)  # last: the most recently used
        buckets = self._buckets
        while buckets:
            oldest, (_, _, full_at) = next(iter(buckets.items()))
            if len(buckets) <= self.max_keys and full_at > now:
                break
            del buckets[oldest]
        return wait

    def __len__(self) -> int:
        return len(self._buckets)

    async def close(self) -> None:
        """Nothing to let go of."""


# The bucket as a hash {tokens, ts} (ts in microseconds of the Redis server's clock, so workers on machines whose
# clocks disagree still agree), expiring when it would be full again: idle buckets vanish by themselves.
_TAKE = """
local now_t = redis.call('TIME')
local now = tonumber(now_t[1]) * 1000000 + tonumber(now_t[2])
local rate = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local cost = tonumber(ARGV[3])
local bucket = redis.call('HMGET', KEYS[1], 'tokens', 'ts')
local tokens = tonumber(bucket[1])
local ts = tonumber(bucket[2])
if tokens == nil or ts == nil then
  tokens = burst
  ts = now
end
tokens = math.min(burst, tokens + math.max(0, now - ts) / 1000000 * rate)
if tokens + 1e-9 < cost then
  return tostring((cost - tokens) / rate)
end
tokens = math.max(0, tokens - cost)
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'ts', tostring(now))
redis.call('PEXPIRE', KEYS[1], math.max(1, math.ceil((burst - tokens) / rate * 1000)))
return '0'
"""


class RedisLimiter:
    """Buckets in Redis, taken from by one Lua script (EVALSHA; atomic, one round trip). Redis trouble lets requests
    through (logged), never fails them; after a failure Redis is left alone for `pause` seconds, so an outage costs
    each request nothing and fills the log with one line per pause, not one per request."""

    def __init__(self, url: str, *, prefix: str = "jinlin:rate:", timeout: float = 0.5, pause: float = 5.0) -> None:
        import redis.asyncio as redis

        self.url = url
        self.prefix = prefix
        self.pause = pause
        self._redis: Any = redis.from_url(url, socket_connect_timeout=timeout, socket_timeout=timeout)
        self._script = self._redis.register_script(_TAKE)
        self._paused_until = 0.0

    async def take(self, key: str, *, rate: float, burst: float, cost: float = 1) -> float:
        """See `Limiter.take`; 0 while Redis is failing."""
        _check(rate, burst, cost)
        if time.monotonic() < self._paused_until:
            return 0.0
        try:
            wait = await self._script(keys=[self.prefix + key], args=[repr(float(rate)), repr(float(burst)),
                                                                       repr(float(cost))])
            return float(wait)
        except Exception as exc:  # noqa: BLE001 - fail open: a rate limit is not worth a failed request
            self._paused_until = time.monotonic() + self.pause
            log.error("rate limits are off for %.0f s: Redis at %s failed (%s)", self.pause, redacted_url(self.url),
                      exc)
            return 0.0

    async def close(self) -> None:
        """Close the connection pool."""
        await self._redis.aclose()


def create(redis_url: str | None) -> Limiter:
    """Redis buckets when configured (shared by every worker), this process's memory otherwise."""
    return RedisLimiter(redis_url) if redis_url else MemoryLimiter()


def retry_after(wait: float) -> int:
    """Whole seconds for `Retry-After` (rounded up, at least 1; float noise such as 12.000000001 is not a second)."""
    return max(1, math.ceil(wait - 1e-6))


# --- who is asking --------------------------------------------------------------------------------------------------

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def _ip(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    """An address as a proxy may write it: `1.2.3.4`, `1.2.3.4:5678`, `2001:db8::1`, `[2001:db8::1]:443`."""
    text = text.strip()
    if text.startswith("["):
        text = text[1:].partition("]")[0]
    elif text.count(":") == 1:
        text = text.partition(":")[0]
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def _trusted(text: str, proxies: Sequence[Network]) -> bool:
    address = _ip(text)
    return address is not None and any(address in network for network in proxies)


def client_address(scope: Scope, trusted_proxies: Sequence[Network] = ()) -> str:
    """The client's address. X-Forwarded-For counts only when the peer is a trusted proxy, and then the nearest
    address in it that is not itself a trusted proxy (the ones further left are the client's to write). uvicorn
    (`jinlin serve`) already does this for proxies in FORWARDED_ALLOW_IPS (127.0.0.1 unless set), so the peer seen
    here is the client then."""
    client = scope.get("client")
    host = str(client[0]) if client else ""
    if trusted_proxies and _trusted(host, trusted_proxies):
        hops = [hop.strip() for name, value in scope.get("headers", []) if name == b"x-forwarded-for"
                for hop in value.decode("latin-1").split(",") if hop.strip()]
        for hop in reversed(hops):
            host = hop
            if not _trusted(hop, trusted_proxies):
                break
    return host or "unknown"


def address_key(host: str) -> str:
    """The bucket of an address: IPv4 as is; IPv6 by its /64 (one subscriber's prefix: an address of its own is
    free for the asking there, and carrier NAT does not exist)."""
    address = _ip(host)
    if address is None:
        return "ip:" + _identity(host)
    if isinstance(address, ipaddress.IPv6Address):
        return "ip:" + str(ipaddress.IPv6Network((address, 64), strict=False))
    return f"ip:{address}"


def _identity(text: str) -> str:
    """A key part of bounded length."""
    if len(text) <= MAX_IDENTITY and text.isprintable():
        return text
    import hashlib

    return "sha256:" + hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


# --- the middleware -------------------------------------------------------------------------------------------------


class RateLimitMiddleware:
    """Pure ASGI middleware for one path: per user (HTTP, `state.user_id` from the auth middleware, so it sits
    inside that) and per client address (HTTP and websocket connects). Refused requests get 429 before anything
    reads their body, and never reach the idempotency middleware (which sits inside this one): a refused retry
    claims no key, so the retry after `Retry-After` runs for real. It also leaves the limiter in the request state
    for the credential operations (`account_attempt`)."""

    def __init__(self, app: ASGIApp, *, limiter: Limiter, settings: Settings, path: str = "/graphql") -> None:
        self.app = app
        self.limiter = limiter
        self.settings = settings
        self.path = path

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket") or scope["path"] != self.path:
            await self.app(scope, receive, send)
            return
        state = scope.setdefault("state", {})
        state[STATE_KEY] = self.limiter
        wait = await self._wait(scope, state.get("user_id") if scope["type"] == "http" else None)
        if not wait:
            await self.app(scope, receive, send)
            return
        seconds = retry_after(wait)
        lang = _language(scope)
        body = error_body("RATE_LIMITED", message(lang, "rate_limited", seconds=seconds), retryAfter=seconds)
        retry = (b"retry-after", str(seconds).encode())
        if scope["type"] == "http":
            await send_json(send, 429, body, retry, NO_STORE)
            return
        await _refuse_websocket(scope, receive, send, json_headers(body, retry, NO_STORE), body)

    async def _wait(self, scope: Scope, user_id: int | None) -> float:
        """Seconds to wait, 0 to go on. The user's bucket first: a user refused takes nothing from the address's
        bucket, which everyone behind the same carrier NAT shares."""
        settings = self.settings
        if user_id is not None and settings.rate_user is not None:
            wait = await _take(self.limiter, f"user:{user_id}", settings.rate_user)
            if wait:
                return wait
        if settings.rate_ip is not None:
            return await _take(self.limiter, address_key(client_address(scope, settings.trusted_proxies)),
                               settings.rate_ip)
        return 0.0


async def _refuse_websocket(scope: Scope, receive: Receive, send: Send, headers: list[tuple[bytes, bytes]],
                            body: bytes) -> None:
    """Refuse the handshake: HTTP 429 with Retry-After where the server can send a response instead of the upgrade
    (the ASGI websocket.http.response extension; uvicorn can), else a close before accepting (the server answers
    403; code 4429 is for in-process callers). graphql-ws and Apollo clients retry a failed handshake with back-off
    (a close with 4429 after accepting would be fatal to graphql-ws: it means too many connection_inits there)."""
    message = await receive()
    if message["type"] != "websocket.connect":
        return
    if "websocket.http.response" in scope.get("extensions", {}):
        await send({"type": "websocket.http.response.start", "status": 429, "headers": headers})
        await send({"type": "websocket.http.response.body", "body": body})
    else:
        await send({"type": "websocket.close", "code": 4429, "reason": "RATE_LIMITED"})


def _language(scope: Scope) -> str:
    from schema.context import language_of

    return language_of(Headers(scope=scope).get("accept-language", ""))


async def _take(limiter: Limiter, key: str, limit: RateLimit) -> float:
    return await limiter.take(key, rate=limit.rate, burst=limit.burst)


# --- credential operations ------------------------------------------------------------------------------------------


async def account_attempt(ctx: Context, kind: str, identity: str) -> UserError | None:
    """One attempt at a credential operation on an account (`kind` "phone" for login and signUp, "family" for a
    refresh token's login): None to go on, or the RATE_LIMITED payload error once the account's bucket is empty, with
    `Retry-After` set on the response. Outside the middleware (no limiter in the request state) nothing is limited."""
    limit = ctx.settings.rate_account
    limiter = ctx.request.scope.get("state", {}).get(STATE_KEY)
    if limit is None or limiter is None:
        return None
    wait = await _take(limiter, f"account:{kind}:{_identity(identity)}", limit)
    if not wait:
        return None
    seconds = retry_after(wait)
    if ctx.response is not None:
        ctx.response.headers["Retry-After"] = str(seconds)
    return user_error(ctx.lang, ErrorCode.RATE_LIMITED, None, "attempts_limited", seconds=seconds)
