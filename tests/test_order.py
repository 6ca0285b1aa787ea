"""Resident services (居民点单 → 社区派单 → 服务方接单 → 完工 → 居民确认) and the price list they draw on (明码标价).

Offerings: posted by the provider's staff (partner units and service teams only), validated with zh and English
messages, approved once by a community's (street's, district's) staff for a team and by managers of a paired org for
a partner unit, never by the provider alone; pending ones are seen only by the provider's managers and those who may
approve them, in `serviceOfferings` and `node()` alike.
Orders: placed by residents of the compound (a household member) with offering and category checks; every transition
with its actor, the wrong actors (FORBIDDEN when they see the order, NOT_FOUND when they do not) and every wrong state
(INVALID_STATE); a decline keeps its reason and returns the order for another dispatch; the price comes from the
offering when dispatched to its provider; the cancel rules of residents and of staff; who sees which orders, and the
resident's phone for the provider only while it does the work; races on transitions on SQLite and PostgreSQL (one
winner, the rest INVALID_STATE, one event, never a fault); the statement counts of the "My orders" and "Order
detail" screens; the demo data of 观远里.

After every test the order history is append-only (every event row that existed before is unchanged), each event is
a legal step from the one before, each order's status is that of its last event, and its provider (and price) that of
its last dispatch, none after a decline.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from datetime import datetime

import pytest

from models import order as order_model
from models.compound import Compound as CompoundRow
from models.enums import MemberRole, ProjectCategory
from models.household import Household as HouseholdRow
from models.household import HouseholdMember as HouseholdMemberRow
from models.order import Order as OrderRow
from models.order import OrderAction, OrderStatus
from models.order import OrderEvent as EventRow
from models.order import ServiceOffering as OfferingRow
from models.org import Org as OrgRow
from models.user import Membership
from models.user import User as UserRow
from tests.conftest import Api, count_sql, gid, org_id, outcomes, pk

DISTRICT, STREET, COMMUNITY, BRANCH = "思明区", "嘉莲街道", "莲花北社区", "观远里小区党支部"
PROPERTY_TEAM, HELPERS, XUNSIDING_TEAM = "观远里自管物业服务队", "观远里厝边帮帮团", "巡司顶小巷和事佬"
XUNSIDING, JIEAN, POLICE = "巡司顶社区", "厦门市捷安集团党支部", "鹭江派出所"
GUANYUANLI, HAILONG = "观远里小区", "海龙小区"
ADMIN0, STREET_ADMIN, COMMUNITY_ADMIN, BRANCH_ADMIN = "13800000000", "13800000001", "13800000002", "13800000003"
MEMBER, PARTNER_ADMIN, RESIDENT, STEWARD = "13800000004", "13800000005", "13800000006", "13800000007"
TEAM_STAFF, XUNSIDING_ADMIN, POLICE_ADMIN, NEIGHBOUR = "13900000001", "13900000002", "13900000003", "13900000004"
COMMISSIONER = "13900000005"  # a service commissioner (近邻服务专员) at 捷安: a member, not its manager
NAMES = {ADMIN0: "思明区管理员", STREET_ADMIN: "嘉莲街道管理员", COMMUNITY_ADMIN: "莲花北社区书记",
         BRANCH_ADMIN: "观远里支部书记", PARTNER_ADMIN: "捷安集团党支部书记", RESIDENT: "林居民",
         STEWARD: "观远里物业管家", TEAM_STAFF: "物业服务队队员", XUNSIDING_ADMIN: "巡司顶社区书记",
         POLICE_ADMIN: "派出所教导员", NEIGHBOUR: "王邻居", MEMBER: "陈党员", COMMISSIONER: "近邻服务专员"}
MASKED, FULL = "138****0006", RESIDENT

# The demo's price list (观远里自管物业服务队): one approved by 莲花北社区, one waiting.
REPAIR, CLEANING = "家电维修上门服务", "楼道深度保洁"
# The demo's orders of 13800000006, by id: one at every stage (the last cancelled before dispatch).
DEMO_ORDERS = [("厨房水龙头漏水，请帮忙上门维修", "SUBMITTED"), ("空调不制冷，需要检修", "DISPATCHED"),
               ("洗衣机排水不畅", "ACCEPTED"), ("热水器点不着火", "IN_PROGRESS"), ("抽油烟机噪音大，请检修", "COMPLETED"),
               ("客厅灯具更换", "CONFIRMED"), ("阳台晾衣架松动（已自行修好）", "CANCELLED")]
DEMO_TEXTS = [text for text, _ in DEMO_ORDERS]

# --- queries ------------------------------------------------------------------------------------------------------

CREATE_OFFERING = """
mutation($input: CreateServiceOfferingInput!) {
  createServiceOffering(input: $input) {
    offering { id title category priceFen unit description approved approvedAt provider { name } }
    errors { field code message }
  }
}"""

APPROVE_OFFERING = """
mutation($input: ApproveServiceOfferingInput!) {
  approveServiceOffering(input: $input) {
    offering { title approved provider { name } } errors { field code message }
  }
}"""

OFFERINGS = """
query($filter: ServiceOfferingFilter, $first: Int, $after: String) {
  serviceOfferings(filter: $filter, first: $first, after: $after) {
    totalCount pageInfo { hasNextPage endCursor } nodes { title approved }
  }
}"""

PRICE_LIST = """
query { serviceOfferings { totalCount nodes { title category priceFen unit approved provider { name kind } } } }"""

OFFERING_NODES = """
query($ids: [ID!]!) { nodes(ids: $ids) { ... on ServiceOffering { title approved } } }"""

ORDER_FIELDS = """id status category description priceFen rating comment provider { name } offering { title }
      events { action status note actor { displayName } provider { name } }"""


def _mutation(name: str) -> str:
    return f"""
mutation($input: {name[0].upper()}{name[1:]}Input!) {{
  {name}(input: $input) {{
    order {{ {ORDER_FIELDS} }}
    errors {{ field code message }}
  }}
}}"""


MUTATIONS = {name: _mutation(name) for name in ("placeOrder", "dispatchOrder", "acceptOrder", "declineOrder",
                                                 "startOrder", "completeOrder", "confirmOrder", "cancelOrder")}

# "My orders" (我的订单) as the app asks for it.
MY_ORDERS = """
query {
  orders(filter: {mine: true}, first: 20) {
    totalCount pageInfo { hasNextPage endCursor }
    nodes { id status category description priceFen createdAt compound { name } provider { name }
            offering { title priceFen unit } }
  }
}"""

MY_ORDERS_BRIEF = """
query { orders(filter: {mine: true}) { totalCount nodes { description status priceFen provider { name }
                                                            offering { title priceFen unit } compound { name } } } }"""

# "Order detail" (订单详情) as the app asks for it.
ORDER_DETAIL = """
query($id: ID!) {
  node(id: $id) {
    ... on Order {
      id status category description priceFen rating comment createdAt
      compound { name } resident { displayName phone } provider { name } offering { title priceFen unit }
      events { action status note at actor { displayName } provider { name } }
    }
  }
}"""

ORDERS = """
query($filter: OrderFilter, $first: Int, $after: String) {
  orders(filter: $filter, first: $first, after: $after) {
    totalCount pageInfo { hasNextPage endCursor } nodes { description }
  }
}"""

ORDER_NODES = """
query($ids: [ID!]!) { nodes(ids: $ids) { ... on Order { description } } }"""

PHONES = """
query($ids: [ID!]!) { nodes(ids: $ids) { ... on Order { status resident { displayName phone } } } }"""

PHONE_LIST = """
query { orders { nodes { status resident { phone } } } }"""

# --- helpers ------------------------------------------------------------------------------------------------------


def code(body: dict) -> str:
    """The code of a top-level error."""
    return body["errors"][0]["extensions"]["code"]


def ev(action: str, status: str, actor: str | None, provider: str | None = None, note: str | None = None) -> dict:
    """One event as `ORDER_FIELDS` shows it."""
    return {"action": action, "status": status, "note": note,
            "actor": {"displayName": NAMES[actor]} if actor else None,
            "provider": {"name": provider} if provider else None}


def err(field: str, error_code: str, message: str | None = None) -> dict:
    """A payload error (`message` unchecked when None)."""
    out: dict = {"field": [field], "code": error_code}
    if message is not None:
        out["message"] = message
    return out


def without_messages(payload: dict) -> dict:
    return {**payload, "errors": [{k: v for k, v in e.items() if k != "message"} for e in payload["errors"]]}


async def person(demo: Api, phone: str, *roles: tuple[str, MemberRole], home: str | None = None) -> None:
    """A further account (named in NAMES) with roles in named orgs, optionally living in a compound."""
    user = await UserRow.create(phone=phone, display_name=NAMES[phone], password_hash="-")
    demo.users[phone] = user.id
    for org_name, role in roles:
        await Membership.create(user=user, org=await OrgRow.get(name=org_name), role=role)
    if home is not None:
        await move_in(demo, phone, home)


async def move_in(demo: Api, phone: str, compound: str) -> None:
    """Let an account live in a new household of a compound."""
    household = await HouseholdRow.create(compound=await CompoundRow.get(name=compound), unit=f"{phone[-4:]}室",
                                          area_sqm=80.0)
    await HouseholdMemberRow.create(household=household, user_id=demo.users[phone])


async def compound_id(name: str = GUANYUANLI) -> str:
    return gid("Compound", (await CompoundRow.get(name=name)).id)


async def offering_id(title: str) -> str:
    return gid("ServiceOffering", (await OfferingRow.get(title=title)).id)


def demo_order(n: int) -> str:
    """The demo order with id `n` (1..7, see DEMO_ORDERS)."""
    return gid("Order", n)


async def call(demo: Api, name: str, as_: str | None, lang: str | None = None, **fields: object) -> dict:
    """A mutation's whole response body (top-level errors included)."""
    return await demo(MUTATIONS[name], {"input": fields}, as_=as_, lang=lang)


async def act(demo: Api, name: str, as_: str, lang: str | None = None, **fields: object) -> dict:
    """A mutation's payload; a top-level error fails the test."""
    return (await demo.ok(MUTATIONS[name], {"input": fields}, as_=as_, lang=lang))[name]


async def place(demo: Api, *, as_: str = RESIDENT, offering: str | None = REPAIR, category: str = "REPAIR",
                description: str = "卫生间下水道堵塞", compound: str = GUANYUANLI) -> str:
    """A new SUBMITTED order through the API; its global id."""
    fields: dict = {"compoundId": await compound_id(compound), "category": category, "description": description}
    if offering is not None:
        fields["offeringId"] = await offering_id(offering)
    payload = await act(demo, "placeOrder", as_, **fields)
    assert payload["errors"] == [], payload
    return payload["order"]["id"]


# How to take an order one step further, and who does it (for an order of the property team).
FORWARD = {
    "SUBMITTED": ("dispatchOrder", COMMUNITY_ADMIN, {}),
    "DISPATCHED": ("acceptOrder", STEWARD, {}),
    "ACCEPTED": ("startOrder", STEWARD, {}),
    "IN_PROGRESS": ("completeOrder", STEWARD, {"note": "已疏通"}),
    "COMPLETED": ("confirmOrder", RESIDENT, {"rating": 4}),
}
LIFECYCLE = ["SUBMITTED", "DISPATCHED", "ACCEPTED", "IN_PROGRESS", "COMPLETED", "CONFIRMED"]


async def order_at(demo: Api, status: str, *, provider: str = PROPERTY_TEAM, provider_staff: str = STEWARD,
                   price: int | None = None) -> str:
    """A fresh order of RESIDENT taken through the API to `status` (CANCELLED: by staff after acceptance)."""
    order = await place(demo)
    target = "ACCEPTED" if status == "CANCELLED" else status
    for current in LIFECYCLE[:LIFECYCLE.index(target)]:
        name, phone, extra = FORWARD[current]
        if name == "dispatchOrder":
            extra = {"providerOrgId": await org_id(provider), **({"priceFen": price} if price is not None else {})}
        elif phone == STEWARD:
            phone = provider_staff
        payload = await act(demo, name, phone, orderId=order, **extra)
        assert payload["errors"] == [], (name, payload)
    if status == "CANCELLED":
        payload = await act(demo, "cancelOrder", COMMUNITY_ADMIN, orderId=order, reason="居民联系不上")
        assert payload["errors"] == [], payload
    return order


async def event_rows(order: str | None = None) -> list[tuple]:
    """Event rows as stored (all, or one order's), oldest first."""
    query = EventRow.all() if order is None else EventRow.filter(order_id=pk(order))
    return [(e.id, e.order_id, e.action, e.status, e.actor_id, e.provider_id, e.note, e.at)
            for e in await query.order_by("id")]


async def status_of(order: str) -> OrderStatus:
    return (await OrderRow.get(id=pk(order))).status


# action -> (statuses it may come from, the status it leads to); None: the order did not exist yet.
LEGAL_STEPS = {
    OrderAction.PLACED: ({None}, OrderStatus.SUBMITTED),
    OrderAction.DISPATCHED: ({OrderStatus.SUBMITTED}, OrderStatus.DISPATCHED),
    OrderAction.ACCEPTED: ({OrderStatus.DISPATCHED}, OrderStatus.ACCEPTED),
    OrderAction.DECLINED: ({OrderStatus.DISPATCHED}, OrderStatus.SUBMITTED),
    OrderAction.STARTED: ({OrderStatus.ACCEPTED}, OrderStatus.IN_PROGRESS),
    OrderAction.COMPLETED: ({OrderStatus.IN_PROGRESS}, OrderStatus.COMPLETED),
    OrderAction.CONFIRMED: ({OrderStatus.COMPLETED}, OrderStatus.CONFIRMED),
    OrderAction.CANCELLED: ({OrderStatus.SUBMITTED, OrderStatus.DISPATCHED, OrderStatus.ACCEPTED,
                             OrderStatus.IN_PROGRESS}, OrderStatus.CANCELLED),
}


@pytest.fixture(autouse=True)
async def _history_is_append_only(demo: Api) -> AsyncIterator[None]:
    before = await event_rows()
    assert len(before) == 23  # the demo's history: 1 + 2 + ... + 6 steps, and 2 of the cancelled order
    yield
    after = await event_rows()
    assert after[:len(before)] == before, "an existing order event was changed or removed"
    history: dict[int, list[tuple]] = {}
    for row in after:
        history.setdefault(row[1], []).append(row)
    for order in await OrderRow.all():
        status = provider = None
        for _, _, action, to, _, event_provider, _, _ in history[order.id]:
            sources, target = LEGAL_STEPS[action]
            assert status in sources and to is target, (order.id, status, action, to)
            status = to
            if action in (OrderAction.DISPATCHED, OrderAction.DECLINED):
                provider = event_provider if action is OrderAction.DISPATCHED else None
        assert status is order.status, (order.id, status, order.status)
        # The order is with the provider of its last dispatch (none after a decline), at a price then.
        assert order.provider_id == provider and (order.price_fen is None) is (provider is None), order.id


# --- the demo data ------------------------------------------------------------------------------------------------


async def test_the_demo_price_list_and_an_order_at_every_stage(demo: Api) -> None:
    repair = {"title": REPAIR, "category": "REPAIR", "priceFen": 3000, "unit": "次", "approved": True,
              "provider": {"name": PROPERTY_TEAM, "kind": "VOLUNTEER_TEAM"}}
    assert await demo.ok(PRICE_LIST, as_=RESIDENT) == {"serviceOfferings": {"totalCount": 1, "nodes": [repair]}}
    cleaning = {"title": CLEANING, "category": "ENVIRONMENT", "priceFen": 2000, "unit": "次", "approved": False,
                "provider": {"name": PROPERTY_TEAM, "kind": "VOLUNTEER_TEAM"}}
    assert await demo.ok(PRICE_LIST, as_=STEWARD) == {"serviceOfferings": {"totalCount": 2,
                                                                           "nodes": [repair, cleaning]}}
    # The steward is the team's STAFF; the team is a property service team of 观远里's branch.
    team = await OrgRow.get(name=PROPERTY_TEAM)
    steward = await UserRow.get(phone=STEWARD)
    assert (steward.display_name, (await Membership.get(user_id=steward.id)).org_id) == (NAMES[STEWARD], team.id)
    assert (await OrgRow.get(id=team.parent_id)).name == BRANCH
    approved = await OfferingRow.get(title=REPAIR)
    assert approved.approved_by_id == demo.users[COMMUNITY_ADMIN] and approved.approved_at is not None

    body = await demo.ok(MY_ORDERS_BRIEF, as_=RESIDENT)
    offering = {"title": REPAIR, "priceFen": 3000, "unit": "次"}
    expected = []
    for text, status in reversed(DEMO_ORDERS):  # newest first
        dispatched = status not in ("SUBMITTED", "CANCELLED")
        expected.append({"description": text, "status": status, "priceFen": 3000 if dispatched else None,
                         "provider": {"name": PROPERTY_TEAM} if dispatched else None, "offering": offering,
                         "compound": {"name": GUANYUANLI}})
    assert body == {"orders": {"totalCount": 7, "nodes": expected}}
    assert sorted(node["status"] for node in body["orders"]["nodes"]) == sorted(s.value for s in OrderStatus)

    # Each order's history is the way it came, by the resident, the community and the steward.
    steps = [ev("PLACED", "SUBMITTED", RESIDENT), ev("DISPATCHED", "DISPATCHED", COMMUNITY_ADMIN, PROPERTY_TEAM),
             ev("ACCEPTED", "ACCEPTED", STEWARD, PROPERTY_TEAM), ev("STARTED", "IN_PROGRESS", STEWARD, PROPERTY_TEAM),
             ev("COMPLETED", "COMPLETED", STEWARD, PROPERTY_TEAM, "已更换阀芯，试用正常。"),
             ev("CONFIRMED", "CONFIRMED", RESIDENT, PROPERTY_TEAM, "师傅很专业，准时上门。")]
    for n in range(1, 7):
        detail = (await demo.ok(ORDER_DETAIL, {"id": demo_order(n)}, as_=RESIDENT))["node"]
        assert [{k: v for k, v in e.items() if k != "at"} for e in detail["events"]] == steps[:n], n
        assert (detail["rating"], detail["comment"]) == ((5, "师傅很专业，准时上门。") if n == 6 else (None, None))
        assert detail["resident"] == {"displayName": NAMES[RESIDENT], "phone": FULL}
    cancelled = (await demo.ok(ORDER_DETAIL, {"id": demo_order(7)}, as_=RESIDENT))["node"]
    assert [{k: v for k, v in e.items() if k != "at"} for e in cancelled["events"]] == [
        ev("PLACED", "SUBMITTED", RESIDENT), ev("CANCELLED", "CANCELLED", RESIDENT, note="已自行修好")]


# --- createServiceOffering ----------------------------------------------------------------------------------------


def offering_input(provider: str, **overrides: object) -> dict:
    return {"input": {"providerOrgId": provider, "title": "管道疏通", "category": "REPAIR", "priceFen": 8000,
                      "unit": "次", "description": "马桶、地漏、下水管疏通。", **overrides}}


async def test_provider_staff_post_an_offering_awaiting_approval(demo: Api) -> None:
    team = await org_id(PROPERTY_TEAM)
    body = await demo.ok(CREATE_OFFERING, offering_input(team, title="  管道疏通 ", unit=" 次 "), as_=STEWARD)
    payload = body["createServiceOffering"]
    created = payload["offering"].pop("id")
    assert payload == {"offering": {"title": "管道疏通", "category": "REPAIR", "priceFen": 8000, "unit": "次",
                                    "description": "马桶、地漏、下水管疏通。", "approved": False, "approvedAt": None,
                                    "provider": {"name": PROPERTY_TEAM}}, "errors": []}
    row = await OfferingRow.get(id=pk(created))
    assert (row.provider_id, row.price_fen, row.approved_at, row.approved_by_id) == (
        (await OrgRow.get(name=PROPERTY_TEAM)).id, 8000, None, None)
    # A partner unit's admin for the unit; the branch's admin for the team below it; the bounds are allowed.
    for phone, provider, overrides in (
            (PARTNER_ADMIN, JIEAN, {"title": "法律咨询", "category": "MEDIATION", "priceFen": 0, "unit": "小时"}),
            (BRANCH_ADMIN, PROPERTY_TEAM, {"title": "长" * 100, "priceFen": 100_000_000, "unit": "单" * 20,
                                           "description": ""}),
            (COMMUNITY_ADMIN, HELPERS, {"title": "陪诊", "category": "ELDERLY_CARE"})):
        body = await demo.ok(CREATE_OFFERING, offering_input(await org_id(provider), **overrides), as_=phone)
        offering = body["createServiceOffering"]
        assert offering["errors"] == [] and offering["offering"]["provider"] == {"name": provider}, phone
        assert offering["offering"]["approved"] is False
    assert await OfferingRow.filter(approved_at=None).count() == 5


async def test_who_may_post_offerings_and_for_which_kinds_of_org(demo: Api) -> None:
    team = await org_id(PROPERTY_TEAM)
    # Not the provider's staff: refused outright, whatever else is wrong with the input.
    for phone, provider in ((RESIDENT, team), (MEMBER, team), (PARTNER_ADMIN, team), (STEWARD, await org_id(JIEAN)),
                            (COMMUNITY_ADMIN, await org_id(POLICE)), (BRANCH_ADMIN, await org_id(COMMUNITY))):
        body = await demo(CREATE_OFFERING, offering_input(provider, priceFen=-1), as_=phone)
        assert code(body) == "FORBIDDEN" and body["data"] is None, phone
    assert code(await demo(CREATE_OFFERING, offering_input(team))) == "UNAUTHENTICATED"
    # Managers of an org that is no provider: INVALID on the provider (zh and en).
    for phone, org in ((COMMUNITY_ADMIN, COMMUNITY), (BRANCH_ADMIN, BRANCH), (STREET_ADMIN, STREET),
                       (ADMIN0, DISTRICT)):
        for lang, text in ((None, "服务方须为共建单位或服务队"), ("en", "The provider must be a partner unit or a service team")):
            body = await demo.ok(CREATE_OFFERING, offering_input(await org_id(org)), as_=phone, lang=lang)
            assert body == {"createServiceOffering": {"offering": None, "errors": [
                err("providerOrgId", "INVALID", text)]}}, (phone, org)
    for bad in (gid("Org", 9999), "garbage", gid("Compound", 1)):
        body = await demo.ok(CREATE_OFFERING, offering_input(bad), as_=ADMIN0)
        assert body == {"createServiceOffering": {"offering": None, "errors": [
            err("providerOrgId", "NOT_FOUND", "找不到该对象")]}}
    assert await OfferingRow.all().count() == 2


async def test_offering_validation_in_chinese_and_english(demo: Api) -> None:
    team = await org_id(PROPERTY_TEAM)
    bad = offering_input(team, title="   ", unit="", description="说" * 2001, priceFen=-1)
    zh = await demo.ok(CREATE_OFFERING, bad, as_=STEWARD)
    assert zh == {"createServiceOffering": {"offering": None, "errors": [
        err("title", "INVALID", "长度须为 1–100 个字符"), err("unit", "INVALID", "长度须为 1–20 个字符"),
        err("description", "INVALID", "长度须为 0–2000 个字符"), err("priceFen", "INVALID", "须在 0 到 100000000 之间")]}}
    en = await demo.ok(CREATE_OFFERING, bad, as_=STEWARD, lang="en")
    assert en == {"createServiceOffering": {"offering": None, "errors": [
        err("title", "INVALID", "Must be 1 to 100 characters long"),
        err("unit", "INVALID", "Must be 1 to 20 characters long"),
        err("description", "INVALID", "Must be 0 to 2000 characters long"),
        err("priceFen", "INVALID", "Must be between 0 and 100000000")]}}
    for overrides, field in (({"title": "长" * 101}, "title"), ({"unit": "单" * 21}, "unit"),
                             ({"priceFen": 100_000_001}, "priceFen"), ({"title": "管道\x00疏通"}, "title")):
        body = await demo.ok(CREATE_OFFERING, offering_input(team, **overrides), as_=STEWARD)
        assert without_messages(body["createServiceOffering"]) == {"offering": None,
                                                                    "errors": [err(field, "INVALID")]}, overrides
    # Beyond a GraphQL Int: a request error, not a fault.
    body = await demo(CREATE_OFFERING, offering_input(team, priceFen=2**31), as_=STEWARD)
    assert body["data"] is None and "INTERNAL" not in str(body["errors"])
    assert await OfferingRow.all().count() == 2


# --- approveServiceOffering ---------------------------------------------------------------------------------------


async def approve(demo: Api, offering: str, as_: str | None, lang: str | None = None) -> dict:
    return await demo(APPROVE_OFFERING, {"input": {"offeringId": offering}}, as_=as_, lang=lang)


async def new_offering(demo: Api, provider: str, title: str, as_: str, category: str = "OTHER") -> str:
    body = await demo.ok(CREATE_OFFERING, offering_input(await org_id(provider), title=title, category=category),
                         as_=as_)
    assert body["createServiceOffering"]["errors"] == [], body
    return body["createServiceOffering"]["offering"]["id"]


async def test_a_teams_offering_is_approved_by_community_staff_once(demo: Api) -> None:
    cleaning = await offering_id(CLEANING)
    # The provider alone may not: its staff, and the branch above it (which manages the team), see it but are refused.
    for phone in (STEWARD, BRANCH_ADMIN):
        assert code(await approve(demo, cleaning, phone)) == "FORBIDDEN", phone
    # Whoever does not see a pending offering finds nothing.
    for phone in (RESIDENT, MEMBER, PARTNER_ADMIN):
        body = await approve(demo, cleaning, phone)
        assert body["data"] == {"approveServiceOffering": {"offering": None, "errors": [
            err("offeringId", "NOT_FOUND", "找不到该对象")]}}, phone
    assert code(await approve(demo, cleaning, None)) == "UNAUTHENTICATED"
    for bad in (gid("ServiceOffering", 999), "garbage", demo_order(1)):
        body = await approve(demo, bad, COMMUNITY_ADMIN, lang="en")
        assert body["data"]["approveServiceOffering"]["errors"] == [err("offeringId", "NOT_FOUND", "No such object")]
    assert (await OfferingRow.get(title=CLEANING)).approved_at is None

    body = await approve(demo, cleaning, COMMUNITY_ADMIN)
    assert body == {"data": {"approveServiceOffering": {"offering": {
        "title": CLEANING, "approved": True, "provider": {"name": PROPERTY_TEAM}}, "errors": []}}}
    row = await OfferingRow.get(title=CLEANING)
    assert row.approved_by_id == demo.users[COMMUNITY_ADMIN] and row.approved_at is not None
    approved_at = row.approved_at
    # Once: the street's admin (who could have) finds it approved; nothing is overwritten.
    for lang, text in ((None, "该服务已审核通过"), ("en", "This offering has already been approved")):
        again = await approve(demo, cleaning, STREET_ADMIN, lang=lang)
        assert again == {"data": {"approveServiceOffering": {"offering": None, "errors": [
            err("offeringId", "INVALID_STATE", text)]}}}
    assert code(await approve(demo, cleaning, RESIDENT)) == "FORBIDDEN"  # now seen by all, still not theirs
    row = await OfferingRow.get(title=CLEANING)
    assert (row.approved_by_id, row.approved_at) == (demo.users[COMMUNITY_ADMIN], approved_at)
    # Residents see it now.
    listed = await demo.ok(OFFERINGS, as_=RESIDENT)
    assert listed["serviceOfferings"]["nodes"] == [{"title": REPAIR, "approved": True},
                                                   {"title": CLEANING, "approved": True}]
    # The street and the district approve teams below them too; another community does not.
    await person(demo, XUNSIDING_ADMIN, (XUNSIDING, MemberRole.STAFF))
    for phone in (STREET_ADMIN, ADMIN0):
        offering = await new_offering(demo, HELPERS, f"助浴 {phone}", BRANCH_ADMIN)
        assert (await approve(demo, offering, XUNSIDING_ADMIN))["data"]["approveServiceOffering"]["errors"] == [
            err("offeringId", "NOT_FOUND", "找不到该对象")]
        assert (await approve(demo, offering, phone))["data"]["approveServiceOffering"]["errors"] == []


async def test_a_partner_units_offering_is_approved_by_managers_of_a_paired_org(demo: Api) -> None:
    await person(demo, XUNSIDING_ADMIN, (XUNSIDING, MemberRole.STAFF))
    await person(demo, POLICE_ADMIN, (POLICE, MemberRole.ADMIN))
    law = await new_offering(demo, JIEAN, "法律咨询", PARTNER_ADMIN, "MEDIATION")
    # The unit itself sees it but may not approve; 莲花北社区 lies under the paired street but is not paired itself.
    assert code(await approve(demo, law, PARTNER_ADMIN)) == "FORBIDDEN"
    for phone in (COMMUNITY_ADMIN, BRANCH_ADMIN, STEWARD, RESIDENT, POLICE_ADMIN):
        body = await approve(demo, law, phone)
        assert body["data"]["approveServiceOffering"]["errors"] == [err("offeringId", "NOT_FOUND", "找不到该对象")]
    body = await approve(demo, law, XUNSIDING_ADMIN)  # 巡司顶社区 is paired with 捷安
    assert body["data"]["approveServiceOffering"] == {
        "offering": {"title": "法律咨询", "approved": True, "provider": {"name": JIEAN}}, "errors": []}
    again = await approve(demo, law, STREET_ADMIN)
    assert again["data"]["approveServiceOffering"]["errors"] == [
        err("offeringId", "INVALID_STATE", "该服务已审核通过")]
    # The paired street approves, and the district above every paired org.
    for phone in (STREET_ADMIN, ADMIN0):
        offering = await new_offering(demo, JIEAN, f"企业普法 {phone}", PARTNER_ADMIN)
        assert (await approve(demo, offering, phone))["data"]["approveServiceOffering"]["errors"] == []
    # 鹭江派出所 is paired with 鹭江街道 only: not 嘉莲街道's to approve, but the district's.
    police = await new_offering(demo, POLICE, "防诈骗讲座", POLICE_ADMIN, "SAFETY_PATROL")
    assert code(await approve(demo, police, POLICE_ADMIN)) == "FORBIDDEN"
    body = await approve(demo, police, STREET_ADMIN)
    assert body["data"]["approveServiceOffering"]["errors"] == [err("offeringId", "NOT_FOUND", "找不到该对象")]
    assert (await approve(demo, police, ADMIN0))["data"]["approveServiceOffering"]["errors"] == []
    approvers = {o.title: o.approved_by_id for o in await OfferingRow.filter(provider__kind="PARTNER_UNIT")}
    assert approvers == {"法律咨询": demo.users[XUNSIDING_ADMIN], f"企业普法 {STREET_ADMIN}": demo.users[STREET_ADMIN],
                         f"企业普法 {ADMIN0}": demo.users[ADMIN0], "防诈骗讲座": demo.users[ADMIN0]}


async def test_concurrent_approvals_approve_once(demo: Api) -> None:
    cleaning = await offering_id(CLEANING)
    bodies = await asyncio.gather(*(approve(demo, cleaning, phone)
                                    for phone in (COMMUNITY_ADMIN, STREET_ADMIN, ADMIN0, COMMUNITY_ADMIN)))
    assert outcomes(bodies, "approveServiceOffering") == {"OK": 1, "INVALID_STATE": 3}
    winner = next(phone for phone, body in zip((COMMUNITY_ADMIN, STREET_ADMIN, ADMIN0, COMMUNITY_ADMIN), bodies)
                  if not body["data"]["approveServiceOffering"]["errors"])
    assert (await OfferingRow.get(title=CLEANING)).approved_by_id == demo.users[winner]


# --- who sees offerings -------------------------------------------------------------------------------------------


async def test_pending_offerings_are_seen_by_their_provider_and_approvers_only(demo: Api) -> None:
    await person(demo, XUNSIDING_ADMIN, (XUNSIDING, MemberRole.STAFF))
    law = await new_offering(demo, JIEAN, "法律咨询", PARTNER_ADMIN, "MEDIATION")
    ids = [await offering_id(REPAIR), await offering_id(CLEANING), law]
    approved = {"title": REPAIR, "approved": True}
    cleaning = {"title": CLEANING, "approved": False}
    legal = {"title": "法律咨询", "approved": False}
    seen = {
        RESIDENT: [approved], MEMBER: [approved],
        STEWARD: [approved, cleaning],            # the team's staff
        BRANCH_ADMIN: [approved, cleaning],       # manages the team
        COMMUNITY_ADMIN: [approved, cleaning],    # approves the team's prices
        PARTNER_ADMIN: [approved, legal],         # the unit's own
        XUNSIDING_ADMIN: [approved, legal],       # paired with the unit
        STREET_ADMIN: [approved, cleaning, legal], ADMIN0: [approved, cleaning, legal],
    }
    for phone, nodes in seen.items():
        listed = await demo.ok(OFFERINGS, as_=phone)
        assert listed["serviceOfferings"] == {"totalCount": len(nodes), "nodes": nodes,
                                              "pageInfo": listed["serviceOfferings"]["pageInfo"]}, phone
        by_id = await demo.ok(OFFERING_NODES, {"ids": ids}, as_=phone)
        assert by_id == {"nodes": [o if o in nodes else None for o in (approved, cleaning, legal)]}, phone
    assert code(await demo(OFFERINGS)) == "UNAUTHENTICATED"
    assert await demo.ok(OFFERING_NODES, {"ids": ids}) == {"nodes": [None, None, None]}

    async def titles(filter: dict, phone: str = ADMIN0) -> tuple[int, list[str]]:
        body = (await demo.ok(OFFERINGS, {"filter": filter}, as_=phone))["serviceOfferings"]
        return body["totalCount"], [n["title"] for n in body["nodes"]]

    assert await titles({"approved": False}) == (2, [CLEANING, "法律咨询"])
    assert await titles({"approved": False}, RESIDENT) == (0, [])
    assert await titles({"approved": True}) == (1, [REPAIR])
    assert await titles({"providerId": await org_id(JIEAN)}) == (1, ["法律咨询"])
    assert await titles({"providerId": await org_id(JIEAN)}, RESIDENT) == (0, [])
    assert await titles({"providerId": await org_id(PROPERTY_TEAM)}, RESIDENT) == (1, [REPAIR])
    assert await titles({"category": "ENVIRONMENT"}) == (1, [CLEANING])
    assert await titles({"category": "REPAIR", "approved": True}, PARTNER_ADMIN) == (1, [REPAIR])
    # Pages, oldest first.
    first = (await demo.ok(OFFERINGS, {"first": 2}, as_=ADMIN0))["serviceOfferings"]
    assert [n["title"] for n in first["nodes"]] == [REPAIR, CLEANING] and first["pageInfo"]["hasNextPage"]
    rest = (await demo.ok(OFFERINGS, {"first": 2, "after": first["pageInfo"]["endCursor"]},
                          as_=ADMIN0))["serviceOfferings"]
    assert [n["title"] for n in rest["nodes"]] == ["法律咨询"] and not rest["pageInfo"]["hasNextPage"]


# --- placeOrder ---------------------------------------------------------------------------------------------------


async def test_a_resident_places_an_order(demo: Api) -> None:
    fields = {"compoundId": await compound_id(), "category": "REPAIR", "description": " 卫生间下水道堵塞 ",
              "offeringId": await offering_id(REPAIR), "preferredTime": "2031-05-01T09:30:00+08:00"}
    payload = await act(demo, "placeOrder", RESIDENT, **fields)
    order = payload["order"].pop("id")
    assert payload == {"order": {"status": "SUBMITTED", "category": "REPAIR", "description": "卫生间下水道堵塞",
                                 "priceFen": None, "rating": None, "comment": None, "provider": None,
                                 "offering": {"title": REPAIR}, "events": [ev("PLACED", "SUBMITTED", RESIDENT)]},
                       "errors": []}
    row = await OrderRow.get(id=pk(order))
    community = await OrgRow.get(name=COMMUNITY)
    assert (row.resident_id, row.community_id, row.status, row.offering_id, row.provider_id) == (
        demo.users[RESIDENT], community.id, OrderStatus.SUBMITTED, (await OfferingRow.get(title=REPAIR)).id, None)
    assert row.preferred_time is not None and row.preferred_time.isoformat().startswith("2031-05-01T01:30:00")
    assert [(r[2], r[3], r[4], r[5], r[6]) for r in await event_rows(order)] == [
        (OrderAction.PLACED, OrderStatus.SUBMITTED, demo.users[RESIDENT], None, None)]
    # Without an offering; and by the party member, who lives in 观远里 too.
    for phone in (RESIDENT, MEMBER):
        free = await act(demo, "placeOrder", phone, compoundId=await compound_id(), category="ELDERLY_CARE",
                         description="想请人陪同去医院复诊")
        assert free["errors"] == [] and (free["order"]["offering"], free["order"]["status"]) == (None, "SUBMITTED")
    mine = await demo.ok(ORDERS, {"filter": {"mine": True}}, as_=MEMBER)
    assert mine["orders"]["nodes"] == [{"description": "想请人陪同去医院复诊"}]


async def test_place_order_refusals(demo: Api) -> None:
    guanyuanli, repair, cleaning = await compound_id(), await offering_id(REPAIR), await offering_id(CLEANING)

    async def refused(phone: str, lang: str | None = None, **overrides: object) -> list[dict]:
        fields = {"compoundId": guanyuanli, "category": "REPAIR", "description": "门锁坏了", **overrides}
        payload = await act(demo, "placeOrder", phone, lang=lang, **fields)
        assert payload["order"] is None
        return payload["errors"]

    # Only residents of the compound (household members): staff, other compounds' residents, the steward.
    for phone in (COMMUNITY_ADMIN, BRANCH_ADMIN, STEWARD, PARTNER_ADMIN):
        assert await refused(phone) == [err("compoundId", "INVALID", "您不是该小区的住户")], phone
    assert await refused(RESIDENT, "en", compoundId=await compound_id(HAILONG)) == [
        err("compoundId", "INVALID", "You do not live in this compound")]
    for bad in (gid("Compound", 999), "garbage", repair):
        assert await refused(RESIDENT, compoundId=bad) == [err("compoundId", "NOT_FOUND", "找不到该对象")]
    assert code(await call(demo, "placeOrder", None, compoundId=guanyuanli, category="REPAIR", description="x")) \
        == "UNAUTHENTICATED"
    # Text and offering checks.
    assert await refused(RESIDENT, description="  ") == [err("description", "INVALID", "长度须为 1–2000 个字符")]
    assert await refused(RESIDENT, "en", description="修" * 2001) == [
        err("description", "INVALID", "Must be 1 to 2000 characters long")]
    for bad in (gid("ServiceOffering", 999), cleaning):  # a pending offering is not the resident's to see
        assert await refused(RESIDENT, offeringId=bad) == [err("offeringId", "NOT_FOUND", "找不到该对象")]
    assert await refused(RESIDENT, "en", category="ENVIRONMENT", offeringId=repair) == [
        err("category", "INVALID", "The category differs from the chosen offering's")]
    assert await refused(RESIDENT, description="", category="ENVIRONMENT", offeringId=repair) == [
        err("description", "INVALID", "长度须为 1–2000 个字符"), err("category", "INVALID", "类别与所选服务不一致")]
    # The steward, living in 观远里, sees the team's pending offering: not yet orderable.
    await move_in(demo, STEWARD, GUANYUANLI)
    assert await refused(STEWARD, category="ENVIRONMENT", offeringId=cleaning) == [
        err("offeringId", "INVALID_STATE", "该服务尚未审核通过")]
    assert await refused(STEWARD, "en", category="ENVIRONMENT", offeringId=cleaning) == [
        err("offeringId", "INVALID_STATE", "This offering has not been approved yet")]
    assert await OrderRow.all().count() == 7
    ok = await act(demo, "placeOrder", STEWARD, compoundId=guanyuanli, category="REPAIR", description="门锁坏了",
                   offeringId=repair)
    assert ok["errors"] == []


# --- the lifecycle ------------------------------------------------------------------------------------------------


async def test_an_order_from_placing_to_confirmation(demo: Api) -> None:
    order = await place(demo)
    history = [ev("PLACED", "SUBMITTED", RESIDENT)]
    team = await org_id(PROPERTY_TEAM)
    steps = [
        ("dispatchOrder", COMMUNITY_ADMIN, {"providerOrgId": team}, ev("DISPATCHED", "DISPATCHED", COMMUNITY_ADMIN,
                                                                       PROPERTY_TEAM)),
        ("acceptOrder", STEWARD, {}, ev("ACCEPTED", "ACCEPTED", STEWARD, PROPERTY_TEAM)),
        ("startOrder", STEWARD, {}, ev("STARTED", "IN_PROGRESS", STEWARD, PROPERTY_TEAM)),
        ("completeOrder", STEWARD, {"note": " 已疏通，建议少倒油污 "},
         ev("COMPLETED", "COMPLETED", STEWARD, PROPERTY_TEAM, "已疏通，建议少倒油污")),
        ("confirmOrder", RESIDENT, {"rating": 4, "comment": "上门及时"},
         ev("CONFIRMED", "CONFIRMED", RESIDENT, PROPERTY_TEAM, "上门及时")),
    ]
    for name, phone, extra, event in steps:
        before = await event_rows()
        payload = await act(demo, name, phone, orderId=order, **extra)
        history.append(event)
        assert payload["errors"] == [] and payload["order"]["events"] == history, name
        after = await event_rows()
        assert after[:-1] == before and len(after) == len(before) + 1, name  # one row appended, none changed
        assert after[-1][1:3] == (pk(order), OrderAction(event["action"]))
        assert after[-1][4] == demo.users[phone]
    # The whole order at the end: the offering's price (dispatched to its provider without a price), the rating.
    assert payload == {"order": {"id": order, "status": "CONFIRMED", "category": "REPAIR",
                                 "description": "卫生间下水道堵塞", "priceFen": 3000, "rating": 4, "comment": "上门及时",
                                 "provider": {"name": PROPERTY_TEAM}, "offering": {"title": REPAIR},
                                 "events": history}, "errors": []}
    row = await OrderRow.get(id=pk(order))
    assert (row.status, row.price_fen, row.rating, row.comment, row.provider_id) == (
        OrderStatus.CONFIRMED, 3000, 4, "上门及时", (await OrgRow.get(name=PROPERTY_TEAM)).id)
    detail = (await demo.ok(ORDER_DETAIL, {"id": order}, as_=RESIDENT))["node"]
    times = [e["at"] for e in detail["events"]]
    parsed = [datetime.fromisoformat(t) for t in times]
    assert parsed == sorted(parsed) and all(t.tzinfo is not None for t in parsed)  # ISO-8601 with an offset


async def test_a_partner_unit_serves_an_order_at_a_price_set_by_the_community(demo: Api) -> None:
    order = await order_at(demo, "COMPLETED", provider=JIEAN, provider_staff=PARTNER_ADMIN, price=4500)
    payload = await act(demo, "confirmOrder", RESIDENT, orderId=order, rating=5)
    assert payload["errors"] == [] and payload["order"]["priceFen"] == 4500
    assert [{k: e[k] for k in ("action", "note")} | {"by": e["actor"]["displayName"]}
            for e in payload["order"]["events"]] == [
        {"action": "PLACED", "note": None, "by": NAMES[RESIDENT]},
        {"action": "DISPATCHED", "note": None, "by": NAMES[COMMUNITY_ADMIN]},
        {"action": "ACCEPTED", "note": None, "by": NAMES[PARTNER_ADMIN]},
        {"action": "STARTED", "note": None, "by": NAMES[PARTNER_ADMIN]},
        {"action": "COMPLETED", "note": "已疏通", "by": NAMES[PARTNER_ADMIN]},
        {"action": "CONFIRMED", "note": None, "by": NAMES[RESIDENT]}]
    assert {e["provider"]["name"] for e in payload["order"]["events"][1:]} == {JIEAN}
    assert (await OrderRow.get(id=pk(order))).comment is None


async def test_confirmation_validation(demo: Api) -> None:
    order = await order_at(demo, "COMPLETED")
    for rating in (0, 6, -1):
        payload = await act(demo, "confirmOrder", RESIDENT, orderId=order, rating=rating)
        assert payload == {"order": None, "errors": [err("rating", "INVALID", "须在 1 到 5 之间")]}, rating
    payload = await act(demo, "confirmOrder", RESIDENT, "en", orderId=order, rating=9, comment="好" * 2001)
    assert payload == {"order": None, "errors": [err("rating", "INVALID", "Must be between 1 and 5"),
                                                 err("comment", "INVALID", "Must be 0 to 2000 characters long")]}
    assert await status_of(order) is OrderStatus.COMPLETED
    payload = await act(demo, "confirmOrder", RESIDENT, orderId=order, rating=1, comment="  ")
    assert payload["errors"] == [] and (payload["order"]["rating"], payload["order"]["comment"]) == (1, None)


# --- wrong actors -------------------------------------------------------------------------------------------------


async def test_every_transition_refuses_the_wrong_actors(demo: Api) -> None:
    """An order dispatched to 捷安 (a partner unit: the community's staff do not manage it)."""
    await person(demo, XUNSIDING_ADMIN, (XUNSIDING, MemberRole.STAFF))
    await person(demo, NEIGHBOUR, home=GUANYUANLI)  # lives in the same compound
    await person(demo, COMMISSIONER, (JIEAN, MemberRole.COMMISSIONER))
    order = await place(demo)
    jiean = await org_id(JIEAN)
    extras = {"dispatchOrder": {"providerOrgId": jiean, "priceFen": 5000}, "declineOrder": {"reason": "人手不足"},
              "completeOrder": {"note": "好了"}, "confirmOrder": {"rating": 5}, "cancelOrder": {"reason": "重复下单"}}
    # (mutation, the actors who see the order but may not, the actors who do not see it, the actor who may)
    plan = [
        # The compound's branch sees its orders but neither dispatches nor serves them.
        ("dispatchOrder", [RESIDENT, BRANCH_ADMIN], [PARTNER_ADMIN, STEWARD, MEMBER, NEIGHBOUR, XUNSIDING_ADMIN],
         COMMUNITY_ADMIN),
        ("acceptOrder", [RESIDENT, COMMUNITY_ADMIN, STREET_ADMIN, ADMIN0, BRANCH_ADMIN],
         [STEWARD, MEMBER, NEIGHBOUR, XUNSIDING_ADMIN, COMMISSIONER], PARTNER_ADMIN),
        ("startOrder", [RESIDENT, COMMUNITY_ADMIN, BRANCH_ADMIN], [STEWARD, NEIGHBOUR], PARTNER_ADMIN),
        ("completeOrder", [RESIDENT, STREET_ADMIN], [STEWARD, MEMBER, XUNSIDING_ADMIN], PARTNER_ADMIN),
        ("confirmOrder", [PARTNER_ADMIN, COMMUNITY_ADMIN, ADMIN0], [STEWARD, NEIGHBOUR, XUNSIDING_ADMIN], RESIDENT),
    ]
    for name, forbidden, blind, right in plan:
        before, status = await event_rows(), await status_of(order)
        for phone in forbidden:
            body = await call(demo, name, phone, orderId=order, **extras.get(name, {}))
            assert code(body) == "FORBIDDEN" and body["data"] is None, (name, phone)
        for phone in blind:
            payload = await act(demo, name, phone, orderId=order, **extras.get(name, {}))
            assert payload == {"order": None, "errors": [err("orderId", "NOT_FOUND", "找不到该对象")]}, (name, phone)
        assert code(await call(demo, name, None, orderId=order, **extras.get(name, {}))) == "UNAUTHENTICATED"
        assert await event_rows() == before and await status_of(order) is status, name
        # The decline and the cancellation are refused to the same people, at the state where they apply.
        if name == "acceptOrder":
            for phone in forbidden:
                assert code(await call(demo, "declineOrder", phone, orderId=order, reason="忙")) == "FORBIDDEN"
            for phone in (PARTNER_ADMIN, STEWARD, MEMBER):
                body = await call(demo, "cancelOrder", phone, orderId=order, reason="不要了")
                assert (code(body) == "FORBIDDEN") if phone == PARTNER_ADMIN else (
                    body["data"]["cancelOrder"]["errors"] == [err("orderId", "NOT_FOUND", "找不到该对象")]), phone
            assert await event_rows() == before
        payload = await act(demo, name, right, orderId=order, **extras.get(name, {}))
        assert payload["errors"] == [], (name, payload)
    assert await status_of(order) is OrderStatus.CONFIRMED
    # Unknown and malformed ids look like invisible ones.
    for bad in (gid("Order", 999), "garbage", await compound_id()):
        payload = await act(demo, "acceptOrder", PARTNER_ADMIN, "en", orderId=bad)
        assert payload == {"order": None, "errors": [err("orderId", "NOT_FOUND", "No such object")]}


async def test_a_teams_orders_are_served_by_the_managers_above_it_too(demo: Api) -> None:
    # A team has no life of its own: ADMIN/STAFF of its branch, community, street and district manage it, so they
    # may act as the provider (a partner unit has no such ancestors, see the test above).
    for phone in (BRANCH_ADMIN, COMMUNITY_ADMIN, STREET_ADMIN, ADMIN0):
        order = await order_at(demo, "DISPATCHED")
        payload = await act(demo, "acceptOrder", phone, orderId=order)
        assert payload["errors"] == [] and payload["order"]["events"][-1] == ev(
            "ACCEPTED", "ACCEPTED", phone, PROPERTY_TEAM), phone
    # The other team of 观远里 is no provider of an order dispatched to the property team.
    await person(demo, TEAM_STAFF, (HELPERS, MemberRole.STAFF))
    order = await order_at(demo, "DISPATCHED")
    payload = await act(demo, "acceptOrder", TEAM_STAFF, orderId=order)
    assert payload["errors"] == [err("orderId", "NOT_FOUND", "找不到该对象")]


# --- wrong states -------------------------------------------------------------------------------------------------


async def test_every_transition_refuses_the_wrong_states(demo: Api) -> None:
    # The demo orders 1..7 stand at SUBMITTED, DISPATCHED, ACCEPTED, IN_PROGRESS, COMPLETED, CONFIRMED, CANCELLED.
    # Order 8 is cancelled after acceptance: the team still sees it, it was dispatched to it.
    await act(demo, "cancelOrder", COMMUNITY_ADMIN, orderId=await order_at(demo, "ACCEPTED"), reason="测试")
    before = await event_rows()
    team = await org_id(PROPERTY_TEAM)
    statuses = dict(enumerate([s for _, s in DEMO_ORDERS] + ["CANCELLED"], start=1))
    cases = [  # mutation, actor, input, the orders where it is refused
        ("dispatchOrder", COMMUNITY_ADMIN, {"providerOrgId": team, "priceFen": 100}, [2, 3, 4, 5, 6, 7, 8]),
        ("acceptOrder", STEWARD, {}, [3, 4, 5, 6, 8]),
        ("declineOrder", STEWARD, {"reason": "忙"}, [3, 4, 5, 6, 8]),
        ("startOrder", STEWARD, {}, [2, 4, 5, 6, 8]),
        ("completeOrder", STEWARD, {}, [2, 3, 5, 6, 8]),
        ("confirmOrder", RESIDENT, {"rating": 5}, [1, 2, 3, 4, 6, 7, 8]),
        ("cancelOrder", RESIDENT, {}, [3, 4, 5, 6, 7, 8]),         # the resident: only before ACCEPTED
        ("cancelOrder", COMMUNITY_ADMIN, {"reason": "核实无需服务"}, [5, 6, 7, 8]),  # staff: before COMPLETED
    ]
    for name, phone, extra, refused in cases:
        for n in refused:
            order = gid("Order", n)
            payload = await act(demo, name, phone, orderId=order, **extra)
            assert payload == {"order": None, "errors": [err(
                "orderId", "INVALID_STATE", f"订单当前状态为 {statuses[n]}，不能进行此操作")]}, (name, n)
    payload = await act(demo, "acceptOrder", STEWARD, "en", orderId=demo_order(6))
    assert payload["errors"] == [err("orderId", "INVALID_STATE", "The order is CONFIRMED; this step is not possible")]
    # The provider cannot act on orders not (or no longer) dispatched to it; those who manage it see a SUBMITTED
    # order only as community staff and are refused as the provider.
    for n in (1, 7):
        assert (await act(demo, "acceptOrder", STEWARD, orderId=gid("Order", n)))["errors"] == [
            err("orderId", "NOT_FOUND", "找不到该对象")]
        assert code(await call(demo, "acceptOrder", COMMUNITY_ADMIN, orderId=gid("Order", n))) == "FORBIDDEN"
    assert await event_rows() == before
    assert [o.status.value for o in await OrderRow.all().order_by("id")] == list(statuses.values())


# --- decline and re-dispatch --------------------------------------------------------------------------------------


async def test_a_decline_keeps_its_reason_and_the_order_goes_to_another_provider(demo: Api) -> None:
    order = await order_at(demo, "DISPATCHED")
    for reason in (None, "", "   "):
        fields = {"orderId": order} | ({"reason": reason} if reason is not None else {})
        if reason is None:  # the reason is required by the schema
            body = await demo(MUTATIONS["declineOrder"], {"input": fields}, as_=STEWARD)
            assert body["data"] is None and "INTERNAL" not in str(body)
            continue
        payload = await act(demo, "declineOrder", STEWARD, **fields)
        assert payload == {"order": None, "errors": [err("reason", "INVALID", "长度须为 1–500 个字符")]}
    payload = await act(demo, "declineOrder", STEWARD, "en", orderId=order, reason="原" * 501)
    assert payload["errors"] == [err("reason", "INVALID", "Must be 1 to 500 characters long")]
    assert await status_of(order) is OrderStatus.DISPATCHED

    payload = await act(demo, "declineOrder", STEWARD, orderId=order, reason=" 本周师傅排满，无法上门 ")
    history = [ev("PLACED", "SUBMITTED", RESIDENT), ev("DISPATCHED", "DISPATCHED", COMMUNITY_ADMIN, PROPERTY_TEAM),
               ev("DECLINED", "SUBMITTED", STEWARD, PROPERTY_TEAM, "本周师傅排满，无法上门")]
    assert payload == {"order": {"id": order, "status": "SUBMITTED", "category": "REPAIR",
                                 "description": "卫生间下水道堵塞", "priceFen": None, "rating": None, "comment": None,
                                 "provider": None, "offering": {"title": REPAIR}, "events": history}, "errors": []}
    row = await OrderRow.get(id=pk(order))
    assert (row.status, row.provider_id, row.price_fen) == (OrderStatus.SUBMITTED, None, None)
    # No longer the team's: it does not see the order, cannot accept it.
    assert await demo.ok(ORDER_NODES, {"ids": [order]}, as_=STEWARD) == {"nodes": [None]}
    assert (await act(demo, "acceptOrder", STEWARD, orderId=order))["errors"] == [
        err("orderId", "NOT_FOUND", "找不到该对象")]
    # Dispatched again, to 捷安 at the community's price; 捷安 accepts.
    payload = await act(demo, "dispatchOrder", STREET_ADMIN, orderId=order, providerOrgId=await org_id(JIEAN),
                        priceFen=4500)
    assert payload["errors"] == [] and (payload["order"]["status"], payload["order"]["priceFen"]) == (
        "DISPATCHED", 4500)
    payload = await act(demo, "acceptOrder", PARTNER_ADMIN, orderId=order)
    history += [ev("DISPATCHED", "DISPATCHED", STREET_ADMIN, JIEAN), ev("ACCEPTED", "ACCEPTED", PARTNER_ADMIN, JIEAN)]
    assert payload["errors"] == [] and payload["order"]["events"] == history
    assert payload["order"]["provider"] == {"name": JIEAN}
    rows = await event_rows(order)
    assert [(r[2], r[4], r[6]) for r in rows] == [
        (OrderAction.PLACED, demo.users[RESIDENT], None), (OrderAction.DISPATCHED, demo.users[COMMUNITY_ADMIN], None),
        (OrderAction.DECLINED, demo.users[STEWARD], "本周师傅排满，无法上门"),
        (OrderAction.DISPATCHED, demo.users[STREET_ADMIN], None),
        (OrderAction.ACCEPTED, demo.users[PARTNER_ADMIN], None)]
    # Each dispatch keeps the price it agreed, the declined one too (the order itself carries only the latest).
    prices = await demo.ok("query($id: ID!) { node(id: $id) { ... on Order { events { action priceFen } } } }",
                           {"id": order}, as_=COMMUNITY_ADMIN)
    assert prices["node"]["events"] == [
        {"action": "PLACED", "priceFen": None}, {"action": "DISPATCHED", "priceFen": 3000},
        {"action": "DECLINED", "priceFen": None}, {"action": "DISPATCHED", "priceFen": 4500},
        {"action": "ACCEPTED", "priceFen": None}]


async def test_declined_again_and_back_to_the_first_provider_at_the_offerings_price(demo: Api) -> None:
    order = await order_at(demo, "DISPATCHED", provider=JIEAN, price=6000)
    assert (await act(demo, "declineOrder", PARTNER_ADMIN, orderId=order, reason="不做家电维修"))["errors"] == []
    payload = await act(demo, "dispatchOrder", COMMUNITY_ADMIN, orderId=order,
                        providerOrgId=await org_id(PROPERTY_TEAM))
    assert payload["errors"] == [] and payload["order"]["priceFen"] == 3000
    # 捷安 declined: the order is out of its sight, but its decline stays in the history the team sees.
    assert await demo.ok(ORDER_NODES, {"ids": [order]}, as_=PARTNER_ADMIN) == {"nodes": [None]}
    seen = (await demo.ok(ORDER_DETAIL, {"id": order}, as_=STEWARD))["node"]["events"]
    assert [(e["action"], e["note"], (e["provider"] or {}).get("name")) for e in seen] == [
        ("PLACED", None, None), ("DISPATCHED", None, JIEAN), ("DECLINED", "不做家电维修", JIEAN),
        ("DISPATCHED", None, PROPERTY_TEAM)]


# --- dispatch -----------------------------------------------------------------------------------------------------


async def test_dispatch_price_and_provider_checks(demo: Api) -> None:
    with_offering = await place(demo)
    without = await place(demo, offering=None, category="OTHER", description="帮忙搬一个衣柜")
    team, jiean = await org_id(PROPERTY_TEAM), await org_id(JIEAN)

    async def dispatch(order: str, provider: str, lang: str | None = None, **extra: object) -> dict:
        return await act(demo, "dispatchOrder", COMMUNITY_ADMIN, lang, orderId=order, providerOrgId=provider,
                         **extra)

    # The offering's price only applies when dispatched to its provider; otherwise a price is needed.
    for order, provider in ((with_offering, jiean), (without, team)):
        for lang, text in ((None, "不能为空"), ("en", "Must not be null")):
            assert await dispatch(order, provider, lang) == {"order": None, "errors": [
                err("priceFen", "INVALID", text)]}
    for price in (-1, 100_000_001):
        assert await dispatch(with_offering, team, priceFen=price) == {"order": None, "errors": [
            err("priceFen", "INVALID", "须在 0 到 100000000 之间")]}
    for org in (COMMUNITY, BRANCH, STREET, DISTRICT):
        assert await dispatch(with_offering, await org_id(org), priceFen=3000) == {"order": None, "errors": [
            err("providerOrgId", "INVALID", "服务方须为共建单位或服务队")]}, org
    for bad in (gid("Org", 999), "garbage"):
        assert await dispatch(with_offering, bad, priceFen=100) == {"order": None, "errors": [
            err("providerOrgId", "NOT_FOUND", "找不到该对象")]}
    assert without_messages(await dispatch(without, gid("Org", 999))) == {"order": None, "errors": [
        err("providerOrgId", "NOT_FOUND"), err("priceFen", "INVALID")]}
    assert await status_of(with_offering) is OrderStatus.SUBMITTED and await status_of(without) is \
        OrderStatus.SUBMITTED
    # A price given wins over the offering's; a free service costs 0; a team of the compound's branch serves too.
    for order, provider, extra, price in ((with_offering, team, {"priceFen": 2500}, 2500),
                                          (without, await org_id(HELPERS), {"priceFen": 0}, 0)):
        payload = await dispatch(order, provider, **extra)
        assert payload["errors"] == [] and payload["order"]["priceFen"] == price
        assert (await OrderRow.get(id=pk(order))).price_fen == price


# --- cancel -------------------------------------------------------------------------------------------------------


async def test_residents_cancel_before_acceptance_and_staff_before_completion_with_a_reason(demo: Api) -> None:
    # The resident: SUBMITTED (no reason needed) and DISPATCHED (a reason kept), not after ACCEPTED.
    submitted, dispatched = await place(demo), await order_at(demo, "DISPATCHED", provider=JIEAN, price=100)
    payload = await act(demo, "cancelOrder", RESIDENT, orderId=submitted)
    assert payload["errors"] == [] and payload["order"]["events"][-1] == ev("CANCELLED", "CANCELLED", RESIDENT)
    payload = await act(demo, "cancelOrder", RESIDENT, orderId=dispatched, reason="已找到别人修好")
    assert payload["errors"] == [] and payload["order"]["events"][-1] == ev(
        "CANCELLED", "CANCELLED", RESIDENT, JIEAN, "已找到别人修好")
    assert payload["order"]["provider"] == {"name": JIEAN}  # who it was with stays on record
    accepted = await order_at(demo, "ACCEPTED")
    assert (await act(demo, "cancelOrder", RESIDENT, orderId=accepted, reason="不要了"))["errors"] == [
        err("orderId", "INVALID_STATE", "订单当前状态为 ACCEPTED，不能进行此操作")]
    # Staff: only with a reason, until the work is completed.
    for reason in ({}, {"reason": ""}, {"reason": "  "}):
        assert await act(demo, "cancelOrder", COMMUNITY_ADMIN, orderId=accepted, **reason) == {
            "order": None, "errors": [err("reason", "INVALID", "长度须为 1–500 个字符")]}, reason
    payload = await act(demo, "cancelOrder", COMMUNITY_ADMIN, "en", orderId=accepted, reason="原" * 501)
    assert payload["errors"] == [err("reason", "INVALID", "Must be 1 to 500 characters long")]
    assert await status_of(accepted) is OrderStatus.ACCEPTED
    payload = await act(demo, "cancelOrder", COMMUNITY_ADMIN, orderId=accepted, reason="师傅生病，改日重新下单")
    assert payload["errors"] == [] and payload["order"]["events"][-1] == ev(
        "CANCELLED", "CANCELLED", COMMUNITY_ADMIN, PROPERTY_TEAM, "师傅生病，改日重新下单")
    for status, phone in (("SUBMITTED", STREET_ADMIN), ("DISPATCHED", ADMIN0), ("IN_PROGRESS", COMMUNITY_ADMIN)):
        order = await order_at(demo, status)
        payload = await act(demo, "cancelOrder", phone, orderId=order, reason="居民搬走")
        assert payload["errors"] == [] and payload["order"]["status"] == "CANCELLED", status
    completed = await order_at(demo, "COMPLETED")
    assert (await act(demo, "cancelOrder", COMMUNITY_ADMIN, orderId=completed, reason="投诉"))["errors"] == [
        err("orderId", "INVALID_STATE", "订单当前状态为 COMPLETED，不能进行此操作")]
    # The provider never cancels (it declines); nor may it at ACCEPTED.
    assert code(await call(demo, "cancelOrder", STEWARD, orderId=await order_at(demo, "ACCEPTED"),
                           reason="不做了")) == "FORBIDDEN"
    # The completed order is the resident's to confirm.
    assert (await act(demo, "confirmOrder", RESIDENT, orderId=completed, rating=3))["errors"] == []


async def test_community_staff_cancelling_their_own_order_give_a_reason_after_acceptance(demo: Api) -> None:
    # The community's admin lives in 观远里 too: as the resident they cancel before acceptance without a reason;
    # later only staff may cancel, and staff say why.
    await move_in(demo, COMMUNITY_ADMIN, GUANYUANLI)
    submitted = await place(demo, as_=COMMUNITY_ADMIN)
    payload = await act(demo, "cancelOrder", COMMUNITY_ADMIN, orderId=submitted)
    assert payload["errors"] == [] and payload["order"]["events"][-1] == ev("CANCELLED", "CANCELLED", COMMUNITY_ADMIN)
    own = await place(demo, as_=COMMUNITY_ADMIN)
    for name, phone, extra in (("dispatchOrder", COMMUNITY_ADMIN, {"providerOrgId": await org_id(PROPERTY_TEAM)}),
                               ("acceptOrder", STEWARD, {})):
        assert (await act(demo, name, phone, orderId=own, **extra))["errors"] == []
    for reason in ({}, {"reason": " "}):
        assert await act(demo, "cancelOrder", COMMUNITY_ADMIN, orderId=own, **reason) == {
            "order": None, "errors": [err("reason", "INVALID", "长度须为 1–500 个字符")]}
    assert await status_of(own) is OrderStatus.ACCEPTED
    payload = await act(demo, "cancelOrder", COMMUNITY_ADMIN, orderId=own, reason="改由亲戚来修")
    assert payload["errors"] == [] and payload["order"]["events"][-1] == ev(
        "CANCELLED", "CANCELLED", COMMUNITY_ADMIN, PROPERTY_TEAM, "改由亲戚来修")


# --- who sees orders ----------------------------------------------------------------------------------------------


async def test_who_sees_which_orders(demo: Api) -> None:
    await person(demo, XUNSIDING_ADMIN, (XUNSIDING, MemberRole.STAFF))
    await person(demo, NEIGHBOUR, home=GUANYUANLI)
    await person(demo, TEAM_STAFF, (HELPERS, MemberRole.STAFF))
    ids = [demo_order(n) for n in range(1, 8)]
    everything = list(reversed(DEMO_TEXTS))
    dispatched = list(reversed(DEMO_TEXTS[1:6]))  # 2..6: dispatched to the team (the 7th never was)
    seen = {
        RESIDENT: everything, COMMUNITY_ADMIN: everything, STREET_ADMIN: everything, ADMIN0: everything,
        STEWARD: dispatched,  # the team sees what is dispatched to it
        BRANCH_ADMIN: everything,  # the branch of the compound the orders come from
        MEMBER: [], NEIGHBOUR: [], PARTNER_ADMIN: [], XUNSIDING_ADMIN: [], TEAM_STAFF: [],
    }
    for phone, texts in seen.items():
        listed = (await demo.ok(ORDERS, as_=phone))["orders"]
        assert (listed["totalCount"], [n["description"] for n in listed["nodes"]]) == (len(texts), texts), phone
        by_id = await demo.ok(ORDER_NODES, {"ids": ids}, as_=phone)
        assert by_id == {"nodes": [{"description": t} if t in texts else None for t in DEMO_TEXTS]}, phone
    assert code(await demo(ORDERS)) == "UNAUTHENTICATED"
    assert await demo.ok(ORDER_NODES, {"ids": ids}) == {"nodes": [None] * 7}

    async def texts(filter: dict, phone: str = COMMUNITY_ADMIN) -> list[str]:
        return [n["description"] for n in (await demo.ok(ORDERS, {"filter": filter}, as_=phone))["orders"]["nodes"]]

    assert await texts({"mine": True}) == []
    assert await texts({"mine": True}, RESIDENT) == everything
    assert await texts({"status": ["DISPATCHED", "ACCEPTED"]}) == [DEMO_TEXTS[2], DEMO_TEXTS[1]]
    assert await texts({"status": ["CANCELLED"]}, RESIDENT) == [DEMO_TEXTS[6]]
    assert await texts({"orgId": await org_id(COMMUNITY)}, ADMIN0) == everything
    assert await texts({"orgId": await org_id(XUNSIDING)}, ADMIN0) == []
    assert await texts({"orgId": await org_id(PROPERTY_TEAM)}, STEWARD) == dispatched
    assert await texts({"orgId": await org_id(PROPERTY_TEAM), "status": ["COMPLETED"]}, STEWARD) == [DEMO_TEXTS[4]]
    assert await texts({"orgId": "garbage"}) == []
    # 观远里小区 lies in its branch's subtree (a covered compound hangs below its branch): the branch filters its
    # orders for the district and for the branch's own admin.
    assert await texts({"orgId": await org_id(BRANCH)}, ADMIN0) == everything
    assert await texts({"orgId": await org_id(BRANCH)}, BRANCH_ADMIN) == everything
    assert await texts({"orgId": await org_id(HELPERS)}, ADMIN0) == []
    # Pages, newest first.
    page = (await demo.ok(ORDERS, {"first": 3}, as_=RESIDENT))["orders"]
    assert [n["description"] for n in page["nodes"]] == everything[:3] and page["pageInfo"]["hasNextPage"]
    rest = (await demo.ok(ORDERS, {"first": 10, "after": page["pageInfo"]["endCursor"]}, as_=RESIDENT))["orders"]
    assert [n["description"] for n in rest["nodes"]] == everything[3:] and not rest["pageInfo"]["hasNextPage"]
    # A provider sees an order only while it is dispatched to it.
    order = await order_at(demo, "DISPATCHED", provider=JIEAN, price=100)
    assert await demo.ok(ORDER_NODES, {"ids": [order]}, as_=PARTNER_ADMIN) == {"nodes": [{"description": "卫生间下水道堵塞"}]}
    assert (await act(demo, "declineOrder", PARTNER_ADMIN, orderId=order, reason="忙"))["errors"] == []
    assert await demo.ok(ORDER_NODES, {"ids": [order]}, as_=PARTNER_ADMIN) == {"nodes": [None]}
    assert (await demo.ok(ORDERS, as_=PARTNER_ADMIN))["orders"]["totalCount"] == 0


# --- the resident's phone -----------------------------------------------------------------------------------------


async def test_the_provider_sees_the_residents_phone_only_while_doing_the_work(demo: Api) -> None:
    # Demo orders 2..6 are with the team at DISPATCHED .. CONFIRMED; one more was cancelled after acceptance.
    cancelled = await order_at(demo, "CANCELLED")
    ids = [demo_order(n) for n in range(1, 8)] + [cancelled]
    statuses = [s for _, s in DEMO_ORDERS] + ["CANCELLED"]
    full_for_provider = {"ACCEPTED", "IN_PROGRESS", "COMPLETED"}
    for phone in (STEWARD, BRANCH_ADMIN):
        body = await demo.ok(PHONES, {"ids": ids}, as_=phone)
        # The branch also sees the orders never dispatched to its team, with the phone masked.
        unseen = {"status": statuses[0], "resident": {"displayName": NAMES[RESIDENT], "phone": MASKED}} \
            if phone == BRANCH_ADMIN else None
        never = {"status": statuses[6], "resident": {"displayName": NAMES[RESIDENT], "phone": MASKED}} \
            if phone == BRANCH_ADMIN else None
        expected = [unseen] + [{"status": s, "resident": {"displayName": NAMES[RESIDENT],
                                                          "phone": FULL if s in full_for_provider else MASKED}}
                               for s in statuses[1:6]] + [never, {"status": "CANCELLED", "resident": {
                                   "displayName": NAMES[RESIDENT], "phone": MASKED}}]
        assert body == {"nodes": expected}, phone
        listed = (await demo.ok(PHONE_LIST, as_=phone))["orders"]["nodes"]
        assert listed == [{"status": n["status"], "resident": {"phone": n["resident"]["phone"]}}
                          for n in reversed(expected) if n is not None], phone
    # The resident and the community's staff (and above) always see it.
    for phone in (RESIDENT, COMMUNITY_ADMIN, STREET_ADMIN, ADMIN0):
        body = await demo.ok(PHONES, {"ids": ids}, as_=phone)
        assert [n["resident"]["phone"] for n in body["nodes"]] == [FULL] * 8, phone
    # A partner unit across one order's life.
    order = await place(demo)
    seen = []
    for status in LIFECYCLE[1:]:
        name, phone, extra = FORWARD[LIFECYCLE[LIFECYCLE.index(status) - 1]]
        if name == "dispatchOrder":
            extra = {"providerOrgId": await org_id(JIEAN), "priceFen": 100}
        payload = await act(demo, name, PARTNER_ADMIN if phone == STEWARD else phone, orderId=order, **extra)
        assert payload["errors"] == []
        node = (await demo.ok(PHONES, {"ids": [order]}, as_=PARTNER_ADMIN))["nodes"][0]
        seen.append((node["status"], node["resident"]["phone"]))
    assert seen == [("DISPATCHED", MASKED), ("ACCEPTED", FULL), ("IN_PROGRESS", FULL), ("COMPLETED", FULL),
                    ("CONFIRMED", MASKED)]


# --- races (SQLite and PostgreSQL) --------------------------------------------------------------------------------

RACES = {
    # name: (the state the order starts in, the calls made at once)
    # (A decline takes the order out of the team's sight: an accept that only looks after the decline won is told
    # NOT_FOUND rather than INVALID_STATE.)
    "two_staff_of_the_provider_accept": ("DISPATCHED", [("acceptOrder", STEWARD, {}), ("acceptOrder", TEAM_STAFF, {}),
                                                        ("acceptOrder", BRANCH_ADMIN, {}),
                                                        ("acceptOrder", COMMUNITY_ADMIN, {})]),
    "double_click_accept": ("DISPATCHED", [("acceptOrder", STEWARD, {})] * 4),
    "accept_against_decline": ("DISPATCHED", [("acceptOrder", STEWARD, {}),
                                              ("declineOrder", TEAM_STAFF, {"reason": "人手不足"})]),
    "resident_cancel_against_accept": ("DISPATCHED", [("cancelOrder", RESIDENT, {"reason": "不要了"}),
                                                      ("acceptOrder", STEWARD, {})]),
    "double_click_start": ("ACCEPTED", [("startOrder", STEWARD, {}), ("startOrder", STEWARD, {}),
                                        ("startOrder", TEAM_STAFF, {})]),
    "double_click_confirm": ("COMPLETED", [("confirmOrder", RESIDENT, {"rating": r}) for r in (5, 4, 3)]),
    "staff_cancel_against_complete": ("IN_PROGRESS", [("cancelOrder", COMMUNITY_ADMIN, {"reason": "投诉"}),
                                                      ("completeOrder", STEWARD, {}),
                                                      ("completeOrder", TEAM_STAFF, {})]),
}
ACTION_OF = {"acceptOrder": "ACCEPTED", "declineOrder": "DECLINED", "cancelOrder": "CANCELLED",
             "startOrder": "STARTED", "confirmOrder": "CONFIRMED", "completeOrder": "COMPLETED",
             "dispatchOrder": "DISPATCHED"}


@contextmanager
def all_past_their_checks(parties: int) -> Iterator[list[bool]]:
    """Hold every transition until `parties` requests have read the order and passed their checks, then let them
    race for the conditional UPDATE; yields what each UPDATE did (True: moved the order). 0: no holding."""
    moved: list[bool] = []
    if not parties:
        yield moved
        return
    barrier, real = asyncio.Barrier(parties), order_model.transition

    async def transition(**kwargs: object) -> bool:
        await asyncio.wait_for(barrier.wait(), 20)
        result = await real(**kwargs)  # type: ignore[arg-type]
        moved.append(result)
        return result

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(order_model, "transition", transition)
        yield moved


@pytest.mark.parametrize("race", list(RACES))
async def test_racing_transitions_one_wins(demo: Api, race: str) -> None:
    start, calls = RACES[race]
    await person(demo, TEAM_STAFF, (PROPERTY_TEAM, MemberRole.STAFF))
    for forced in (False, False, True):
        order = await order_at(demo, start)
        before = await event_rows(order)
        with all_past_their_checks(len(calls) if forced else 0) as moved:
            bodies = await asyncio.gather(*(call(demo, name, phone, orderId=order, **extra)
                                            for name, phone, extra in calls))
        if forced:  # every request reached the UPDATE: it alone decided
            assert sorted(moved) == [False] * (len(calls) - 1) + [True]
        results = [outcomes([body], name) for body, (name, _, _) in zip(bodies, calls)]
        assert sum(r["OK"] for r in results) == 1, results
        (winner, phone, _), body = next((c, b) for c, b, r in zip(calls, bodies, results) if r["OK"])
        hidden = sum(r["NOT_FOUND"] for r in results) if winner == "declineOrder" and not forced else 0
        assert sum(r["INVALID_STATE"] for r in results) + hidden == len(calls) - 1, results
        after = await event_rows(order)
        assert after[:-1] == before and len(after) == len(before) + 1
        assert (after[-1][2].value, after[-1][4]) == (ACTION_OF[winner], demo.users[phone])
        assert (await status_of(order)).value == body["data"][winner]["order"]["status"]
        for loser, result in zip(bodies, results):
            if result["INVALID_STATE"]:
                [error] = next(iter(loser["data"].values()))["errors"]
                assert error["field"] == ["orderId"] and error["message"].startswith("订单当前状态为 ")


async def test_two_providers_racing_for_one_order(demo: Api) -> None:
    """Two staff dispatch one order to two providers at once; then both providers' staff try to accept it."""
    team, jiean = await org_id(PROPERTY_TEAM), await org_id(JIEAN)
    for forced in (False, False, True):
        order = await place(demo)
        with all_past_their_checks(2 if forced else 0) as moved:
            bodies = await asyncio.gather(
                call(demo, "dispatchOrder", COMMUNITY_ADMIN, orderId=order, providerOrgId=team),
                call(demo, "dispatchOrder", STREET_ADMIN, orderId=order, providerOrgId=jiean, priceFen=4000))
        assert outcomes(bodies, "dispatchOrder") == {"OK": 1, "INVALID_STATE": 1}
        assert sorted(moved) == ([False, True] if forced else [])
        dispatched = [r for r in await event_rows(order) if r[2] is OrderAction.DISPATCHED]
        assert len(dispatched) == 1
        to_team = dispatched[0][5] == pk(team)
        row = await OrderRow.get(id=pk(order))
        assert (row.provider_id, row.price_fen) == ((pk(team), 3000) if to_team else (pk(jiean), 4000))
        # The provider it went to wins; the other does not see the order at all.
        steward, partner = await asyncio.gather(call(demo, "acceptOrder", STEWARD, orderId=order),
                                                call(demo, "acceptOrder", PARTNER_ADMIN, orderId=order))
        winner, loser = (steward, partner) if to_team else (partner, steward)
        assert outcomes([winner], "acceptOrder") == {"OK": 1}
        assert outcomes([loser], "acceptOrder") == {"NOT_FOUND": 1}
        assert [r[2] for r in await event_rows(order)] == [OrderAction.PLACED, OrderAction.DISPATCHED,
                                                           OrderAction.ACCEPTED]


async def test_a_provider_clicking_accept_while_its_decline_is_redispatched(demo: Api) -> None:
    """The team's steward declines; the community re-dispatches to 捷安 while the team's other staff clicks accept."""
    await person(demo, TEAM_STAFF, (PROPERTY_TEAM, MemberRole.STAFF))
    jiean = await org_id(JIEAN)
    for _ in range(3):
        order = await order_at(demo, "DISPATCHED")
        assert (await act(demo, "declineOrder", STEWARD, orderId=order, reason="没空"))["errors"] == []
        redispatched, late = await asyncio.gather(
            call(demo, "dispatchOrder", COMMUNITY_ADMIN, orderId=order, providerOrgId=jiean, priceFen=100),
            call(demo, "acceptOrder", TEAM_STAFF, orderId=order))
        assert outcomes([redispatched], "dispatchOrder") == {"OK": 1}
        # Not the team's any more: refused as out of its sight, or on the state it found.
        assert set(outcomes([late], "acceptOrder")) <= {"NOT_FOUND", "INVALID_STATE"}
        row = await OrderRow.get(id=pk(order))
        assert (row.status, row.provider_id) == (OrderStatus.DISPATCHED, pk(jiean))
        assert [r[2] for r in await event_rows(order)][-2:] == [OrderAction.DECLINED, OrderAction.DISPATCHED]


# --- statement counts of the two screens ---------------------------------------------------------------------------


async def _more_orders(demo: Api, resident: str, n: int) -> None:
    """`n` orders of a resident made through the model, at various stages and with two providers and offerings."""
    user_id = demo.users[resident]
    compound = await CompoundRow.get(name=GUANYUANLI)
    team, jiean = await OrgRow.get(name=PROPERTY_TEAM), await OrgRow.get(name=JIEAN)
    repair = await OfferingRow.get(title=REPAIR)
    law = await OfferingRow.create(provider=jiean, title="法律咨询", category=ProjectCategory.MEDIATION,
                                   price_fen=10000, unit="小时", approved_at=repair.approved_at)
    actor = demo.users[COMMUNITY_ADMIN]
    for i in range(n):
        offering = (repair, law, None)[i % 3]
        category = offering.category if offering else ProjectCategory.OTHER
        order = await order_model.place(resident_id=user_id, compound=compound, category=category,
                                        description=f"第 {i + 1} 单", offering_id=offering.id if offering else None,
                                        preferred_time=None)
        if i % 4:
            provider = (team, jiean)[i % 2]
            assert await order_model.transition(
                order_id=order.id, expected=(OrderStatus.SUBMITTED,), to=OrderStatus.DISPATCHED,
                action=OrderAction.DISPATCHED, actor_id=actor, event_provider_id=provider.id,
                changes={"provider_id": provider.id, "price_fen": 100 * i})


async def _my_orders(demo: Api, phone: str) -> tuple[int, dict]:
    with count_sql() as sql:
        body = await demo.ok(MY_ORDERS, as_=phone)
    return sql.count, body["orders"]


async def test_my_orders_costs_four_statements_however_many_orders(demo: Api) -> None:
    # The page with its providers, its count, then one batch each of compounds and offerings (one's own orders need
    # no roles).
    await person(demo, NEIGHBOUR, home=GUANYUANLI)
    await act(demo, "dispatchOrder", COMMUNITY_ADMIN, orderId=await place(demo, as_=NEIGHBOUR),
              providerOrgId=await org_id(PROPERTY_TEAM))
    one, page = await _my_orders(demo, NEIGHBOUR)
    assert (one, page["totalCount"], len(page["nodes"])) == (4, 1, 1)
    seven, page = await _my_orders(demo, RESIDENT)
    assert (seven, page["totalCount"], len(page["nodes"])) == (4, 7, 7)
    await _more_orders(demo, RESIDENT, 30)
    many, page = await _my_orders(demo, RESIDENT)
    assert (many, page["totalCount"], len(page["nodes"]), page["pageInfo"]["hasNextPage"]) == (4, 37, 20, True)
    assert {(n["provider"] or {}).get("name") for n in page["nodes"]} == {None, PROPERTY_TEAM, JIEAN}
    assert {(n["offering"] or {}).get("title") for n in page["nodes"]} == {None, REPAIR, "法律咨询"}
    # Staff without orders of their own: the page, the count.
    empty, page = await _my_orders(demo, STEWARD)
    assert (empty, page) == (2, {"totalCount": 0, "pageInfo": {"hasNextPage": False, "endCursor": None},
                                 "nodes": []})


async def _detail(demo: Api, order: str, phone: str) -> tuple[int, dict]:
    with count_sql() as sql:
        body = await demo.ok(ORDER_DETAIL, {"id": order}, as_=phone)
    return sql.count, body["node"]


async def test_order_detail_costs_the_same_however_long_its_history(demo: Api) -> None:
    short, long = await order_at(demo, "DISPATCHED"), await order_at(demo, "DISPATCHED")
    # Both: dispatched, declined by the steward and dispatched again; the long one six times over.
    team = await org_id(PROPERTY_TEAM)
    for order, rounds in ((short, 1), (long, 6)):
        for _ in range(rounds):
            assert (await act(demo, "declineOrder", STEWARD, orderId=order, reason="改期"))["errors"] == []
            assert (await act(demo, "dispatchOrder", COMMUNITY_ADMIN, orderId=order, providerOrgId=team))[
                "errors"] == []
    # The resident: roles, visibility, the order, one batch each of compound, resident, provider, offering, events
    # and the other actors (9; the roles bring the viewer's orgs along, for the scope). Staff add what the phone rule
    # looks up: the community's ancestors, and the resident's memberships when the rule does not already reveal it.
    expected = {RESIDENT: 9, STEWARD: 10, COMMUNITY_ADMIN: 10, ADMIN0: 10, BRANCH_ADMIN: 11}
    for phone, statements in expected.items():
        few, node = await _detail(demo, short, phone)
        many, long_node = await _detail(demo, long, phone)
        assert (len(node["events"]), len(long_node["events"])) == (4, 14)
        assert (few, many) == (statements, statements), phone
        assert long_node["events"][-1] == {**long_node["events"][-1], "action": "DISPATCHED",
                                           "actor": {"displayName": NAMES[COMMUNITY_ADMIN]},
                                           "provider": {"name": PROPERTY_TEAM}}
    # The demo's confirmed order, with the resident, the community and the steward in its history.
    count, node = await _detail(demo, demo_order(6), RESIDENT)
    assert (count, node["status"], len(node["events"])) == (9, "CONFIRMED", 6)
    # An order the viewer may not see: the roles and the visibility check only.
    assert await _detail(demo, demo_order(1), STEWARD) == (2, None)


