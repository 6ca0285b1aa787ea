"""The mobile web app (web/, built to web/dist) served by the API's own process at `/`: same origin as /graphql, so
phones need no CORS and cookies-free bearer tokens work as they are."""

from __future__ import annotations

import logging
from pathlib import Path

from starlette.exceptions import HTTPException
from starlette.responses import Response
from starlette.routing import BaseRoute, Mount
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

log = logging.getLogger("jinlin")

# Where `npm run build` in web/ puts the app (JINLIN_WEB_DIST overrides it).
DEFAULT_DIST = Path(__file__).resolve().parent.parent / "web" / "dist"

# Vite names every asset by its content hash: such a file never changes under its name.
IMMUTABLE = "public, max-age=31536000, immutable"


class AppFiles(StaticFiles):
    """The built app: files as they are, and index.html for any other path without a file extension (the app's own
    routes, such as /orders/42, opened from a bookmark or a reload)."""

    async def get_response(self, path: str, scope: Scope) -> Response:
        try:
            response = await super().get_response(path, scope)
        except HTTPException as exc:
            if exc.status_code != 404 or "." in path.rsplit("/", 1)[-1]:
                raise
            response = await super().get_response("index.html", scope)
        if path.startswith("assets/") and response.status_code == 200:
            response.headers["Cache-Control"] = IMMUTABLE
        elif response.status_code == 200:
            response.headers["Cache-Control"] = "no-cache"  # index.html: always ask whether a new build is out
        return response


def routes(dist: Path | str | None = None) -> list[BaseRoute]:
    """The app's route when it has been built, else none (and one log line saying how to build it)."""
    folder = Path(dist) if dist else DEFAULT_DIST
    if not (folder / "index.html").is_file():
        # A warning, so that `jinlin serve` shows it: nothing configures the "jinlin" logger below that level.
        log.warning("no web app build in %s: serving the API alone (build the app: cd web && npm ci && npm run "
                    "build)", folder)
        return []
    return [Mount("/", app=AppFiles(directory=folder, html=True), name="web")]
