"""People: the viewer, member lists with masked phones, and appointing and removing members."""

from __future__ import annotations

import base64
from datetime import datetime

import pytest

from models.enums import MemberRole
from models.org import Org as OrgRow
from models.user import Membership
from models.user import User as UserRow
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


# --- commissioners -------------------------------------------------------------------------------------------
# Service commissioners (近邻服务专员) are sent to a partner unit by the government side: managers of an org the
# unit is paired with (捷安 is paired with 嘉莲街道 and 巡司顶社区), or of an org above it, and the unit's own
# managers. 鹭江派出所 is paired with 鹭江街道 only.

COMMISSIONERS = """
query($id: ID!) {
  org(id: $id) { name viewerRole commissioners { role org { name } user { displayName phone } } }
}"""

STREET = "嘉莲街道"
POLICE = "鹭江派出所"
COMMISSIONER_A = "13900000021"   # no other role anywhere
COMMISSIONER_B = "13900000022"   # also STAFF of 嘉莲街道, the street that sends them


async def _person(demo: Api, phone: str, name: str, *roles: tuple[str, MemberRole]) -> None:
    """A new account (no password), optionally with direct roles."""
    user = await UserRow.create(phone=phone, display_name=name, password_hash="-")
    demo.users[phone] = user.id
    for org_name, role in roles:
        await _join(demo, phone, org_name, role)


async def _assign(demo: Api, phone: str, *, unit: str = PARTNER, as_: str = "13800000001",
                  lang: str | None = None) -> dict:
    """addMember(role: COMMISSIONER)'s whole response body."""
    return await demo(ADD_MEMBER, {"input": {"orgId": await org_id(unit), "phone": phone, "role": "COMMISSIONER"}},
                      as_=as_, lang=lang)


async def _recall(demo: Api, phone: str, *, unit: str = PARTNER, as_: str = "13800000001") -> dict:
    """removeMember's whole response body."""
    return await demo(REMOVE_MEMBER, {"input": {"orgId": await org_id(unit), "userId": await _user_id(demo, phone)}},
                      as_=as_)


async def test_paired_street_assigns_a_commissioner(demo: Api) -> None:
    await _person(demo, COMMISSIONER_A, "专员甲")
    body = await _assign(demo, COMMISSIONER_A)
    # The street sent the commissioner: it sees the number it typed, to call them.
    assert body == {"data": {"addMember": {"membership": {
        "role": "COMMISSIONER", "org": {"name": PARTNER}, "user": {"displayName": "专员甲", "phone": COMMISSIONER_A}},
        "errors": []}}}
    assert await _roles(PARTNER) == {"13800000005": MemberRole.ADMIN, COMMISSIONER_A: MemberRole.COMMISSIONER}
    # Assigning the same person again changes nothing (no second row).
    again = await _assign(demo, COMMISSIONER_A)
    assert again["data"]["addMember"]["errors"] == []
    assert await Membership.filter(user_id=demo.users[COMMISSIONER_A]).count() == 1
    # At the unit the commissioner's role is COMMISSIONER; the street's admin has none there.
    own = await demo.ok(COMMISSIONERS, {"id": await org_id(PARTNER)}, as_=COMMISSIONER_A)
    assert own == {"org": {"name": PARTNER, "viewerRole": "COMMISSIONER", "commissioners": [
        {"role": "COMMISSIONER", "org": {"name": PARTNER}, "user": {"displayName": "专员甲",
                                                                     "phone": COMMISSIONER_A}}]}}
    street = await demo.ok("query($id: ID!) { org(id: $id) { viewerRole } }", {"id": await org_id(PARTNER)},
                           as_="13800000001")
    assert street == {"org": {"viewerRole": None}}


@pytest.mark.parametrize(("viewer", "role"), [
    ("13800000001", None),                                # ADMIN of 嘉莲街道 (paired)
    ("13800000000", None),                                # ADMIN of 思明区 (above both paired orgs)
    ("13800000005", None),                                # ADMIN of the unit itself
    ("13900000031", ("巡司顶社区", MemberRole.STAFF)),     # STAFF of the paired community
    ("13900000031", ("厦港街道", MemberRole.ADMIN)),       # ADMIN of the street above the paired community
    ("13900000031", (PARTNER, MemberRole.STAFF)),         # STAFF of the unit
])
async def test_who_may_assign_a_commissioner(demo: Api, viewer: str, role: tuple[str, MemberRole] | None) -> None:
    if role is not None:
        await _person(demo, viewer, "任命人", role)
    await _person(demo, COMMISSIONER_A, "专员甲")
    body = await _assign(demo, COMMISSIONER_A, as_=viewer)
    assert body["data"]["addMember"]["errors"] == [], body
    assert body["data"]["addMember"]["membership"]["role"] == "COMMISSIONER"
    assert (await _roles(PARTNER))[COMMISSIONER_A] is MemberRole.COMMISSIONER


@pytest.mark.parametrize(("viewer", "role", "unit"), [
    ("13800000002", None, PARTNER),                        # ADMIN of 莲花北社区: below the paired street, not above
    ("13800000003", None, PARTNER),                        # ADMIN of a branch below the paired street
    ("13800000004", None, PARTNER),                        # a party member
    ("13800000006", None, PARTNER),                        # a resident without any role
    ("13800000001", None, POLICE),                         # ADMIN of a street the police station is not paired with
    ("13800000005", None, POLICE),                         # ADMIN of another partner unit
    ("13900000031", ("鹭江街道", MemberRole.STAFF), PARTNER),  # STAFF of the police station's street, not 捷安's
    ("13900000031", ("巡司顶社区", MemberRole.MEMBER), PARTNER),  # a plain MEMBER of the paired community
    ("13900000031", (PARTNER, MemberRole.MEMBER), PARTNER),     # a plain MEMBER of the unit
    ("13900000031", (PARTNER, MemberRole.COMMISSIONER), PARTNER),  # a commissioner does not appoint others
])
async def test_unrelated_viewers_may_not_assign_commissioners(demo: Api, viewer: str,
                                                               role: tuple[str, MemberRole] | None,
                                                               unit: str) -> None:
    if role is not None:
        await _person(demo, viewer, "旁人", role)
    await _person(demo, COMMISSIONER_A, "专员甲")
    before = await _roles(unit)
    body = await _assign(demo, COMMISSIONER_A, unit=unit, as_=viewer)
    assert body["data"] is None
    assert [(e["path"], e["message"], e["extensions"]) for e in body["errors"]] == [
        (["addMember"], "无权进行此操作", {"code": "FORBIDDEN"})]
    assert await _roles(unit) == before
    assert await Membership.filter(user_id=demo.users[COMMISSIONER_A]).count() == 0


async def test_assigning_a_commissioner_needs_login(demo: Api) -> None:
    await _person(demo, COMMISSIONER_A, "专员甲")
    body = await demo(ADD_MEMBER, {"input": {"orgId": await org_id(PARTNER), "phone": COMMISSIONER_A,
                                             "role": "COMMISSIONER"}})
    assert body == {"data": None, "errors": [{"message": "请先登录", "locations": [{"line": 3, "column": 3}],
                                              "path": ["addMember"], "extensions": {"code": "UNAUTHENTICATED"}}]}
    assert await Membership.filter(user_id=demo.users[COMMISSIONER_A]).count() == 0


async def test_paired_side_sends_only_commissioners(demo: Api) -> None:
    """The street may not appoint the unit's members, staff or admins, nor touch the unit's own people."""
    await _person(demo, COMMISSIONER_A, "专员甲")
    await _person(demo, "13900000032", "捷安职工", (PARTNER, MemberRole.MEMBER))
    unit = await org_id(PARTNER)
    before = await _roles(PARTNER)
    for role in ("ADMIN", "STAFF", "MEMBER"):
        body = await demo(ADD_MEMBER, {"input": {"orgId": unit, "phone": COMMISSIONER_A, "role": role}},
                          as_="13800000001")
        assert body["data"] is None, role
        assert body["errors"][0]["extensions"] == {"code": "FORBIDDEN"}, role
    # Making the unit's admin or one of its members a commissioner would change the unit's own people.
    admin = await _assign(demo, "13800000005")
    assert admin == {"data": {"addMember": {"membership": None, "errors": [
        {"field": ["phone"], "code": "DUPLICATE", "message": "该用户已是此组织成员（管理员）"}]}}}
    member = await _assign(demo, "13900000032", lang="en")
    assert member == {"data": {"addMember": {"membership": None, "errors": [
        {"field": ["phone"], "code": "DUPLICATE",
         "message": "This person already belongs to the organisation (MEMBER)"}]}}}
    assert await _roles(PARTNER) == before
    # The district admin (above the paired street) is the paired side too: the same answer.
    district = await _assign(demo, "13900000032", as_="13800000000")
    assert district["data"]["addMember"]["errors"][0]["code"] == "DUPLICATE"
    # Once a commissioner, the paired side may not promote them either.
    assert (await _assign(demo, COMMISSIONER_A))["data"]["addMember"]["errors"] == []
    promote = await demo(ADD_MEMBER, {"input": {"orgId": unit, "phone": COMMISSIONER_A, "role": "STAFF"}},
                         as_="13800000001")
    assert promote["errors"][0]["extensions"] == {"code": "FORBIDDEN"}
    assert await _roles(PARTNER) == {**before, COMMISSIONER_A: MemberRole.COMMISSIONER}


async def test_unit_managers_turn_their_own_people_into_commissioners_and_back(demo: Api) -> None:
    await _person(demo, "13900000032", "捷安职工", (PARTNER, MemberRole.MEMBER))
    turned = await _assign(demo, "13900000032", as_="13800000005")
    assert turned["data"]["addMember"] == {"membership": {
        "role": "COMMISSIONER", "org": {"name": PARTNER}, "user": {"displayName": "捷安职工", "phone": "13900000032"}},
        "errors": []}
    back = await demo.ok(ADD_MEMBER, {"input": {"orgId": await org_id(PARTNER), "phone": "13900000032",
                                                "role": "STAFF"}}, as_="13800000005")
    assert back["addMember"]["errors"] == []
    assert await _roles(PARTNER) == {"13800000005": MemberRole.ADMIN, "13900000032": MemberRole.STAFF}
    # The unit's last admin cannot become its commissioner.
    last = await _assign(demo, "13800000005", as_="13800000005")
    assert last["data"]["addMember"]["errors"] == [
        {"field": ["role"], "code": "INVALID_STATE", "message": "不能移除最后一位管理员"}]


@pytest.mark.parametrize(("viewer", "org_name"), [
    ("13800000001", STREET), ("13800000002", "莲花北社区"), ("13800000003", BRANCH),
    ("13800000003", "观远里厝边帮帮团"), ("13800000000", "思明区"),
])
async def test_commissioners_go_only_to_partner_units(demo: Api, viewer: str, org_name: str) -> None:
    await _person(demo, COMMISSIONER_A, "专员甲")
    before = await _roles(org_name)
    zh = await _assign(demo, COMMISSIONER_A, unit=org_name, as_=viewer)
    assert zh == {"data": {"addMember": {"membership": None, "errors": [
        {"field": ["role"], "code": "INVALID", "message": "近邻服务专员只能派驻到共建单位"}]}}}
    en = await _assign(demo, COMMISSIONER_A, unit=org_name, as_=viewer, lang="en")
    assert en["data"]["addMember"]["errors"] == [
        {"field": ["role"], "code": "INVALID", "message": "Service commissioners are assigned to partner units"}]
    # Reported together with a bad phone, the phone first.
    both = await _assign(demo, "12345", unit=org_name, as_=viewer)
    assert [(e["field"], e["code"]) for e in both["data"]["addMember"]["errors"]] == [
        (["phone"], "INVALID"), (["role"], "INVALID")]
    assert await _roles(org_name) == before


async def test_commissioner_role_elsewhere_is_forbidden_before_invalid(demo: Api) -> None:
    """Who may not manage an org learns nothing about the org from the role check."""
    await _person(demo, COMMISSIONER_A, "专员甲")
    body = await _assign(demo, COMMISSIONER_A, unit="巡司顶社区", as_="13800000002")
    assert body["data"] is None
    assert body["errors"][0]["extensions"] == {"code": "FORBIDDEN"}


async def test_paired_side_recalls_a_commissioner(demo: Api) -> None:
    await _person(demo, COMMISSIONER_A, "专员甲")
    assert (await _assign(demo, COMMISSIONER_A))["data"]["addMember"]["errors"] == []
    body = await _recall(demo, COMMISSIONER_A)
    assert body == {"data": {"removeMember": {"membership": {
        "role": "COMMISSIONER", "org": {"name": PARTNER}, "user": {"displayName": "专员甲"}}, "errors": []}}}
    assert await _roles(PARTNER) == {"13800000005": MemberRole.ADMIN}
    # Recalled twice: nothing left to recall, and the street may not ask about anyone else.
    twice = await _recall(demo, COMMISSIONER_A)
    assert twice["errors"][0]["extensions"] == {"code": "FORBIDDEN"}


@pytest.mark.parametrize("viewer", ["13800000001", "13800000000", "13800000005", COMMISSIONER_A])
async def test_who_may_recall_a_commissioner(demo: Api, viewer: str) -> None:
    """The paired street, the district above it, the unit's admin, and the commissioner stepping down."""
    await _person(demo, COMMISSIONER_A, "专员甲")
    assert (await _assign(demo, COMMISSIONER_A))["data"]["addMember"]["errors"] == []
    body = await _recall(demo, COMMISSIONER_A, as_=viewer)
    assert body["data"]["removeMember"]["errors"] == [], body
    assert COMMISSIONER_A not in await _roles(PARTNER)


async def test_paired_side_may_not_remove_the_units_own_people(demo: Api) -> None:
    await _person(demo, COMMISSIONER_A, "专员甲")
    await _person(demo, "13900000032", "捷安职工", (PARTNER, MemberRole.MEMBER))
    await _person(demo, "13900000033", "捷安干事", (PARTNER, MemberRole.STAFF))
    assert (await _assign(demo, COMMISSIONER_A))["data"]["addMember"]["errors"] == []
    before = await _roles(PARTNER)
    for viewer in ("13800000001", "13800000000"):
        for phone in ("13800000005", "13900000032", "13900000033", "13800000006"):  # the last one is no member
            body = await _recall(demo, phone, as_=viewer)
            assert body["data"] is None, (viewer, phone)
            assert [(e["path"], e["extensions"]) for e in body["errors"]] == [
                (["removeMember"], {"code": "FORBIDDEN"})], (viewer, phone)
    assert await _roles(PARTNER) == before


async def test_unrelated_viewers_may_not_recall_a_commissioner(demo: Api) -> None:
    await _person(demo, COMMISSIONER_A, "专员甲")
    await _person(demo, "13900000031", "鹭江街道干事", ("鹭江街道", MemberRole.STAFF))
    await _person(demo, "13900000032", "专员乙")
    for phone in (COMMISSIONER_A, "13900000032"):
        assert (await _assign(demo, phone))["data"]["addMember"]["errors"] == []
    # The community below the street, the street of another unit, a branch admin, and a fellow commissioner.
    for viewer in ("13800000002", "13900000031", "13800000003", "13900000032"):
        body = await _recall(demo, COMMISSIONER_A, as_=viewer)
        assert body["data"] is None, viewer
        assert body["errors"][0]["extensions"] == {"code": "FORBIDDEN"}, viewer
    anonymous = await demo(REMOVE_MEMBER, {"input": {"orgId": await org_id(PARTNER),
                                                     "userId": await _user_id(demo, COMMISSIONER_A)}})
    assert anonymous["errors"][0]["extensions"] == {"code": "UNAUTHENTICATED"}
    assert anonymous["data"] is None
    assert (await _roles(PARTNER))[COMMISSIONER_A] is MemberRole.COMMISSIONER


async def test_unpairing_ends_the_right_to_recall_but_not_the_commissioner(demo: Api) -> None:
    """The paired side is whoever is paired now: after unpairing the street, the commissioner stays and only the
    unit (or the other paired side) may remove them."""
    await _person(demo, COMMISSIONER_A, "专员甲")
    assert (await _assign(demo, COMMISSIONER_A))["data"]["addMember"]["errors"] == []
    unpaired = await demo.ok("""mutation($i: UnpairPartnerInput!) { unpairPartner(input: $i) { errors { code } } }""",
                             {"i": {"partnerUnitId": await org_id(PARTNER), "orgId": await org_id(STREET)}},
                             as_="13800000001")
    assert unpaired["unpairPartner"]["errors"] == []
    denied = await _recall(demo, COMMISSIONER_A)
    assert denied["errors"][0]["extensions"] == {"code": "FORBIDDEN"}
    assert (await _assign(demo, "13800000006"))["errors"][0]["extensions"] == {"code": "FORBIDDEN"}
    # 巡司顶社区 is still paired: the district above it still counts as the paired side.
    assert (await _recall(demo, COMMISSIONER_A, as_="13800000000"))["data"]["removeMember"]["errors"] == []
    assert await _roles(PARTNER) == {"13800000005": MemberRole.ADMIN}


async def _two_commissioners(demo: Api) -> None:
    """专员甲 (no other role) and 专员乙 (STAFF of 嘉莲街道), both sent to 捷安 by the street, in that order."""
    await _person(demo, COMMISSIONER_A, "专员甲")
    await _person(demo, COMMISSIONER_B, "专员乙", (STREET, MemberRole.STAFF))
    for phone in (COMMISSIONER_A, COMMISSIONER_B):
        assert (await _assign(demo, phone))["data"]["addMember"]["errors"] == []


@pytest.mark.parametrize(("viewer", "phone_a", "phone_b"), [
    (COMMISSIONER_A, COMMISSIONER_A, "139****0022"),       # each commissioner sees their own number
    (COMMISSIONER_B, COMMISSIONER_A, COMMISSIONER_B),      # 乙 is also STAFF of the street that sent them both
    ("13800000005", COMMISSIONER_A, COMMISSIONER_B),       # the unit's admin, who needs to call them
    ("13800000001", COMMISSIONER_A, COMMISSIONER_B),       # the street paired with the unit sent them
    ("13800000000", COMMISSIONER_A, COMMISSIONER_B),       # the district: above that street
    ("13800000002", "139****0021", "139****0022"),         # a community below the street manages neither
    ("13800000004", "139****0021", "139****0022"),         # a party member
    ("13800000006", "139****0021", "139****0022"),         # a resident without any role
])
async def test_commissioners_list_masks_phones(demo: Api, viewer: str, phone_a: str, phone_b: str) -> None:
    await _two_commissioners(demo)
    data = await demo.ok(COMMISSIONERS, {"id": await org_id(PARTNER)}, as_=viewer)
    assert data["org"]["commissioners"] == [
        {"role": "COMMISSIONER", "org": {"name": PARTNER}, "user": {"displayName": "专员甲", "phone": phone_a}},
        {"role": "COMMISSIONER", "org": {"name": PARTNER}, "user": {"displayName": "专员乙", "phone": phone_b}},
    ]
    # 乙 is STAFF of the street, yet at the unit their role is COMMISSIONER (nothing is inherited into a unit).
    expected_role = {COMMISSIONER_A: "COMMISSIONER", COMMISSIONER_B: "COMMISSIONER", "13800000005": "ADMIN"}
    assert data["org"]["viewerRole"] == expected_role.get(viewer)


async def test_commissioners_need_login(demo: Api) -> None:
    await _two_commissioners(demo)
    body = await demo(COMMISSIONERS, {"id": await org_id(PARTNER)})
    assert body == {"data": {"org": None}, "errors": [{
        "message": "请先登录", "locations": [{"line": 3, "column": 34}], "path": ["org", "commissioners"],
        "extensions": {"code": "UNAUTHENTICATED"}}]}
    en = await demo(COMMISSIONERS, {"id": await org_id(PARTNER)}, lang="en")
    assert en["errors"][0]["message"] == "You need to log in"


async def test_commissioners_of_other_orgs_and_after_recall(demo: Api) -> None:
    await _two_commissioners(demo)
    for name in (POLICE, STREET, BRANCH):
        data = await demo.ok(COMMISSIONERS, {"id": await org_id(name)}, as_="13800000004")
        assert data["org"]["commissioners"] == [], name
    # Only commissioners are listed, not the unit's admin or members.
    await _join(demo, "13800000006", PARTNER, MemberRole.MEMBER)
    assert (await _recall(demo, COMMISSIONER_A))["data"]["removeMember"]["errors"] == []
    data = await demo.ok(COMMISSIONERS, {"id": await org_id(PARTNER)}, as_="13800000005")
    assert data["org"]["commissioners"] == [
        {"role": "COMMISSIONER", "org": {"name": PARTNER}, "user": {"displayName": "专员乙", "phone": COMMISSIONER_B}}]
    members = await demo.ok(MEMBERS, {"id": await org_id(PARTNER), "role": "COMMISSIONER"}, as_=COMMISSIONER_B)
    assert members["org"]["members"]["totalCount"] == 1


async def test_partner_unit_admins_do_not_recall_commissioners_of_a_street(demo: Api) -> None:
    """Pairing links both ways, but only a partner unit's commissioners are recalled by its paired side: the unit
    (paired with 嘉莲街道) must not remove a COMMISSIONER membership held at the street itself (rows from before
    commissioners were tied to units)."""
    await _person(demo, COMMISSIONER_A, "街道专员", (STREET, MemberRole.COMMISSIONER))
    body = await _recall(demo, COMMISSIONER_A, unit=STREET, as_="13800000005")
    assert body["data"] is None
    assert body["errors"][0]["extensions"] == {"code": "FORBIDDEN"}
    assert (await _roles(STREET))[COMMISSIONER_A] is MemberRole.COMMISSIONER
    # The street's own admin still may.
    assert (await _recall(demo, COMMISSIONER_A, unit=STREET))["data"]["removeMember"]["errors"] == []
