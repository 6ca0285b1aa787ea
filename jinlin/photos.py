"""Photo files: what an upload is (JPEG, PNG or WebP, judged by its bytes, never by its name or the client's content
type), where it is kept (`<photo_dir>/<sha[:2]>/<sha>.<ext>`, written whole under a temporary name and renamed, so
the same picture is stored once and never seen half-written), and signed, expiring URLs to fetch it back.

URLs are relative to the API's origin: `/photos/<sha>.<ext>?exp=<unix seconds>&sig=<hex>`, where `sig` is an
HMAC-SHA256 of `<sha>.<ext>:<exp>` under a key derived from the service's secret. Whoever holds the URL may fetch the
photo until `exp` (a capability, like a cloud bucket's signed URL); the API hands it out only to viewers who may see
the order or opinion. `exp` is rounded up to a tenth of the lifetime, so answers given within a few minutes carry the
same URL and the phone's image cache keeps working.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import os
import re
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response

from jinlin.settings import Settings
from models.photo import EXTENSIONS, PhotoFile
from schema.context import language_of
from schema.errors import message

MAX_BYTES = 5 * 1024 * 1024  # per photo
_CHUNK = 64 * 1024
_NAME = re.compile(r"^([0-9a-f]{64})\.(jpg|png|webp)$")
_CONTENT_TYPES = {ext: content_type for content_type, ext in EXTENSIONS.items()}
# JPEG start-of-frame markers carry the size: SOF0-3, 5-7, 9-11, 13-15 (C4 is DHT, C8 reserved, CC is DAC).
_JPEG_SOF = frozenset({0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF})
# Markers without a length: TEM, RST0-7 (and a stray SOI).
_JPEG_STANDALONE = frozenset({0x01, *range(0xD0, 0xD9)})


# --- what a file is -----------------------------------------------------------------------------------------------


def inspect(data: bytes) -> tuple[str, int, int] | None:
    """(content type, width, height) of a JPEG, PNG or WebP read from its headers; None for anything else, and for an
    image whose size cannot be read (a truncated or disguised file)."""
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        found = _png_size(data)
        kind = "image/png"
    elif data.startswith(b"\xff\xd8\xff"):
        found = _jpeg_size(data)
        kind = "image/jpeg"
    elif data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        found = _webp_size(data)
        kind = "image/webp"
    else:
        return None
    if found is None or found[0] < 1 or found[1] < 1:
        return None
    return kind, found[0], found[1]


def _png_size(data: bytes) -> tuple[int, int] | None:
    """PNG: the first chunk is IHDR, width and height big-endian."""
    if len(data) < 24 or data[12:16] != b"IHDR":
        return None
    return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")


def _jpeg_size(data: bytes) -> tuple[int, int] | None:
    """JPEG: walk the marker segments from SOI to the first start-of-frame (height, then width, big-endian)."""
    i, n = 2, len(data)
    while i < n:
        if data[i] != 0xFF:
            return None
        while i < n and data[i] == 0xFF:  # fill bytes
            i += 1
        if i >= n:
            return None
        marker = data[i]
        i += 1
        if marker in _JPEG_STANDALONE:
            continue
        if marker in (0xD9, 0xDA):  # end of image, or scan data before any frame header
            return None
        if i + 2 > n:
            return None
        length = int.from_bytes(data[i:i + 2], "big")
        if length < 2:
            return None
        if marker in _JPEG_SOF:
            if length < 7 or i + 7 > n:
                return None
            return int.from_bytes(data[i + 5:i + 7], "big"), int.from_bytes(data[i + 3:i + 5], "big")
        i += length
    return None


def _webp_size(data: bytes) -> tuple[int, int] | None:
    """WebP: the first chunk is VP8 (lossy key frame), VP8L (lossless) or VP8X (extended, the canvas size)."""
    chunk = data[12:16]
    if chunk == b"VP8 " and len(data) >= 30 and data[23:26] == b"\x9d\x01\x2a":
        return int.from_bytes(data[26:28], "little") & 0x3FFF, int.from_bytes(data[28:30], "little") & 0x3FFF
    if chunk == b"VP8L" and len(data) >= 25 and data[20] == 0x2F:
        bits = int.from_bytes(data[21:25], "little")
        return (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
    if chunk == b"VP8X" and len(data) >= 30:
        return int.from_bytes(data[24:27], "little") + 1, int.from_bytes(data[27:30], "little") + 1
    return None


@dataclass(frozen=True)
class Checked:
    """An upload found to be an image within the limit; its bytes are read again when it is stored."""

    upload: UploadFile
    file: PhotoFile


async def _read(upload: UploadFile, limit: int) -> bytes:
    """The upload's bytes from the start, at most `limit` of them."""
    await upload.seek(0)
    chunks, size = [], 0
    while size < limit:
        chunk = await upload.read(min(_CHUNK * 16, limit - size))
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
    return b"".join(chunks)


async def check(upload: object) -> Checked | str:
    """The upload as a photo, or the message key saying why it is not one (not a file, too large, not an image)."""
    if not isinstance(upload, UploadFile):
        return "photo_not_file"  # an Upload variable given a plain JSON value instead of a multipart file
    data = await _read(upload, MAX_BYTES + 1)
    if len(data) > MAX_BYTES:
        return "photo_too_large"
    found = inspect(data)
    if found is None:
        return "photo_type"
    content_type, width, height = found
    return Checked(upload=upload, file=PhotoFile(sha256=hashlib.sha256(data).hexdigest(), content_type=content_type,
                                                 width=width, height=height, size_bytes=len(data)))


# --- where files are kept -----------------------------------------------------------------------------------------


def path_of(settings: Settings, name: str) -> Path:
    """Where the file `<sha>.<ext>` lives: a subdirectory per first two hex digits keeps directories small."""
    return Path(settings.photo_dir) / name[:2] / name


async def store(settings: Settings, checked: Checked) -> PhotoFile:
    """Keep a checked photo on disk (once per content): written whole under a temporary name, flushed, renamed."""
    data = await _read(checked.upload, MAX_BYTES + 1)
    if hashlib.sha256(data).hexdigest() != checked.file.sha256:
        raise RuntimeError("an upload changed between its check and its storing")
    await asyncio.to_thread(_write, path_of(settings, checked.file.name), data)
    return checked.file


def _write(path: Path, data: bytes) -> None:
    """Atomically create `path` with `data` unless it exists (same name, same content: nothing to do)."""
    if path.exists():
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".upload-")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)  # a concurrent writer of the same content leaves the same bytes
    except BaseException:
        os.unlink(tmp)
        raise
    try:  # the new name itself must survive a crash once the row naming it has committed
        dir_fd = os.open(path.parent, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(dir_fd)
    except OSError:
        pass
    finally:
        os.close(dir_fd)


# --- signed URLs --------------------------------------------------------------------------------------------------


def _signature(settings: Settings, name: str, exp: int) -> str:
    """Hex HMAC-SHA256 of `<name>:<exp>` under a key of its own, derived from the secret (never the JWT key itself)."""
    key = hmac.new(settings.secret_key.encode(), b"jinlin photo urls", hashlib.sha256).digest()
    return hmac.new(key, f"{name}:{exp}".encode(), hashlib.sha256).hexdigest()


def url(settings: Settings, name: str, *, now: float | None = None) -> str:
    """A relative URL that serves the photo for at least `photo_url_ttl` seconds (and at most a tenth more)."""
    ttl = settings.photo_url_ttl
    step = max(ttl // 10, 1)
    exp = -(-(int(now if now is not None else time.time()) + ttl) // step) * step
    return f"/photos/{name}?exp={exp}&sig={_signature(settings, name, exp)}"


def _error(request: Request, status: int, code: str, key: str) -> Response:
    """A JSON error like the API's top-level ones, in the request's language."""
    lang = language_of(request.headers.get("accept-language", ""))
    return JSONResponse({"errors": [{"message": message(lang, key), "extensions": {"code": code}}]},
                        status_code=status, headers={"Cache-Control": "no-store"})


def endpoint(settings: Settings) -> Callable[[Request], Awaitable[Response]]:
    """`GET /photos/{name}`: the file, when the URL's signature is right and it has not expired (403 otherwise)."""

    async def serve(request: Request) -> Response:
        name = request.path_params["name"]
        exp_text, sig = request.query_params.get("exp", ""), request.query_params.get("sig", "")
        match = _NAME.match(name)
        if match is None:
            return _error(request, 404, "NOT_FOUND", "not_found")
        if not (exp_text.isascii() and exp_text.isdigit() and len(exp_text) <= 12) or not hmac.compare_digest(
                sig.encode(), _signature(settings, name, int(exp_text)).encode()):
            return _error(request, 403, "FORBIDDEN", "photo_link_invalid")
        remaining = int(exp_text) - int(time.time())
        if remaining <= 0:
            return _error(request, 403, "FORBIDDEN", "photo_link_expired")
        path = path_of(settings, name)
        if not path.is_file():
            return _error(request, 404, "NOT_FOUND", "not_found")
        return FileResponse(path, media_type=_CONTENT_TYPES[match.group(2)], headers={
            "Cache-Control": f"private, max-age={remaining}", "X-Content-Type-Options": "nosniff",
            "Content-Disposition": "inline"})

    return serve
