"""The door of POST /graphql, before anything reads the body: uploads only from apps (CSRF), and bodies of a bounded
size (413), checked on Content-Length and again while the body streams in (chunked or lying clients).

CSRF: a browser may send `multipart/form-data` to any site without a preflight, so a multipart request counts only
with an `Authorization: Bearer` header (which no page can add cross-site without CORS allowing it). JSON requests
need `Content-Type: application/json`, which no cross-site form can send either (strawberry refuses other types).
"""

from __future__ import annotations

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from jinlin.asgi import NO_STORE, StartTracker, error_body, send_json
from jinlin.photos import MAX_BYTES as MAX_PHOTO_BYTES
from models.photo import MAX_PHOTOS
from schema.context import language_of
from schema.errors import message

MB = 1024 * 1024
JSON_LIMIT = 1 * MB
MULTIPART_LIMIT = MAX_PHOTOS * MAX_PHOTO_BYTES + 1 * MB  # six photos at the limit and the form's own fields


class _TooLarge(Exception):
    """The body grew past the limit while streaming (not a ValueError: strawberry turns those into a 400)."""


class BodyLimit:
    """Pure ASGI middleware, outside everything that reads the body (the idempotency middleware buffers it)."""

    def __init__(self, app: ASGIApp, *, path: str = "/graphql", json_limit: int = JSON_LIMIT,
                 multipart_limit: int = MULTIPART_LIMIT) -> None:
        self.app = app
        self.path = path
        self.json_limit = json_limit
        self.multipart_limit = multipart_limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD", "OPTIONS") or scope["path"] != self.path:
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        lang = language_of(headers.get("accept-language", ""))
        multipart = headers.get("content-type", "").partition(";")[0].strip().lower() == "multipart/form-data"
        if multipart and not _bearer(headers.get("authorization", "")):
            await send_json(send, 400, error_body("CSRF", message(lang, "upload_needs_authorization")), NO_STORE)
            return
        limit = self.multipart_limit if multipart else self.json_limit
        too_large = message(lang, "body_too_large", max=f"{limit // MB} MB")
        length = headers.get("content-length", "")
        if length.isascii() and length.isdigit() and int(length) > limit:
            await send_json(send, 413, error_body("PAYLOAD_TOO_LARGE", too_large), NO_STORE)
            return
        received = 0
        tracked = StartTracker(send)

        async def limited() -> Message:
            nonlocal received
            msg = await receive()
            if msg["type"] == "http.request":
                received += len(msg.get("body", b""))
                if received > limit:
                    raise _TooLarge()
            return msg

        try:
            await self.app(scope, limited, tracked)
        except _TooLarge:
            if tracked.started:
                raise
            await send_json(send, 413, error_body("PAYLOAD_TOO_LARGE", too_large), NO_STORE)


def _bearer(authorization: str) -> bool:
    """Whether the header names a bearer token (valid or not: the schema refuses a bad one as UNAUTHENTICATED)."""
    scheme, _, token = authorization.partition(" ")
    return scheme.lower() == "bearer" and bool(token.strip())
