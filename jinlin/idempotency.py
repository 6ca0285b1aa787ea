"""`Idempotency-Key` on POST /graphql: the same key from the same user within 24 hours replays the first answer
instead of running the mutation again; the key with another request is refused; a retry that arrives while the
first is still running waits for its answer (or gets CONFLICT)."""

from __future__ import annotations

import asyncio
import hashlib
import json

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from jinlin.asgi import error_body, send_json
from models import idempotency
from schema.context import language_of
from schema.errors import message

MAX_KEY_LENGTH = 200


class Idempotency:
    """Pure ASGI middleware, inside the auth middleware (it needs `state.user_id`). Anonymous requests (logins,
    sign-ups) are not keyed: there is no user to scope the key to, and their answers carry tokens."""

    def __init__(self, app: ASGIApp, *, path: str = "/graphql", wait_seconds: float = 10.0) -> None:
        self.app = app
        self.path = path
        self.wait_seconds = wait_seconds

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "POST" or scope["path"] != self.path:
            await self.app(scope, receive, send)  # lifespan and websockets have no headers to read
            return
        headers = Headers(scope=scope)
        key = headers.get("idempotency-key")
        user_id = scope.get("state", {}).get("user_id")
        if key is None or user_id is None:
            await self.app(scope, receive, send)
            return
        lang = language_of(headers.get("accept-language", ""))
        if not 1 <= len(key) <= MAX_KEY_LENGTH or not key.isprintable():
            await _error(send, 400, lang, "INVALID", "idempotency_key_invalid", max=MAX_KEY_LENGTH)
            return
        body = await _read_body(receive)
        request_hash = _request_hash(body, headers.get("content-type", ""))
        waited = 0.0
        while True:
            claim = await idempotency.claim(user_id=user_id, key=key, request_hash=request_hash)
            if claim.mine:
                await self._run(scope, body, send, user_id=user_id, key=key, claim_id=claim.claim_id)
                return
            if not claim.request_hash:
                continue  # the first request gave the key back just now: claim it again
            if claim.request_hash != request_hash:
                await _error(send, 422, lang, "IDEMPOTENCY_KEY_REUSED", "idempotency_key_reused")
                return
            if claim.response is not None:
                await _send(send, claim.status_code or 200, claim.response.encode(), replayed=True)
                return
            if waited >= self.wait_seconds:
                await _error(send, 409, lang, "CONFLICT", "idempotency_key_pending")
                return
            await asyncio.sleep(0.05)
            waited += 0.05

    async def _run(self, scope: Scope, body: bytes, send: Send, *, user_id: int, key: str,
                   claim_id: int | None) -> None:
        """Run the request that claimed the key; keep its answer when it is a GraphQL answer, else free the key."""
        sent_body = False

        async def receive() -> Message:
            nonlocal sent_body
            if sent_body:
                return {"type": "http.disconnect"}
            sent_body = True
            return {"type": "http.request", "body": body, "more_body": False}

        status = 500
        chunks: list[bytes] = []

        async def capture(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))
            await send(message)

        try:
            await self.app(scope, receive, capture)
        finally:
            answer = b"".join(chunks)
            if _replayable(status, answer):
                await idempotency.finish(user_id=user_id, key=key, status_code=status, response=answer.decode(),
                                         claim_id=claim_id)
            else:
                await idempotency.release(user_id=user_id, key=key, claim_id=claim_id)


async def _read_body(receive: Receive) -> bytes:
    """The whole request body (GraphQL requests are small; the server's body limit applies before)."""
    chunks = []
    while True:
        message = await receive()
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            return b"".join(chunks)


def _request_hash(body: bytes, content_type: str = "") -> str:
    """What makes two requests the same: operation, document and variables (key order and spacing do not count).
    A persisted query's hash names its document: Apollo's hash-only try and its retry with the document are one
    request (the app refuses a document that does not match the hash). An upload (multipart) is its bytes, less the
    boundary, which a client picks anew for every attempt."""
    boundary = _multipart_boundary(content_type)
    if boundary:
        return hashlib.sha256(body.replace(b"--" + boundary, b"--")).hexdigest()
    try:
        data = json.loads(body)
        if isinstance(data, dict):
            query, extensions = data.get("query"), data.get("extensions")
            persisted = extensions.get("persistedQuery") if isinstance(extensions, dict) else extensions
            if (isinstance(persisted, dict) and isinstance(query, str)
                    and persisted.get("sha256Hash") == hashlib.sha256(query.encode()).hexdigest()):
                query = None
            canonical = json.dumps([query, data.get("operationName"), data.get("variables"), persisted],
                                   sort_keys=True, ensure_ascii=False)
        else:
            canonical = body.decode()
    except (ValueError, UnicodeDecodeError):
        return hashlib.sha256(body).hexdigest()
    return hashlib.sha256(canonical.encode()).hexdigest()


def _multipart_boundary(content_type: str) -> bytes:
    """The boundary of a multipart/form-data body (empty for any other content type)."""
    media_type, _, params = content_type.partition(";")
    if media_type.strip().lower() != "multipart/form-data":
        return b""
    for param in params.split(";"):
        name, _, value = param.strip().partition("=")
        if name.strip().lower() == "boundary":
            return value.strip().strip('"').encode()
    return b""


def _replayable(status: int, body: bytes) -> bool:
    """An answer worth keeping for the retries: HTTP 200, unless it only asks for the persisted query's document
    (nothing ran; Apollo retries with the document under the same key)."""
    if status != 200:
        return False
    try:
        data = json.loads(body)
    except ValueError:
        return True
    return not (isinstance(data, dict) and "data" not in data and isinstance(data.get("errors"), list) and any(
        isinstance(error, dict) and isinstance(error.get("extensions"), dict)
        and error["extensions"].get("code") == "PERSISTED_QUERY_NOT_FOUND" for error in data["errors"]))


async def _send(send: Send, status: int, body: bytes, *, replayed: bool = False) -> None:
    await send_json(send, status, body, *([(b"idempotent-replayed", b"true")] if replayed else []))


async def _error(send: Send, status: int, lang: str, code: str, key: str, **params: object) -> None:
    """A top-level GraphQL error with `extensions.code`, in the request's language."""
    await send_json(send, status, error_body(code, message(lang, key, **params)))
