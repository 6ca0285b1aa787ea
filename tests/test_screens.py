"""The five mobile screens of issue 8 (bench/screens.py), each opened by a user of its role: the whole request costs
at most 4 SQL statements, the same with 2 rows as with 20, and the answer is checked whole both times, with what the
viewer may not see left out (a project the member may not claim, another resident's orders, others' claims)."""

from __future__ import annotations

from datetime import datetime

from bench.screens import DISTRICT_DASHBOARD, MY_ORDERS, ORG_PAGE, PROJECT_DETAIL, PROJECTS_NEAR_ME, Screen
from models.compound import Compound as CompoundRow
from models.enums import MemberRole
from models.household import Household as HouseholdRow
from models.household import HouseholdMember as HouseholdMemberRow
from models.order import Order as OrderRow
from models.order import OrderEvent as EventRow
from models.project import Claim as ClaimRow
from models.project import Project as ProjectRow
from schema.relay import encode_cursor
from tests.conftest import Api, count_sql, gid, org_id, person, pk, project_gid

DISTRICT, STREET, COMMUNITY, BRANCH = "思明区", "嘉莲街道", "莲花北社区", "观远里小区党支部"
XUNSIDING, JIEAN, PROPERTY_TEAM, GUANYUANLI = "巡司顶社区", "厦门市捷安集团党支部", "观远里自管物业服务队", "观远里小区"
GARBAGE, PATROL = "三红垃圾分类督导", "黄昏行平安巡查"
ADMIN0, STREET_ADMIN, COMMUNITY_ADMIN, BRANCH_ADMIN = "13800000000", "13800000001", "13800000002", "13800000003"
MEMBER, PARTNER_ADMIN, RESIDENT, STEWARD = "13800000004", "13800000005", "13800000006", "13800000007"
NEIGHBOUR, OTHER_MEMBER = "13900000100", "13900000101"
MAX_STATEMENTS = 4

CREATE_PROJECT = """
mutation($input: CreateProjectInput!) { createProject(input: $input) { project { id } errors { field code } } }"""
PUBLISH = """
mutation($input: PublishProjectInput!) { publishProject(input: $input) { errors { field code } } }"""
CLOSE = """
mutation($input: CloseProjectInput!) { closeProject(input: $input) { errors { field code } } }"""
CLAIM = """
mutation($input: ClaimProjectInput!) { claimProject(input: $input) { claim { id } errors { field code } } }"""
WITHDRAW = """
mutation($input: WithdrawClaimInput!) { withdrawClaim(input: $input) { errors { field code } } }"""
REPORT = """
mutation($input: ReportClaimDoneInput!) { reportClaimDone(input: $input) { errors { field code } } }"""
VERIFY = """
mutation($input: VerifyClaimInput!) { verifyClaim(input: $input) { errors { field code } } }"""
CREATE_ORG = """
mutation($input: CreateOrgInput!) { createOrg(input: $input) { org { id } errors { field code } } }"""
CREATE_COMPOUND = """
mutation($input: CreateCompoundInput!) { createCompound(input: $input) { compound { id } errors { field code } } }"""
PLACE_ORDER = """
mutation($input: PlaceOrderInput!) { placeOrder(input: $input) { order { id } errors { field code } } }"""
DISPATCH_ORDER = """
mutation($input: DispatchOrderInput!) { dispatchOrder(input: $input) { errors { field code } } }"""
ACCEPT_ORDER = """
mutation($input: AcceptOrderInput!) { acceptOrder(input: $input) { errors { field code } } }"""
CANCEL_ORDER = """
mutation($input: CancelOrderInput!) { cancelOrder(input: $input) { errors { field code } } }"""


# --- helpers ------------------------------------------------------------------------------------------------------


async def open_screen(demo: Api, screen: Screen, phone: str, **variables: object) -> tuple[list[str], dict]:
    """The statements a whole request of the screen sent (the viewer's own reads included), and its data."""
    with count_sql() as sql:
        data = await demo.ok(screen.query, variables, as_=phone)
    return sql.statements, data


def assert_same_cost(two: list[str], twenty: list[str]) -> None:
    """At most MAX_STATEMENTS statements, and as many for a page of 2 rows as for a page of 20."""
    assert len(two) == len(twenty) <= MAX_STATEMENTS, (two, twenty)


async def ok(demo: Api, mutation: str, as_: str, **fields: object) -> dict:
    """A mutation's payload, which must carry no errors."""
    body = await demo.ok(mutation, {"input": fields}, as_=as_)
    payload = next(iter(body.values()))
    assert payload["errors"] == [], payload
    return payload


def iso(value: datetime | None) -> str | None:
    """A time as the API writes it."""
    return value.isoformat() if value is not None else None


def page_info(last_key: int | None, has_next: bool) -> dict:
    return {"hasNextPage": has_next, "endCursor": encode_cursor(last_key) if last_key is not None else None}


async def new_project(demo: Api, title: str, *, org: str = BRANCH, as_: str = BRANCH_ADMIN, capacity: int = 3,
                      kinds: tuple[str, ...] = ("MEMBER", "ORG"), publish: bool = True, **extra: object) -> str:
    """A project created (and published) through the API; its global id."""
    payload = await ok(demo, CREATE_PROJECT, as_, orgId=await org_id(org), title=title, category="OTHER",
                       capacity=capacity, claimantKinds=list(kinds), **extra)
    project = payload["project"]["id"]
    if publish:
        await ok(demo, PUBLISH, as_, projectId=project)
    return project


async def claim(demo: Api, project: str, as_: str, org: str | None = None) -> str:
    """A claim made through the API (for oneself, or for an org one runs); its global id."""
    fields: dict = {"projectId": project}
    if org is not None:
        fields["onBehalfOfOrgId"] = await org_id(org)
    return (await ok(demo, CLAIM, as_, **fields))["claim"]["id"]


# --- 1. projects near me (a party member) -------------------------------------------------------------------------


async def near_me_node(demo: Api, title: str, org: str, *, category: str = "OTHER", capacity: int = 3,
                       remaining: int = 3, location: str | None = None, claim_status: str | None = None) -> dict:
    """A project as the member's "projects near me" shows it (always claimable there)."""
    row = await ProjectRow.get(title=title)
    viewer_claim = None
    if claim_status is not None:
        mine = await ClaimRow.filter(project_id=row.id, user_id=demo.users[MEMBER]).order_by("-id").first()
        assert mine is not None
        viewer_claim = {"id": gid("Claim", mine.id), "status": claim_status}
    return {"id": gid("Project", row.id), "title": title, "category": category, "capacity": capacity,
            "remaining": remaining, "startsAt": iso(row.starts_at), "location": location,
            "org": {"id": await org_id(org), "name": org}, "viewerCanClaim": True, "viewerClaim": viewer_claim}


async def test_projects_near_me(demo: Api) -> None:
    # The demo: the member may claim two of 观远里's projects (the third they hold, the fourth is for orgs only).
    two, data = await open_screen(demo, PROJECTS_NEAR_ME, MEMBER, first=20)
    patrol = await near_me_node(demo, PATROL, BRANCH, category="SAFETY_PATROL", capacity=6, remaining=6,
                                location="观远里小区")
    garbage = await near_me_node(demo, GARBAGE, BRANCH, category="GARBAGE_SORTING", capacity=8, remaining=8,
                                 location="观远里垃圾分类投放点")
    assert data == {"projects": {"nodes": [patrol, garbage],
                                 "pageInfo": page_info(pk(garbage["id"]), has_next=False)}}

    # 22 more the member may claim, published by the branch, its community and its street, between projects the
    # member may not claim: a draft, one for orgs only, one of another street, a full one, a closed one, one the
    # member holds. One the member claimed and withdrew is claimable again and shows that claim.
    await person(demo, OTHER_MEMBER, "邻居党员", (BRANCH, MemberRole.MEMBER))
    publishers = [(BRANCH, BRANCH_ADMIN), (COMMUNITY, COMMUNITY_ADMIN), (STREET, STREET_ADMIN)]
    not_claimable = {3: dict(title="草稿项目", publish=False), 6: dict(title="仅限单位认领", kinds=("ORG",)),
                     9: dict(title="外街项目", org=XUNSIDING, as_=ADMIN0), 12: dict(title="已满项目", capacity=1),
                     15: dict(title="已停止认领"), 17: dict(title="已认领项目")}
    for i in range(22):
        org, admin = publishers[i % 3]
        extra = {"startsAt": "2030-05-01T09:00:00+08:00"} if i % 4 == 0 else {}
        await new_project(demo, f"近邻项目{i:02d}", org=org, as_=admin, location=f"{i}号楼" if i % 2 else None,
                          **extra)
        if i in not_claimable:
            spec = not_claimable[i]
            project = await new_project(demo, **spec)  # type: ignore[arg-type]
            if spec["title"] == "已满项目":
                await claim(demo, project, OTHER_MEMBER)
            elif spec["title"] == "已停止认领":
                await ok(demo, CLOSE, BRANCH_ADMIN, projectId=project)
            elif spec["title"] == "已认领项目":
                await claim(demo, project, MEMBER)
    await claim(demo, await project_gid("近邻项目20"), OTHER_MEMBER)
    await ok(demo, WITHDRAW, MEMBER, claimId=await claim(demo, await project_gid("近邻项目19"), MEMBER))

    twenty, data = await open_screen(demo, PROJECTS_NEAR_ME, MEMBER, first=20)
    expected = []
    for i in range(21, 1, -1):
        org = publishers[i % 3][0]
        expected.append(await near_me_node(demo, f"近邻项目{i:02d}", org, location=f"{i}号楼" if i % 2 else None,
                                           remaining=2 if i == 20 else 3,
                                           claim_status="WITHDRAWN" if i == 19 else None))
    assert data == {"projects": {"nodes": expected, "pageInfo": page_info(pk(expected[-1]["id"]), has_next=True)}}
    assert_same_cost(two, twenty)


# The member's whole project list through `edges { node }` and a named fragment: the page's look-ahead finds the
# fields there too, and works out viewerCanClaim per row when the list is not only of claimable projects.
ALL_PROJECTS_BY_EDGES = """
query { projects(first: 20) { edges { node { ...Card } } } }
fragment Card on Project { title org { name } viewerCanClaim viewerClaim { status } }"""


async def test_the_look_ahead_sees_edges_and_fragments(demo: Api) -> None:
    statements, data = await open_screen(demo, Screen("all_projects", "member", ALL_PROJECTS_BY_EDGES), MEMBER)
    branch, community = {"name": BRANCH}, {"name": COMMUNITY}
    assert [edge["node"] for edge in data["projects"]["edges"]] == [
        {"title": "社区义诊进小区", "org": community, "viewerCanClaim": False, "viewerClaim": None},  # for orgs only
        {"title": PATROL, "org": branch, "viewerCanClaim": True, "viewerClaim": None},
        {"title": GARBAGE, "org": branch, "viewerCanClaim": True, "viewerClaim": None},
        {"title": "独居老人助餐探访", "org": branch, "viewerCanClaim": False, "viewerClaim": {"status": "ACTIVE"}},
    ]
    assert len(statements) == 2, statements  # the viewer's roles, the page with everything else


# --- 2. org page (a street's admin) -------------------------------------------------------------------------------

ZERO_STATS = {"compoundCount": 0, "coverageRate": 0.0, "registeredMemberCount": 0, "projectCount": 0,
              "claimedProjectCount": 0, "verifiedHours": 0.0}
# 莲花北社区 in the demo: 观远里 (covered by its branch), the registered member, four projects, one of them claimed.
LIANHUA_STATS = {"compoundCount": 1, "coverageRate": 1.0, "registeredMemberCount": 1, "projectCount": 4,
                 "claimedProjectCount": 1, "verifiedHours": 0.0}


async def new_community(demo: Api, name: str) -> str:
    """A community under 嘉莲街道, created by the street's admin; its global id."""
    payload = await ok(demo, CREATE_ORG, STREET_ADMIN, name=name, kind="COMMUNITY_COMMITTEE",
                       parentId=await org_id(STREET))
    return payload["org"]["id"]


async def child(name: str, stats: dict) -> dict:
    return {"id": await org_id(name), "name": name, "kind": "COMMUNITY_COMMITTEE", "stats": stats}


async def test_org_page(demo: Api) -> None:
    await new_community(demo, "嘉莲新社区00")
    street = {"id": await org_id(STREET), "name": STREET, "kind": "STREET_COMMITTEE"}
    two, data = await open_screen(demo, ORG_PAGE, STREET_ADMIN, id=street["id"], first=20)
    children = [await child(COMMUNITY, LIANHUA_STATS), await child("嘉莲新社区00", ZERO_STATS)]
    assert data == {"org": {**street, "children": {
        "totalCount": 2, "nodes": children, "pageInfo": page_info(pk(children[-1]["id"]), has_next=False)}}}

    # 20 more communities; one gets a compound (not covered by a branch), another publishes a project.
    for i in range(1, 21):
        await new_community(demo, f"嘉莲新社区{i:02d}")
    await ok(demo, CREATE_COMPOUND, STREET_ADMIN, name="新建小区", communityId=await org_id("嘉莲新社区01"),
             households=300, hasRedCommittee=True)
    await new_project(demo, "新社区的项目", org="嘉莲新社区02", as_=STREET_ADMIN)

    twenty, data = await open_screen(demo, ORG_PAGE, STREET_ADMIN, id=street["id"], first=20)
    figures = {"嘉莲新社区01": {**ZERO_STATS, "compoundCount": 1}, "嘉莲新社区02": {**ZERO_STATS, "projectCount": 1}}
    children = [await child(COMMUNITY, LIANHUA_STATS)]
    children += [await child(f"嘉莲新社区{i:02d}", figures.get(f"嘉莲新社区{i:02d}", ZERO_STATS)) for i in range(19)]
    assert data == {"org": {**street, "children": {
        "totalCount": 22, "nodes": children, "pageInfo": page_info(pk(children[-1]["id"]), has_next=True)}}}
    assert_same_cost(two, twenty)


# --- 3. project detail (the publishing branch's admin) ------------------------------------------------------------


async def claim_node(claim_gid: str, status: str, claimant: dict, *, reported: float | None = None,
                     verified: float | None = None) -> dict:
    row = await ClaimRow.get(id=pk(claim_gid))
    return {"id": claim_gid, "status": status, "reportedHours": reported, "verifiedHours": verified,
            "createdAt": iso(row.created_at), "claimant": claimant}


async def user_claimant(demo: Api, phone: str, name: str) -> dict:
    return {"__typename": "User", "id": gid("User", demo.users[phone]), "displayName": name}


async def detail(project: str, *, claimed: int, claims: list[dict], total: int, has_next: bool) -> dict:
    row = await ProjectRow.get(id=pk(project))
    return {"node": {
        "id": project, "title": "楼道杂物清理", "description": "每周六上午清理楼道杂物。", "category": "OTHER",
        "status": "OPEN", "capacity": 40, "claimedCount": claimed, "remaining": 40 - claimed,
        "startsAt": iso(row.starts_at), "endsAt": iso(row.ends_at), "location": "观远里各楼道",
        "org": {"id": await org_id(BRANCH), "name": BRANCH},
        "claims": {"totalCount": total, "nodes": claims,
                   "pageInfo": page_info(pk(claims[-1]["id"]) if claims else None, has_next)}}}


async def test_project_detail(demo: Api) -> None:
    project = await new_project(demo, "楼道杂物清理", capacity=40, description="每周六上午清理楼道杂物。",
                                location="观远里各楼道", startsAt="2030-05-04T09:00:00+08:00",
                                endsAt="2030-05-04T11:30:00+08:00")
    member_claim = await claim(demo, project, MEMBER)
    unit_claim = await claim(demo, project, PARTNER_ADMIN, org=JIEAN)
    member = await claim_node(member_claim, "ACTIVE", await user_claimant(demo, MEMBER, "陈党员"))
    unit = await claim_node(unit_claim, "ACTIVE", {"__typename": "Org", "id": await org_id(JIEAN), "name": JIEAN})
    two, data = await open_screen(demo, PROJECT_DETAIL, BRANCH_ADMIN, id=project, first=20)
    assert data == await detail(project, claimed=2, claims=[member, unit], total=2, has_next=False)

    # The member's hours are verified; 20 neighbours of the branch claim, one of them withdraws.
    await ok(demo, REPORT, MEMBER, claimId=member_claim, hours=2)
    await ok(demo, VERIFY, COMMUNITY_ADMIN, claimId=member_claim, approved=True)
    volunteers = []
    for i in range(20):
        phone = f"1390000{i + 200:04d}"
        await person(demo, phone, f"志愿者{i:02d}", (BRANCH, MemberRole.MEMBER))
        volunteers.append((phone, await claim(demo, project, phone)))
    await ok(demo, WITHDRAW, volunteers[3][0], claimId=volunteers[3][1])

    twenty, data = await open_screen(demo, PROJECT_DETAIL, BRANCH_ADMIN, id=project, first=20)
    member = await claim_node(member_claim, "VERIFIED", member["claimant"], reported=2.0, verified=2.0)
    claims = [member, unit] + [
        await claim_node(claim_gid, "WITHDRAWN" if i == 3 else "ACTIVE",
                         await user_claimant(demo, phone, f"志愿者{i:02d}"))
        for i, (phone, claim_gid) in enumerate(volunteers[:18])]
    assert data == await detail(project, claimed=21, claims=claims, total=22, has_next=True)
    assert_same_cost(two, twenty)

    # Anyone else who may see the project sees their own claims only: the member theirs, the unit's admin the
    # unit's; a resident without a role there does not see the project.
    statements, data = await open_screen(demo, PROJECT_DETAIL, MEMBER, id=project, first=20)
    assert data == await detail(project, claimed=21, claims=[member], total=1, has_next=False)
    assert len(statements) <= MAX_STATEMENTS, statements
    statements, data = await open_screen(demo, PROJECT_DETAIL, PARTNER_ADMIN, id=project, first=20)
    assert data == await detail(project, claimed=21, claims=[unit], total=1, has_next=False)
    assert len(statements) <= MAX_STATEMENTS, statements
    statements, data = await open_screen(demo, PROJECT_DETAIL, RESIDENT, id=project, first=20)
    assert data == {"node": None}
    assert len(statements) <= MAX_STATEMENTS, statements


# --- 4. my orders (a resident) ------------------------------------------------------------------------------------


async def place(demo: Api, phone: str, description: str) -> str:
    """An order placed through the API by a resident of 观远里; its global id."""
    compound = gid("Compound", (await CompoundRow.get(name=GUANYUANLI)).id)
    payload = await ok(demo, PLACE_ORDER, phone, compoundId=compound, category="REPAIR", description=description)
    return payload["order"]["id"]


async def order_node(order: str, provider: str | None = None) -> dict:
    """An order as "my orders" lists it, with its newest event."""
    row = await OrderRow.get(id=pk(order))
    event = await EventRow.filter(order_id=row.id).order_by("-id").first()
    assert event is not None
    return {"id": order, "status": row.status.value, "category": "REPAIR", "description": row.description,
            "createdAt": iso(row.created_at),
            "provider": {"id": await org_id(provider), "name": provider} if provider else None,
            "latestEvent": {"action": event.action.value, "status": event.status.value, "at": iso(event.at),
                            "note": event.note}}


async def test_my_orders(demo: Api) -> None:
    # A neighbour in 观远里 places two orders; the property team accepts the second.
    await person(demo, NEIGHBOUR, "王邻居")
    household = await HouseholdRow.create(compound=await CompoundRow.get(name=GUANYUANLI), unit="5号楼101室",
                                          area_sqm=80.0)
    await HouseholdMemberRow.create(household=household, user_id=demo.users[NEIGHBOUR])
    team = await org_id(PROPERTY_TEAM)
    first, second = await place(demo, NEIGHBOUR, "厨房灯不亮"), await place(demo, NEIGHBOUR, "门锁损坏")
    await ok(demo, DISPATCH_ORDER, COMMUNITY_ADMIN, orderId=second, providerOrgId=team, priceFen=5000)
    await ok(demo, ACCEPT_ORDER, STEWARD, orderId=second)
    two, data = await open_screen(demo, MY_ORDERS, NEIGHBOUR, first=20)
    nodes = [await order_node(second, PROPERTY_TEAM), await order_node(first)]
    # The demo resident's seven orders are not the neighbour's.
    assert data == {"orders": {"totalCount": 2, "nodes": nodes, "pageInfo": page_info(pk(first), has_next=False)}}
    assert [n["latestEvent"]["action"] for n in nodes] == ["ACCEPTED", "PLACED"]

    # 20 more: every third dispatched to the team, every fifth cancelled by the neighbour.
    orders = []
    for i in range(20):
        order = await place(demo, NEIGHBOUR, f"第{i}单")
        if i % 3 == 0:
            await ok(demo, DISPATCH_ORDER, COMMUNITY_ADMIN, orderId=order, providerOrgId=team, priceFen=100 * i)
        if i % 5 == 0:
            await ok(demo, CANCEL_ORDER, NEIGHBOUR, orderId=order, reason="不需要了")
        orders.append(order)
    twenty, data = await open_screen(demo, MY_ORDERS, NEIGHBOUR, first=20)
    nodes = [await order_node(order, PROPERTY_TEAM if i % 3 == 0 else None)  # a cancelled order keeps its provider
             for i, order in reversed(list(enumerate(orders)))]
    assert data == {"orders": {"totalCount": 22, "nodes": nodes, "pageInfo": page_info(pk(orders[0]), has_next=True)}}
    assert nodes[0]["latestEvent"] == {**nodes[0]["latestEvent"], "action": "PLACED", "status": "SUBMITTED"}
    assert nodes[-1]["latestEvent"] == {**nodes[-1]["latestEvent"], "action": "CANCELLED", "note": "不需要了"}
    assert_same_cost(two, twenty)

    # The demo resident sees their own seven, none of the neighbour's, at the same cost.
    statements, data = await open_screen(demo, MY_ORDERS, RESIDENT, first=20)
    mine = [gid("Order", n) for n in range(7, 0, -1)]
    assert [n["id"] for n in data["orders"]["nodes"]] == mine and data["orders"]["totalCount"] == 7
    assert len(statements) == len(twenty), statements


# --- 5. district dashboard (the district's admin) -----------------------------------------------------------------

# 思明区 in the demo: three compounds, each covered, two with a red owners' committee; four projects, one claimed; a
# shared venue, a joint meeting whose resolution became a project, three duty shifts served.
DISTRICT_STATS = {
    "compoundCount": 3, "coveredCompoundCount": 3, "coverageRate": 1.0, "branchCount": 3, "redCommitteeCount": 2,
    "partnerUnitCount": 2, "registeredMemberCount": 1, "projectCount": 4, "claimedProjectCount": 1,
    "verifiedHours": 0.0, "resourceCount": 1, "approvedBookingCount": 0, "meetingCount": 1, "openResolutionCount": 0,
    "convertedResolutionCount": 1, "servedDutyShiftCount": 3, "commissionerCount": 0}


async def test_district_dashboard(demo: Api) -> None:
    district = {"id": await org_id(DISTRICT), "name": DISTRICT}
    two, data = await open_screen(demo, DISTRICT_DASHBOARD, ADMIN0, id=district["id"])
    assert data == {"org": {**district, "stats": DISTRICT_STATS}}

    # A new community with 20 compounds (half of them with a red committee) and 20 published projects.
    community = await new_community(demo, "嘉莲新社区")
    for i in range(20):
        await ok(demo, CREATE_COMPOUND, STREET_ADMIN, name=f"新建小区{i:02d}", communityId=community,
                 households=100 + i, hasRedCommittee=i % 2 == 0)
        await new_project(demo, f"新社区项目{i:02d}", org="嘉莲新社区", as_=STREET_ADMIN)

    twenty, data = await open_screen(demo, DISTRICT_DASHBOARD, ADMIN0, id=district["id"])
    assert data == {"org": {**district, "stats": {
        **DISTRICT_STATS, "compoundCount": 23, "coverageRate": 3 / 23, "redCommitteeCount": 12, "projectCount": 24}}}
    assert_same_cost(two, twenty)
