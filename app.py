"""The ASGI application: routes, middleware and lifespan around the strawberry schema."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from datetime import timedelta

import orjson
from cross_web import HTTPException  # strawberry's own HTTP error type (its views raise it too)
from graphql import GraphQLError, parse
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.gzip import GZipMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.exceptions import ConnectionRejectionError
from strawberry.http import GraphQLRequestData
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL
from strawberry.types.unset import UNSET, UnsetType
from tortoise.contrib.starlette import RegisterTortoise

from auth import tokens
from auth.middleware import AuthMiddleware
from jinlin import events, persisted_store, photos, rate_limit, web
from jinlin import settings as settings_module
from jinlin.body_limit import BodyLimit
from jinlin.timeouts import RequestTimeout
from jinlin.db import tortoise_config
from jinlin.http_cache import HttpCache
from jinlin.http_media import GraphQLResponseMedia
from jinlin.http_request import check_operation_name, require_object_body
from jinlin.idempotency import Idempotency
from jinlin.persisted_store import Store
from jinlin.response_cache import ResponseCache
from jinlin.settings import Settings
from jinlin.ws import TransportWSHandler
from schema import context as context_module
from schema.context import Context
from schema.root import build_schema

log = logging.getLogger("jinlin")


class GraphQLView(GraphQL):
    """strawberry's ASGI view with our per-request context (viewer from the auth middleware, loaders, language)."""

    graphql_transport_ws_handler_class = TransportWSHandler

    def __init__(self, settings: Settings) -> None:
        super().__init__(
            build_schema(settings),
            graphql_ide=None if settings.production else "graphiql",
            allow_queries_via_get=True,  # queries only (strawberry refuses mutations over GET): persisted queries
            subscription_protocols=(GRAPHQL_TRANSPORT_WS_PROTOCOL,),  # the maintained protocol only
            connection_init_wait_timeout=timedelta(seconds=10),
            max_subscriptions_per_connection=20,
            multipart_uploads_enabled=True,  # photos; jinlin.body_limit refuses multipart without a Bearer header
        )
        self.settings = settings
        self.bus = events.create(settings.redis_url)
        self.store: Store = persisted_store.create(settings.redis_url, known=web.app_documents(settings.web_dist))

    def should_render_graphql_ide(self, request: object) -> bool:
        """GraphiQL for a browser opening /graphql, never for a GET carrying an operation (a persisted query)."""
        if not super().should_render_graphql_ide(request):  # type: ignore[arg-type]
            return False  # (the usual answer, decided by the headers alone: no need to parse the query string)
        return request.query_params.get("extensions") is None  # type: ignore[attr-defined]

    async def parse_http_body(self, request_adapter: object) -> GraphQLRequestData | list[GraphQLRequestData]:
        """strawberry's parsing, then Apollo's automatic persisted queries: a hash alone runs the document
        registered under it; a hash with its document registers it (after checking the hash)."""
        await require_object_body(request_adapter, self.parse_json)  # `"x"`, `1`, `null`: 400, not strawberry's 500
        data = await super().parse_http_body(request_adapter)  # type: ignore[arg-type]
        for item in data if isinstance(data, list) else [data]:
            check_operation_name(item)
        if request_adapter.method == "GET" and (  # type: ignore[attr-defined]
                isinstance(data, list) or (data.extensions or {}).get("persistedQuery") is None):
            raise HTTPException(400, "GET is only for persisted queries; POST the document")
        method = request_adapter.method  # type: ignore[attr-defined]
        trusted = self.settings.trusted_documents
        if isinstance(data, list):
            return [await _persisted(item, method, trusted, self.store) for item in data]
        return await _persisted(data, method, trusted, self.store)

    async def run(self, request: Request | WebSocket, context: object = None, root_value: object = None
                  ) -> Response | WebSocket:
        """Answer an unknown persisted-query hash the way Apollo's link expects: 200 and PERSISTED_QUERY_NOT_FOUND,
        after which the client sends the document along."""
        from strawberry.types.unset import UNSET

        try:
            return await super().run(request, UNSET if context is None else context,  # type: ignore[arg-type]
                                     UNSET if root_value is None else root_value)
        except _PersistedQueryNotFound:
            return Response(self.encode_json({"errors": [{"message": "PersistedQueryNotFound", "extensions": {
                "code": "PERSISTED_QUERY_NOT_FOUND"}}]}), media_type="application/json",
                headers={"Cache-Control": "no-store"})
        except _NotTrusted:
            return Response(self.encode_json({"errors": [{"message": "Only the app's registered operations run here",
                                                          "extensions": {"code": "PERSISTED_QUERY_REQUIRED"}}]}),
                            status_code=400, media_type="application/json", headers={"Cache-Control": "no-store"})

    def encode_json(self, data: object) -> str:
        """Compact JSON with Chinese text as itself (3 bytes a character in UTF-8, not a 6-byte escape), by orjson (a
        few times faster than json). A str, not bytes: strawberry sends bytes over a websocket as binary frames, which
        graphql-transport-ws forbids."""
        return orjson.dumps(data).decode()

    async def get_context(self, request: Request | WebSocket, response: Response | WebSocket) -> Context:
        state = request.scope.get("state", {})
        return context_module.build(request, response if isinstance(response, Response) else None,
                                    self.settings, state.get("user_id"), state.get("token_error", False),
                                    bus=self.bus)

    async def on_ws_connect(self, context: Context) -> UnsetType | dict[str, object] | None:
        """graphql-transport-ws: the access token comes in connection_init's payload as
        `{"Authorization": "Bearer <accessToken>"}`; a bad one closes the socket with 4403, none means anonymous."""
        params = context.connection_params or {}
        authorization = next((value for key, value in params.items() if key.lower() == "authorization"), None)
        if authorization is None:
            return UNSET
        if not isinstance(authorization, str):
            raise ConnectionRejectionError()
        scheme, _, token = authorization.partition(" ")
        try:
            if scheme.lower() != "bearer":
                raise tokens.InvalidToken("not a bearer token")
            claims = tokens.verify(self.settings, token.strip(), typ=tokens.TokenType.ACCESS)
        except tokens.InvalidToken:
            raise ConnectionRejectionError() from None
        context.authenticate(claims.user_id, expires_at=claims.expires_at)
        return UNSET


class _PersistedQueryNotFound(Exception):
    """The hash names no registered document."""


# The longest document the store takes: far above any screen's query, far below a denial of service.
MAX_PERSISTED_LENGTH = 20_000


class _NotTrusted(Exception):
    """Trusted-documents mode: the request is not one of the manifest's operations."""


async def _persisted(data: GraphQLRequestData, method: str, trusted: Mapping[str, str] | None, store: Store
                     ) -> GraphQLRequestData:
    """Resolve or register the request's persisted query (extensions.persistedQuery, version 1). Registration is
    POST only (a GET never writes), and only of a document that parses and is not huge. In trusted-documents mode
    the manifest is the only source and nothing is registered."""
    extension = (data.extensions or {}).get("persistedQuery")
    if trusted is not None:
        return _trusted(data, extension, trusted)
    if extension is None:
        return data
    if not isinstance(extension, dict):
        raise HTTPException(400, "extensions.persistedQuery must be an object")
    sha256 = extension.get("sha256Hash")
    if extension.get("version", 1) != 1:
        raise HTTPException(400, "Unsupported persisted query version")
    if not isinstance(sha256, str) or len(sha256) != 64 or any(c not in "0123456789abcdef" for c in sha256):
        raise HTTPException(400, "persistedQuery.sha256Hash must be a lowercase hex SHA-256")
    if data.query is None:
        query = await store.get(sha256)
        if query is None:
            raise _PersistedQueryNotFound()
        data.query = query
        return data
    if hashlib.sha256(data.query.encode()).hexdigest() != sha256:
        raise HTTPException(400, "provided sha does not match query")
    if method == "GET":
        raise HTTPException(400, "Register persisted queries with POST")
    if len(data.query) <= MAX_PERSISTED_LENGTH and _parses(data.query):
        await store.put(sha256, data.query)
    return data  # a document that does not parse runs (and fails) without being stored


def _trusted(data: GraphQLRequestData, extension: object, trusted: Mapping[str, str]) -> GraphQLRequestData:
    """Run only manifest documents: by hash, or a document whose hash is listed."""
    sha256 = extension.get("sha256Hash") if isinstance(extension, dict) else None
    if sha256 is None:
        if data.query is not None and hashlib.sha256(data.query.encode()).hexdigest() in trusted:
            return data
        raise _NotTrusted()
    document = trusted.get(sha256) if isinstance(sha256, str) else None
    if document is None:
        # Apollo's link answers NOT_FOUND by sending the document along; that retry is refused for good.
        raise _PersistedQueryNotFound() if data.query is None else _NotTrusted()
    if data.query is not None and data.query != document:
        raise HTTPException(400, "provided sha does not match query")
    data.query = document
    return data


def _parses(query: str) -> bool:
    """Whether a document is syntactically GraphQL (only such documents are worth storing)."""
    try:
        parse(query)
    except GraphQLError:
        return False
    return True


def cache_ttl(settings: Settings) -> int:
    """How long a cached answer may live: the setting, but never so long that a signed photo URL in it expires."""
    return min(settings.response_cache_ttl, settings.photo_url_ttl // 2)


async def healthz(_request: Request) -> Response:
    """Liveness for load balancers and the newcomer's first curl."""
    return JSONResponse({"status": "ok"})


def create_app(settings: Settings | None = None, *, init_db: bool = True) -> Starlette:
    """Build the app; `init_db=False` lets tests (and the CLI) own the ORM's lifetime themselves."""
    settings = settings or settings_module.load()

    view = GraphQLView(settings)
    limiter = rate_limit.create(settings.redis_url)  # one per process: every request's buckets in one place

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        await view.bus.start()
        try:
            if not init_db:
                yield
                return
            async with RegisterTortoise(app, config=tortoise_config(settings.db_url)):
                yield
        finally:
            await view.bus.stop()
            await view.store.close()
            await limiter.close()

    api = [Route("/graphql", view, methods=["GET", "POST"]), WebSocketRoute("/graphql", view),
           Route("/healthz", healthz), Route("/photos/{name}", photos.endpoint(settings), methods=["GET", "HEAD"])]
    return Starlette(
        # The app last: it answers every other path, but none under the API's own first segments.
        routes=[*api, *web.routes(settings.web_dist, reserved={route.path.split("/")[1] for route in api})],
        middleware=[Middleware(GZipMiddleware, minimum_size=1024),
                    # Outside everything that reads the body or runs the operation: it cuts both off in time.
                    Middleware(RequestTimeout, path="/graphql", request_timeout=settings.request_timeout,
                               body_timeout=settings.body_timeout),
                    Middleware(BodyLimit, path="/graphql"),
                    Middleware(HttpCache, path="/graphql", public_max_age=settings.cache_max_age),
                    Middleware(GraphQLResponseMedia, path="/graphql"),
                    Middleware(AuthMiddleware, settings=settings),
                    # Inside auth (it limits per user too), outside idempotency (a refused retry claims no key).
                    Middleware(rate_limit.RateLimitMiddleware, limiter=limiter, settings=settings),
                    # Inside both: it needs the viewer, and a cached answer still counts against the limits.
                    *([Middleware(ResponseCache, db_url=settings.db_url, path="/graphql",
                                  ttl=cache_ttl(settings))]
                      if settings.response_cache else []),
                    Middleware(Idempotency, path="/graphql")],
        lifespan=lifespan,
    )
