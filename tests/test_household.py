"""Households (户): registering dwellings and their residents (createHousehold, addHouseholdMember), validation with
zh-CN and English messages, DUPLICATE units and residents (also when the same request races itself, on SQLite and
PostgreSQL), who may manage a compound's households (its branch, community, street and district staff; nobody else),
NOT_FOUND for households the viewer may not see, node(Household) visibility and viewer.households (self only).

The demo compound 观远里小区 has twelve households; 林居民 (13800000006) lives in 1号楼101室, 陈党员 (13800000004) in
1号楼201室."""

from __future__ import annotations

import asyncio
from collections import Counter

from models import household as household_model
from models.compound import Compound as CompoundRow
from models.enums import MemberRole
from models.household import Household as HouseholdRow
from models.household import HouseholdMember as MemberRow
from models.org import Org as OrgRow
from tests.conftest import Api, gid, outcome
from tests.test_project import person, pk

DISTRICT, STREET, COMMUNITY, BRANCH = "思明区", "嘉莲街道", "莲花北社区", "观远里小区党支部"
HAILONG_BRANCH, TEAM = "海龙小区党支部", "观远里自管物业服务队"
GUANYUANLI, HAILONG, GUOMAO = "观远里小区", "海龙小区", "国贸金海岸小区"
ADMIN0, STREET_ADMIN, COMMUNITY_ADMIN, BRANCH_ADMIN = "13800000000", "13800000001", "13800000002", "13800000003"
MEMBER, PARTNER_ADMIN, RESIDENT, STEWARD = "13800000004", "13800000005", "13800000006", "13800000007"
BRANCH_STAFF, COMMUNITY_STAFF, STREET_STAFF, HAILONG_STAFF = "13900000001", "13900000002", "13900000003", "13900000004"
NEWCOMER = "13900000009"  # an account with no role and no home
DEMO_HOUSEHOLDS = 12

CREATE = """
mutation($input: CreateHouseholdInput!) {
  createHousehold(input: $input) {
    household { unit areaSqm compound { name } residents { displayName phone } }
    errors { field code message }
  }
}"""

CREATE_BRIEF = """
mutation($input: CreateHouseholdInput!) {
  createHousehold(input: $input) { household { id } errors { field code } }
}"""

ADD_MEMBER = """
mutation($input: AddHouseholdMemberInput!) {
  addHouseholdMember(input: $input) {
    household { id unit residents { displayName phone } }
    errors { field code message }
  }
}"""

NODE = """
query($id: ID!) {
  node(id: $id) { __typename ... on Household { id unit areaSqm compound { name } residents { displayName phone } } }
}"""

NODES = """
query($ids: [ID!]!) { nodes(ids: $ids) { ... on Household { unit } } }"""

MY_HOUSEHOLDS = """
{ viewer { displayName households { id unit areaSqm compound { name } } } }"""

USER_HOUSEHOLDS = """
query($id: ID!) { node(id: $id) { ... on User { displayName households { unit } } } }"""


# --- helpers ----------------------------------------------------------------------------------------------------


async def compound_gid(name: str) -> str:
    return gid("Compound", (await CompoundRow.get(name=name)).id)


async def staff(demo: Api) -> None:
    """STAFF (not ADMIN) at each level above 观远里, and at 海龙's branch."""
    await person(demo, BRANCH_STAFF, "观远里支部委员", (BRANCH, MemberRole.STAFF))
    await person(demo, COMMUNITY_STAFF, "莲花北社区干事", (COMMUNITY, MemberRole.STAFF))
    await person(demo, STREET_STAFF, "嘉莲街道干事", (STREET, MemberRole.STAFF))
    await person(demo, HAILONG_STAFF, "海龙支部委员", (HAILONG_BRANCH, MemberRole.STAFF))


async def household_gid(unit: str, compound: str = GUANYUANLI) -> str:
    compound_row = await CompoundRow.get(name=compound)
    return gid("Household", (await HouseholdRow.get(compound_id=compound_row.id, unit=unit)).id)


async def create(demo: Api, unit: str, area: float = 80.0, *, compound: str = GUANYUANLI,
                 as_: str = COMMUNITY_ADMIN) -> dict:
    """createHousehold's payload (brief selection)."""
    variables = {"input": {"compoundId": await compound_gid(compound), "unit": unit, "areaSqm": area}}
    return (await demo.ok(CREATE_BRIEF, variables, as_=as_))["createHousehold"]


async def residents_of(household: str) -> list[str]:
    """Phones of a household's residents, in the order they moved in."""
    rows = await MemberRow.filter(household_id=pk(household)).order_by("id").prefetch_related("user")
    return [row.user.phone for row in rows]


# --- createHousehold --------------------------------------------------------------------------------------------


async def test_create_household(demo: Api) -> None:
    variables = {"input": {"compoundId": await compound_gid(GUANYUANLI), "unit": "  5号楼2单元501室 ",
                           "areaSqm": 88.25}}
    body = await demo.ok(CREATE, variables, as_=BRANCH_ADMIN)
    assert body == {"createHousehold": {"household": {
        "unit": "5号楼2单元501室", "areaSqm": 88.25, "compound": {"name": GUANYUANLI}, "residents": []},
        "errors": []}}
    row = await HouseholdRow.get(unit="5号楼2单元501室")
    compound = await CompoundRow.get(name=GUANYUANLI)
    assert (row.compound_id, row.area_sqm) == (compound.id, 88.25)
    assert await HouseholdRow.filter(compound_id=compound.id).count() == DEMO_HOUSEHOLDS + 1
    # The smallest and the largest allowed areas; areas are kept to 0.01 m² (what DOUBLE_MAJORITY compares).
    assert (await create(demo, "车库 1", 0.01))["errors"] == []
    assert (await create(demo, "车库 2", 0.005))["errors"] == []
    assert (await create(demo, "整栋", 10_000.004))["errors"] == []
    assert (await create(demo, "6号楼101室", 95.456))["errors"] == []
    assert [(h.unit, h.area_sqm) for h in await HouseholdRow.filter(id__gt=DEMO_HOUSEHOLDS + 1).order_by("id")] == [
        ("车库 1", 0.01), ("车库 2", 0.01), ("整栋", 10_000.0), ("6号楼101室", 95.46)]
    assert await HouseholdRow.filter(compound_id=compound.id).count() == DEMO_HOUSEHOLDS + 5


CREATE_INVALID = [  # what is wrong -> the payload's errors, in zh-CN
    ({"unit": "   "}, [{"field": ["unit"], "code": "INVALID", "message": "长度须为 1–50 个字符"}]),
    ({"unit": "楼" * 51}, [{"field": ["unit"], "code": "INVALID", "message": "长度须为 1–50 个字符"}]),
    ({"unit": "1号楼\x00"}, [{"field": ["unit"], "code": "INVALID", "message": "长度须为 1–50 个字符"}]),
    ({"areaSqm": 0}, [{"field": ["areaSqm"], "code": "INVALID", "message": "面积须大于 0 且不超过 10000 平方米"}]),
    ({"areaSqm": -75.5}, [{"field": ["areaSqm"], "code": "INVALID", "message": "面积须大于 0 且不超过 10000 平方米"}]),
    ({"areaSqm": 10_000.01}, [{"field": ["areaSqm"], "code": "INVALID",
                               "message": "面积须大于 0 且不超过 10000 平方米"}]),
    ({"areaSqm": 0.004}, [{"field": ["areaSqm"], "code": "INVALID", "message": "面积须大于 0 且不超过 10000 平方米"}]),
    ({"unit": "", "areaSqm": 0}, [{"field": ["unit"], "code": "INVALID", "message": "长度须为 1–50 个字符"},
                                  {"field": ["areaSqm"], "code": "INVALID",
                                   "message": "面积须大于 0 且不超过 10000 平方米"}]),
    ({"compoundId": gid("Compound", 9999)}, [{"field": ["compoundId"], "code": "NOT_FOUND",
                                              "message": "找不到该对象"}]),
    ({"compoundId": gid("Org", 1)}, [{"field": ["compoundId"], "code": "NOT_FOUND", "message": "找不到该对象"}]),
]


async def test_create_household_validation(demo: Api) -> None:
    seen = []
    for change, _errors in CREATE_INVALID:
        variables = {"input": {"compoundId": await compound_gid(GUANYUANLI), "unit": "9号楼101室", "areaSqm": 80,
                               **change}}
        body = await demo.ok(CREATE, variables, as_=COMMUNITY_ADMIN)
        assert body["createHousehold"]["household"] is None
        seen.append((change, body["createHousehold"]["errors"]))
    assert seen == CREATE_INVALID
    assert await HouseholdRow.all().count() == DEMO_HOUSEHOLDS


async def test_create_household_validation_in_english(demo: Api) -> None:
    variables = {"input": {"compoundId": await compound_gid(GUANYUANLI), "unit": "", "areaSqm": -1}}
    body = await demo.ok(CREATE, variables, as_=COMMUNITY_ADMIN, lang="en")
    assert body == {"createHousehold": {"household": None, "errors": [
        {"field": ["unit"], "code": "INVALID", "message": "Must be 1 to 50 characters long"},
        {"field": ["areaSqm"], "code": "INVALID", "message": "The area must be above 0 and at most 10000 m²"}]}}
    variables["input"].update(unit="1号楼101室", areaSqm=60)  # the resident's home
    body = await demo.ok(CREATE, variables, as_=COMMUNITY_ADMIN, lang="en")
    assert body == {"createHousehold": {"household": None, "errors": [
        {"field": ["unit"], "code": "DUPLICATE", "message": "The compound already has a household with this unit"}]}}
    variables["input"]["compoundId"] = gid("Compound", 9999)
    body = await demo.ok(CREATE, variables, as_=COMMUNITY_ADMIN, lang="en")
    assert body["createHousehold"]["errors"] == [{"field": ["compoundId"], "code": "NOT_FOUND",
                                                  "message": "No such object"}]


async def test_a_unit_is_unique_within_its_compound(demo: Api) -> None:
    variables = {"input": {"compoundId": await compound_gid(GUANYUANLI), "unit": " 1号楼101室", "areaSqm": 60}}
    body = await demo.ok(CREATE, variables, as_=BRANCH_ADMIN)  # the demo's first household, spelt with a space
    assert body == {"createHousehold": {"household": None, "errors": [
        {"field": ["unit"], "code": "DUPLICATE", "message": "该小区已有此门牌的住户"}]}}
    assert (await HouseholdRow.get(unit="1号楼101室")).area_sqm == 89.5  # untouched
    # The same unit in another compound is another household.
    assert (await create(demo, "1号楼101室", 60, compound=HAILONG, as_=ADMIN0))["errors"] == []
    assert (await create(demo, "1号楼101室", 60, compound=HAILONG, as_=ADMIN0))["errors"] == [
        {"field": ["unit"], "code": "DUPLICATE"}]
    assert await HouseholdRow.filter(unit="1号楼101室").count() == 2


async def test_who_may_create_households(demo: Api) -> None:
    await staff(demo)
    await person(demo, NEWCOMER, "新住户")
    allowed = [ADMIN0, STREET_ADMIN, COMMUNITY_ADMIN, BRANCH_ADMIN, BRANCH_STAFF, COMMUNITY_STAFF, STREET_STAFF]
    for n, phone in enumerate(allowed):
        assert (await create(demo, f"10号楼{n}01室", as_=phone))["errors"] == [], phone
    # A party member of the branch, residents, a partner unit, the property team under the branch (a child of the
    # branch: its staff manage the team, not the compound), another compound's branch and a stranger may not.
    for phone in (MEMBER, RESIDENT, PARTNER_ADMIN, STEWARD, HAILONG_STAFF, NEWCOMER):
        variables = {"input": {"compoundId": await compound_gid(GUANYUANLI), "unit": "11号楼101室", "areaSqm": 70}}
        body = await demo(CREATE_BRIEF, variables, as_=phone)
        assert outcome(body, "createHousehold") == "FORBIDDEN", phone
        assert body["errors"][0]["message"] == "无权进行此操作"
    body = await demo(CREATE_BRIEF, {"input": {"compoundId": await compound_gid(GUANYUANLI), "unit": "11号楼101室",
                                               "areaSqm": 70}})
    assert outcome(body, "createHousehold") == "UNAUTHENTICATED"
    assert sorted(h.unit for h in await HouseholdRow.filter(unit__startswith="10号楼")) == [
        f"10号楼{n}01室" for n in range(len(allowed))]
    assert not await HouseholdRow.exists(unit="11号楼101室")
    # 海龙's staff manage 海龙 only.
    assert (await create(demo, "1号楼101室", compound=HAILONG, as_=HAILONG_STAFF))["errors"] == []
    assert outcome(await demo(CREATE_BRIEF, {"input": {"compoundId": await compound_gid(GUOMAO), "unit": "1",
                                                       "areaSqm": 70}}, as_=HAILONG_STAFF),
                   "createHousehold") == "FORBIDDEN"


async def test_an_uncovered_compound_is_run_by_its_community(demo: Api) -> None:
    community = await OrgRow.get(name=COMMUNITY)
    await CompoundRow.create(name="莲花北散居楼", community_id=community.id, branch_id=None, households=30)
    assert (await create(demo, "1号楼101室", compound="莲花北散居楼", as_=COMMUNITY_ADMIN))["errors"] == []
    assert (await create(demo, "1号楼201室", compound="莲花北散居楼", as_=STREET_ADMIN))["errors"] == []
    body = await demo(CREATE_BRIEF, {"input": {"compoundId": await compound_gid("莲花北散居楼"), "unit": "2",
                                               "areaSqm": 50}}, as_=BRANCH_ADMIN)  # a sibling, not above it
    assert outcome(body, "createHousehold") == "FORBIDDEN"


# --- addHouseholdMember -----------------------------------------------------------------------------------------


async def test_add_household_member(demo: Api) -> None:
    await person(demo, NEWCOMER, "新住户")
    home = (await create(demo, "6号楼301室", 95.5))["household"]["id"]
    body = await demo.ok(ADD_MEMBER, {"input": {"householdId": home, "phone": "+86 139 0000 0009"}},
                         as_=BRANCH_ADMIN)
    assert body == {"addHouseholdMember": {"household": {"id": home, "unit": "6号楼301室", "residents": [
        {"displayName": "新住户", "phone": NEWCOMER}]}, "errors": []}}  # staff see residents' full phones
    body = await demo.ok(ADD_MEMBER, {"input": {"householdId": home, "phone": RESIDENT}}, as_=COMMUNITY_ADMIN)
    assert body["addHouseholdMember"] == {"household": {"id": home, "unit": "6号楼301室", "residents": [
        {"displayName": "新住户", "phone": NEWCOMER}, {"displayName": "林居民", "phone": RESIDENT}]}, "errors": []}
    assert await residents_of(home) == [NEWCOMER, RESIDENT]
    # 林居民 now lives in two households of 观远里.
    mine = await demo.ok(MY_HOUSEHOLDS, as_=RESIDENT)
    assert mine == {"viewer": {"displayName": "林居民", "households": [
        {"id": gid("Household", 1), "unit": "1号楼101室", "areaSqm": 89.5, "compound": {"name": GUANYUANLI}},
        {"id": home, "unit": "6号楼301室", "areaSqm": 95.5, "compound": {"name": GUANYUANLI}}]}}


async def test_a_resident_is_added_once(demo: Api) -> None:
    home = gid("Household", 1)
    body = await demo.ok(ADD_MEMBER, {"input": {"householdId": home, "phone": RESIDENT}}, as_=BRANCH_ADMIN)
    assert body == {"addHouseholdMember": {"household": None, "errors": [
        {"field": ["phone"], "code": "DUPLICATE", "message": "该居民已在此户"}]}}
    body = await demo.ok(ADD_MEMBER, {"input": {"householdId": home, "phone": "138-0000-0006"}}, as_=BRANCH_ADMIN,
                         lang="en")
    assert body["addHouseholdMember"]["errors"] == [
        {"field": ["phone"], "code": "DUPLICATE", "message": "This person already lives in the household"}]
    assert await residents_of(home) == [RESIDENT]


async def test_add_household_member_validation(demo: Api) -> None:
    home = gid("Household", 1)
    cases = [  # input change, language -> errors
        ({"phone": "1380000"}, None, [{"field": ["phone"], "code": "INVALID",
                                       "message": "请输入 11 位中国大陆手机号"}]),
        ({"phone": "23800000006"}, "en", [{"field": ["phone"], "code": "INVALID",
                                           "message": "Enter an 11-digit mainland China mobile number"}]),
        ({"phone": "13999999999"}, None, [{"field": ["phone"], "code": "NOT_FOUND", "message": "找不到该对象"}]),
        ({"phone": "13999999999"}, "en", [{"field": ["phone"], "code": "NOT_FOUND", "message": "No such object"}]),
        ({"householdId": gid("Household", 999)}, None, [{"field": ["householdId"], "code": "NOT_FOUND",
                                                         "message": "找不到该对象"}]),
        ({"householdId": gid("Poll", 1)}, None, [{"field": ["householdId"], "code": "NOT_FOUND",
                                                  "message": "找不到该对象"}]),
        ({"householdId": "garbage"}, "en", [{"field": ["householdId"], "code": "NOT_FOUND",
                                             "message": "No such object"}]),
    ]
    for change, lang, errors in cases:
        body = await demo.ok(ADD_MEMBER, {"input": {"householdId": home, "phone": MEMBER, **change}},
                             as_=BRANCH_ADMIN, lang=lang)
        assert body == {"addHouseholdMember": {"household": None, "errors": errors}}, change
    assert await MemberRow.all().count() == 2


async def test_who_may_add_residents(demo: Api) -> None:
    await staff(demo)
    home = gid("Household", 3)  # a neighbour's household without accounts
    allowed = [ADMIN0, STREET_ADMIN, COMMUNITY_ADMIN, BRANCH_ADMIN, BRANCH_STAFF, COMMUNITY_STAFF, STREET_STAFF]
    moving_in = [RESIDENT, MEMBER, PARTNER_ADMIN, STEWARD, HAILONG_STAFF, ADMIN0, STREET_ADMIN]
    for phone, resident in zip(allowed, moving_in):
        body = await demo.ok(ADD_MEMBER, {"input": {"householdId": home, "phone": resident}}, as_=phone)
        assert body["addHouseholdMember"]["errors"] == [], phone
    assert await residents_of(home) == moving_in
    # Residents see their own household but may not manage it: FORBIDDEN. Residents of other households of the
    # compound, a party member living elsewhere, other branches and strangers do not see it: NOT_FOUND.
    await person(demo, NEWCOMER, "新住户")
    variables = {"input": {"householdId": home, "phone": NEWCOMER}}
    assert outcome(await demo(ADD_MEMBER, variables, as_=RESIDENT), "addHouseholdMember") == "FORBIDDEN"
    assert outcome(await demo(ADD_MEMBER, variables, as_=HAILONG_STAFF), "addHouseholdMember") == "FORBIDDEN"
    own = {"input": {"householdId": gid("Household", 1), "phone": NEWCOMER}}
    assert outcome(await demo(ADD_MEMBER, own, as_=RESIDENT), "addHouseholdMember") == "FORBIDDEN"
    for phone in (MEMBER, NEWCOMER, STEWARD):
        assert outcome(await demo(ADD_MEMBER, own, as_=phone), "addHouseholdMember") == "NOT_FOUND:householdId", phone
    assert outcome(await demo(ADD_MEMBER, own), "addHouseholdMember") == "UNAUTHENTICATED"
    assert await residents_of(gid("Household", 1)) == [RESIDENT]
    assert NEWCOMER not in await residents_of(home)


async def test_invisible_households_are_not_found(demo: Api) -> None:
    await staff(demo)
    await person(demo, NEWCOMER, "新住户")
    own = {"input": {"householdId": gid("Household", 2), "phone": NEWCOMER}}  # 陈党员's home
    for phone in (RESIDENT, PARTNER_ADMIN, STEWARD, HAILONG_STAFF, NEWCOMER):
        body = await demo.ok(ADD_MEMBER, own, as_=phone)
        assert body == {"addHouseholdMember": {"household": None, "errors": [
            {"field": ["householdId"], "code": "NOT_FOUND", "message": "找不到该对象"}]}}, phone
    assert await residents_of(gid("Household", 2)) == [MEMBER]


async def test_concurrent_adds_of_one_resident_one_wins(demo: Api) -> None:
    await person(demo, NEWCOMER, "新住户")
    home = gid("Household", 4)
    bodies = await asyncio.gather(*(demo(ADD_MEMBER, {"input": {"householdId": home, "phone": NEWCOMER}},
                                         as_=(BRANCH_ADMIN, COMMUNITY_ADMIN)[n % 2]) for n in range(8)))
    assert Counter(outcome(body, "addHouseholdMember") for body in bodies) == {"OK": 1, "DUPLICATE:phone": 7}
    assert await residents_of(home) == [NEWCOMER]


async def test_concurrent_creations_of_one_unit_one_wins(demo: Api) -> None:
    variables = {"input": {"compoundId": await compound_gid(GUANYUANLI), "unit": "7号楼101室", "areaSqm": 77}}
    bodies = await asyncio.gather(*(demo(CREATE_BRIEF, variables, as_=(BRANCH_ADMIN, STREET_ADMIN)[n % 2])
                                    for n in range(8)))
    assert Counter(outcome(body, "createHousehold") for body in bodies) == {"OK": 1, "DUPLICATE:unit": 7}
    assert await HouseholdRow.filter(unit="7号楼101室").count() == 1


# --- node(Household), residents and viewer.households -----------------------------------------------------------


async def test_who_sees_a_household(demo: Api) -> None:
    await staff(demo)
    home = gid("Household", 1)
    for_staff = {"__typename": "Household", "id": home, "unit": "1号楼101室", "areaSqm": 89.5,
                 "compound": {"name": GUANYUANLI}, "residents": [{"displayName": "林居民", "phone": RESIDENT}]}
    for phone in (ADMIN0, STREET_ADMIN, COMMUNITY_ADMIN, BRANCH_ADMIN, BRANCH_STAFF, COMMUNITY_STAFF, STREET_STAFF):
        assert await demo.ok(NODE, {"id": home}, as_=phone) == {"node": for_staff}, phone
    # The resident sees their home and their own full phone.
    assert await demo.ok(NODE, {"id": home}, as_=RESIDENT) == {"node": for_staff}
    # A neighbour in the same compound, partner units, the property team, another branch, strangers: null, as for
    # an id that does not exist.
    await person(demo, NEWCOMER, "新住户")
    for phone in (MEMBER, PARTNER_ADMIN, STEWARD, HAILONG_STAFF, NEWCOMER, None):
        assert await demo.ok(NODE, {"id": home}, as_=phone) == {"node": None}, phone
    assert await demo.ok(NODE, {"id": gid("Household", 999)}, as_=ADMIN0) == {"node": None}
    ids = [gid("Household", 1), gid("Household", 2), gid("Household", 999), gid("Household", 3)]
    assert await demo.ok(NODES, {"ids": ids}, as_=RESIDENT) == {"nodes": [{"unit": "1号楼101室"}, None, None, None]}
    assert await demo.ok(NODES, {"ids": ids}, as_=BRANCH_ADMIN) == {"nodes": [
        {"unit": "1号楼101室"}, {"unit": "1号楼201室"}, None, {"unit": "1号楼301室"}]}


async def test_fellow_residents_see_each_other_with_masked_phones(demo: Api) -> None:
    home = gid("Household", 1)
    assert (await demo.ok(ADD_MEMBER, {"input": {"householdId": home, "phone": MEMBER}},
                          as_=BRANCH_ADMIN))["addHouseholdMember"]["errors"] == []
    body = await demo.ok(NODE, {"id": home}, as_=RESIDENT)
    assert body["node"]["residents"] == [{"displayName": "林居民", "phone": RESIDENT},
                                         {"displayName": "陈党员", "phone": "138****0004"}]
    body = await demo.ok(NODE, {"id": home}, as_=MEMBER)
    assert body["node"]["residents"] == [{"displayName": "林居民", "phone": "138****0006"},
                                         {"displayName": "陈党员", "phone": MEMBER}]


async def test_viewer_households_are_the_viewers_own(demo: Api) -> None:
    assert await demo.ok(MY_HOUSEHOLDS, as_=MEMBER) == {"viewer": {"displayName": "陈党员", "households": [
        {"id": gid("Household", 2), "unit": "1号楼201室", "areaSqm": 102.0, "compound": {"name": GUANYUANLI}}]}}
    assert await demo.ok(MY_HOUSEHOLDS, as_=BRANCH_ADMIN) == {"viewer": {"displayName": "观远里支部书记",
                                                                         "households": []}}
    assert await demo.ok(MY_HOUSEHOLDS) == {"viewer": None}
    # Another person's households: not even their managers may list them.
    resident = gid("User", demo.users[RESIDENT])
    assert await demo.ok(USER_HOUSEHOLDS, {"id": resident}, as_=RESIDENT) == {"node": {
        "displayName": "林居民", "households": [{"unit": "1号楼101室"}]}}
    member = gid("User", demo.users[MEMBER])
    body = await demo(USER_HOUSEHOLDS, {"id": member}, as_=BRANCH_ADMIN)  # the branch admin sees the member
    assert body["data"] == {"node": None}
    assert [(e["path"], e["extensions"]["code"]) for e in body["errors"]] == [(["node", "households"], "FORBIDDEN")]


async def test_households_follow_the_model_layer(demo: Api) -> None:
    """The model's helpers agree with the API: one household per unit, a resident once per household."""
    compound = await CompoundRow.get(name=HAILONG)
    first = await household_model.create(compound_id=compound.id, unit="A", area_sqm=50)
    assert first is not None
    assert await household_model.create(compound_id=compound.id, unit="A", area_sqm=70) is None
    user = demo.users[RESIDENT]
    assert await household_model.add_member(household_id=first.id, user_id=user) is True
    assert await household_model.add_member(household_id=first.id, user_id=user) is False
    assert [h.id for h in await household_model.lives_in(user_id=user, compound_id=compound.id)] == [first.id]
    assert [h.id for h in (await household_model.of_users(user_ids=[user]))[user]] == [1, first.id]
    assert await household_model.count(compound_id=compound.id) == 1
