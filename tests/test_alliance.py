"""Party-building alliances (党建联盟): founding, inviting, answering, leaving, the public list and node, and the
alliance effect: active allies see each other's non-draft projects and PARTNERS-scope resources, and lose them again
when they leave."""

from __future__ import annotations

import pytest

from models import project as project_model
from models.alliance import Alliance as AllianceRow
from models.alliance import AllianceMember as AllianceMemberRow
from models.alliance import AllianceMemberStatus
from models.enums import MemberRole, ProjectCategory, ProjectStatus
from models.org import Org as OrgRow
from models.resource import Resource as ResourceRow
from models.resource import ResourceKind, ShareScope
from models.user import User as UserRow
from models.user import upsert_membership
from tests.conftest import Api, gid, org_id

BRANCH, COMMUNITY, STREET, JIEAN, POLICE = "观远里小区党支部", "莲花北社区", "嘉莲街道", "厦门市捷安集团党支部", "鹭江派出所"
SEEDED = "嘉莲片区楼宇党建联盟"
ADMIN0, STREET_ADMIN, COMMUNITY_ADMIN, BRANCH_ADMIN = "13800000000", "13800000001", "13800000002", "13800000003"
MEMBER, PARTNER_ADMIN, RESIDENT = "13800000004", "13800000005", "13800000006"
POLICE_ADMIN, POLICE_MEMBER, COMMUNITY_STAFF = "13900000001", "13900000002", "13900000003"

ALLIANCE_FIELDS = "id name lead { name } members { totalCount nodes { name } }"

CREATE = f"""
mutation($input: CreateAllianceInput!) {{
  createAlliance(input: $input) {{ alliance {{ {ALLIANCE_FIELDS} }} errors {{ field code }} }}
}}"""
INVITE = f"""
mutation($input: InviteToAllianceInput!) {{
  inviteToAlliance(input: $input) {{ alliance {{ {ALLIANCE_FIELDS} }} errors {{ field code }} }}
}}"""
RESPOND = f"""
mutation($input: RespondAllianceInviteInput!) {{
  respondAllianceInvite(input: $input) {{ alliance {{ {ALLIANCE_FIELDS} }} errors {{ field code }} }}
}}"""
LEAVE = f"""
mutation($input: LeaveAllianceInput!) {{
  leaveAlliance(input: $input) {{ alliance {{ {ALLIANCE_FIELDS} }} errors {{ field code }} }}
}}"""

ALLIANCES = """
query($filter: AllianceFilter, $first: Int, $after: String) {
  alliances(filter: $filter, first: $first, after: $after) {
    totalCount nodes { name lead { name } } pageInfo { hasNextPage endCursor }
  }
}"""

NODE = """
query($id: ID!) {
  node(id: $id) { __typename ... on Alliance { name lead { name } members(first: 1) { totalCount nodes { name } } } }
}"""

PROJECTS = "{ projects(first: 50) { nodes { title } } }"
REQUESTABLE = """
query($org: ID!) { resources(filter: {requestableBy: $org}, first: 50) { totalCount nodes { name } } }"""


# --- helpers ----------------------------------------------------------------------------------------------------


async def seeded() -> str:
    return gid("Alliance", (await AllianceRow.get(name=SEEDED)).id)


async def person(demo: Api, phone: str, org_name: str, role: MemberRole) -> None:
    """A further account with one role in a named org, ready to act as `phone`."""
    user = await UserRow.create(phone=phone, display_name=f"用户{phone[-2:]}", password_hash="-")
    await upsert_membership(user=user, org=await OrgRow.get(name=org_name), role=role)
    demo.users[phone] = user.id


@pytest.fixture
async def police(demo: Api) -> Api:
    """The police station gets an ADMIN and a plain MEMBER account."""
    await person(demo, POLICE_ADMIN, POLICE, MemberRole.ADMIN)
    await person(demo, POLICE_MEMBER, POLICE, MemberRole.MEMBER)
    return demo


async def statuses(alliance: str) -> dict[str, AllianceMemberStatus]:
    """Every membership row of an alliance: org name -> status."""
    pk = int((await AllianceRow.get(name=alliance)).id)
    rows = await AllianceMemberRow.filter(alliance_id=pk)
    names = {o.id: o.name for o in await OrgRow.filter(id__in=[r.org_id for r in rows])}
    return {names[r.org_id]: r.status for r in rows}


async def act(demo: Api, document: str, field: str, variables: dict, as_: str) -> dict:
    return (await demo.ok(document, {"input": variables}, as_=as_))[field]


def alliance_json(alliance: str, name: str, lead: str, *members: str) -> dict:
    return {"id": alliance, "name": name, "lead": {"name": lead},
            "members": {"totalCount": len(members), "nodes": [{"name": m} for m in members]}}


# --- createAlliance ----------------------------------------------------------------------------------------------


async def test_a_partner_unit_founds_an_alliance_and_leads_it(demo: Api) -> None:
    body = await act(demo, CREATE, "createAlliance", {"name": "  捷安龙头带小微联盟 ", "leadOrgId": await org_id(JIEAN)},
                     PARTNER_ADMIN)
    assert body["errors"] == []
    alliance = body["alliance"]["id"]
    assert body["alliance"] == alliance_json(alliance, "捷安龙头带小微联盟", JIEAN, JIEAN)
    row = await AllianceRow.get(name="捷安龙头带小微联盟")
    assert row.lead_id == (await OrgRow.get(name=JIEAN)).id
    assert await statuses("捷安龙头带小微联盟") == {JIEAN: AllianceMemberStatus.ACTIVE}


async def test_an_ancestor_admin_may_found_for_a_community(demo: Api) -> None:
    body = await act(demo, CREATE, "createAlliance", {"name": "莲花北联盟", "leadOrgId": await org_id(COMMUNITY)},
                     STREET_ADMIN)
    assert body["errors"] == [] and body["alliance"]["lead"] == {"name": COMMUNITY}


async def test_only_the_leads_admin_founds(demo: Api) -> None:
    await person(demo, COMMUNITY_STAFF, COMMUNITY, MemberRole.STAFF)
    variables = {"input": {"name": "不该有的联盟", "leadOrgId": await org_id(COMMUNITY)}}
    for phone in (COMMUNITY_STAFF, BRANCH_ADMIN, MEMBER, PARTNER_ADMIN, RESIDENT):
        body = await demo(CREATE, variables, as_=phone)
        assert body["data"] is None and body["errors"][0]["extensions"]["code"] == "FORBIDDEN", phone
    anon = await demo(CREATE, variables)
    assert anon["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert await AllianceRow.all().count() == 1


@pytest.mark.parametrize("name", ["", "   ", "联" * 101, "a\x00b"])
async def test_the_name_is_checked(demo: Api, name: str) -> None:
    body = await act(demo, CREATE, "createAlliance", {"name": name, "leadOrgId": await org_id(JIEAN)}, PARTNER_ADMIN)
    assert body == {"alliance": None, "errors": [{"field": ["name"], "code": "INVALID"}]}
    assert await AllianceRow.all().count() == 1


async def test_an_unknown_lead_is_not_found(demo: Api) -> None:
    body = await act(demo, CREATE, "createAlliance", {"name": "联盟", "leadOrgId": gid("Org", 9999)}, PARTNER_ADMIN)
    assert body == {"alliance": None, "errors": [{"field": ["leadOrgId"], "code": "NOT_FOUND"}]}


# --- inviting, answering, leaving --------------------------------------------------------------------------------


async def test_invite_accept_leave_and_reinvite(police: Api) -> None:
    demo, alliance, station = police, await seeded(), await org_id(POLICE)
    members_before = alliance_json(alliance, SEEDED, JIEAN, COMMUNITY, JIEAN)

    invited = await act(demo, INVITE, "inviteToAlliance", {"allianceId": alliance, "orgId": station}, PARTNER_ADMIN)
    assert invited == {"alliance": members_before, "errors": []}  # invited is not a member yet
    assert (await statuses(SEEDED))[POLICE] is AllianceMemberStatus.INVITED

    accepted = await act(demo, RESPOND, "respondAllianceInvite",
                         {"allianceId": alliance, "orgId": station, "accept": True}, POLICE_ADMIN)
    assert accepted == {"alliance": alliance_json(alliance, SEEDED, JIEAN, COMMUNITY, JIEAN, POLICE), "errors": []}
    assert (await statuses(SEEDED))[POLICE] is AllianceMemberStatus.ACTIVE

    again = await act(demo, RESPOND, "respondAllianceInvite",
                      {"allianceId": alliance, "orgId": station, "accept": False}, POLICE_ADMIN)
    assert again == {"alliance": None, "errors": [{"field": ["orgId"], "code": "INVALID_STATE"}]}

    left = await act(demo, LEAVE, "leaveAlliance", {"allianceId": alliance, "orgId": station}, POLICE_ADMIN)
    assert left == {"alliance": members_before, "errors": []}
    assert (await statuses(SEEDED))[POLICE] is AllianceMemberStatus.LEFT
    twice = await act(demo, LEAVE, "leaveAlliance", {"allianceId": alliance, "orgId": station}, POLICE_ADMIN)
    assert twice == {"alliance": None, "errors": [{"field": ["orgId"], "code": "INVALID_STATE"}]}

    reinvited = await act(demo, INVITE, "inviteToAlliance", {"allianceId": alliance, "orgId": station}, PARTNER_ADMIN)
    assert reinvited["errors"] == []
    assert (await statuses(SEEDED))[POLICE] is AllianceMemberStatus.INVITED
    assert await AllianceMemberRow.filter(org_id=(await OrgRow.get(name=POLICE)).id).count() == 1


async def test_decline_and_reinvite(police: Api) -> None:
    demo, alliance, station = police, await seeded(), await org_id(POLICE)
    await act(demo, INVITE, "inviteToAlliance", {"allianceId": alliance, "orgId": station}, PARTNER_ADMIN)
    declined = await act(demo, RESPOND, "respondAllianceInvite",
                         {"allianceId": alliance, "orgId": station, "accept": False}, POLICE_ADMIN)
    assert declined == {"alliance": alliance_json(alliance, SEEDED, JIEAN, COMMUNITY, JIEAN), "errors": []}
    assert (await statuses(SEEDED))[POLICE] is AllianceMemberStatus.DECLINED
    row = await AllianceMemberRow.get(org_id=(await OrgRow.get(name=POLICE)).id)
    assert row.responded_at is not None
    # A declined org can neither accept late nor leave; it can be invited again.
    late = await act(demo, RESPOND, "respondAllianceInvite",
                     {"allianceId": alliance, "orgId": station, "accept": True}, POLICE_ADMIN)
    assert late == {"alliance": None, "errors": [{"field": ["orgId"], "code": "INVALID_STATE"}]}
    leave = await act(demo, LEAVE, "leaveAlliance", {"allianceId": alliance, "orgId": station}, POLICE_ADMIN)
    assert leave == {"alliance": None, "errors": [{"field": ["orgId"], "code": "INVALID_STATE"}]}
    again = await act(demo, INVITE, "inviteToAlliance", {"allianceId": alliance, "orgId": station}, PARTNER_ADMIN)
    assert again["errors"] == []
    row = await AllianceMemberRow.get(org_id=(await OrgRow.get(name=POLICE)).id)
    assert (row.status, row.responded_at) == (AllianceMemberStatus.INVITED, None)
    accepted = await act(demo, RESPOND, "respondAllianceInvite",
                         {"allianceId": alliance, "orgId": station, "accept": True}, POLICE_ADMIN)
    assert accepted["errors"] == [] and accepted["alliance"]["members"]["totalCount"] == 3


async def test_duplicate_invitations(police: Api) -> None:
    demo, alliance, station = police, await seeded(), await org_id(POLICE)
    await act(demo, INVITE, "inviteToAlliance", {"allianceId": alliance, "orgId": station}, PARTNER_ADMIN)
    for org in (station, await org_id(COMMUNITY), await org_id(JIEAN)):
        body = await act(demo, INVITE, "inviteToAlliance", {"allianceId": alliance, "orgId": org}, PARTNER_ADMIN)
        assert body == {"alliance": None, "errors": [{"field": ["orgId"], "code": "DUPLICATE"}]}
    assert await AllianceMemberRow.all().count() == 3


async def test_not_invited_cannot_answer(police: Api) -> None:
    demo, alliance = police, await seeded()
    for org, phone in ((POLICE, POLICE_ADMIN), (COMMUNITY, COMMUNITY_ADMIN), (JIEAN, PARTNER_ADMIN)):
        body = await act(demo, RESPOND, "respondAllianceInvite",
                         {"allianceId": alliance, "orgId": await org_id(org), "accept": True}, phone)
        assert body == {"alliance": None, "errors": [{"field": ["orgId"], "code": "INVALID_STATE"}]}, org
    assert await statuses(SEEDED) == {JIEAN: AllianceMemberStatus.ACTIVE, COMMUNITY: AllianceMemberStatus.ACTIVE}


async def test_who_may_invite_answer_and_leave(police: Api) -> None:
    demo, alliance, station = police, await seeded(), await org_id(POLICE)
    await person(demo, COMMUNITY_STAFF, COMMUNITY, MemberRole.STAFF)
    invite = {"input": {"allianceId": alliance, "orgId": station}}
    # Only the lead's ADMIN invites: not an active member's admin, not the invitee itself, not a district admin.
    for phone in (COMMUNITY_ADMIN, POLICE_ADMIN, ADMIN0, STREET_ADMIN, COMMUNITY_STAFF, RESIDENT):
        body = await demo(INVITE, invite, as_=phone)
        assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN", phone
    await act(demo, INVITE, "inviteToAlliance", {"allianceId": alliance, "orgId": station}, PARTNER_ADMIN)
    # Only the invited org's ADMIN answers: not the lead, not its plain members.
    respond = {"input": {"allianceId": alliance, "orgId": station, "accept": True}}
    for phone in (PARTNER_ADMIN, POLICE_MEMBER, COMMUNITY_ADMIN):
        body = await demo(RESPOND, respond, as_=phone)
        assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN", phone
    # Leaving: the member's ADMIN (a STAFF of the community is not enough), or the lead's ADMIN.
    leave = {"input": {"allianceId": alliance, "orgId": await org_id(COMMUNITY)}}
    for phone in (COMMUNITY_STAFF, BRANCH_ADMIN, POLICE_ADMIN, MEMBER):
        body = await demo(LEAVE, leave, as_=phone)
        assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN", phone
    assert (await statuses(SEEDED))[POLICE] is AllianceMemberStatus.INVITED
    assert (await statuses(SEEDED))[COMMUNITY] is AllianceMemberStatus.ACTIVE


async def test_anonymous_calls_are_unauthenticated(demo: Api) -> None:
    alliance, station = await seeded(), await org_id(POLICE)
    calls = ((INVITE, {"allianceId": alliance, "orgId": station}),
             (RESPOND, {"allianceId": alliance, "orgId": station, "accept": True}),
             (LEAVE, {"allianceId": alliance, "orgId": await org_id(COMMUNITY)}),
             (CREATE, {"name": "匿名联盟", "leadOrgId": station}))
    for document, variables in calls:
        anon = await demo(document, {"input": variables})
        assert anon["data"] is None and anon["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_the_lead_removes_a_member(demo: Api) -> None:
    alliance = await seeded()
    body = await act(demo, LEAVE, "leaveAlliance", {"allianceId": alliance, "orgId": await org_id(COMMUNITY)},
                     PARTNER_ADMIN)
    assert body == {"alliance": alliance_json(alliance, SEEDED, JIEAN, JIEAN), "errors": []}
    assert await statuses(SEEDED) == {JIEAN: AllianceMemberStatus.ACTIVE, COMMUNITY: AllianceMemberStatus.LEFT}


async def test_a_member_leaves_and_the_lead_cannot(demo: Api) -> None:
    alliance = await seeded()
    lead = await act(demo, LEAVE, "leaveAlliance", {"allianceId": alliance, "orgId": await org_id(JIEAN)},
                     PARTNER_ADMIN)
    assert lead == {"alliance": None, "errors": [{"field": ["orgId"], "code": "INVALID_STATE"}]}
    body = await act(demo, LEAVE, "leaveAlliance", {"allianceId": alliance, "orgId": await org_id(COMMUNITY)},
                     COMMUNITY_ADMIN)
    assert body == {"alliance": alliance_json(alliance, SEEDED, JIEAN, JIEAN), "errors": []}
    never = await act(demo, LEAVE, "leaveAlliance", {"allianceId": alliance, "orgId": await org_id(BRANCH)},
                      BRANCH_ADMIN)
    assert never == {"alliance": None, "errors": [{"field": ["orgId"], "code": "INVALID_STATE"}]}
    assert await statuses(SEEDED) == {JIEAN: AllianceMemberStatus.ACTIVE, COMMUNITY: AllianceMemberStatus.LEFT}


async def test_unknown_alliance_and_org(demo: Api) -> None:
    body = await act(demo, INVITE, "inviteToAlliance",
                     {"allianceId": gid("Alliance", 999), "orgId": gid("Org", 9999)}, PARTNER_ADMIN)
    assert body == {"alliance": None, "errors": [{"field": ["allianceId"], "code": "NOT_FOUND"},
                                                 {"field": ["orgId"], "code": "NOT_FOUND"}]}
    body = await act(demo, RESPOND, "respondAllianceInvite",
                     {"allianceId": gid("Org", 1), "orgId": await org_id(JIEAN), "accept": True}, PARTNER_ADMIN)
    assert body == {"alliance": None, "errors": [{"field": ["allianceId"], "code": "NOT_FOUND"}]}


# --- the list and the node ---------------------------------------------------------------------------------------


async def test_alliances_list_and_filter(police: Api) -> None:
    demo = police
    await act(demo, CREATE, "createAlliance", {"name": "鹭江警民联盟", "leadOrgId": await org_id(POLICE)}, POLICE_ADMIN)
    everything = (await demo.ok(ALLIANCES))["alliances"]  # public: anonymous too
    assert everything["totalCount"] == 2
    assert everything["nodes"] == [{"name": SEEDED, "lead": {"name": JIEAN}}, {"name": "鹭江警民联盟", "lead": {"name": POLICE}}]
    paged = (await demo.ok(ALLIANCES, {"first": 1}))["alliances"]
    assert paged["nodes"] == [{"name": SEEDED, "lead": {"name": JIEAN}}] and paged["pageInfo"]["hasNextPage"]
    rest = (await demo.ok(ALLIANCES, {"first": 1, "after": paged["pageInfo"]["endCursor"]}))["alliances"]
    assert rest["nodes"] == [{"name": "鹭江警民联盟", "lead": {"name": POLICE}}] and not rest["pageInfo"]["hasNextPage"]

    async def of(org: str) -> list[str]:
        body = (await demo.ok(ALLIANCES, {"filter": {"orgId": await org_id(org)}}))["alliances"]
        assert body["totalCount"] == len(body["nodes"])
        return [n["name"] for n in body["nodes"]]

    assert await of(COMMUNITY) == [SEEDED]
    assert await of(JIEAN) == [SEEDED]
    assert await of(POLICE) == ["鹭江警民联盟"]
    assert await of(BRANCH) == []  # the community's membership is its own, not its branches'
    await act(demo, INVITE, "inviteToAlliance", {"allianceId": await seeded(), "orgId": await org_id(POLICE)},
              PARTNER_ADMIN)
    assert await of(POLICE) == ["鹭江警民联盟"]  # invited is not a member
    await act(demo, RESPOND, "respondAllianceInvite",
              {"allianceId": await seeded(), "orgId": await org_id(POLICE), "accept": True}, POLICE_ADMIN)
    assert await of(POLICE) == [SEEDED, "鹭江警民联盟"]
    await act(demo, LEAVE, "leaveAlliance", {"allianceId": await seeded(), "orgId": await org_id(COMMUNITY)},
              COMMUNITY_ADMIN)
    assert await of(COMMUNITY) == []
    bogus = (await demo.ok(ALLIANCES, {"filter": {"orgId": "nonsense"}}))["alliances"]
    assert bogus == {"totalCount": 0, "nodes": [], "pageInfo": {"hasNextPage": False, "endCursor": None}}


async def test_node_is_public_and_members_page(demo: Api) -> None:
    alliance = await seeded()
    for phone in (None, RESIDENT, PARTNER_ADMIN):
        body = await demo.ok(NODE, {"id": alliance}, as_=phone)
        assert body == {"node": {"__typename": "Alliance", "name": SEEDED, "lead": {"name": JIEAN},
                                 "members": {"totalCount": 2, "nodes": [{"name": COMMUNITY}]}}}, phone
    assert (await demo.ok(NODE, {"id": gid("Alliance", 999)}))["node"] is None


# --- the alliance effect -----------------------------------------------------------------------------------------


@pytest.fixture
async def stocked(police: Api) -> Api:
    """Work on both sides: the police station's open and draft projects and a PARTNERS and a SUBTREE resource of it;
    a draft project and a SUBTREE resource of 莲花北社区."""
    orgs = {o.name: o for o in await OrgRow.filter(name__in=[POLICE, COMMUNITY])}
    admins = {phone: await UserRow.get(phone=phone) for phone in (POLICE_ADMIN, COMMUNITY_ADMIN)}
    for org, admin, title, publish in ((POLICE, POLICE_ADMIN, "警民共建反诈宣传", True),
                                       (POLICE, POLICE_ADMIN, "派出所草稿项目", False),
                                       (COMMUNITY, COMMUNITY_ADMIN, "莲花北草稿项目", False)):
        project = await project_model.create(
            org_id=orgs[org].id, created_by=admins[admin].id, title=title, description="", capacity=5,
            category=ProjectCategory.OTHER, claimant_kinds=["MEMBER", "ORG"], starts_at=None, ends_at=None,
            location=None, compound_id=None)
        if publish:
            assert await project_model.transition(project_id=project.id, to=ProjectStatus.OPEN,
                                                  allowed_from=(ProjectStatus.DRAFT,))
    for owner, name, scope in ((POLICE, "派出所会议室", ShareScope.PARTNERS), (POLICE, "派出所执法记录仪", ShareScope.SUBTREE),
                               (COMMUNITY, "莲花北社区音响", ShareScope.SUBTREE)):
        await ResourceRow.create(owner_id=orgs[owner].id, name=name, kind=ResourceKind.EQUIPMENT, quantity=1,
                                 share_scope=scope)
    return police


async def seen(demo: Api, phone: str, org: str) -> tuple[list[str], list[str]]:
    """The project titles `phone` sees and the resources `org` (one of theirs) may request."""
    projects = [n["title"] for n in (await demo.ok(PROJECTS, as_=phone))["projects"]["nodes"]]
    body = (await demo.ok(REQUESTABLE, {"org": await org_id(org)}, as_=phone))["resources"]
    assert body["totalCount"] == len(body["nodes"])
    return projects, [n["name"] for n in body["nodes"]]


GUANYUANLI = ["黄昏行平安巡查", "三红垃圾分类督导", "独居老人助餐探访"]
POLICE_ALONE = (["警民共建反诈宣传"], ["派出所会议室", "派出所执法记录仪"])
BRANCH_MEMBER_ALONE = (["社区义诊进小区", *GUANYUANLI], ["莲花北社区活动室", "莲花北社区音响"])


async def test_joining_shares_projects_and_partners_resources_and_leaving_takes_them_away(stocked: Api) -> None:
    demo, alliance, station = stocked, await seeded(), await org_id(POLICE)
    assert await seen(demo, POLICE_MEMBER, POLICE) == POLICE_ALONE
    assert await seen(demo, MEMBER, BRANCH) == BRANCH_MEMBER_ALONE

    await act(demo, INVITE, "inviteToAlliance", {"allianceId": alliance, "orgId": station}, PARTNER_ADMIN)
    assert await seen(demo, POLICE_MEMBER, POLICE) == POLICE_ALONE  # an invitation shares nothing
    assert await seen(demo, MEMBER, BRANCH) == BRANCH_MEMBER_ALONE

    await act(demo, RESPOND, "respondAllianceInvite", {"allianceId": alliance, "orgId": station, "accept": True},
              POLICE_ADMIN)
    # The station's members see the allies' (and their subtrees') published projects, not drafts, and may request
    # their PARTNERS resources, not SUBTREE ones; and the other way round.
    assert await seen(demo, POLICE_MEMBER, POLICE) == (
        ["警民共建反诈宣传", "社区义诊进小区", *GUANYUANLI], ["莲花北社区活动室", "派出所会议室", "派出所执法记录仪"])
    assert await seen(demo, MEMBER, BRANCH) == (
        ["警民共建反诈宣传", "社区义诊进小区", *GUANYUANLI], ["莲花北社区活动室", "派出所会议室", "莲花北社区音响"])
    projects, _ = await seen(demo, COMMUNITY_ADMIN, COMMUNITY)
    assert "警民共建反诈宣传" in projects and "派出所草稿项目" not in projects

    await act(demo, LEAVE, "leaveAlliance", {"allianceId": alliance, "orgId": station}, POLICE_ADMIN)
    assert await seen(demo, POLICE_MEMBER, POLICE) == POLICE_ALONE
    assert await seen(demo, MEMBER, BRANCH) == BRANCH_MEMBER_ALONE


async def test_the_lead_removing_a_member_takes_the_sharing_away(stocked: Api) -> None:
    demo, alliance, station = stocked, await seeded(), await org_id(POLICE)
    await act(demo, INVITE, "inviteToAlliance", {"allianceId": alliance, "orgId": station}, PARTNER_ADMIN)
    await act(demo, RESPOND, "respondAllianceInvite", {"allianceId": alliance, "orgId": station, "accept": True},
              POLICE_ADMIN)
    await act(demo, LEAVE, "leaveAlliance", {"allianceId": alliance, "orgId": await org_id(COMMUNITY)},
              PARTNER_ADMIN)
    assert await seen(demo, POLICE_MEMBER, POLICE) == POLICE_ALONE
    assert await seen(demo, MEMBER, BRANCH) == BRANCH_MEMBER_ALONE


async def test_a_declined_invitation_shares_nothing(stocked: Api) -> None:
    demo, alliance, station = stocked, await seeded(), await org_id(POLICE)
    await act(demo, INVITE, "inviteToAlliance", {"allianceId": alliance, "orgId": station}, PARTNER_ADMIN)
    await act(demo, RESPOND, "respondAllianceInvite", {"allianceId": alliance, "orgId": station, "accept": False},
              POLICE_ADMIN)
    assert await seen(demo, POLICE_MEMBER, POLICE) == POLICE_ALONE
    assert await seen(demo, MEMBER, BRANCH) == BRANCH_MEMBER_ALONE


async def test_an_alliance_alone_gains_nothing(stocked: Api) -> None:
    demo = stocked
    body = await act(demo, CREATE, "createAlliance", {"name": "鹭江警民联盟", "leadOrgId": await org_id(POLICE)},
                     POLICE_ADMIN)
    assert body["errors"] == []
    assert await seen(demo, POLICE_MEMBER, POLICE) == POLICE_ALONE
    # 莲花北社区 and its own branch in one alliance: the branch member sees no more than through the tree.
    founded = await act(demo, CREATE, "createAlliance", {"name": "莲花北自家联盟", "leadOrgId": await org_id(COMMUNITY)},
                        COMMUNITY_ADMIN)
    own = founded["alliance"]["id"]
    await act(demo, INVITE, "inviteToAlliance", {"allianceId": own, "orgId": await org_id(BRANCH)}, COMMUNITY_ADMIN)
    accepted = await act(demo, RESPOND, "respondAllianceInvite",
                         {"allianceId": own, "orgId": await org_id(BRANCH), "accept": True}, BRANCH_ADMIN)
    assert accepted["alliance"]["members"]["totalCount"] == 2
    assert await seen(demo, MEMBER, BRANCH) == BRANCH_MEMBER_ALONE
    assert await seen(demo, POLICE_MEMBER, POLICE) == POLICE_ALONE
