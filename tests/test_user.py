"""People: the viewer, member lists with masked phones, and appointing and removing members."""

from __future__ import annotations

import base64
from datetime import datetime

import pytest

from models.enums import MemberRole
from models.org import Org as OrgRow
from models.user import Membership
from tests.conftest import Api, gid, org_id

VIEWER = """
{ viewer { id displayName phone memberships { role org { name kind } user { displayName } }
           registration { branch { name } memberType workUnit active registeredAt } serviceHours } }"""

MEMBERS = """
query($id: ID!, $role: MemberRole, $first: Int, $after: String) {
  org(id: $id) { name members(role: $role, first: $first, after: $after) {
    totalCount nodes { role user { displayName phone } } pageInfo { hasNextPage endCursor } } }
}"""

ADD_MEMBER = """
mutation($input: AddMemberInput!) {
  addMember(input: $input) { membership { role org { name } user { displayName phone } }
                             errors { field code message } }
}"""

REMOVE_MEMBER = """
mutation($input: RemoveMemberInput!) {
  removeMember(input: $input) { membership { role org { name } user { displayName } } errors { field code message } }
}"""

BRANCH = "观远里小区党支部"
PARTNER = "厦门市捷安集团党支部"


async def _roles(org_name: str) -> dict[str, MemberRole]:
    """phone -> role of every membership of an org, straight from the table."""
    rows = await Membership.filter(org__name=org_name).prefetch_related("user")
    return {m.user.phone: m.role for m in rows}


async def _user_id(demo: Api, phone: str) -> str:
    return gid("User", demo.users[phone])


async def _join(demo: Api, phone: str, org_name: str, role: MemberRole) -> None:
    await Membership.create(user_id=demo.users[phone], org=await OrgRow.get(name=org_name), role=role)


# --- viewer ------------------------------------------------------------------------------------------------


async def test_viewer_is_null_when_anonymous(demo: Api) -> None:
    assert await demo(VIEWER) == {"data": {"viewer": None}}


async def test_viewer_of_a_registered_party_member(demo: Api) -> None:
    data = await demo.ok(VIEWER, as_="13800000004")
    registered_at = data["viewer"]["registration"].pop("registeredAt")
    assert data == {"viewer": {
        "id": await _user_id(demo, "13800000004"), "displayName": "陈党员", "phone": "13800000004",
        "memberships": [{"role": "MEMBER", "org": {"name": BRANCH, "kind": "COMPOUND_BRANCH"},
                         "user": {"displayName": "陈党员"}}],
        "registration": {"branch": {"name": BRANCH}, "memberType": "IN_SERVICE", "workUnit": "厦门市捷安集团",
                         "active": True},
        "serviceHours": 0.0,
    }}
    # ISO-8601 with an offset.
    assert datetime.fromisoformat(registered_at).utcoffset() is not None, registered_at


async def test_viewer_without_memberships(demo: Api) -> None:
    data = await demo.ok(VIEWER, as_="13800000006")
    assert data["viewer"] == {"id": await _user_id(demo, "13800000006"), "displayName": "林居民",
                              "phone": "13800000006", "memberships": [], "registration": None, "serviceHours": 0.0}


async def test_viewer_of_an_admin(demo: Api) -> None:
    data = await demo.ok("{ viewer { phone memberships { role org { name } } registration { active } } }",
                         as_="13800000005")
    assert data == {"viewer": {"phone": "13800000005", "memberships": [{"role": "ADMIN", "org": {"name": PARTNER}}],
                               "registration": None}}


# --- member lists and masked phones ------------------------------------------------------------------------


async def test_plain_member_sees_other_phones_masked(demo: Api) -> None:
    data = await demo.ok(MEMBERS, {"id": await org_id(BRANCH)}, as_="13800000004")
    assert data == {"org": {"name": BRANCH, "members": {
        "totalCount": 2,
        "nodes": [{"role": "ADMIN", "user": {"displayName": "观远里支部书记", "phone": "138****0003"}},
                  {"role": "MEMBER", "user": {"displayName": "陈党员", "phone": "13800000004"}}],
        "pageInfo": {"hasNextPage": False, "endCursor": data["org"]["members"]["pageInfo"]["endCursor"]}}}}


@pytest.mark.parametrize("viewer", ["13800000003", "13800000002", "13800000001", "13800000000"])
async def test_admin_of_the_org_or_an_ancestor_sees_phones(demo: Api, viewer: str) -> None:
    data = await demo.ok(MEMBERS, {"id": await org_id(BRANCH)}, as_=viewer)
    assert data["org"]["members"]["nodes"] == [
        {"role": "ADMIN", "user": {"displayName": "观远里支部书记", "phone": "13800000003"}},
        {"role": "MEMBER", "user": {"displayName": "陈党员", "phone": "13800000004"}},
    ]


async def test_staff_of_an_ancestor_sees_phones_and_commissioner_does_not(demo: Api) -> None:
    await _join(demo, "13800000006", "莲花北社区", MemberRole.STAFF)
    staff = await demo.ok(MEMBERS, {"id": await org_id(BRANCH)}, as_="13800000006")
    assert [n["user"]["phone"] for n in staff["org"]["members"]["nodes"]] == ["13800000003", "13800000004"]
    await Membership.filter(user_id=demo.users["13800000006"]).update(role=MemberRole.COMMISSIONER)
    # A commissioner of the community is neither a member of the branch nor a manager: no list at all.
    denied = await demo(MEMBERS, {"id": await org_id(BRANCH)}, as_="13800000006")
    assert denied["errors"][0]["extensions"] == {"code": "FORBIDDEN"}
    # A commissioner of the branch itself sees the list, phones masked.
    await _join(demo, "13800000006", BRANCH, MemberRole.COMMISSIONER)
    own = await demo.ok(MEMBERS, {"id": await org_id(BRANCH)}, as_="13800000006")
    assert [n["user"]["phone"] for n in own["org"]["members"]["nodes"]] == ["138****0003", "138****0004",
                                                                              "13800000006"]


async def test_members_need_login(demo: Api) -> None:
    body = await demo(MEMBERS, {"id": await org_id(BRANCH)})
    assert body == {"data": {"org": None}, "errors": [{
        "message": "请先登录", "locations": [{"line": 3, "column": 23}], "path": ["org", "members"],
        "extensions": {"code": "UNAUTHENTICATED"}}]}
    en = await demo(MEMBERS, {"id": await org_id(BRANCH)}, lang="en")
    assert en["errors"][0]["message"] == "You need to log in"


@pytest.mark.parametrize(("viewer", "org_name"), [
    ("13800000006", BRANCH),         # a resident of the compound, not a member
    ("13800000005", "嘉莲街道"),      # the admin of a partner unit paired with the street
    ("13800000002", "巡司顶社区"),    # the admin of a sibling community
    ("13800000003", "莲花北社区"),    # the branch admin looking upwards
    ("13800000004", "莲花北社区"),    # a branch member looking upwards
])
async def test_members_forbidden_for_unrelated_viewers(demo: Api, viewer: str, org_name: str) -> None:
    body = await demo(MEMBERS, {"id": await org_id(org_name)}, as_=viewer)
    assert body["data"] == {"org": None}
    assert [(e["path"], e["extensions"]) for e in body["errors"]] == [(["org", "members"], {"code": "FORBIDDEN"})]
    assert body["errors"][0]["message"] == "无权进行此操作"


async def test_members_role_filter_total_count_and_pages(demo: Api) -> None:
    branch = await org_id(BRANCH)
    for phone in ("13800000006", "13800000005"):
        await _join(demo, phone, BRANCH, MemberRole.MEMBER)
    admins = await demo.ok(MEMBERS, {"id": branch, "role": "ADMIN"}, as_="13800000003")
    assert admins["org"]["members"]["totalCount"] == 1
    assert admins["org"]["members"]["nodes"] == [
        {"role": "ADMIN", "user": {"displayName": "观远里支部书记", "phone": "13800000003"}}]
    plain = await demo.ok(MEMBERS, {"id": branch, "role": "MEMBER", "first": 2}, as_="13800000003")
    page1 = plain["org"]["members"]
    assert page1["totalCount"] == 3 and page1["pageInfo"]["hasNextPage"] is True
    assert [n["user"]["displayName"] for n in page1["nodes"]] == ["陈党员", "林居民"]
    rest = await demo.ok(MEMBERS, {"id": branch, "role": "MEMBER", "first": 2,
                                   "after": page1["pageInfo"]["endCursor"]}, as_="13800000003")
    assert [n["user"]["displayName"] for n in rest["org"]["members"]["nodes"]] == ["捷安集团党支部书记"]
    assert rest["org"]["members"]["pageInfo"]["hasNextPage"] is False
    for bad in ("garbage", base64.b64encode(b"k:99999999999").decode()):  # beyond any 32-bit key
        body = await demo(MEMBERS, {"id": branch, "after": bad}, as_="13800000003")
        assert body["errors"][0]["extensions"] == {"code": "INVALID", "field": ["after"]}, bad
    none = await demo.ok(MEMBERS, {"id": branch, "role": "STAFF"}, as_="13800000003")
    assert none["org"]["members"] == {"totalCount": 0, "nodes": [],
                                      "pageInfo": {"hasNextPage": False, "endCursor": None}}
    count_only = await demo.ok("query($id: ID!) { org(id: $id) { members { totalCount } } }", {"id": branch},
                               as_="13800000004")
    assert count_only == {"org": {"members": {"totalCount": 4}}}


# --- addMember -----------------------------------------------------------------------------------------------


async def test_add_member_by_phone_and_change_role(demo: Api) -> None:
    branch = await org_id(BRANCH)
    added = await demo.ok(ADD_MEMBER, {"input": {"orgId": branch, "phone": "+86 138 0000 0006"}}, as_="13800000003")
    assert added == {"addMember": {"membership": {
        "role": "MEMBER", "org": {"name": BRANCH}, "user": {"displayName": "林居民", "phone": "13800000006"}},
        "errors": []}}
    assert await _roles(BRANCH) == {"13800000003": MemberRole.ADMIN, "13800000004": MemberRole.MEMBER,
                                    "13800000006": MemberRole.MEMBER}
    # The same person again: the role changes, no second row.
    upgraded = await demo.ok(ADD_MEMBER, {"input": {"orgId": branch, "phone": "13800000006", "role": "STAFF"}},
                             as_="13800000002")
    assert upgraded["addMember"]["membership"]["role"] == "STAFF"
    assert await Membership.filter(user_id=demo.users["13800000006"]).count() == 1
    assert (await _roles(BRANCH))["13800000006"] is MemberRole.STAFF
    # An admin of the branch may appoint another admin.
    admin = await demo.ok(ADD_MEMBER, {"input": {"orgId": branch, "phone": "13800000006", "role": "ADMIN"}},
                          as_="13800000003")
    assert admin["addMember"]["errors"] == []
    assert (await _roles(BRANCH))["13800000006"] is MemberRole.ADMIN


async def test_add_member_input_errors(demo: Api) -> None:
    branch = await org_id(BRANCH)
    unknown = await demo.ok(ADD_MEMBER, {"input": {"orgId": branch, "phone": "13912345678"}}, as_="13800000003")
    assert unknown == {"addMember": {"membership": None, "errors": [
        {"field": ["phone"], "code": "NOT_FOUND", "message": "找不到该对象"}]}}
    invalid = await demo.ok(ADD_MEMBER, {"input": {"orgId": branch, "phone": "0592-1234567"}}, as_="13800000003",
                            lang="en")
    assert invalid == {"addMember": {"membership": None, "errors": [
        {"field": ["phone"], "code": "INVALID", "message": "Enter an 11-digit mainland China mobile number"}]}}
    no_org = await demo.ok(ADD_MEMBER, {"input": {"orgId": gid("Org", 9999), "phone": "13800000006"}},
                           as_="13800000003")
    assert no_org["addMember"]["errors"] == [{"field": ["orgId"], "code": "NOT_FOUND", "message": "找不到该对象"}]
    too_big = await demo.ok(ADD_MEMBER, {"input": {"orgId": gid("Org", 2**31), "phone": "13800000006"}},
                            as_="13800000003")
    assert too_big["addMember"]["errors"] == [{"field": ["orgId"], "code": "NOT_FOUND", "message": "找不到该对象"}]
    wrong_type = await demo.ok(ADD_MEMBER, {"input": {"orgId": await _user_id(demo, "13800000003"),
                                                      "phone": "13800000006"}}, as_="13800000003")
    assert wrong_type["addMember"]["errors"][0]["code"] == "NOT_FOUND"
    assert await _roles(BRANCH) == {"13800000003": MemberRole.ADMIN, "13800000004": MemberRole.MEMBER}


async def test_staff_cannot_appoint_or_demote_admins(demo: Api) -> None:
    await _join(demo, "13800000006", "莲花北社区", MemberRole.STAFF)
    branch = await org_id(BRANCH)
    appoint = await demo.ok(ADD_MEMBER, {"input": {"orgId": branch, "phone": "13800000004", "role": "ADMIN"}},
                            as_="13800000006")
    assert appoint == {"addMember": {"membership": None, "errors": [
        {"field": ["role"], "code": "INVALID", "message": "只有管理员可以任免管理员"}]}}
    demote = await demo.ok(ADD_MEMBER, {"input": {"orgId": branch, "phone": "13800000003", "role": "MEMBER"}},
                           as_="13800000006")
    assert demote["addMember"]["errors"] == [
        {"field": ["role"], "code": "INVALID", "message": "只有管理员可以任免管理员"}]
    # Staff may still appoint staff and members.
    staff = await demo.ok(ADD_MEMBER, {"input": {"orgId": branch, "phone": "13800000004", "role": "STAFF"}},
                          as_="13800000006")
    assert staff["addMember"]["errors"] == []
    assert await _roles(BRANCH) == {"13800000003": MemberRole.ADMIN, "13800000004": MemberRole.STAFF}


async def test_add_member_outside_the_subtree_is_forbidden(demo: Api) -> None:
    for viewer, org_name in (("13800000002", "巡司顶社区"), ("13800000003", "莲花北社区"), ("13800000004", BRANCH),
                             ("13800000005", "嘉莲街道")):
        body = await demo(ADD_MEMBER, {"input": {"orgId": await org_id(org_name), "phone": "13800000006"}},
                          as_=viewer)
        assert body["data"] is None, (viewer, org_name)
        assert body["errors"][0]["extensions"] == {"code": "FORBIDDEN"}
        assert body["errors"][0]["path"] == ["addMember"]
    anonymous = await demo(ADD_MEMBER, {"input": {"orgId": await org_id(BRANCH), "phone": "13800000006"}})
    assert anonymous["errors"][0]["extensions"] == {"code": "UNAUTHENTICATED"}
    assert await Membership.filter(user_id=demo.users["13800000006"]).count() == 0


async def test_last_admin_of_a_partner_unit_cannot_step_down(demo: Api) -> None:
    unit = await org_id(PARTNER)
    body = await demo.ok(ADD_MEMBER, {"input": {"orgId": unit, "phone": "13800000005", "role": "MEMBER"}},
                         as_="13800000005")
    assert body["addMember"] == {"membership": None, "errors": [
        {"field": ["role"], "code": "INVALID_STATE", "message": "不能移除最后一位管理员"}]}
    assert await _roles(PARTNER) == {"13800000005": MemberRole.ADMIN}


# --- removeMember ----------------------------------------------------------------------------------------------


async def test_manager_removes_member(demo: Api) -> None:
    body = await demo.ok(REMOVE_MEMBER, {"input": {"orgId": await org_id(BRANCH),
                                                   "userId": await _user_id(demo, "13800000004")}}, as_="13800000002")
    assert body == {"removeMember": {"membership": {"role": "MEMBER", "org": {"name": BRANCH},
                                                    "user": {"displayName": "陈党员"}}, "errors": []}}
    assert await _roles(BRANCH) == {"13800000003": MemberRole.ADMIN}


async def test_member_may_leave(demo: Api) -> None:
    body = await demo.ok(REMOVE_MEMBER, {"input": {"orgId": await org_id(BRANCH),
                                                   "userId": await _user_id(demo, "13800000004")}}, as_="13800000004")
    assert body["removeMember"]["errors"] == []
    assert await Membership.filter(user_id=demo.users["13800000004"]).count() == 0


async def test_remove_member_not_found(demo: Api) -> None:
    branch = await org_id(BRANCH)
    for user_id in (await _user_id(demo, "13800000006"), gid("User", 9999), gid("User", 2**40), "garbage", branch):
        body = await demo.ok(REMOVE_MEMBER, {"input": {"orgId": branch, "userId": user_id}}, as_="13800000003")
        assert body == {"removeMember": {"membership": None, "errors": [
            {"field": ["userId"], "code": "NOT_FOUND", "message": "该用户不是此组织成员"}]}}, user_id
    no_org = await demo.ok(REMOVE_MEMBER, {"input": {"orgId": "garbage",
                                                     "userId": await _user_id(demo, "13800000004")}},
                           as_="13800000003")
    assert no_org["removeMember"]["errors"] == [{"field": ["orgId"], "code": "NOT_FOUND", "message": "找不到该对象"}]


async def test_remove_member_needs_a_manager(demo: Api) -> None:
    branch = await org_id(BRANCH)
    for viewer in ("13800000004", "13800000006", "13800000005"):
        body = await demo(REMOVE_MEMBER, {"input": {"orgId": branch, "userId": await _user_id(demo, "13800000003")}},
                          as_=viewer)
        assert body["data"] is None
        assert body["errors"][0]["extensions"] == {"code": "FORBIDDEN"}
    anonymous = await demo(REMOVE_MEMBER, {"input": {"orgId": branch,
                                                     "userId": await _user_id(demo, "13800000004")}})
    assert anonymous["errors"][0]["extensions"] == {"code": "UNAUTHENTICATED"}
    # Staff manage members but not admins.
    await _join(demo, "13800000006", BRANCH, MemberRole.STAFF)
    admin = await demo.ok(REMOVE_MEMBER, {"input": {"orgId": branch, "userId": await _user_id(demo, "13800000003")}},
                          as_="13800000006")
    assert admin["removeMember"]["errors"] == [
        {"field": ["userId"], "code": "INVALID", "message": "只有管理员可以任免管理员"}]
    assert await _roles(BRANCH) == {"13800000003": MemberRole.ADMIN, "13800000004": MemberRole.MEMBER,
                                    "13800000006": MemberRole.STAFF}


async def test_last_admin_of_a_partner_unit_cannot_be_removed(demo: Api) -> None:
    unit = await org_id(PARTNER)
    me = await _user_id(demo, "13800000005")
    body = await demo.ok(REMOVE_MEMBER, {"input": {"orgId": unit, "userId": me}}, as_="13800000005")
    assert body == {"removeMember": {"membership": None, "errors": [
        {"field": ["userId"], "code": "INVALID_STATE", "message": "不能移除最后一位管理员"}]}}
    en = await demo.ok(REMOVE_MEMBER, {"input": {"orgId": unit, "userId": me}}, as_="13800000005", lang="en")
    assert en["removeMember"]["errors"][0]["message"] == "The last administrator cannot be removed"
    assert await _roles(PARTNER) == {"13800000005": MemberRole.ADMIN}
    # With a second admin appointed, the first may leave.
    second = await demo.ok(ADD_MEMBER, {"input": {"orgId": unit, "phone": "13800000006", "role": "ADMIN"}},
                           as_="13800000005")
    assert second["addMember"]["errors"] == []
    left = await demo.ok(REMOVE_MEMBER, {"input": {"orgId": unit, "userId": me}}, as_="13800000005")
    assert left["removeMember"]["errors"] == []
    assert await _roles(PARTNER) == {"13800000006": MemberRole.ADMIN}
