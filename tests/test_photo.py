"""Photo uploads (issue: orders and opinions take up to 6 photos), through the real ASGI app on SQLite and PostgreSQL.

Covered: the GraphQL multipart request spec (operations + map + files) on placeOrder and submitOpinion; JPEG, PNG and
WebP (VP8, VP8L, VP8X) recognised by their bytes with width and height from their headers, anything else (text named
.jpg, GIF, truncated headers, a plain JSON value for an Upload) INVALID on `photos.<index>` in zh-CN and English;
at most 6 photos (7: INVALID on `photos`), at most 5 MB each (exactly 5 MB passes, one byte more does not); a bad
photo creates no order, no opinion, no photo row and no file; files stored once per content under
`<dir>/<sha[:2]>/<sha>.<ext>`; signed URLs fetch the exact bytes with the right headers, and a tampered, missing
or expired signature is 403 (unknown files 404); a multipart POST without a Bearer header is refused before parsing
(400 CSRF), an anonymous or bad token gets UNAUTHENTICATED, and bodies over the limits are 413 (by Content-Length
and while streaming); photos are seen only by those who see the order (node() is null for the others) and are
loaded in one statement for a whole list; an Idempotency-Key retry of an upload with a new multipart boundary is
replayed, not run twice.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import struct
import time
import zlib
from collections.abc import AsyncIterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from jinlin import photos
from jinlin.body_limit import JSON_LIMIT, MULTIPART_LIMIT
from jinlin.settings import Settings
from models.compound import Compound as CompoundRow
from models.opinion import Opinion as OpinionRow
from models.order import Order as OrderRow
from models.photo import Photo as PhotoRow
from tests.conftest import Api, count_sql, gid, make_settings

COMMUNITY_ADMIN, MEMBER, PARTNER_ADMIN, RESIDENT = "13800000002", "13800000004", "13800000005", "13800000006"
GUANYUANLI = "观远里小区"
MB = 1024 * 1024

PHOTO_FIELDS = "photos { url width height contentType }"
PLACE = f"""
mutation($input: PlaceOrderInput!) {{
  placeOrder(input: $input) {{ order {{ id {PHOTO_FIELDS} }} errors {{ field code message }} }}
}}"""
SUBMIT = f"""
mutation($input: SubmitOpinionInput!) {{
  submitOpinion(input: $input) {{ opinion {{ id {PHOTO_FIELDS} }} errors {{ field code message }} }}
}}"""
NODE = f"""
query($id: ID!) {{ node(id: $id) {{ ... on Order {{ {PHOTO_FIELDS} }} ... on Opinion {{ {PHOTO_FIELDS} }} }} }}"""
MY_ORDERS = "query { orders(filter: {mine: true}, first: 50) { nodes { id photos { url width } } } }"


# --- images made by hand --------------------------------------------------------------------------------------------


def png(width: int = 3, height: int = 2, *, size: int | None = None) -> bytes:
    """A real (decodable) RGB PNG, padded after IEND to `size` bytes when given."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    rows = b"".join(b"\x00" + b"\xff\x80\x00" * width for _ in range(height))
    data = (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))
    return data if size is None else data + b"\x00" * (size - len(data))


def jpeg(width: int = 4, height: int = 3, *, sof: int = 0xC0) -> bytes:
    """JPEG headers as a camera writes them: JFIF, an Exif segment, a Huffman table (FFC4, not a frame), then the
    frame header (baseline C0 or progressive C2) and a scan."""
    def segment(marker: int, payload: bytes) -> bytes:
        return bytes([0xFF, marker]) + struct.pack(">H", len(payload) + 2) + payload

    return (b"\xff\xd8" + segment(0xE0, b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00")
            + segment(0xE1, b"Exif\x00\x00" + bytes(range(40)))
            + b"\xff\xff" + segment(0xC4, b"\x00" + bytes(16) + b"\x00")  # with a fill byte before it
            + segment(sof, struct.pack(">BHHB", 8, height, width, 3) + b"\x01\x22\x00\x02\x11\x01\x03\x11\x01")
            + segment(0xDA, b"\x03\x01\x00\x02\x11\x03\x11\x00\x3f\x00") + b"\x12\x34\x56" + b"\xff\xd9")


def webp(width: int = 5, height: int = 7, *, kind: str = "VP8L") -> bytes:
    """A WebP file's RIFF header and first chunk: lossy (VP8), lossless (VP8L) or extended (VP8X)."""
    if kind == "VP8L":
        payload = b"\x2f" + ((width - 1) | (height - 1) << 14).to_bytes(4, "little") + bytes(6)
    elif kind == "VP8X":
        payload = b"\x10\x00\x00\x00" + (width - 1).to_bytes(3, "little") + (height - 1).to_bytes(3, "little")
    else:
        payload = b"\x50\x02\x00\x9d\x01\x2a" + struct.pack("<HH", width, height) + bytes(8)
    chunk = kind.ljust(4).encode() + struct.pack("<I", len(payload)) + payload + b"\x00" * (len(payload) % 2)
    return b"RIFF" + struct.pack("<I", 4 + len(chunk)) + b"WEBP" + chunk


def test_inspect_reads_type_and_size_from_the_bytes() -> None:
    assert photos.inspect(png(640, 480)) == ("image/png", 640, 480)
    assert photos.inspect(jpeg(4032, 3024)) == ("image/jpeg", 4032, 3024)
    assert photos.inspect(jpeg(800, 600, sof=0xC2)) == ("image/jpeg", 800, 600)
    assert photos.inspect(webp(1080, 1920, kind="VP8 ")) == ("image/webp", 1080, 1920)
    assert photos.inspect(webp(16383, 2)) == ("image/webp", 16383, 2)
    assert photos.inspect(webp(20000, 10000, kind="VP8X")) == ("image/webp", 20000, 10000)
    refused = [b"", b"hello, this is text\n", b"GIF89a\x01\x00\x01\x00\x00\x00\x00;", b"\x89PNG\r\n\x1a\n",
               png()[:20], jpeg()[:40], b"\xff\xd8\xff\xd9", b"\xff\xd8\xff\xda\x00\x08" + bytes(6),
               jpeg(0, 3), png(0, 5), webp()[:22], webp(kind="VP8 ")[:27], b"RIFF\x00\x00\x00\x00WEBPVP9 " + bytes(20),
               b"RIFF\x00\x00\x00\x00WAVEfmt " + bytes(20), b"<svg xmlns='http://www.w3.org/2000/svg'/>"]
    for data in refused:
        assert photos.inspect(data) is None, data


# --- harness --------------------------------------------------------------------------------------------------------


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return make_settings(photo_dir=str(tmp_path / "photos"))


def stored_files(settings: Settings) -> list[Path]:
    """Every file in the photo directory (temporary ones included: none may be left behind)."""
    root = Path(settings.photo_dir)
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


async def counts() -> tuple[int, int, int]:
    """Orders, opinions and photo rows in the database."""
    return await OrderRow.all().count(), await OpinionRow.all().count(), await PhotoRow.all().count()


async def order_input(**extra: object) -> dict:
    """placeOrder's input for RESIDENT at 观远里 (without photos)."""
    compound = await CompoundRow.get(name=GUANYUANLI)
    return {"compoundId": gid("Compound", compound.id), "category": "REPAIR", "description": "卫生间漏水，见照片",
            **extra}


async def multipart(api: Api, query: str, input: dict, files: list[tuple[str, bytes, str]], *,
                    as_: str | None = RESIDENT, headers: dict[str, str] | None = None) -> httpx.Response:
    """POST a GraphQL multipart request (operations, map, then one part per file) as a phone's upload client does."""
    operations = {"query": query, "variables": {"input": {**input, "photos": [None] * len(files)}}}
    mapping = {str(i): [f"variables.input.photos.{i}"] for i in range(len(files))}
    sent = {**({"Authorization": f"Bearer {api.token(as_)}"} if as_ else {}), **(headers or {})}
    return await api.http.post("/graphql", data={"operations": json.dumps(operations), "map": json.dumps(mapping)},
                               files={str(i): f for i, f in enumerate(files)}, headers=sent)


async def payload(api: Api, query: str, input: dict, files: list[tuple[str, bytes, str]], **kwargs: object) -> dict:
    """The mutation's payload of an upload; a top-level error or another HTTP status fails the test."""
    response = await multipart(api, query, input, files, **kwargs)  # type: ignore[arg-type]
    assert response.status_code == 200, response.text
    body = response.json()
    assert "errors" not in body, body
    return next(iter(body["data"].values()))


# --- uploads --------------------------------------------------------------------------------------------------------


async def test_order_with_photos_and_their_urls(demo: Api, settings: Settings) -> None:
    images = [("IMG_0001.JPG", jpeg(4032, 3024), "image/jpeg"), ("screen.png", png(3, 2), "image/png"),
              # the client's name and type do not count: a WebP sent as "photo.jpg", image/jpeg
              ("photo.jpg", webp(1080, 1920, kind="VP8X"), "image/jpeg")]
    before = time.time()
    placed = await payload(demo, PLACE, await order_input(), images)
    assert placed["errors"] == []
    got = placed["order"]["photos"]
    assert [(p["width"], p["height"], p["contentType"]) for p in got] == [
        (4032, 3024, "image/jpeg"), (3, 2, "image/png"), (1080, 1920, "image/webp")]
    for photo, (_name, data, _type) in zip(got, images):
        parts = urlsplit(photo["url"])
        assert parts.scheme == "" and parts.netloc == "" and parts.path.startswith("/photos/")
        exp = int(parse_qs(parts.query)["exp"][0])
        assert before + settings.photo_url_ttl <= exp <= time.time() + settings.photo_url_ttl * 1.1 + 1
        response = await demo.http.get(photo["url"])
        assert response.status_code == 200
        assert response.content == data
        assert response.headers["content-type"] == photo["contentType"]
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["content-disposition"] == "inline"
        cache = response.headers["cache-control"]
        assert cache.startswith("private, max-age=") and 0 < int(cache.split("=")[1]) <= exp - int(before)
    # On disk under their content hash; the rows say who uploaded them and in which order.
    assert [p.name for p in stored_files(settings)] == sorted(
        f"{hashlib.sha256(d).hexdigest()}.{ext}" for (_n, d, _t), ext in zip(images, ["jpg", "png", "webp"]))
    rows = await PhotoRow.all().order_by("position")
    assert [(r.position, r.uploaded_by_id, r.size_bytes) for r in rows] == [
        (i, demo.users[RESIDENT], len(d)) for i, (_n, d, _t) in enumerate(images)]
    assert all(p.parent.name == p.name[:2] for p in stored_files(settings))
    # The community's staff see them on the order; a neighbour (a member living in the same compound) and a
    # partner unit's admin do not see the order at all.
    order_id = placed["order"]["id"]
    seen = (await demo.ok(NODE, {"id": order_id}, as_=COMMUNITY_ADMIN))["node"]["photos"]
    assert [(p["width"], p["contentType"]) for p in seen] == [(4032, "image/jpeg"), (3, "image/png"),
                                                              (1080, "image/webp")]
    for phone in (MEMBER, PARTNER_ADMIN):
        assert (await demo.ok(NODE, {"id": order_id}, as_=phone))["node"] is None
        assert order_id not in [n["id"] for n in (await demo.ok(MY_ORDERS, as_=phone))["orders"]["nodes"]]


async def test_opinion_with_photos(demo: Api) -> None:
    compound = gid("Compound", (await CompoundRow.get(name=GUANYUANLI)).id)
    submitted = await payload(demo, SUBMIT, {"text": "楼道灯坏了", "compoundId": compound},
                              [("a.png", png(10, 20), "image/png")])
    assert submitted["errors"] == [], submitted
    assert [(p["width"], p["height"]) for p in submitted["opinion"]["photos"]] == [(10, 20)]
    response = await demo.http.get(submitted["opinion"]["photos"][0]["url"])
    assert response.status_code == 200 and response.content == png(10, 20)
    # Staff recording a hotline call attach the photos themselves.
    recorded = await payload(demo, SUBMIT, {"text": "来电反映井盖松动", "compoundId": compound, "channel": "HOTLINE"},
                             [("b.webp", webp(), "image/webp")], as_=COMMUNITY_ADMIN)
    assert recorded["errors"] == [], recorded
    row = await PhotoRow.get(opinion_id=int((await OpinionRow.all().order_by("-id").first()).id))
    assert row.uploaded_by_id == demo.users[COMMUNITY_ADMIN] and row.order_id is None
    # Without photos nothing changes, and the list is empty.
    plain = await demo.ok(SUBMIT, {"input": {"text": "没有照片", "compoundId": compound}}, as_=RESIDENT)
    assert plain["submitOpinion"]["opinion"]["photos"] == []
    assert (await demo.ok(NODE, {"id": submitted["opinion"]["id"]}, as_=MEMBER))["node"] is None


async def test_bad_photos_are_invalid_and_leave_nothing(demo: Api, settings: Settings) -> None:
    start = await counts()
    text_as_jpeg = ("photo.jpg", b"this is not a picture, just text\n" * 10, "image/jpeg")
    cases = [
        ([("ok.png", png(), "image/png"), text_as_jpeg], [(["photos", "1"], "照片须为 JPEG、PNG 或 WebP 图片")]),
        ([("a.gif", b"GIF89a\x01\x00\x01\x00\x00\x00\x00;", "image/gif"), ("cut.jpg", jpeg()[:30], "image/jpeg"),
          ("ok.webp", webp(), "image/webp")],
         [(["photos", "0"], "照片须为 JPEG、PNG 或 WebP 图片"), (["photos", "1"], "照片须为 JPEG、PNG 或 WebP 图片")]),
        ([("big.png", png(size=5 * MB + 1), "image/png")], [(["photos", "0"], "每张照片不能超过 5 MB")]),
        ([(f"{i}.png", png(i + 1, 1), "image/png") for i in range(7)], [(["photos"], "最多上传 6 张照片")]),
    ]
    for files, expected in cases:
        body = await payload(demo, PLACE, await order_input(), files)
        assert body["order"] is None
        assert [(e["field"], e["code"], e["message"]) for e in body["errors"]] == [
            (field, "INVALID", text) for field, text in expected], body
    # Other mistakes of the input come back together with the photos'.
    body = await payload(demo, PLACE, await order_input(description=""), [text_as_jpeg])
    assert [e["field"] for e in body["errors"]] == [["description"], ["photos", "0"]]
    # English on request; an opinion is checked the same way.
    compound = gid("Compound", (await CompoundRow.get(name=GUANYUANLI)).id)
    body = await payload(demo, SUBMIT, {"text": "看图", "compoundId": compound},
                         [text_as_jpeg, ("big.webp", webp() + bytes(5 * MB), "image/webp")],
                         headers={"Accept-Language": "en"})
    assert [(e["field"], e["message"]) for e in body["errors"]] == [
        (["photos", "0"], "A photo must be a JPEG, PNG or WebP image"),
        (["photos", "1"], "Each photo may be at most 5 MB")]
    assert await counts() == start
    assert stored_files(settings) == []
    # An Upload given a plain JSON value (no multipart) is not a file.
    body = await demo.ok(PLACE, {"input": await order_input(photos=["/etc/passwd"])}, as_=RESIDENT, lang="en")
    assert [(e["field"], e["message"]) for e in body["placeOrder"]["errors"]] == [
        (["photos", "0"], "Must be an uploaded file (a multipart request)")]
    assert await counts() == start


async def test_five_megabytes_exactly_and_six_photos_pass(demo: Api, settings: Settings) -> None:
    files = [("max.png", png(2, 2, size=5 * MB), "image/png")] + [
        (f"{i}.jpg", jpeg(i + 1, 9), "image/jpeg") for i in range(5)]
    body = await payload(demo, PLACE, await order_input(), files)
    assert body["errors"] == []
    assert [p["width"] for p in body["order"]["photos"]] == [2, 1, 2, 3, 4, 5]
    assert sorted(p.stat().st_size for p in stored_files(settings)) == sorted(len(d) for _n, d, _t in files)
    response = await demo.http.get(body["order"]["photos"][0]["url"], headers={"Accept-Encoding": "gzip"})
    assert response.content == files[0][1]
    assert "content-encoding" not in response.headers  # images are not gzipped again


async def test_same_content_is_stored_once(demo: Api, settings: Settings) -> None:
    image = png(7, 7)
    first = await payload(demo, PLACE, await order_input(), [("a.png", image, "image/png")])
    second = await payload(demo, PLACE, await order_input(description="另一单，同一张照片"),
                           [("b.png", image, "image/png"), ("c.png", image, "image/png")])
    assert first["errors"] == second["errors"] == []
    assert len(stored_files(settings)) == 1
    names = {urlsplit(p["url"]).path for p in first["order"]["photos"] + second["order"]["photos"]}
    assert len(names) == 1
    assert await PhotoRow.all().count() == 3
    for photo in second["order"]["photos"]:
        assert (await demo.http.get(photo["url"])).content == image


async def test_a_failure_while_attaching_leaves_no_order(demo: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    from models import photo as photo_model
    from models.order import OrderEvent as EventRow

    async def broken(**_kwargs: object) -> None:
        raise RuntimeError("disk full, say")

    start, events = await counts(), await EventRow.all().count()
    monkeypatch.setattr(photo_model, "attach", broken)
    response = await multipart(demo, PLACE, await order_input(), [("a.png", png(), "image/png")])
    assert response.json()["errors"][0]["extensions"]["code"] == "INTERNAL"
    assert "disk full" not in response.text
    assert await counts() == start and await EventRow.all().count() == events  # the order was rolled back


# --- signed URLs ----------------------------------------------------------------------------------------------------


async def test_tampered_missing_or_expired_signatures_are_refused(demo: Api, settings: Settings) -> None:
    body = await payload(demo, PLACE, await order_input(), [("a.jpg", jpeg(), "image/jpeg")])
    good = body["order"]["photos"][0]["url"]
    parts = urlsplit(good)
    name = parts.path.rsplit("/", 1)[1]
    query = parse_qs(parts.query)
    exp, sig = int(query["exp"][0]), query["sig"][0]
    flipped = sig[:-1] + ("0" if sig[-1] != "0" else "1")
    other = png(1, 1)
    other_name = f"{hashlib.sha256(other).hexdigest()}.png"
    forbidden = [f"/photos/{name}?exp={exp}&sig={flipped}", f"/photos/{name}?exp={exp + 1}&sig={sig}",
                 f"/photos/{name}?exp={exp}", f"/photos/{name}", f"/photos/{name}?exp=-5&sig={sig}",
                 f"/photos/{name}?exp=１２３&sig={sig}", f"/photos/{name}?exp={exp}&sig={sig.upper()}",
                 f"/photos/{name[:-3]}png?exp={exp}&sig={sig}",  # another file's name under this signature
                 photos.url(settings, name, now=time.time() - settings.photo_url_ttl * 2),
                 photos.url(dataclasses.replace(settings, secret_key="x" * 40), name)]
    for url in forbidden:
        response = await demo.http.get(url)
        assert response.status_code == 403, url
        assert response.json()["errors"][0]["extensions"]["code"] == "FORBIDDEN"
        assert response.headers["cache-control"] == "no-store"
    expired = await demo.http.get(photos.url(settings, name, now=time.time() - settings.photo_url_ttl * 2),
                                  headers={"Accept-Language": "en"})
    assert expired.json()["errors"][0]["message"] == "The photo link has expired; reload to get a new one"
    # A well-signed URL of a file that is not there, and names that are no photo's, are 404.
    for url in (photos.url(settings, other_name), "/photos/..%2F..%2Fetc%2Fpasswd?exp=1&sig=0",
                f"/photos/{name}.exe?exp={exp}&sig={sig}"):
        assert (await demo.http.get(url)).status_code == 404, url
    assert (await demo.http.get(good)).status_code == 200
    head = await demo.http.head(good)
    assert head.status_code == 200 and head.headers["content-type"] == "image/jpeg"


# --- the door: CSRF, login, size --------------------------------------------------------------------------------


async def test_uploads_need_a_bearer_header(demo: Api, settings: Settings) -> None:
    start = await counts()
    files = [("a.png", png(), "image/png")]
    for headers in ({}, {"Authorization": "Basic dXNlcjpwYXNz"}, {"Authorization": "Bearer "}):
        response = await multipart(demo, PLACE, await order_input(), files, as_=None, headers=headers)
        assert response.status_code == 400, headers
        error = response.json()["errors"][0]
        assert error["extensions"]["code"] == "CSRF"
        assert "Authorization" in error["message"]
    english = await multipart(demo, PLACE, await order_input(), files, as_=None, headers={"Accept-Language": "en"})
    assert english.json()["errors"][0]["message"].startswith("Uploads need an Authorization: Bearer header")
    # A header with a bad token passes the door, but the schema refuses the anonymous caller.
    response = await multipart(demo, PLACE, await order_input(), files, as_=None,
                               headers={"Authorization": "Bearer not-a-token"})
    assert response.status_code == 200
    assert response.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert response.json()["data"] is None
    assert await counts() == start
    assert stored_files(settings) == []


async def test_bodies_over_the_limit_are_413(demo: Api, settings: Settings) -> None:
    start = await counts()
    token = {"Authorization": f"Bearer {demo.token(RESIDENT)}"}
    # JSON: by Content-Length, and while streaming (chunked, no Content-Length).
    big = json.dumps({"query": "{ viewer { id } }", "variables": {"pad": "x" * JSON_LIMIT}}).encode()
    response = await demo.http.post("/graphql", content=big, headers={**token, "Content-Type": "application/json"})
    assert response.status_code == 413
    assert response.json()["errors"][0]["extensions"]["code"] == "PAYLOAD_TOO_LARGE"

    async def chunks(data: bytes, size: int = 256 * 1024) -> AsyncIterator[bytes]:
        for i in range(0, len(data), size):
            yield data[i:i + size]

    response = await demo.http.post("/graphql", content=chunks(big),
                                    headers={**token, "Content-Type": "application/json", "Accept-Language": "en"})
    assert response.status_code == 413
    assert response.json()["errors"][0]["message"] == "The request body is too large (at most 1 MB)"
    # Just under the limit is not refused by the door.
    fits = json.dumps({"query": "{ viewer { displayName } }", "variables": {"pad": "x" * (JSON_LIMIT - 100)}})
    response = await demo.http.post("/graphql", content=fits.encode(),
                                    headers={**token, "Content-Type": "application/json"})
    assert response.status_code == 200, response.text
    # Multipart: a declared length over 31 MB, and a streamed body that grows past it (a 32 MB "photo").
    boundary = "jinlin-test-boundary"
    operations = {"query": PLACE, "variables": {"input": {**await order_input(), "photos": [None]}}}
    head = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"operations\"\r\n\r\n{json.dumps(operations)}\r\n"
            f"--{boundary}\r\nContent-Disposition: form-data; name=\"map\"\r\n\r\n"
            f"{json.dumps({'0': ['variables.input.photos.0']})}\r\n"
            f"--{boundary}\r\nContent-Disposition: form-data; name=\"0\"; filename=\"huge.png\"\r\n"
            f"Content-Type: image/png\r\n\r\n").encode()
    multipart_type = {"Content-Type": f"multipart/form-data; boundary={boundary}"}
    response = await demo.http.post("/graphql", content=b"x", headers={
        **token, **multipart_type, "Content-Length": str(MULTIPART_LIMIT + 1)})
    assert response.status_code == 413

    async def huge() -> AsyncIterator[bytes]:
        yield head + png()
        for _ in range(32):
            yield bytes(MB)
        yield f"\r\n--{boundary}--\r\n".encode()

    response = await demo.http.post("/graphql", content=huge(), headers={**token, **multipart_type})
    assert response.status_code == 413, response.text
    assert response.json()["errors"][0]["message"] == "请求体过大（上限 31 MB）"
    assert await counts() == start
    assert stored_files(settings) == []


async def test_photos_of_a_list_load_in_one_statement(demo: Api) -> None:
    async def statements() -> int:
        with count_sql() as sql:
            data = await demo.ok(MY_ORDERS, as_=RESIDENT)
        assert all(len(n["photos"]) in (0, 2) for n in data["orders"]["nodes"])
        return sql.count

    await payload(demo, PLACE, await order_input(),
                  [("a.png", png(1, 1), "image/png"), ("b.jpg", jpeg(), "image/jpeg")])
    one = await statements()
    for i in range(4):
        await payload(demo, PLACE, await order_input(description=f"第 {i} 单"),
                      [("a.png", png(i + 2, 1), "image/png"), ("b.webp", webp(), "image/webp")])
    assert await statements() == one


async def test_idempotent_upload_retry_with_a_new_boundary(demo: Api) -> None:
    start = await counts()
    input = await order_input()
    files = [("a.png", png(4, 4), "image/png")]
    answers = []
    for boundary in ("first-attempt-boundary", "second-attempt-boundary-xyz"):
        answers.append(await multipart(demo, PLACE, input, files, headers={
            "Idempotency-Key": "upload-1", "Content-Type": f"multipart/form-data; boundary={boundary}"}))
    assert [a.status_code for a in answers] == [200, 200]
    assert answers[1].headers.get("idempotent-replayed") == "true"
    assert answers[0].content == answers[1].content
    orders, opinions, rows = await counts()
    assert (orders, rows) == (start[0] + 1, start[2] + 1)
    # Other files under the same key are another request.
    other = await multipart(demo, PLACE, input, [("a.png", png(5, 4), "image/png")],
                            headers={"Idempotency-Key": "upload-1"})
    assert other.status_code == 422
