"""Authentication, once per request: a valid Bearer access token puts the user id in the request state."""

from __future__ import annotations

import json

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Receive, Scope, Send

from auth import tokens
from auth.tokens import InvalidToken, TokenType
from jinlin.settings import Settings
from schema.context import language_of
from schema.errors import message


class AuthMiddleware:
    """Refuses a request whose token is present but bad (UNAUTHENTICATED), instead of treating it as anonymous."""

    def __init__(self, app: ASGIApp, *, settings: Settings) -> None:
        self.app = app
        self.settings = settings

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        state = scope.setdefault("state", {})
        state["user_id"] = None
        authorization = headers.get("authorization")
        if authorization:
            scheme, _, token = authorization.partition(" ")
            try:
                if scheme.lower() != "bearer" or not token.strip():
                    raise InvalidToken("not a bearer token")
                state["user_id"] = tokens.verify(self.settings, token.strip(), typ=TokenType.ACCESS).user_id
            except InvalidToken:
                await self._refuse(scope, receive, send, language_of(headers.get("accept-language", "")))
                return
        await self.app(scope, receive, send)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send, lang: str) -> None:
        body = json.dumps(
            {"data": None, "errors": [{"message": message(lang, "token_invalid"),
                                       "extensions": {"code": "UNAUTHENTICATED"}}]},
            ensure_ascii=False,
        ).encode()
        await send({"type": "http.response.start", "status": 200, "headers": [
            (b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
            (b"www-authenticate", b'Bearer error="invalid_token"'),
        ]})
        await send({"type": "http.response.body", "body": body})
