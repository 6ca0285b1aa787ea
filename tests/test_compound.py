"""Compounds (小区): the community's register (create/update, placement, validation, authorisation),
the public directory with its filters and pagination, and Org.compounds for branches and districts."""

from __future__ import annotations

from models.compound import Compound as CompoundRow
from models.org import Org as OrgRow
from tests.conftest import Api, gid, org_id

COMPOUND_FIELDS = """id name address households hasRedCommittee propertyManagement community { name } branch { name }"""

CREATE_COMPOUND = f"""
mutation($input: CreateCompoundInput!) {{
  createCompound(input: $input) {{ compound {{ {COMPOUND_FIELDS} }} errors {{ field code message }} }}
}}"""

UPDATE_COMPOUND = f"""
mutation($input: UpdateCompoundInput!) {{
  updateCompound(input: $input) {{ compound {{ {COMPOUND_FIELDS} }} errors {{ field code message }} }}
}}"""

DIRECTORY = """
query($filter: CompoundFilter, $first: Int, $after: String) {
  compounds(filter: $filter, first: $first, after: $after) {
    totalCount edges { cursor node { name } } pageInfo { hasNextPage endCursor } }
}"""

ORG_COMPOUNDS = """
query($id: ID!, $first: Int, $after: String) {
  org(id: $id) { compounds(first: $first, after: $after) { totalCount nodes { name branch { name } }
                                                           pageInfo { hasNextPage } } }
}"""

COVERAGE = "query($id: ID!) { org(id: $id) { stats { compoundCount coveredCompoundCount coverageRate } } }"

COLUMNS = ("id", "name", "address", "households", "community__name", "branch__name", "has_red_committee",
           "property_management")


async def table() -> list[dict]:
    """The compound table, oldest first, with org names instead of ids."""
    rows = await CompoundRow.all().order_by("id").values(*COLUMNS)
    return [{**row, "property_management": str(getattr(row["property_management"], "value",
                                                          row["property_management"]))} for row in rows]


SEEDED = [
    {"id": 1, "name": "观远里小区", "address": "厦门市思明区莲花北路观远里", "households": 412,
     "community__name": "莲花北社区", "branch__name": "观远里小区党支部", "has_red_committee": True,
     "property_management": "SELF_MANAGED"},
    {"id": 2, "name": "海龙小区", "address": "厦门市思明区巡司顶", "households": 2536,
     "community__name": "巡司顶社区", "branch__name": "海龙小区党支部", "has_red_committee": True,
     "property_management": "NONE"},
    {"id": 3, "name": "国贸金海岸小区", "address": "厦门市思明区鹭江道国贸金海岸", "households": 680,
     "community__name": "小学社区", "branch__name": "国贸金海岸小区党支部", "has_red_committee": False,
     "property_management": "COMPANY"},
]


async def create(api: Api, as_: str, **fields: object) -> dict:
    """createCompound in 莲花北社区 unless told otherwise; returns the payload."""
    fields.setdefault("communityId", await org_id("莲花北社区"))
    fields.setdefault("name", "新村")
    body = await api.ok(CREATE_COMPOUND, {"input": fields}, as_=as_)
    return body["createCompound"]


# --- createCompound -------------------------------------------------------------------------------------------------

async def test_community_admin_creates_with_and_without_branch(demo: Api) -> None:
    lianhua, branch = await org_id("莲花北社区"), await org_id("观远里小区党支部")
    plain = await create(demo, "13800000002", name="  莲花北新村  ", households=300)
    assert plain == {"compound": {
        "id": gid("Compound", 4), "name": "莲花北新村", "address": None, "households": 300,
        "hasRedCommittee": False, "propertyManagement": "COMPANY", "community": {"name": "莲花北社区"},
        "branch": None}, "errors": []}
    covered = await create(demo, "13800000002", name="观远里二期", communityId=lianhua, branchId=branch,
                           address="莲花北路 88 号", households=100_000, hasRedCommittee=True,
                           propertyManagement="NONE")
    assert covered == {"compound": {
        "id": gid("Compound", 5), "name": "观远里二期", "address": "莲花北路 88 号", "households": 100_000,
        "hasRedCommittee": True, "propertyManagement": "NONE", "community": {"name": "莲花北社区"},
        "branch": {"name": "观远里小区党支部"}}, "errors": []}
    # The street admin manages the community below it, so it may register compounds there too.
    by_street = await create(demo, "13800000001", name="空地小区", households=0, address="   ")
    assert by_street["errors"] == [] and by_street["compound"]["households"] == 0
    assert await table() == [*SEEDED,
        {"id": 4, "name": "莲花北新村", "address": None, "households": 300, "community__name": "莲花北社区",
         "branch__name": None, "has_red_committee": False, "property_management": "COMPANY"},
        {"id": 5, "name": "观远里二期", "address": "莲花北路 88 号", "households": 100_000,
         "community__name": "莲花北社区", "branch__name": "观远里小区党支部", "has_red_committee": True,
         "property_management": "NONE"},
        {"id": 6, "name": "空地小区", "address": None, "households": 0, "community__name": "莲花北社区",
         "branch__name": None, "has_red_committee": False, "property_management": "COMPANY"},
    ]
    # The new compound is public at once, by id and through node().
    fetched = await demo.ok("query($id: ID!) { compound(id: $id) { name } node(id: $id) { id } }",
                            {"id": gid("Compound", 5)})
    assert fetched == {"compound": {"name": "观远里二期"}, "node": {"id": gid("Compound", 5)}}


async def test_create_checks_placement(demo: Api) -> None:
    lianhua = await org_id("莲花北社区")
    # Only a community committee holds compounds: a branch (managed by the caller) or a street is refused.
    for community, admin in ((await org_id("观远里小区党支部"), "13800000002"),
                             (await org_id("嘉莲街道"), "13800000001"),
                             (await org_id("观远里厝边帮帮团"), "13800000002")):
        payload = await create(demo, admin, communityId=community)
        assert payload == {"compound": None, "errors": [
            {"field": ["communityId"], "code": "INVALID_PARENT", "message": "须为社区大党委"}]}
    # The branch must be a branch of that very community.
    for branch in (await org_id("海龙小区党支部"), lianhua, await org_id("观远里厝边帮帮团")):
        payload = await create(demo, "13800000002", communityId=lianhua, branchId=branch)
        assert payload == {"compound": None, "errors": [
            {"field": ["branchId"], "code": "INVALID_PARENT", "message": "该小区党支部不属于此社区"}]}
    en = await demo.ok(CREATE_COMPOUND, {"input": {"name": "x", "communityId": lianhua,
                                                   "branchId": await org_id("海龙小区党支部")}},
                       as_="13800000000", lang="en")
    assert en["createCompound"]["errors"] == [{"field": ["branchId"], "code": "INVALID_PARENT",
                                               "message": "This compound branch does not belong to the community"}]
    assert await table() == SEEDED


async def test_create_unknown_ids_are_not_found(demo: Api) -> None:
    lianhua = await org_id("莲花北社区")
    for community in (gid("Org", 9999), "garbage", gid("Compound", 1), gid("User", 1)):
        payload = await create(demo, "13800000002", communityId=community)
        assert payload == {"compound": None, "errors": [
            {"field": ["communityId"], "code": "NOT_FOUND", "message": "找不到该对象"}]}
    payload = await create(demo, "13800000002", communityId=lianhua, branchId=gid("Org", 9999))
    assert payload["errors"] == [{"field": ["branchId"], "code": "NOT_FOUND", "message": "找不到该对象"}]
    both = await create(demo, "13800000002", communityId="garbage", branchId="garbage")
    assert [(e["field"], e["code"]) for e in both["errors"]] == [(["communityId"], "NOT_FOUND"),
                                                                 (["branchId"], "NOT_FOUND")]
    assert await table() == SEEDED


async def test_create_validates_name_and_households(demo: Api) -> None:
    for fields, field, message in (
        ({"name": ""}, "name", "长度须为 1–100 个字符"),
        ({"name": "   "}, "name", "长度须为 1–100 个字符"),
        ({"name": "小" * 101}, "name", "长度须为 1–100 个字符"),
        ({"address": "路" * 201}, "address", "长度须为 0–200 个字符"),
        ({"households": -1}, "households", "须在 0 到 100000 之间"),
        ({"households": 100_001}, "households", "须在 0 到 100000 之间"),
    ):
        payload = await create(demo, "13800000002", **fields)
        assert payload == {"compound": None, "errors": [{"field": [field], "code": "INVALID", "message": message}]}
    # Every problem is reported at once, in English on request.
    body = await demo.ok(CREATE_COMPOUND, {"input": {"name": "", "communityId": await org_id("莲花北社区"),
                                                     "households": 100_001}}, as_="13800000002", lang="en")
    assert body["createCompound"] == {"compound": None, "errors": [
        {"field": ["name"], "code": "INVALID", "message": "Must be 1 to 100 characters long"},
        {"field": ["households"], "code": "INVALID", "message": "Must be between 0 and 100000"},
    ]}
    # Beyond a 32-bit Int the GraphQL layer itself refuses the variable.
    huge = await demo(CREATE_COMPOUND, {"input": {"name": "x", "communityId": await org_id("莲花北社区"),
                                                  "households": 2**40}}, as_="13800000002")
    assert huge["data"] is None
    assert huge["errors"][0]["extensions"] == {"code": "GRAPHQL_VALIDATION_FAILED"}
    assert "non 32-bit signed integer" in huge["errors"][0]["message"]
    assert await table() == SEEDED


async def test_create_authorisation(demo: Api) -> None:
    xunsiding = await org_id("巡司顶社区")
    # A community admin cannot touch a sibling community; a branch admin cannot create in its community;
    # a resident manages nothing. The refusal comes before validation, so nothing about the input leaks.
    for community, who in ((xunsiding, "13800000002"), (await org_id("小学社区"), "13800000002"),
                           (xunsiding, "13800000001"), (await org_id("莲花北社区"), "13800000003"),
                           (await org_id("莲花北社区"), "13800000006"), (xunsiding, "13800000005")):
        body = await demo(CREATE_COMPOUND, {"input": {"name": "", "communityId": community, "households": -5}},
                          as_=who)
        assert body["data"] is None, who
        assert [(e["extensions"], e["path"]) for e in body["errors"]] == [
            ({"code": "FORBIDDEN"}, ["createCompound"])], who
        assert body["errors"][0]["message"] == "无权进行此操作"
    anon = await demo(CREATE_COMPOUND, {"input": {"name": "x", "communityId": xunsiding}})
    assert anon["data"] is None
    assert anon["errors"][0]["extensions"] == {"code": "UNAUTHENTICATED"}
    assert anon["errors"][0]["message"] == "请先登录"
    anon_en = await demo(CREATE_COMPOUND, {"input": {"name": "x", "communityId": xunsiding}}, lang="en")
    assert anon_en["errors"][0]["message"] == "You need to log in"
    assert await table() == SEEDED


# --- updateCompound -------------------------------------------------------------------------------------------------

async def update(api: Api, as_: str, compound: int = 1, **fields: object) -> dict:
    body = await api.ok(UPDATE_COMPOUND, {"input": {"compoundId": gid("Compound", compound), **fields}}, as_=as_)
    return body["updateCompound"]


async def test_partial_update_leaves_other_fields(demo: Api) -> None:
    only_households = await update(demo, "13800000002", households=420)
    assert only_households == {"compound": {
        "id": gid("Compound", 1), "name": "观远里小区", "address": "厦门市思明区莲花北路观远里", "households": 420,
        "hasRedCommittee": True, "propertyManagement": "SELF_MANAGED", "community": {"name": "莲花北社区"},
        "branch": {"name": "观远里小区党支部"}}, "errors": []}
    several = await update(demo, "13800000002", name=" 观远里 ", address="", hasRedCommittee=False,
                           propertyManagement="COMPANY")
    assert several["errors"] == []
    assert several["compound"] | {"id": None} == {
        "id": None, "name": "观远里", "address": None, "households": 420, "hasRedCommittee": False,
        "propertyManagement": "COMPANY", "community": {"name": "莲花北社区"}, "branch": {"name": "观远里小区党支部"}}
    nothing = await update(demo, "13800000002")
    assert nothing["errors"] == [] and nothing["compound"]["name"] == "观远里"
    assert await table() == [{**SEEDED[0], "name": "观远里", "address": None, "households": 420,
                              "has_red_committee": False, "property_management": "COMPANY"}, *SEEDED[1:]]


async def test_branch_null_uncovers_and_a_branch_covers_again(demo: Api) -> None:
    lianhua = await org_id("莲花北社区")
    uncovered = await update(demo, "13800000002", branchId=None)
    assert uncovered["errors"] == []
    assert uncovered["compound"]["branch"] is None
    assert uncovered["compound"]["households"] == 412  # untouched
    row = await CompoundRow.get(id=1)
    assert row.branch_id is None and row.community_id == (await OrgRow.get(name="莲花北社区")).id
    stats = await demo.ok(COVERAGE, {"id": lianhua})
    assert stats["org"]["stats"] == {"compoundCount": 1, "coveredCompoundCount": 0, "coverageRate": 0.0}
    branch_compounds = await demo.ok(ORG_COMPOUNDS, {"id": await org_id("观远里小区党支部")})
    assert branch_compounds["org"]["compounds"]["totalCount"] == 0
    # Leaving branchId out keeps the compound uncovered; giving one covers it again.
    renamed = await update(demo, "13800000002", name="观远里小区")
    assert renamed["compound"]["branch"] is None
    covered = await update(demo, "13800000002", branchId=await org_id("观远里小区党支部"))
    assert covered["compound"]["branch"] == {"name": "观远里小区党支部"}
    assert await table() == SEEDED
    stats = await demo.ok(COVERAGE, {"id": lianhua})
    assert stats["org"]["stats"]["coverageRate"] == 1.0


async def test_update_refuses_explicit_nulls_and_bad_values(demo: Api) -> None:
    for field in ("households", "hasRedCommittee", "propertyManagement"):
        payload = await update(demo, "13800000002", **{field: None})
        assert payload == {"compound": None, "errors": [{"field": [field], "code": "INVALID", "message": "不能为空"}]}
    for fields, field, code in (
        ({"name": None}, "name", "INVALID"),
        ({"name": "x" * 101}, "name", "INVALID"),
        ({"households": -1}, "households", "INVALID"),
        ({"households": 100_001}, "households", "INVALID"),
        ({"branchId": await org_id("海龙小区党支部")}, "branchId", "INVALID_PARENT"),
        ({"branchId": await org_id("莲花北社区")}, "branchId", "INVALID_PARENT"),
        ({"communityId": await org_id("观远里小区党支部")}, "communityId", "INVALID_PARENT"),
        ({"branchId": gid("Org", 9999)}, "branchId", "NOT_FOUND"),
        ({"communityId": None}, "communityId", "NOT_FOUND"),
        ({"communityId": "garbage"}, "communityId", "NOT_FOUND"),
    ):
        payload = await update(demo, "13800000002", **fields)
        assert payload["compound"] is None, fields
        assert [(e["field"], e["code"]) for e in payload["errors"]] == [([field], code)], fields
    # A valid change next to an invalid one is not applied either.
    mixed = await update(demo, "13800000002", name="改名", households=None)
    assert [e["field"] for e in mixed["errors"]] == [["households"]]
    en = await demo.ok(UPDATE_COMPOUND, {"input": {"compoundId": gid("Compound", 1), "households": None}},
                       as_="13800000002", lang="en")
    assert en["updateCompound"]["errors"] == [{"field": ["households"], "code": "INVALID",
                                               "message": "Must not be null"}]
    for compound_id in (gid("Compound", 9999), gid("Org", 1), "garbage"):
        body = await demo.ok(UPDATE_COMPOUND, {"input": {"compoundId": compound_id, "name": "x"}}, as_="13800000002")
        assert body["updateCompound"] == {"compound": None, "errors": [
            {"field": ["compoundId"], "code": "NOT_FOUND", "message": "找不到该对象"}]}
    assert await table() == SEEDED


async def test_update_authorisation(demo: Api) -> None:
    # 海龙小区 lies in 巡司顶社区: not the 莲花北 admin's, nor the 嘉莲 street admin's; the branch admin of
    # 观远里 does not manage the community's register.
    for compound, who in ((2, "13800000002"), (2, "13800000001"), (1, "13800000003"), (1, "13800000006")):
        body = await demo(UPDATE_COMPOUND, {"input": {"compoundId": gid("Compound", compound), "households": -1}},
                          as_=who)
        assert body["data"] is None
        assert body["errors"][0]["extensions"] == {"code": "FORBIDDEN"}
        assert body["errors"][0]["path"] == ["updateCompound"]
    anon = await demo(UPDATE_COMPOUND, {"input": {"compoundId": gid("Compound", 1), "name": "x"}})
    assert anon["errors"][0]["extensions"] == {"code": "UNAUTHENTICATED"}
    assert await table() == SEEDED


CREATE_ORG = """
mutation($input: CreateOrgInput!) { createOrg(input: $input) { org { id } errors { code } } }"""


async def test_moving_needs_managing_both_communities(demo: Api) -> None:
    lianhua, xunsiding = await org_id("莲花北社区"), await org_id("巡司顶社区")
    # The street admin founds a second community under 嘉莲街道 and so manages both.
    created = await demo.ok(CREATE_ORG, {"input": {"name": "莲花南社区", "kind": "COMMUNITY_COMMITTEE",
                                                   "parentId": await org_id("嘉莲街道")}}, as_="13800000001")
    lianhua_south = created["createOrg"]["org"]["id"]
    # The community admin manages the old community only: moving away is forbidden.
    for target in (lianhua_south, xunsiding):
        body = await demo(UPDATE_COMPOUND, {"input": {"compoundId": gid("Compound", 1), "communityId": target,
                                                      "branchId": None}}, as_="13800000002")
        assert body["data"] is None
        assert body["errors"][0]["extensions"] == {"code": "FORBIDDEN"}
    # The street admin manages 莲花北 but not 巡司顶 (another street).
    body = await demo(UPDATE_COMPOUND, {"input": {"compoundId": gid("Compound", 1), "communityId": xunsiding,
                                                  "branchId": None}}, as_="13800000001")
    assert body["errors"][0]["extensions"] == {"code": "FORBIDDEN"}
    # Naming the current community is not a move.
    same = await update(demo, "13800000002", communityId=lianhua, households=413)
    assert same["errors"] == [] and same["compound"]["community"] == {"name": "莲花北社区"}
    # The old branch belongs to the old community: a move must uncover the compound or name a new branch.
    stale = await update(demo, "13800000001", communityId=lianhua_south)
    assert stale == {"compound": None, "errors": [
        {"field": ["branchId"], "code": "INVALID_PARENT", "message": "该小区党支部不属于此社区"}]}
    moved = await update(demo, "13800000001", communityId=lianhua_south, branchId=None)
    assert moved["errors"] == []
    assert moved["compound"]["community"] == {"name": "莲花南社区"} and moved["compound"]["branch"] is None
    # Now in 莲花南社区, the 莲花北 admin cannot touch it at all.
    body = await demo(UPDATE_COMPOUND, {"input": {"compoundId": gid("Compound", 1), "name": "x"}},
                      as_="13800000002")
    assert body["errors"][0]["extensions"] == {"code": "FORBIDDEN"}
    # The district admin moves it across streets, into a branch of the new community.
    across = await update(demo, "13800000000", communityId=xunsiding, branchId=await org_id("海龙小区党支部"))
    assert across["errors"] == []
    assert across["compound"]["community"] == {"name": "巡司顶社区"}
    assert across["compound"]["branch"] == {"name": "海龙小区党支部"}
    assert await table() == [{**SEEDED[0], "households": 413, "community__name": "巡司顶社区",
                              "branch__name": "海龙小区党支部"}, *SEEDED[1:]]
    street = await demo.ok(COVERAGE, {"id": await org_id("厦港街道")})
    assert street["org"]["stats"] == {"compoundCount": 2, "coveredCompoundCount": 2, "coverageRate": 1.0}
    lianhua_stats = await demo.ok(COVERAGE, {"id": lianhua})
    assert lianhua_stats["org"]["stats"] == {"compoundCount": 0, "coveredCompoundCount": 0, "coverageRate": 0.0}


# --- the directory --------------------------------------------------------------------------------------------------

async def names(api: Api, **variables: object) -> list[str]:
    data = await api.ok(DIRECTORY, variables)
    connection = data["compounds"]
    assert connection["totalCount"] == len(connection["edges"]) or connection["pageInfo"]["hasNextPage"]
    return [e["node"]["name"] for e in connection["edges"]]


async def test_directory_filters(demo: Api) -> None:
    await create(demo, "13800000002", name="Sunny 花园", address="莲花北路 1 号")
    assert await names(demo) == ["观远里小区", "海龙小区", "国贸金海岸小区", "Sunny 花园"]
    by_org = {
        "思明区": ["观远里小区", "海龙小区", "国贸金海岸小区", "Sunny 花园"],
        "嘉莲街道": ["观远里小区", "Sunny 花园"],
        "莲花北社区": ["观远里小区", "Sunny 花园"],
        "观远里小区党支部": ["观远里小区"],
        "厦港街道": ["海龙小区"],
        "观远里厝边帮帮团": [],
        "厦门市捷安集团党支部": [],
    }
    for org, expected in by_org.items():
        assert await names(demo, filter={"orgId": await org_id(org)}) == expected, org
    assert await names(demo, filter={"covered": True}) == ["观远里小区", "海龙小区", "国贸金海岸小区"]
    assert await names(demo, filter={"covered": False}) == ["Sunny 花园"]
    assert await names(demo, filter={"search": "海龙"}) == ["海龙小区"]
    assert await names(demo, filter={"search": "鹭江道"}) == ["国贸金海岸小区"]  # address
    assert await names(demo, filter={"search": "SUNNY"}) == ["Sunny 花园"]  # case-insensitive
    assert await names(demo, filter={"search": "莲花北路"}) == ["观远里小区", "Sunny 花园"]
    assert await names(demo, filter={"search": "   "}) == await names(demo)
    assert await names(demo, filter={"orgId": await org_id("莲花北社区"), "covered": False, "search": "花园"}) == [
        "Sunny 花园"]
    assert await names(demo, filter={"orgId": await org_id("莲花北社区"), "search": "海龙"}) == []
    # Unknown or foreign ids match nothing (rather than everything).
    for unknown in (gid("Org", 9999), gid("Compound", 1), "garbage"):
        empty = await demo.ok(DIRECTORY, {"filter": {"orgId": unknown}})
        assert empty["compounds"] == {"totalCount": 0, "edges": [],
                                      "pageInfo": {"hasNextPage": False, "endCursor": None}}


async def test_directory_pagination(demo: Api) -> None:
    for i in range(5):
        await create(demo, "13800000002", name=f"新村{i}")
    page1 = (await demo.ok(DIRECTORY, {"first": 3}))["compounds"]
    assert page1["totalCount"] == 8 and page1["pageInfo"]["hasNextPage"] is True
    assert [e["node"]["name"] for e in page1["edges"]] == ["观远里小区", "海龙小区", "国贸金海岸小区"]
    assert page1["pageInfo"]["endCursor"] == page1["edges"][-1]["cursor"]
    # A compound registered meanwhile does not shift the next page; it shows up at the end.
    await create(demo, "13800000002", name="后来的小区")
    page2 = (await demo.ok(DIRECTORY, {"first": 3, "after": page1["pageInfo"]["endCursor"]}))["compounds"]
    assert [e["node"]["name"] for e in page2["edges"]] == ["新村0", "新村1", "新村2"]
    page3 = (await demo.ok(DIRECTORY, {"first": 3, "after": page2["pageInfo"]["endCursor"]}))["compounds"]
    assert [e["node"]["name"] for e in page3["edges"]] == ["新村3", "新村4", "后来的小区"]
    assert page3["pageInfo"]["hasNextPage"] is False and page3["totalCount"] == 9
    # Filters and cursors combine.
    uncovered = (await demo.ok(DIRECTORY, {"filter": {"covered": False}, "first": 2,
                                           "after": page1["pageInfo"]["endCursor"]}))["compounds"]
    assert uncovered["totalCount"] == 6
    assert [e["node"]["name"] for e in uncovered["edges"]] == ["新村0", "新村1"]
    assert uncovered["pageInfo"]["hasNextPage"] is True
    assert (await demo.ok(DIRECTORY, {"first": 0}))["compounds"]["edges"] == []
    for variables, argument in (({"first": 101}, "first"), ({"first": -1}, "first"), ({"after": "garbage"}, "after")):
        body = await demo(DIRECTORY, variables)
        assert body["data"] is None
        assert body["errors"][0]["extensions"] == {"code": "INVALID", "field": [argument]}


# --- Org.compounds --------------------------------------------------------------------------------------------------

async def test_org_compounds_for_branch_community_and_district(demo: Api) -> None:
    await create(demo, "13800000002", name="未覆盖小区")
    branch = await demo.ok(ORG_COMPOUNDS, {"id": await org_id("观远里小区党支部")})
    assert branch["org"]["compounds"] == {"totalCount": 1, "pageInfo": {"hasNextPage": False},
                                          "nodes": [{"name": "观远里小区", "branch": {"name": "观远里小区党支部"}}]}
    community = await demo.ok(ORG_COMPOUNDS, {"id": await org_id("莲花北社区")})
    assert community["org"]["compounds"]["nodes"] == [{"name": "观远里小区", "branch": {"name": "观远里小区党支部"}},
                                                      {"name": "未覆盖小区", "branch": None}]
    district = await demo.ok(ORG_COMPOUNDS, {"id": await org_id("思明区"), "first": 2})
    assert district["org"]["compounds"] == {"totalCount": 4, "pageInfo": {"hasNextPage": True}, "nodes": [
        {"name": "观远里小区", "branch": {"name": "观远里小区党支部"}},
        {"name": "海龙小区", "branch": {"name": "海龙小区党支部"}}]}
    everything = await demo.ok(ORG_COMPOUNDS, {"id": await org_id("思明区")})
    assert [n["name"] for n in everything["org"]["compounds"]["nodes"]] == [
        "观远里小区", "海龙小区", "国贸金海岸小区", "未覆盖小区"]
    # Several orgs in one request: each gets its own subtree.
    both = await demo.ok("""query($a: ID!, $b: ID!) {
      a: org(id: $a) { compounds { totalCount nodes { name } } }
      b: org(id: $b) { compounds { totalCount nodes { name } } } }""",
                         {"a": await org_id("海龙小区党支部"), "b": await org_id("鹭江街道")})
    assert both == {"a": {"compounds": {"totalCount": 1, "nodes": [{"name": "海龙小区"}]}},
                    "b": {"compounds": {"totalCount": 1, "nodes": [{"name": "国贸金海岸小区"}]}}}
    partner = await demo.ok(ORG_COMPOUNDS, {"id": await org_id("厦门市捷安集团党支部")})
    assert partner["org"]["compounds"] == {"totalCount": 0, "pageInfo": {"hasNextPage": False}, "nodes": []}


async def test_search_treats_wildcards_literally(demo: Api) -> None:
    """`%` and `_` typed into a search box match themselves, not everything."""
    body = await demo.ok('{ compounds(filter: {search: "%"}) { totalCount } orgs(filter: {search: "_"}) { totalCount } }')
    assert body == {"compounds": {"totalCount": 0}, "orgs": {"totalCount": 0}}
