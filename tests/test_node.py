"""`node` and `nodes`: public orgs and compounds, people only for those allowed to see them, and null (never an
error) for unknown, malformed and invisible ids alike."""

from __future__ import annotations

import base64

import pytest

from models.compound import Compound as CompoundRow
from models.enums import MemberRole
from models.org import Org as OrgRow
from models.user import Membership
from tests.conftest import Api, count_sql, gid, org_id

NODE = """
query($id: ID!) {
  node(id: $id) {
    __typename id
    ... on Org { name kind }
    ... on Compound { name households community { name } branch { name } }
    ... on User { displayName }
  }
}"""

NODES = """
query($ids: [ID!]!) {
  nodes(ids: $ids) {
    __typename id
    ... on Org { name }
    ... on Compound { name }
    ... on User { displayName }
  }
}"""


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


async def _user_gid(demo: Api, phone: str) -> str:
    return gid("User", demo.users[phone])


async def _join(demo: Api, phone: str, org_name: str, role: MemberRole) -> None:
    await Membership.create(user_id=demo.users[phone], org=await OrgRow.get(name=org_name), role=role)


async def test_org_and_compound_are_public(demo: Api) -> None:
    branch = await org_id("观远里小区党支部")
    compound = gid("Compound", (await CompoundRow.get(name="观远里小区")).id)
    assert await demo.ok(NODE, {"id": branch}) == {"node": {
        "__typename": "Org", "id": branch, "name": "观远里小区党支部", "kind": "COMPOUND_BRANCH"}}
    assert await demo.ok(NODE, {"id": compound}) == {"node": {
        "__typename": "Compound", "id": compound, "name": "观远里小区", "households": 412,
        "community": {"name": "莲花北社区"}, "branch": {"name": "观远里小区党支部"}}}
    # Logged-in users see the same.
    assert (await demo.ok(NODE, {"id": branch}, as_="13800000006"))["node"]["name"] == "观远里小区党支部"


async def test_org_id_is_the_one_the_directory_shows(demo: Api) -> None:
    listed = await demo.ok('{ orgs(filter: {search: "莲花北"}) { nodes { id name } } }')
    [org] = listed["orgs"]["nodes"]
    assert await demo.ok("query($id: ID!) { node(id: $id) { id ... on Org { name } } }", {"id": org["id"]}) == {
        "node": org}


# Who sees the party member 13800000004 (MEMBER of 观远里小区党支部 under 莲花北社区 under 嘉莲街道 under 思明区).
@pytest.mark.parametrize(("viewer", "visible"), [
    ("13800000004", True),   # themself
    ("13800000003", True),   # ADMIN of their branch (and a fellow member)
    ("13800000002", True),   # ADMIN of the community above
    ("13800000001", True),   # ADMIN of the street above
    ("13800000000", True),   # ADMIN of the district
    ("13800000005", False),  # ADMIN of a partner unit paired with the street: pairing grants nothing
    ("13800000006", False),  # a resident without memberships
    (None, False),           # anonymous
])
async def test_user_node_visibility(demo: Api, viewer: str | None, visible: bool) -> None:
    member = await _user_gid(demo, "13800000004")
    data = await demo.ok(NODE, {"id": member}, as_=viewer)
    expected = {"__typename": "User", "id": member, "displayName": "陈党员"} if visible else None
    assert data == {"node": expected}


async def test_fellow_member_sees_user(demo: Api) -> None:
    member = await _user_gid(demo, "13800000004")
    assert (await demo.ok(NODE, {"id": member}, as_="13800000006"))["node"] is None
    await _join(demo, "13800000006", "观远里小区党支部", MemberRole.MEMBER)
    assert (await demo.ok(NODE, {"id": member}, as_="13800000006"))["node"]["displayName"] == "陈党员"
    # ...and the other way round.
    resident = await _user_gid(demo, "13800000006")
    assert (await demo.ok(NODE, {"id": resident}, as_="13800000004"))["node"]["displayName"] == "林居民"


@pytest.mark.parametrize("org_name", ["观远里小区党支部", "莲花北社区", "嘉莲街道"])
async def test_staff_of_the_org_or_an_ancestor_sees_user(demo: Api, org_name: str) -> None:
    await _join(demo, "13800000006", org_name, MemberRole.STAFF)
    data = await demo.ok(NODE, {"id": await _user_gid(demo, "13800000004")}, as_="13800000006")
    assert data["node"]["displayName"] == "陈党员"


@pytest.mark.parametrize("org_name", ["莲花北社区", "厦港街道", "巡司顶社区"])
async def test_plain_member_elsewhere_does_not_see_user(demo: Api, org_name: str) -> None:
    """A MEMBER of an ancestor, or anybody in a sibling subtree, does not see the branch's members."""
    await _join(demo, "13800000006", org_name, MemberRole.MEMBER if org_name == "莲花北社区" else MemberRole.ADMIN)
    data = await demo.ok(NODE, {"id": await _user_gid(demo, "13800000004")}, as_="13800000006")
    assert data == {"node": None}


async def test_visibility_does_not_flow_upwards(demo: Api) -> None:
    """The branch admin does not manage the community, so its admin is not visible to them."""
    data = await demo.ok(NODE, {"id": await _user_gid(demo, "13800000002")}, as_="13800000003")
    assert data == {"node": None}
    # The community admin sees the branch admin below.
    data = await demo.ok(NODE, {"id": await _user_gid(demo, "13800000003")}, as_="13800000002")
    assert data["node"]["displayName"] == "观远里支部书记"


UNKNOWN_OR_MALFORMED = [
    gid("Org", 99999), gid("Compound", 99999), gid("User", 99999),
    "garbage", "", "====", "Nope:1", "Org:1", b64("Org:abc"), b64("Org:"), b64("Org:0"), b64("Org:-1"),
    b64("Org:1.5"), b64("Nope:1"), b64(":1"), b64("User"), b64("Org:2147483648"),
    b64("Org:99999999999999999999999"), base64.b64encode(b"\xff\xfe:1").decode(), "T3JnOjE", "Org:1 ",
]


@pytest.mark.parametrize("global_id", UNKNOWN_OR_MALFORMED)
async def test_unknown_and_malformed_ids_are_null(demo: Api, global_id: str) -> None:
    assert await demo(NODE, {"id": global_id}, as_="13800000000") == {"data": {"node": None}}


async def test_nodes_is_aligned_with_the_input(demo: Api) -> None:
    street, branch = await org_id("嘉莲街道"), await org_id("观远里小区党支部")
    compound = gid("Compound", (await CompoundRow.get(name="海龙小区")).id)
    member, community_admin = await _user_gid(demo, "13800000004"), await _user_gid(demo, "13800000002")
    ids = [street, "garbage", compound, member, gid("Org", 99999), community_admin, b64("Nope:1"), street]
    data = await demo.ok(NODES, {"ids": ids}, as_="13800000003")
    assert data == {"nodes": [
        {"__typename": "Org", "id": street, "name": "嘉莲街道"},
        None,
        {"__typename": "Compound", "id": compound, "name": "海龙小区"},
        {"__typename": "User", "id": member, "displayName": "陈党员"},
        None,
        None,  # the community admin is above the branch admin: invisible, same answer as unknown
        None,
        {"__typename": "Org", "id": street, "name": "嘉莲街道"},
    ]}
    anonymous = await demo.ok(NODES, {"ids": [member, branch]})
    assert anonymous == {"nodes": [None, {"__typename": "Org", "id": branch, "name": "观远里小区党支部"}]}
    assert await demo.ok(NODES, {"ids": []}) == {"nodes": []}


async def test_nodes_accepts_100_ids_and_refuses_more(demo: Api) -> None:
    street = await org_id("嘉莲街道")
    full = await demo.ok(NODES, {"ids": [street] * 100})
    assert len(full["nodes"]) == 100 and all(n == full["nodes"][0] for n in full["nodes"])
    too_many = await demo(NODES, {"ids": [street] * 101})
    assert too_many == {"data": None, "errors": [{
        "message": "一次最多查询 100 个 ID", "locations": [{"line": 3, "column": 3}], "path": ["nodes"],
        "extensions": {"code": "INVALID", "field": ["ids"]}}]}
    en = await demo(NODES, {"ids": [street] * 101}, lang="en")
    assert en["errors"][0]["message"] == "At most 100 ids at once"


async def test_nodes_are_batched(demo: Api) -> None:
    """15 orgs, 3 compounds and 7 people cost the same statements as one of each: the visibility checks of
    all the people share one query for the viewer's roles, one for their memberships and one for ancestors."""
    orgs = [gid("Org", o.id) for o in await OrgRow.all()]
    compounds = [gid("Compound", c.id) for c in await CompoundRow.all()]
    others = [gid("User", uid) for phone, uid in demo.users.items() if phone != "13800000000"]
    with count_sql() as few:
        small = await demo.ok(NODES, {"ids": [orgs[0], compounds[0], others[0]]}, as_="13800000000")
    with count_sql() as many:
        large = await demo.ok(NODES, {"ids": orgs + compounds + others}, as_="13800000000")
    assert all(small["nodes"]) and len(large["nodes"]) == len(orgs) + len(compounds) + len(others)
    # The district admin sees everyone with a membership below the district; nobody else.
    visible_users = [n for n in large["nodes"] if n and n["__typename"] == "User"]
    assert {n["displayName"] for n in visible_users} == {"嘉莲街道管理员", "莲花北社区书记", "观远里支部书记", "陈党员",
                                                          "观远里物业管家"}
    assert many.count == few.count, (few.statements, many.statements)
    assert many.count == 6, many.statements  # roles, orgs, compounds, memberships, ancestors, users
