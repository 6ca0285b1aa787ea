"""Duty rotation (轮值驻点): rosters, consented swaps, check-in on the day, dutyShifts, planner properties, races."""

from __future__ import annotations

import asyncio
import base64
from collections import Counter
from datetime import date, datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from models import duty as duty_model
from models import org as org_model
from models.duty import DutyShift as ShiftRow
from models.duty import DutySwapConsent as ConsentRow
from models.duty import local_today
from models.enums import MemberRole, OrgKind
from models.org import Org as OrgRow
from schema.relay import encode_cursor, encode_pair_cursor
from tests.conftest import Api, count_sql, gid, org_id, outcomes
from tests.test_project import person, pk

DISTRICT, STREET, COMMUNITY, BRANCH = "思明区", "嘉莲街道", "莲花北社区", "观远里小区党支部"
XIAGANG, XUNSIDING, LUJIANG, XIAOXUE = "厦港街道", "巡司顶社区", "鹭江街道", "小学社区"
JIEAN, POLICE = "厦门市捷安集团党支部", "鹭江派出所"
ADMIN0, STREET_ADMIN, COMMUNITY_ADMIN, BRANCH_ADMIN = "13800000000", "13800000001", "13800000002", "13800000003"
MEMBER, PARTNER_ADMIN, RESIDENT = "13800000004", "13800000005", "13800000006"
A_STAFF, B_STAFF, C_STAFF, D_STAFF, A_ADMIN = "13900000001", "13900000002", "13900000003", "13900000004", "13900000005"
UNIT_A, UNIT_B, UNIT_C, UNIT_D = "甲公司党支部", "乙医院党支部", "丙学校党支部", "丁银行党支部"
STAFF = {UNIT_A: A_STAFF, UNIT_B: B_STAFF, UNIT_C: C_STAFF, UNIT_D: D_STAFF}

# The demo roster: 捷安 serves at 嘉莲街道's centre from three days ago for ten days; the three past days were served.
DEMO_SHIFTS, DEMO_SERVED = 10, 3

CREATE_ORG = """
mutation($input: CreateOrgInput!) { createOrg(input: $input) { org { id } errors { field code } } }"""

PAIR = """
mutation($input: PairPartnerInput!) { pairPartner(input: $input) { errors { field code } } }"""

GENERATE = """
mutation($input: GenerateDutyRosterInput!) {
  generateDutyRoster(input: $input) {
    centre { name } createdCount keptCount unitCount shortDays errors { field code message }
  }
}"""

SWAP = """
mutation($input: SwapDutyInput!) {
  swapDuty(input: $input) {
    swapped shift { id date unit { name } } withShift { id date unit { name } } errors { field code message }
  }
}"""

CHECK_IN = """
mutation($input: CheckInDutyInput!) {
  checkInDuty(input: $input) {
    shift { id date checkedIn checkedInAt centre { name } unit { name } checkedInBy { displayName } viewerCanCheckIn }
    errors { field code message }
  }
}"""

SHIFTS = """
query($filter: DutyShiftFilter, $first: Int, $after: String) {
  dutyShifts(filter: $filter, first: $first, after: $after) {
    totalCount pageInfo { hasNextPage endCursor } nodes { date centre { name } unit { name } checkedIn }
  }
}"""

SCREEN = """
query($filter: DutyShiftFilter, $first: Int) {
  dutyShifts(filter: $filter, first: $first) {
    totalCount pageInfo { hasNextPage endCursor }
    edges {
      cursor
      node { id date checkedIn checkedInAt centre { id name } unit { id name } swapOffers { id date unit { name } }
             viewerCanCheckIn }
    }
  }
}"""

OFFERS = """
query($id: ID!) { node(id: $id) { ... on DutyShift { swapOffers { date unit { name } } } } }"""

REQUESTS = """
query($id: ID!) { node(id: $id) { ... on DutyShift { swapRequests { date unit { name } } } } }"""

NODE = """
query($id: ID!) {
  node(id: $id) { __typename ... on DutyShift { id date checkedIn centre { name } unit { name } viewerCanCheckIn } }
}"""

NODES = """
query($ids: [ID!]!) { nodes(ids: $ids) { ... on DutyShift { date unit { name } } } }"""

STATS = """
query($id: ID!) { org(id: $id) { stats { servedDutyShiftCount } } }"""


# --- helpers ----------------------------------------------------------------------------------------------------


def day(offset: int) -> date:
    """A day counted from today in the district (Asia/Shanghai)."""
    return local_today() + timedelta(days=offset)


def iso(offset: int) -> str:
    return day(offset).isoformat()


async def oid(name: str) -> int:
    return (await OrgRow.get(name=name)).id


async def new_unit(name: str, *paired_with: str) -> int:
    """A partner unit made through the model layer, paired with the named streets or communities; its id."""
    unit = await org_model.create(name=name, kind=OrgKind.PARTNER_UNIT, parent=None)
    for org_name in paired_with:
        assert await org_model.pair(partner=unit, org=await OrgRow.get(name=org_name))
    return unit.id


async def staffed_units(demo: Api, *names: str, paired_with: tuple[str, ...] = (STREET,)) -> None:
    """Partner units paired with `paired_with`, each with a STAFF account of its own (STAFF[name])."""
    for name in names:
        await new_unit(name, *paired_with)
        await person(demo, STAFF[name], f"{name[0]}单位干事", (name, MemberRole.STAFF))


async def put(centre: str, unit: str, offset: int, *, served: bool = False) -> str:
    """A shift inserted directly (past days and served shifts included); its global id."""
    checked_in = datetime.now(timezone.utc) if served else None
    row = await ShiftRow.create(centre_id=await oid(centre), unit_id=await oid(unit), duty_date=day(offset),
                                checked_in_at=checked_in)
    return gid("DutyShift", row.id)


async def generate(demo: Api, centre: str, start: int, end: int, per_day: int = 1, *, as_: str | None = STREET_ADMIN,
                   lang: str | None = None) -> dict:
    """generateDutyRoster's payload, days counted from today."""
    payload = {"centreOrgId": await org_id(centre), "from": iso(start), "to": iso(end), "unitsPerDay": per_day}
    return (await demo.ok(GENERATE, {"input": payload}, as_=as_, lang=lang))["generateDutyRoster"]


async def swap(demo: Api, shift: str, with_shift: str, *, as_: str = STREET_ADMIN, lang: str | None = None) -> dict:
    body = await demo.ok(SWAP, {"input": {"shiftId": shift, "withShiftId": with_shift}}, as_=as_, lang=lang)
    return body["swapDuty"]


async def check_in(demo: Api, shift: str, *, as_: str, lang: str | None = None) -> dict:
    return (await demo.ok(CHECK_IN, {"input": {"shiftId": shift}}, as_=as_, lang=lang))["checkInDuty"]


async def roster(centre: str, start: int | None = None, end: int | None = None) -> dict[date, list[str]]:
    """The centre's shifts from the database: day -> unit names (by shift id)."""
    names = {o.id: o.name for o in await OrgRow.filter(kind=OrgKind.PARTNER_UNIT)}
    query = ShiftRow.filter(centre_id=await oid(centre))
    if start is not None:
        query = query.filter(duty_date__gte=day(start))
    if end is not None:
        query = query.filter(duty_date__lte=day(end))
    out: dict[date, list[str]] = {}
    for row in await query.order_by("duty_date", "id"):
        out.setdefault(row.duty_date, []).append(names[row.unit_id])
    return out


async def assert_one_centre_a_day() -> None:
    """The invariant behind the unique constraint: no unit is on duty twice on one day (anywhere)."""
    pairs = Counter((row.unit_id, row.duty_date) for row in await ShiftRow.all())
    assert all(n == 1 for n in pairs.values()), [p for p, n in pairs.items() if n > 1]


def code(body: dict) -> str:
    return body["errors"][0]["extensions"]["code"]


async def unit_name(shift: str) -> str:
    return (await OrgRow.get(id=(await ShiftRow.get(id=pk(shift))).unit_id)).name


# --- generateDutyRoster -----------------------------------------------------------------------------------------


async def test_a_street_roster_spreads_its_paired_units_evenly(demo: Api) -> None:
    # Four units founded by their secretaries through the API; two pair with the street, one with a community below
    # it (it counts for the street), one with another street's community (it does not).
    for phone, name in ((A_STAFF, UNIT_A), (B_STAFF, UNIT_B), (C_STAFF, UNIT_C), (D_STAFF, UNIT_D)):
        await person(demo, phone, f"{name[:2]}书记")
        body = await demo.ok(CREATE_ORG, {"input": {"name": name, "kind": "PARTNER_UNIT"}}, as_=phone)
        assert body["createOrg"]["errors"] == []
    for unit, org, phone in ((UNIT_A, STREET, STREET_ADMIN), (UNIT_B, STREET, STREET_ADMIN),
                             (UNIT_C, COMMUNITY, COMMUNITY_ADMIN), (UNIT_D, XUNSIDING, ADMIN0)):
        body = await demo.ok(PAIR, {"input": {"partnerUnitId": await org_id(unit), "orgId": await org_id(org)}},
                             as_=phone)
        assert body == {"pairPartner": {"errors": []}}

    body = await generate(demo, STREET, 1, 15, per_day=2)  # 15 days of 2: 30 shifts over 4 units
    assert body == {"centre": {"name": STREET}, "createdCount": 30, "keptCount": 0, "unitCount": 4, "shortDays": [],
                    "errors": []}
    planned = await roster(STREET, 1, 15)
    assert list(planned) == [day(n) for n in range(1, 16)]
    assert all(len(units) == 2 == len(set(units)) for units in planned.values()), planned
    counts = Counter(unit for units in planned.values() for unit in units)
    assert counts == {JIEAN: 8, UNIT_A: 8, UNIT_B: 7, UNIT_C: 7}
    assert max(counts.values()) - min(counts.values()) <= 1
    # 捷安's unserved demo shifts in the period gave way; its served days and today's shift (outside) stayed.
    street = await oid(STREET)
    assert await ShiftRow.filter(centre_id=street).count() == DEMO_SERVED + 1 + 30
    assert await ShiftRow.filter(centre_id=street, checked_in_at__not_isnull=True).count() == DEMO_SERVED
    assert await roster(STREET, 0, 0) == {day(0): [JIEAN]}

    # The community's own roster takes only what is paired with it or below: 丙, not 捷安 (paired with the street).
    body = await generate(demo, COMMUNITY, 16, 18, as_=COMMUNITY_ADMIN)
    assert body == {"centre": {"name": COMMUNITY}, "createdCount": 3, "keptCount": 0, "unitCount": 1, "shortDays": [],
                    "errors": []}
    assert await roster(COMMUNITY) == {day(n): [UNIT_C] for n in (16, 17, 18)}
    await assert_one_centre_a_day()


async def test_an_ancestors_admin_and_street_staff_may_plan(demo: Api) -> None:
    await person(demo, "13900000009", "街道干事", (STREET, MemberRole.STAFF))
    for phone in (ADMIN0, "13900000009"):
        body = await generate(demo, STREET, 0, 1, as_=phone)
        assert body["errors"] == [] and body["createdCount"] == 2, phone


async def test_regeneration_replaces_unserved_shifts_and_keeps_served_ones(demo: Api) -> None:
    await staffed_units(demo, UNIT_A, UNIT_B, UNIT_C)
    first = await generate(demo, STREET, 0, 5)
    assert first == {"centre": {"name": STREET}, "createdCount": 6, "keptCount": 0, "unitCount": 4, "shortDays": [],
                     "errors": []}
    assert await roster(STREET, 0, 6) == {day(0): [JIEAN], day(1): [UNIT_A], day(2): [UNIT_B], day(3): [UNIT_C],
                                          day(4): [JIEAN], day(5): [UNIT_A], day(6): [JIEAN]}  # +6: the demo's
    today = await ShiftRow.get(centre_id=await oid(STREET), duty_date=day(0))
    served = await check_in(demo, gid("DutyShift", today.id), as_=PARTNER_ADMIN)
    assert served["errors"] == []

    # Two a day now: the served shift stays and counts, 11 new ones fill the 12 places, 3 per unit.
    second = await generate(demo, STREET, 0, 5, per_day=2)
    assert second == {"centre": {"name": STREET}, "createdCount": 11, "keptCount": 1, "unitCount": 4,
                      "shortDays": [], "errors": []}
    planned = await roster(STREET, 0, 5)
    assert all(len(units) == 2 == len(set(units)) for units in planned.values()), planned
    assert Counter(u for units in planned.values() for u in units) == {JIEAN: 3, UNIT_A: 3, UNIT_B: 3, UNIT_C: 3}
    kept = await ShiftRow.get(centre_id=await oid(STREET), duty_date=day(0), checked_in_at__not_isnull=True)
    assert (kept.id, kept.unit_id, kept.checked_in_by_id) == (today.id, await oid(JIEAN), demo.users[PARTNER_ADMIN])

    # A shorter period touches only its days: the shifts around it keep their ids.
    around = {(r.duty_date, r.id) for r in await ShiftRow.filter(centre_id=await oid(STREET))
              if not day(2) <= r.duty_date <= day(3)}
    third = await generate(demo, STREET, 2, 3, per_day=1)
    assert (third["createdCount"], third["keptCount"], third["errors"]) == (2, 0, [])
    assert {(r.duty_date, r.id) for r in await ShiftRow.filter(centre_id=await oid(STREET))
            if not day(2) <= r.duty_date <= day(3)} == around
    assert [len(units) for units in (await roster(STREET, 2, 3)).values()] == [1, 1]
    # The demo's past served shifts were never touched.
    assert await ShiftRow.filter(centre_id=await oid(STREET), duty_date__lt=day(0)).count() == DEMO_SERVED
    await assert_one_centre_a_day()


async def test_a_period_of_exactly_366_days_is_planned(demo: Api) -> None:
    body = await generate(demo, STREET, 1, 366)
    assert body == {"centre": {"name": STREET}, "createdCount": 366, "keptCount": 0, "unitCount": 1, "shortDays": [],
                    "errors": []}
    assert await ShiftRow.filter(centre_id=await oid(STREET)).count() == DEMO_SERVED + 1 + 366


RANGE = "Must be between 1 and 100"
ROSTER_INVALID = [  # change to a valid request for 嘉莲街道 (one paired unit; days from today) -> errors, in English
    ({"unitsPerDay": 2}, [(["unitsPerDay"], "INVALID", "Partner units paired: 1; at most that many a day")]),
    ({"unitsPerDay": 0}, [(["unitsPerDay"], "INVALID", RANGE)]),
    ({"unitsPerDay": 101}, [(["unitsPerDay"], "INVALID", RANGE)]),
    ({"from": -1}, [(["from"], "INVALID", "Cannot be before today")]),
    ({"from": 3, "to": 2}, [(["to"], "INVALID", "Must not be before the first day")]),
    ({"from": 1, "to": 367}, [(["to"], "INVALID", "A roster may span at most 366 days")]),
    ({"from": -2, "to": -3, "unitsPerDay": -1}, [(["from"], "INVALID", "Cannot be before today"),
                                                  (["to"], "INVALID", "Must not be before the first day"),
                                                  (["unitsPerDay"], "INVALID", RANGE)]),
    ({"centreOrgId": 9999}, [(["centreOrgId"], "NOT_FOUND", "No such object")]),
    ({"centreOrgId": "garbage"}, [(["centreOrgId"], "NOT_FOUND", "No such object")]),
]


async def test_roster_validation_in_english(demo: Api) -> None:
    seen = []
    for change, _errors in ROSTER_INVALID:
        payload = {"centreOrgId": await org_id(STREET), "from": iso(0), "to": iso(3), "unitsPerDay": 1, **change}
        payload["from"], payload["to"] = iso(payload["from"]) if "from" in change else payload["from"], \
            iso(payload["to"]) if "to" in change else payload["to"]
        if isinstance(payload["centreOrgId"], int):
            payload["centreOrgId"] = gid("Org", payload["centreOrgId"])
        body = (await demo.ok(GENERATE, {"input": payload}, as_=STREET_ADMIN, lang="en"))["generateDutyRoster"]
        assert (body["centre"], body["createdCount"], body["unitCount"], body["shortDays"]) == (None, 0, 0, [])
        seen.append((change, [(e["field"], e["code"], e["message"]) for e in body["errors"]]))
    assert seen == ROSTER_INVALID
    assert await ShiftRow.all().count() == DEMO_SHIFTS


@pytest.mark.parametrize("centre, phone", [(BRANCH, BRANCH_ADMIN), (JIEAN, PARTNER_ADMIN), (DISTRICT, ADMIN0)])
async def test_a_roster_belongs_to_a_street_or_community(demo: Api, centre: str, phone: str) -> None:
    body = await generate(demo, centre, 0, 3, as_=phone, lang="en")
    assert body == {"centre": None, "createdCount": 0, "keptCount": 0, "unitCount": 0, "shortDays": [], "errors": [
        {"field": ["centreOrgId"], "code": "INVALID", "message": "A duty roster belongs to a street or community"}]}
    assert await ShiftRow.all().count() == DEMO_SHIFTS


async def test_a_centre_without_paired_units_cannot_plan(demo: Api) -> None:
    # 鹭江派出所 is paired with 鹭江街道, not with 小学社区 below it.
    body = await generate(demo, XIAOXUE, 0, 3, as_=ADMIN0, lang="en")
    assert body["errors"] == [{"field": ["centreOrgId"], "code": "INVALID",
                               "message": "No partner units are paired with this organisation or below it"}]
    zh = await generate(demo, XIAOXUE, 0, 3, as_=ADMIN0)
    assert zh["errors"] == [{"field": ["centreOrgId"], "code": "INVALID",
                             "message": "该组织及其下级没有结对共建单位，无法排班"}]
    body = await generate(demo, LUJIANG, 0, 3, as_=ADMIN0)
    assert body["errors"] == [] and body["unitCount"] == 1
    assert await roster(LUJIANG) == {day(n): [POLICE] for n in range(4)}


async def test_only_managers_of_the_centre_plan(demo: Api) -> None:
    variables = {"input": {"centreOrgId": await org_id(STREET), "from": iso(0), "to": iso(3), "unitsPerDay": 1}}
    # A community's admin (below the street), the branch, the unit on the roster, a member, a resident.
    for phone in (COMMUNITY_ADMIN, BRANCH_ADMIN, PARTNER_ADMIN, MEMBER, RESIDENT):
        body = await demo(GENERATE, variables, as_=phone, lang="en")
        assert body["data"] is None, phone
        assert [(e["message"], e["extensions"]["code"]) for e in body["errors"]] == [
            ("You are not allowed to do this", "FORBIDDEN")], phone
    body = await demo(GENERATE, variables, lang="en")
    assert body["data"] is None
    assert [(e["message"], e["extensions"]["code"]) for e in body["errors"]] == [
        ("You need to log in", "UNAUTHENTICATED")]
    # Rights come before validation: a stranger learns nothing about the input.
    bad = {"input": {**variables["input"], "from": iso(-5), "unitsPerDay": 0}}
    assert code(await demo(GENERATE, bad, as_=RESIDENT)) == "FORBIDDEN"
    assert await ShiftRow.all().count() == DEMO_SHIFTS


async def test_a_unit_shared_by_two_centres_is_planned_around_its_other_days(demo: Api) -> None:
    # 捷安 serves at 嘉莲街道 today..+6 (the demo) and is paired with 巡司顶社区 too: alone there it leaves 7 days short.
    body = await generate(demo, XUNSIDING, 0, 9, as_=ADMIN0)
    assert body == {"centre": {"name": XUNSIDING}, "createdCount": 3, "keptCount": 0, "unitCount": 1,
                    "shortDays": [iso(n) for n in range(7)], "errors": []}
    assert await roster(XUNSIDING) == {day(n): [JIEAN] for n in (7, 8, 9)}
    # With a second unit the days are covered, and 捷安 still only where it is free.
    await new_unit(UNIT_D, XUNSIDING)
    body = await generate(demo, XUNSIDING, 0, 9, as_=ADMIN0)
    assert body == {"centre": {"name": XUNSIDING}, "createdCount": 10, "keptCount": 0, "unitCount": 2,
                    "shortDays": [], "errors": []}
    planned = await roster(XUNSIDING)
    assert planned == {**{day(n): [UNIT_D] for n in range(7)}, day(7): [JIEAN], day(8): [JIEAN], day(9): [JIEAN]}
    # Two a day: only 丁 is free while 捷安 is at the street.
    body = await generate(demo, XUNSIDING, 0, 9, per_day=2, as_=ADMIN0)
    assert body["shortDays"] == [iso(n) for n in range(7)] and body["createdCount"] == 7 + 2 * 3
    # The other way round: the street's roster now avoids 捷安's days at 巡司顶 (+7..+9).
    await new_unit(UNIT_A, STREET)
    body = await generate(demo, STREET, 1, 9)
    assert body["errors"] == [] and body["shortDays"] == []
    street = await roster(STREET, 1, 9)
    assert all(street[day(n)] == [UNIT_A] for n in (7, 8, 9)), street
    await assert_one_centre_a_day()


# --- the planner, by property -----------------------------------------------------------------------------------

START = date(2030, 1, 1)


@st.composite
def plan_inputs(draw: st.DrawFn, *, busy: bool = False, taken: bool = False) -> dict:
    """Units (distinct ids in any order), consecutive days, per_day ≤ units, and optionally busy and taken days."""
    units = draw(st.lists(st.integers(1, 500), min_size=1, max_size=12, unique=True))
    days = [START + timedelta(days=i) for i in range(draw(st.integers(1, 45)))]
    out: dict = {"units": units, "days": days, "per_day": draw(st.integers(1, len(units)))}
    if busy:
        out["busy"] = draw(st.sets(st.tuples(st.sampled_from(units), st.sampled_from(days)), max_size=60))
    if taken:
        out["taken"] = {d: draw(st.lists(st.sampled_from(units), max_size=len(units), unique=True)) for d in days
                        if draw(st.booleans())}
    return out


def _by_day(planned: list[tuple[date, int]]) -> dict[date, list[int]]:
    out: dict[date, list[int]] = {}
    for d, unit in planned:
        out.setdefault(d, []).append(unit)
    return out


@settings(max_examples=150, deadline=None, derandomize=True, database=None)
@given(case=plan_inputs())
def test_plan_is_even_and_fills_every_day(case: dict) -> None:
    planned = duty_model.plan(**case)
    per_day, days, units = case["per_day"], case["days"], case["units"]
    by_day = _by_day(planned)
    assert list(by_day) == days  # day by day, every day
    for d, day_units in by_day.items():
        assert len(day_units) == per_day and len(set(day_units)) == per_day, (d, day_units)
        assert set(day_units) <= set(units)
    counts = Counter({unit: 0 for unit in units}) + Counter(unit for _d, unit in planned)
    shifts = [counts[unit] for unit in units]
    assert max(shifts) - min(shifts) <= 1, counts
    assert sum(shifts) == per_day * len(days)


@settings(max_examples=150, deadline=None, derandomize=True, database=None)
@given(case=plan_inputs(busy=True))
def test_plan_never_uses_a_busy_day(case: dict) -> None:
    planned = duty_model.plan(**case)
    busy, per_day = case["busy"], case["per_day"]
    assert not [pair for pair in planned if (pair[1], pair[0]) in busy]
    by_day = _by_day(planned)
    for d in case["days"]:
        day_units = by_day.get(d, [])
        free = [u for u in case["units"] if (u, d) not in busy]
        assert len(set(day_units)) == len(day_units) == min(per_day, len(free)), (d, day_units, free)


@settings(max_examples=100, deadline=None, derandomize=True, database=None)
@given(case=plan_inputs(busy=True, taken=True))
def test_plan_fills_up_around_shifts_that_stay(case: dict) -> None:
    planned = duty_model.plan(**case)
    busy, taken, per_day = case["busy"], case["taken"], case["per_day"]
    by_day = _by_day(planned)
    for d in case["days"]:
        kept, new = taken.get(d, []), by_day.get(d, [])
        assert not set(kept) & set(new) and len(set(new)) == len(new)
        assert not [u for u in new if (u, d) in busy]
        free = [u for u in case["units"] if u not in kept and (u, d) not in busy]
        assert len(new) == min(len(free), max(0, per_day - len(kept))), (d, kept, new, free)


# --- swapDuty ---------------------------------------------------------------------------------------------------


async def three_shifts(demo: Api) -> tuple[str, str, str]:
    """甲 at +1, 乙 at +2, 丙 at +3, all at 嘉莲街道's centre; each unit has its own staff account."""
    await staffed_units(demo, UNIT_A, UNIT_B, UNIT_C)
    return await put(STREET, UNIT_A, 1), await put(STREET, UNIT_B, 2), await put(STREET, UNIT_C, 3)


def traded(shift: str, shift_day: int, unit: str, with_shift: str, with_day: int, with_unit: str, *,
           swapped: bool) -> dict:
    return {"swapped": swapped, "errors": [],
            "shift": {"id": shift, "date": iso(shift_day), "unit": {"name": unit}},
            "withShift": {"id": with_shift, "date": iso(with_day), "unit": {"name": with_unit}}}


async def test_centre_staff_swap_at_once(demo: Api) -> None:
    a, b, c = await three_shifts(demo)
    body = await swap(demo, a, b)
    assert body == traded(a, 1, UNIT_B, b, 2, UNIT_A, swapped=True)
    assert (await unit_name(a), await unit_name(b), await unit_name(c)) == (UNIT_B, UNIT_A, UNIT_C)
    # An ancestor's admin too, and back again.
    body = await swap(demo, b, a, as_=ADMIN0)
    assert body == traded(b, 2, UNIT_B, a, 1, UNIT_A, swapped=True)
    assert (await unit_name(a), await unit_name(b)) == (UNIT_A, UNIT_B)
    assert await ConsentRow.all().count() == 0


async def test_a_swap_needs_both_units_consent(demo: Api) -> None:
    a, b, c = await three_shifts(demo)
    body = await swap(demo, a, b, as_=A_STAFF)
    assert body == traded(a, 1, UNIT_A, b, 2, UNIT_B, swapped=False)
    assert (await unit_name(a), await unit_name(b)) == (UNIT_A, UNIT_B)
    consent = await ConsentRow.get()
    assert (consent.shift_id, consent.with_shift_id, consent.unit_id, consent.with_unit_id, consent.given_by_id) == (
        pk(a), pk(b), await oid(UNIT_A), await oid(UNIT_B), demo.users[A_STAFF])
    # 甲's offer shows to 甲's and the centre's managers, to nobody else (not even to 乙's, whose consent it awaits).
    offer = [{"date": iso(2), "unit": {"name": UNIT_B}}]
    for phone, offers in ((A_STAFF, offer), (STREET_ADMIN, offer), (ADMIN0, offer), (B_STAFF, []), (C_STAFF, []),
                          (COMMUNITY_ADMIN, []), (MEMBER, []), (PARTNER_ADMIN, [])):
        assert (await demo.ok(OFFERS, {"id": a}, as_=phone))["node"] == {"swapOffers": offers}, phone
    assert (await demo.ok(OFFERS, {"id": b}, as_=STREET_ADMIN))["node"] == {"swapOffers": []}
    # 乙's side sees the request on its own shift (what it is asked to accept); outsiders do not.
    request = [{"date": iso(1), "unit": {"name": UNIT_A}}]
    for phone, requests in ((B_STAFF, request), (STREET_ADMIN, request), (A_STAFF, []), (C_STAFF, []),
                            (MEMBER, [])):
        assert (await demo.ok(REQUESTS, {"id": b}, as_=phone))["node"] == {"swapRequests": requests}, phone
    assert (await demo.ok(REQUESTS, {"id": a}, as_=B_STAFF))["node"] == {"swapRequests": []}
    # Asking again changes nothing; then 乙 agrees (either way round) and the shifts trade.
    assert (await swap(demo, b, a, as_=A_STAFF))["swapped"] is False
    assert await ConsentRow.all().count() == 1
    body = await swap(demo, a, b, as_=B_STAFF)
    assert body == traded(a, 1, UNIT_B, b, 2, UNIT_A, swapped=True)
    assert (await unit_name(a), await unit_name(b), await unit_name(c)) == (UNIT_B, UNIT_A, UNIT_C)
    assert await ConsentRow.all().count() == 0
    assert (await demo.ok(OFFERS, {"id": a}, as_=STREET_ADMIN))["node"] == {"swapOffers": []}
    assert (await demo.ok(REQUESTS, {"id": b}, as_=B_STAFF))["node"] == {"swapRequests": []}


async def test_a_stale_consent_does_not_count(demo: Api) -> None:
    a, b, c = await three_shifts(demo)
    assert (await swap(demo, a, b, as_=A_STAFF))["swapped"] is False  # 甲 offers +1 for 乙's +2
    assert (await swap(demo, b, c))["swapped"] is True  # the centre moves 乙 to +3 and 丙 to +2
    assert (await demo.ok(OFFERS, {"id": a}, as_=A_STAFF))["node"] == {"swapOffers": []}
    # 丙 now holds +2 and agrees: 甲 consented to trade with 乙, not with 丙.
    body = await swap(demo, b, a, as_=C_STAFF)
    assert body == traded(b, 2, UNIT_C, a, 1, UNIT_A, swapped=False)
    assert (await unit_name(a), await unit_name(b), await unit_name(c)) == (UNIT_A, UNIT_C, UNIT_B)
    # A consent stamped with other units than the shifts have now is ignored even if it is still stored.
    await ConsentRow.create(shift_id=pk(a), with_shift_id=pk(b), unit_id=await oid(UNIT_A),
                            with_unit_id=await oid(UNIT_B))
    assert (await demo.ok(OFFERS, {"id": a}, as_=A_STAFF))["node"] == {"swapOffers": []}
    assert (await swap(demo, b, a, as_=C_STAFF))["swapped"] is False
    assert await unit_name(a) == UNIT_A
    # 甲 agreeing now, to the shift as it stands, completes the swap with 丙.
    body = await swap(demo, a, b, as_=A_STAFF)
    assert body == traded(a, 1, UNIT_C, b, 2, UNIT_A, swapped=True)


async def test_swap_refusals(demo: Api) -> None:
    a, b, c = await three_shifts(demo)
    await new_unit(UNIT_D, XUNSIDING)
    same_day = await put(STREET, UNIT_C, 1)
    a_again = await put(STREET, UNIT_A, 4)
    elsewhere = await put(XUNSIDING, UNIT_D, 5)
    served = await put(STREET, UNIT_B, 0, served=True)
    past = await put(STREET, UNIT_B, -1)
    unknown = gid("DutyShift", 9999)
    cases = [  # (shift, with) -> errors in English
        ((a, a), [(["withShiftId"], "INVALID", "Cannot swap a shift with itself")]),
        ((a, elsewhere), [(["withShiftId"], "INVALID", "Shifts can be swapped only within one centre")]),
        ((a, same_day), [(["withShiftId"], "INVALID", "Both shifts are on the same day")]),
        ((a, a_again), [(["withShiftId"], "INVALID", "Both shifts belong to the same unit")]),
        ((a, served), [(["withShiftId"], "INVALID_STATE", "This shift has been served and cannot be swapped")]),
        ((served, a), [(["shiftId"], "INVALID_STATE", "This shift has been served and cannot be swapped")]),
        ((past, c), [(["shiftId"], "INVALID_STATE", "Past shifts cannot be swapped")]),
        ((served, past), [(["withShiftId"], "INVALID", "Both shifts belong to the same unit"),
                          (["shiftId"], "INVALID_STATE", "This shift has been served and cannot be swapped"),
                          (["withShiftId"], "INVALID_STATE", "Past shifts cannot be swapped")]),
        ((unknown, b), [(["shiftId"], "NOT_FOUND", "No such object")]),
        ((a, "garbage"), [(["withShiftId"], "NOT_FOUND", "No such object")]),
        ((gid("Org", 1), a), [(["shiftId"], "NOT_FOUND", "No such object")]),
    ]
    for (shift, with_shift), errors in cases:
        body = await swap(demo, shift, with_shift, lang="en")
        assert body["swapped"] is False and body["shift"] is None and body["withShift"] is None
        assert [(e["field"], e["code"], e["message"]) for e in body["errors"]] == errors, (shift, with_shift)
    # A unit's staff gets the same answers for its own shifts, and gives no consent with them.
    body = await swap(demo, a, same_day, as_=A_STAFF)
    assert [e["code"] for e in body["errors"]] == ["INVALID"]
    assert await ConsentRow.all().count() == 0
    # Nobody else may touch them: the community below the street, other units, members, residents.
    await person(demo, D_STAFF, "丁单位干事", (UNIT_D, MemberRole.STAFF))
    for phone in (COMMUNITY_ADMIN, D_STAFF, PARTNER_ADMIN, MEMBER, RESIDENT):
        body = await demo(SWAP, {"input": {"shiftId": a, "withShiftId": b}}, as_=phone)
        assert body["data"] is None and code(body) == "FORBIDDEN", phone
    # 丁's staff may not pull a shift of another centre into a swap either: only its own shift is its business.
    body = await swap(demo, elsewhere, a, as_=D_STAFF)
    assert body["errors"] == [{"field": ["withShiftId"], "code": "INVALID", "message": "只能与同一服务中心的班次互换"}]
    assert code(await demo(SWAP, {"input": {"shiftId": a, "withShiftId": b}})) == "UNAUTHENTICATED"
    assert (await unit_name(a), await unit_name(b), await unit_name(c)) == (UNIT_A, UNIT_B, UNIT_C)
    assert await ConsentRow.all().count() == 0


async def test_a_swap_onto_a_day_the_unit_serves_elsewhere_conflicts(demo: Api) -> None:
    a, b, _c = await three_shifts(demo)
    # 甲 is also paired with 巡司顶社区 and on duty there on +2, the day it would take over from 乙.
    assert await org_model.pair(partner=await OrgRow.get(name=UNIT_A), org=await OrgRow.get(name=XUNSIDING))
    await put(XUNSIDING, UNIT_A, 2)
    body = await swap(demo, a, b, lang="en")
    assert body == {"swapped": False, "shift": None, "withShift": None, "errors": [
        {"field": ["withShiftId"], "code": "CONFLICT", "message": "The unit is already on duty elsewhere that day"}]}
    # By consent: 乙 agrees after 甲 did, and the same conflict stops it.
    assert (await swap(demo, a, b, as_=A_STAFF))["swapped"] is False
    body = await swap(demo, b, a, as_=B_STAFF)
    assert [e["code"] for e in body["errors"]] == ["CONFLICT"]
    assert (await unit_name(a), await unit_name(b)) == (UNIT_A, UNIT_B)
    await assert_one_centre_a_day()


# --- checkInDuty ------------------------------------------------------------------------------------------------


async def served_counts() -> dict[str, int]:
    counts = {}
    for name in (DISTRICT, STREET, COMMUNITY, BRANCH, XUNSIDING, JIEAN, UNIT_A, UNIT_B):
        org = await OrgRow.get(name=name)
        counts[name] = (await org_model.stats(org_ids=[org.id]))[org.id].served_duty_shift_count
    return counts


async def test_the_unit_checks_in_on_the_day_once(demo: Api) -> None:
    await staffed_units(demo, UNIT_A, UNIT_B, paired_with=(COMMUNITY,))
    shift = await put(COMMUNITY, UNIT_A, 0)
    before = await served_counts()
    assert before == {DISTRICT: 3, STREET: 3, COMMUNITY: 0, BRANCH: 0, XUNSIDING: 0, JIEAN: 3, UNIT_A: 0, UNIT_B: 0}
    assert (await demo.ok(NODE, {"id": shift}, as_=A_STAFF))["node"]["viewerCanCheckIn"] is True
    body = await check_in(demo, shift, as_=A_STAFF)
    checked_at = body["shift"].pop("checkedInAt")
    assert body == {"errors": [], "shift": {
        "id": shift, "date": iso(0), "checkedIn": True, "centre": {"name": COMMUNITY}, "unit": {"name": UNIT_A},
        "checkedInBy": {"displayName": "甲单位干事"}, "viewerCanCheckIn": False}}
    assert abs(datetime.fromisoformat(checked_at) - datetime.now(timezone.utc)) < timedelta(minutes=1)
    row = await ShiftRow.get(id=pk(shift))
    assert row.checked_in_at is not None and row.checked_in_by_id == demo.users[A_STAFF]
    # The centre, its street, the district and the unit count it; others do not.
    assert await served_counts() == {**before, DISTRICT: 4, STREET: 4, COMMUNITY: 1, UNIT_A: 1}
    seen = await demo.ok(STATS, {"id": await org_id(COMMUNITY)})
    assert seen == {"org": {"stats": {"servedDutyShiftCount": 1}}}  # public, like all stats
    # Once only.
    again = await check_in(demo, shift, as_=A_STAFF, lang="en")
    assert again == {"shift": None, "errors": [{"field": ["shiftId"], "code": "INVALID_STATE",
                                                "message": "Already checked in"}]}
    assert (await ShiftRow.get(id=pk(shift))).checked_in_at == row.checked_in_at


async def test_the_demo_unit_checks_in_today(demo: Api) -> None:
    today = gid("DutyShift", (await ShiftRow.get(duty_date=day(0))).id)
    body = await check_in(demo, today, as_=PARTNER_ADMIN)
    assert body["errors"] == [] and body["shift"]["checkedInBy"] == {"displayName": "捷安集团党支部书记"}
    # Who checked in shows to fellow members and managers of the unit, not to the centre's staff.
    for phone, shown in ((PARTNER_ADMIN, True), (STREET_ADMIN, False), (RESIDENT, False)):
        node = await demo.ok("query($id: ID!) { node(id: $id) { ... on DutyShift { checkedIn checkedInBy "
                             "{ displayName } } } }", {"id": today}, as_=phone)
        assert node["node"] == {"checkedIn": True, "checkedInBy": {"displayName": "捷安集团党支部书记"} if shown
                                else None}, phone


async def test_check_in_refusals(demo: Api) -> None:
    await staffed_units(demo, UNIT_A, UNIT_B)
    today, tomorrow, yesterday = [await put(STREET, UNIT_A, n) for n in (0, 1, -1)]
    for shift, offset in ((tomorrow, 1), (yesterday, -1)):
        body = await check_in(demo, shift, as_=A_STAFF, lang="en")
        message = f"Check-in is only possible on the duty day ({iso(offset)})"
        assert body == {"shift": None, "errors": [{"field": ["shiftId"], "code": "INVALID_STATE", "message": message}]}
        assert (await demo.ok(NODE, {"id": shift}, as_=A_STAFF))["node"]["viewerCanCheckIn"] is False
    # "By the unit": another unit's staff, the centre's staff, the district, a member of the unit's area may not.
    await person(demo, "13900000008", "甲公司党员", (UNIT_A, MemberRole.MEMBER))
    await person(demo, "13900000007", "甲公司专员", (UNIT_A, MemberRole.COMMISSIONER))
    for phone in (B_STAFF, STREET_ADMIN, ADMIN0, PARTNER_ADMIN, RESIDENT, "13900000008", "13900000007"):
        body = await demo(CHECK_IN, {"input": {"shiftId": today}}, as_=phone)
        assert body["data"] is None and code(body) == "FORBIDDEN", phone
        assert (await demo.ok(NODE, {"id": today}, as_=phone))["node"]["viewerCanCheckIn"] is False, phone
    assert code(await demo(CHECK_IN, {"input": {"shiftId": today}})) == "UNAUTHENTICATED"
    body = await check_in(demo, gid("DutyShift", 9999), as_=A_STAFF)
    assert body == {"shift": None, "errors": [{"field": ["shiftId"], "code": "NOT_FOUND", "message": "找不到该对象"}]}
    assert await ShiftRow.filter(checked_in_at__not_isnull=True).count() == DEMO_SERVED
    # An ADMIN of the unit may, as its staff may.
    await person(demo, A_ADMIN, "甲公司书记", (UNIT_A, MemberRole.ADMIN))
    assert (await check_in(demo, today, as_=A_ADMIN))["errors"] == []


async def test_a_served_shift_can_no_longer_be_swapped(demo: Api) -> None:
    a, b, _c = await three_shifts(demo)
    today = await put(STREET, UNIT_C, 0)
    assert (await check_in(demo, today, as_=C_STAFF))["errors"] == []
    body = await swap(demo, today, a)
    assert [(e["field"], e["code"]) for e in body["errors"]] == [(["shiftId"], "INVALID_STATE")]
    # And a regeneration keeps it.
    body = await generate(demo, STREET, 0, 2, per_day=2)
    assert body["keptCount"] == 1 and (await ShiftRow.get(id=pk(today))).unit_id == await oid(UNIT_C)
    assert not await ShiftRow.exists(id=pk(a)) and not await ShiftRow.exists(id=pk(b))  # unserved: replaced


# --- dutyShifts and node ----------------------------------------------------------------------------------------


def listed(offset: int, centre: str, unit: str, served: bool = False) -> dict:
    return {"date": iso(offset), "centre": {"name": centre}, "unit": {"name": unit}, "checkedIn": served}


async def shifts(demo: Api, *, as_: str = RESIDENT, first: int | None = 100, after: str | None = None,
                 **filter_: object) -> dict:
    variables = {"filter": filter_ or None, "first": first, "after": after}
    return (await demo.ok(SHIFTS, variables, as_=as_))["dutyShifts"]


async def test_duty_shifts_filters_and_order(demo: Api) -> None:
    await new_unit(UNIT_A, COMMUNITY)
    await new_unit(UNIT_D, XUNSIDING)
    # Inserted out of order: the list is by day, then by id.
    await put(XUNSIDING, UNIT_D, 2)
    await put(COMMUNITY, UNIT_A, 1)
    await put(XUNSIDING, JIEAN, 8)
    await put(COMMUNITY, UNIT_A, 0)
    await put(XUNSIDING, UNIT_D, 1)
    demo_rows = [listed(n, STREET, JIEAN, n < 0) for n in range(-3, 7)]
    everything = await shifts(demo)
    assert everything == {"totalCount": 15, "pageInfo": {"hasNextPage": False, "endCursor": everything["pageInfo"][
        "endCursor"]}, "nodes": [*demo_rows[:3], listed(0, STREET, JIEAN), listed(0, COMMUNITY, UNIT_A),
                                 listed(1, STREET, JIEAN), listed(1, COMMUNITY, UNIT_A), listed(1, XUNSIDING, UNIT_D),
                                 listed(2, STREET, JIEAN), listed(2, XUNSIDING, UNIT_D), *demo_rows[6:],
                                 listed(8, XUNSIDING, JIEAN)]}

    async def names(**filter_: object) -> list[tuple[str, str, str]]:
        page = await shifts(demo, **filter_)
        assert page["totalCount"] == len(page["nodes"])
        return [(n["date"], n["centre"]["name"], n["unit"]["name"]) for n in page["nodes"]]

    community = [(iso(0), COMMUNITY, UNIT_A), (iso(1), COMMUNITY, UNIT_A)]
    assert await names(orgId=await org_id(COMMUNITY)) == community
    street = await names(orgId=await org_id(STREET))  # the street's centre and its community's
    assert len(street) == 12 and [s for s in street if s[1] == COMMUNITY] == community
    assert [s[0] for s in street] == sorted(s[0] for s in street)
    assert await names(orgId=await org_id(XIAGANG)) == [(iso(1), XUNSIDING, UNIT_D), (iso(2), XUNSIDING, UNIT_D),
                                                        (iso(8), XUNSIDING, JIEAN)]
    assert len(await names(orgId=await org_id(DISTRICT))) == 15
    # A partner unit: the shifts it serves, at any centre.
    jiean = await names(orgId=await org_id(JIEAN))
    assert len(jiean) == 11 and jiean[-1] == (iso(8), XUNSIDING, JIEAN)
    assert await names(orgId=await org_id(UNIT_D)) == [(iso(1), XUNSIDING, UNIT_D), (iso(2), XUNSIDING, UNIT_D)]
    assert await names(orgId=await org_id(BRANCH)) == []
    assert await names(orgId="garbage") == [] and await names(orgId=gid("Org", 9999)) == []
    # Days, inclusive.
    assert await names(**{"from": iso(1), "to": iso(1)}) == [(iso(1), STREET, JIEAN), (iso(1), COMMUNITY, UNIT_A),
                                                             (iso(1), XUNSIDING, UNIT_D)]
    assert await names(**{"orgId": await org_id(STREET), "from": iso(5)}) == [(iso(5), STREET, JIEAN),
                                                                              (iso(6), STREET, JIEAN)]
    assert [s[0] for s in await names(to=iso(-2))] == [iso(-3), iso(-2)]
    assert await names(**{"from": iso(3), "to": iso(2)}) == []


async def test_duty_shifts_need_login(demo: Api) -> None:
    body = await demo(SHIFTS, {}, lang="en")
    assert body["data"] is None
    assert [(e["message"], e["extensions"]["code"]) for e in body["errors"]] == [
        ("You need to log in", "UNAUTHENTICATED")]
    # Every logged-in user sees the roster, like the list on the centre's wall.
    for phone in (RESIDENT, MEMBER, PARTNER_ADMIN, ADMIN0):
        assert (await shifts(demo, as_=phone))["totalCount"] == DEMO_SHIFTS, phone


async def test_duty_shifts_pages_by_keyset(demo: Api) -> None:
    await new_unit(UNIT_A, STREET)
    await put(STREET, UNIT_A, 0)
    await put(STREET, UNIT_A, 2)
    street = await org_id(STREET)
    pages, after = [], None
    while True:
        page = await shifts(demo, first=4, after=after, orgId=street)
        assert page["totalCount"] == 12
        pages.append([(n["date"], n["unit"]["name"]) for n in page["nodes"]])
        after = page["pageInfo"]["endCursor"]
        if not page["pageInfo"]["hasNextPage"]:
            break
    assert [len(p) for p in pages] == [4, 4, 4]
    flat = [entry for p in pages for entry in p]
    assert flat[3:7] == [(iso(0), JIEAN), (iso(0), UNIT_A), (iso(1), JIEAN), (iso(2), JIEAN)]
    assert flat == sorted(flat, key=lambda e: e[0]) and len(set(flat)) == 12

    # A cursor in the middle of a day stays valid when the roster is regenerated around it: the page goes on after
    # that (day, id) with whatever the roster holds now.
    first = await shifts(demo, first=5, orgId=street)  # ends with 甲 on today
    cursor = first["pageInfo"]["endCursor"]
    assert first["nodes"][-1] == listed(0, STREET, UNIT_A)
    assert (await generate(demo, STREET, 1, 4))["errors"] == []
    rest = await shifts(demo, first=100, after=cursor, orgId=street)
    assert [(n["date"], n["unit"]["name"]) for n in rest["nodes"]] == [
        (iso(1), JIEAN), (iso(2), UNIT_A), (iso(3), JIEAN), (iso(4), UNIT_A), (iso(5), JIEAN), (iso(6), JIEAN)]
    assert rest["pageInfo"]["hasNextPage"] is False
    # An empty page: no end cursor, no next page.
    empty = await shifts(demo, first=0, orgId=street)
    assert empty == {"totalCount": 11, "pageInfo": {"hasNextPage": True, "endCursor": None}, "nodes": []}
    # Cursors far out of range are clamped, not errors.
    beyond = encode_pair_cursor(date.max.toordinal() + 5, 1)
    assert (await shifts(demo, after=beyond))["nodes"] == []
    before = encode_pair_cursor(-5, -5)
    assert len((await shifts(demo, after=before))["nodes"]) == 11


@pytest.mark.parametrize("cursor", [
    "garbage", "", base64.b64encode(b"x:1:2").decode(), base64.b64encode(b"p:1").decode(),
    base64.b64encode(b"p:a:b").decode(), base64.b64encode(b"p:1:99999999999").decode(), "cDox\u00e9",
])
async def test_a_malformed_cursor_is_a_top_level_invalid(demo: Api, cursor: str) -> None:
    body = await demo(SHIFTS, {"after": cursor}, as_=RESIDENT, lang="en")
    assert body["data"] is None
    assert [(e["message"], e["extensions"]) for e in body["errors"]] == [
        ("Invalid pagination cursor", {"code": "INVALID", "field": ["after"]})]


async def test_a_cursor_of_another_list_is_refused(demo: Api) -> None:
    body = await demo(SHIFTS, {"after": encode_cursor(5)}, as_=RESIDENT)
    assert code(body) == "INVALID"


async def test_a_shift_by_node_id(demo: Api) -> None:
    row = await ShiftRow.get(duty_date=day(0))
    shift = gid("DutyShift", row.id)
    expected = {"__typename": "DutyShift", "id": shift, "date": iso(0), "checkedIn": False,
                "centre": {"name": STREET}, "unit": {"name": JIEAN}, "viewerCanCheckIn": False}
    for phone in (RESIDENT, STREET_ADMIN):
        assert await demo.ok(NODE, {"id": shift}, as_=phone) == {"node": expected}
    assert await demo.ok(NODE, {"id": shift}, as_=PARTNER_ADMIN) == {"node": {**expected, "viewerCanCheckIn": True}}
    assert await demo.ok(NODE, {"id": shift}) == {"node": None}
    assert await demo.ok(NODE, {"id": gid("DutyShift", 9999)}, as_=RESIDENT) == {"node": None}
    ids = [shift, gid("DutyShift", 9999), gid("DutyShift", row.id + 1)]
    assert await demo.ok(NODES, {"ids": ids}, as_=RESIDENT) == {"nodes": [
        {"date": iso(0), "unit": {"name": JIEAN}}, None, {"date": iso(1), "unit": {"name": JIEAN}}]}
    assert await demo.ok(NODES, {"ids": ids}) == {"nodes": [None, None, None]}


async def _screen(demo: Api, first: int, phone: str) -> tuple[int, dict]:
    variables = {"filter": {"orgId": await org_id(STREET), "from": iso(1)}, "first": first}
    with count_sql() as sql:
        body = await demo.ok(SCREEN, variables, as_=phone)
    return sql.count, body["dutyShifts"]


async def test_a_roster_screen_costs_the_same_for_a_short_and_a_long_page(demo: Api) -> None:
    await staffed_units(demo, UNIT_A, UNIT_B, UNIT_C)
    assert (await generate(demo, STREET, 0, 13, per_day=2))["createdCount"] == 28
    rows = await ShiftRow.filter(centre_id=await oid(STREET), duty_date__gte=day(1)).order_by("duty_date", "id")
    await staffed_units(demo, UNIT_D)  # paired later: its one shift lies beyond the long page
    far = await ShiftRow.get(id=pk(await put(STREET, UNIT_D, 20)))
    # Offers by four units, two on the first rows; one of them is for the far shift, whose unit is on no page.
    names = {o.id: o.name for o in await OrgRow.filter(kind=OrgKind.PARTNER_UNIT)}
    for own, other in ((rows[0], far), (rows[1], rows[3]), (rows[6], rows[8]), (rows[7], rows[9])):
        assert own.unit_id != other.unit_id and own.duty_date != other.duty_date
        phone = STAFF.get(names[own.unit_id], PARTNER_ADMIN)
        result = await swap(demo, gid("DutyShift", own.id), gid("DutyShift", other.id), as_=phone)
        assert result["errors"] == [] and result["swapped"] is False
    # Statements: the page, its count, the viewer's roles, the orgs, ancestors of the units and of the centre, the
    # offers, the offered shifts, their units (when not on the page already) -- 9 for a centre manager, whatever the
    # page size; 甲's staff see 甲's one offer (to a unit on the page: 8); a resident has no rights to look up (4).
    for phone, short, expected, offers in ((STREET_ADMIN, 2, 9, 4), (A_STAFF, 8, 8, 1), (RESIDENT, 2, 4, 0)):
        few, page = await _screen(demo, short, phone)
        many, twenty = await _screen(demo, 20, phone)
        assert (len(page["edges"]), len(twenty["edges"]), twenty["totalCount"]) == (short, 20, 26 + 1)
        assert (few, many) == (expected, expected), phone
        assert sum(len(e["node"]["swapOffers"]) for e in twenty["edges"]) == offers, phone
    first = (await _screen(demo, 2, STREET_ADMIN))[1]["edges"][0]["node"]
    assert first["swapOffers"] == [{"id": gid("DutyShift", far.id), "date": iso(20), "unit": {"name": UNIT_D}}]


# --- concurrency (SQLite and PostgreSQL) ------------------------------------------------------------------------


async def test_concurrent_rosters_of_two_centres_sharing_units(demo: Api) -> None:
    # 捷安, 甲 and 乙 serve both 嘉莲街道 and 巡司顶社区; 丙 only the street, 丁 only the community.
    for name in (UNIT_A, UNIT_B):
        await new_unit(name, STREET, XUNSIDING)
    await new_unit(UNIT_C, STREET)
    await new_unit(UNIT_D, XUNSIDING)
    calls = []
    for per_day in (1, 2, 3):
        calls.append(generate_call(demo, STREET, per_day))
        calls.append(generate_call(demo, XUNSIDING, per_day))
    bodies = await asyncio.gather(*calls)
    results = outcomes(bodies, "generateDutyRoster")
    assert set(results) <= {"OK", "CONFLICT"} and results["OK"] >= 1, results
    await assert_one_centre_a_day()
    units = {STREET: {JIEAN, UNIT_A, UNIT_B, UNIT_C}, XUNSIDING: {JIEAN, UNIT_A, UNIT_B, UNIT_D}}
    for centre, allowed in units.items():
        for units_on_day in (await roster(centre, 0, 13)).values():
            assert set(units_on_day) <= allowed and len(units_on_day) <= 3
    # Whatever happened, each centre plans cleanly afterwards.
    for centre in (STREET, XUNSIDING):
        body = await generate(demo, centre, 0, 13, per_day=2, as_=ADMIN0)
        assert body["errors"] == [], body
    await assert_one_centre_a_day()
    for centre in (STREET, XUNSIDING):
        assert all(len(units_on_day) <= 2 for units_on_day in (await roster(centre, 0, 13)).values())


def generate_call(demo: Api, centre: str, per_day: int, *, as_: str = ADMIN0, end: int = 13):  # noqa: ANN201
    """A generateDutyRoster request from today to `end`, not yet awaited."""
    async def call() -> dict:
        variables = {"input": {"centreOrgId": await org_id(centre), "from": iso(0), "to": iso(end),
                               "unitsPerDay": per_day}}
        return await demo(GENERATE, variables, as_=as_)
    return call()


async def test_concurrent_rosters_of_one_centre(demo: Api) -> None:
    await staffed_units(demo, UNIT_A, UNIT_B)
    bodies = await asyncio.gather(*(generate_call(demo, STREET, 1 + i % 3) for i in range(6)))
    results = outcomes(bodies, "generateDutyRoster")
    assert set(results) <= {"OK", "CONFLICT"} and results["OK"] >= 1, results
    await assert_one_centre_a_day()
    planned = await roster(STREET, 0, 13)
    assert list(planned) == [day(n) for n in range(14)]
    sizes = {len(units) for units in planned.values()}
    assert len(sizes) == 1 and sizes <= {1, 2, 3}, planned  # one roster, not a mix of two


async def test_many_check_ins_of_one_shift_one_wins(demo: Api) -> None:
    await staffed_units(demo, UNIT_A)
    await person(demo, A_ADMIN, "甲公司书记", (UNIT_A, MemberRole.ADMIN))
    shift = await put(STREET, UNIT_A, 0)
    bodies = await asyncio.gather(*(demo(CHECK_IN, {"input": {"shiftId": shift}}, as_=phone)
                                    for phone in (A_STAFF, A_ADMIN) * 4))
    assert outcomes(bodies, "checkInDuty") == {"OK": 1, "INVALID_STATE": 7}
    assert await ShiftRow.filter(unit_id=await oid(UNIT_A), checked_in_at__not_isnull=True).count() == 1


async def test_the_second_consent_sent_many_times_swaps_once(demo: Api) -> None:
    # Before the fix this raced into PostgreSQL deadlocks (a 500): consents' foreign-key checks against the swap.
    await staffed_units(demo, UNIT_A, UNIT_B)
    for n in range(3):
        a, b = await put(STREET, UNIT_A, 10 + n), await put(STREET, UNIT_B, 20 + n)
        assert (await swap(demo, a, b, as_=A_STAFF))["swapped"] is False
        bodies = await asyncio.gather(*(demo(SWAP, {"input": {"shiftId": b, "withShiftId": a}}, as_=B_STAFF)
                                        for _ in range(6)))
        assert outcomes(bodies, "swapDuty") == {"OK": 6}, [b["data"]["swapDuty"]["errors"] for b in bodies]
        assert sorted(body["data"]["swapDuty"]["swapped"] for body in bodies) == [False] * 5 + [True]
        assert (await unit_name(a), await unit_name(b)) == (UNIT_B, UNIT_A)


async def test_a_check_in_racing_a_swap_one_wins(demo: Api) -> None:
    await staffed_units(demo, UNIT_A, UNIT_B)
    for n in range(4):
        today, later = await put(STREET, UNIT_A, 0), await put(STREET, UNIT_B, 1 + n)
        checked, swapped = await asyncio.gather(
            demo(CHECK_IN, {"input": {"shiftId": today}}, as_=A_STAFF),
            demo(SWAP, {"input": {"shiftId": later, "withShiftId": today}}, as_=STREET_ADMIN))
        swap_won = outcomes([swapped], "swapDuty") == {"OK": 1}
        row = await ShiftRow.get(id=pk(today))
        if swap_won:  # the check-in lost: refused on its state, or (having read the shift after) as not 甲's
            assert ("errors" in checked and code(checked) == "FORBIDDEN") or \
                outcomes([checked], "checkInDuty") == {"INVALID_STATE": 1}, checked
            assert (row.unit_id, row.checked_in_at) == (await oid(UNIT_B), None)
        else:
            assert outcomes([checked], "checkInDuty") == {"OK": 1}
            assert outcomes([swapped], "swapDuty") == {"INVALID_STATE": 1}
            assert row.unit_id == await oid(UNIT_A) and row.checked_in_at is not None
        await ShiftRow.filter(duty_date=day(0), centre_id=await oid(STREET)).exclude(unit_id=await oid(JIEAN)).delete()


async def test_two_swaps_taking_one_unit_to_one_day_one_wins(demo: Api) -> None:
    # 甲 serves at the street on +1 and at 巡司顶 on +3; both centres want it on +2 in exchange.
    await staffed_units(demo, UNIT_A, UNIT_B)
    await new_unit(UNIT_D, XUNSIDING)
    for n in range(3):
        a1, b2 = await put(STREET, UNIT_A, 10 * n + 1), await put(STREET, UNIT_B, 10 * n + 2)
        a3, d2 = await put(XUNSIDING, UNIT_A, 10 * n + 3), await put(XUNSIDING, UNIT_D, 10 * n + 2)
        bodies = await asyncio.gather(demo(SWAP, {"input": {"shiftId": a1, "withShiftId": b2}}, as_=ADMIN0),
                                      demo(SWAP, {"input": {"shiftId": a3, "withShiftId": d2}}, as_=ADMIN0))
        assert outcomes(bodies, "swapDuty") == {"OK": 1, "CONFLICT": 1}
        assert [await unit_name(s) for s in (b2, d2)].count(UNIT_A) == 1
        await assert_one_centre_a_day()


async def test_a_regeneration_racing_swaps_consents_and_a_check_in(demo: Api) -> None:
    await staffed_units(demo, UNIT_A, UNIT_B)
    street = await oid(STREET)
    for _ in range(4):
        await ShiftRow.filter(centre_id=street, duty_date__gte=day(0)).delete()
        assert (await generate(demo, STREET, 0, 6))["createdCount"] == 7
        ids = [gid("DutyShift", r.id) for r in
               await ShiftRow.filter(centre_id=street, duty_date__gte=day(0)).order_by("duty_date")]
        assert [await unit_name(i) for i in ids] == [JIEAN, UNIT_A, UNIT_B] * 2 + [JIEAN]
        regenerated, swapped, offered, checked = await asyncio.gather(
            generate_call(demo, STREET, 2, as_=STREET_ADMIN, end=6),
            demo(SWAP, {"input": {"shiftId": ids[1], "withShiftId": ids[2]}}, as_=STREET_ADMIN),
            demo(SWAP, {"input": {"shiftId": ids[4], "withShiftId": ids[5]}}, as_=A_STAFF),
            demo(CHECK_IN, {"input": {"shiftId": ids[0]}}, as_=PARTNER_ADMIN))
        # Every call answers (no fault): the roster is replaced or refused, the others find their shifts gone or
        # changed, or were first.
        assert set(outcomes([regenerated], "generateDutyRoster")) <= {"OK", "CONFLICT"}
        assert set(outcomes([swapped], "swapDuty")) <= {"OK", "INVALID_STATE", "NOT_FOUND+NOT_FOUND", "CONFLICT"}
        assert set(outcomes([offered], "swapDuty")) <= {"OK", "INVALID_STATE", "NOT_FOUND+NOT_FOUND", "CONFLICT"}
        assert set(outcomes([checked], "checkInDuty")) <= {"OK", "INVALID_STATE", "NOT_FOUND"}
        await assert_one_centre_a_day()
        checked_in = not checked["data"]["checkInDuty"]["errors"]
        assert await ShiftRow.filter(centre_id=street, checked_in_at__not_isnull=True,
                                     duty_date=day(0)).count() == int(checked_in)
        sizes = {len(units) for units in (await roster(STREET, 0, 6)).values()}
        assert sizes == ({2} if not regenerated["data"]["generateDutyRoster"]["errors"] else {1}), sizes
