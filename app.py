"""The ASGI application: routes, middleware and lifespan around the strawberry schema."""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from tortoise.contrib.starlette import RegisterTortoise

from auth.middleware import AuthMiddleware
from jinlin import settings as settings_module
from jinlin.db import tortoise_config
from jinlin.settings import Settings
from schema import context as context_module
from schema.context import Context
from schema.root import build_schema

log = logging.getLogger("jinlin")


class GraphQLView(GraphQL):
    """strawberry's ASGI view with our per-request context (viewer from the auth middleware, loaders, language)."""

    def __init__(self, settings: Settings) -> None:
        super().__init__(
            build_schema(settings),
            graphql_ide=None if settings.production else "graphiql",
            allow_queries_via_get=False,
        )
        self.settings = settings

    def encode_json(self, data: object) -> bytes:
        """Compact UTF-8 JSON: Chinese text as itself (3 bytes a character, not a 6-byte escape)."""
        return json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode()

    async def get_context(self, request: Request | WebSocket, response: Response | WebSocket) -> Context:
        state = request.scope.get("state", {})
        return context_module.build(request, response if isinstance(response, Response) else None,
                                    self.settings, state.get("user_id"), state.get("token_error", False))


async def healthz(_request: Request) -> Response:
    """Liveness for load balancers and the newcomer's first curl."""
    return JSONResponse({"status": "ok"})


def create_app(settings: Settings | None = None, *, init_db: bool = True) -> Starlette:
    """Build the app; `init_db=False` lets tests (and the CLI) own the ORM's lifetime themselves."""
    settings = settings or settings_module.load()

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        if not init_db:
            yield
            return
        async with RegisterTortoise(app, config=tortoise_config(settings.db_url)):
            yield

    view = GraphQLView(settings)
    return Starlette(
        routes=[Route("/graphql", view, methods=["GET", "POST"]), Route("/healthz", healthz)],
        middleware=[Middleware(AuthMiddleware, settings=settings)],
        lifespan=lifespan,
    )
