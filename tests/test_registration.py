"""Dual registration (双报到): registering where one lives, moving, ending, who sees registrations, and the
registered-member figures of every level above the branch."""

from __future__ import annotations

import asyncio
from datetime import datetime

from models.enums import MemberRole, MemberType
from models.org import Org as OrgRow
from models.registration import Registration as RegistrationRow
from models.user import Membership
from tests.conftest import Api, gid, org_id

REGISTER = """
mutation($input: RegisterAtBranchInput!) {
  registerAtBranch(input: $input) {
    registration { id branch { name } user { displayName } memberType workUnit registeredAt endedAt active }
    errors { field code message } }
}"""

END = """
mutation($input: EndRegistrationInput!) {
  endRegistration(input: $input) { registration { id branch { name } active endedAt } errors { field code message } }
}"""

REMOVE_MEMBER = """
mutation($input: RemoveMemberInput!) { removeMember(input: $input) { membership { role } errors { code } } }"""

VIEWER = """
{ viewer { displayName registration { branch { name } memberType workUnit active }
           memberships { role org { name } } } }"""

NODE = """
query($id: ID!) { node(id: $id) { id ... on Registration { branch { name } user { displayName } memberType active } } }"""

REGISTRATIONS = """
query($id: ID!, $active: Boolean, $first: Int, $after: String) {
  org(id: $id) { registrations(active: $active, first: $first, after: $after) {
    totalCount nodes { user { displayName } memberType active } pageInfo { hasNextPage endCursor } } }
}"""

REGISTERED = """
query($ids: [ID!]!) { nodes(ids: $ids) { ... on Org { name stats { registeredMemberCount } } } }"""

BRANCH, OTHER_BRANCH = "观远里小区党支部", "海龙小区党支部"
# The lineages of the two branches, up to the district.
LEVELS = [BRANCH, "莲花北社区", "嘉莲街道", OTHER_BRANCH, "巡司顶社区", "厦港街道", "思明区"]


async def _register(demo: Api, phone: str, branch: str, member_type: str = "RETIRED",
                    work_unit: str | None = None) -> dict:
    body = await demo.ok(REGISTER, {"input": {"branchId": await org_id(branch), "memberType": member_type,
                                              "workUnit": work_unit}}, as_=phone)
    return body["registerAtBranch"]


async def _registered(demo: Api) -> dict[str, int]:
    """registeredMemberCount of every org on the two branches' lineages (the directory is public)."""
    data = await demo.ok(REGISTERED, {"ids": [await org_id(name) for name in LEVELS]})
    return {node["name"]: node["stats"]["registeredMemberCount"] for node in data["nodes"]}


def _counts(branch: int, other: int) -> dict[str, int]:
    """The expected figures with `branch` members at 观远里 and `other` at 海龙."""
    return {BRANCH: branch, "莲花北社区": branch, "嘉莲街道": branch,
            OTHER_BRANCH: other, "巡司顶社区": other, "厦港街道": other, "思明区": branch + other}


async def _roles(phone_id: int) -> dict[str, MemberRole]:
    """org name -> role of one user's memberships, straight from the table."""
    return {m.org.name: m.role for m in await Membership.filter(user_id=phone_id).prefetch_related("org")}


def _assert_datetime(text: str) -> None:
    assert datetime.fromisoformat(text).utcoffset() is not None, text


# --- registerAtBranch -----------------------------------------------------------------------------------------------


async def test_register_creates_active_registration_and_membership(demo: Api) -> None:
    resident = demo.users["13800000006"]
    payload = await _register(demo, "13800000006", BRANCH, "FLOATING", "  鹭江派出所  ")
    registration = payload.pop("registration")
    assert payload == {"errors": []}
    _assert_datetime(registration.pop("registeredAt"))
    row = await RegistrationRow.get(user_id=resident)
    assert registration == {"id": gid("Registration", row.id), "branch": {"name": BRANCH},
                            "user": {"displayName": "林居民"}, "memberType": "FLOATING", "workUnit": "鹭江派出所",
                            "endedAt": None, "active": True}
    assert (row.branch_id, row.member_type, row.active_user_id, row.ended_at) == (
        (await OrgRow.get(name=BRANCH)).id, MemberType.FLOATING, resident, None)
    assert await _roles(resident) == {BRANCH: MemberRole.MEMBER}
    viewer = await demo.ok(VIEWER, as_="13800000006")
    assert viewer == {"viewer": {"displayName": "林居民", "registration": {
        "branch": {"name": BRANCH}, "memberType": "FLOATING", "workUnit": "鹭江派出所", "active": True},
        "memberships": [{"role": "MEMBER", "org": {"name": BRANCH}}]}}


async def test_register_refuses_what_is_not_a_branch(demo: Api) -> None:
    community = await demo.ok(REGISTER, {"input": {"branchId": await org_id("莲花北社区"), "memberType": "RETIRED"}},
                              as_="13800000006")
    assert community["registerAtBranch"] == {"registration": None, "errors": [
        {"field": ["branchId"], "code": "INVALID", "message": "须为小区党支部"}]}
    partner = await demo.ok(REGISTER, {"input": {"branchId": await org_id("厦门市捷安集团党支部"),
                                                 "memberType": "RETIRED"}}, as_="13800000006", lang="en")
    assert partner["registerAtBranch"]["errors"] == [
        {"field": ["branchId"], "code": "INVALID", "message": "Must be a compound branch"}]
    for missing in (gid("Org", 9999), gid("User", demo.users["13800000003"]), "not-an-id"):
        body = await demo.ok(REGISTER, {"input": {"branchId": missing, "memberType": "RETIRED"}}, as_="13800000006")
        assert body["registerAtBranch"] == {"registration": None, "errors": [
            {"field": ["branchId"], "code": "NOT_FOUND", "message": "找不到该对象"}]}
    too_long = await demo.ok(REGISTER, {"input": {"branchId": await org_id(BRANCH), "memberType": "RETIRED",
                                                  "workUnit": "单" * 101}}, as_="13800000006")
    assert [(e["field"], e["code"]) for e in too_long["registerAtBranch"]["errors"]] == [(["workUnit"], "INVALID")]
    assert not await RegistrationRow.exists(user_id=demo.users["13800000006"])
    assert await _roles(demo.users["13800000006"]) == {}


async def test_register_needs_login(demo: Api) -> None:
    body = await demo(REGISTER, {"input": {"branchId": await org_id(BRANCH), "memberType": "RETIRED"}})
    assert body["data"] is None
    assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert body["errors"][0]["path"] == ["registerAtBranch"]
    assert await RegistrationRow.all().count() == 1


async def test_moving_to_another_branch_keeps_history(demo: Api) -> None:
    member = demo.users["13800000004"]
    old = await RegistrationRow.get(user_id=member)
    assert await _roles(member) == {BRANCH: MemberRole.MEMBER}
    moved = await _register(demo, "13800000004", OTHER_BRANCH, "RETIRED")
    assert moved["errors"] == []
    assert (moved["registration"]["branch"], moved["registration"]["active"]) == ({"name": OTHER_BRANCH}, True)
    rows = await RegistrationRow.filter(user_id=member).order_by("id")
    assert [(r.id, r.branch_id, r.active, r.ended_at is not None) for r in rows] == [
        (old.id, old.branch_id, False, True),
        (rows[1].id, (await OrgRow.get(name=OTHER_BRANCH)).id, True, False)]
    # The plain MEMBER role at the old branch went with the registration.
    assert await _roles(member) == {OTHER_BRANCH: MemberRole.MEMBER}
    # The old registration is history the member can still read, with its end.
    ended = await demo.ok("query($id: ID!) { node(id: $id) { ... on Registration { active endedAt } } }",
                          {"id": gid("Registration", old.id)}, as_="13800000004")
    assert ended["node"]["active"] is False
    _assert_datetime(ended["node"]["endedAt"])
    viewer = await demo.ok(VIEWER, as_="13800000004")
    assert viewer["viewer"]["registration"] == {"branch": {"name": OTHER_BRANCH}, "memberType": "RETIRED",
                                                "workUnit": None, "active": True}


async def test_moving_keeps_stronger_roles_at_the_old_branch(demo: Api) -> None:
    """The branch secretary registers at home, then moves: ADMIN of the old branch is not a registration's doing."""
    admin = demo.users["13800000003"]
    here = await _register(demo, "13800000003", BRANCH, "IN_SERVICE")
    assert here["errors"] == [] and here["registration"]["active"] is True
    assert await _roles(admin) == {BRANCH: MemberRole.ADMIN}  # not downgraded to MEMBER
    moved = await _register(demo, "13800000003", OTHER_BRANCH)
    assert moved["errors"] == []
    assert await _roles(admin) == {BRANCH: MemberRole.ADMIN, OTHER_BRANCH: MemberRole.MEMBER}
    # STAFF survives a move as well.
    await Membership.filter(user_id=demo.users["13800000004"]).update(role=MemberRole.STAFF)
    await _register(demo, "13800000004", OTHER_BRANCH)
    assert await _roles(demo.users["13800000004"]) == {BRANCH: MemberRole.STAFF, OTHER_BRANCH: MemberRole.MEMBER}


async def test_registering_again_at_the_same_branch_only_updates(demo: Api) -> None:
    member = demo.users["13800000004"]
    before = await RegistrationRow.get(user_id=member)
    again = await _register(demo, "13800000004", BRANCH, "RETIRED", "退休")
    assert again["errors"] == []
    assert again["registration"]["id"] == gid("Registration", before.id)
    assert (again["registration"]["memberType"], again["registration"]["workUnit"]) == ("RETIRED", "退休")
    rows = await RegistrationRow.filter(user_id=member)
    assert len(rows) == 1
    assert (rows[0].member_type, rows[0].work_unit, rows[0].registered_at, rows[0].active) == (
        MemberType.RETIRED, "退休", before.registered_at, True)
    assert await _roles(member) == {BRANCH: MemberRole.MEMBER}


async def test_racing_registrations_leave_one_active(demo: Api) -> None:
    member = demo.users["13800000004"]
    targets = [await org_id(name) for name in (OTHER_BRANCH, "国贸金海岸小区党支部", OTHER_BRANCH)]
    bodies = await asyncio.gather(*(demo(REGISTER, {"input": {"branchId": target, "memberType": "RETIRED"}},
                                         as_="13800000004") for target in targets))
    codes = [[e["code"] for e in b["data"]["registerAtBranch"]["errors"]] for b in bodies]
    assert all(c in ([], ["CONFLICT"]) for c in codes), codes
    active = await RegistrationRow.filter(user_id=member, active_user_id__not_isnull=True)
    assert len(active) == 1
    branch = await OrgRow.get(id=active[0].branch_id)
    assert await _roles(member) == {branch.name: MemberRole.MEMBER}


# --- who sees registrations -----------------------------------------------------------------------------------------


async def test_viewer_registration(demo: Api) -> None:
    member = await demo.ok(VIEWER, as_="13800000004")
    assert member["viewer"]["registration"] == {"branch": {"name": BRANCH}, "memberType": "IN_SERVICE",
                                                "workUnit": "厦门市捷安集团", "active": True}
    resident = await demo.ok(VIEWER, as_="13800000006")
    assert resident["viewer"]["registration"] is None


async def test_registration_node_for_the_member_and_branch_managers_only(demo: Api) -> None:
    row = await RegistrationRow.get(user_id=demo.users["13800000004"])
    reg_id = gid("Registration", row.id)
    expected = {"node": {"id": reg_id, "branch": {"name": BRANCH}, "user": {"displayName": "陈党员"},
                         "memberType": "IN_SERVICE", "active": True}}
    # The member, the branch secretary and everyone managing above the branch.
    for phone in ("13800000004", "13800000003", "13800000002", "13800000001", "13800000000"):
        assert await demo.ok(NODE, {"id": reg_id}, as_=phone) == expected, phone
    # A resident, a partner unit's admin, the admin of another branch and anonymous callers see nothing,
    # exactly as for an id that does not exist.
    await Membership.create(user_id=demo.users["13800000006"], org=await OrgRow.get(name=OTHER_BRANCH),
                            role=MemberRole.ADMIN)
    for phone in ("13800000006", "13800000005", None):
        assert await demo.ok(NODE, {"id": reg_id}, as_=phone) == {"node": None}, phone
    assert await demo.ok(NODE, {"id": gid("Registration", 9999)}, as_="13800000003") == {"node": None}


async def test_branch_registrations_for_managers(demo: Api) -> None:
    branch = await org_id(BRANCH)
    await _register(demo, "13800000006", BRANCH, "FLOATING")
    await _register(demo, "13800000003", BRANCH, "IN_SERVICE")
    await _register(demo, "13800000003", OTHER_BRANCH)  # ended here, active there
    active = await demo.ok(REGISTRATIONS, {"id": branch}, as_="13800000003")
    assert active["org"]["registrations"] == {"totalCount": 2, "nodes": [
        {"user": {"displayName": "陈党员"}, "memberType": "IN_SERVICE", "active": True},
        {"user": {"displayName": "林居民"}, "memberType": "FLOATING", "active": True}],
        "pageInfo": {"hasNextPage": False, "endCursor": active["org"]["registrations"]["pageInfo"]["endCursor"]}}
    ended = await demo.ok(REGISTRATIONS, {"id": branch, "active": False}, as_="13800000002")
    assert ended["org"]["registrations"]["totalCount"] == 1
    assert ended["org"]["registrations"]["nodes"] == [
        {"user": {"displayName": "观远里支部书记"}, "memberType": "IN_SERVICE", "active": False}]
    # active: null lists the whole history, page by page.
    first = await demo.ok(REGISTRATIONS, {"id": branch, "active": None, "first": 2}, as_="13800000001")
    page = first["org"]["registrations"]
    assert page["totalCount"] == 3 and page["pageInfo"]["hasNextPage"] is True
    assert [n["user"]["displayName"] for n in page["nodes"]] == ["陈党员", "林居民"]
    rest = await demo.ok(REGISTRATIONS, {"id": branch, "active": None, "first": 2,
                                         "after": page["pageInfo"]["endCursor"]}, as_="13800000001")
    assert rest["org"]["registrations"]["nodes"] == [
        {"user": {"displayName": "观远里支部书记"}, "memberType": "IN_SERVICE", "active": False}]
    assert rest["org"]["registrations"]["pageInfo"]["hasNextPage"] is False
    # Members of the branch, residents and partner units may not list it; anonymous callers must log in.
    for phone in ("13800000004", "13800000006", "13800000005"):
        body = await demo(REGISTRATIONS, {"id": branch}, as_=phone)
        assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN", phone
        assert body["errors"][0]["path"] == ["org", "registrations"]
    anon = await demo(REGISTRATIONS, {"id": branch})
    assert anon["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


# --- endRegistration and removeMember ---------------------------------------------------------------------------


async def test_member_ends_own_registration(demo: Api) -> None:
    member = demo.users["13800000004"]
    row = await RegistrationRow.get(user_id=member)
    reg_id = gid("Registration", row.id)
    body = await demo.ok(END, {"input": {"registrationId": reg_id}}, as_="13800000004")
    payload = body["endRegistration"]
    _assert_datetime(payload["registration"].pop("endedAt"))
    assert payload == {"registration": {"id": reg_id, "branch": {"name": BRANCH}, "active": False}, "errors": []}
    await row.refresh_from_db()
    assert row.active_user_id is None and row.ended_at is not None
    assert await _roles(member) == {}
    assert (await demo.ok(VIEWER, as_="13800000004"))["viewer"]["registration"] is None
    twice = await demo.ok(END, {"input": {"registrationId": reg_id}}, as_="13800000004")
    assert twice["endRegistration"] == {"registration": None, "errors": [
        {"field": ["registrationId"], "code": "INVALID_STATE", "message": "该登记已结束"}]}


async def test_branch_manager_ends_a_registration_others_cannot(demo: Api) -> None:
    row = await RegistrationRow.get(user_id=demo.users["13800000004"])
    reg_id = gid("Registration", row.id)
    for phone in ("13800000006", "13800000005"):
        refused = await demo.ok(END, {"input": {"registrationId": reg_id}}, as_=phone)
        assert refused["endRegistration"] == {"registration": None, "errors": [
            {"field": ["registrationId"], "code": "NOT_FOUND", "message": "找不到该对象"}]}, phone
    for missing in (gid("Registration", 9999), gid("Org", row.branch_id)):
        gone = await demo.ok(END, {"input": {"registrationId": missing}}, as_="13800000003")
        assert gone["endRegistration"]["errors"][0]["code"] == "NOT_FOUND"
    anon = await demo(END, {"input": {"registrationId": reg_id}})
    assert anon["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert (await RegistrationRow.get(id=row.id)).active
    done = await demo.ok(END, {"input": {"registrationId": reg_id}}, as_="13800000003")
    assert done["endRegistration"]["errors"] == [] and done["endRegistration"]["registration"]["active"] is False
    assert await _roles(demo.users["13800000004"]) == {}


async def test_removing_the_member_from_the_branch_ends_the_registration(demo: Api) -> None:
    member = demo.users["13800000004"]
    body = await demo.ok(REMOVE_MEMBER, {"input": {"orgId": await org_id(BRANCH), "userId": gid("User", member)}},
                         as_="13800000003")
    assert body["removeMember"] == {"membership": {"role": "MEMBER"}, "errors": []}
    row = await RegistrationRow.get(user_id=member)
    assert row.active_user_id is None and row.ended_at is not None
    # A member leaving the branch themself ends theirs too.
    await _register(demo, "13800000006", BRANCH)
    left = await demo.ok(REMOVE_MEMBER, {"input": {"orgId": await org_id(BRANCH),
                                                   "userId": gid("User", demo.users["13800000006"])}},
                         as_="13800000006")
    assert left["removeMember"]["errors"] == []
    assert not await RegistrationRow.exists(user_id=demo.users["13800000006"], active_user_id__not_isnull=True)


async def test_registered_member_count_follows_every_step(demo: Api) -> None:
    assert await _registered(demo) == _counts(1, 0)
    await _register(demo, "13800000006", BRANCH)
    assert await _registered(demo) == _counts(2, 0)
    await _register(demo, "13800000006", BRANCH, "IN_SERVICE")  # an update, not a second registration
    assert await _registered(demo) == _counts(2, 0)
    await _register(demo, "13800000006", OTHER_BRANCH)
    assert await _registered(demo) == _counts(1, 1)
    moved = await RegistrationRow.get(user_id=demo.users["13800000006"], active_user_id__not_isnull=True)
    ended = await demo.ok(END, {"input": {"registrationId": gid("Registration", moved.id)}}, as_="13800000006")
    assert ended["endRegistration"]["errors"] == []
    assert await _registered(demo) == _counts(1, 0)
    removed = await demo.ok(REMOVE_MEMBER, {"input": {"orgId": await org_id(BRANCH),
                                                      "userId": gid("User", demo.users["13800000004"])}},
                            as_="13800000002")
    assert removed["removeMember"]["errors"] == []
    assert await _registered(demo) == _counts(0, 0)
