"""Subscriptions over graphql-transport-ws: the connection (authentication in connection_init, the protocol's
refusals, keep-alive), claimUpdated, orderUpdated and notificationAdded delivered only to those who may see them and
re-checked per event, the token's expiry, completing and closing without leaking bus subscribers, idempotent replays
that publish nothing, and fan-out to several subscribers.

Every test waits for the bus to hold its subscriptions before it acts (no sleeps), and where it asserts that
something is *not* delivered it follows up, where it can, with an event that is, so the order of the messages
proves the skip."""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
import json
import math
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from starlette.routing import WebSocketRoute

from app import create_app
from auth import tokens
from auth.tokens import TokenType
from jinlin import events
from jinlin.ws import TransportWSHandler
from resolvers import live
from models.compound import Compound as CompoundRow
from models.enums import MemberRole
from models.household import Household as HouseholdRow
from models.household import HouseholdMember as HouseholdMemberRow
from models.notification import Notification as NotificationRow
from models.order import ServiceOffering as OfferingRow
from models.project import Claim as ClaimRow
from models.project import Project as ProjectRow
from models.user import User as UserRow
from tests.asgi_ws import Closed, WsClient
from tests.conftest import Api, gid, make_settings, org_id, person, pk, project_gid

ADMIN0, COMMUNITY_ADMIN, BRANCH_ADMIN, MEMBER = "13800000000", "13800000002", "13800000003", "13800000004"
PARTNER_ADMIN, RESIDENT, STEWARD = "13800000005", "13800000006", "13800000007"
BRANCH_STAFF, OTHER_MEMBER, NEIGHBOUR = "13900000001", "13900000002", "13900000003"  # made by the tests that need them
BRANCH, COMMUNITY, JIEAN, PROPERTY_TEAM = "观远里小区党支部", "莲花北社区", "厦门市捷安集团党支部", "观远里自管物业服务队"
ELDERLY, GARBAGE = "独居老人助餐探访", "三红垃圾分类督导"  # 观远里 branch projects; 陈党员 (MEMBER) holds a claim on ELDERLY
GUANYUANLI, REPAIR = "观远里小区", "家电维修上门服务"

ACK = {"type": "connection_ack"}
NOT_FOUND = {"message": "找不到该对象", "extensions": {"code": "NOT_FOUND"}}
LOG_IN = {"message": "请先登录", "extensions": {"code": "UNAUTHENTICATED"}}
EXPIRED = {"message": "登录凭证无效或已过期，请重新登录", "extensions": {"code": "UNAUTHENTICATED"}}

# --- operations ---------------------------------------------------------------------------------------------------

CLAIM_UPDATED = """
subscription($id: ID!) {
  claimUpdated(projectId: $id) {
    id status reportedHours verifiedHours
    claimant { __typename ... on User { displayName } ... on Org { name } }
    project { title claimedCount }
  }
}"""
ORDER_UPDATED = """
subscription($id: ID!) { orderUpdated(orderId: $id) { id status priceFen rating provider { name } } }"""
NOTIFICATION_ADDED = """
subscription { notificationAdded { id kind message read project { title } } }"""

CLAIM = """
mutation($input: ClaimProjectInput!) { claimProject(input: $input) { claim { id } errors { field code } } }"""
WITHDRAW = """
mutation($input: WithdrawClaimInput!) { withdrawClaim(input: $input) { claim { status } errors { field code } } }"""
REPORT = """
mutation($input: ReportClaimDoneInput!) { reportClaimDone(input: $input) { claim { status } errors { field code } } }"""
VERIFY = """
mutation($input: VerifyClaimInput!) { verifyClaim(input: $input) { claim { status } errors { field code } } }"""
CREATE_PROJECT = """
mutation($input: CreateProjectInput!) {
  createProject(input: $input) { project { id status } errors { field code } }
}"""
CANCEL_PROJECT = """
mutation($input: CancelProjectInput!) { cancelProject(input: $input) { project { status } errors { field code } } }"""
REMOVE_MEMBER = """
mutation($input: RemoveMemberInput!) { removeMember(input: $input) { errors { field code } } }"""
NODE = "query($id: ID!) { node(id: $id) { id } }"

ORDER_ACTIONS = ("placeOrder", "dispatchOrder", "acceptOrder", "declineOrder", "startOrder", "completeOrder",
                 "confirmOrder", "cancelOrder")
ORDER_MUTATIONS = {name: f"""
mutation($input: {name[0].upper()}{name[1:]}Input!) {{
  {name}(input: $input) {{ order {{ id status }} errors {{ field code }} }}
}}""" for name in ORDER_ACTIONS}


# --- helpers ------------------------------------------------------------------------------------------------------


def app_of(api: Api) -> Any:
    return api.http._transport.app  # type: ignore[attr-defined]


def view_of(api: Api) -> Any:
    """The app's GraphQLView (it serves the websocket route and owns the event bus)."""
    return next(route.endpoint for route in app_of(api).routes if isinstance(route, WebSocketRoute))


def bearer(demo: Api, phone: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {demo.token(phone)}"}


@asynccontextmanager
async def socket(demo: Api, phone: str | None = None, *, lang: str | None = None) -> AsyncIterator[WsClient]:
    """A websocket acknowledged as `phone` (anonymous when None), optionally upgraded with an Accept-Language."""
    async with WsClient(app_of(demo), headers={"Accept-Language": lang} if lang else None) as ws:
        assert await ws.init(bearer(demo, phone) if phone else {}) == ACK
        yield ws


async def listeners(demo: Api, count: int) -> None:
    """Wait (10 s at most: a loaded CI machine) until the bus holds exactly `count` subscriptions."""
    bus = view_of(demo).bus
    deadline = time.monotonic() + 10
    while bus.subscriber_count() != count:
        assert time.monotonic() < deadline, f"{bus.subscriber_count()} bus subscribers, expected {count}"
        await asyncio.sleep(0.002)


# Rights checks that subscriptions have finished (resolvers.live.visible, counted by _count_checks): a subscription
# listens first and checks after, so a test that changes rights right after subscribing waits for the check too.
CHECKS = {"done": 0}


@pytest.fixture(autouse=True)
def _count_checks(monkeypatch: pytest.MonkeyPatch) -> None:
    original = live.visible

    async def counted(*args: Any, **kwargs: Any) -> Any:
        try:
            return await original(*args, **kwargs)
        finally:
            CHECKS["done"] += 1

    monkeypatch.setattr(live, "visible", counted)


async def subscribe(demo: Api, ws: WsClient, op_id: str, query: str, variables: dict | None = None) -> None:
    """Start a subscription and wait until it listens and has checked the viewer's rights, so that whatever
    happens next reaches it (and cannot race its check)."""
    before, checked = view_of(demo).bus.subscriber_count(), CHECKS["done"]
    await ws.subscribe(op_id, query, variables)
    await listeners(demo, before + 1)
    if "notificationAdded" not in query:  # the only subscription without an object to check
        deadline = time.monotonic() + 10
        while CHECKS["done"] == checked:
            assert time.monotonic() < deadline, "the subscription's rights check did not finish"
            await asyncio.sleep(0.002)


async def refused(ws: WsClient, op_id: str, query: str, variables: dict | None = None,
                  error: dict = NOT_FOUND) -> None:
    """A subscription that ends at once: one `next` with the error and no data, then `complete`."""
    await ws.subscribe(op_id, query, variables)
    assert await ws.receive() == {"id": op_id, "type": "next", "payload": {"data": None, "errors": [error]}}
    assert await ws.receive() == {"id": op_id, "type": "complete"}


def nxt(op_id: str, field: str, value: dict) -> dict:
    """The `next` message carrying one event."""
    return {"id": op_id, "type": "next", "payload": {"data": {field: value}}}


async def claim(demo: Api, project: str, as_: str, org: str | None = None) -> str:
    """A new ACTIVE claim (on a project's global id); the claim's global id."""
    payload: dict = {"projectId": project}
    if org is not None:
        payload["onBehalfOfOrgId"] = await org_id(org)
    body = await demo.ok(CLAIM, {"input": payload}, as_=as_)
    assert body["claimProject"]["errors"] == [], body
    return body["claimProject"]["claim"]["id"]


async def mutate(demo: Api, query: str, name: str, as_: str, **fields: object) -> dict:
    """A mutation's payload, which must have no errors."""
    payload = (await demo.ok(query, {"input": fields}, as_=as_))[name]
    assert payload["errors"] == [], payload
    return payload


def claim_event(claim_id: str, status: str, claimant: dict, count: int, title: str = GARBAGE,
                reported: float | None = None, verified: float | None = None) -> dict:
    return {"id": claim_id, "status": status, "reportedHours": reported, "verifiedHours": verified,
            "claimant": claimant, "project": {"title": title, "claimedCount": count}}


CHEN = {"__typename": "User", "displayName": "陈党员"}
UNIT = {"__typename": "Org", "name": JIEAN}


async def order_act(demo: Api, name: str, as_: str, **fields: object) -> dict:
    """An order mutation's payload (errors included); a top-level error fails the test."""
    return (await demo.ok(ORDER_MUTATIONS[name], {"input": fields}, as_=as_))[name]


async def place_order(demo: Api) -> str:
    """A new SUBMITTED order of RESIDENT in 观远里 for the property team's repair offering; its global id."""
    payload = await order_act(demo, "placeOrder", RESIDENT,
                              compoundId=gid("Compound", (await CompoundRow.get(name=GUANYUANLI)).id),
                              category="REPAIR", description="卫生间下水道堵塞",
                              offeringId=gid("ServiceOffering", (await OfferingRow.get(title=REPAIR)).id))
    assert payload["errors"] == [], payload
    return payload["order"]["id"]


async def dispatch(demo: Api, order: str, provider: str = PROPERTY_TEAM, price: int | None = None) -> None:
    extra = {"priceFen": price} if price is not None else {}
    payload = await order_act(demo, "dispatchOrder", COMMUNITY_ADMIN, orderId=order,
                              providerOrgId=await org_id(provider), **extra)
    assert payload["errors"] == [], payload


def order_event(order: str, status: str, provider: str | None = PROPERTY_TEAM, price: int | None = 3000,
                rating: int | None = None) -> dict:
    return {"id": order, "status": status, "priceFen": price, "rating": rating,
            "provider": {"name": provider} if provider else None}


def short_lived_token(demo: Api, phone: str) -> str:
    """An access token that expires 1.5–2.5 s from now (time enough to subscribe on a loaded machine): tokens.issue
    with a three-second access_ttl and its clock set back (never ahead: a JWT issued in the future is refused), so
    that the expiry (whole seconds in a JWT) lands on the first whole second at least 1.5 s ahead."""
    expires = math.ceil(time.time() + 1.5)
    settings = dataclasses.replace(demo.settings, access_ttl=timedelta(seconds=3))
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(tokens, "now", lambda: datetime.fromtimestamp(expires - 3, timezone.utc))
        return tokens.issue(settings, user_id=demo.users[phone], typ=TokenType.ACCESS)[0]


@pytest.fixture(autouse=True)
async def _no_leaked_subscribers(demo: Api) -> AsyncIterator[None]:
    """Whatever a test did, once its sockets are closed the bus holds no subscriber (nothing leaks)."""
    yield
    await listeners(demo, 0)


# --- the connection -----------------------------------------------------------------------------------------------


async def test_connection_ack_is_bare(demo: Api) -> None:
    """The ack carries no payload (nothing about the viewer leaks into the handshake)."""
    async with WsClient(app_of(demo)) as ws:
        assert ws.accepted_subprotocol == "graphql-transport-ws"
        assert await ws.init(bearer(demo, BRANCH_ADMIN)) == {"type": "connection_ack"}
        await ws.nothing(0.1)


@pytest.mark.parametrize("case", ["garbage", "refresh token", "not a string", "list", "basic scheme", "no scheme",
                                  "bearer alone", "expired", "other secret"])
async def test_bad_authorization_closes_with_4403(demo: Api, case: str) -> None:
    """A present but bad Authorization is never downgraded to anonymous: the socket closes, as HTTP refuses."""
    uid = demo.users[BRANCH_ADMIN]
    access = demo.token(BRANCH_ADMIN)
    values = {
        "garbage": "Bearer nonsense",
        "refresh token": "Bearer " + tokens.issue(demo.settings, user_id=uid, typ=TokenType.REFRESH,
                                                  family="f" * 32)[0],
        "not a string": 42,
        "list": [f"Bearer {access}"],
        "basic scheme": "Basic MTM4MDAwMDAwMDM6amlubGluLWRlbW8=",
        "no scheme": access,
        "bearer alone": "Bearer ",
        "expired": "Bearer " + tokens.issue(dataclasses.replace(demo.settings, access_ttl=timedelta(seconds=-60)),
                                            user_id=uid, typ=TokenType.ACCESS)[0],
        "other secret": "Bearer " + tokens.issue(
            dataclasses.replace(demo.settings, secret_key="another-secret-key-that-is-long-enough-9876543210"),
            user_id=uid, typ=TokenType.ACCESS)[0],
    }
    async with WsClient(app_of(demo)) as ws:
        with pytest.raises(Closed) as closed:
            await ws.init({"Authorization": values[case]})
        assert (closed.value.code, closed.value.reason) == (4403, "Forbidden")


@pytest.mark.parametrize("key", ["authorization", "AUTHORIZATION", "AuThOrIzAtIoN"])
async def test_the_authorization_key_is_case_insensitive(demo: Api, key: str) -> None:
    """Clients spell the key as they like (Apollo Kotlin sends it lowercase); the scheme is case-insensitive too."""
    garbage = await project_gid(GARBAGE)
    async with WsClient(app_of(demo)) as ws:
        assert await ws.init({key: f"bearer {demo.token(BRANCH_ADMIN)}"}) == ACK
        await subscribe(demo, ws, "1", CLAIM_UPDATED, {"id": garbage})
        claim_id = await claim(demo, garbage, MEMBER)
        assert await ws.receive() == nxt("1", "claimUpdated", claim_event(claim_id, "ACTIVE", CHEN, 1))


@pytest.mark.parametrize("payload", [None, {}, {"clientName": "jinlin-android"}])
async def test_an_anonymous_connection_is_acknowledged_but_may_not_subscribe(demo: Api,
                                                                             payload: dict | None) -> None:
    """Without Authorization the socket opens (the app may log in later and reconnect), but every subscription ends
    at once with UNAUTHENTICATED and no data; the socket stays open."""
    garbage = await project_gid(GARBAGE)
    async with WsClient(app_of(demo)) as ws:
        assert await ws.init(payload) == ACK
        await refused(ws, "1", CLAIM_UPDATED, {"id": garbage}, error=LOG_IN)
        await refused(ws, "2", ORDER_UPDATED, {"id": gid("Order", 1)}, error=LOG_IN)
        await refused(ws, "3", NOTIFICATION_ADDED, error=LOG_IN)
        # Nothing the others do reaches the anonymous socket.
        await claim(demo, garbage, MEMBER)
        await ws.nothing(0.2)
        await ws.send({"type": "ping"})
        assert await ws.receive() == {"type": "pong"}


async def test_refusals_speak_the_upgrade_requests_language(demo: Api) -> None:
    """Error messages follow the Accept-Language of the websocket's upgrade request, as over HTTP."""
    async with socket(demo, lang="en") as anonymous:
        await refused(anonymous, "1", NOTIFICATION_ADDED,
                      error={"message": "You need to log in", "extensions": {"code": "UNAUTHENTICATED"}})
    async with socket(demo, RESIDENT, lang="en") as ws:
        await refused(ws, "1", CLAIM_UPDATED, {"id": await project_gid(GARBAGE)},
                      error={"message": "No such object", "extensions": {"code": "NOT_FOUND"}})


async def test_the_legacy_graphql_ws_protocol_is_refused(demo: Api) -> None:
    """Only graphql-transport-ws is spoken: the unmaintained subscriptions-transport-ws is closed with 4406."""
    with pytest.raises(Closed) as closed:
        async with WsClient(app_of(demo), subprotocol="graphql-ws") as ws:
            await ws.init(bearer(demo, BRANCH_ADMIN))
    assert closed.value.code == 4406


async def test_an_authorization_header_on_the_upgrade_request_does_not_log_in(demo: Api) -> None:
    """Only connection_init authenticates a socket (browsers cannot set headers on a websocket, and a header token's
    expiry would go unwatched): the upgrade request's Authorization header is ignored, good or bad."""
    for header in (f"Bearer {demo.token(BRANCH_ADMIN)}", "Bearer nonsense"):
        async with WsClient(app_of(demo), headers={"Authorization": header}) as ws:
            assert await ws.init() == ACK
            await refused(ws, "1", NOTIFICATION_ADDED, error=LOG_IN)


async def test_subscribe_before_init_closes_with_4401(demo: Api) -> None:
    """The protocol's order: nothing runs before the connection is acknowledged."""
    async with WsClient(app_of(demo)) as ws:
        await ws.subscribe("1", NOTIFICATION_ADDED)
        with pytest.raises(Closed) as closed:
            await ws.receive()
        assert (closed.value.code, closed.value.reason) == (4401, "Unauthorized")


async def test_a_second_init_closes_with_4429(demo: Api) -> None:
    """A socket is authenticated once; a second connection_init (another account, say) closes it."""
    async with WsClient(app_of(demo)) as ws:
        assert await ws.init(bearer(demo, MEMBER)) == ACK
        with pytest.raises(Closed) as closed:
            await ws.init(bearer(demo, BRANCH_ADMIN))  # no switching accounts on an open socket
        assert (closed.value.code, closed.value.reason) == (4429, "Too many initialisation requests")


async def test_a_payload_that_is_no_object_closes_with_4400(demo: Api) -> None:
    """connection_init's payload must be an object (a bare token string is a client bug, not anonymous)."""
    async with WsClient(app_of(demo)) as ws:
        await ws.send({"type": "connection_init", "payload": f"Bearer {demo.token(MEMBER)}"})
        with pytest.raises(Closed) as closed:
            await ws.receive()
        assert closed.value.code == 4400


async def test_no_init_in_time_closes_with_4408(demo: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    """A socket that never says connection_init is closed (10 s in production, 50 ms here)."""
    monkeypatch.setattr(view_of(demo), "connection_init_wait_timeout", timedelta(milliseconds=50))
    async with WsClient(app_of(demo)) as ws:
        with pytest.raises(Closed) as closed:
            await ws.receive(timeout=4)
        assert (closed.value.code, closed.value.reason) == (4408, "Connection initialisation timeout")


async def test_an_operation_id_in_use_closes_with_4409(demo: Api) -> None:
    """Operation ids are unique per socket while their operation runs."""
    async with socket(demo, MEMBER) as ws:
        await subscribe(demo, ws, "1", NOTIFICATION_ADDED)
        await ws.subscribe("1", NOTIFICATION_ADDED)
        with pytest.raises(Closed) as closed:
            await ws.receive()
        assert (closed.value.code, closed.value.reason) == (4409, "Subscriber for 1 already exists")


async def test_at_most_twenty_subscriptions_per_socket(demo: Api) -> None:
    """The 21st subscription of a socket is refused with an `error` message; the twenty keep working."""
    garbage = await project_gid(GARBAGE)
    async with socket(demo, BRANCH_ADMIN) as ws:
        for n in range(20):
            await subscribe(demo, ws, str(n), CLAIM_UPDATED, {"id": garbage})
        await ws.subscribe("20", CLAIM_UPDATED, {"id": garbage})
        assert await ws.receive() == {"id": "20", "type": "error",
                                      "payload": [{"message": "Subscription limit reached"}]}
        await listeners(demo, 20)
        claim_id = await claim(demo, garbage, MEMBER)
        received = [await ws.receive() for _ in range(20)]
        assert sorted(received, key=lambda m: int(m["id"])) == [
            nxt(str(n), "claimUpdated", claim_event(claim_id, "ACTIVE", CHEN, 1)) for n in range(20)]


# --- keep-alive ---------------------------------------------------------------------------------------------------


async def test_the_server_pings_after_the_ack_and_answers_pings(demo: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    """Mobile networks drop quiet sockets: the server pings every `ping_interval` once acknowledged (not before),
    and answers the client's ping with pong."""
    monkeypatch.setattr(TransportWSHandler, "ping_interval", 0.05)
    async with WsClient(app_of(demo)) as ws:
        await ws.nothing(0.15)  # not yet acknowledged: no pings
        assert await ws.init(bearer(demo, MEMBER)) == ACK
        assert await ws.receive(timeout=1) == {"type": "ping"}
        assert await ws.receive(timeout=1) == {"type": "ping"}
        await ws.send({"type": "pong"})  # the client's answer is taken silently
        await ws.send({"type": "ping", "payload": {"at": 1}})
        seen = [await ws.receive(timeout=1)]
        while seen[-1] == {"type": "ping"}:  # the server's own pings may come first
            seen.append(await ws.receive(timeout=1))
        assert seen[-1] == {"type": "pong"}


async def test_no_pings_at_the_default_interval_within_a_moment(demo: Api) -> None:
    """The default interval is 15 s: a short test sees the ack and nothing else."""
    assert TransportWSHandler.ping_interval == 15.0
    async with socket(demo, MEMBER) as ws:
        await ws.nothing(0.2)


# --- claimUpdated -------------------------------------------------------------------------------------------------


async def test_the_publishers_admin_follows_every_claim(demo: Api) -> None:
    """The branch's admin sees each claim on its project as it is made, withdrawn, reported done and verified."""
    garbage = await project_gid(GARBAGE)
    async with socket(demo, BRANCH_ADMIN) as ws:
        await subscribe(demo, ws, "1", CLAIM_UPDATED, {"id": garbage})
        first = await claim(demo, garbage, MEMBER)
        assert await ws.receive() == nxt("1", "claimUpdated", claim_event(first, "ACTIVE", CHEN, 1))
        await mutate(demo, WITHDRAW, "withdrawClaim", MEMBER, claimId=first)
        assert await ws.receive() == nxt("1", "claimUpdated", claim_event(first, "WITHDRAWN", CHEN, 0))
        unit = await claim(demo, garbage, PARTNER_ADMIN, JIEAN)
        assert await ws.receive() == nxt("1", "claimUpdated", claim_event(unit, "ACTIVE", UNIT, 1))
        second = await claim(demo, garbage, MEMBER)
        assert await ws.receive() == nxt("1", "claimUpdated", claim_event(second, "ACTIVE", CHEN, 2))
        await mutate(demo, REPORT, "reportClaimDone", MEMBER, claimId=second, hours=2.5)
        assert await ws.receive() == nxt("1", "claimUpdated", claim_event(second, "DONE", CHEN, 2, reported=2.5))
        await mutate(demo, VERIFY, "verifyClaim", BRANCH_ADMIN, claimId=second, approved=True, hours=2)
        assert await ws.receive() == nxt("1", "claimUpdated", claim_event(second, "VERIFIED", CHEN, 2, reported=2.5,
                                                                          verified=2))
        await ws.nothing(0.1)


async def test_a_member_follows_only_their_own_claims(demo: Api) -> None:
    """Anyone else who sees the project hears of their own claims only, never of another member's."""
    await person(demo, OTHER_MEMBER, "王党员", (BRANCH, MemberRole.MEMBER))
    garbage = await project_gid(GARBAGE)
    async with socket(demo, MEMBER) as ws:
        await subscribe(demo, ws, "1", CLAIM_UPDATED, {"id": garbage})
        other = await claim(demo, garbage, OTHER_MEMBER)
        await ws.nothing(0.2)
        await claim(demo, garbage, PARTNER_ADMIN, JIEAN)
        await mutate(demo, WITHDRAW, "withdrawClaim", OTHER_MEMBER, claimId=other)
        await ws.nothing(0.2)
        mine = await claim(demo, garbage, MEMBER)  # the claim after the others' is the first message
        assert await ws.receive() == nxt("1", "claimUpdated", claim_event(mine, "ACTIVE", CHEN, 2))
        await mutate(demo, WITHDRAW, "withdrawClaim", MEMBER, claimId=mine)
        assert await ws.receive() == nxt("1", "claimUpdated", claim_event(mine, "WITHDRAWN", CHEN, 1))
        await ws.nothing(0.1)


async def test_claim_updated_refuses_unknown_and_invisible_projects(demo: Api) -> None:
    """Unknown, malformed, wrongly typed and invisible projects are refused alike with NOT_FOUND (no existence
    leak), as `node` answers null for all of them."""
    draft = (await mutate(demo, CREATE_PROJECT, "createProject", COMMUNITY_ADMIN, orgId=await org_id(COMMUNITY),
                          title="社区草稿", category="OTHER", capacity=3))["project"]
    assert draft["status"] == "DRAFT"
    # The community's draft is its managers' business: not the branch admin's below, nor a resident's.
    assert (await demo.ok(NODE, {"id": draft["id"]}, as_=BRANCH_ADMIN))["node"] is None
    assert (await demo.ok(NODE, {"id": draft["id"]}, as_=COMMUNITY_ADMIN))["node"] == {"id": draft["id"]}
    async with socket(demo, BRANCH_ADMIN) as ws:
        for n, project in enumerate([gid("Project", 999), "garbage", "", gid("Order", 1), draft["id"]]):
            await refused(ws, str(n), CLAIM_UPDATED, {"id": project})
    async with socket(demo, RESIDENT) as ws:
        await refused(ws, "1", CLAIM_UPDATED, {"id": await project_gid(GARBAGE)})
    async with socket(demo, COMMUNITY_ADMIN) as ws:  # while its own managers follow it
        await subscribe(demo, ws, "1", CLAIM_UPDATED, {"id": draft["id"]})


async def test_cancelling_a_project_withdraws_every_active_claim_live(demo: Api) -> None:
    """Cancelling sends WITHDRAWN for each active claim: all of them to the publisher's admin, each claimant's own
    to the claimant."""
    elderly = await project_gid(ELDERLY)
    chen = gid("Claim", (await ClaimRow.get(project__title=ELDERLY, user_id=demo.users[MEMBER])).id)
    unit = await claim(demo, elderly, PARTNER_ADMIN, JIEAN)
    async with socket(demo, BRANCH_ADMIN) as admin, socket(demo, MEMBER) as member, \
            socket(demo, PARTNER_ADMIN) as partner:
        for ws in (admin, member, partner):
            await subscribe(demo, ws, "c", CLAIM_UPDATED, {"id": elderly})
        await mutate(demo, CANCEL_PROJECT, "cancelProject", BRANCH_ADMIN, projectId=elderly)
        withdrawn = [await admin.receive(), await admin.receive()]
        assert sorted(withdrawn, key=lambda m: m["payload"]["data"]["claimUpdated"]["id"] != chen) == [
            nxt("c", "claimUpdated", claim_event(chen, "WITHDRAWN", CHEN, 0, title=ELDERLY)),
            nxt("c", "claimUpdated", claim_event(unit, "WITHDRAWN", UNIT, 0, title=ELDERLY))]
        assert await member.receive() == nxt("c", "claimUpdated", claim_event(chen, "WITHDRAWN", CHEN, 0,
                                                                              title=ELDERLY))
        assert await partner.receive() == nxt("c", "claimUpdated", claim_event(unit, "WITHDRAWN", UNIT, 0,
                                                                               title=ELDERLY))
        for ws in (admin, member, partner):
            await ws.nothing(0.1)


async def test_three_subscribers_of_one_project_all_hear_the_event(demo: Api) -> None:
    """Fan-out: every subscriber of the topic gets the same event, each read with its own rights."""
    garbage = await project_gid(GARBAGE)
    async with socket(demo, BRANCH_ADMIN) as a, socket(demo, COMMUNITY_ADMIN) as b, socket(demo, ADMIN0) as c:
        for ws in (a, b, c):
            await subscribe(demo, ws, "p", CLAIM_UPDATED, {"id": garbage})
        claim_id = await claim(demo, garbage, MEMBER)
        expected = nxt("p", "claimUpdated", claim_event(claim_id, "ACTIVE", CHEN, 1))
        assert [await a.receive(), await b.receive(), await c.receive()] == [expected] * 3


async def test_several_subscriptions_on_one_socket(demo: Api) -> None:
    """One socket carries subscriptions to several projects, each hearing its own project only."""
    garbage, elderly = await project_gid(GARBAGE), await project_gid(ELDERLY)
    async with socket(demo, BRANCH_ADMIN) as ws:
        await subscribe(demo, ws, "g", CLAIM_UPDATED, {"id": garbage})
        await subscribe(demo, ws, "e", CLAIM_UPDATED, {"id": elderly})
        on_elderly = await claim(demo, elderly, PARTNER_ADMIN, JIEAN)
        assert await ws.receive() == nxt("e", "claimUpdated", claim_event(on_elderly, "ACTIVE", UNIT, 2,
                                                                          title=ELDERLY))
        on_garbage = await claim(demo, garbage, MEMBER)
        assert await ws.receive() == nxt("g", "claimUpdated", claim_event(on_garbage, "ACTIVE", CHEN, 1))


async def test_a_slow_subscriber_misses_intermediate_events_never_the_latest(
        demo: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    """A subscriber's inbox is bounded (QUEUE_SIZE): when events come faster than it reads, the oldest are dropped
    rather than the publisher blocked, and the latest always arrives."""
    monkeypatch.setattr(events, "QUEUE_SIZE", 2)
    await person(demo, OTHER_MEMBER, "王党员", (BRANCH, MemberRole.MEMBER))
    garbage = await project_gid(GARBAGE)
    claims = [await claim(demo, garbage, MEMBER), await claim(demo, garbage, PARTNER_ADMIN, JIEAN),
              await claim(demo, garbage, OTHER_MEMBER)]
    async with socket(demo, BRANCH_ADMIN) as ws:
        await subscribe(demo, ws, "1", CLAIM_UPDATED, {"id": garbage})
        # Three events at once, before the subscriber runs (the bus delivers synchronously).
        topic = events.claims_topic((await ProjectRow.get(title=GARBAGE)).id)
        await view_of(demo).bus.publish([(topic, json.dumps({"claim": pk(c)})) for c in claims])
        assert await ws.receive() == nxt("1", "claimUpdated", claim_event(claims[1], "ACTIVE", UNIT, 3))
        assert await ws.receive() == nxt("1", "claimUpdated", claim_event(
            claims[2], "ACTIVE", {"__typename": "User", "displayName": "王党员"}, 3))
        await ws.nothing(0.1)


# --- orderUpdated -------------------------------------------------------------------------------------------------


async def test_the_resident_follows_their_order_to_confirmation(demo: Api) -> None:
    """Every transition of the order reaches its resident, in order, with the status it led to."""
    order = await place_order(demo)
    async with socket(demo, RESIDENT) as ws:
        await subscribe(demo, ws, "o", ORDER_UPDATED, {"id": order})
        await dispatch(demo, order)
        assert await ws.receive() == nxt("o", "orderUpdated", order_event(order, "DISPATCHED"))
        for name, phone, extra, status in (("acceptOrder", STEWARD, {}, "ACCEPTED"),
                                           ("startOrder", STEWARD, {}, "IN_PROGRESS"),
                                           ("completeOrder", STEWARD, {"note": "已疏通"}, "COMPLETED")):
            assert (await order_act(demo, name, phone, orderId=order, **extra))["errors"] == []
            assert await ws.receive() == nxt("o", "orderUpdated", order_event(order, status))
        assert (await order_act(demo, "confirmOrder", RESIDENT, orderId=order, rating=4))["errors"] == []
        assert await ws.receive() == nxt("o", "orderUpdated", order_event(order, "CONFIRMED", rating=4))
        await ws.nothing(0.1)


async def test_order_updated_refuses_those_who_may_not_see_the_order(demo: Api) -> None:
    """Another resident of the compound, a provider it is not dispatched to, and unknown or malformed ids: all
    NOT_FOUND; the provider is refused until the order is dispatched to it, then follows it."""
    user = await UserRow.create(phone=NEIGHBOUR, display_name="王邻居", password_hash="-")
    demo.users[NEIGHBOUR] = user.id
    household = await HouseholdRow.create(compound=await CompoundRow.get(name=GUANYUANLI), unit="3-101",
                                          area_sqm=80.0)
    await HouseholdMemberRow.create(household=household, user_id=user.id)
    order = await place_order(demo)
    for phone in (NEIGHBOUR, MEMBER, PARTNER_ADMIN, STEWARD):
        async with socket(demo, phone) as ws:
            await refused(ws, "o", ORDER_UPDATED, {"id": order})
    async with socket(demo, RESIDENT) as ws:
        for n, wrong in enumerate([gid("Order", 999), "garbage", await project_gid(GARBAGE)]):
            await refused(ws, str(n), ORDER_UPDATED, {"id": wrong})
    async with socket(demo, STEWARD) as steward, socket(demo, NEIGHBOUR) as neighbour:
        await refused(steward, "early", ORDER_UPDATED, {"id": order})
        await dispatch(demo, order)
        # The same socket: what the steward was refused before the dispatch is read afresh now.
        await subscribe(demo, steward, "o", ORDER_UPDATED, {"id": order})
        await refused(neighbour, "o", ORDER_UPDATED, {"id": order})
        assert (await order_act(demo, "acceptOrder", STEWARD, orderId=order))["errors"] == []
        assert await steward.receive() == nxt("o", "orderUpdated", order_event(order, "ACCEPTED"))


async def test_a_failed_transition_sends_nothing(demo: Api) -> None:
    """A refused transition (wrong state in the payload's errors, or a wrong actor) changes nothing and publishes
    nothing."""
    order = await place_order(demo)
    await dispatch(demo, order)
    async with socket(demo, RESIDENT) as ws:
        await subscribe(demo, ws, "o", ORDER_UPDATED, {"id": order})
        wrong_state = await order_act(demo, "startOrder", STEWARD, orderId=order)
        assert wrong_state["errors"] == [{"field": ["orderId"], "code": "INVALID_STATE"}]
        too_early = await order_act(demo, "confirmOrder", RESIDENT, orderId=order, rating=5)
        assert too_early["errors"] == [{"field": ["orderId"], "code": "INVALID_STATE"}]
        forbidden = await demo(ORDER_MUTATIONS["acceptOrder"], {"input": {"orderId": order}}, as_=RESIDENT)
        assert forbidden["errors"][0]["extensions"]["code"] == "FORBIDDEN"
        await ws.nothing(0.2)
        assert (await order_act(demo, "acceptOrder", STEWARD, orderId=order))["errors"] == []
        assert await ws.receive() == nxt("o", "orderUpdated", order_event(order, "ACCEPTED"))


async def test_the_provider_hears_no_more_once_it_declined(demo: Api) -> None:
    """Rights are re-read per event: a partner unit that declines loses sight of the order, so the decline and
    what follows reach the resident only."""
    order = await place_order(demo)
    await dispatch(demo, order, provider=JIEAN, price=100)
    async with socket(demo, PARTNER_ADMIN) as partner, socket(demo, RESIDENT) as resident:
        await subscribe(demo, partner, "o", ORDER_UPDATED, {"id": order})
        await subscribe(demo, resident, "o", ORDER_UPDATED, {"id": order})
        declined = await order_act(demo, "declineOrder", PARTNER_ADMIN, orderId=order, reason="人手不够")
        assert declined["errors"] == []
        assert await resident.receive() == nxt("o", "orderUpdated", order_event(order, "SUBMITTED", None, None))
        await dispatch(demo, order)
        assert await resident.receive() == nxt("o", "orderUpdated", order_event(order, "DISPATCHED"))
        await partner.nothing(0.2)


# --- notificationAdded --------------------------------------------------------------------------------------------


async def test_the_publishers_managers_hear_of_a_new_claim(demo: Api) -> None:
    """CLAIM_CREATED reaches the branch's admin; the claimant, the community's admin and a resident hear nothing."""
    garbage = await project_gid(GARBAGE)
    async with socket(demo, BRANCH_ADMIN) as admin, socket(demo, MEMBER) as member, \
            socket(demo, COMMUNITY_ADMIN) as community, socket(demo, RESIDENT) as resident:
        for ws in (admin, member, community, resident):
            await subscribe(demo, ws, "n", NOTIFICATION_ADDED)
        claim_id = await claim(demo, garbage, MEMBER)
        row = await NotificationRow.get(kind="CLAIM_CREATED")
        assert (row.user_id, gid("Claim", row.claim_id)) == (demo.users[BRANCH_ADMIN], claim_id)
        assert await admin.receive() == nxt("n", "notificationAdded", {
            "id": gid("Notification", row.id), "kind": "CLAIM_CREATED", "message": "「三红垃圾分类督导」有新的认领",
            "read": False, "project": {"title": GARBAGE}})
        for ws in (member, community, resident):
            await ws.nothing(0.1)
        # The claimant hears of the verification of their service, and the admin does not (they did it).
        await mutate(demo, REPORT, "reportClaimDone", MEMBER, claimId=claim_id, hours=1)
        done = await admin.receive()
        assert done["payload"]["data"]["notificationAdded"]["kind"] == "CLAIM_DONE"
        await mutate(demo, VERIFY, "verifyClaim", BRANCH_ADMIN, claimId=claim_id, approved=True)
        verified = await NotificationRow.get(kind="CLAIM_VERIFIED")
        assert await member.receive() == nxt("n", "notificationAdded", {
            "id": gid("Notification", verified.id), "kind": "CLAIM_VERIFIED", "message": "您对「三红垃圾分类督导」的服务已核实",
            "read": False, "project": {"title": GARBAGE}})
        for ws in (admin, community, resident):
            await ws.nothing(0.1)


async def test_notifications_speak_the_sockets_language(demo: Api) -> None:
    """`message` is English when the websocket's upgrade request asked for it (Accept-Language: en)."""
    garbage = await project_gid(GARBAGE)
    async with socket(demo, BRANCH_ADMIN, lang="en") as en, socket(demo, BRANCH_ADMIN, lang="zh-CN") as zh:
        await subscribe(demo, en, "n", NOTIFICATION_ADDED)
        await subscribe(demo, zh, "n", NOTIFICATION_ADDED)
        await claim(demo, garbage, MEMBER)
        assert (await en.receive())["payload"]["data"]["notificationAdded"]["message"] == "New claim on “三红垃圾分类督导”"
        assert (await zh.receive())["payload"]["data"]["notificationAdded"]["message"] == "「三红垃圾分类督导」有新的认领"


# --- rights re-checked per event ----------------------------------------------------------------------------------


async def test_a_removed_manager_hears_no_more(demo: Api) -> None:
    """Rights are re-read per event: staff of the branch follow every claim on its project until they are removed
    from the branch, after which its claims no longer reach them."""
    await person(demo, BRANCH_STAFF, "支部干事", (BRANCH, MemberRole.STAFF))
    await person(demo, OTHER_MEMBER, "王党员", (BRANCH, MemberRole.MEMBER))
    garbage = await project_gid(GARBAGE)
    async with socket(demo, BRANCH_STAFF) as staff, socket(demo, BRANCH_ADMIN) as admin:
        await subscribe(demo, staff, "1", CLAIM_UPDATED, {"id": garbage})
        await subscribe(demo, admin, "1", CLAIM_UPDATED, {"id": garbage})
        first = await claim(demo, garbage, MEMBER)
        expected = nxt("1", "claimUpdated", claim_event(first, "ACTIVE", CHEN, 1))
        assert (await staff.receive(), await admin.receive()) == (expected, expected)
        removed = await demo.ok(REMOVE_MEMBER, {"input": {"orgId": await org_id(BRANCH),
                                                          "userId": gid("User", demo.users[BRANCH_STAFF])}},
                                as_=BRANCH_ADMIN)
        assert removed["removeMember"]["errors"] == []
        second = await claim(demo, garbage, OTHER_MEMBER)
        # Received before the next change: an event is the object as it is when delivered (claimedCount included).
        assert await admin.receive() == nxt("1", "claimUpdated", claim_event(
            second, "ACTIVE", {"__typename": "User", "displayName": "王党员"}, 2))
        await mutate(demo, WITHDRAW, "withdrawClaim", MEMBER, claimId=first)
        assert await admin.receive() == nxt("1", "claimUpdated", claim_event(first, "WITHDRAWN", CHEN, 1))
        await staff.nothing(0.2)


async def test_a_new_subscription_checks_rights_as_they_are_now(demo: Api) -> None:
    """A subscription started on a socket after the viewer lost their rights is refused, although an earlier
    subscription on the same socket had read them while they still held."""
    await person(demo, BRANCH_STAFF, "支部干事", (BRANCH, MemberRole.STAFF))
    draft = (await mutate(demo, CREATE_PROJECT, "createProject", BRANCH_ADMIN, orgId=await org_id(BRANCH),
                          title="支部草稿", category="OTHER", capacity=3))["project"]["id"]
    async with socket(demo, BRANCH_STAFF) as ws:
        await subscribe(demo, ws, "1", CLAIM_UPDATED, {"id": draft})  # a draft: seen by the branch's managers only
        removed = await demo.ok(REMOVE_MEMBER, {"input": {"orgId": await org_id(BRANCH),
                                                          "userId": gid("User", demo.users[BRANCH_STAFF])}},
                                as_=BRANCH_ADMIN)
        assert removed["removeMember"]["errors"] == []
        assert (await demo.ok(NODE, {"id": draft}, as_=BRANCH_STAFF))["node"] is None
        await refused(ws, "2", CLAIM_UPDATED, {"id": draft})


# --- the token's expiry -------------------------------------------------------------------------------------------


async def test_subscriptions_end_when_the_access_token_expires(demo: Api) -> None:
    """The socket's token lasts as long as it would over HTTP: at its expiry every subscription ends with
    UNAUTHENTICATED (the app reconnects with a fresh token); events before it are delivered, later subscriptions
    are refused at once."""
    garbage = await project_gid(GARBAGE)
    async with WsClient(app_of(demo)) as ws:
        assert await ws.init({"Authorization": f"Bearer {short_lived_token(demo, BRANCH_ADMIN)}"}) == ACK
        await subscribe(demo, ws, "c", CLAIM_UPDATED, {"id": garbage})
        await subscribe(demo, ws, "n", NOTIFICATION_ADDED)
        claim_id = await claim(demo, garbage, MEMBER)
        first = [await ws.receive(), await ws.receive()]
        assert sorted(m["id"] for m in first) == ["c", "n"]
        assert nxt("c", "claimUpdated", claim_event(claim_id, "ACTIVE", CHEN, 1)) in first
        ended = [await ws.receive(timeout=4) for _ in range(4)]
        for op_id in ("c", "n"):
            mine = [m for m in ended if m["id"] == op_id]
            assert mine == [{"id": op_id, "type": "next", "payload": {"data": None, "errors": [EXPIRED]}},
                            {"id": op_id, "type": "complete"}], ended
        await listeners(demo, 0)
        await refused(ws, "again", NOTIFICATION_ADDED, error=EXPIRED)
        await ws.send({"type": "ping"})  # the socket itself stays open for the app to close
        assert await ws.receive() == {"type": "pong"}


# --- completing and closing ---------------------------------------------------------------------------------------


async def test_complete_stops_the_subscription(demo: Api) -> None:
    """After the client's `complete` no more events arrive for that id and the bus forgets the subscriber; the
    socket's other subscriptions go on."""
    garbage = await project_gid(GARBAGE)
    async with socket(demo, BRANCH_ADMIN) as ws:
        await subscribe(demo, ws, "1", CLAIM_UPDATED, {"id": garbage})
        await subscribe(demo, ws, "2", NOTIFICATION_ADDED)
        await ws.send({"id": "1", "type": "complete"})
        await listeners(demo, 1)
        await claim(demo, garbage, MEMBER)
        notified = await ws.receive()  # the notification, not the claim
        assert (notified["id"], notified["payload"]["data"]["notificationAdded"]["kind"]) == ("2", "CLAIM_CREATED")
        await ws.nothing(0.2)
        await ws.send({"id": "no-such-op", "type": "complete"})  # harmless
        await ws.nothing(0.1)
        # The id may be used again.
        await subscribe(demo, ws, "1", CLAIM_UPDATED, {"id": garbage})
        await listeners(demo, 2)


async def test_closing_the_socket_leaves_no_subscriber_behind(demo: Api) -> None:
    """A socket that closes (or is closed) with live subscriptions, refused ones and ended ones leaves the bus
    empty."""
    garbage = await project_gid(GARBAGE)
    order = await place_order(demo)
    async with socket(demo, RESIDENT) as resident, socket(demo, BRANCH_ADMIN) as admin:
        await subscribe(demo, resident, "o", ORDER_UPDATED, {"id": order})
        await subscribe(demo, resident, "n", NOTIFICATION_ADDED)
        await refused(resident, "c", CLAIM_UPDATED, {"id": garbage})
        await subscribe(demo, admin, "c", CLAIM_UPDATED, {"id": garbage})
        await subscribe(demo, admin, "c2", CLAIM_UPDATED, {"id": garbage})
        assert view_of(demo).bus.subscriber_count() == 4
    await listeners(demo, 0)
    async with WsClient(app_of(demo)) as ws:  # closed by the server for a second init, mid-subscription
        assert await ws.init(bearer(demo, BRANCH_ADMIN)) == ACK
        await subscribe(demo, ws, "c", CLAIM_UPDATED, {"id": garbage})
        with pytest.raises(Closed):
            await ws.init(bearer(demo, BRANCH_ADMIN))
        await listeners(demo, 0)


# --- idempotent replays -------------------------------------------------------------------------------------------


async def test_an_idempotent_replay_publishes_nothing(demo: Api) -> None:
    """A retried claim with the same Idempotency-Key replays the first answer without running again, so
    subscribers hear of the claim once."""
    garbage = await project_gid(GARBAGE)
    request = {"query": CLAIM, "variables": {"input": {"projectId": garbage}}}
    headers = {**bearer(demo, MEMBER), "Idempotency-Key": "claim-1"}
    async with socket(demo, BRANCH_ADMIN) as ws:
        await subscribe(demo, ws, "c", CLAIM_UPDATED, {"id": garbage})
        await subscribe(demo, ws, "n", NOTIFICATION_ADDED)
        first = await demo.http.post("/graphql", json=request, headers=headers)
        claim_id = first.json()["data"]["claimProject"]["claim"]["id"]
        received = [await ws.receive(), await ws.receive()]
        assert sorted(m["id"] for m in received) == ["c", "n"]
        retry = await demo.http.post("/graphql", json=request, headers=headers)
        assert retry.headers.get("idempotent-replayed") == "true" and retry.content == first.content
        await ws.nothing(0.2)
        assert await ClaimRow.filter(project__title=GARBAGE).count() == 1
        # What runs for real afterwards is heard again (the claim's withdrawal and its notification).
        await mutate(demo, WITHDRAW, "withdrawClaim", MEMBER, claimId=claim_id)
        withdrawn = {m["id"]: m for m in [await ws.receive(), await ws.receive()]}
        assert withdrawn["c"] == nxt("c", "claimUpdated", claim_event(claim_id, "WITHDRAWN", CHEN, 0))
        assert withdrawn["n"]["payload"]["data"]["notificationAdded"]["kind"] == "CLAIM_WITHDRAWN"


# --- known server bugs: strict xfails, to be turned into plain tests when fixed ------------------------------------

VIEWER = "{ viewer { displayName } }"


HTTP_ONLY = {"message": "WebSocket 只承载订阅；查询和变更请通过 HTTP 发送到 /graphql",
             "extensions": {"code": "OPERATION_NEEDS_HTTP"}}


async def test_queries_and_mutations_over_the_socket_are_refused(demo: Api) -> None:
    """The socket carries subscriptions only: a mutation over it would escape Idempotency-Key, the body limit and
    the token's expiry, so it is refused and changes nothing."""
    garbage = await project_gid(GARBAGE)
    async with WsClient(app_of(demo)) as ws:
        assert await ws.init(bearer(demo, MEMBER)) == ACK
        await refused(ws, "q", VIEWER, error=HTTP_ONLY)
        await refused(ws, "m", CLAIM, {"input": {"projectId": garbage}}, error=HTTP_ONLY)
    assert await ClaimRow.filter(project__title=GARBAGE).count() == 0


async def test_after_expiry_every_subscription_answers_unauthenticated(demo: Api) -> None:
    """Once the token has expired the app must learn to reconnect, whatever it subscribes to (not NOT_FOUND for
    an object its rights are no longer checked against)."""
    async with WsClient(app_of(demo)) as ws:
        assert await ws.init({"Authorization": f"Bearer {short_lived_token(demo, BRANCH_ADMIN)}"}) == ACK
        await subscribe(demo, ws, "n", NOTIFICATION_ADDED)
        assert await ws.receive(timeout=4) == {"id": "n", "type": "next", "payload": {"data": None,
                                                                                      "errors": [EXPIRED]}}
        assert await ws.receive() == {"id": "n", "type": "complete"}
        await refused(ws, "1", CLAIM_UPDATED, {"id": gid("Project", 999)}, error=EXPIRED)


LISTED = "subscription Inbox { notificationAdded { kind } }"
REQUIRED = {"message": "Only the app's registered operations run here",
            "extensions": {"code": "PERSISTED_QUERY_REQUIRED"}}


async def test_trusted_documents_mode_holds_over_the_socket(demo: Api) -> None:
    """With only the manifest's operations allowed, the socket runs a listed subscription (by hash or by text) and
    refuses anything else with the protocol's `error` message."""
    sha = hashlib.sha256(LISTED.encode()).hexdigest()
    app = create_app(make_settings(trusted_documents={sha: LISTED}), init_db=False)
    async with WsClient(app) as ws:
        assert await ws.init(bearer(demo, BRANCH_ADMIN)) == ACK
        await ws.subscribe("1", "subscription { notificationAdded { id } }")
        assert await ws.receive() == {"id": "1", "type": "error", "payload": [REQUIRED]}
        await ws.send({"id": "2", "type": "subscribe", "payload": {
            "extensions": {"persistedQuery": {"version": 1, "sha256Hash": "0" * 64}}}})
        assert await ws.receive() == {"id": "2", "type": "error", "payload": [REQUIRED]}
        await ws.send({"id": "3", "type": "subscribe", "payload": {
            "extensions": {"persistedQuery": {"version": 1, "sha256Hash": sha}}}})
        await ws.subscribe("4", LISTED)
        view = next(route.endpoint for route in app.routes if getattr(route, "path", "") == "/graphql")
        for _ in range(200):
            if view.bus.subscriber_count() == 2:
                break
            await asyncio.sleep(0.01)
        assert view.bus.subscriber_count() == 2


async def test_a_hash_alone_runs_a_registered_subscription(demo: Api) -> None:
    """Automatic persisted queries over the socket: a registered hash runs, an unknown one gets Apollo's
    PersistedQueryNotFound."""
    sha = hashlib.sha256(LISTED.encode()).hexdigest()
    response = await demo.http.post("/graphql", json={"query": LISTED,
                                                      "extensions": {"persistedQuery": {"version": 1,
                                                                                        "sha256Hash": sha}}})
    assert response.json()["errors"][0]["extensions"]["code"] == "SUBSCRIPTION_NEEDS_WEBSOCKET"
    async with WsClient(app_of(demo)) as ws:
        assert await ws.init(bearer(demo, BRANCH_ADMIN)) == ACK
        await ws.send({"id": "x", "type": "subscribe", "payload": {
            "extensions": {"persistedQuery": {"version": 1, "sha256Hash": "f" * 64}}}})
        assert await ws.receive() == {"id": "x", "type": "error", "payload": [
            {"message": "PersistedQueryNotFound", "extensions": {"code": "PERSISTED_QUERY_NOT_FOUND"}}]}
        await ws.send({"id": "1", "type": "subscribe", "payload": {
            "extensions": {"persistedQuery": {"version": 1, "sha256Hash": sha}}}})
        view = view_of(demo)
        for _ in range(200):
            if view.bus.subscriber_count() == 1:
                break
            await asyncio.sleep(0.01)
        await claim(demo, await project_gid(GARBAGE), MEMBER)
        assert await ws.receive() == nxt("1", "notificationAdded", {"kind": "CLAIM_CREATED"})
