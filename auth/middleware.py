"""Authentication, once per request: a valid Bearer access token puts the user id in the request state."""

from __future__ import annotations

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

    def __init__(self, app: ASGIApp, *, settings: Settings) -> None:
        self.app = app
        self.settings = settings

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
        try:
            return tokens.verify(self.settings, token.strip(), typ=TokenType.ACCESS).user_id, False
        except InvalidToken:
            return None, True
