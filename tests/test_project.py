"""Projects and claims (项目认领): creation and validation, the status machine, who sees what, claiming under
capacity, withdraw/report/verify, hours and stats, the list filters, notifications, and SQL counts of the two
mobile screens. After every test `claimedCount` equals the number of live claims of each project."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from models.compound import Compound as CompoundRow
from models.enums import ClaimStatus, MemberRole, ProjectCategory, ProjectStatus
from models.notification import Notification as NotificationRow
from models.org import Org as OrgRow
from models.project import LIVE_CLAIM
from models.project import Claim as ClaimRow
from models.project import Project as ProjectRow
from models.user import User as UserRow
from schema.relay import from_global_id
from tests.conftest import Api, count_sql, gid, org_id, person, pk, project_gid

# The demo's projects: 观远里 branch publishes three, 莲花北社区 one (all OPEN); 13800000004 holds a claim on the first.
ELDERLY, GARBAGE, PATROL, CLINIC = "独居老人助餐探访", "三红垃圾分类督导", "黄昏行平安巡查", "社区义诊进小区"
BRANCH, COMMUNITY, STREET, DISTRICT = "观远里小区党支部", "莲花北社区", "嘉莲街道", "思明区"
JIEAN, POLICE = "厦门市捷安集团党支部", "鹭江派出所"
TEAM, OTHER_TEAM = "观远里厝边帮帮团", "巡司顶小巷和事佬"
ADMIN0, STREET_ADMIN, COMMUNITY_ADMIN, BRANCH_ADMIN = "13800000000", "13800000001", "13800000002", "13800000003"
MEMBER, PARTNER_ADMIN, RESIDENT = "13800000004", "13800000005", "13800000006"

CREATE = """
mutation($input: CreateProjectInput!) {
  createProject(input: $input) {
    project { title description category status capacity claimedCount remaining claimantKinds startsAt endsAt
              location org { name } compound { name } viewerCanClaim viewerClaim { status } }
    errors { field code message }
  }
}"""

CREATE_BRIEF = """
mutation($input: CreateProjectInput!) {
  createProject(input: $input) { project { id status } errors { field code } }
}"""

PUBLISH = """
mutation($input: PublishProjectInput!) {
  publishProject(input: $input) { project { status claimedCount } errors { field code message } }
}"""
CLOSE = """
mutation($input: CloseProjectInput!) {
  closeProject(input: $input) { project { status claimedCount } errors { field code message } }
}"""
COMPLETE = """
mutation($input: CompleteProjectInput!) {
  completeProject(input: $input) { project { status claimedCount } errors { field code message } }
}"""
CANCEL = """
mutation($input: CancelProjectInput!) {
  cancelProject(input: $input) { project { status claimedCount } errors { field code message } }
}"""
TRANSITIONS = {"publish": PUBLISH, "close": CLOSE, "complete": COMPLETE, "cancel": CANCEL}

CLAIM = """
mutation($input: ClaimProjectInput!) {
  claimProject(input: $input) {
    claim { id status claimant { __typename ... on User { displayName } ... on Org { name } } }
    project { title claimedCount remaining }
    errors { field code }
  }
}"""

CLAIM_MESSAGE = """
mutation($input: ClaimProjectInput!) { claimProject(input: $input) { errors { message } } }"""

WITHDRAW = """
mutation($input: WithdrawClaimInput!) {
  withdrawClaim(input: $input) { claim { status } project { claimedCount remaining } errors { field code } }
}"""

REPORT = """
mutation($input: ReportClaimDoneInput!) {
  reportClaimDone(input: $input) { claim { status reportedHours note } errors { field code message } }
}"""

VERIFY = """
mutation($input: VerifyClaimInput!) {
  verifyClaim(input: $input) {
    claim { status reportedHours verifiedHours comment } project { claimedCount } errors { field code }
  }
}"""

NODE = """
query($id: ID!) {
  node(id: $id) {
    __typename id
    ... on Project { title status }
    ... on Claim { claimStatus: status project { title } }
  }
}"""

PROJECTS = """
query($filter: ProjectFilter, $first: Int, $after: String) {
  projects(filter: $filter, first: $first, after: $after) {
    totalCount nodes { title } pageInfo { hasNextPage endCursor }
  }
}"""

NOTIFICATIONS = """
query($unreadOnly: Boolean) {
  viewer { unreadNotificationCount
           notifications(unreadOnly: $unreadOnly) { totalCount nodes { id kind message read } } }
}"""

MARK_READ = """
mutation($input: MarkNotificationsReadInput!) {
  markNotificationsRead(input: $input) { notifications { kind read } unreadCount errors { field code } }
}"""

HOURS = """
query($unit: ID!, $ids: [ID!]!) {
  viewer { serviceHours }
  org(id: $unit) { serviceHours }
  nodes(ids: $ids) { ... on Org { name stats { projectCount claimedProjectCount verifiedHours } } }
}"""

PROJECT_CLAIMS = """
query($id: ID!) {
  node(id: $id) {
    ... on Project { claims { totalCount
                              nodes { status claimant { ... on User { displayName } ... on Org { name } } } } }
  }
}"""

NEAR_ME = """
{ projects(filter: {claimable: true}, first: 20) {
    nodes { title org { name } remaining viewerCanClaim viewerClaim { status } } } }"""

MY_CLAIMS = """
{ viewer { serviceHours registration { branch { name } }
           claims(first: 20) { nodes { status project { title org { name } } } } } }"""


# --- helpers ----------------------------------------------------------------------------------------------------


async def assert_counts_consistent() -> None:
    """The invariant: every project's claimedCount is the number of its ACTIVE/DONE/VERIFIED claims."""
    for project in await ProjectRow.all():
        live = await ClaimRow.filter(project_id=project.id, status__in=list(LIVE_CLAIM)).count()
        assert project.claimed_count == live, (project.title, project.claimed_count, live)
        assert project.claimed_count <= project.capacity, project.title


@pytest.fixture(autouse=True)
async def _invariant(demo: Api) -> AsyncIterator[None]:
    yield
    await assert_counts_consistent()


async def new_project(demo: Api, title: str, *, org: str = BRANCH, as_: str = BRANCH_ADMIN, capacity: int = 5,
                      kinds: tuple[str, ...] = ("MEMBER", "ORG"), category: str = "OTHER",
                      publish: bool = True) -> str:
    """Create (and publish) a project through the API; its global id."""
    body = await demo.ok(CREATE_BRIEF, {"input": {"orgId": await org_id(org), "title": title, "category": category,
                                                  "capacity": capacity, "claimantKinds": list(kinds)}}, as_=as_)
    assert body["createProject"]["errors"] == [], body
    project = body["createProject"]["project"]["id"]
    if publish:
        published = await demo.ok(PUBLISH, {"input": {"projectId": project}}, as_=as_)
        assert published["publishProject"]["errors"] == []
    return project


async def claim(demo: Api, project: str, as_: str, org: str | None = None) -> dict:
    """claimProject's payload (a project title or a global id)."""
    project_id = project if from_global_id(project) else await project_gid(project)
    payload: dict = {"projectId": project_id}
    if org is not None:
        payload["onBehalfOfOrgId"] = await org_id(org)
    body = await demo.ok(CLAIM, {"input": payload}, as_=as_)
    await assert_counts_consistent()
    return body["claimProject"]


async def claim_id(demo: Api, project: str, as_: str, org: str | None = None) -> str:
    payload = await claim(demo, project, as_, org)
    assert payload["errors"] == [], payload
    return payload["claim"]["id"]


async def member_claim_gid() -> str:
    """The demo claim of 13800000004 on 独居老人助餐探访."""
    row = await ClaimRow.filter(project__title=ELDERLY, user__phone=MEMBER).order_by("id").first()
    assert row is not None
    return gid("Claim", row.id)


async def notifications(demo: Api, phone: str, lang: str | None = None) -> list[dict]:
    body = await demo.ok(NOTIFICATIONS, as_=phone, lang=lang)
    return [{"kind": n["kind"], "message": n["message"]} for n in body["viewer"]["notifications"]["nodes"]]


# --- createProject ------------------------------------------------------------------------------------------------


async def test_create_project_is_a_draft(demo: Api) -> None:
    compound = gid("Compound", (await CompoundRow.get(name="观远里小区")).id)
    body = await demo.ok(CREATE, {"input": {
        "orgId": await org_id(BRANCH), "title": "  楼道清洁日  ", "description": "每月第一个周六", "category": "ENVIRONMENT",
        "capacity": 10, "claimantKinds": ["ORG", "MEMBER", "ORG"], "startsAt": "2025-06-07T09:00:00+08:00",
        "endsAt": "2025-06-07T11:30:00+08:00", "location": "观远里 3 号楼", "compoundId": compound}}, as_=BRANCH_ADMIN)
    assert body["createProject"] == {"errors": [], "project": {
        "title": "楼道清洁日", "description": "每月第一个周六", "category": "ENVIRONMENT", "status": "DRAFT",
        "capacity": 10, "claimedCount": 0, "remaining": 10, "claimantKinds": ["MEMBER", "ORG"],
        "startsAt": "2025-06-07T01:00:00+00:00", "endsAt": "2025-06-07T03:30:00+00:00", "location": "观远里 3 号楼",
        "org": {"name": BRANCH}, "compound": {"name": "观远里小区"}, "viewerCanClaim": False, "viewerClaim": None}}
    row = await ProjectRow.get(title="楼道清洁日")
    assert (row.status, row.org_id, row.created_by_id, row.claimant_kinds, row.category) == (
        ProjectStatus.DRAFT, (await OrgRow.get(name=BRANCH)).id, demo.users[BRANCH_ADMIN], "MEMBER,ORG",
        ProjectCategory.ENVIRONMENT)
    # A manager of an ancestor publishes in the subtree too; optional fields may be left out.
    street = await demo.ok(CREATE, {"input": {"orgId": await org_id(COMMUNITY), "title": "x", "category": "OTHER",
                                              "capacity": 1}}, as_=STREET_ADMIN)
    assert street["createProject"]["project"]["claimantKinds"] == ["MEMBER"]
    assert street["createProject"]["project"]["compound"] is None


@pytest.mark.parametrize(("change", "field"), [
    ({"title": ""}, "title"),
    ({"title": "   "}, "title"),
    ({"title": "长" * 101}, "title"),
    ({"capacity": 0}, "capacity"),
    ({"capacity": 10_001}, "capacity"),
    ({"capacity": -3}, "capacity"),
    ({"startsAt": "2025-06-07T09:00:00+08:00", "endsAt": "2025-06-07T09:00:00+08:00"}, "endsAt"),
    ({"startsAt": "2025-06-07T09:00:00+08:00", "endsAt": "2025-06-07T08:00:00+08:00"}, "endsAt"),
    ({"claimantKinds": []}, "claimantKinds"),
])
async def test_create_project_validation(demo: Api, change: dict, field: str) -> None:
    base = {"orgId": await org_id(BRANCH), "title": "楼道清洁日", "category": "ENVIRONMENT", "capacity": 5}
    body = await demo.ok(CREATE_BRIEF, {"input": {**base, **change}}, as_=BRANCH_ADMIN)
    assert body["createProject"] == {"project": None, "errors": [{"field": [field], "code": "INVALID"}]}
    assert await ProjectRow.all().count() == 4


async def test_create_project_limits_and_messages(demo: Api) -> None:
    base = {"orgId": await org_id(BRANCH), "category": "OTHER"}
    for title, capacity in (("长" * 100, 10_000), ("一", 1)):
        body = await demo.ok(CREATE_BRIEF, {"input": {**base, "title": title, "capacity": capacity}}, as_=BRANCH_ADMIN)
        assert body["createProject"]["errors"] == []
    # Every problem at once, each on its field, in both languages.
    bad = {**base, "title": "", "capacity": 0, "claimantKinds": [], "startsAt": "2025-06-07T09:00:00Z",
           "endsAt": "2025-06-07T08:00:00Z"}
    zh = await demo.ok(CREATE, {"input": bad}, as_=BRANCH_ADMIN)
    assert zh["createProject"] == {"project": None, "errors": [
        {"field": ["title"], "code": "INVALID", "message": "长度须为 1–100 个字符"},
        {"field": ["capacity"], "code": "INVALID", "message": "须在 1 到 10000 之间"},
        {"field": ["claimantKinds"], "code": "INVALID", "message": "至少选择一种认领方式"},
        {"field": ["endsAt"], "code": "INVALID", "message": "结束时间须晚于开始时间"}]}
    en = await demo.ok(CREATE, {"input": bad}, as_=BRANCH_ADMIN, lang="en")
    assert [e["message"] for e in en["createProject"]["errors"]] == [
        "Must be 1 to 100 characters long", "Must be between 1 and 10000", "Choose at least one kind of claimant",
        "Must be after the start"]


async def test_create_project_compound_must_lie_in_the_subtree(demo: Api) -> None:
    hailong = gid("Compound", (await CompoundRow.get(name="海龙小区")).id)
    guanyuanli = gid("Compound", (await CompoundRow.get(name="观远里小区")).id)
    base = {"title": "楼道清洁日", "category": "ENVIRONMENT", "capacity": 5}
    outside = await demo.ok(CREATE_BRIEF, {"input": {**base, "orgId": await org_id(BRANCH), "compoundId": hailong}},
                            as_=ADMIN0)
    assert outside["createProject"] == {"project": None, "errors": [{"field": ["compoundId"], "code": "INVALID"}]}
    unknown = await demo.ok(CREATE_BRIEF, {"input": {**base, "orgId": await org_id(BRANCH),
                                                     "compoundId": gid("Compound", 999)}}, as_=BRANCH_ADMIN)
    assert unknown["createProject"]["errors"] == [{"field": ["compoundId"], "code": "NOT_FOUND"}]
    # The compound's community and street count as the publisher's area too; a team under the branch does not.
    for org in (COMMUNITY, STREET):
        inside = await demo.ok(CREATE_BRIEF, {"input": {**base, "orgId": await org_id(org), "compoundId": guanyuanli}},
                               as_=ADMIN0)
        assert inside["createProject"]["errors"] == []
    team = await demo.ok(CREATE_BRIEF, {"input": {**base, "orgId": await org_id(TEAM), "compoundId": guanyuanli}},
                         as_=ADMIN0)
    assert team["createProject"]["errors"] == [{"field": ["compoundId"], "code": "INVALID"}]


async def test_create_project_needs_a_manager_of_the_publisher(demo: Api) -> None:
    base = {"title": "楼道清洁日", "category": "ENVIRONMENT", "capacity": 5}
    for phone, org in ((MEMBER, BRANCH), (RESIDENT, BRANCH), (PARTNER_ADMIN, STREET), (BRANCH_ADMIN, COMMUNITY),
                       (COMMUNITY_ADMIN, "巡司顶社区")):
        body = await demo(CREATE_BRIEF, {"input": {**base, "orgId": await org_id(org)}}, as_=phone)
        assert body["data"] is None, (phone, org)
        assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
        assert body["errors"][0]["path"] == ["createProject"]
    anon = await demo(CREATE_BRIEF, {"input": {**base, "orgId": await org_id(BRANCH)}})
    assert anon["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    for missing in (gid("Org", 999), "garbage", await project_gid(ELDERLY)):
        body = await demo.ok(CREATE_BRIEF, {"input": {**base, "orgId": missing}}, as_=ADMIN0)
        assert body["createProject"] == {"project": None, "errors": [{"field": ["orgId"], "code": "NOT_FOUND"}]}
    assert await ProjectRow.all().count() == 4


@pytest.mark.parametrize(("org", "as_", "allowed"), [
    (DISTRICT, ADMIN0, False),
    (STREET, ADMIN0, True),
    (COMMUNITY, ADMIN0, True),
    (BRANCH, ADMIN0, True),
    (TEAM, ADMIN0, True),
    (JIEAN, PARTNER_ADMIN, False),
])
async def test_publisher_kinds(demo: Api, org: str, as_: str, allowed: bool) -> None:
    body = await demo.ok(CREATE_BRIEF, {"input": {"orgId": await org_id(org), "title": "楼道清洁日",
                                                  "category": "ENVIRONMENT", "capacity": 5}}, as_=as_)
    if allowed:
        assert body["createProject"]["errors"] == []
        assert body["createProject"]["project"]["status"] == "DRAFT"
    else:
        assert body["createProject"] == {"project": None, "errors": [{"field": ["orgId"], "code": "INVALID"}]}


# --- the status machine -------------------------------------------------------------------------------------------

ALLOWED = {  # action -> statuses it may start from, and where it leads
    "publish": ({"DRAFT"}, "OPEN"),
    "close": ({"OPEN"}, "CLOSED"),
    "complete": ({"OPEN", "CLOSED"}, "COMPLETED"),
    "cancel": ({"DRAFT", "OPEN", "CLOSED"}, "CANCELLED"),
}
VERBS_ZH = {"publish": "发布", "close": "停止认领", "complete": "完成", "cancel": "取消"}
VERBS_EN = {"publish": "published", "close": "closed", "complete": "completed", "cancel": "cancelled"}


@pytest.mark.parametrize("action", list(TRANSITIONS))
@pytest.mark.parametrize("start", [s.value for s in ProjectStatus])
async def test_every_transition(demo: Api, action: str, start: str) -> None:
    project = await new_project(demo, "楼道清洁日", publish=False)
    await ProjectRow.filter(id=pk(project)).update(status=ProjectStatus(start))
    body = await demo.ok(TRANSITIONS[action], {"input": {"projectId": project}}, as_=BRANCH_ADMIN)
    payload = body[f"{action}Project"]
    sources, target = ALLOWED[action]
    if start in sources:
        assert payload == {"project": {"status": target, "claimedCount": 0}, "errors": []}
        assert (await ProjectRow.get(id=pk(project))).status.value == target
    else:
        assert payload == {"project": {"status": start, "claimedCount": 0}, "errors": [{
            "field": ["projectId"], "code": "INVALID_STATE",
            "message": f"项目当前状态为 {start}，不能{VERBS_ZH[action]}"}]}
        assert (await ProjectRow.get(id=pk(project))).status.value == start
        en = await demo.ok(TRANSITIONS[action], {"input": {"projectId": project}}, as_=BRANCH_ADMIN, lang="en")
        assert en[f"{action}Project"]["errors"][0]["message"] == (
            f"The project is {start}; it cannot be {VERBS_EN[action]}")


async def test_transitions_need_a_manager(demo: Api) -> None:
    elderly = await project_gid(ELDERLY)
    for action, document in TRANSITIONS.items():
        # Those who see the project but do not run its publisher are refused; those who do not see it find nothing.
        for phone in (MEMBER, PARTNER_ADMIN):
            body = await demo(document, {"input": {"projectId": elderly}}, as_=phone)
            assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN", (action, phone)
        hidden = await demo.ok(document, {"input": {"projectId": elderly}}, as_=RESIDENT)
        assert hidden[f"{action}Project"] == {"project": None, "errors": [{
            "field": ["projectId"], "code": "NOT_FOUND", "message": "找不到该对象"}]}
        anon = await demo(document, {"input": {"projectId": elderly}})
        assert anon["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    clinic = await project_gid(CLINIC)  # published by the community: above the branch admin
    body = await demo(CLOSE, {"input": {"projectId": clinic}}, as_=BRANCH_ADMIN)
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert {p.status for p in await ProjectRow.all()} == {ProjectStatus.OPEN}
    # The street admin steers projects anywhere below.
    ok = await demo.ok(CLOSE, {"input": {"projectId": clinic}}, as_=STREET_ADMIN)
    assert ok["closeProject"] == {"project": {"status": "CLOSED", "claimedCount": 0}, "errors": []}


async def test_cancel_withdraws_active_claims_and_tells_the_claimants(demo: Api) -> None:
    await person(demo, "13900000001", "王党员", (BRANCH, MemberRole.MEMBER))
    elderly = await project_gid(ELDERLY)
    member_claim = await member_claim_gid()
    unit_claim = await claim_id(demo, ELDERLY, PARTNER_ADMIN, JIEAN)
    done_claim = await claim_id(demo, ELDERLY, "13900000001")
    done = await demo.ok(REPORT, {"input": {"claimId": done_claim, "hours": 2}}, as_="13900000001")
    assert done["reportClaimDone"]["errors"] == []
    assert (await ProjectRow.get(id=pk(elderly))).claimed_count == 3

    body = await demo.ok(CANCEL, {"input": {"projectId": elderly}}, as_=BRANCH_ADMIN)
    # The ACTIVE claims are withdrawn and free their places; the DONE one stands (its work was done).
    assert body["cancelProject"] == {"project": {"status": "CANCELLED", "claimedCount": 1}, "errors": []}
    statuses = {c.id: c.status for c in await ClaimRow.filter(project_id=pk(elderly))}
    assert statuses == {pk(member_claim): ClaimStatus.WITHDRAWN, pk(unit_claim): ClaimStatus.WITHDRAWN,
                        pk(done_claim): ClaimStatus.DONE}
    assert all(c.active_key is None for c in await ClaimRow.filter(status=ClaimStatus.WITHDRAWN))
    # The member and the unit's admin are told, each in their language; the acting admin is not.
    assert (await notifications(demo, MEMBER))[0] == {
        "kind": "PROJECT_CANCELLED", "message": "「独居老人助餐探访」已取消，您的认领已撤回"}
    assert (await notifications(demo, PARTNER_ADMIN, lang="en"))[0] == {
        "kind": "PROJECT_CANCELLED", "message": "“独居老人助餐探访” was cancelled and your claim withdrawn"}
    assert await NotificationRow.filter(kind="PROJECT_CANCELLED").count() == 2
    assert not await NotificationRow.filter(user_id=demo.users[BRANCH_ADMIN], kind="PROJECT_CANCELLED").exists()
    # Cancelled is final.
    again = await demo.ok(CANCEL, {"input": {"projectId": elderly}}, as_=BRANCH_ADMIN)
    assert again["cancelProject"]["errors"][0]["code"] == "INVALID_STATE"
    assert await NotificationRow.filter(kind="PROJECT_CANCELLED").count() == 2


async def test_close_and_complete_tell_live_claimants(demo: Api) -> None:
    elderly = await project_gid(ELDERLY)
    await claim_id(demo, ELDERLY, PARTNER_ADMIN, JIEAN)
    closed = await demo.ok(CLOSE, {"input": {"projectId": elderly}}, as_=COMMUNITY_ADMIN)
    assert closed["closeProject"] == {"project": {"status": "CLOSED", "claimedCount": 2}, "errors": []}
    completed = await demo.ok(COMPLETE, {"input": {"projectId": elderly}}, as_=COMMUNITY_ADMIN)
    assert completed["completeProject"] == {"project": {"status": "COMPLETED", "claimedCount": 2}, "errors": []}
    assert await notifications(demo, MEMBER, lang="en") == [
        {"kind": "PROJECT_COMPLETED", "message": "“独居老人助餐探访” is completed"},
        {"kind": "PROJECT_CLOSED", "message": "“独居老人助餐探访” no longer takes claims"}]
    assert [n["kind"] for n in await notifications(demo, PARTNER_ADMIN)] == ["PROJECT_COMPLETED", "PROJECT_CLOSED"]


# --- who sees what ------------------------------------------------------------------------------------------------


async def test_visibility_is_the_same_for_node_and_projects(demo: Api) -> None:
    # Besides the demo's four OPEN projects: drafts at the branch and the community, projects of 巡司顶社区 (paired
    # with the partner unit) and of 小学社区 (nobody's but the district's), and a 观远里 team project.
    await new_project(demo, "支部草稿", publish=False)
    await new_project(demo, "社区草稿", org=COMMUNITY, as_=COMMUNITY_ADMIN, publish=False)
    await new_project(demo, "巡司顶项目", org="巡司顶社区", as_=ADMIN0)
    await new_project(demo, "小学社区项目", org="小学社区", as_=ADMIN0)
    await new_project(demo, "帮帮团项目", org=TEAM, as_=ADMIN0)
    await person(demo, "13900000002", "派出所书记", (POLICE, MemberRole.ADMIN))
    await person(demo, "13900000003", "帮帮团队员", (TEAM, MemberRole.MEMBER))
    await person(demo, "13900000004", "巡司顶调解员", (OTHER_TEAM, MemberRole.MEMBER))
    demo_open = {ELDERLY, GARBAGE, PATROL, CLINIC}
    everything = demo_open | {"支部草稿", "社区草稿", "巡司顶项目", "小学社区项目", "帮帮团项目"}
    expected = {
        ADMIN0: everything,
        STREET_ADMIN: demo_open | {"支部草稿", "社区草稿", "帮帮团项目"},
        COMMUNITY_ADMIN: demo_open | {"支部草稿", "社区草稿", "帮帮团项目"},
        # The branch admin runs the branch and below, and as a member there sees the published work above it.
        BRANCH_ADMIN: demo_open | {"支部草稿", "帮帮团项目"},
        MEMBER: demo_open,
        PARTNER_ADMIN: demo_open | {"巡司顶项目", "帮帮团项目"},
        RESIDENT: set(),
        "13900000002": {"小学社区项目"},  # paired with 鹭江街道
        "13900000003": demo_open | {"帮帮团项目"},
        "13900000004": {"巡司顶项目"},
    }
    all_projects = {p.title: gid("Project", p.id) for p in await ProjectRow.all()}
    for phone, titles in expected.items():
        listed = (await demo.ok(PROJECTS, {"first": 100}, as_=phone))["projects"]
        assert {n["title"] for n in listed["nodes"]} == titles, phone
        assert listed["totalCount"] == len(titles), phone
        for title, project in all_projects.items():
            node = (await demo.ok(NODE, {"id": project}, as_=phone))["node"]
            if title in titles:
                status = "DRAFT" if title.endswith("草稿") else "OPEN"
                assert node == {"__typename": "Project", "id": project, "title": title, "status": status}
            else:
                assert node is None, (phone, title)
    # Anonymous callers see no project and may not list them.
    for project in all_projects.values():
        assert (await demo.ok(NODE, {"id": project}))["node"] is None
    anon = await demo(PROJECTS)
    assert anon["data"] is None
    assert anon["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    # Publishing the draft shows it to the members below.
    await demo.ok(PUBLISH, {"input": {"projectId": all_projects["支部草稿"]}}, as_=BRANCH_ADMIN)
    assert (await demo.ok(NODE, {"id": all_projects["支部草稿"]}, as_=MEMBER))["node"]["status"] == "OPEN"


async def test_claims_are_seen_by_claimant_and_publisher_managers(demo: Api) -> None:
    member_claim = await member_claim_gid()
    unit_claim = await claim_id(demo, ELDERLY, PARTNER_ADMIN, JIEAN)
    await person(demo, "13900000005", "捷安干事", (JIEAN, MemberRole.STAFF))
    await person(demo, "13900000006", "支部党员", (BRANCH, MemberRole.MEMBER))
    seen = {
        member_claim: {ADMIN0, STREET_ADMIN, COMMUNITY_ADMIN, BRANCH_ADMIN, MEMBER},
        unit_claim: {ADMIN0, STREET_ADMIN, COMMUNITY_ADMIN, BRANCH_ADMIN, PARTNER_ADMIN, "13900000005"},
    }
    for claim_gid, viewers in seen.items():
        for phone in demo.users:
            node = (await demo.ok(NODE, {"id": claim_gid}, as_=phone))["node"]
            if phone in viewers:
                assert node == {"__typename": "Claim", "id": claim_gid, "claimStatus": "ACTIVE",
                                "project": {"title": ELDERLY}}, phone
            else:
                assert node is None, (phone, claim_gid)
        assert (await demo.ok(NODE, {"id": claim_gid}))["node"] is None
    assert (await demo.ok(NODE, {"id": gid("Claim", 999)}, as_=ADMIN0))["node"] is None


async def test_project_claims_list_follows_the_viewer(demo: Api) -> None:
    await claim_id(demo, ELDERLY, PARTNER_ADMIN, JIEAN)
    await person(demo, "13900000007", "团队长", (TEAM, MemberRole.ADMIN), (BRANCH, MemberRole.MEMBER))
    await claim_id(demo, ELDERLY, "13900000007", TEAM)
    await claim_id(demo, ELDERLY, "13900000007")
    elderly = await project_gid(ELDERLY)
    everyone = [{"status": "ACTIVE", "claimant": {"displayName": "陈党员"}},
                {"status": "ACTIVE", "claimant": {"name": JIEAN}},
                {"status": "ACTIVE", "claimant": {"name": TEAM}},
                {"status": "ACTIVE", "claimant": {"displayName": "团队长"}}]
    for manager in (BRANCH_ADMIN, COMMUNITY_ADMIN, ADMIN0):
        body = await demo.ok(PROJECT_CLAIMS, {"id": elderly}, as_=manager)
        assert body["node"]["claims"] == {"totalCount": 4, "nodes": everyone}
    own = {MEMBER: [everyone[0]], PARTNER_ADMIN: [everyone[1]], "13900000007": everyone[2:]}
    for phone, nodes in own.items():
        body = await demo.ok(PROJECT_CLAIMS, {"id": elderly}, as_=phone)
        assert body["node"]["claims"] == {"totalCount": len(nodes), "nodes": nodes}, phone


# --- claimProject -------------------------------------------------------------------------------------------------

CLAIM_SCREEN = """
query($id: ID!) {
  node(id: $id) { ... on Project { claimedCount remaining viewerCanClaim viewerClaim { status } } }
}"""


async def test_member_claims_for_themself(demo: Api) -> None:
    garbage = await project_gid(GARBAGE)
    assert (await demo.ok(CLAIM_SCREEN, {"id": garbage}, as_=MEMBER))["node"] == {
        "claimedCount": 0, "remaining": 8, "viewerCanClaim": True, "viewerClaim": None}
    payload = await claim(demo, GARBAGE, MEMBER)
    row = await ClaimRow.get(project_id=pk(garbage))
    assert payload == {"errors": [], "claim": {"id": gid("Claim", row.id), "status": "ACTIVE", "claimant": {
        "__typename": "User", "displayName": "陈党员"}}, "project": {"title": GARBAGE, "claimedCount": 1,
                                                                   "remaining": 7}}
    assert (row.user_id, row.org_id, row.claimed_by_id, row.status, row.active_key) == (
        demo.users[MEMBER], None, demo.users[MEMBER], ClaimStatus.ACTIVE, f"u:{demo.users[MEMBER]}")
    assert (await demo.ok(CLAIM_SCREEN, {"id": garbage}, as_=MEMBER))["node"] == {
        "claimedCount": 1, "remaining": 7, "viewerCanClaim": False, "viewerClaim": {"status": "ACTIVE"}}
    # The branch's admin hears of it; the claimant does not hear of their own claim.
    assert await notifications(demo, BRANCH_ADMIN) == [{"kind": "CLAIM_CREATED", "message": "「三红垃圾分类督导」有新的认领"}]
    assert await notifications(demo, MEMBER) == []
    again = await claim(demo, GARBAGE, MEMBER)
    assert again == {"claim": None, "project": None, "errors": [{"field": ["projectId"], "code": "ALREADY_CLAIMED"}]}
    # The demo claim on 独居老人助餐探访 is already there too.
    assert (await claim(demo, ELDERLY, MEMBER))["errors"] == [{"field": ["projectId"], "code": "ALREADY_CLAIMED"}]


async def test_partner_unit_claims_for_the_unit(demo: Api) -> None:
    elderly = await project_gid(ELDERLY)
    assert (await demo.ok(CLAIM_SCREEN, {"id": elderly}, as_=PARTNER_ADMIN))["node"]["viewerCanClaim"] is True
    payload = await claim(demo, ELDERLY, PARTNER_ADMIN, JIEAN)
    row = await ClaimRow.get(project_id=pk(elderly), org_id=(await OrgRow.get(name=JIEAN)).id)
    assert payload == {"errors": [], "claim": {"id": gid("Claim", row.id), "status": "ACTIVE", "claimant": {
        "__typename": "Org", "name": JIEAN}}, "project": {"title": ELDERLY, "claimedCount": 2, "remaining": 3}}
    assert (row.user_id, row.claimed_by_id, row.active_key) == (None, demo.users[PARTNER_ADMIN], f"o:{row.org_id}")
    assert (await demo.ok(CLAIM_SCREEN, {"id": elderly}, as_=PARTNER_ADMIN))["node"] == {
        "claimedCount": 2, "remaining": 3, "viewerCanClaim": False, "viewerClaim": {"status": "ACTIVE"}}
    # Another admin of the same unit cannot claim a second place for it.
    await person(demo, "13900000005", "捷安干事", (JIEAN, MemberRole.STAFF))
    again = await claim(demo, ELDERLY, "13900000005", JIEAN)
    assert again["errors"] == [{"field": ["projectId"], "code": "ALREADY_CLAIMED"}]
    # ORG-only projects of the paired street's subtree are open to the unit as well.
    clinic = await claim(demo, CLINIC, PARTNER_ADMIN, JIEAN)
    assert clinic["claim"]["claimant"] == {"__typename": "Org", "name": JIEAN}


async def test_volunteer_team_claims_in_its_lineage(demo: Api) -> None:
    await person(demo, "13900000007", "团队长", (TEAM, MemberRole.STAFF))
    payload = await claim(demo, GARBAGE, "13900000007", TEAM)
    assert payload["errors"] == []
    assert payload["claim"]["claimant"] == {"__typename": "Org", "name": TEAM}
    # The member of the team also claims for themself (the team lies in the branch's subtree).
    mine = await claim(demo, GARBAGE, "13900000007")
    assert mine["claim"]["claimant"] == {"__typename": "User", "displayName": "团队长"}
    assert mine["project"]["claimedCount"] == 2


async def test_capacity_is_never_exceeded(demo: Api) -> None:
    await person(demo, "13900000008", "李党员", (BRANCH, MemberRole.MEMBER))
    single = await new_project(demo, "单人项目", capacity=1)
    assert (await claim(demo, single, MEMBER))["project"] == {"title": "单人项目", "claimedCount": 1, "remaining": 0}
    for phone, org in (("13900000008", None), (PARTNER_ADMIN, JIEAN)):
        full = await claim(demo, single, phone, org)
        assert full == {"claim": None, "project": None, "errors": [{"field": ["projectId"], "code": "CAPACITY_FULL"}]}
        assert (await demo.ok(CLAIM_SCREEN, {"id": single}, as_=phone))["node"]["viewerCanClaim"] is False
    assert await ClaimRow.filter(project_id=pk(single)).count() == 1
    en = await demo.ok(CLAIM_MESSAGE, {"input": {"projectId": single}}, as_="13900000008", lang="en")
    assert en["claimProject"]["errors"] == [{"message": "No places left"}]
    # A withdrawn claim frees the place.
    withdrawn = await demo.ok(WITHDRAW, {"input": {"claimId": gid("Claim", (await ClaimRow.get(
        project_id=pk(single))).id)}}, as_=MEMBER)
    assert withdrawn["withdrawClaim"]["project"] == {"claimedCount": 0, "remaining": 1}
    assert (await claim(demo, single, "13900000008"))["errors"] == []


async def test_only_open_projects_take_claims(demo: Api) -> None:
    garbage = await project_gid(GARBAGE)
    await demo.ok(CLOSE, {"input": {"projectId": garbage}}, as_=BRANCH_ADMIN)
    for phone, org in ((MEMBER, None), (PARTNER_ADMIN, JIEAN)):
        closed = await claim(demo, GARBAGE, phone, org)
        assert closed == {"claim": None, "project": None,
                          "errors": [{"field": ["projectId"], "code": "INVALID_STATE"}]}
        assert (await demo.ok(CLAIM_SCREEN, {"id": garbage}, as_=phone))["node"]["viewerCanClaim"] is False
    for status in (ProjectStatus.COMPLETED, ProjectStatus.CANCELLED):
        await ProjectRow.filter(id=pk(garbage)).update(status=status)
        assert (await claim(demo, GARBAGE, MEMBER))["errors"] == [{"field": ["projectId"], "code": "INVALID_STATE"}]
    # A draft: its managers get INVALID_STATE, the members below do not even see it.
    draft = await new_project(demo, "支部草稿", publish=False)
    assert (await claim(demo, draft, BRANCH_ADMIN))["errors"] == [{"field": ["projectId"], "code": "INVALID_STATE"}]
    assert (await claim(demo, draft, MEMBER))["errors"] == [{"field": ["projectId"], "code": "NOT_FOUND"}]
    assert not await ClaimRow.filter(project_id__in=[pk(garbage), pk(draft)]).exists()


async def test_claimant_kind_and_eligibility(demo: Api) -> None:
    await person(demo, "13900000002", "派出所书记", (POLICE, MemberRole.ADMIN), (JIEAN, MemberRole.MEMBER))
    await person(demo, "13900000004", "和事佬队长", (OTHER_TEAM, MemberRole.ADMIN), (JIEAN, MemberRole.MEMBER))
    cases = [
        # (project, phone, on behalf of, field of the INVALID error)
        (CLINIC, MEMBER, None, "projectId"),  # ORG only
        (PATROL, PARTNER_ADMIN, JIEAN, "onBehalfOfOrgId"),  # MEMBER only
        (ELDERLY, PARTNER_ADMIN, None, "projectId"),  # the unit's admin is no member in the branch's area
        (ELDERLY, BRANCH_ADMIN, BRANCH, "onBehalfOfOrgId"),  # a branch does not claim
        (ELDERLY, ADMIN0, DISTRICT, "onBehalfOfOrgId"),
        (ELDERLY, "13900000002", POLICE, "onBehalfOfOrgId"),  # paired with 鹭江街道, not with 嘉莲街道
        (ELDERLY, "13900000004", OTHER_TEAM, "onBehalfOfOrgId"),  # a team of another community
    ]
    for title, phone, org, field in cases:
        payload = await claim(demo, title, phone, org)
        assert payload == {"claim": None, "project": None, "errors": [{"field": [field], "code": "INVALID"}]}, (
            title, phone, org)
    en = await demo.ok(CLAIM_MESSAGE, {"input": {"projectId": await project_gid(CLINIC)}}, as_=MEMBER, lang="en")
    assert en["claimProject"]["errors"] == [{"message": "This project takes no claims by members"}]
    assert await ClaimRow.all().count() == 1


async def test_claiming_for_an_org_one_does_not_run(demo: Api) -> None:
    await person(demo, "13900000003", "帮帮团队员", (TEAM, MemberRole.MEMBER))
    for phone, org in ((MEMBER, JIEAN), ("13900000003", TEAM), (BRANCH_ADMIN, TEAM), (ADMIN0, JIEAN)):
        # Managing the team's parent is not running the team: only its own ADMIN/STAFF speak for it.
        body = await demo(CLAIM, {"input": {"projectId": await project_gid(GARBAGE),
                                            "onBehalfOfOrgId": await org_id(org)}}, as_=phone)
        assert body["data"] is None, (phone, org)
        assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    unknown = await demo.ok(CLAIM, {"input": {"projectId": await project_gid(GARBAGE),
                                              "onBehalfOfOrgId": gid("Org", 999)}}, as_=MEMBER)
    assert unknown["claimProject"]["errors"] == [{"field": ["onBehalfOfOrgId"], "code": "NOT_FOUND"}]
    for missing in (gid("Project", 999), await org_id(BRANCH)):
        body = await demo.ok(CLAIM, {"input": {"projectId": missing}}, as_=MEMBER)
        assert body["claimProject"]["errors"] == [{"field": ["projectId"], "code": "NOT_FOUND"}]
    anon = await demo(CLAIM, {"input": {"projectId": await project_gid(GARBAGE)}})
    assert anon["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    # Invisible projects read as missing, even for an org claim.
    hidden = await demo.ok(CLAIM, {"input": {"projectId": await project_gid(GARBAGE)}}, as_=RESIDENT)
    assert hidden["claimProject"]["errors"] == [{"field": ["projectId"], "code": "NOT_FOUND"}]
    assert await ClaimRow.all().count() == 1


NESTED_CLAIM = """
mutation($input: ClaimProjectInput!) {
  claimProject(input: $input) { claim { project { claimedCount remaining } } errors { code } }
}"""
NESTED_WITHDRAW = """
mutation($input: WithdrawClaimInput!) {
  withdrawClaim(input: $input) { claim { project { claimedCount remaining } } errors { code } }
}"""
NESTED_CLOSE = """
mutation($input: CloseProjectInput!) {
  closeProject(input: $input) { project { status claims { nodes { project { status } } } } errors { code } }
}"""


async def test_payloads_answer_with_the_rows_after_the_change(demo: Api) -> None:
    """Fields reached through the claim (or the claims) read the project as it is now, not as first loaded."""
    claimed = await demo.ok(NESTED_CLAIM, {"input": {"projectId": await project_gid(GARBAGE)}}, as_=MEMBER)
    assert claimed["claimProject"] == {"claim": {"project": {"claimedCount": 1, "remaining": 7}}, "errors": []}
    withdrawn = await demo.ok(NESTED_WITHDRAW, {"input": {"claimId": await member_claim_gid()}}, as_=MEMBER)
    assert withdrawn["withdrawClaim"] == {"claim": {"project": {"claimedCount": 0, "remaining": 5}}, "errors": []}
    closed = await demo.ok(NESTED_CLOSE, {"input": {"projectId": await project_gid(ELDERLY)}}, as_=BRANCH_ADMIN)
    assert closed["closeProject"] == {"project": {"status": "CLOSED", "claims": {"nodes": [
        {"project": {"status": "CLOSED"}}]}}, "errors": []}


# --- withdraw, report, verify -------------------------------------------------------------------------------------


async def test_withdraw_claim(demo: Api) -> None:
    member_claim = await member_claim_gid()
    # Only the claimant: the publisher's admin sees the claim but may not give it back; others do not see it.
    denied = await demo(WITHDRAW, {"input": {"claimId": member_claim}}, as_=BRANCH_ADMIN)
    assert denied["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    for phone in (PARTNER_ADMIN, RESIDENT):
        hidden = await demo.ok(WITHDRAW, {"input": {"claimId": member_claim}}, as_=phone)
        assert hidden["withdrawClaim"] == {"claim": None, "project": None,
                                           "errors": [{"field": ["claimId"], "code": "NOT_FOUND"}]}
    body = await demo.ok(WITHDRAW, {"input": {"claimId": member_claim}}, as_=MEMBER)
    assert body["withdrawClaim"] == {"claim": {"status": "WITHDRAWN"}, "project": {"claimedCount": 0, "remaining": 5},
                                     "errors": []}
    row = await ClaimRow.get(id=pk(member_claim))
    assert (row.status, row.active_key) == (ClaimStatus.WITHDRAWN, None)
    assert await notifications(demo, BRANCH_ADMIN) == [{"kind": "CLAIM_WITHDRAWN",
                                                        "message": "「独居老人助餐探访」的一项认领已撤回"}]
    twice = await demo.ok(WITHDRAW, {"input": {"claimId": member_claim}}, as_=MEMBER, lang="en")
    assert twice["withdrawClaim"]["errors"] == [{"field": ["claimId"], "code": "INVALID_STATE"}]
    assert (await ProjectRow.get(title=ELDERLY)).claimed_count == 0
    # The member may claim again: a new claim, the old one kept as history.
    again = await claim(demo, ELDERLY, MEMBER)
    assert again["errors"] == [] and again["claim"]["id"] != member_claim
    elderly = await project_gid(ELDERLY)
    assert (await demo.ok(CLAIM_SCREEN, {"id": elderly}, as_=MEMBER))["node"]["viewerClaim"] == {"status": "ACTIVE"}
    # A unit's claim is given back by any admin or staff of the unit.
    await person(demo, "13900000005", "捷安干事", (JIEAN, MemberRole.STAFF))
    unit_claim = await claim_id(demo, ELDERLY, PARTNER_ADMIN, JIEAN)
    by_staff = await demo.ok(WITHDRAW, {"input": {"claimId": unit_claim}}, as_="13900000005")
    assert by_staff["withdrawClaim"]["claim"] == {"status": "WITHDRAWN"}
    # DONE claims are no longer withdrawn.
    done = await claim_id(demo, GARBAGE, MEMBER)
    await demo.ok(REPORT, {"input": {"claimId": done, "hours": 1}}, as_=MEMBER)
    late = await demo.ok(WITHDRAW, {"input": {"claimId": done}}, as_=MEMBER)
    assert late["withdrawClaim"]["errors"] == [{"field": ["claimId"], "code": "INVALID_STATE"}]


@pytest.mark.parametrize(("hours", "ok"), [(0.4, False), (0.5, True), (3.25, True), (24, True), (24.5, False),
                                           (-1, False), (0, False)])
async def test_report_claim_done_hours(demo: Api, hours: float, ok: bool) -> None:
    member_claim = await member_claim_gid()
    body = await demo.ok(REPORT, {"input": {"claimId": member_claim, "hours": hours, "note": " 送餐 3 户 "}},
                         as_=MEMBER)
    row = await ClaimRow.get(id=pk(member_claim))
    if ok:
        assert body["reportClaimDone"] == {"claim": {"status": "DONE", "reportedHours": hours, "note": "送餐 3 户"},
                                           "errors": []}
        assert (row.status, row.reported_hours, row.note) == (ClaimStatus.DONE, hours, "送餐 3 户")
        # Still a live claim: the place stays taken.
        assert (await ProjectRow.get(title=ELDERLY)).claimed_count == 1
    else:
        assert body["reportClaimDone"] == {"claim": None, "errors": [
            {"field": ["hours"], "code": "INVALID", "message": "时长须在 0.5 到 24 小时之间"}]}
        assert (row.status, row.reported_hours) == (ClaimStatus.ACTIVE, None)


async def test_report_claim_done_rules(demo: Api) -> None:
    member_claim = await member_claim_gid()
    for phone in (BRANCH_ADMIN, ADMIN0):
        body = await demo(REPORT, {"input": {"claimId": member_claim, "hours": 2}}, as_=phone)
        assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    hidden = await demo.ok(REPORT, {"input": {"claimId": member_claim, "hours": 2}}, as_=PARTNER_ADMIN)
    assert hidden["reportClaimDone"]["errors"] == [{"field": ["claimId"], "code": "NOT_FOUND", "message": "找不到该对象"}]
    done = await demo.ok(REPORT, {"input": {"claimId": member_claim, "hours": 2}}, as_=MEMBER)
    assert done["reportClaimDone"]["claim"] == {"status": "DONE", "reportedHours": 2.0, "note": None}
    assert await notifications(demo, BRANCH_ADMIN) == [{"kind": "CLAIM_DONE",
                                                        "message": "「独居老人助餐探访」的认领已完成，待核实"}]
    twice = await demo.ok(REPORT, {"input": {"claimId": member_claim, "hours": 3}}, as_=MEMBER, lang="en")
    assert twice["reportClaimDone"]["errors"] == [{"field": ["claimId"], "code": "INVALID_STATE",
                                                   "message": "The claim is DONE; it cannot be reported done"}]
    assert (await ClaimRow.get(id=pk(member_claim))).reported_hours == 2.0
    # Withdrawn claims cannot be reported either.
    unit_claim = await claim_id(demo, ELDERLY, PARTNER_ADMIN, JIEAN)
    await demo.ok(WITHDRAW, {"input": {"claimId": unit_claim}}, as_=PARTNER_ADMIN)
    gone = await demo.ok(REPORT, {"input": {"claimId": unit_claim, "hours": 3}}, as_=PARTNER_ADMIN)
    assert gone["reportClaimDone"]["errors"][0]["code"] == "INVALID_STATE"


async def test_verify_claim(demo: Api) -> None:
    member_claim = await member_claim_gid()
    # Only DONE claims are verified.
    early = await demo.ok(VERIFY, {"input": {"claimId": member_claim, "approved": True, "hours": 2}}, as_=BRANCH_ADMIN)
    assert early["verifyClaim"] == {"claim": None, "project": None,
                                    "errors": [{"field": ["claimId"], "code": "INVALID_STATE"}]}
    await demo.ok(REPORT, {"input": {"claimId": member_claim, "hours": 2.5}}, as_=MEMBER)
    # Only the publisher's managers verify: not the claimant, nor anyone who cannot see the claim.
    own = await demo(VERIFY, {"input": {"claimId": member_claim, "approved": True}}, as_=MEMBER)
    assert own["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    hidden = await demo.ok(VERIFY, {"input": {"claimId": member_claim, "approved": True}}, as_=PARTNER_ADMIN)
    assert hidden["verifyClaim"]["errors"] == [{"field": ["claimId"], "code": "NOT_FOUND"}]
    for hours in (-1, 24.5):
        bad = await demo.ok(VERIFY, {"input": {"claimId": member_claim, "approved": True, "hours": hours}},
                            as_=BRANCH_ADMIN)
        assert bad["verifyClaim"]["errors"] == [{"field": ["hours"], "code": "INVALID"}]
    # Approved without hours: the reported hours count.
    body = await demo.ok(VERIFY, {"input": {"claimId": member_claim, "approved": True, "comment": "辛苦了"}},
                         as_=BRANCH_ADMIN)
    assert body["verifyClaim"] == {"claim": {"status": "VERIFIED", "reportedHours": 2.5, "verifiedHours": 2.5,
                                             "comment": "辛苦了"}, "project": {"claimedCount": 1}, "errors": []}
    assert await notifications(demo, MEMBER) == [{"kind": "CLAIM_VERIFIED", "message": "您对「独居老人助餐探访」的服务已核实"}]
    twice = await demo.ok(VERIFY, {"input": {"claimId": member_claim, "approved": False}}, as_=BRANCH_ADMIN)
    assert twice["verifyClaim"]["errors"] == [{"field": ["claimId"], "code": "INVALID_STATE"}]
    row = await ClaimRow.get(id=pk(member_claim))
    assert (row.status, row.verified_hours, row.comment, row.active_key) == (
        ClaimStatus.VERIFIED, 2.5, "辛苦了", f"u:{demo.users[MEMBER]}")
    # A verified claim keeps its place: the member cannot claim the same project again.
    assert (await claim(demo, ELDERLY, MEMBER))["errors"] == [{"field": ["projectId"], "code": "ALREADY_CLAIMED"}]


async def test_verify_with_hours_and_reject(demo: Api) -> None:
    unit_claim = await claim_id(demo, ELDERLY, PARTNER_ADMIN, JIEAN)
    await demo.ok(REPORT, {"input": {"claimId": unit_claim, "hours": 4}}, as_=PARTNER_ADMIN)
    # A manager above the publisher verifies too, and may correct the hours.
    body = await demo.ok(VERIFY, {"input": {"claimId": unit_claim, "approved": True, "hours": 3}}, as_=STREET_ADMIN)
    assert body["verifyClaim"]["claim"] == {"status": "VERIFIED", "reportedHours": 4.0, "verifiedHours": 3.0,
                                            "comment": None}
    assert await notifications(demo, PARTNER_ADMIN, lang="en") == [
        {"kind": "CLAIM_VERIFIED", "message": "Your service on “独居老人助餐探访” was verified"}]
    # Rejecting a DONE claim frees its place.
    member_claim = await member_claim_gid()
    await demo.ok(REPORT, {"input": {"claimId": member_claim, "hours": 1}}, as_=MEMBER)
    rejected = await demo.ok(VERIFY, {"input": {"claimId": member_claim, "approved": False, "comment": "未到岗"}},
                             as_=BRANCH_ADMIN)
    assert rejected["verifyClaim"] == {"claim": {"status": "REJECTED", "reportedHours": 1.0, "verifiedHours": None,
                                                 "comment": "未到岗"}, "project": {"claimedCount": 1}, "errors": []}
    assert (await ClaimRow.get(id=pk(member_claim))).active_key is None
    assert await notifications(demo, MEMBER) == [{"kind": "CLAIM_REJECTED", "message": "您对「独居老人助餐探访」的服务未通过核实"}]
    # Rejected, the member may claim again.
    assert (await claim(demo, ELDERLY, MEMBER))["project"]["claimedCount"] == 2


async def test_verified_hours_accumulate_and_roll_up(demo: Api) -> None:
    jiean = await org_id(JIEAN)
    lineage = [BRANCH, COMMUNITY, STREET, DISTRICT]
    ids = [await org_id(name) for name in [*lineage, "厦港街道"]]

    async def hours(phone: str) -> dict:
        return await demo.ok(HOURS, {"unit": jiean, "ids": ids}, as_=phone)

    def stats(projects: int, claimed: int, verified: float, community: tuple[int, int, float] | None = None) -> list:
        rows = []
        for name in lineage:
            p, c, v = (projects, claimed, verified) if name == BRANCH or community is None else (
                projects + community[0], claimed + community[1], verified + community[2])
            rows.append({"name": name, "stats": {"projectCount": p, "claimedProjectCount": c, "verifiedHours": v}})
        return [*rows, {"name": "厦港街道", "stats": {"projectCount": 0, "claimedProjectCount": 0,
                                                        "verifiedHours": 0.0}}]

    start = await hours(MEMBER)
    assert start == {"viewer": {"serviceHours": 0.0}, "org": {"serviceHours": 0.0},
                     "nodes": stats(3, 1, 0.0, community=(1, 0, 0.0))}
    # The member serves twice, the unit once (on the community's clinic); one report is rejected.
    member_claim = await member_claim_gid()
    garbage_claim = await claim_id(demo, GARBAGE, MEMBER)
    unit_claim = await claim_id(demo, CLINIC, PARTNER_ADMIN, JIEAN)
    patrol_claim = await claim_id(demo, PATROL, MEMBER)
    for claim_gid, phone, reported in ((member_claim, MEMBER, 2.5), (garbage_claim, MEMBER, 1.5),
                                       (unit_claim, PARTNER_ADMIN, 6), (patrol_claim, MEMBER, 3)):
        await demo.ok(REPORT, {"input": {"claimId": claim_gid, "hours": reported}}, as_=phone)
    mid = await hours(MEMBER)
    assert mid["viewer"] == {"serviceHours": 0.0}  # reported is not verified
    assert mid["nodes"] == stats(3, 3, 0.0, community=(1, 1, 0.0))
    for claim_gid, approved, verified in ((member_claim, True, None), (garbage_claim, True, 1.0),
                                          (unit_claim, True, None), (patrol_claim, False, None)):
        body = await demo.ok(VERIFY, {"input": {"claimId": claim_gid, "approved": approved, "hours": verified}},
                             as_=COMMUNITY_ADMIN)
        assert body["verifyClaim"]["errors"] == []
        await assert_counts_consistent()
    member_view = await hours(MEMBER)
    assert member_view["viewer"] == {"serviceHours": 3.5}
    assert member_view["org"] == {"serviceHours": 6.0}
    assert member_view["nodes"] == stats(3, 2, 3.5, community=(1, 1, 6.0))
    # The unit's hours are the unit's, not its admin's own.
    assert (await hours(PARTNER_ADMIN))["viewer"] == {"serviceHours": 0.0}
    # Projects of the stats count once published: a draft does not, a cancelled one still does.
    await new_project(demo, "支部草稿", publish=False)
    await demo.ok(CANCEL, {"input": {"projectId": await new_project(demo, "取消的项目")}}, as_=BRANCH_ADMIN)
    assert (await hours(MEMBER))["nodes"] == stats(4, 2, 3.5, community=(1, 1, 6.0))


# --- the project list ---------------------------------------------------------------------------------------------


async def titles(demo: Api, phone: str, **filter: object) -> list[str]:
    body = await demo.ok(PROJECTS, {"filter": filter, "first": 100}, as_=phone)
    nodes = [n["title"] for n in body["projects"]["nodes"]]
    assert body["projects"]["totalCount"] == len(nodes)
    return nodes


async def test_project_filters(demo: Api) -> None:
    await new_project(demo, "支部草稿", publish=False, category="ELDERLY_CARE")
    await new_project(demo, "巡司顶项目", org="巡司顶社区", as_=ADMIN0, category="ELDERLY_CARE")
    await demo.ok(CLOSE, {"input": {"projectId": await project_gid(PATROL)}}, as_=BRANCH_ADMIN)
    # Newest first.
    assert await titles(demo, ADMIN0) == ["巡司顶项目", "支部草稿", CLINIC, PATROL, GARBAGE, ELDERLY]
    assert await titles(demo, ADMIN0, status="DRAFT") == ["支部草稿"]
    assert await titles(demo, MEMBER, status="DRAFT") == []
    assert await titles(demo, MEMBER, status="CLOSED") == [PATROL]
    assert await titles(demo, ADMIN0, category="ELDERLY_CARE") == ["巡司顶项目", "支部草稿", ELDERLY]
    assert await titles(demo, MEMBER, category="ELDERLY_CARE") == [ELDERLY]
    assert await titles(demo, ADMIN0, category="ELDERLY_CARE", status="OPEN") == ["巡司顶项目", ELDERLY]
    # orgId: published in that org's subtree.
    assert await titles(demo, ADMIN0, orgId=await org_id(STREET)) == ["支部草稿", CLINIC, PATROL, GARBAGE, ELDERLY]
    assert await titles(demo, MEMBER, orgId=await org_id(COMMUNITY)) == [CLINIC, PATROL, GARBAGE, ELDERLY]
    assert await titles(demo, MEMBER, orgId=await org_id(BRANCH)) == [PATROL, GARBAGE, ELDERLY]
    assert await titles(demo, PARTNER_ADMIN, orgId=await org_id("厦港街道")) == ["巡司顶项目"]
    assert await titles(demo, MEMBER, orgId=await org_id("厦港街道")) == []
    assert await titles(demo, MEMBER, orgId="garbage") == []
    # claimable: OPEN, room left, the right kind, eligible, and not yet claimed by this claimant.
    assert await titles(demo, MEMBER, claimable=True) == [GARBAGE]
    assert await titles(demo, MEMBER, claimable=False) == [CLINIC, PATROL, ELDERLY]
    assert await titles(demo, PARTNER_ADMIN, claimable=True) == ["巡司顶项目", CLINIC, GARBAGE, ELDERLY]
    assert await titles(demo, RESIDENT, claimable=True) == []
    # mine: what the viewer or an org they run has claimed (withdrawn claims included: it is their history).
    assert await titles(demo, MEMBER, mine=True) == [ELDERLY]
    assert await titles(demo, PARTNER_ADMIN, mine=True) == []
    await claim_id(demo, GARBAGE, PARTNER_ADMIN, JIEAN)
    assert await titles(demo, PARTNER_ADMIN, mine=True) == [GARBAGE]
    assert await titles(demo, PARTNER_ADMIN, claimable=True) == ["巡司顶项目", CLINIC, ELDERLY]
    assert await titles(demo, MEMBER, mine=False) == [CLINIC, PATROL, GARBAGE]
    assert await titles(demo, BRANCH_ADMIN, mine=True) == []
    # Filters combine.
    assert await titles(demo, PARTNER_ADMIN, claimable=True, orgId=await org_id(BRANCH), category="ELDERLY_CARE") == [
        ELDERLY]


async def test_project_pagination(demo: Api) -> None:
    branch = await OrgRow.get(name=BRANCH)
    for i in range(25):
        await ProjectRow.create(org=branch, title=f"项目{i:02d}", category=ProjectCategory.OTHER, capacity=3,
                                status=ProjectStatus.OPEN, claimant_kinds="MEMBER")
    page1 = (await demo.ok(PROJECTS, {"first": 10}, as_=MEMBER))["projects"]
    assert page1["totalCount"] == 29 and page1["pageInfo"]["hasNextPage"] is True
    assert [n["title"] for n in page1["nodes"]] == [f"项目{i:02d}" for i in range(24, 14, -1)]
    # New projects appear on top, without shifting the next page.
    await new_project(demo, "新项目")
    page2 = (await demo.ok(PROJECTS, {"first": 10, "after": page1["pageInfo"]["endCursor"]}, as_=MEMBER))["projects"]
    assert [n["title"] for n in page2["nodes"]] == [f"项目{i:02d}" for i in range(14, 4, -1)]
    assert page2["totalCount"] == 30
    page3 = (await demo.ok(PROJECTS, {"first": 10, "after": page2["pageInfo"]["endCursor"]}, as_=MEMBER))["projects"]
    assert [n["title"] for n in page3["nodes"]] == [*(f"项目{i:02d}" for i in range(4, -1, -1)), CLINIC, PATROL,
                                                    GARBAGE, ELDERLY]
    assert page3["pageInfo"]["hasNextPage"] is False
    default = (await demo.ok(PROJECTS, as_=MEMBER))["projects"]
    assert len(default["nodes"]) == 20 and default["nodes"][0]["title"] == "新项目"
    for variables in ({"first": 101}, {"after": "garbage"}):
        body = await demo(PROJECTS, variables, as_=MEMBER)
        assert body["errors"][0]["extensions"]["code"] == "INVALID"
    # The list's total ignores the page; a count-only request works too.
    only = await demo.ok("{ projects(filter: {status: OPEN}) { totalCount } }", as_=MEMBER)
    assert only == {"projects": {"totalCount": 30}}


CLAIM_PAGES = """
query($id: ID!, $after: String) {
  node(id: $id) { ... on Project { claims(first: 2, after: $after) {
    totalCount edges { cursor node { claimant { ... on User { displayName } ... on Org { name } } } }
    pageInfo { hasNextPage endCursor } } } }
  viewer { claims(first: 1, after: $after) { totalCount nodes { project { title } } pageInfo { hasNextPage } } }
}"""


async def test_claim_lists_are_oldest_first_and_paginated(demo: Api) -> None:
    await claim_id(demo, ELDERLY, PARTNER_ADMIN, JIEAN)
    await person(demo, "13900000007", "团队长", (TEAM, MemberRole.ADMIN), (BRANCH, MemberRole.MEMBER))
    await claim_id(demo, ELDERLY, "13900000007", TEAM)
    await claim_id(demo, GARBAGE, MEMBER)
    elderly = await project_gid(ELDERLY)
    first = await demo.ok(CLAIM_PAGES, {"id": elderly}, as_=BRANCH_ADMIN)
    claims = first["node"]["claims"]
    assert claims["totalCount"] == 3 and claims["pageInfo"]["hasNextPage"] is True
    assert [e["node"]["claimant"] for e in claims["edges"]] == [{"displayName": "陈党员"}, {"name": JIEAN}]
    assert claims["pageInfo"]["endCursor"] == claims["edges"][-1]["cursor"]
    # A claim made meanwhile lands at the end, after the page that follows.
    await claim_id(demo, ELDERLY, "13900000007")
    second = await demo.ok(CLAIM_PAGES, {"id": elderly, "after": claims["pageInfo"]["endCursor"]}, as_=BRANCH_ADMIN)
    assert [e["node"]["claimant"] for e in second["node"]["claims"]["edges"]] == [{"name": TEAM},
                                                                                 {"displayName": "团队长"}]
    assert second["node"]["claims"]["pageInfo"] == {"hasNextPage": False,
                                                    "endCursor": second["node"]["claims"]["edges"][-1]["cursor"]}
    assert second["node"]["claims"]["totalCount"] == 4
    # The viewer's own claims, oldest first; the branch admin has none.
    assert first["viewer"]["claims"] == {"totalCount": 0, "nodes": [], "pageInfo": {"hasNextPage": False}}
    mine = await demo.ok(CLAIM_PAGES, {"id": elderly}, as_=MEMBER)
    assert mine["viewer"]["claims"] == {"totalCount": 2, "nodes": [{"project": {"title": ELDERLY}}],
                                        "pageInfo": {"hasNextPage": True}}


# --- notifications ------------------------------------------------------------------------------------------------


async def test_notifications_read_and_unread(demo: Api) -> None:
    await claim_id(demo, GARBAGE, MEMBER)
    await claim_id(demo, PATROL, MEMBER)
    member_claim = await member_claim_gid()
    await demo.ok(REPORT, {"input": {"claimId": member_claim, "hours": 1}}, as_=MEMBER)
    body = await demo.ok(NOTIFICATIONS, as_=BRANCH_ADMIN, lang="en")
    viewer = body["viewer"]
    assert viewer["unreadNotificationCount"] == 3
    assert [(n["kind"], n["message"], n["read"]) for n in viewer["notifications"]["nodes"]] == [
        ("CLAIM_DONE", "A claim on “独居老人助餐探访” is done and awaits verification", False),
        ("CLAIM_CREATED", "New claim on “黄昏行平安巡查”", False),
        ("CLAIM_CREATED", "New claim on “三红垃圾分类督导”", False)]
    newest, middle, oldest = (n["id"] for n in viewer["notifications"]["nodes"])
    # Someone else's notification id is ignored, not revealed; the member has none of their own yet.
    foreign = await demo.ok(MARK_READ, {"input": {"ids": [newest]}}, as_=MEMBER)
    assert foreign["markNotificationsRead"] == {"notifications": [], "unreadCount": 0, "errors": []}
    marked = await demo.ok(MARK_READ, {"input": {"ids": [oldest, newest, "garbage"]}}, as_=BRANCH_ADMIN)
    assert marked["markNotificationsRead"] == {"notifications": [{"kind": "CLAIM_DONE", "read": True},
                                                                 {"kind": "CLAIM_CREATED", "read": True}],
                                               "unreadCount": 1, "errors": []}
    unread = (await demo.ok(NOTIFICATIONS, {"unreadOnly": True}, as_=BRANCH_ADMIN))["viewer"]
    assert unread["unreadNotificationCount"] == 1
    assert [n["id"] for n in unread["notifications"]["nodes"]] == [middle]
    assert unread["notifications"]["totalCount"] == 1
    everything = (await demo.ok(NOTIFICATIONS, {"unreadOnly": False}, as_=BRANCH_ADMIN))["viewer"]["notifications"]
    assert [n["read"] for n in everything["nodes"]] == [True, False, True] and everything["totalCount"] == 3
    # Marking twice keeps the first read time.
    first_read = (await NotificationRow.get(id=pk(oldest))).read_at
    await demo.ok(MARK_READ, {"input": {"ids": [oldest]}}, as_=BRANCH_ADMIN)
    assert (await NotificationRow.get(id=pk(oldest))).read_at == first_read
    too_many = await demo.ok(MARK_READ, {"input": {"ids": [oldest] * 101}}, as_=BRANCH_ADMIN)
    assert too_many["markNotificationsRead"]["errors"] == [{"field": ["ids"], "code": "INVALID"}]
    anon = await demo(MARK_READ, {"input": {"ids": [oldest]}})
    assert anon["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_claim_notifications_reach_the_publishers_managers(demo: Api) -> None:
    await person(demo, "13900000009", "支部干事", (BRANCH, MemberRole.STAFF))
    await claim_id(demo, GARBAGE, PARTNER_ADMIN, JIEAN)
    for phone in (BRANCH_ADMIN, "13900000009"):
        assert await notifications(demo, phone) == [{"kind": "CLAIM_CREATED", "message": "「三红垃圾分类督导」有新的认领"}]
    # Managers above the publisher are not flooded with every claim.
    for phone in (COMMUNITY_ADMIN, STREET_ADMIN, ADMIN0, MEMBER):
        assert await notifications(demo, phone) == []


# --- the two mobile screens, with a bounded number of SQL statements ---------------------------------------------


async def test_projects_near_me_statement_count(demo: Api) -> None:
    branch, community = await OrgRow.get(name=BRANCH), await OrgRow.get(name=COMMUNITY)
    for i in range(24):
        await ProjectRow.create(org=branch if i % 2 else community, title=f"附近项目{i:02d}",
                                category=ProjectCategory.OTHER, capacity=3, status=ProjectStatus.OPEN,
                                claimant_kinds="MEMBER,ORG")
    # The member holds a claim on one of them and has withdrawn another.
    for i in (5, 21):
        await claim_id(demo, f"附近项目{i:02d}", MEMBER)
    await demo.ok(WITHDRAW, {"input": {"claimId": gid("Claim", (await ClaimRow.filter(
        user_id=demo.users[MEMBER]).order_by("-id").first()).id)}}, as_=MEMBER)
    small_query = NEAR_ME.replace("first: 20", "first: 2")
    with count_sql() as two:
        small = await demo.ok(small_query, as_=MEMBER)
    with count_sql() as twenty:
        large = await demo.ok(NEAR_ME, as_=MEMBER)
    assert len(small["projects"]["nodes"]) == 2 and len(large["projects"]["nodes"]) == 20
    assert two.count == twenty.count, (two.statements, twenty.statements)
    # the viewer's roles (with their orgs), then the page with its publishers and the viewer's claims on them
    assert twenty.count == 2, twenty.statements
    nodes = large["projects"]["nodes"]
    assert nodes[0] == {"title": "附近项目23", "org": {"name": BRANCH}, "remaining": 3, "viewerCanClaim": True,
                        "viewerClaim": None}
    assert nodes[1]["org"] == {"name": COMMUNITY}
    # The withdrawn claim's project is claimable again and shows the old claim.
    withdrawn = next(n for n in nodes if n["title"] == "附近项目21")
    assert withdrawn == {"title": "附近项目21", "org": {"name": BRANCH}, "remaining": 3, "viewerCanClaim": True,
                         "viewerClaim": {"status": "WITHDRAWN"}}
    assert "附近项目05" not in {n["title"] for n in nodes}


async def test_my_claims_statement_count(demo: Api) -> None:
    # All published by the member's own branch: whichever of the registration's branch and the projects' publisher
    # asks for the org first, the other finds it in the loader (mixed publishers would make the batching of org
    # loads depend on timing).
    branch = await OrgRow.get(name=BRANCH)
    for i in range(24):
        await ProjectRow.create(org=branch, title=f"我的项目{i:02d}", category=ProjectCategory.OTHER, capacity=3,
                                status=ProjectStatus.OPEN, claimant_kinds="MEMBER")
        await claim_id(demo, f"我的项目{i:02d}", MEMBER)
    done = gid("Claim", (await ClaimRow.get(project__title="我的项目00")).id)
    await demo.ok(REPORT, {"input": {"claimId": done, "hours": 2}}, as_=MEMBER)
    await demo.ok(VERIFY, {"input": {"claimId": done, "approved": True}}, as_=COMMUNITY_ADMIN)
    small_query = MY_CLAIMS.replace("first: 20", "first: 2")
    with count_sql() as two:
        small = await demo.ok(small_query, as_=MEMBER)
    with count_sql() as twenty:
        large = await demo.ok(MY_CLAIMS, as_=MEMBER)
    assert two.count == twenty.count, (two.statements, twenty.statements)
    # user, hours, registration, claims page, their projects, orgs
    assert twenty.count == 6, twenty.statements
    assert small == {"viewer": {"serviceHours": 2.0, "registration": {"branch": {"name": BRANCH}}, "claims": {
        "nodes": [{"status": "ACTIVE", "project": {"title": ELDERLY, "org": {"name": BRANCH}}},
                  {"status": "VERIFIED", "project": {"title": "我的项目00", "org": {"name": BRANCH}}}]}}}
    assert len(large["viewer"]["claims"]["nodes"]) == 20
    assert large["viewer"]["claims"]["nodes"][19] == {"status": "ACTIVE",
                                                      "project": {"title": "我的项目18", "org": {"name": BRANCH}}}


async def test_a_draft_cancelled_unpublished_is_not_counted(demo: Api) -> None:
    """`projectCount` counts projects that were ever published."""
    stats = "query($id: ID!) { org(id: $id) { stats { projectCount } } }"
    before = (await demo.ok(stats, {"id": await org_id(BRANCH)}))["org"]["stats"]["projectCount"]
    draft = await new_project(demo, "从未发布", publish=False)
    await demo.ok(CANCEL, {"input": {"projectId": draft}}, as_=BRANCH_ADMIN)
    assert (await demo.ok(stats, {"id": await org_id(BRANCH)}))["org"]["stats"]["projectCount"] == before


async def test_viewer_claim_shows_the_unit_claim_to_a_co_admin(demo: Api) -> None:
    """A second admin of the partner unit sees the unit's claim and that it cannot claim again."""
    from models.enums import MemberRole
    from models.org import Org as OrgRow
    from models.user import User as UserRow, upsert_membership

    co_admin = await UserRow.get(phone="13800000006")
    await upsert_membership(user=co_admin, org=await OrgRow.get(name=JIEAN), role=MemberRole.ADMIN)
    project = await new_project(demo, "共建单位认领", kinds=("ORG",))
    assert (await claim(demo, project, PARTNER_ADMIN, JIEAN))["errors"] == []
    seen = await demo.ok("query($id: ID!) { node(id: $id) { ... on Project { viewerCanClaim viewerClaim { status "
                         "claimant { ... on Org { name } } } } } }", {"id": project}, as_="13800000006")
    assert seen == {"node": {"viewerCanClaim": False, "viewerClaim": {"status": "ACTIVE", "claimant": {"name": JIEAN}}}}


async def test_nobody_verifies_their_own_claim(demo: Api) -> None:
    """Four eyes on service hours: the branch admin who claimed and reported cannot certify the hours; another
    manager of the publisher can."""
    mine = await claim_id(demo, await project_gid(GARBAGE), BRANCH_ADMIN)
    assert (await demo.ok(REPORT, {"input": {"claimId": mine, "hours": 24}}, as_=BRANCH_ADMIN))[
        "reportClaimDone"]["errors"] == []
    body = await demo(VERIFY, {"input": {"claimId": mine, "approved": True}}, as_=BRANCH_ADMIN, lang="en")
    assert body["data"] is None
    assert body["errors"][0]["message"] == "You cannot verify your own claim; another manager of the organisation must"
    assert body["errors"][0]["extensions"] == {"code": "FORBIDDEN"}
    assert (await ClaimRow.get(id=pk(mine))).status is ClaimStatus.DONE
    verified = await demo.ok(VERIFY, {"input": {"claimId": mine, "approved": True}}, as_=COMMUNITY_ADMIN)
    assert verified["verifyClaim"]["claim"]["status"] == "VERIFIED"
