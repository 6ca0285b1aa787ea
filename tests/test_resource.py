"""Resource sharing (资源共享): offering, updating and retiring resources, who sees and may request them under each
share scope, booking validation, the approve/reject/cancel rules, the bookings list and availability calendar on
hand-made intervals, and the never-overbooked guarantee under concurrent approvals and random intervals (hypothesis).
After every test no resource has more approved quantity in use than it offers at any instant."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator
from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from models import resource as resource_model
from models.alliance import Alliance as AllianceRow
from models.alliance import AllianceMember, AllianceMemberStatus
from models.enums import MemberRole
from models.org import Org as OrgRow
from models.project import Project as ProjectRow
from models.resource import Booking as BookingRow
from models.resource import BookingStatus, ResourceKind, ShareScope
from models.resource import Resource as ResourceRow
from models.user import User as UserRow
from tests.conftest import Api, gid, org_id
from tests.test_project import person, pk

DISTRICT, STREET, COMMUNITY, BRANCH = "思明区", "嘉莲街道", "莲花北社区", "观远里小区党支部"
TEAM, HAILONG, XIAOXUE, JIEAN, POLICE = "观远里厝边帮帮团", "海龙小区党支部", "小学社区", "厦门市捷安集团党支部", "鹭江派出所"
ADMIN0, STREET_ADMIN, COMMUNITY_ADMIN, BRANCH_ADMIN = "13800000000", "13800000001", "13800000002", "13800000003"
MEMBER, PARTNER_ADMIN, RESIDENT = "13800000004", "13800000005", "13800000006"
POLICE_STAFF, HAILONG_STAFF = "13900000001", "13900000002"
DEMO_VENUE = "莲花北社区活动室"  # the demo's one resource: 莲花北社区's, PARTNERS, quantity 1

# Whole hours from a midnight (UTC) two days ahead: far enough to be bookable, near enough for the 30-day rule.
BASE = (datetime.now(timezone.utc) + timedelta(days=2)).replace(hour=0, minute=0, second=0, microsecond=0)


def at(hours: float) -> datetime:
    return BASE + timedelta(hours=hours)


def iso(hours: float) -> str:
    """A time as the API writes it (ISO-8601, UTC offset)."""
    return at(hours).isoformat()


CREATE = """
mutation($input: CreateResourceInput!) {
  createResource(input: $input) {
    resource { name kind quantity shareScope description location retired owner { name } }
    errors { field code }
  }
}"""

CREATE_BRIEF = """
mutation($input: CreateResourceInput!) { createResource(input: $input) { resource { id } errors { field code } } }"""

UPDATE = """
mutation($input: UpdateResourceInput!) {
  updateResource(input: $input) {
    resource { name quantity shareScope description location retired }
    errors { field code message }
  }
}"""

RETIRE = """
mutation($input: RetireResourceInput!) {
  retireResource(input: $input) { resource { name retired } errors { field code } }
}"""

REQUEST = """
mutation($input: RequestBookingInput!) {
  requestBooking(input: $input) {
    booking { id startsAt endsAt quantity status purpose resource { name } forOrg { name } project { title } }
    errors { field code }
  }
}"""

APPROVE = """
mutation($input: ApproveBookingInput!) {
  approveBooking(input: $input) { booking { status reason } errors { field code message } }
}"""
REJECT = """
mutation($input: RejectBookingInput!) {
  rejectBooking(input: $input) { booking { status reason } errors { field code message } }
}"""
CANCEL = """
mutation($input: CancelBookingInput!) {
  cancelBooking(input: $input) { booking { status reason } errors { field code message } }
}"""
DECISIONS = {"approve": APPROVE, "reject": REJECT, "cancel": CANCEL}

RESOURCES = """
query($filter: ResourceFilter) {
  resources(filter: $filter, first: 100) { totalCount nodes { name } }
}"""

NODES = """
query($ids: [ID!]!) { nodes(ids: $ids) { ... on Resource { name } } }"""

NODE = """
query($id: ID!) {
  node(id: $id) {
    __typename
    ... on Resource { name retired }
    ... on Booking { status forOrg { name } resource { name } }
  }
}"""

BOOKINGS = """
query($id: ID!, $from: DateTime, $to: DateTime, $first: Int, $after: String) {
  node(id: $id) {
    ... on Resource {
      bookings(from: $from, to: $to, first: $first, after: $after) {
        totalCount nodes { purpose status startsAt endsAt } pageInfo { hasNextPage endCursor }
      }
    }
  }
}"""

AVAILABILITY = """
query($id: ID!, $from: DateTime!, $to: DateTime!) {
  node(id: $id) { ... on Resource { availability(from: $from, to: $to) { startsAt endsAt freeQuantity } } }
}"""


# --- helpers ----------------------------------------------------------------------------------------------------


def max_use(bookings: list[tuple[datetime, datetime, int]], within: tuple[datetime, datetime] | None = None) -> int:
    """The largest summed quantity at any instant (of [lo, hi) when given): the peak is at some interval's start."""
    points = {start for start, _end, _q in bookings}
    if within is not None:
        points = {p for p in points if within[0] < p < within[1]} | {within[0]}
    return max((sum(q for s, e, q in bookings if s <= t < e) for t in points), default=0)


async def assert_never_overbooked() -> None:
    """The invariant: from now on, at no instant do a resource's approved bookings sum above its quantity (the past
    may have used more: the quantity can be lowered once those bookings are over)."""
    now, end_of_time = datetime.now(timezone.utc), datetime.max.replace(tzinfo=timezone.utc)
    for resource in await ResourceRow.all():
        approved = await BookingRow.filter(resource_id=resource.id, status=BookingStatus.APPROVED)
        peak = max_use([(b.starts_at, b.ends_at, b.quantity) for b in approved], within=(now, end_of_time))
        assert peak <= resource.quantity, (resource.name, peak, resource.quantity)


@pytest.fixture(autouse=True)
async def _invariant(demo: Api) -> AsyncIterator[None]:
    yield
    await assert_never_overbooked()


async def staff(demo: Api) -> None:
    """Staff of the police station (paired with 鹭江街道) and of 海龙 branch (under 巡司顶社区, paired with 捷安)."""
    await person(demo, POLICE_STAFF, "鹭江派出所干事", (POLICE, MemberRole.STAFF))
    await person(demo, HAILONG_STAFF, "海龙支部委员", (HAILONG, MemberRole.STAFF))


async def new_resource(demo: Api, name: str = "多功能厅", *, owner: str = COMMUNITY, as_: str = COMMUNITY_ADMIN,
                       quantity: int = 1, scope: str = "SUBTREE", kind: str = "VENUE") -> str:
    """Offer a resource through the API; its global id."""
    body = await demo.ok(CREATE_BRIEF, {"input": {"ownerOrgId": await org_id(owner), "name": name, "kind": kind,
                                                  "quantity": quantity, "shareScope": scope}}, as_=as_)
    assert body["createResource"]["errors"] == [], body
    return body["createResource"]["resource"]["id"]


async def request(demo: Api, resource: str, start: float, end: float, *, quantity: int = 1, for_org: str = BRANCH,
                  as_: str = BRANCH_ADMIN, purpose: str | None = None, **extra: object) -> dict:
    """requestBooking's payload, hours counted from BASE."""
    payload = {"resourceId": resource, "forOrgId": await org_id(for_org), "startsAt": iso(start), "endsAt": iso(end),
               "quantity": quantity, "purpose": purpose, **extra}
    return (await demo.ok(REQUEST, {"input": payload}, as_=as_))["requestBooking"]


async def booked(demo: Api, resource: str, start: float, end: float, **kwargs: object) -> str:
    """A PENDING booking's global id."""
    payload = await request(demo, resource, start, end, **kwargs)
    assert payload["errors"] == [], payload
    return payload["booking"]["id"]


async def decide(demo: Api, verb: str, booking: str, *, as_: str = COMMUNITY_ADMIN, reason: str | None = None) -> dict:
    """approveBooking / rejectBooking / cancelBooking's payload."""
    body = await demo.ok(DECISIONS[verb], {"input": {"bookingId": booking, "reason": reason}}, as_=as_)
    return body[f"{verb}Booking"]


async def approved(demo: Api, resource: str, start: float, end: float, **kwargs: object) -> str:
    """A booking requested and approved by the owner's admin."""
    booking = await booked(demo, resource, start, end, **kwargs)
    assert (await decide(demo, "approve", booking))["errors"] == []
    return booking


def outcome(body: dict, field: str) -> str:
    """How a call ended: OK, the payload's error codes (with fields), or the top-level error code."""
    if "errors" in body:
        return body["errors"][0]["extensions"]["code"]
    errors = body["data"][field]["errors"]
    return " ".join(f"{e['code']}:{'.'.join(e['field'] or [])}" for e in errors) or "OK"


async def booking_row(booking: str) -> BookingRow:
    return await BookingRow.get(id=pk(booking))


# --- createResource ---------------------------------------------------------------------------------------------


async def test_create_resource(demo: Api) -> None:
    variables = {"input": {"ownerOrgId": await org_id(COMMUNITY), "name": "  党群服务中心活动室 ", "kind": "VENUE",
                           "quantity": 2, "shareScope": "PARTNERS", "description": "可容纳 60 人",
                           "location": "莲花北社区党群服务中心二楼"}}
    body = await demo.ok(CREATE, variables, as_=COMMUNITY_ADMIN)
    assert body == {"createResource": {"resource": {
        "name": "党群服务中心活动室", "kind": "VENUE", "quantity": 2, "shareScope": "PARTNERS",
        "description": "可容纳 60 人", "location": "莲花北社区党群服务中心二楼", "retired": False,
        "owner": {"name": COMMUNITY}}, "errors": []}}
    row = await ResourceRow.get(name="党群服务中心活动室")
    assert (row.owner_id, row.kind, row.quantity, row.share_scope, row.retired_at, row.lock_version) == (
        pk(await org_id(COMMUNITY)), ResourceKind.VENUE, 2, ShareScope.PARTNERS, None, 0)
    # Defaults: quantity 1, SUBTREE; an ancestor's admin may offer for the org, and blank texts are stored as null.
    defaults = {"input": {"ownerOrgId": await org_id(BRANCH), "name": "折叠桌", "kind": "EQUIPMENT",
                          "description": "  ", "location": ""}}
    body = await demo.ok(CREATE, defaults, as_=STREET_ADMIN)
    assert body["createResource"] == {"resource": {
        "name": "折叠桌", "kind": "EQUIPMENT", "quantity": 1, "shareScope": "SUBTREE", "description": None,
        "location": None, "retired": False, "owner": {"name": BRANCH}}, "errors": []}


CREATE_INVALID = [  # what is wrong -> the payload's errors
    ({"name": "   "}, [{"field": ["name"], "code": "INVALID"}]),
    ({"name": "室" * 101}, [{"field": ["name"], "code": "INVALID"}]),
    ({"quantity": 0}, [{"field": ["quantity"], "code": "INVALID"}]),
    ({"quantity": -3}, [{"field": ["quantity"], "code": "INVALID"}]),
    ({"quantity": 100_001}, [{"field": ["quantity"], "code": "INVALID"}]),
    ({"name": "", "quantity": 0}, [{"field": ["name"], "code": "INVALID"}, {"field": ["quantity"], "code": "INVALID"}]),
    ({"location": "路" * 201}, [{"field": ["location"], "code": "INVALID"}]),
    ({"ownerOrgId": gid("Org", 9999)}, [{"field": ["ownerOrgId"], "code": "NOT_FOUND"}]),
    ({"ownerOrgId": gid("Project", 1)}, [{"field": ["ownerOrgId"], "code": "NOT_FOUND"}]),
]


async def test_create_resource_validation(demo: Api) -> None:
    seen = []
    for change, _errors in CREATE_INVALID:
        variables = {"input": {"ownerOrgId": await org_id(COMMUNITY), "name": "活动室", "kind": "VENUE", **change}}
        body = await demo.ok(CREATE, variables, as_=COMMUNITY_ADMIN)
        assert body["createResource"]["resource"] is None
        seen.append((change, body["createResource"]["errors"]))
    assert seen == CREATE_INVALID
    assert [r.name for r in await ResourceRow.all()] == [DEMO_VENUE]


async def test_create_resource_needs_a_manager_of_the_owner(demo: Api) -> None:
    variables = {"input": {"ownerOrgId": await org_id(COMMUNITY), "name": "活动室", "kind": "VENUE"}}
    for phone in (BRANCH_ADMIN, MEMBER, PARTNER_ADMIN, RESIDENT):  # a child's admin, a plain member, outsiders
        body = await demo(CREATE, variables, as_=phone)
        assert body["data"] is None and body["errors"][0]["extensions"]["code"] == "FORBIDDEN", phone
    body = await demo(CREATE, variables)
    assert body["data"] is None and body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert [r.name for r in await ResourceRow.all()] == [DEMO_VENUE]


# --- updateResource and retireResource --------------------------------------------------------------------------


async def test_update_resource_changes_only_what_is_given(demo: Api) -> None:
    resource = await new_resource(demo, "活动室", quantity=3)
    await demo.ok(UPDATE, {"input": {"resourceId": resource, "description": "可容纳 40 人", "location": "二楼"}},
                  as_=COMMUNITY_ADMIN)
    body = await demo.ok(UPDATE, {"input": {"resourceId": resource, "name": "多功能活动室"}}, as_=COMMUNITY_ADMIN)
    assert body == {"updateResource": {"resource": {
        "name": "多功能活动室", "quantity": 3, "shareScope": "SUBTREE", "description": "可容纳 40 人", "location": "二楼",
        "retired": False}, "errors": []}}
    body = await demo.ok(UPDATE, {"input": {"resourceId": resource, "quantity": 5, "shareScope": "DISTRICT",
                                            "location": None}}, as_=STREET_ADMIN)  # an ancestor's admin too
    assert body["updateResource"] == {"resource": {
        "name": "多功能活动室", "quantity": 5, "shareScope": "DISTRICT", "description": "可容纳 40 人", "location": None,
        "retired": False}, "errors": []}
    row = await ResourceRow.get(id=pk(resource))
    assert (row.name, row.quantity, row.share_scope, row.description, row.location) == (
        "多功能活动室", 5, ShareScope.DISTRICT, "可容纳 40 人", None)
    # Invalid changes change nothing, not even the valid ones sent with them.
    body = await demo.ok(UPDATE, {"input": {"resourceId": resource, "name": "新名字", "quantity": 0,
                                            "shareScope": None}}, as_=COMMUNITY_ADMIN)
    assert [(e["field"], e["code"]) for e in body["updateResource"]["errors"]] == [
        (["shareScope"], "INVALID"), (["quantity"], "INVALID")]
    assert body["updateResource"]["resource"] is None
    assert (await ResourceRow.get(id=pk(resource))).name == "多功能活动室"


async def test_update_and_retire_need_a_manager_of_the_owner(demo: Api) -> None:
    resource = await new_resource(demo, scope="DISTRICT")
    for document, field in ((UPDATE, "updateResource"), (RETIRE, "retireResource")):
        variables = {"input": {"resourceId": resource, **({"name": "x"} if document is UPDATE else {})}}
        assert outcome(await demo(document, variables, as_=BRANCH_ADMIN), field) == "FORBIDDEN"  # sees, may not
        assert outcome(await demo(document, variables, as_=RESIDENT), field) == "NOT_FOUND:resourceId"  # sees not
        assert outcome(await demo(document, variables), field) == "UNAUTHENTICATED"
        unknown = {"input": {"resourceId": gid("Resource", 999)}}
        assert outcome(await demo(document, unknown, as_=COMMUNITY_ADMIN), field) == "NOT_FOUND:resourceId"
    row = await ResourceRow.get(id=pk(resource))
    assert (row.name, row.retired_at) == ("多功能厅", None)


async def test_quantity_cannot_go_below_the_peak_approved_use_from_now_on(demo: Api) -> None:
    resource = await new_resource(demo, "折叠椅", kind="EQUIPMENT", quantity=10)
    await approved(demo, resource, 0, 4, quantity=3)
    await approved(demo, resource, 2, 6, quantity=4)  # 7 in use over [2, 4)
    await approved(demo, resource, 4, 8, quantity=2)  # abuts the first: 6 in use over [4, 6)
    pending = await booked(demo, resource, 0, 8, quantity=3)  # pending requests do not count
    # Besides: a booking of the past holds nothing any more, a running one holds its quantity until it ends.
    now = datetime.now(timezone.utc)
    rid, branch = pk(resource), pk(await org_id(BRANCH))
    for start, end, quantity in ((now - timedelta(hours=5), now - timedelta(hours=1), 9),
                                 (now - timedelta(hours=3), now + timedelta(hours=1), 1)):
        await BookingRow.create(resource_id=rid, for_org_id=branch, starts_at=start, ends_at=end, quantity=quantity,
                                status=BookingStatus.APPROVED)

    body = await demo.ok(UPDATE, {"input": {"resourceId": resource, "quantity": 6}}, as_=COMMUNITY_ADMIN)
    assert body == {"updateResource": {"resource": None, "errors": [
        {"field": ["quantity"], "code": "CONFLICT", "message": "已批准的预约同时占用 7，数量不能低于此数"}]}}
    assert (await ResourceRow.get(id=rid)).quantity == 10
    body = await demo.ok(UPDATE, {"input": {"resourceId": resource, "quantity": 7}}, as_=COMMUNITY_ADMIN)
    assert body["updateResource"]["errors"] == [] and body["updateResource"]["resource"]["quantity"] == 7
    # The pending request for 3 no longer fits: approving it conflicts now.
    assert (await decide(demo, "approve", pending))["errors"][0]["code"] == "CONFLICT"
    # Raising is always allowed.
    body = await demo.ok(UPDATE, {"input": {"resourceId": resource, "quantity": 20}}, as_=COMMUNITY_ADMIN)
    assert body["updateResource"]["resource"]["quantity"] == 20
    assert (await ResourceRow.get(id=rid)).quantity == 20


async def test_peak_use_counts_only_from_now_on(demo: Api) -> None:
    """A booking that started in the past counts from now on, not with what was in use when it started."""
    resource = await new_resource(demo, "折叠椅", kind="EQUIPMENT", quantity=3)
    now = datetime.now(timezone.utc)
    rid, branch = pk(resource), pk(await org_id(BRANCH))
    await BookingRow.create(resource_id=rid, for_org_id=branch, starts_at=now - timedelta(hours=3),
                            ends_at=now - timedelta(hours=1), quantity=2, status=BookingStatus.APPROVED)
    await BookingRow.create(resource_id=rid, for_org_id=branch, starts_at=now - timedelta(hours=2),
                            ends_at=now + timedelta(hours=2), quantity=1, status=BookingStatus.APPROVED)
    assert await resource_model.peak_use(resource_id=rid, since=now) == 1
    body = await demo.ok(UPDATE, {"input": {"resourceId": resource, "quantity": 1}}, as_=COMMUNITY_ADMIN)
    assert body["updateResource"]["errors"] == [] and body["updateResource"]["resource"]["quantity"] == 1
    body = await demo.ok(UPDATE, {"input": {"resourceId": resource, "quantity": 0}}, as_=COMMUNITY_ADMIN)
    assert [e["code"] for e in body["updateResource"]["errors"]] == ["INVALID"]


async def test_retired_resource_takes_no_requests_and_keeps_its_bookings(demo: Api) -> None:
    resource = await new_resource(demo, quantity=2)
    kept = await approved(demo, resource, 0, 2)
    waiting = await booked(demo, resource, 1, 3)
    body = await demo.ok(RETIRE, {"input": {"resourceId": resource}}, as_=COMMUNITY_ADMIN)
    assert body == {"retireResource": {"resource": {"name": "多功能厅", "retired": True}, "errors": []}}
    assert (await ResourceRow.get(id=pk(resource))).retired_at is not None
    again = await demo.ok(RETIRE, {"input": {"resourceId": resource}}, as_=COMMUNITY_ADMIN)
    assert again == {"retireResource": {"resource": {"name": "多功能厅", "retired": True},
                                        "errors": [{"field": ["resourceId"], "code": "INVALID_STATE"}]}}
    # The owner's managers still see it (and cannot book it); for the requesting orgs it is gone.
    refused = await request(demo, resource, 4, 5, for_org=COMMUNITY, as_=COMMUNITY_ADMIN)
    assert refused == {"booking": None, "errors": [{"field": ["resourceId"], "code": "INVALID_STATE"}]}
    gone = await request(demo, resource, 4, 5)
    assert gone == {"booking": None, "errors": [{"field": ["resourceId"], "code": "NOT_FOUND"}]}
    assert (await demo.ok(NODE, {"id": resource}, as_=COMMUNITY_ADMIN))["node"] == {
        "__typename": "Resource", "name": "多功能厅", "retired": True}
    assert (await demo.ok(NODE, {"id": resource}, as_=BRANCH_ADMIN))["node"] is None
    assert (await demo.ok(RESOURCES, as_=COMMUNITY_ADMIN))["resources"] == {
        "totalCount": 2, "nodes": [{"name": DEMO_VENUE}, {"name": "多功能厅"}]}
    assert (await demo.ok(RESOURCES, as_=BRANCH_ADMIN))["resources"] == {
        "totalCount": 1, "nodes": [{"name": DEMO_VENUE}]}
    mine = {"filter": {"requestableBy": await org_id(COMMUNITY)}}
    assert (await demo.ok(RESOURCES, mine, as_=COMMUNITY_ADMIN))["resources"] == {
        "totalCount": 1, "nodes": [{"name": DEMO_VENUE}]}
    # Existing bookings stay: both sides still see them, and they can still be decided and cancelled.
    assert (await demo.ok(NODE, {"id": kept}, as_=BRANCH_ADMIN))["node"] == {
        "__typename": "Booking", "status": "APPROVED", "forOrg": {"name": BRANCH},
        "resource": {"name": "多功能厅"}}
    listed = await demo.ok(BOOKINGS, {"id": resource}, as_=COMMUNITY_ADMIN)
    assert [b["status"] for b in listed["node"]["bookings"]["nodes"]] == ["APPROVED", "PENDING"]
    assert (await decide(demo, "approve", waiting))["booking"] == {"status": "APPROVED", "reason": None}
    assert (await decide(demo, "cancel", kept, as_=BRANCH_ADMIN))["booking"]["status"] == "CANCELLED"
    assert await BookingRow.filter(resource_id=pk(resource)).count() == 2


# --- share scopes: who sees what, who may request for whom -------------------------------------------------------

ROOM, HALL, PROJECTOR, STATION, BUS = "活动室", "会议室", "投影仪", "党群服务站", "班车"


async def scoped_resources(demo: Api) -> dict[str, str]:
    """One resource per scope: 莲花北社区 offers three, 观远里 branch one for its subtree, 捷安 one for partners."""
    return {
        ROOM: await new_resource(demo, ROOM, scope="SUBTREE"),
        HALL: await new_resource(demo, HALL, scope="PARTNERS"),
        PROJECTOR: await new_resource(demo, PROJECTOR, scope="DISTRICT", kind="EQUIPMENT"),
        STATION: await new_resource(demo, STATION, owner=BRANCH, as_=BRANCH_ADMIN),
        BUS: await new_resource(demo, BUS, owner=JIEAN, as_=PARTNER_ADMIN, scope="PARTNERS", kind="VEHICLE",
                                quantity=2),
    }


async def test_who_sees_resources_by_share_scope(demo: Api) -> None:
    await staff(demo)
    resources = {DEMO_VENUE: gid("Resource", (await ResourceRow.get(name=DEMO_VENUE)).id),
                 **await scoped_resources(demo)}
    everything = [DEMO_VENUE, ROOM, HALL, PROJECTOR, STATION, BUS]
    expected = {
        ADMIN0: everything,  # manages the district, and with it 嘉莲 and 巡司顶, which may request 捷安's bus
        STREET_ADMIN: everything,  # manages 莲花北 and 观远里; 嘉莲 is paired with 捷安
        COMMUNITY_ADMIN: everything,
        BRANCH_ADMIN: everything,  # in 莲花北's subtree, and under 嘉莲
        MEMBER: everything,  # a plain member of 观远里 sees what 观远里 may request
        PARTNER_ADMIN: [DEMO_VENUE, HALL, PROJECTOR, BUS],  # paired with 嘉莲 (above 莲花北); not 莲花北's subtree
        HAILONG_STAFF: [PROJECTOR, BUS],  # under 巡司顶, which 捷安 is paired with
        POLICE_STAFF: [PROJECTOR],  # paired with 鹭江 only
        RESIDENT: [],  # no org
    }
    listed, by_node, by_nodes = {}, {}, {}
    for phone in expected:
        body = await demo.ok(RESOURCES, as_=phone)
        listed[phone] = [n["name"] for n in body["resources"]["nodes"]]
        assert body["resources"]["totalCount"] == len(listed[phone])
        by_node[phone] = [name for name, rid in resources.items()
                          if (await demo.ok(NODE, {"id": rid}, as_=phone))["node"] is not None]
        nodes = (await demo.ok(NODES, {"ids": list(resources.values())}, as_=phone))["nodes"]
        by_nodes[phone] = [n["name"] for n in nodes if n is not None]
    assert listed == expected
    assert by_node == expected
    assert by_nodes == expected
    # Anonymous: no list, no node.
    body = await demo(RESOURCES)
    assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert (await demo.ok(NODE, {"id": resources[PROJECTOR]}))["node"] is None


async def test_requestable_by_lists_what_an_org_may_request(demo: Api) -> None:
    await staff(demo)
    await scoped_resources(demo)
    cases = [
        (STREET_ADMIN, STREET, [PROJECTOR, BUS]),  # the street is above 莲花北, not in its subtree
        (COMMUNITY_ADMIN, COMMUNITY, [DEMO_VENUE, ROOM, HALL, PROJECTOR, BUS]),  # not the branch's SUBTREE station
        (BRANCH_ADMIN, BRANCH, [DEMO_VENUE, ROOM, HALL, PROJECTOR, STATION, BUS]),
        (MEMBER, BRANCH, [DEMO_VENUE, ROOM, HALL, PROJECTOR, STATION, BUS]),
        (PARTNER_ADMIN, JIEAN, [DEMO_VENUE, HALL, PROJECTOR, BUS]),
        (HAILONG_STAFF, HAILONG, [PROJECTOR, BUS]),
        (POLICE_STAFF, POLICE, [PROJECTOR]),
        (ADMIN0, DISTRICT, [PROJECTOR]),
        (PARTNER_ADMIN, BRANCH, []),  # not one of the viewer's orgs: no probing
        (RESIDENT, BRANCH, []),
    ]
    seen = []
    for phone, org, _names in cases:
        body = await demo.ok(RESOURCES, {"filter": {"requestableBy": await org_id(org)}}, as_=phone)
        seen.append((phone, org, [n["name"] for n in body["resources"]["nodes"]]))
        assert body["resources"]["totalCount"] == len(seen[-1][2])
    assert seen == cases
    # Combined with the other filters.
    variables = {"filter": {"requestableBy": await org_id(BRANCH), "kind": "VENUE", "ownerId": await org_id(COMMUNITY)}}
    body = await demo.ok(RESOURCES, variables, as_=BRANCH_ADMIN)
    assert body == {"resources": {"totalCount": 3, "nodes": [{"name": DEMO_VENUE}, {"name": ROOM}, {"name": HALL}]}}


async def test_who_may_request_for_which_org(demo: Api) -> None:
    await staff(demo)
    resources = await scoped_resources(demo)
    cases = [
        (BRANCH_ADMIN, ROOM, BRANCH, "OK"),
        (COMMUNITY_ADMIN, ROOM, COMMUNITY, "OK"),
        (COMMUNITY_ADMIN, ROOM, TEAM, "OK"),  # a team in the subtree, run from above
        (STREET_ADMIN, ROOM, STREET, "INVALID:forOrgId"),  # above the owner is not its subtree
        (ADMIN0, ROOM, XIAOXUE, "INVALID:forOrgId"),  # sees and manages, but not shared with 小学社区
        (BRANCH_ADMIN, ROOM, COMMUNITY, "FORBIDDEN"),  # may not act for the parent
        (MEMBER, ROOM, BRANCH, "FORBIDDEN"),  # a member is not staff
        (PARTNER_ADMIN, ROOM, JIEAN, "NOT_FOUND:resourceId"),  # SUBTREE: 捷安 does not even see it
        (PARTNER_ADMIN, HALL, JIEAN, "OK"),
        (STREET_ADMIN, HALL, STREET, "INVALID:forOrgId"),  # PARTNERS adds partner units, not ancestors
        (POLICE_STAFF, HALL, POLICE, "NOT_FOUND:resourceId"),  # paired with another street
        (POLICE_STAFF, PROJECTOR, POLICE, "OK"),
        (ADMIN0, PROJECTOR, XIAOXUE, "OK"),
        (PARTNER_ADMIN, PROJECTOR, BRANCH, "FORBIDDEN"),
        (RESIDENT, PROJECTOR, BRANCH, "NOT_FOUND:resourceId"),
        (COMMUNITY_ADMIN, STATION, COMMUNITY, "INVALID:forOrgId"),
        (BRANCH_ADMIN, STATION, BRANCH, "OK"),
        (BRANCH_ADMIN, BUS, BRANCH, "OK"),  # 捷安's partners: the subtrees of 嘉莲 and 巡司顶
        (HAILONG_STAFF, BUS, HAILONG, "OK"),
        (POLICE_STAFF, BUS, POLICE, "NOT_FOUND:resourceId"),
        (PARTNER_ADMIN, BUS, JIEAN, "OK"),
    ]
    seen = []
    for phone, name, org, _expected in cases:
        variables = {"input": {"resourceId": resources[name], "forOrgId": await org_id(org), "startsAt": iso(1),
                               "endsAt": iso(2)}}
        seen.append((phone, name, org, outcome(await demo(REQUEST, variables, as_=phone), "requestBooking")))
    assert seen == cases
    made = sorted((b.resource_id, b.for_org_id) for b in await BookingRow.all())
    orgs = {o.name: o.id for o in await OrgRow.all()}
    assert made == sorted((pk(resources[name]), orgs[org]) for _p, name, org, result in cases if result == "OK")
    assert all(b.status is BookingStatus.PENDING for b in await BookingRow.all())
    variables = {"input": {"resourceId": resources[ROOM], "forOrgId": await org_id(BRANCH), "startsAt": iso(1),
                           "endsAt": iso(2)}}
    assert outcome(await demo(REQUEST, variables), "requestBooking") == "UNAUTHENTICATED"


async def test_partners_scope_reaches_alliance_members(demo: Api) -> None:
    """PARTNERS also reaches the owner's allies (党建联盟): 鹭江派出所 joins the demo alliance of 捷安 and 莲花北社区."""
    await staff(demo)
    resources = await scoped_resources(demo)

    async def requestable() -> list[str]:
        body = await demo.ok(RESOURCES, {"filter": {"requestableBy": await org_id(POLICE)}}, as_=POLICE_STAFF)
        return [n["name"] for n in body["resources"]["nodes"]]

    assert await requestable() == [PROJECTOR]
    alliance = await AllianceRow.get(name="嘉莲片区楼宇党建联盟")
    membership = await AllianceMember.create(alliance=alliance, org=await OrgRow.get(name=POLICE),
                                             status=AllianceMemberStatus.ACTIVE)
    assert await requestable() == [DEMO_VENUE, HALL, PROJECTOR, BUS]  # the allies' PARTNERS resources, not SUBTREE
    assert (await request(demo, resources[HALL], 1, 2, for_org=POLICE, as_=POLICE_STAFF))["errors"] == []
    assert (await request(demo, resources[ROOM], 1, 2, for_org=POLICE, as_=POLICE_STAFF))["errors"] == [
        {"field": ["resourceId"], "code": "NOT_FOUND"}]
    membership.status = AllianceMemberStatus.LEFT
    await membership.save()
    assert await requestable() == [PROJECTOR]
    assert (await request(demo, resources[BUS], 1, 2, for_org=POLICE, as_=POLICE_STAFF))["errors"] == [
        {"field": ["resourceId"], "code": "NOT_FOUND"}]


async def test_changing_the_scope_changes_who_may_request(demo: Api) -> None:
    resource = await new_resource(demo, HALL, scope="SUBTREE")
    assert (await request(demo, resource, 1, 2, for_org=JIEAN, as_=PARTNER_ADMIN))["errors"] == [
        {"field": ["resourceId"], "code": "NOT_FOUND"}]
    await demo.ok(UPDATE, {"input": {"resourceId": resource, "shareScope": "PARTNERS"}}, as_=COMMUNITY_ADMIN)
    assert (await request(demo, resource, 1, 2, for_org=JIEAN, as_=PARTNER_ADMIN))["errors"] == []


# --- requestBooking ---------------------------------------------------------------------------------------------


async def test_request_booking(demo: Api) -> None:
    resource = await new_resource(demo, quantity=3)
    project = gid("Project", (await ProjectRow.get(title="黄昏行平安巡查")).id)
    payload = await request(demo, resource, 18, 21, quantity=2, purpose=" 巡查队集合 ", projectId=project)
    booking = payload.pop("booking")
    assert payload == {"errors": []}
    assert booking == {"id": booking["id"], "startsAt": iso(18), "endsAt": iso(21), "quantity": 2, "status": "PENDING",
                       "purpose": "巡查队集合", "resource": {"name": "多功能厅"}, "forOrg": {"name": BRANCH},
                       "project": {"title": "黄昏行平安巡查"}}
    row = await booking_row(booking["id"])
    assert (row.resource_id, row.for_org_id, row.requested_by_id, row.project_id, row.quantity, row.status,
            row.starts_at, row.ends_at, row.decided_by_id) == (
        pk(resource), pk(await org_id(BRANCH)), demo.users[BRANCH_ADMIN], pk(project), 2, BookingStatus.PENDING,
        at(18), at(21), None)
    # Managers of both sides (and above) see it; a plain member, other orgs and anonymous callers do not.
    for phone in (BRANCH_ADMIN, COMMUNITY_ADMIN, STREET_ADMIN):
        assert (await demo.ok(NODE, {"id": booking["id"]}, as_=phone))["node"]["status"] == "PENDING"
    for phone in (MEMBER, PARTNER_ADMIN, RESIDENT):
        assert (await demo.ok(NODE, {"id": booking["id"]}, as_=phone))["node"] is None
    assert (await demo.ok(NODE, {"id": booking["id"]}))["node"] is None


REQUEST_INVALID = [  # (start, end) in hours from BASE (None: an hour ago), other input -> the payload's errors
    (2, 2, {}, [{"field": ["endsAt"], "code": "INVALID"}]),
    (3, 2, {}, [{"field": ["endsAt"], "code": "INVALID"}]),
    (0, 30 * 24 + 0.25, {}, [{"field": ["endsAt"], "code": "INVALID"}]),
    (None, 2, {}, [{"field": ["startsAt"], "code": "INVALID"}]),
    (1, 2, {"quantity": 0}, [{"field": ["quantity"], "code": "INVALID"}]),
    (1, 2, {"quantity": 4}, [{"field": ["quantity"], "code": "INVALID"}]),
    (1, 2, {"purpose": "说明" * 101}, [{"field": ["purpose"], "code": "INVALID"}]),
    (1, 2, {"projectId": gid("Project", 9999)}, [{"field": ["projectId"], "code": "NOT_FOUND"}]),
    (1, 2, {"projectId": gid("Org", 1)}, [{"field": ["projectId"], "code": "NOT_FOUND"}]),
    (1, 2, {"resourceId": gid("Resource", 9999)}, [{"field": ["resourceId"], "code": "NOT_FOUND"}]),
    (1, 2, {"forOrgId": gid("Org", 9999)}, [{"field": ["forOrgId"], "code": "NOT_FOUND"}]),
    (3, 2, {"quantity": 0, "projectId": gid("Project", 9999)}, [
        {"field": ["endsAt"], "code": "INVALID"}, {"field": ["quantity"], "code": "INVALID"},
        {"field": ["projectId"], "code": "NOT_FOUND"}]),
]


async def test_request_booking_validation(demo: Api) -> None:
    resource = await new_resource(demo, quantity=3)
    seen = []
    for start, end, extra, _errors in REQUEST_INVALID:
        starts = (datetime.now(timezone.utc) - timedelta(hours=1)).isoformat() if start is None else iso(start)
        variables = {"input": {"resourceId": resource, "forOrgId": await org_id(BRANCH), "startsAt": starts,
                               "endsAt": iso(end), **extra}}
        body = await demo.ok(REQUEST, variables, as_=BRANCH_ADMIN)
        assert body["requestBooking"]["booking"] is None
        seen.append((start, end, extra, body["requestBooking"]["errors"]))
    assert seen == REQUEST_INVALID
    assert await BookingRow.all().count() == 0


async def test_request_booking_limits_are_inclusive(demo: Api) -> None:
    resource = await new_resource(demo, quantity=3)
    now = datetime.now(timezone.utc)
    ok = [await request(demo, resource, 0, 30 * 24, quantity=3),  # exactly 30 days, the whole quantity
          await request(demo, resource, 0, 0.25),  # a quarter of an hour
          (await demo.ok(REQUEST, {"input": {  # a phone's clock a minute behind
              "resourceId": resource, "forOrgId": await org_id(BRANCH),
              "startsAt": (now - timedelta(minutes=1)).isoformat(),
              "endsAt": (now + timedelta(hours=1)).isoformat()}}, as_=BRANCH_ADMIN))["requestBooking"]]
    assert [p["errors"] for p in ok] == [[], [], []]
    assert await BookingRow.all().count() == 3


async def test_times_with_an_offset_are_compared_as_instants(demo: Api) -> None:
    """A phone in China sends +08:00: [10:00+08:00, 12:00+08:00) is [02:00Z, 04:00Z) and overlaps [03:00Z, 05:00Z),
    and a list or calendar asked for with +08:00 bounds finds what the same instants in UTC find (on SQLite times
    are compared as text, so every bound must be in UTC like the stored values)."""
    resource = await new_resource(demo)
    china = timezone(timedelta(hours=8))
    local = {"input": {"resourceId": resource, "forOrgId": await org_id(BRANCH),
                       "startsAt": at(2).astimezone(china).isoformat(), "endsAt": at(4).astimezone(china).isoformat()}}
    first = (await demo.ok(REQUEST, local, as_=BRANCH_ADMIN))["requestBooking"]["booking"]
    assert (first["startsAt"], first["endsAt"]) in ((iso(2), iso(4)), (local["input"]["startsAt"],
                                                                        local["input"]["endsAt"]))
    row = await booking_row(first["id"])
    assert (row.starts_at, row.ends_at) == (at(2), at(4))
    second = await booked(demo, resource, 3, 5)
    assert (await decide(demo, "approve", first["id"]))["errors"] == []
    assert [e["code"] for e in (await decide(demo, "approve", second))["errors"]] == ["CONFLICT"]
    # Lists and calendars read the same, whatever offset the query uses.
    window = {"id": resource, "from": at(4).astimezone(china).isoformat(), "to": at(6).astimezone(china).isoformat()}
    listed = await demo.ok(BOOKINGS, window, as_=COMMUNITY_ADMIN)
    assert [(b["startsAt"], b["status"]) for b in listed["node"]["bookings"]["nodes"]] == [(iso(3), "PENDING")]
    window = {"id": resource, "from": at(3).astimezone(china).isoformat(), "to": at(5).astimezone(china).isoformat()}
    calendar = await demo.ok(AVAILABILITY, window, as_=BRANCH_ADMIN)
    assert [(datetime.fromisoformat(a["startsAt"]), datetime.fromisoformat(a["endsAt"]), a["freeQuantity"])
            for a in calendar["node"]["availability"]] == [(at(3), at(4), 0), (at(4), at(5), 1)]


# --- approve / reject / cancel ----------------------------------------------------------------------------------


async def test_owner_staff_approve_and_reject(demo: Api) -> None:
    resource = await new_resource(demo, quantity=5)
    first, second = await booked(demo, resource, 0, 2), await booked(demo, resource, 1, 3)
    # The requester, a member, outsiders: not theirs to decide.
    assert outcome(await demo(APPROVE, {"input": {"bookingId": first}}, as_=BRANCH_ADMIN), "approveBooking") == \
        "FORBIDDEN"
    assert outcome(await demo(REJECT, {"input": {"bookingId": first}}, as_=BRANCH_ADMIN), "rejectBooking") == \
        "FORBIDDEN"
    for phone in (MEMBER, PARTNER_ADMIN, RESIDENT):  # they do not even see it
        assert outcome(await demo(APPROVE, {"input": {"bookingId": first}}, as_=phone), "approveBooking") == \
            "NOT_FOUND:bookingId"
    assert outcome(await demo(APPROVE, {"input": {"bookingId": first}}), "approveBooking") == "UNAUTHENTICATED"
    assert outcome(await demo(APPROVE, {"input": {"bookingId": gid("Booking", 999)}}, as_=COMMUNITY_ADMIN),
                   "approveBooking") == "NOT_FOUND:bookingId"
    assert (await booking_row(first)).status is BookingStatus.PENDING

    assert await decide(demo, "approve", first) == {"booking": {"status": "APPROVED", "reason": None}, "errors": []}
    assert await decide(demo, "reject", second, as_=STREET_ADMIN, reason="当天另有安排") == {
        "booking": {"status": "REJECTED", "reason": "当天另有安排"}, "errors": []}
    rows = [await booking_row(first), await booking_row(second)]
    assert [(r.status, r.decided_by_id, r.reason, r.decided_at is not None) for r in rows] == [
        (BookingStatus.APPROVED, demo.users[COMMUNITY_ADMIN], None, True),
        (BookingStatus.REJECTED, demo.users[STREET_ADMIN], "当天另有安排", True)]


WRONG_STATE = [  # what happened to a booking, what is tried next, the status it keeps
    ([("approve", COMMUNITY_ADMIN)], "approve", "APPROVED"),
    ([("approve", COMMUNITY_ADMIN)], "reject", "APPROVED"),
    ([("reject", COMMUNITY_ADMIN)], "approve", "REJECTED"),
    ([("reject", COMMUNITY_ADMIN)], "reject", "REJECTED"),
    ([("reject", COMMUNITY_ADMIN)], "cancel", "REJECTED"),
    ([("cancel", BRANCH_ADMIN)], "approve", "CANCELLED"),
    ([("cancel", BRANCH_ADMIN)], "reject", "CANCELLED"),
    ([("cancel", BRANCH_ADMIN)], "cancel", "CANCELLED"),
    ([("approve", COMMUNITY_ADMIN), ("cancel", COMMUNITY_ADMIN)], "cancel", "CANCELLED"),
]


async def test_decisions_from_the_wrong_state(demo: Api) -> None:
    resource = await new_resource(demo, quantity=len(WRONG_STATE))
    for steps, verb, status in WRONG_STATE:
        booking = await booked(demo, resource, 0, 2)
        for step, phone in steps:
            assert (await decide(demo, step, booking, as_=phone, reason=f"{step}了"))["errors"] == []
        before = await booking_row(booking)
        action = {"approve": "批准", "reject": "拒绝", "cancel": "取消"}[verb]
        assert await decide(demo, verb, booking, reason="再试") == {
            "booking": {"status": status, "reason": before.reason}, "errors": [
                {"field": ["bookingId"], "code": "INVALID_STATE", "message": f"预约当前状态为 {status}，不能{action}"}]}
        after = await booking_row(booking)
        assert (after.status.value, after.reason, after.decided_by_id, after.decided_at) == (
            status, before.reason, before.decided_by_id, before.decided_at), (steps, verb)


async def test_requester_or_owner_cancels(demo: Api) -> None:
    resource = await new_resource(demo, quantity=3)
    by_requester, by_owner, by_other_staff = (await booked(demo, resource, 0, 2), await approved(demo, resource, 0, 2),
                                              await approved(demo, resource, 0, 2))
    await person(demo, "13900000003", "观远里支部委员", (BRANCH, MemberRole.STAFF))
    assert outcome(await demo(CANCEL, {"input": {"bookingId": by_owner}}, as_=MEMBER), "cancelBooking") == \
        "NOT_FOUND:bookingId"
    assert outcome(await demo(CANCEL, {"input": {"bookingId": by_owner}}, as_=PARTNER_ADMIN), "cancelBooking") == \
        "NOT_FOUND:bookingId"
    assert outcome(await demo(CANCEL, {"input": {"bookingId": by_owner}}), "cancelBooking") == "UNAUTHENTICATED"
    assert await decide(demo, "cancel", by_requester, as_=BRANCH_ADMIN, reason="活动改期") == {
        "booking": {"status": "CANCELLED", "reason": "活动改期"}, "errors": []}
    assert await decide(demo, "cancel", by_owner, as_=COMMUNITY_ADMIN, reason="场地维修") == {
        "booking": {"status": "CANCELLED", "reason": "场地维修"}, "errors": []}
    assert (await decide(demo, "cancel", by_other_staff, as_="13900000003"))["booking"]["status"] == "CANCELLED"
    rows = [await booking_row(b) for b in (by_requester, by_owner, by_other_staff)]
    assert [(r.status, r.decided_by_id, r.reason) for r in rows] == [
        (BookingStatus.CANCELLED, demo.users[BRANCH_ADMIN], "活动改期"),
        (BookingStatus.CANCELLED, demo.users[COMMUNITY_ADMIN], "场地维修"),
        (BookingStatus.CANCELLED, demo.users["13900000003"], None)]


async def test_approving_beyond_the_quantity_conflicts(demo: Api) -> None:
    resource = await new_resource(demo, quantity=2)
    await approved(demo, resource, 0, 4)
    await approved(demo, resource, 2, 6)
    over = await booked(demo, resource, 3, 5)  # at 3: [0, 4), [2, 6) and this
    assert await decide(demo, "approve", over) == {"booking": {"status": "PENDING", "reason": None}, "errors": [
        {"field": ["bookingId"], "code": "CONFLICT", "message": "该时段数量不足，批准后将超出可用数量"}]}
    row = await booking_row(over)
    assert (row.status, row.decided_by_id, row.decided_at) == (BookingStatus.PENDING, None, None)
    en = await demo.ok(APPROVE, {"input": {"bookingId": over}}, as_=COMMUNITY_ADMIN, lang="en")
    assert en["approveBooking"]["errors"][0]["message"] == "Approving would exceed the quantity available at that time"
    # Abutting is not overlapping: [4, 6) starts when [0, 4) ends.
    assert (await decide(demo, "approve", await booked(demo, resource, 4, 6)))["errors"] == []
    assert (await decide(demo, "approve", await booked(demo, resource, 0, 2)))["errors"] == []
    # Fits at its start, but not later: at 1 the three above already hold 2.
    late = await booked(demo, resource, 1.5, 2.5)
    assert (await decide(demo, "approve", late))["errors"][0]["code"] == "CONFLICT"
    # Two at once where one is free.
    assert (await decide(demo, "approve", await booked(demo, resource, 6, 8, quantity=2)))["errors"] == []
    assert (await decide(demo, "approve", await booked(demo, resource, 7, 9)))["errors"][0]["code"] == "CONFLICT"


async def test_peak_inside_the_interval_conflicts(demo: Api) -> None:
    resource = await new_resource(demo, quantity=2)
    await approved(demo, resource, 0, 10)
    await approved(demo, resource, 4, 6)
    wide = await booked(demo, resource, 2, 8)  # 2 in use at its start, 3 over [4, 6)
    assert (await decide(demo, "approve", wide))["errors"][0]["code"] == "CONFLICT"
    assert (await decide(demo, "approve", await booked(demo, resource, 6, 12)))["errors"] == []


async def test_cancelling_an_approved_booking_frees_the_quantity(demo: Api) -> None:
    resource = await new_resource(demo)
    first = await approved(demo, resource, 0, 4)
    second = await booked(demo, resource, 2, 6)
    assert (await decide(demo, "approve", second))["errors"][0]["code"] == "CONFLICT"
    assert (await decide(demo, "cancel", first, as_=BRANCH_ADMIN))["errors"] == []
    assert await decide(demo, "approve", second) == {"booking": {"status": "APPROVED", "reason": None}, "errors": []}
    # A rejected request never held anything.
    third = await booked(demo, resource, 6, 8)
    await decide(demo, "reject", third)
    assert (await decide(demo, "approve", await booked(demo, resource, 6, 8)))["errors"] == []
    statuses = [b.status for b in await BookingRow.filter(resource_id=pk(resource)).order_by("id")]
    assert statuses == [BookingStatus.CANCELLED, BookingStatus.APPROVED, BookingStatus.REJECTED,
                        BookingStatus.APPROVED]


async def test_managers_see_and_filter_what_the_orgs_below_them_may_request(demo: Api) -> None:
    await staff(demo)
    # The police station shares with its partners: 鹭江街道 and everything under it (小学社区, ...).
    police_car = await new_resource(demo, "巡逻车", owner=POLICE, as_=POLICE_STAFF, scope="PARTNERS", kind="VEHICLE")
    xiaoxue = {"filter": {"requestableBy": await org_id(XIAOXUE)}}
    # The district admin belongs to no org under 鹭江街道 but manages them all: it sees the car and may ask what
    # 小学社区 may request; a branch admin elsewhere may not probe 小学社区.
    assert (await demo.ok(NODE, {"id": police_car}, as_=ADMIN0))["node"] == {
        "__typename": "Resource", "name": "巡逻车", "retired": False}
    assert (await demo.ok(RESOURCES, xiaoxue, as_=ADMIN0))["resources"] == {
        "totalCount": 1, "nodes": [{"name": "巡逻车"}]}
    assert (await demo.ok(RESOURCES, xiaoxue, as_=BRANCH_ADMIN))["resources"] == {"totalCount": 0, "nodes": []}
    assert (await demo.ok(NODE, {"id": police_car}, as_=BRANCH_ADMIN))["node"] is None
    assert (await demo.ok(NODE, {"id": police_car}, as_=STREET_ADMIN))["node"] is None


# --- Resource.bookings and availability -------------------------------------------------------------------------


async def calendar_fixture(demo: Api) -> str:
    """A quantity-3 venue: approved A [1, 3) ×1, B [2, 5) ×2, C [5, 6) ×1 (abuts B); pending D [0, 10) ×3, rejected
    E [3, 4) ×1, cancelled F [6, 7) ×3."""
    resource = await new_resource(demo, quantity=3)
    await approved(demo, resource, 1, 3, purpose="A")
    await approved(demo, resource, 2, 5, quantity=2, purpose="B")
    await approved(demo, resource, 5, 6, purpose="C")
    await booked(demo, resource, 0, 10, quantity=3, purpose="D")
    await decide(demo, "reject", await booked(demo, resource, 3, 4, purpose="E"))
    await decide(demo, "cancel", await approved(demo, resource, 6, 7, quantity=3, purpose="F"))
    return resource


BETWEEN = [  # [from, to) in hours (None: open) -> the bookings listed, oldest first
    ((None, None), "ABCDEF"),
    ((2, 3), "ABD"),  # A and B overlap [2, 3); nothing ends at 2 that started before
    ((3, 5), "BDE"),  # A ends at 3, C starts at 5: both only touch the window
    ((5, 6), "CD"),
    ((3.5, 3.75), "BDE"),
    ((6, None), "DF"),
    ((None, 1), "D"),
    ((None, 1.5), "AD"),
    ((10, 12), ""),
    ((-2, 0), ""),
]


async def test_bookings_between(demo: Api) -> None:
    resource = await calendar_fixture(demo)
    seen = []
    for (start, end), _purposes in BETWEEN:
        variables = {"id": resource, "from": None if start is None else iso(start),
                     "to": None if end is None else iso(end)}
        bookings = (await demo.ok(BOOKINGS, variables, as_=COMMUNITY_ADMIN))["node"]["bookings"]
        assert bookings["totalCount"] == len(bookings["nodes"])
        seen.append(((start, end), "".join(b["purpose"] for b in bookings["nodes"])))
    assert seen == BETWEEN


async def test_bookings_pages_and_shows_times(demo: Api) -> None:
    resource = await calendar_fixture(demo)
    body = await demo.ok(BOOKINGS, {"id": resource, "from": iso(2), "to": iso(5), "first": 2}, as_=BRANCH_ADMIN)
    page = body["node"]["bookings"]
    cursor = page["pageInfo"]["endCursor"]
    assert page == {"totalCount": 4, "pageInfo": {"hasNextPage": True, "endCursor": cursor}, "nodes": [
        {"purpose": "A", "status": "APPROVED", "startsAt": iso(1), "endsAt": iso(3)},
        {"purpose": "B", "status": "APPROVED", "startsAt": iso(2), "endsAt": iso(5)}]}
    body = await demo.ok(BOOKINGS, {"id": resource, "from": iso(2), "to": iso(5), "first": 2, "after": cursor},
                         as_=BRANCH_ADMIN)
    page = body["node"]["bookings"]
    assert [b["purpose"] for b in page["nodes"]] == ["D", "E"] and page["pageInfo"]["hasNextPage"] is False


async def test_requesters_see_only_their_own_orgs_bookings(demo: Api) -> None:
    await staff(demo)
    resource = await new_resource(demo, scope="DISTRICT", quantity=2)
    await approved(demo, resource, 1, 2, purpose="branch")
    await booked(demo, resource, 1, 3, purpose="team", for_org=TEAM)
    await booked(demo, resource, 2, 4, purpose="hailong", for_org=HAILONG, as_=HAILONG_STAFF)

    async def listed(viewer: str) -> tuple[int, str]:
        page = (await demo.ok(BOOKINGS, {"id": resource}, as_=viewer))["node"]["bookings"]
        return page["totalCount"], " ".join(b["purpose"] for b in page["nodes"])

    # The owner's managers see every booking; a requester those of the orgs it manages (the team is under the
    # branch), nobody else's: the calendar tells them when it is free.
    assert await listed(COMMUNITY_ADMIN) == (3, "branch team hailong")
    assert await listed(STREET_ADMIN) == (3, "branch team hailong")
    assert await listed(BRANCH_ADMIN) == (2, "branch team")
    assert await listed(HAILONG_STAFF) == (1, "hailong")
    assert await listed(PARTNER_ADMIN) == (0, "")
    calendar = await demo.ok(AVAILABILITY, {"id": resource, "from": iso(0), "to": iso(4)}, as_=HAILONG_STAFF)
    assert [a["freeQuantity"] for a in calendar["node"]["availability"]] == [2, 1, 2]


AVAILABLE = [  # [from, to) in hours -> (start, end, free quantity) of each interval
    ((0, 8), [(0, 1, 3), (1, 2, 2), (2, 3, 0), (3, 5, 1), (5, 6, 2), (6, 8, 3)]),
    ((2.5, 5.5), [(2.5, 3, 0), (3, 5, 1), (5, 5.5, 2)]),
    ((3, 5), [(3, 5, 1)]),
    ((6, 7), [(6, 7, 3)]),  # the cancelled booking holds nothing
    ((-1, 1), [(-1, 1, 3)]),
    ((4, 6), [(4, 5, 1), (5, 6, 2)]),
]


async def test_availability(demo: Api) -> None:
    resource = await calendar_fixture(demo)
    for (start, end), expected in AVAILABLE:
        body = await demo.ok(AVAILABILITY, {"id": resource, "from": iso(start), "to": iso(end)}, as_=BRANCH_ADMIN)
        assert body["node"]["availability"] == [{"startsAt": iso(s), "endsAt": iso(e), "freeQuantity": q}
                                                for s, e, q in expected], (start, end)


async def test_availability_merges_equal_neighbours_and_checks_its_range(demo: Api) -> None:
    resource = await new_resource(demo, quantity=2)
    await approved(demo, resource, 1, 2)
    await approved(demo, resource, 2, 3)  # abutting, same quantity: one interval of 1 free
    await approved(demo, resource, 2.5, 3, quantity=1)
    body = await demo.ok(AVAILABILITY, {"id": resource, "from": iso(0), "to": iso(4)}, as_=BRANCH_ADMIN)
    assert body["node"]["availability"] == [
        {"startsAt": iso(0), "endsAt": iso(1), "freeQuantity": 2},
        {"startsAt": iso(1), "endsAt": iso(2.5), "freeQuantity": 1},
        {"startsAt": iso(2.5), "endsAt": iso(3), "freeQuantity": 0},
        {"startsAt": iso(3), "endsAt": iso(4), "freeQuantity": 2}]
    for start, end, message in ((4, 4, "结束时间须晚于开始时间"), (4, 0, "结束时间须晚于开始时间"),
                                (0, 92 * 24 + 1, "查询区间不能超过 92 天")):
        body = await demo(AVAILABILITY, {"id": resource, "from": iso(start), "to": iso(end)}, as_=BRANCH_ADMIN)
        assert body["data"] == {"node": None}
        assert [(e["message"], e["extensions"]) for e in body["errors"]] == [
            (message, {"code": "INVALID", "field": ["to"]})]
    exactly = await demo.ok(AVAILABILITY, {"id": resource, "from": iso(10), "to": iso(10 + 92 * 24)},
                            as_=BRANCH_ADMIN)
    assert exactly["node"]["availability"] == [{"startsAt": iso(10), "endsAt": iso(10 + 92 * 24), "freeQuantity": 2}]


# --- concurrency ------------------------------------------------------------------------------------------------


def _codes(bodies: list[dict], field: str = "approveBooking") -> Counter:
    """How the calls ended: OK, or their error codes (top-level errors would fail the test)."""
    outcomes: Counter = Counter()
    for body in bodies:
        assert "errors" not in body, body
        outcomes["+".join(e["code"] for e in body["data"][field]["errors"]) or "OK"] += 1
    return outcomes


async def _pending(resource: ResourceRow, intervals: list[tuple[float, float]], quantity: int = 1) -> list[int]:
    """PENDING bookings of 观远里 made through the model layer; their ids."""
    branch, admin = await OrgRow.get(name=BRANCH), await UserRow.get(phone=BRANCH_ADMIN)
    rows = [await resource_model.request(resource_id=resource.id, for_org_id=branch.id, requested_by=admin.id,
                                         starts_at=at(s), ends_at=at(e), quantity=quantity, purpose=None,
                                         project_id=None) for s, e in intervals]
    return [row.id for row in rows]


async def _venue(quantity: int) -> ResourceRow:
    owner = await OrgRow.get(name=COMMUNITY)
    return await resource_model.create(owner_id=owner.id, name="多功能厅", kind=ResourceKind.VENUE,
                                       quantity=quantity, share_scope=ShareScope.SUBTREE, description=None,
                                       location=None)


@pytest.mark.parametrize("quantity", [1, 3])
async def test_twenty_concurrent_approvals_of_overlapping_bookings(demo: Api, quantity: int) -> None:
    venue = await _venue(quantity)
    # Twenty requests starting half an hour apart, each twelve hours long: all share [9.5, 12).
    ids = await _pending(venue, [(i / 2, i / 2 + 12) for i in range(20)])
    bodies = await asyncio.gather(*(demo(APPROVE, {"input": {"bookingId": gid("Booking", b)}}, as_=COMMUNITY_ADMIN)
                                    for b in ids))
    assert _codes(bodies) == {"OK": quantity, "CONFLICT": 20 - quantity}
    assert sorted(b["data"]["approveBooking"]["booking"]["status"] for b in bodies) == \
        ["APPROVED"] * quantity + ["PENDING"] * (20 - quantity)
    rows = await BookingRow.filter(resource_id=venue.id)
    assert Counter(r.status for r in rows) == {BookingStatus.APPROVED: quantity, BookingStatus.PENDING: 20 - quantity}
    assert all(r.decided_by_id is None and r.decided_at is None for r in rows if r.status is BookingStatus.PENDING)
    # The calendar agrees: nothing free over the shared stretch.
    calendar = await demo.ok(AVAILABILITY, {"id": gid("Resource", venue.id), "from": iso(9.5), "to": iso(12)},
                             as_=COMMUNITY_ADMIN)
    assert calendar["node"]["availability"] == [{"startsAt": iso(9.5), "endsAt": iso(12), "freeQuantity": 0}]


async def test_one_booking_approved_five_times_at_once(demo: Api) -> None:
    venue = await _venue(1)
    [booking] = await _pending(venue, [(0, 2)])
    bodies = await asyncio.gather(*(demo(APPROVE, {"input": {"bookingId": gid("Booking", booking)}},
                                         as_=COMMUNITY_ADMIN) for _ in range(5)))
    assert _codes(bodies) == {"OK": 1, "INVALID_STATE": 4}
    assert (await BookingRow.get(id=booking)).status is BookingStatus.APPROVED


async def test_approvals_racing_cancellations_and_requests(demo: Api) -> None:
    """Cancelling the approved bookings while others are approved and new ones requested: never over; a refusal
    either came while a cancelled booking still held the place (then it can be approved now) or still holds."""
    venue = await _venue(2)
    held = await _pending(venue, [(0, 6), (0, 6)])
    for booking in held:
        assert await resource_model.approve(booking_id=booking, decided_by=demo.users[COMMUNITY_ADMIN])
    waiting = await _pending(venue, [(i, i + 2) for i in range(6)])
    resource = gid("Resource", venue.id)
    calls = [demo(CANCEL, {"input": {"bookingId": gid("Booking", b)}}, as_=BRANCH_ADMIN) for b in held]
    calls += [demo(APPROVE, {"input": {"bookingId": gid("Booking", b)}}, as_=COMMUNITY_ADMIN) for b in waiting]
    calls += [demo(REQUEST, {"input": {"resourceId": resource, "forOrgId": await org_id(BRANCH), "startsAt": iso(i),
                                       "endsAt": iso(i + 1)}}, as_=BRANCH_ADMIN) for i in range(4)]
    bodies = await asyncio.gather(*calls)
    assert _codes(bodies[:2], "cancelBooking") == {"OK": 2}
    assert set(_codes(bodies[2:8])) <= {"OK", "CONFLICT"}
    assert _codes(bodies[8:], "requestBooking") == {"OK": 4}
    await assert_never_overbooked()
    # With the held bookings gone, every refused one is approvable unless the approved ones now block it.
    for booking in waiting:
        row = await BookingRow.get(id=booking)
        if row.status is BookingStatus.PENDING:
            try:
                await resource_model.approve(booking_id=booking, decided_by=demo.users[COMMUNITY_ADMIN])
            except resource_model.OverBooked:
                others = [(b.starts_at, b.ends_at, b.quantity) for b in
                          await BookingRow.filter(resource_id=venue.id, status=BookingStatus.APPROVED)]
                assert max_use([*others, (row.starts_at, row.ends_at, row.quantity)]) > 2
    await assert_never_overbooked()


async def test_lowering_the_quantity_races_approvals(demo: Api) -> None:
    """Lowering the quantity while a booking is approved: one of the two gives way, never both succeed."""
    for _ in range(10):
        venue = await _venue(2)
        first, second = await _pending(venue, [(0, 4), (1, 3)])
        assert await resource_model.approve(booking_id=first, decided_by=demo.users[COMMUNITY_ADMIN])
        approve, update = await asyncio.gather(
            demo(APPROVE, {"input": {"bookingId": gid("Booking", second)}}, as_=COMMUNITY_ADMIN),
            demo(UPDATE, {"input": {"resourceId": gid("Resource", venue.id), "quantity": 1}}, as_=COMMUNITY_ADMIN))
        pair = (_codes([approve]).most_common(1)[0][0], _codes([update], "updateResource").most_common(1)[0][0])
        assert pair in (("OK", "CONFLICT"), ("CONFLICT", "OK")), pair
        await assert_never_overbooked()


# --- property: random intervals never overbook, and refusals are never over-strict --------------------------------

SLOT = 0.5  # hours: intervals start and end on half hours, so abutting and nested intervals come up often


@st.composite
def scenarios(draw: st.DrawFn) -> tuple[int, list[tuple[int, int, int]], int]:
    """(resource quantity, bookings as (first slot, slots, quantity), how many are approved one by one first)."""
    quantity = draw(st.integers(1, 4))
    bookings = draw(st.lists(st.tuples(st.integers(0, 24), st.integers(1, 12), st.integers(1, quantity)),
                             min_size=1, max_size=12))
    return quantity, bookings, draw(st.integers(0, len(bookings)))


def _fits(quantity: int, holding: list[tuple[int, int, int]], booking: tuple[int, int, int]) -> bool:
    """Brute force over slots: does `booking` fit next to `holding` (all given as (first slot, slots, quantity))?"""
    first, length, amount = booking
    return all(amount + sum(q for s, n, q in holding if s <= slot < s + n) <= quantity
               for slot in range(first, first + length))


@settings(max_examples=30, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(scenario=scenarios())
async def test_random_approvals_never_overbook(demo: Api, scenario: tuple[int, list[tuple[int, int, int]], int]
                                               ) -> None:
    """Random bookings on a resource of random quantity, approved one by one and then all at once: the one-by-one
    answers are exactly the greedy ones, no instant is ever over, every refusal really would have gone over next to
    the approved bookings (the check is not over-strict), and the calendar agrees with a brute-force count."""
    quantity, specs, one_by_one = scenario
    venue = await _venue(quantity)
    admin = demo.users[COMMUNITY_ADMIN]
    ids = []
    for first, length, amount in specs:
        ids += await _pending(venue, [(first * SLOT, (first + length) * SLOT)], quantity=amount)

    async def approve(booking: int) -> bool:
        try:
            assert await resource_model.approve(booking_id=booking, decided_by=admin)
        except resource_model.OverBooked:
            return False
        return True

    # One by one: exactly the greedy answer.
    holding: list[tuple[int, int, int]] = []
    for booking, spec in zip(ids[:one_by_one], specs[:one_by_one]):
        fits = _fits(quantity, holding, spec)
        assert await approve(booking) is fits, (holding, spec)
        holding += [spec] if fits else []
    # The rest at once: any order may win, but never over, and a refusal means it does not fit among the winners.
    results = await asyncio.gather(*(approve(b) for b in ids[one_by_one:]))
    statuses = {b.id: b.status for b in await BookingRow.filter(resource_id=venue.id)}
    for booking, won in zip(ids[one_by_one:], results):
        assert statuses[booking] is (BookingStatus.APPROVED if won else BookingStatus.PENDING)
    winners = [spec for booking, spec in zip(ids, specs) if statuses[booking] is BookingStatus.APPROVED]
    assert winners[:len(holding)] == holding
    for slot in range(0, 36):
        assert sum(q for s, n, q in winners if s <= slot < s + n) <= quantity, (slot, winners)
    for booking, spec in zip(ids[one_by_one:], specs[one_by_one:]):
        if statuses[booking] is BookingStatus.PENDING:
            assert not _fits(quantity, winners, spec), (spec, winners)
    # The calendar shows the same free quantity the brute force does, slot by slot.
    rows = await resource_model.approved_between(resource_id=venue.id, starts=at(0), ends=at(36 * SLOT))
    intervals = resource_model.availability(quantity=quantity, bookings=rows, starts=at(0), ends=at(36 * SLOT))
    for interval in intervals:
        for slot in range(round((interval.starts_at - BASE) / timedelta(hours=SLOT)),
                          round((interval.ends_at - BASE) / timedelta(hours=SLOT))):
            used = sum(q for s, n, q in winners if s <= slot < s + n)
            assert interval.free_quantity == quantity - used, (slot, interval, winners)
    assert [i.starts_at for i in intervals[1:]] == [i.ends_at for i in intervals[:-1]]
    assert all(a.free_quantity != b.free_quantity for a, b in zip(intervals, intervals[1:]))

