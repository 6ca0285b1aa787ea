"""Organisations: the public directory, hierarchy rules, subtree authorisation, stats, pagination, SQL counts."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from models.duty import DutyShift as DutyShiftRow
from models.duty import local_today
from models.enums import MemberRole
from models.meeting import Meeting as MeetingRow
from models.org import Org as OrgRow
from models.resource import Booking as BookingRow
from models.resource import BookingStatus
from models.resource import Resource as ResourceRow
from models.user import Membership as MembershipRow
from models.user import User as UserRow
from tests.conftest import Api, count_sql, gid, org_id

CREATE_ORG = """
mutation($input: CreateOrgInput!) {
  createOrg(input: $input) { org { id name kind parent { name } ancestors { name } viewerRole }
                             errors { field code message } }
}"""

UPDATE_ORG = """
mutation($input: UpdateOrgInput!) {
  updateOrg(input: $input) { org { id name } errors { field code message } }
}"""

ORG_TREE = """
query($id: ID!) {
  org(id: $id) { name kind parent { name } ancestors { name }
    children(first: 10) { totalCount nodes { name kind } }
    compounds { totalCount nodes { name households hasRedCommittee propertyManagement branch { name } } }
    partners { totalCount nodes { name kind } } }
}"""

STATS = """
query($id: ID!) {
  org(id: $id) { stats { compoundCount coveredCompoundCount coverageRate branchCount redCommitteeCount
                         partnerUnitCount registeredMemberCount projectCount claimedProjectCount verifiedHours } }
}"""


async def test_directory_is_public(demo: Api) -> None:
    data = await demo.ok(ORG_TREE, {"id": await org_id("莲花北社区")})
    assert data == {"org": {
        "name": "莲花北社区", "kind": "COMMUNITY_COMMITTEE", "parent": {"name": "嘉莲街道"},
        "ancestors": [{"name": "思明区"}, {"name": "嘉莲街道"}],
        "children": {"totalCount": 1, "nodes": [{"name": "观远里小区党支部", "kind": "COMPOUND_BRANCH"}]},
        "compounds": {"totalCount": 1, "nodes": [{"name": "观远里小区", "households": 412, "hasRedCommittee": True,
                                                  "propertyManagement": "SELF_MANAGED",
                                                  "branch": {"name": "观远里小区党支部"}}]},
        "partners": {"totalCount": 0, "nodes": []},
    }}


async def test_partners_both_directions(demo: Api) -> None:
    q = "query($id: ID!) { org(id: $id) { partners { totalCount nodes { name } } } }"
    unit = await demo.ok(q, {"id": await org_id("厦门市捷安集团党支部")})
    assert unit["org"]["partners"] == {"totalCount": 2, "nodes": [{"name": "嘉莲街道"}, {"name": "巡司顶社区"}]}
    street = await demo.ok(q, {"id": await org_id("嘉莲街道")})
    assert street["org"]["partners"] == {"totalCount": 1, "nodes": [{"name": "厦门市捷安集团党支部"}]}


async def test_stats_roll_up_over_subtree(demo: Api) -> None:
    district = await demo.ok(STATS, {"id": await org_id("思明区")})
    assert district["org"]["stats"] == {
        "compoundCount": 3, "coveredCompoundCount": 3, "coverageRate": 1.0, "branchCount": 3,
        "redCommitteeCount": 2, "partnerUnitCount": 2, "registeredMemberCount": 1, "projectCount": 4,
        "claimedProjectCount": 1, "verifiedHours": 0.0,
    }
    branch = await demo.ok(STATS, {"id": await org_id("观远里小区党支部")})
    assert branch["org"]["stats"]["compoundCount"] == 1
    assert branch["org"]["stats"]["registeredMemberCount"] == 1
    # An uncovered compound lowers the coverage of every ancestor.
    created = await demo.ok("""mutation($i: CreateCompoundInput!) { createCompound(input: $i) { errors { code } } }""",
                            {"i": {"name": "新村", "communityId": await org_id("莲花北社区"), "households": 10}},
                            as_="13800000002")
    assert created["createCompound"]["errors"] == []
    street = await demo.ok(STATS, {"id": await org_id("嘉莲街道")})
    assert street["org"]["stats"]["compoundCount"] == 2
    assert street["org"]["stats"]["coveredCompoundCount"] == 1
    assert street["org"]["stats"]["coverageRate"] == 0.5
    assert street["org"]["stats"]["partnerUnitCount"] == 1


VALID_PARENTS = {
    "DISTRICT": {None},
    "STREET_COMMITTEE": {"DISTRICT"},
    "COMMUNITY_COMMITTEE": {"STREET_COMMITTEE"},
    "COMPOUND_BRANCH": {"COMMUNITY_COMMITTEE"},
    "VOLUNTEER_TEAM": {"COMPOUND_BRANCH", "COMMUNITY_COMMITTEE"},
    "PARTNER_UNIT": {None},
}
PARENT_OF_KIND = {"DISTRICT": "思明区", "STREET_COMMITTEE": "嘉莲街道", "COMMUNITY_COMMITTEE": "莲花北社区",
                  "COMPOUND_BRANCH": "观远里小区党支部", "VOLUNTEER_TEAM": "观远里厝边帮帮团",
                  "PARTNER_UNIT": "厦门市捷安集团党支部"}


@pytest.mark.parametrize("kind", list(VALID_PARENTS))
async def test_every_invalid_parent_is_refused(demo: Api, kind: str) -> None:
    """The district admin may create anywhere; only the contract's parent kinds are accepted."""
    for parent_kind in [None, *PARENT_OF_KIND]:
        parent = await org_id(PARENT_OF_KIND[parent_kind]) if parent_kind else None
        body = await demo(CREATE_ORG, {"input": {"name": "新组织", "kind": kind, "parentId": parent}},
                          as_="13800000000")
        if parent_kind == "PARTNER_UNIT":
            # A partner unit's subtree is managed only by the unit's own admins.
            assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
            continue
        payload = body["data"]["createOrg"]
        if parent_kind in VALID_PARENTS[kind]:
            assert payload["errors"] == [], (kind, parent_kind)
            assert payload["org"]["kind"] == kind
        else:
            assert payload["org"] is None
            assert [(e["code"], e["field"]) for e in payload["errors"]] == [("INVALID_PARENT", ["parentId"])], (
                kind, parent_kind)


async def test_created_org_gets_closure_and_viewer_role(demo: Api) -> None:
    body = await demo.ok(CREATE_ORG, {"input": {"name": "莲花北第二支部", "kind": "COMPOUND_BRANCH",
                                                "parentId": await org_id("莲花北社区")}}, as_="13800000001")
    org = body["createOrg"]["org"]
    assert org["parent"] == {"name": "莲花北社区"}
    assert org["ancestors"] == [{"name": "思明区"}, {"name": "嘉莲街道"}, {"name": "莲花北社区"}]
    assert org["viewerRole"] == "ADMIN"  # inherited from the street
    stats = await demo.ok(STATS, {"id": await org_id("嘉莲街道")})
    assert stats["org"]["stats"]["branchCount"] == 2


async def test_partner_unit_founder_becomes_admin(demo: Api) -> None:
    body = await demo.ok(CREATE_ORG, {"input": {"name": "鹭岛物业党支部", "kind": "PARTNER_UNIT"}}, as_="13800000006")
    assert body["createOrg"]["org"]["viewerRole"] == "ADMIN"
    assert body["createOrg"]["errors"] == []


async def test_only_district_admins_create_districts(demo: Api) -> None:
    body = await demo(CREATE_ORG, {"input": {"name": "湖里区", "kind": "DISTRICT"}}, as_="13800000001")
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert body["data"] is None
    ok = await demo.ok(CREATE_ORG, {"input": {"name": "湖里区", "kind": "DISTRICT"}}, as_="13800000000")
    assert ok["createOrg"]["org"]["kind"] == "DISTRICT"


async def test_subtree_authorisation(demo: Api) -> None:
    lianhua, xunsiding = await org_id("莲花北社区"), await org_id("巡司顶社区")
    # The community admin manages its own community and what lies below...
    own = await demo.ok(UPDATE_ORG, {"input": {"orgId": lianhua, "name": "莲花北社区大党委"}}, as_="13800000002")
    assert own["updateOrg"] == {"org": {"id": lianhua, "name": "莲花北社区大党委"}, "errors": []}
    below = await demo.ok(UPDATE_ORG, {"input": {"orgId": await org_id("观远里小区党支部"), "name": "观远里党支部"}},
                          as_="13800000002")
    assert below["updateOrg"]["errors"] == []
    # ...but not a sibling community, nor its parent street.
    for target in (xunsiding, await org_id("嘉莲街道")):
        body = await demo(UPDATE_ORG, {"input": {"orgId": target, "name": "x"}}, as_="13800000002")
        assert body["data"] is None
        assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
        assert body["errors"][0]["path"] == ["updateOrg"]
    assert (await OrgRow.get(name="巡司顶社区")).name == "巡司顶社区"
    # Anonymous callers are told to log in.
    anon = await demo(UPDATE_ORG, {"input": {"orgId": lianhua, "name": "x"}})
    assert anon["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_update_org_validates_name_in_both_languages(demo: Api) -> None:
    lianhua = await org_id("莲花北社区")
    zh = await demo.ok(UPDATE_ORG, {"input": {"orgId": lianhua, "name": "   "}}, as_="13800000002")
    assert zh["updateOrg"]["errors"] == [{"field": ["name"], "code": "INVALID", "message": "长度须为 1–100 个字符"}]
    en = await demo.ok(UPDATE_ORG, {"input": {"orgId": lianhua, "name": "x" * 101}}, as_="13800000002", lang="en")
    assert en["updateOrg"]["errors"] == [{"field": ["name"], "code": "INVALID",
                                          "message": "Must be 1 to 100 characters long"}]
    missing = await demo.ok(UPDATE_ORG, {"input": {"orgId": gid("Org", 9999), "name": "x"}}, as_="13800000002")
    assert missing["updateOrg"]["errors"][0]["code"] == "NOT_FOUND"


PAIR = """
mutation($input: PairPartnerInput!) { pairPartner(input: $input) { partner { name } org { name }
                                                                   errors { field code } } }"""
UNPAIR = """
mutation($input: UnpairPartnerInput!) { unpairPartner(input: $input) { partner { name } errors { field code } } }"""


async def test_pairing(demo: Api) -> None:
    police, lianhua = await org_id("鹭江派出所"), await org_id("莲花北社区")
    body = await demo.ok(PAIR, {"input": {"partnerUnitId": police, "orgId": lianhua}}, as_="13800000002")
    assert body["pairPartner"] == {"partner": {"name": "鹭江派出所"}, "org": {"name": "莲花北社区"}, "errors": []}
    again = await demo.ok(PAIR, {"input": {"partnerUnitId": police, "orgId": lianhua}}, as_="13800000002")
    assert again["pairPartner"]["errors"] == [{"field": ["partnerUnitId"], "code": "DUPLICATE"}]
    # The partner unit's own admin cannot pair itself with a community.
    denied = await demo(PAIR, {"input": {"partnerUnitId": await org_id("厦门市捷安集团党支部"), "orgId": lianhua}},
                        as_="13800000005")
    assert denied["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    wrong_kind = await demo.ok(PAIR, {"input": {"partnerUnitId": lianhua, "orgId": lianhua}}, as_="13800000002")
    assert wrong_kind["pairPartner"]["errors"] == [{"field": ["partnerUnitId"], "code": "INVALID"}]
    branch = await demo.ok(PAIR, {"input": {"partnerUnitId": police, "orgId": await org_id("观远里小区党支部")}},
                           as_="13800000002")
    assert branch["pairPartner"]["errors"] == [{"field": ["orgId"], "code": "INVALID"}]
    gone = await demo.ok(UNPAIR, {"input": {"partnerUnitId": police, "orgId": lianhua}}, as_="13800000002")
    assert gone["unpairPartner"]["errors"] == []
    twice = await demo.ok(UNPAIR, {"input": {"partnerUnitId": police, "orgId": lianhua}}, as_="13800000002")
    assert twice["unpairPartner"]["errors"] == [{"field": ["partnerUnitId"], "code": "NOT_FOUND"}]


ORGS_PAGE = """
query($first: Int, $after: String, $filter: OrgFilter) {
  orgs(first: $first, after: $after, filter: $filter) {
    totalCount edges { cursor node { name } } pageInfo { hasNextPage endCursor } }
}"""


async def test_cursors_stay_valid_across_inserts(demo: Api) -> None:
    page1 = (await demo.ok(ORGS_PAGE, {"first": 5}))["orgs"]
    assert page1["totalCount"] == 15 and page1["pageInfo"]["hasNextPage"] is True
    names1 = [e["node"]["name"] for e in page1["edges"]]
    # Rows inserted meanwhile do not shift the next page.
    await demo.ok(CREATE_ORG, {"input": {"name": "新伙伴", "kind": "PARTNER_UNIT"}}, as_="13800000006")
    page2 = (await demo.ok(ORGS_PAGE, {"first": 5, "after": page1["pageInfo"]["endCursor"]}))["orgs"]
    all_rows = (await demo.ok(ORGS_PAGE, {"first": 100}))["orgs"]
    names = [e["node"]["name"] for e in all_rows["edges"]]
    assert names1 == names[:5]
    assert [e["node"]["name"] for e in page2["edges"]] == names[5:10]
    assert all_rows["totalCount"] == 16 and all_rows["pageInfo"]["hasNextPage"] is False
    assert names[-1] == "新伙伴"


async def test_first_is_capped_and_cursors_checked(demo: Api) -> None:
    for variables, argument in (({"first": 101}, "first"), ({"first": -1}, "first"), ({"after": "bm9wZQ=="}, "after"),
                                ({"after": "%%%"}, "after")):
        body = await demo(ORGS_PAGE, variables)
        assert body["data"] is None
        assert body["errors"][0]["extensions"] == {"code": "INVALID", "field": [argument]}
    nested = await demo("{ orgs(first: 1) { nodes { children(first: 500) { totalCount } } } }")
    assert nested["errors"][0]["extensions"]["code"] == "INVALID"


async def test_filters(demo: Api) -> None:
    streets = await demo.ok(ORGS_PAGE, {"filter": {"kind": "STREET_COMMITTEE"}})
    assert [e["node"]["name"] for e in streets["orgs"]["edges"]] == ["嘉莲街道", "厦港街道", "鹭江街道"]
    under = await demo.ok(ORGS_PAGE, {"filter": {"parentId": await org_id("思明区")}})
    assert under["orgs"]["totalCount"] == 3
    search = await demo.ok(ORGS_PAGE, {"filter": {"search": "社区"}})
    assert {e["node"]["name"] for e in search["orgs"]["edges"]} == {"莲花北社区", "巡司顶社区", "小学社区"}
    unknown = await demo.ok(ORGS_PAGE, {"filter": {"parentId": "garbage"}})
    assert unknown["orgs"] == {"totalCount": 0, "edges": [], "pageInfo": {"hasNextPage": False, "endCursor": None}}


DIRECTORY_SCREEN = """
query($first: Int) {
  orgs(first: $first) { nodes { name parent { name } children { totalCount } stats { compoundCount } } }
}"""


async def test_statement_count_does_not_grow_with_rows(demo: Api) -> None:
    """20 orgs cost the same statements as 2: parents, child counts and stats are batched."""
    # Enough orgs for a full page of 20.
    for i in range(8):
        await demo.ok(CREATE_ORG, {"input": {"name": f"伙伴{i}", "kind": "PARTNER_UNIT"}}, as_="13800000006")
    with count_sql() as two:
        small = await demo.ok(DIRECTORY_SCREEN, {"first": 2})
    with count_sql() as twenty:
        large = await demo.ok(DIRECTORY_SCREEN, {"first": 20})
    assert len(small["orgs"]["nodes"]) == 2 and len(large["orgs"]["nodes"]) == 20
    assert two.count == twenty.count, (two.statements, twenty.statements)
    assert twenty.count == 4, twenty.statements  # page, parents, child counts, stats


# --- co-building statistics -----------------------------------------------------------------------------------
# Rolled up over the subtree: resources (not retired) and their approved bookings by owner, meetings that have
# begun by convener, resolutions by owner, served duty shifts by centre (a unit: the shifts it served), and
# commissioners at the units paired in the subtree (a unit: its own). The demo: 莲花北社区 offers one venue;
# 嘉莲街道 convened one meeting (begun at seeding) whose resolution, owned by 莲花北社区, became a project; 捷安
# served three shifts at 嘉莲街道's centre (today's is due, six more follow).

CO_BUILDING = ("resourceCount approvedBookingCount meetingCount openResolutionCount convertedResolutionCount "
               "servedDutyShiftCount commissionerCount")

ORG_CO_BUILDING = f"""
query($id: ID!) {{ org(id: $id) {{ name stats {{ {CO_BUILDING} }} }} }}"""

ALL_CO_BUILDING = f"""
{{ orgs(first: 100) {{ nodes {{ name stats {{ {CO_BUILDING} }} }} }} }}"""

CREATE_RESOURCE = """
mutation($input: CreateResourceInput!) { createResource(input: $input) { resource { id } errors { field code } } }"""
RETIRE_RESOURCE = """
mutation($input: RetireResourceInput!) { retireResource(input: $input) { resource { retired } errors { code } } }"""
REQUEST_BOOKING = """
mutation($input: RequestBookingInput!) {
  requestBooking(input: $input) { booking { id status } errors { field code } }
}"""
APPROVE_BOOKING = """
mutation($input: ApproveBookingInput!) { approveBooking(input: $input) { booking { status } errors { code } } }"""
REJECT_BOOKING = """
mutation($input: RejectBookingInput!) { rejectBooking(input: $input) { booking { status } errors { code } } }"""
CANCEL_BOOKING = """
mutation($input: CancelBookingInput!) { cancelBooking(input: $input) { booking { status } errors { code } } }"""
SCHEDULE_MEETING = """
mutation($input: ScheduleMeetingInput!) { scheduleMeeting(input: $input) { meeting { id } errors { field code } } }"""
RECORD_RESOLUTION = """
mutation($input: RecordResolutionInput!) {
  recordResolution(input: $input) { resolution { id owner { name } } errors { field code } }
}"""
CONVERT_RESOLUTION = """
mutation($input: ConvertResolutionToProjectInput!) {
  convertResolutionToProject(input: $input) { project { status org { name } } errors { field code } }
}"""
CHECK_IN_DUTY = """
mutation($input: CheckInDutyInput!) { checkInDuty(input: $input) { shift { checkedIn } errors { field code } } }"""
ADD_COMMISSIONER = """
mutation($input: AddMemberInput!) { addMember(input: $input) { membership { role } errors { field code } } }"""
RECALL = """
mutation($input: RemoveMemberInput!) { removeMember(input: $input) { errors { field code } } }"""

DISTRICT, JIALIAN, LIANHUA, BRANCH, TEAM = "思明区", "嘉莲街道", "莲花北社区", "观远里小区党支部", "观远里厝边帮帮团"
XIAGANG, XUNSIDING, LUJIANG, XIAOXUE = "厦港街道", "巡司顶社区", "鹭江街道", "小学社区"
JIEAN, POLICE = "厦门市捷安集团党支部", "鹭江派出所"
ADMIN0, STREET_ADMIN, COMMUNITY_ADMIN, BRANCH_ADMIN, UNIT_ADMIN = (
    "13800000000", "13800000001", "13800000002", "13800000003", "13800000005")


def figures(resources: int = 0, approved: int = 0, meetings: int = 0, open_: int = 0, converted: int = 0,
            served: int = 0, commissioners: int = 0) -> dict:
    """The seven co-building figures as the API spells them."""
    return {"resourceCount": resources, "approvedBookingCount": approved, "meetingCount": meetings,
            "openResolutionCount": open_, "convertedResolutionCount": converted, "servedDutyShiftCount": served,
            "commissionerCount": commissioners}


async def all_figures(demo: Api, **kwargs: str) -> dict[str, dict]:
    """Every org's figures from one list (the dashboard's path through the batched loader)."""
    data = await demo.ok(ALL_CO_BUILDING, **kwargs)
    return {node["name"]: node["stats"] for node in data["orgs"]["nodes"]}


async def assert_figures(demo: Api, expected: dict[str, dict]) -> None:
    """Named orgs have exactly these figures, every other org has none; one org at a time says the same."""
    listed = await all_figures(demo)
    assert listed == {name: expected.get(name, figures()) for name in listed}
    for name, stats in expected.items():
        alone = await demo.ok(ORG_CO_BUILDING, {"id": await org_id(name)})
        assert alone == {"org": {"name": name, "stats": stats}}, name


DEMO_FIGURES = {
    DISTRICT: figures(resources=1, meetings=1, converted=1, served=3),
    JIALIAN: figures(resources=1, meetings=1, converted=1, served=3),
    LIANHUA: figures(resources=1, converted=1),
    JIEAN: figures(served=3),
}


async def test_co_building_figures_of_the_demo(demo: Api) -> None:
    await assert_figures(demo, DEMO_FIGURES)
    # Public like the rest of the directory: a logged-in viewer gets the very same figures.
    assert await all_figures(demo, as_="13800000006") == await all_figures(demo)
    # The older figures are untouched by the new ones.
    old = await demo.ok(STATS, {"id": await org_id(DISTRICT)})
    assert old["org"]["stats"] == {
        "compoundCount": 3, "coveredCompoundCount": 3, "coverageRate": 1.0, "branchCount": 3,
        "redCommitteeCount": 2, "partnerUnitCount": 2, "registeredMemberCount": 1, "projectCount": 4,
        "claimedProjectCount": 1, "verifiedHours": 0.0}


# Bookable times: whole hours from a UTC midnight two days ahead.
BOOKING_BASE = (datetime.now(timezone.utc) + timedelta(days=2)).replace(hour=0, minute=0, second=0, microsecond=0)


async def _resource(demo: Api, owner: str, name: str, *, as_: str, kind: str = "VENUE", quantity: int = 1) -> str:
    body = await demo.ok(CREATE_RESOURCE, {"input": {"ownerOrgId": await org_id(owner), "name": name, "kind": kind,
                                                     "quantity": quantity, "shareScope": "SUBTREE"}}, as_=as_)
    assert body["createResource"]["errors"] == [], body
    return body["createResource"]["resource"]["id"]


async def _booking(demo: Api, resource: str, hour: int, *, for_org: str = BRANCH, as_: str = BRANCH_ADMIN) -> str:
    """A PENDING one-hour booking `hour` hours after BOOKING_BASE."""
    start = BOOKING_BASE + timedelta(hours=hour)
    body = await demo.ok(REQUEST_BOOKING, {"input": {
        "resourceId": resource, "forOrgId": await org_id(for_org), "startsAt": start.isoformat(),
        "endsAt": (start + timedelta(hours=1)).isoformat()}}, as_=as_)
    assert body["requestBooking"]["errors"] == [], body
    return body["requestBooking"]["booking"]["id"]


async def _decide(demo: Api, query: str, booking: str, *, as_: str) -> None:
    body = await demo.ok(query, {"input": {"bookingId": booking}}, as_=as_)
    assert next(iter(body.values()))["errors"] == [], body


async def test_resources_and_approved_bookings_roll_up(demo: Api) -> None:
    hall = await _resource(demo, LIANHUA, "多功能厅", as_=COMMUNITY_ADMIN, quantity=2)
    room = await _resource(demo, BRANCH, "党员活动室", as_=BRANCH_ADMIN)
    await _resource(demo, TEAM, "应急工具箱", as_=BRANCH_ADMIN, kind="EQUIPMENT")  # a team below the branch
    await _resource(demo, JIEAN, "共建用车", as_=UNIT_ADMIN, kind="VEHICLE")
    projector = await _resource(demo, LIANHUA, "旧投影仪", as_=COMMUNITY_ADMIN, kind="EQUIPMENT")
    # Two approved bookings of the hall; a pending, a rejected and a cancelled one do not count.
    for hour in (1, 3):
        await _decide(demo, APPROVE_BOOKING, await _booking(demo, hall, hour), as_=COMMUNITY_ADMIN)
    await _booking(demo, hall, 5)
    await _decide(demo, REJECT_BOOKING, await _booking(demo, hall, 7), as_=COMMUNITY_ADMIN)
    cancelled = await _booking(demo, hall, 9)
    await _decide(demo, APPROVE_BOOKING, cancelled, as_=COMMUNITY_ADMIN)
    await _decide(demo, CANCEL_BOOKING, cancelled, as_=BRANCH_ADMIN)
    # The branch's own room, booked by the branch for its volunteer team.
    await _decide(demo, APPROVE_BOOKING, await _booking(demo, room, 1, for_org=TEAM), as_=BRANCH_ADMIN)
    # The projector is booked, approved, then retired: it stops counting, its approved booking stays history.
    await _decide(demo, APPROVE_BOOKING, await _booking(demo, projector, 1), as_=COMMUNITY_ADMIN)
    retired = await demo.ok(RETIRE_RESOURCE, {"input": {"resourceId": projector}}, as_=COMMUNITY_ADMIN)
    assert retired["retireResource"] == {"resource": {"retired": True}, "errors": []}
    assert await ResourceRow.filter(retired_at__isnull=False).count() == 1
    assert await BookingRow.filter(status=BookingStatus.APPROVED).count() == 4

    # 莲花北社区: its venue, the hall, the branch's room and the team's toolbox (4); the hall's two, the room's
    # one and the retired projector's one approved bookings (4).
    await assert_figures(demo, {
        DISTRICT: {**DEMO_FIGURES[DISTRICT], "resourceCount": 4, "approvedBookingCount": 4},
        JIALIAN: {**DEMO_FIGURES[JIALIAN], "resourceCount": 4, "approvedBookingCount": 4},
        LIANHUA: {**DEMO_FIGURES[LIANHUA], "resourceCount": 4, "approvedBookingCount": 4},
        BRANCH: figures(resources=2, approved=1),
        TEAM: figures(resources=1),
        JIEAN: {**DEMO_FIGURES[JIEAN], "resourceCount": 1},  # a unit's own, outside every tree
    })


async def test_meetings_count_once_they_have_begun(demo: Api) -> None:
    """By convener, rolled up; `startsAt` in any offset is compared as an instant."""
    now = datetime.now(timezone.utc)
    china = timezone(timedelta(hours=8))
    meetings = [  # convener, as, starts at
        (LIANHUA, COMMUNITY_ADMIN, (now - timedelta(hours=1)).astimezone(china)),   # began an hour ago (+08:00)
        (LIANHUA, COMMUNITY_ADMIN, (now + timedelta(hours=1)).astimezone(china)),   # in an hour: not yet
        (LIANHUA, COMMUNITY_ADMIN, now + timedelta(days=30)),                       # next month: not yet
        (JIALIAN, STREET_ADMIN, now - timedelta(days=2)),                           # two days ago
        (XIAOXUE, ADMIN0, (now - timedelta(minutes=5)).astimezone(timezone(timedelta(hours=-5)))),  # UTC-5
        (XUNSIDING, ADMIN0, now + timedelta(minutes=30)),                           # half an hour ahead
    ]
    ids = []
    for i, (convener, viewer, starts_at) in enumerate(meetings):
        body = await demo.ok(SCHEDULE_MEETING, {"input": {
            "convenerOrgId": await org_id(convener), "title": f"协调会{i}", "startsAt": starts_at.isoformat(),
            "inviteeOrgIds": [await org_id(JIEAN)]}}, as_=viewer)
        assert body["scheduleMeeting"]["errors"] == [], body
        ids.append(body["scheduleMeeting"]["meeting"]["id"])
    assert await MeetingRow.all().count() == 7
    expected = {
        DISTRICT: {**DEMO_FIGURES[DISTRICT], "meetingCount": 4},
        JIALIAN: {**DEMO_FIGURES[JIALIAN], "meetingCount": 3},
        LIANHUA: {**DEMO_FIGURES[LIANHUA], "meetingCount": 1},
        LUJIANG: figures(meetings=1),
        XIAOXUE: figures(meetings=1),
        JIEAN: DEMO_FIGURES[JIEAN],  # invited everywhere, convened nothing
    }
    await assert_figures(demo, expected)
    # Time passes: the meeting due in half an hour begins (moved a minute into the past).
    await MeetingRow.filter(title="协调会5").update(starts_at=now - timedelta(minutes=1))
    expected[DISTRICT] = {**expected[DISTRICT], "meetingCount": 5}
    expected[XIAGANG] = figures(meetings=1)
    expected[XUNSIDING] = figures(meetings=1)
    await assert_figures(demo, expected)


async def test_open_and_converted_resolutions_by_owner(demo: Api) -> None:
    meeting = gid("Meeting", (await MeetingRow.get(title="嘉莲街道近邻共建联席会议")).id)
    resolutions = {}
    for owner in (LIANHUA, BRANCH, JIEAN, JIALIAN, BRANCH):
        body = await demo.ok(RECORD_RESOLUTION, {"input": {"meetingId": meeting, "text": f"{owner}负责落实",
                                                           "ownerOrgId": await org_id(owner)}}, as_=STREET_ADMIN)
        assert body["recordResolution"]["errors"] == [], body
        resolutions.setdefault(owner, []).append(body["recordResolution"]["resolution"]["id"])
    # One of the branch's resolutions becomes its (DRAFT) project; the street's becomes the street's.
    for resolution, viewer in ((resolutions[BRANCH][0], BRANCH_ADMIN), (resolutions[JIALIAN][0], STREET_ADMIN)):
        body = await demo.ok(CONVERT_RESOLUTION, {"input": {"resolutionId": resolution, "capacity": 3,
                                                            "category": "OTHER"}}, as_=viewer)
        assert body["convertResolutionToProject"]["errors"] == [], body
        assert body["convertResolutionToProject"]["project"]["status"] == "DRAFT"
    await assert_figures(demo, {
        DISTRICT: {**DEMO_FIGURES[DISTRICT], "openResolutionCount": 2, "convertedResolutionCount": 3},
        JIALIAN: {**DEMO_FIGURES[JIALIAN], "openResolutionCount": 2, "convertedResolutionCount": 3},
        LIANHUA: {**DEMO_FIGURES[LIANHUA], "openResolutionCount": 2, "convertedResolutionCount": 2},
        BRANCH: figures(open_=1, converted=1),
        JIEAN: {**DEMO_FIGURES[JIEAN], "openResolutionCount": 1},  # a unit's own resolutions, outside the tree
    })


async def test_served_duty_shifts_by_centre_and_by_unit(demo: Api) -> None:
    today = local_today()
    shift = await DutyShiftRow.get(unit_id=(await OrgRow.get(name=JIEAN)).id, duty_date=today)
    body = await demo.ok(CHECK_IN_DUTY, {"input": {"shiftId": gid("DutyShift", shift.id)}}, as_=UNIT_ADMIN)
    assert body["checkInDuty"] == {"shift": {"checkedIn": True}, "errors": []}
    # Rows written directly: 鹭江派出所 served at 巡司顶社区 yesterday and is due there tomorrow; 捷安 served at
    # 莲花北社区's centre a week ago (a community below the street: both centres count for the street).
    ids = {name: (await OrgRow.get(name=name)).id for name in (XUNSIDING, POLICE, LIANHUA, JIEAN)}
    served_at = datetime.now(timezone.utc) - timedelta(days=1)
    await DutyShiftRow.create(centre_id=ids[XUNSIDING], unit_id=ids[POLICE], duty_date=today - timedelta(days=1),
                              checked_in_at=served_at)
    await DutyShiftRow.create(centre_id=ids[XUNSIDING], unit_id=ids[POLICE], duty_date=today + timedelta(days=1))
    await DutyShiftRow.create(centre_id=ids[LIANHUA], unit_id=ids[JIEAN], duty_date=today - timedelta(days=7),
                              checked_in_at=served_at - timedelta(days=6))
    assert await DutyShiftRow.filter(checked_in_at__isnull=False).count() == 6
    await assert_figures(demo, {
        DISTRICT: {**DEMO_FIGURES[DISTRICT], "servedDutyShiftCount": 6},
        JIALIAN: {**DEMO_FIGURES[JIALIAN], "servedDutyShiftCount": 5},
        LIANHUA: {**DEMO_FIGURES[LIANHUA], "servedDutyShiftCount": 1},
        XIAGANG: figures(served=1),
        XUNSIDING: figures(served=1),
        JIEAN: figures(served=5),
        POLICE: figures(served=1),
    })


async def _commissioner(demo: Api, phone: str, unit: str, *, as_: str) -> None:
    if phone not in demo.users:
        demo.users[phone] = (await UserRow.create(phone=phone, display_name=f"专员{phone[-2:]}",
                                                  password_hash="-")).id
    body = await demo.ok(ADD_COMMISSIONER, {"input": {"orgId": await org_id(unit), "phone": phone,
                                                      "role": "COMMISSIONER"}}, as_=as_)
    assert body["addMember"] == {"membership": {"role": "COMMISSIONER"}, "errors": []}, body


async def test_commissioners_count_at_units_paired_in_the_subtree(demo: Api) -> None:
    """捷安 is paired with 嘉莲街道 and 巡司顶社区, 鹭江派出所 with 鹭江街道; a person at both units counts once."""
    await _commissioner(demo, "13900000041", JIEAN, as_=STREET_ADMIN)      # 甲 at 捷安, sent by the street
    await _commissioner(demo, "13900000041", POLICE, as_=ADMIN0)           # 甲 at the police station too
    await _commissioner(demo, "13900000042", POLICE, as_=ADMIN0)           # 乙 at the police station
    await _commissioner(demo, "13900000043", JIEAN, as_=UNIT_ADMIN)        # 丙 at 捷安, named by the unit
    # Other roles at a unit are no commissioners.
    await MembershipRow.create(user_id=demo.users["13800000006"], org=await OrgRow.get(name=JIEAN),
                               role=MemberRole.MEMBER)
    expected = {
        DISTRICT: {**DEMO_FIGURES[DISTRICT], "commissionerCount": 3},
        JIALIAN: {**DEMO_FIGURES[JIALIAN], "commissionerCount": 2},
        LIANHUA: DEMO_FIGURES[LIANHUA],  # the street is paired, not the community below it
        XIAGANG: figures(commissioners=2),
        XUNSIDING: figures(commissioners=2),
        LUJIANG: figures(commissioners=2),
        JIEAN: {**DEMO_FIGURES[JIEAN], "commissionerCount": 2},
        POLICE: figures(commissioners=2),
    }
    await assert_figures(demo, expected)
    # The street recalls 甲 from 捷安 (甲 stays at the police station).
    recalled = await demo.ok(RECALL, {"input": {"orgId": await org_id(JIEAN),
                                                "userId": gid("User", demo.users["13900000041"])}}, as_=STREET_ADMIN)
    assert recalled["removeMember"]["errors"] == []
    for name in (JIALIAN, XIAGANG, XUNSIDING, JIEAN):
        expected[name] = {**expected[name], "commissionerCount": 1}
    await assert_figures(demo, expected)
    # Unpairing the police station takes its commissioners out of the street's and the district's figures.
    unpaired = await demo.ok(UNPAIR, {"input": {"partnerUnitId": await org_id(POLICE), "orgId": await org_id(LUJIANG)}},
                             as_=ADMIN0)
    assert unpaired["unpairPartner"]["errors"] == []
    expected[DISTRICT] = {**expected[DISTRICT], "commissionerCount": 1}
    del expected[LUJIANG]
    await assert_figures(demo, expected)


async def test_commissioner_rows_outside_partner_units_are_not_counted(demo: Api) -> None:
    """COMMISSIONER rows at a community (possible before commissioners were tied to partner units) are not a
    unit's commissioners: no org counts them, rather than the community alone."""
    user = await UserRow.create(phone="13900000044", display_name="旧专员", password_hash="-")
    await MembershipRow.create(user=user, org=await OrgRow.get(name=LIANHUA), role=MemberRole.COMMISSIONER)
    await assert_figures(demo, DEMO_FIGURES)


async def test_stats_of_a_page_of_orgs_take_one_statement(demo: Api) -> None:
    """The dashboard: 20 orgs' figures, old and new, cost the same statements as 2 — one for all stats."""
    for i in range(8):
        await demo.ok(CREATE_ORG, {"input": {"name": f"伙伴{i}", "kind": "PARTNER_UNIT"}}, as_="13800000006")
    await _commissioner(demo, "13900000041", JIEAN, as_=STREET_ADMIN)
    query = f"""query($first: Int) {{ orgs(first: $first) {{ nodes {{ name stats {{
        compoundCount coveredCompoundCount coverageRate branchCount redCommitteeCount partnerUnitCount
        registeredMemberCount projectCount claimedProjectCount verifiedHours {CO_BUILDING} }} }} }} }}"""
    with count_sql() as two:
        small = await demo.ok(query, {"first": 2})
    with count_sql() as twenty:
        large = await demo.ok(query, {"first": 20})
    assert len(small["orgs"]["nodes"]) == 2 and len(large["orgs"]["nodes"]) == 20
    assert two.count == twenty.count == 2, twenty.statements  # the page, then the stats of all its orgs
    assert sum("commissioner_count" in s for s in twenty.statements) == 1
    by_name = {n["name"]: n["stats"] for n in large["orgs"]["nodes"]}
    assert by_name[JIALIAN]["commissionerCount"] == 1 and by_name[JIEAN]["servedDutyShiftCount"] == 3
    assert by_name["伙伴4"] == {**by_name["伙伴4"], **figures()}
    # Logged in, the same two statements (the stats do not depend on the viewer).
    with count_sql() as logged_in:
        await demo.ok(query, {"first": 20}, as_=STREET_ADMIN)
    assert logged_in.count == 2, logged_in.statements
