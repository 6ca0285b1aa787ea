"""JWT access and refresh tokens: HS256 pinned, every registered claim required, types not interchangeable.

Tokens are signed with JINLIN_SECRET_KEY. During a key rotation JINLIN_SECRET_KEY_PREVIOUS holds the old key: tokens
it signed still verify (until they expire: 15 minutes for access, 30 days for refresh tokens), and a refresh then
returns a pair signed with the new key, so nobody is logged out. Nothing is ever signed with the previous key.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timezone
from enum import Enum

import jwt

from jinlin.settings import Settings

ALGORITHM = "HS256"
REQUIRED_CLAIMS = ["exp", "iat", "sub", "iss", "aud", "jti", "typ"]


class TokenType(str, Enum):
    """Access tokens open the API; refresh tokens only buy a new pair."""

    ACCESS = "access"
    REFRESH = "refresh"


class InvalidToken(Exception):
    """The token is malformed, forged, expired, for another audience or of the wrong type."""


@dataclass(frozen=True)
class TokenClaims:
    """The verified claims the service uses."""

    user_id: int
    jti: str
    family: str | None
    expires_at: datetime


def now() -> datetime:
    """The clock tokens are issued and checked against (UTC, second precision as in JWT)."""
    return datetime.now(timezone.utc).replace(microsecond=0)


def issue(settings: Settings, *, user_id: int, typ: TokenType, family: str | None = None) -> tuple[str, TokenClaims]:
    """Sign a token of the given type; refresh tokens carry their family id."""
    issued = now()
    expires = issued + (settings.access_ttl if typ is TokenType.ACCESS else settings.refresh_ttl)
    jti = uuid.uuid4().hex
    payload: dict[str, object] = {
        "sub": str(user_id),
        "iss": settings.jwt_issuer,
        "aud": settings.jwt_audience,
        "iat": int(issued.timestamp()),
        "exp": int(expires.timestamp()),
        "jti": jti,
        "typ": typ.value,
    }
    if family:
        payload["fam"] = family
    token = jwt.encode(payload, settings.secret_key, algorithm=ALGORITHM)
    return token, TokenClaims(user_id=user_id, jti=jti, family=family, expires_at=expires)


def _decode(settings: Settings, token: str) -> dict:
    """The verified payload under the current key or, failing its signature check only, the previous one."""
    keys = [settings.secret_key]
    if settings.secret_key_previous and settings.secret_key_previous != settings.secret_key:
        keys.append(settings.secret_key_previous)
    for index, key in enumerate(keys):
        try:
            return jwt.decode(
                token,
                key,
                algorithms=[ALGORITHM],
                audience=settings.jwt_audience,
                issuer=settings.jwt_issuer,
                options={"require": REQUIRED_CLAIMS},
            )
        except jwt.InvalidSignatureError as exc:
            if index == len(keys) - 1:
                raise InvalidToken(str(exc)) from None
        except jwt.PyJWTError as exc:  # signed by this key but expired, for another audience...: no other key helps
            raise InvalidToken(str(exc)) from None
    raise InvalidToken("no key")  # unreachable: there is always a current key


def verify(settings: Settings, token: str, *, typ: TokenType) -> TokenClaims:
    """Decode and check a token; any defect raises InvalidToken (never a partial result)."""
    payload = _decode(settings, token)
    if payload.get("typ") != typ.value:
        raise InvalidToken("wrong token type")
    try:
        user_id = int(payload["sub"])
    except (TypeError, ValueError):
        raise InvalidToken("bad subject") from None
    family = payload.get("fam")
    if typ is TokenType.REFRESH and not isinstance(family, str):
        raise InvalidToken("refresh token without family")
    return TokenClaims(
        user_id=user_id,
        jti=str(payload["jti"]),
        family=family if isinstance(family, str) else None,
        expires_at=datetime.fromtimestamp(int(payload["exp"]), timezone.utc),
    )
