"""Idempotency-Key on POST /graphql (issue: a phone on a flaky network retries a mutation without repeating it).

Covered, through the real ASGI app on SQLite and PostgreSQL: a retry with the same key replays the first answer
byte for byte with `Idempotent-Replayed: true` and no second side effect (claims, orders, their events and
notifications), even after the state changed meanwhile and whatever the JSON key order, spacing or Accept-Language;
8 concurrent identical claimProject / placeOrder requests with one key execute once (7 replays of the same body),
also when all 8 have tried to claim the key before the first runs (so that 7 wait for its answer);
different keys are separate requests; the key with another operation, variables, document or persisted-query
extension is refused (422 IDEMPOTENCY_KEY_REUSED, zh-CN and English), also when racing the first; keys are per
user; key validation (1-200 printable characters, else 400 INVALID); anonymous callers (login) and GET are never
keyed; a keyed query works; a first answer other than HTTP 200 gives the key back; keys expire after 24 h and an
unanswered claim after 2 minutes (rows backdated); a retry waits for a running first request and replays it, or
gets 409 CONFLICT after the wait (middleware built with a short wait around a tiny ASGI app, which also shows that
errors and exceptions release the key); Apollo's automatic persisted queries (a hash-only first try answered
PERSISTED_QUERY_NOT_FOUND, the retry with the document, later hash-only retries) with one key.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from typing import Any

import httpx
import pytest

from jinlin.idempotency import Idempotency, _request_hash
from models import idempotency as idempotency_model
from models.compound import Compound as CompoundRow
from models.idempotency import ABANDONED_AFTER, KEY_TTL, IdempotencyKey
from models.notification import Notification as NotificationRow
from models.order import Order as OrderRow
from models.order import OrderAction
from models.order import OrderEvent as EventRow
from models.project import Claim as ClaimRow
from models.project import Project as ProjectRow
from tests.conftest import Api, gid, project_gid

MEMBER, RESIDENT = "13800000004", "13800000006"  # a party member of 观远里 (living there too), a resident
GARBAGE, PATROL = "三红垃圾分类督导", "黄昏行平安巡查"  # demo projects of 观远里's branch, open to members
GUANYUANLI = "观远里小区"

CLAIM = """
mutation Claim($input: ClaimProjectInput!) {
  claimProject(input: $input) { claim { id status } project { title claimedCount } errors { code } }
}"""
WITHDRAW = """
mutation($input: WithdrawClaimInput!) { withdrawClaim(input: $input) { claim { status } errors { code } } }"""
PLACE = """
mutation Place($input: PlaceOrderInput!) {
  placeOrder(input: $input) { order { id status description } errors { code } }
}"""
VIEWER = "query Viewer { viewer { displayName } }"
LOGIN = """
mutation($input: LoginInput!) { login(input: $input) { accessToken errors { code } } }"""

REUSED_ZH = {"errors": [{"message": "该 Idempotency-Key 已用于另一个请求", "extensions": {"code": "IDEMPOTENCY_KEY_REUSED"}}]}
REUSED_EN = {"errors": [{"message": "This Idempotency-Key was used for another request",
                         "extensions": {"code": "IDEMPOTENCY_KEY_REUSED"}}]}
INVALID_ZH = {"errors": [{"message": "Idempotency-Key 须为 1–200 个可打印字符", "extensions": {"code": "INVALID"}}]}
INVALID_EN = {"errors": [{"message": "Idempotency-Key must be 1 to 200 printable characters",
                          "extensions": {"code": "INVALID"}}]}
PENDING_ZH = {"errors": [{"message": "相同的请求仍在处理中，请稍后重试", "extensions": {"code": "CONFLICT"}}]}
PENDING_EN = {"errors": [{"message": "The same request is still being processed; retry shortly",
                          "extensions": {"code": "CONFLICT"}}]}


# --- helpers ------------------------------------------------------------------------------------------------------


async def send(demo: Api, body: dict | bytes, *, as_: str | None, key: str | None,
               lang: str | None = None) -> httpx.Response:
    """POST a GraphQL body (a dict as JSON, bytes as they are) with an Idempotency-Key, as a phone would."""
    headers = {"Content-Type": "application/json"}
    if as_ is not None:
        headers["Authorization"] = f"Bearer {demo.token(as_)}"
    if key is not None:
        headers["Idempotency-Key"] = key.encode("latin-1")  # type: ignore[assignment]
    if lang is not None:
        headers["Accept-Language"] = lang
    content = body if isinstance(body, bytes) else json.dumps(body, ensure_ascii=False).encode()
    return await demo.http.post("/graphql", content=content, headers=headers)


def replayed(response: httpx.Response) -> bool:
    return response.headers.get("idempotent-replayed") == "true"


async def claim_body(title: str = GARBAGE) -> dict[str, Any]:
    return {"query": CLAIM, "operationName": "Claim", "variables": {"input": {"projectId": await project_gid(title)}}}


async def order_body(description: str = "卫生间下水道堵塞") -> dict[str, Any]:
    compound = gid("Compound", (await CompoundRow.get(name=GUANYUANLI)).id)
    return {"query": PLACE, "operationName": "Place",
            "variables": {"input": {"compoundId": compound, "category": "REPAIR", "description": description}}}


async def claims_on(title: str) -> int:
    return await ClaimRow.filter(project__title=title).count()


async def claim_notifications() -> int:
    """Notifications of new claims (the branch's admin hears of each claim on its projects)."""
    return await NotificationRow.filter(kind="CLAIM_CREATED").count()


async def placed_events() -> int:
    return await EventRow.filter(action=OrderAction.PLACED).count()


async def keys() -> list[tuple[int, str, int | None, bool]]:
    """The key table: (user, key, stored status, has an answer), in key order."""
    return [(row.user_id, row.key, row.status_code, row.response is not None)
            for row in await IdempotencyKey.all().order_by("user_id", "key")]


async def backdate(key: str, age: timedelta) -> None:
    await IdempotencyKey.filter(key=key).update(created_at=datetime.now(timezone.utc) - age)


async def pending(user_id: int, key: str, body: dict | bytes, *, age: timedelta = timedelta(0)) -> None:
    """An unanswered claim of a key, as a first request still running (or a dead worker's) leaves it."""
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    await IdempotencyKey.create(user_id=user_id, key=key, request_hash=_request_hash(raw),
                                created_at=datetime.now(timezone.utc) - age)


@contextmanager
def all_claimed_first(parties: int) -> Iterator[list[bool]]:
    """Hold every request after its first attempt at claiming the key until `parties` have made one, so that the
    losers find the winner's claim unanswered and must wait for it; yields whether each attempt won. 0: no holding."""
    won: list[bool] = []
    if not parties:
        yield won
        return
    barrier, real = asyncio.Barrier(parties), idempotency_model.claim

    async def claim(**kwargs: Any) -> idempotency_model.Claim:
        result = await real(**kwargs)
        if len(won) < parties:
            won.append(result.mine)
            await asyncio.wait_for(barrier.wait(), 20)
        return result

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(idempotency_model, "claim", claim)
        yield won


# --- replays ------------------------------------------------------------------------------------------------------


async def test_a_retried_claim_replays_the_first_answer_and_claims_once(demo: Api) -> None:
    body = await claim_body()
    first = await send(demo, body, as_=MEMBER, key="claim-1")
    assert first.status_code == 200 and not replayed(first)
    payload = first.json()["data"]["claimProject"]
    assert (payload["claim"]["status"], payload["project"]["claimedCount"], payload["errors"]) == ("ACTIVE", 1, [])
    assert await keys() == [(demo.users[MEMBER], "claim-1", 200, True)]
    # Withdrawn meanwhile: the retry still gets the first answer (nothing runs again, not even a refusal).
    withdrawn = await demo.ok(WITHDRAW, {"input": {"claimId": payload["claim"]["id"]}}, as_=MEMBER)
    assert withdrawn["withdrawClaim"]["errors"] == []
    retry = await send(demo, body, as_=MEMBER, key="claim-1")
    assert (retry.status_code, retry.content) == (200, first.content)
    assert replayed(retry) and retry.headers["content-type"] == "application/json"
    assert int(retry.headers["content-length"]) == len(first.content)
    # The same request written differently (key order, spacing, \u escapes) in English is still the same request.
    reordered = json.dumps({"variables": body["variables"], "operationName": "Claim", "query": body["query"]},
                           indent=2, ensure_ascii=True).encode()
    again = await send(demo, reordered, as_=MEMBER, key="claim-1", lang="en")
    assert (again.status_code, again.content, replayed(again)) == (200, first.content, True)
    assert await claims_on(GARBAGE) == 1 and await claim_notifications() == 1
    # Without the key the very same request runs (and claims again, the first claim being withdrawn).
    unkeyed = await send(demo, body, as_=MEMBER, key=None)
    assert not replayed(unkeyed) and unkeyed.json()["data"]["claimProject"]["errors"] == []
    assert await claims_on(GARBAGE) == 2 and len(await keys()) == 1


@pytest.mark.parametrize("forced", [False, True], ids=["free", "all-claim-first"])
async def test_concurrent_claims_with_one_key_claim_once(demo: Api, forced: bool) -> None:
    body = await claim_body()
    with all_claimed_first(8 if forced else 0) as won:
        responses = await asyncio.gather(*(send(demo, body, as_=MEMBER, key="tap-tap-tap") for _ in range(8)))
    assert sorted(won) == ([False] * 7 + [True] if forced else [])
    assert [r.status_code for r in responses] == [200] * 8
    assert len({r.content for r in responses}) == 1, [r.text for r in responses]
    assert sorted(replayed(r) for r in responses) == [False] + [True] * 7
    payload = responses[0].json()["data"]["claimProject"]
    assert (payload["claim"]["status"], payload["project"]["claimedCount"], payload["errors"]) == ("ACTIVE", 1, [])
    assert await claims_on(GARBAGE) == 1 and await claim_notifications() == 1
    project = await ProjectRow.get(title=GARBAGE)
    assert project.claimed_count == 1
    assert await keys() == [(demo.users[MEMBER], "tap-tap-tap", 200, True)]


@pytest.mark.parametrize("forced", [False, True], ids=["free", "all-claim-first"])
async def test_concurrent_orders_with_one_key_place_one_order(demo: Api, forced: bool) -> None:
    orders, events = await OrderRow.all().count(), await placed_events()
    body = await order_body()
    with all_claimed_first(8 if forced else 0) as won:
        responses = await asyncio.gather(*(send(demo, body, as_=RESIDENT, key="order-7f3a") for _ in range(8)))
    assert sorted(won) == ([False] * 7 + [True] if forced else [])
    assert [r.status_code for r in responses] == [200] * 8
    assert len({r.content for r in responses}) == 1, [r.text for r in responses]
    assert sorted(replayed(r) for r in responses) == [False] + [True] * 7
    placed = responses[0].json()["data"]["placeOrder"]
    assert (placed["order"]["status"], placed["order"]["description"], placed["errors"]) == (
        "SUBMITTED", "卫生间下水道堵塞", [])
    assert await OrderRow.all().count() == orders + 1
    assert await placed_events() == events + 1
    new = await OrderRow.filter(description="卫生间下水道堵塞")
    assert [(row.resident_id, gid("Order", row.id)) for row in new] == [(demo.users[RESIDENT], placed["order"]["id"])]
    assert await EventRow.filter(order_id=new[0].id).count() == 1


async def test_different_keys_are_different_requests(demo: Api) -> None:
    orders, events = await OrderRow.all().count(), await placed_events()
    body = await order_body()
    responses = await asyncio.gather(*(send(demo, body, as_=RESIDENT, key=f"order-{i}") for i in range(8)))
    assert [(r.status_code, replayed(r)) for r in responses] == [(200, False)] * 8
    ids = {r.json()["data"]["placeOrder"]["order"]["id"] for r in responses}
    assert len(ids) == 8
    assert (await OrderRow.all().count(), await placed_events()) == (orders + 8, events + 8)
    # Claims: each key runs; the claim itself allows one, the others are refused by the claim rules, not replayed.
    claim = await claim_body()
    responses = await asyncio.gather(*(send(demo, claim, as_=MEMBER, key=f"claim-{i}") for i in range(8)))
    assert [(r.status_code, replayed(r)) for r in responses] == [(200, False)] * 8
    codes = sorted(" ".join(e["code"] for e in r.json()["data"]["claimProject"]["errors"]) or "OK" for r in responses)
    assert codes == ["ALREADY_CLAIMED"] * 7 + ["OK"]
    assert await claims_on(GARBAGE) == 1
    assert len(await keys()) == 16


async def test_keys_are_per_user(demo: Api) -> None:
    """The party member lives in 观远里 too: the same key and the same request from two people are two orders."""
    orders = await OrderRow.all().count()
    body = await order_body()
    resident, member = await asyncio.gather(send(demo, body, as_=RESIDENT, key="k"),
                                            send(demo, body, as_=MEMBER, key="k"))
    assert (resident.status_code, member.status_code, replayed(resident), replayed(member)) == (200, 200, False, False)
    assert resident.content != member.content  # two orders, two ids
    assert await OrderRow.all().count() == orders + 2
    for phone, first in ((RESIDENT, resident), (MEMBER, member)):
        retry = await send(demo, body, as_=phone, key="k")
        assert (retry.content, replayed(retry)) == (first.content, True)
    # Another request under the key is refused for one user only.
    other = await order_body("门锁坏了")
    assert (await send(demo, other, as_=RESIDENT, key="k")).json() == REUSED_ZH
    assert sorted(await keys()) == sorted([(demo.users[phone], "k", 200, True) for phone in (RESIDENT, MEMBER)])
    assert await OrderRow.all().count() == orders + 2


# --- reuse --------------------------------------------------------------------------------------------------------


async def test_the_key_with_another_request_is_refused(demo: Api) -> None:
    body = await claim_body()
    first = await send(demo, body, as_=MEMBER, key="k-1")
    assert first.json()["data"]["claimProject"]["errors"] == []
    patrol = await claim_body(PATROL)
    persisted = {**body, "extensions": {"persistedQuery": {
        "version": 1, "sha256Hash": hashlib.sha256(CLAIM.encode()).hexdigest()}}}
    others = [
        patrol,  # other variables
        {**body, "variables": {"input": {**body["variables"]["input"], "onBehalfOfOrgId": None}}},
        {**body, "operationName": None},  # another operation name
        {**body, "query": CLAIM.replace("errors { code }", "errors { code field }")},  # another document
        persisted,  # the persisted-query extension counts too
    ]
    for other in others:
        refused = await send(demo, other, as_=MEMBER, key="k-1")
        assert (refused.status_code, refused.json(), replayed(refused)) == (422, REUSED_ZH, False), other
        assert refused.headers["content-type"] == "application/json"
    english = await send(demo, patrol, as_=MEMBER, key="k-1", lang="en-US,en;q=0.9,zh;q=0.5")
    assert (english.status_code, english.json()) == (422, REUSED_EN)
    assert await claims_on(PATROL) == 0 and await claims_on(GARBAGE) == 1
    # The first request under the key is still replayed.
    retry = await send(demo, body, as_=MEMBER, key="k-1")
    assert (retry.content, replayed(retry)) == (first.content, True)
    assert await keys() == [(demo.users[MEMBER], "k-1", 200, True)]


async def test_two_different_requests_racing_for_one_key(demo: Api) -> None:
    orders = await OrderRow.all().count()
    for attempt in range(3):
        first, second = await order_body(f"门锁坏了 {attempt}"), await order_body(f"灯不亮 {attempt}")
        responses = await asyncio.gather(send(demo, first, as_=RESIDENT, key=f"race-{attempt}"),
                                         send(demo, second, as_=RESIDENT, key=f"race-{attempt}"))
        assert sorted(r.status_code for r in responses) == [200, 422], [r.text for r in responses]
        winner = next(r for r in responses if r.status_code == 200)
        assert not replayed(winner) and winner.json()["data"]["placeOrder"]["errors"] == []
        assert next(r for r in responses if r.status_code == 422).json() == REUSED_ZH
    assert await OrderRow.all().count() == orders + 3


# --- what is keyed ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("key", ["", "x" * 201, "tab\there", "nul\x00", "bell\x07"])
async def test_invalid_keys_are_refused_before_anything_runs(demo: Api, key: str) -> None:
    body = await claim_body()
    refused = await send(demo, body, as_=MEMBER, key=key)
    assert (refused.status_code, refused.json()) == (400, INVALID_ZH)
    english = await send(demo, body, as_=MEMBER, key=key, lang="en")
    assert (english.status_code, english.json()) == (400, INVALID_EN)
    assert await claims_on(GARBAGE) == 0 and await keys() == []


@pytest.mark.parametrize("key", ["k", "x" * 200, "café-commande 1/2",
                                 "550e8400-e29b-41d4-a716-446655440000", "~!@#$%^&*()_+{}|:<> ?`-=[]\\;',./"])
async def test_valid_keys(demo: Api, key: str) -> None:
    """1 to 200 printable characters (a header's bytes read as Latin-1, as Starlette reads them)."""
    body = await claim_body()
    first = await send(demo, body, as_=MEMBER, key=key)
    assert first.status_code == 200 and first.json()["data"]["claimProject"]["errors"] == []
    retry = await send(demo, body, as_=MEMBER, key=key)
    assert (retry.content, replayed(retry)) == (first.content, True)
    assert await claims_on(GARBAGE) == 1
    assert await keys() == [(demo.users[MEMBER], key, 200, True)]


async def test_anonymous_requests_are_not_keyed(demo: Api) -> None:
    login = {"query": LOGIN, "variables": {"input": {"phone": RESIDENT, "password": "jinlin-demo"}}}
    answers = [await send(demo, login, as_=None, key=key) for key in ("login-1", "login-1", "")]
    for answer in answers:
        assert answer.status_code == 200 and not replayed(answer)
        assert answer.json()["data"]["login"]["errors"] == [] and answer.json()["data"]["login"]["accessToken"]
    # An anonymous mutation is refused by the schema as usual, not by the key.
    anonymous = await send(demo, await claim_body(), as_=None, key="login-1")
    assert anonymous.status_code == 200 and anonymous.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    # A bad token is no user either.
    stale = await demo.http.post("/graphql", json=await claim_body(),
                                 headers={"Authorization": "Bearer not-a-token", "Idempotency-Key": "login-1"})
    assert stale.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED" and not replayed(stale)
    assert await keys() == []


async def test_queries_with_a_key_are_fine(demo: Api) -> None:
    body = {"query": VIEWER, "operationName": "Viewer"}
    first = await send(demo, body, as_=MEMBER, key="q-1")
    assert (first.status_code, first.json()) == (200, {"data": {"viewer": {"displayName": "陈党员"}}})
    retry = await send(demo, body, as_=MEMBER, key="q-1")
    assert (retry.content, replayed(retry)) == (first.content, True)
    # A persisted query over GET is never keyed (only POST is).
    sha = hashlib.sha256(VIEWER.encode()).hexdigest()
    extensions = json.dumps({"persistedQuery": {"version": 1, "sha256Hash": sha}})
    registered = await send(demo, {**body, "extensions": json.loads(extensions)}, as_=MEMBER, key=None)
    assert registered.json() == first.json()
    for _ in range(2):
        got = await demo.http.get("/graphql", params={"extensions": extensions}, headers={
            "Authorization": f"Bearer {demo.token(MEMBER)}", "Idempotency-Key": "q-get"})
        assert (got.status_code, got.json(), replayed(got)) == (200, first.json(), False)
    assert await keys() == [(demo.users[MEMBER], "q-1", 200, True)]


# --- giving keys back ---------------------------------------------------------------------------------------------


async def test_a_first_request_that_failed_gives_the_key_back(demo: Api) -> None:
    body = await claim_body()
    broken = json.dumps(body).encode()[:-5]  # cut off: strawberry answers 400
    for bad in (broken, {**body, "extensions": {"persistedQuery": {"version": 1, "sha256Hash": "0" * 64}}}):
        failed = await send(demo, bad, as_=MEMBER, key="k")
        assert failed.status_code == 400 and not replayed(failed), failed.text
        assert await keys() == []
    # The retry, corrected, runs (it is not refused as another request under the key).
    ok = await send(demo, body, as_=MEMBER, key="k")
    assert (ok.status_code, replayed(ok)) == (200, False) and ok.json()["data"]["claimProject"]["errors"] == []
    assert await claims_on(GARBAGE) == 1 and await keys() == [(demo.users[MEMBER], "k", 200, True)]


async def test_malformed_extensions_with_a_key_are_strawberrys_to_refuse(demo: Api) -> None:
    body = await claim_body()
    for extensions in ("x", [1], 7):
        unkeyed = await send(demo, {**body, "extensions": extensions}, as_=MEMBER, key=None)
        keyed = await send(demo, {**body, "extensions": extensions}, as_=MEMBER, key=f"ext-{extensions}")
        assert keyed.status_code == unkeyed.status_code != 500, (extensions, keyed.text)


async def test_keys_expire_after_24_hours(demo: Api) -> None:
    orders = await OrderRow.all().count()
    body = await order_body()
    first = await send(demo, body, as_=RESIDENT, key="daily")
    await backdate("daily", KEY_TTL - timedelta(minutes=1))
    retry = await send(demo, body, as_=RESIDENT, key="daily")
    assert (retry.content, replayed(retry)) == (first.content, True)
    assert (await send(demo, await order_body("门锁坏了"), as_=RESIDENT, key="daily")).status_code == 422
    assert await OrderRow.all().count() == orders + 1
    # A day later the key is new: the same request runs again, and so would another.
    await backdate("daily", KEY_TTL + timedelta(seconds=1))
    again = await send(demo, body, as_=RESIDENT, key="daily")
    assert (again.status_code, replayed(again)) == (200, False) and again.content != first.content
    assert await OrderRow.all().count() == orders + 2
    row = await IdempotencyKey.get(key="daily")
    assert datetime.now(timezone.utc) - row.created_at < timedelta(minutes=1)
    assert row.response == again.text
    await backdate("daily", KEY_TTL + timedelta(hours=5))
    other = await send(demo, await order_body("门锁坏了"), as_=RESIDENT, key="daily")
    assert other.status_code == 200 and other.json()["data"]["placeOrder"]["errors"] == []
    assert await OrderRow.all().count() == orders + 3 and len(await keys()) == 1


async def test_an_abandoned_claim_is_taken_over(demo: Api) -> None:
    body = await claim_body()
    # A worker died two minutes into the same request, and another into a different one: both keys are free.
    await pending(demo.users[MEMBER], "same", body, age=ABANDONED_AFTER + timedelta(seconds=1))
    await pending(demo.users[MEMBER], "other", {"query": "mutation { x }"}, age=ABANDONED_AFTER + timedelta(seconds=1))
    same = await send(demo, body, as_=MEMBER, key="same")
    assert (same.status_code, replayed(same)) == (200, False) and same.json()["data"]["claimProject"]["errors"] == []
    other = await send(demo, await claim_body(PATROL), as_=MEMBER, key="other")
    assert (other.status_code, replayed(other)) == (200, False)
    assert other.json()["data"]["claimProject"]["errors"] == []
    assert await keys() == [(demo.users[MEMBER], "other", 200, True), (demo.users[MEMBER], "same", 200, True)]
    # An unanswered claim younger than that, of another request: refused at once (no waiting for it).
    await pending(demo.users[MEMBER], "young", {"query": "mutation { x }"}, age=ABANDONED_AFTER - timedelta(seconds=5))
    assert (await send(demo, body, as_=MEMBER, key="young")).json() == REUSED_ZH


async def test_a_retry_waits_for_the_running_first_request(demo: Api) -> None:
    body = await claim_body()
    raw = json.dumps(body).encode()
    await pending(demo.users[MEMBER], "slow", raw)
    retry = asyncio.create_task(send(demo, raw, as_=MEMBER, key="slow"))
    await asyncio.sleep(0.3)
    assert not retry.done()
    answer = '{"data":{"claimProject":{"claim":null,"project":null,"errors":[]}}}'
    await idempotency_model.finish(user_id=demo.users[MEMBER], key="slow", status_code=200, response=answer)
    response = await asyncio.wait_for(retry, 5)
    assert (response.status_code, response.text, replayed(response)) == (200, answer, True)
    assert await claims_on(GARBAGE) == 0  # only the first request (here: none) ever runs


async def test_a_retry_runs_when_the_first_request_gives_the_key_back_while_it_waits(demo: Api) -> None:
    body = await claim_body()
    await pending(demo.users[MEMBER], "flaky", body)
    retry = asyncio.create_task(send(demo, body, as_=MEMBER, key="flaky"))
    await asyncio.sleep(0.2)
    assert not retry.done()
    await idempotency_model.release(user_id=demo.users[MEMBER], key="flaky")
    response = await asyncio.wait_for(retry, 5)
    assert (response.status_code, replayed(response)) == (200, False)
    assert response.json()["data"]["claimProject"]["errors"] == [] and await claims_on(GARBAGE) == 1
    assert await keys() == [(demo.users[MEMBER], "flaky", 200, True)]


# --- the middleware alone, around a tiny app ----------------------------------------------------------------------


class Tiny:
    """An ASGI app that counts its calls and answers as told (or raises)."""

    def __init__(self) -> None:
        self.calls = 0
        self.status = 200
        self.body = b'{"data":{"ok":true}}'
        self.error: Exception | None = None

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        self.calls += 1
        while (await receive()).get("more_body"):
            pass
        if self.error is not None:
            raise self.error
        await send({"type": "http.response.start", "status": self.status,
                    "headers": [(b"content-type", b"application/json")]})
        await send({"type": "http.response.body", "body": self.body})


@pytest.fixture
async def tiny(database: None) -> AsyncIterator[tuple[Tiny, httpx.AsyncClient]]:
    """The middleware with a 0.2 s wait around a Tiny app, user 1 logged in (the auth middleware's work)."""
    app = Tiny()
    middleware = Idempotency(app, wait_seconds=0.2)

    async def logged_in(scope: dict, receive: Any, send: Any) -> None:
        scope.setdefault("state", {})["user_id"] = 1
        await middleware(scope, receive, send)

    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=logged_in), base_url="http://testserver") as http:
        yield app, http


async def test_conflict_when_the_first_request_is_still_running(tiny: tuple[Tiny, httpx.AsyncClient]) -> None:
    app, http = tiny
    await pending(1, "busy", b'{"query":"mutation { a }"}')
    loop = asyncio.get_running_loop()
    started = loop.time()
    busy = await http.post("/graphql", content=b'{"query": "mutation { a }"}', headers={"Idempotency-Key": "busy"})
    assert 0.2 <= loop.time() - started < 2
    assert (busy.status_code, busy.json()) == (409, PENDING_ZH)
    english = await http.post("/graphql", content=b'{"query":"mutation { a }"}',
                              headers={"Idempotency-Key": "busy", "Accept-Language": "en"})
    assert (english.status_code, english.json()) == (409, PENDING_EN)
    assert app.calls == 0 and await keys() == [(1, "busy", None, False)]


async def test_answers_other_than_200_give_the_key_back(tiny: tuple[Tiny, httpx.AsyncClient]) -> None:
    app, http = tiny
    request = {"content": b'{"query":"mutation { a }"}', "headers": {"Idempotency-Key": "k"}}
    for status in (500, 503, 400, 413):
        app.status, app.body = status, b'{"errors":[{"message":"no"}]}'
        response = await http.post("/graphql", **request)
        assert (response.status_code, replayed(response)) == (status, False)
        assert await keys() == []
    app.error = RuntimeError("boom")
    with pytest.raises(RuntimeError, match="boom"):
        await http.post("/graphql", **request)
    assert await keys() == [] and app.calls == 5
    app.error, app.status, app.body = None, 200, b'{"data":{"a":1}}'
    ok = await http.post("/graphql", **request)
    replay = await http.post("/graphql", **request)
    assert (ok.content, replayed(ok), replay.content, replayed(replay)) == (app.body, False, app.body, True)
    assert app.calls == 6 and await keys() == [(1, "k", 200, True)]


async def test_only_post_to_the_graphql_path_is_keyed(tiny: tuple[Tiny, httpx.AsyncClient]) -> None:
    app, http = tiny
    headers = {"Idempotency-Key": "k"}
    for _ in range(2):
        assert not replayed(await http.post("/other", content=b"{}", headers=headers))
        assert not replayed(await http.put("/graphql", content=b"{}", headers=headers))
        assert not replayed(await http.get("/graphql", headers=headers))
    assert app.calls == 6 and await keys() == []


# --- automatic persisted queries ----------------------------------------------------------------------------------


async def test_apollo_persisted_mutation_with_a_key(demo: Api) -> None:
    """Apollo's link tries the hash alone, gets PERSISTED_QUERY_NOT_FOUND and retries with the document, under the
    one key of the operation; a later retry of the operation (network lost) sends the hash alone again."""
    body = await claim_body()
    extensions = {"persistedQuery": {"version": 1, "sha256Hash": hashlib.sha256(CLAIM.encode()).hexdigest()}}
    hash_only = {"operationName": "Claim", "variables": body["variables"], "extensions": extensions}
    not_found = await send(demo, hash_only, as_=MEMBER, key="apq")
    assert not_found.json()["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_FOUND"
    assert await keys() == []  # nothing ran: nothing to replay
    with_document = await send(demo, {**hash_only, "query": CLAIM}, as_=MEMBER, key="apq")
    assert (with_document.status_code, replayed(with_document)) == (200, False)
    assert with_document.json()["data"]["claimProject"]["errors"] == []
    for retry in (hash_only, {**hash_only, "query": CLAIM}):
        again = await send(demo, retry, as_=MEMBER, key="apq")
        assert (again.content, replayed(again)) == (with_document.content, True)
    assert await claims_on(GARBAGE) == 1
    # The document without the hash is another request; so is another hash with it.
    assert (await send(demo, body, as_=MEMBER, key="apq")).status_code == 422


async def test_a_taken_over_claim_cannot_overwrite_the_new_one(demo: Api) -> None:
    """A first request so slow that its claim counted as abandoned finishes late: it must neither store its answer
    over the retry's claim nor release it."""
    user = demo.users[MEMBER]
    first = await idempotency_model.claim(user_id=user, key="late", request_hash="h")
    await IdempotencyKey.filter(id=first.claim_id).update(created_at=datetime.now(timezone.utc) - timedelta(minutes=3))
    second = await idempotency_model.claim(user_id=user, key="late", request_hash="h")
    assert second.mine and second.claim_id != first.claim_id
    await idempotency_model.finish(user_id=user, key="late", status_code=200, response="old", claim_id=first.claim_id)
    await idempotency_model.release(user_id=user, key="late", claim_id=first.claim_id)
    row = await IdempotencyKey.get(user_id=user, key="late")
    assert (row.id, row.response) == (second.claim_id, None)
    await idempotency_model.finish(user_id=user, key="late", status_code=200, response="new", claim_id=second.claim_id)
    assert (await IdempotencyKey.get(user_id=user, key="late")).response == "new"
