"""The built mobile web app at `/` (jinlin/web.py): files, the app's own routes, caching, and the API untouched."""

from __future__ import annotations

import logging
from pathlib import Path

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


async def _get(app: object, path: str) -> httpx.Response:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as http:  # type: ignore
        return await http.get(path)


async def test_the_app_is_served_at_the_root_and_on_its_own_routes(database: None, dist: Path) -> None:
    app = create_app(make_settings(web_dist=str(dist)), init_db=False)
    for path in ("/", "/orders/42", "/me"):
        answer = await _get(app, path)
        assert (answer.status_code, answer.text, answer.headers["cache-control"]) == (200, INDEX, "no-cache"), path
    asset = await _get(app, "/assets/index-3f2a1b.js")
    assert asset.status_code == 200 and asset.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert (await _get(app, "/assets/missing.js")).status_code == 404
    assert (await _get(app, "/favicon.ico")).status_code == 404


async def test_the_api_keeps_its_paths(database: None, dist: Path) -> None:
    app = create_app(make_settings(web_dist=str(dist)), init_db=False)
    assert (await _get(app, "/healthz")).json() == {"status": "ok"}
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as http:
        answer = await http.post("/graphql", json={"query": "{ __typename }"})
    assert answer.json() == {"data": {"__typename": "Query"}}


async def test_without_a_build_the_api_runs_alone_and_says_how_to_build(
        database: None, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="jinlin"):
        app = create_app(make_settings(web_dist=str(tmp_path / "nothing")), init_db=False)
    assert [r.getMessage() for r in caplog.records if "web app" in r.getMessage()] == [
        f"no web app build in {tmp_path / 'nothing'}: serving the API alone (build the app: cd web && npm ci && "
        "npm run build)"]
    assert (await _get(app, "/")).status_code == 404
    assert (await _get(app, "/healthz")).status_code == 200
