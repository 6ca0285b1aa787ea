"""The mobile web app (web/, built to web/dist) served by the API's own process at `/`: same origin as /graphql, so
phones need no CORS and cookies-free bearer tokens work as they are."""

from __future__ import annotations

import logging
import os
from collections.abc import Collection
from mimetypes import guess_type
from pathlib import Path

from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.responses import FileResponse, Response
from starlette.routing import BaseRoute, Mount
from starlette.staticfiles import NotModifiedResponse, PathLike, StaticFiles
from starlette.types import Scope

from jinlin.http_media import weighted
from jinlin.settings import SettingsError, load_manifest

log = logging.getLogger("jinlin")

# Where `npm run build` in web/ puts the app (JINLIN_WEB_DIST overrides it).
DEFAULT_DIST = Path(__file__).resolve().parent.parent / "web" / "dist"

# Vite names every asset by its content hash: such a file never changes under its name.
IMMUTABLE = "public, max-age=31536000, immutable"

# Every document the app sends, by SHA-256, written by its build (web/scripts/persisted-manifest.mjs).
MANIFEST = "persisted-documents.json"


def folder(dist: Path | str | None = None) -> Path:
    """Where the built app is: `dist` (JINLIN_WEB_DIST) when set, else the default."""
    return Path(dist) if dist else DEFAULT_DIST


# Pre-compressed copies the build writes next to a file (name.br, name.gz; the precompress plugin in
# web/vite.config.ts), best first. Brotli at its best is some 12% smaller than gzip on the app's scripts, and neither
# costs CPU per request.
ENCODINGS = (("br", ".br"), ("gzip", ".gz"))


def accepted_encodings(accept_encoding: str) -> set[str]:
    """The content codings an Accept-Encoding header allows (q > 0; `*` stands for any not named)."""
    named = dict(weighted(accept_encoding))
    ok = {name for name, q in named.items() if q > 0}
    if named.get("*", 0) > 0:
        ok |= {coding for coding, _ in ENCODINGS if coding not in named}
    return ok


class AppFiles(StaticFiles):
    """The built app: files as they are, and index.html for any other path without a file extension (the app's own
    routes, such as /orders/42, opened from a bookmark or a reload). A file with a pre-compressed copy goes out as
    that copy when the request's Accept-Encoding allows it: its own Content-Encoding, Content-Length and ETag, and
    Vary: Accept-Encoding either way; conditional requests, HEAD and ranges work on it as on any file."""

    def __init__(self, *, directory: Path, reserved: Collection[str] = ()) -> None:
        super().__init__(directory=directory, html=True)
        self.reserved = frozenset(reserved)

    def is_app_route(self, scope: Scope) -> bool:
        """Whether a path no file answers is one of the app's own routes: no file extension, no `..`, and not under
        a first segment the server keeps for itself (/photos/<bad name> stays a 404, not the app's page)."""
        segments = scope["path"].strip("/").split("/")
        return segments[0] not in self.reserved and ".." not in segments and "." not in segments[-1]

    async def get_response(self, path: str, scope: Scope) -> Response:
        try:
            response = await super().get_response(path, scope)
        except HTTPException as exc:
            if exc.status_code != 404 or not self.is_app_route(scope):
                raise
            response = await super().get_response("index.html", scope)
        if path.startswith("assets/") and response.status_code == 200:
            response.headers["Cache-Control"] = IMMUTABLE
        elif response.status_code == 200:
            response.headers["Cache-Control"] = "no-cache"  # index.html: always ask whether a new build is out
        return response

    def file_response(self, full_path: PathLike, stat_result: os.stat_result, scope: Scope,
                      status_code: int = 200) -> Response:
        """The file, or the pre-compressed copy of it the client accepts, chosen before the conditional request is
        judged: each copy has its own ETag (from its own size and time), so a tag matches only the bytes it names."""
        copies = []
        for coding, suffix in ENCODINGS:
            try:
                copy_stat = os.stat(f"{full_path}{suffix}")
            except OSError:
                continue
            if copy_stat.st_mtime >= stat_result.st_mtime:  # an older copy is stale: the file changed after the build
                copies.append((coding, f"{full_path}{suffix}", copy_stat))
        if not copies or status_code != 200:
            return super().file_response(full_path, stat_result, scope, status_code)
        request_headers = Headers(scope=scope)
        accepted = accepted_encodings(request_headers.get("accept-encoding", ""))
        coding, path, stat_of = next(((c, p, st) for c, p, st in copies if c in accepted),
                                     (None, full_path, stat_result))
        response = FileResponse(path, stat_result=stat_of, media_type=guess_type(str(full_path))[0] or "text/plain")
        response.headers["Vary"] = "Accept-Encoding"
        if coding:
            response.headers["Content-Encoding"] = coding
        if self.is_not_modified(response.headers, request_headers):
            return NotModifiedResponse(response.headers)
        return response


def app_documents(dist: Path | str | None = None) -> dict[str, str]:
    """The documents the built app sends (its build's persisted-documents.json, hash -> text), for the server to know
    from the start; none without a build, or with a manifest that does not check out (then one warning)."""
    path = folder(dist) / MANIFEST
    if not path.is_file():
        return {}
    try:
        return load_manifest(str(path))
    except SettingsError as exc:
        log.warning("ignoring the web app's manifest: %s", exc)
        return {}


def routes(dist: Path | str | None = None, *, reserved: Collection[str] = ()) -> list[BaseRoute]:
    """The app's route when it has been built, else none (and one log line saying how to build it). `reserved`: the
    first path segments of the server's own routes, which never fall back to the app's page."""
    built = folder(dist)
    if not (built / "index.html").is_file():
        # A warning, so that `jinlin serve` shows it: nothing configures the "jinlin" logger below that level.
        log.warning("no web app build in %s: serving the API alone (build the app: cd web && npm ci && npm run "
                    "build)", built)
        return []
    return [Mount("/", app=AppFiles(directory=built, reserved=reserved), name="web")]
