"""Settings read once from the environment (and the command line), validated before anything starts."""

from __future__ import annotations

import hashlib
import ipaddress
import json
import os
import re
import secrets
import stat
import tempfile
from dataclasses import dataclass, field, replace
from datetime import timedelta
from pathlib import Path
from typing import Mapping
from urllib.parse import parse_qsl, urlencode, urlsplit

DEFAULT_DB_URL = "sqlite://jinlin.sqlite3"
SQLITE_PRAGMAS = {"journal_mode": "WAL", "foreign_keys": "ON", "synchronous": "FULL", "busy_timeout": "10000"}
MIN_SECRET_BYTES = 32


class SettingsError(Exception):
    """A setting is missing or malformed; the message is one line meant for the operator."""


@dataclass(frozen=True)
class RateLimit:
    """`count` requests per `period` seconds, in bursts of up to `count`: a token bucket of `count` tokens refilling
    at count/period a second (JINLIN_RATE_* as `COUNT/PERIOD`, e.g. `3000/60` or `10/10m`)."""

    count: int
    period: float

    @property
    def rate(self) -> float:
        return self.count / self.period

    @property
    def burst(self) -> int:
        return self.count


@dataclass(frozen=True)
class Settings:
    """Everything the process needs to know, so no module reads `os.environ` on its own."""

    db_url: str = DEFAULT_DB_URL
    secret_key: str = ""
    # The key before the last rotation (JINLIN_SECRET_KEY_PREVIOUS): tokens it signed are still accepted, never issued.
    secret_key_previous: str | None = None
    env: str = "development"
    jwt_issuer: str = "jinlin"
    jwt_audience: str = "jinlin-app"
    access_ttl: timedelta = timedelta(minutes=15)
    refresh_ttl: timedelta = timedelta(days=30)
    login_max_failures: int = 5
    login_window: timedelta = timedelta(minutes=15)
    max_query_depth: int = 15
    max_aliases: int = 30
    max_tokens: int = 4000
    # The most objects an operation's lists may return (schema.cost; JINLIN_MAX_QUERY_COST), in every environment.
    max_query_cost: int = 10_000
    # Seconds a /graphql request may run (JINLIN_REQUEST_TIMEOUT: then 503 TIMEOUT) and may take to send its body
    # (JINLIN_BODY_TIMEOUT: then 408 REQUEST_TIMEOUT); jinlin.timeouts.
    request_timeout: float = 30.0
    body_timeout: float = 10.0
    cache_max_age: int = 60
    # The response cache for persisted queries (jinlin.response_cache; JINLIN_RESPONSE_CACHE=off turns it off) and the
    # longest an answer is kept even when nothing it read was written (JINLIN_RESPONSE_CACHE_TTL, seconds).
    response_cache: bool = True
    response_cache_ttl: int = 60
    # Uploaded photos (JINLIN_PHOTO_DIR) and how long their signed URLs stay valid (JINLIN_PHOTO_URL_TTL, seconds).
    photo_dir: str = "photos"
    # The built mobile web app served at `/` (JINLIN_WEB_DIST; default web/dist beside the code).
    web_dist: str | None = None
    photo_url_ttl: int = 3600
    # Trusted-documents mode (JINLIN_PERSISTED_ONLY=1): hash -> document from the manifest; None runs any document.
    trusted_documents: Mapping[str, str] | None = None
    # Redis (JINLIN_REDIS_URL) for live-update fan-out and the persisted-query store across workers and machines.
    redis_url: str | None = None
    # Rate limits (jinlin.rate_limit; None is off): per client address on /graphql (JINLIN_RATE_IP, loose: carrier NAT
    # puts thousands of phones behind one address), per logged-in user (JINLIN_RATE_USER), per account on login,
    # signUp and refreshToken (JINLIN_RATE_ACCOUNT); X-Forwarded-For counts from JINLIN_TRUSTED_PROXIES only.
    rate_ip: RateLimit | None = RateLimit(3000, 60)
    rate_user: RateLimit | None = RateLimit(300, 60)
    rate_account: RateLimit | None = RateLimit(10, 600)
    trusted_proxies: tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...] = ()
    extra: Mapping[str, str] = field(default_factory=dict)

    @property
    def production(self) -> bool:
        """Production hides GraphiQL, introspection and suggestions and demands a real secret."""
        return self.env == "production"

    @property
    def is_sqlite(self) -> bool:
        """SQLite needs pragmas and a single writer; PostgreSQL does not."""
        return self.db_url.startswith("sqlite:")

    def with_db_url(self, db_url: str) -> "Settings":
        """The same settings on another database (used by `--db` and by tests)."""
        return replace(self, db_url=normalise_db_url(db_url))


def normalise_db_url(url: str) -> str:
    """Check a database URL and add the SQLite pragmas the service relies on (WAL, FKs, fsync, busy wait)."""
    url = url.strip()
    parts = urlsplit(url)
    if parts.scheme == "sqlite":
        path = parts.netloc + parts.path
        if not path:
            raise SettingsError(f"database URL {url!r} has no file path (try sqlite://jinlin.sqlite3)")
        params = dict(SQLITE_PRAGMAS)
        params.update(dict(parse_qsl(parts.query)))
        return f"sqlite://{path}?{urlencode(params)}"
    if parts.scheme in {"postgres", "postgresql", "asyncpg"}:
        if not parts.hostname and "host=" not in parts.query:
            raise SettingsError(f"database URL {url!r} names no host")
        try:
            parts.port
        except ValueError:
            raise SettingsError(f"database URL {url!r} has a port that is not a number") from None
        if not parts.path.strip("/"):
            raise SettingsError(f"database URL {url!r} names no database")
        return url
    raise SettingsError(
        f"database URL {url!r} is not understood: use sqlite://FILE or postgres://USER@HOST:PORT/DB"
    )


def redacted_url(url: str) -> str:
    """A database or Redis URL without its password or query string, for messages and logs."""
    parts = urlsplit(url)
    if parts.password:
        url = url.replace(f":{parts.password}@", ":***@")
    return url.split("?")[0]


def sqlite_path(db_url: str) -> str | None:
    """The file behind an SQLite URL (None for PostgreSQL), e.g. to keep the dev secret beside it."""
    parts = urlsplit(db_url)
    if parts.scheme != "sqlite":
        return None
    return parts.netloc + parts.path


def _dev_secret(db_url: str) -> str:
    """Generate the development signing key once and keep it beside the database, readable by us only."""
    db_file = sqlite_path(db_url)
    if db_file and db_file != ":memory:":
        key_file = Path(db_file).resolve().parent / ".jinlin-secret"
    else:
        key_file = Path.cwd() / ".jinlin-secret"
    try:
        if not key_file.exists():
            # Write a complete file under a temporary name, then link it into place: a process starting at the
            # same moment either wins the link or reads the winner's whole key, never a half-written one.
            key_file.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=key_file.parent, prefix=".jinlin-secret.")
            try:
                with os.fdopen(fd, "w") as fh:
                    fh.write(secrets.token_urlsafe(48) + "\n")
                os.chmod(tmp, stat.S_IRUSR | stat.S_IWUSR)
                try:
                    os.link(tmp, key_file)
                except FileExistsError:
                    pass
            finally:
                os.unlink(tmp)
        key = key_file.read_text().strip()
    except OSError as exc:  # unwritable or unreadable place: one line for the operator, not a traceback
        raise SettingsError(f"cannot keep the development secret in {key_file} ({exc.strerror or exc}); "
                            "set JINLIN_SECRET_KEY instead") from None
    if len(key.encode()) < MIN_SECRET_BYTES:
        raise SettingsError(f"the development secret in {key_file} is too short; delete the file to make a new one")
    return key


def _default_photo_dir(db_url: str) -> str:
    """Photos are kept beside the SQLite file (like the development secret), else in ./photos."""
    db_file = sqlite_path(db_url)
    if db_file and db_file != ":memory:":
        return str(Path(db_file).resolve().parent / "photos")
    return str(Path.cwd() / "photos")


def load(environ: Mapping[str, str] | None = None, *, db_url: str | None = None) -> Settings:
    """Build settings from the environment; `db_url` (from `--db`) wins over `JINLIN_DB_URL`."""
    environ = os.environ if environ is None else environ
    env = environ.get("JINLIN_ENV", "development").strip() or "development"
    if env not in {"development", "production"}:
        raise SettingsError(f"JINLIN_ENV must be 'development' or 'production', not {env!r}")
    url = normalise_db_url(db_url or environ.get("JINLIN_DB_URL") or DEFAULT_DB_URL)
    key = environ.get("JINLIN_SECRET_KEY", "")
    if not key:
        if env == "production":
            raise SettingsError("JINLIN_SECRET_KEY is required when JINLIN_ENV=production")
        key = _dev_secret(url)
    if len(key.encode()) < MIN_SECRET_BYTES:
        raise SettingsError(f"JINLIN_SECRET_KEY must be at least {MIN_SECRET_BYTES} bytes long")
    previous_key = environ.get("JINLIN_SECRET_KEY_PREVIOUS", "").strip() or None
    if previous_key is not None and len(previous_key.encode()) < MIN_SECRET_BYTES:
        raise SettingsError(f"JINLIN_SECRET_KEY_PREVIOUS must be at least {MIN_SECRET_BYTES} bytes long")
    raw_age = environ.get("JINLIN_CACHE_MAX_AGE", "60").strip() or "60"
    if not (raw_age.isascii() and raw_age.isdigit()):  # str.isdigit alone lets "²" through to int() (ValueError)
        raise SettingsError(f"JINLIN_CACHE_MAX_AGE must be a whole number of seconds, not {raw_age!r}")
    photo_dir = environ.get("JINLIN_PHOTO_DIR", "").strip() or _default_photo_dir(url)
    raw_ttl = environ.get("JINLIN_PHOTO_URL_TTL", "3600").strip() or "3600"
    if not (raw_ttl.isascii() and raw_ttl.isdigit() and 60 <= int(raw_ttl) <= 7 * 24 * 3600):
        raise SettingsError(f"JINLIN_PHOTO_URL_TTL must be whole seconds from 60 to 604800 (a week), not {raw_ttl!r}")
    photo_ttl = int(raw_ttl)
    max_cost = _whole_number(environ, "JINLIN_MAX_QUERY_COST", 10_000, 1, 1_000_000_000, "objects")
    request_timeout = _whole_number(environ, "JINLIN_REQUEST_TIMEOUT", 30, 1, 3600, "seconds")
    body_timeout = _whole_number(environ, "JINLIN_BODY_TIMEOUT", 10, 1, 3600, "seconds")
    trusted = None
    if environ.get("JINLIN_PERSISTED_ONLY", "").strip() in {"1", "true", "yes"}:
        trusted = load_manifest(environ.get("JINLIN_PERSISTED_MANIFEST", "").strip())
    redis_url = environ.get("JINLIN_REDIS_URL", "").strip() or None
    if redis_url is not None and urlsplit(redis_url).scheme not in {"redis", "rediss", "unix"}:
        raise SettingsError(f"JINLIN_REDIS_URL {redis_url!r} is not understood: use redis://HOST:PORT/DB")
    raw_cache = environ.get("JINLIN_RESPONSE_CACHE", "on").strip().lower() or "on"
    if raw_cache not in {"on", "off", "1", "0", "true", "false", "yes", "no"}:
        raise SettingsError(f"JINLIN_RESPONSE_CACHE must be on or off, not {raw_cache!r}")
    cache_ttl = _whole_number(environ, "JINLIN_RESPONSE_CACHE_TTL", 60, 1, 3600, "seconds")
    limits = {name: parse_rate_limit(f"JINLIN_RATE_{name.upper()}", environ.get(f"JINLIN_RATE_{name.upper()}"),
                                     getattr(Settings, f"rate_{name}")) for name in ("ip", "user", "account")}
    return Settings(db_url=url, secret_key=key, secret_key_previous=previous_key, env=env,
                    cache_max_age=int(raw_age), trusted_documents=trusted, max_query_cost=max_cost,
                    request_timeout=float(request_timeout), body_timeout=float(body_timeout),
                    redis_url=redis_url, photo_dir=photo_dir, photo_url_ttl=photo_ttl, rate_ip=limits["ip"],
                    rate_user=limits["user"], rate_account=limits["account"],
                    web_dist=environ.get("JINLIN_WEB_DIST", "").strip() or None,
                    response_cache=raw_cache in {"on", "1", "true", "yes"}, response_cache_ttl=cache_ttl,
                    trusted_proxies=parse_proxies(environ.get("JINLIN_TRUSTED_PROXIES", "")))


_RATE = re.compile(r"([0-9]+)/([0-9]+)([smh]?)")
_UNIT_SECONDS = {"": 1, "s": 1, "m": 60, "h": 3600}


def parse_rate_limit(name: str, raw: str | None, default: RateLimit | None) -> RateLimit | None:
    """`COUNT/PERIOD` (the period in seconds, or with s, m or h: `10/10m`), `off`, or unset for the default."""
    value = (raw or "").strip().lower()
    if not value:
        return default
    if value == "off":
        return None
    match = _RATE.fullmatch(value.replace(" ", ""))
    count, period = (int(match[1]), int(match[2]) * _UNIT_SECONDS[match[3]]) if match else (0, 0)
    if not (1 <= count <= 1_000_000 and 1 <= period <= 86_400):
        raise SettingsError(f"{name} must be COUNT/PERIOD, e.g. 600/60 (600 requests a minute; count 1 to 1000000, "
                            f"period in seconds or with m or h, at most a day), or off; not {raw!r}")
    return RateLimit(count, period)


def parse_proxies(raw: str) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    """JINLIN_TRUSTED_PROXIES: addresses or networks of the reverse proxies whose X-Forwarded-For counts."""
    networks = []
    for item in raw.replace(",", " ").split():
        try:
            networks.append(ipaddress.ip_network(item, strict=False))
        except ValueError:
            raise SettingsError(f"JINLIN_TRUSTED_PROXIES: {item!r} is not an IP address or network (such as "
                                "10.0.0.5 or 10.0.0.0/8)") from None
    return tuple(networks)


def _whole_number(environ: Mapping[str, str], name: str, default: int, low: int, high: int, unit: str) -> int:
    """A whole-number setting within [low, high] (ASCII digits only: str.isdigit alone lets "²" through)."""
    raw = environ.get(name, "").strip() or str(default)
    if not (raw.isascii() and raw.isdigit() and low <= int(raw) <= high):
        raise SettingsError(f"{name} must be a whole number of {unit} from {low} to {high}, not {raw!r}")
    return int(raw)

def load_manifest(path: str) -> dict[str, str]:
    """Read a persisted-document manifest as Apollo (`{"operations": [{"id", "body"}]}`) or graphql-codegen
    (`{"<sha256>": "<document>"}`) writes it; every id must be the SHA-256 of its document."""
    if not path:
        raise SettingsError("JINLIN_PERSISTED_ONLY needs JINLIN_PERSISTED_MANIFEST (the manifest file)")
    try:
        with open(path, encoding="utf-8") as file:
            data = json.load(file)
    except (OSError, ValueError) as exc:
        raise SettingsError(f"cannot read the persisted-query manifest {path}: {exc}") from None
    if isinstance(data, dict) and isinstance(data.get("operations"), list):
        pairs = [(op.get("id"), op.get("body")) for op in data["operations"] if isinstance(op, dict)]
    elif isinstance(data, dict):
        pairs = list(data.items())
    else:
        raise SettingsError(f"the persisted-query manifest {path} is neither Apollo's nor graphql-codegen's format")
    documents: dict[str, str] = {}
    for sha, body in pairs:
        if not isinstance(sha, str) or not isinstance(body, str) or hashlib.sha256(body.encode()).hexdigest() != sha:
            raise SettingsError(f"the persisted-query manifest {path} has an entry whose id is not its SHA-256")
        documents[sha] = body
    return documents
