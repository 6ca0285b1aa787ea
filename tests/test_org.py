"""Organisations: the public directory, hierarchy rules, subtree authorisation, stats, pagination, SQL counts."""

from __future__ import annotations

import pytest

from models.org import Org as OrgRow
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
    assert page1["totalCount"] == 14 and page1["pageInfo"]["hasNextPage"] is True
    names1 = [e["node"]["name"] for e in page1["edges"]]
    # Rows inserted meanwhile do not shift the next page.
    await demo.ok(CREATE_ORG, {"input": {"name": "新伙伴", "kind": "PARTNER_UNIT"}}, as_="13800000006")
    page2 = (await demo.ok(ORGS_PAGE, {"first": 5, "after": page1["pageInfo"]["endCursor"]}))["orgs"]
    all_rows = (await demo.ok(ORGS_PAGE, {"first": 100}))["orgs"]
    names = [e["node"]["name"] for e in all_rows["edges"]]
    assert names1 == names[:5]
    assert [e["node"]["name"] for e in page2["edges"]] == names[5:10]
    assert all_rows["totalCount"] == 15 and all_rows["pageInfo"]["hasNextPage"] is False
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
