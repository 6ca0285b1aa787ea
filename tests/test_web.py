"""The built mobile web app at `/` (jinlin/web.py): files, the app's own routes, caching, and the API untouched."""

from __future__ import annotations

import hashlib
import json
import logging
import os
from pathlib import Path
from typing import Any

import httpx
import pytest

from app import create_app
from tests.conftest import make_settings

INDEX = "<!doctype html><title>近邻</title><div id=app></div>"


@pytest.fixture
def dist(tmp_path: Path) -> Path:
    (tmp_path / "assets").mkdir()
    (tmp_path / "index.html").write_text(INDEX, encoding="utf-8")
    (tmp_path / "assets" / "index-3f2a1b.js").write_text("console.log('近邻')", encoding="utf-8")
    return tmp_path


def _app(dist: Path) -> Any:
    """The app with the web app's build at `dist` (the API's database set up by the `database` fixture)."""
    return create_app(make_settings(web_dist=str(dist)), init_db=False)


def _client(app: object) -> httpx.AsyncClient:
    """A client that sends its requests straight into the app."""
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t")  # type: ignore[arg-type]


async def _get(app: object, path: str) -> httpx.Response:
    async with _client(app) as http:
        return await http.get(path)


async def test_the_app_is_served_at_the_root_and_on_its_own_routes(database: None, dist: Path) -> None:
    app = _app(dist)
    for path in ("/", "/orders/42", "/me"):
        answer = await _get(app, path)
        assert (answer.status_code, answer.text, answer.headers["cache-control"]) == (200, INDEX, "no-cache"), path
    asset = await _get(app, "/assets/index-3f2a1b.js")
    assert asset.status_code == 200 and asset.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert (await _get(app, "/assets/missing.js")).status_code == 404
    assert (await _get(app, "/favicon.ico")).status_code == 404


async def test_the_api_keeps_its_paths(database: None, dist: Path) -> None:
    app = _app(dist)
    assert (await _get(app, "/healthz")).json() == {"status": "ok"}
    async with _client(app) as http:
        answer = await http.post("/graphql", json={"query": "{ __typename }"})
    assert answer.json() == {"data": {"__typename": "Query"}}
    # A path under the API's own first segments that no API route takes is a 404, never the app's page.
    for path in ("/photos/..%2F..%2Fetc%2Fpasswd", "/photos/a/b", "/graphql/x", "/healthz/x", "/orders/..%2F..%2Fx"):
        assert (await _get(app, path)).status_code == 404, path


async def test_without_a_build_the_api_runs_alone_and_says_how_to_build(
        database: None, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="jinlin"):
        app = _app(tmp_path / "nothing")
    assert [r.getMessage() for r in caplog.records if "web app" in r.getMessage()] == [
        f"no web app build in {tmp_path / 'nothing'}: serving the API alone (build the app: cd web && npm ci && "
        "npm run build)"]
    assert (await _get(app, "/")).status_code == 404
    assert (await _get(app, "/healthz")).status_code == 200


KNOWN = "query Hello { __typename }"


def _hash_only(query: str) -> dict[str, str]:
    sha256 = hashlib.sha256(query.encode()).hexdigest()
    return {"extensions": json.dumps({"persistedQuery": {"version": 1, "sha256Hash": sha256}})}


async def test_the_apps_own_documents_are_known_from_the_start(database: None, dist: Path) -> None:
    """The build's manifest: the app's first query by hash is found at once, not a miss and a second round trip."""
    (dist / "persisted-documents.json").write_text(json.dumps({hashlib.sha256(KNOWN.encode()).hexdigest(): KNOWN}))
    app = _app(dist)
    async with _client(app) as http:
        known = await http.get("/graphql", params=_hash_only(KNOWN))
        other = await http.get("/graphql", params=_hash_only("query Other { __typename }"))
    assert known.json() == {"data": {"__typename": "Query"}}
    assert other.json()["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_FOUND"


async def test_a_manifest_that_does_not_check_out_is_ignored_with_a_warning(
        database: None, dist: Path, caplog: pytest.LogCaptureFixture) -> None:
    (dist / "persisted-documents.json").write_text(json.dumps({"0" * 64: KNOWN}))
    with caplog.at_level(logging.INFO, logger="jinlin"):
        app = _app(dist)
    assert [r.getMessage() for r in caplog.records if "manifest" in r.getMessage()] == [
        f"ignoring the web app's manifest: the persisted-query manifest {dist / 'persisted-documents.json'} has an "
        "entry whose id is not its SHA-256"]
    async with _client(app) as http:
        answer = await http.get("/graphql", params=_hash_only(KNOWN))
    assert answer.json()["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_FOUND"


# Pre-compressed copies (written by the build next to each file): stand-in bytes, so that what went out is plain to see.
ASSET = "assets/index-3f2a1b.js"
BR, GZ = b"br-copy-of-the-script", b"gz-copy-of-the-script"


@pytest.fixture
def precompressed(dist: Path) -> Path:
    (dist / f"{ASSET}.br").write_bytes(BR)
    (dist / f"{ASSET}.gz").write_bytes(GZ)
    (dist / "index.html.br").write_bytes(b"br-copy-of-index")
    return dist


async def _raw(app: object, path: str, headers: dict[str, str], method: str = "GET") -> tuple[httpx.Response, bytes]:
    """The answer and its body as sent (httpx would decode a Content-Encoding it knows)."""
    async with _client(app) as http:
        async with http.stream(method, path, headers=headers) as answer:
            return answer, b"".join([chunk async for chunk in answer.aiter_raw()])


@pytest.mark.parametrize(("accept", "coding", "body"), [
    ("gzip, deflate, br, zstd", "br", BR),
    ("br;q=1.0, gzip;q=0.8", "br", BR),
    ("gzip, deflate", "gzip", GZ),
    ("br;q=0, gzip", "gzip", GZ),
    ("*", "br", BR),
    ("br;q=0, *", "gzip", GZ),
    ("identity", None, "console.log('近邻')".encode()),
    ("", None, "console.log('近邻')".encode()),
])
async def test_a_precompressed_copy_goes_out_when_the_client_accepts_it(
        database: None, precompressed: Path, accept: str, coding: str | None, body: bytes) -> None:
    app = _app(precompressed)
    answer, raw = await _raw(app, f"/{ASSET}", {"Accept-Encoding": accept})
    assert answer.status_code == 200
    assert answer.headers.get("content-encoding") == coding
    assert raw == body and answer.headers["content-length"] == str(len(body))
    assert answer.headers["content-type"] == "text/javascript; charset=utf-8"
    assert answer.headers["vary"] == "Accept-Encoding"
    assert answer.headers["cache-control"] == "public, max-age=31536000, immutable"


async def test_the_apps_routes_get_the_precompressed_index_too(database: None, precompressed: Path) -> None:
    app = _app(precompressed)
    for path in ("/", "/orders/42"):
        answer, raw = await _raw(app, path, {"Accept-Encoding": "gzip, br"})
        assert (answer.status_code, raw, answer.headers["content-encoding"]) == (200, b"br-copy-of-index", "br"), path
        assert answer.headers["content-type"] == "text/html; charset=utf-8"
        assert answer.headers["cache-control"] == "no-cache"
    # No gzip copy of index.html: gzip clients get the file itself (the middleware compresses what is worth it).
    answer, raw = await _raw(app, "/", {"Accept-Encoding": "gzip"})
    assert (raw.decode(), answer.headers.get("content-encoding")) == (INDEX, None)
    assert answer.headers["vary"] == "Accept-Encoding"


async def test_each_copy_has_its_own_etag_and_revalidates(database: None, precompressed: Path) -> None:
    app = _app(precompressed)
    tags = {}
    for accept in ("br", "gzip", "identity"):
        answer, _ = await _raw(app, f"/{ASSET}", {"Accept-Encoding": accept})
        tags[accept] = answer.headers["etag"]
        again, raw = await _raw(app, f"/{ASSET}", {"Accept-Encoding": accept, "If-None-Match": tags[accept]})
        assert (again.status_code, raw) == (304, b""), accept
    assert len(set(tags.values())) == 3
    # A tag of another copy does not match: the full answer in the coding asked for.
    answer, raw = await _raw(app, f"/{ASSET}", {"Accept-Encoding": "br", "If-None-Match": tags["identity"]})
    assert (answer.status_code, raw) == (200, BR)
    index, _ = await _raw(app, "/me", {"Accept-Encoding": "br"})
    again, _ = await _raw(app, "/me", {"Accept-Encoding": "br", "If-None-Match": index.headers["etag"]})
    assert again.status_code == 304


async def test_head_and_ranges_work_on_a_precompressed_copy(database: None, precompressed: Path) -> None:
    app = _app(precompressed)
    answer, raw = await _raw(app, f"/{ASSET}", {"Accept-Encoding": "br"}, method="HEAD")
    assert (answer.status_code, raw, answer.headers["content-length"]) == (200, b"", str(len(BR)))
    assert answer.headers["content-encoding"] == "br"
    answer, raw = await _raw(app, f"/{ASSET}", {"Accept-Encoding": "br", "Range": "bytes=0-4"})
    assert (answer.status_code, raw, answer.headers["content-range"]) == (206, BR[:5], f"bytes 0-4/{len(BR)}")
    assert answer.headers["content-encoding"] == "br"


async def test_a_copy_older_than_its_file_is_not_sent(database: None, precompressed: Path) -> None:
    asset = precompressed / ASSET
    later = os.stat(asset).st_mtime + 60
    os.utime(asset, (later, later))  # the file changed after the copies were written
    app = _app(precompressed)
    answer, raw = await _raw(app, f"/{ASSET}", {"Accept-Encoding": "br, gzip"})
    assert (answer.status_code, answer.headers.get("content-encoding")) == (200, None)
    assert raw == "console.log('近邻')".encode()
