"""Authentication, once per request: a valid Bearer access token puts the user id in the request state."""

from __future__ import annotations

import time
from collections import OrderedDict

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Receive, Scope, Send

from auth import tokens
from auth.tokens import InvalidToken, TokenType
from jinlin.settings import Settings


class AuthMiddleware:
    """Sets `state.user_id` from a valid token, or `state.token_error` for a present but bad one.

    A bad token is not treated as anonymous: the schema's token gate refuses the operation (UNAUTHENTICATED)
    unless it only logs in, signs up, refreshes or logs out, which an app does with a stale header attached.
    """

    def __init__(self, app: ASGIApp, *, settings: Settings, remember: int = 4096) -> None:
        self.app = app
        self.settings = settings
        # Tokens already verified, with their claims: a phone sends the same token for 15 minutes, and checking a
        # signature costs more than the rest of a cached answer. Expiry is still checked on every request.
        self.verified: OrderedDict[str, tokens.TokenClaims] = OrderedDict()
        self.remember = remember

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            state = scope.setdefault("state", {})
            state["user_id"], state["token_error"] = self._authenticate(Headers(scope=scope).get("authorization"))
        await self.app(scope, receive, send)

    def _authenticate(self, authorization: str | None) -> tuple[int | None, bool]:
        if not authorization:
            return None, False
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            return None, True
        token = token.strip()
        claims = self.verified.get(token)
        if claims is not None and claims.expires_at.timestamp() > time.time():
            return claims.user_id, False
        try:
            claims = tokens.verify(self.settings, token, typ=TokenType.ACCESS)
        except InvalidToken:
            self.verified.pop(token, None)
            return None, True
        self.verified[token] = claims
        if len(self.verified) > self.remember:
            self.verified.popitem(last=False)
        return claims.user_id, False
