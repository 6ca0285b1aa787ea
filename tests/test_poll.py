"""Household votes (电子投票): createPoll validation and authorisation, DRAFT -> OPEN -> CLOSED with INVALID_STATE,
castVote's rules (residents of the compound only, only while open and within opensAt/closesAt, householdId for
people living in two households there, options of other polls NOT_FOUND), one vote per household (DUPLICATE, also
for members of one household voting at the same moment, on SQLite and PostgreSQL), who sees results when, exact
tallies under SIMPLE_MAJORITY and DOUBLE_MAJORITY (ties, quorum, households without area majority), a hypothesis
property test of models.poll.winner/quorum_met against a plain reference, the statement count of the mobile screen
"open polls in my compound", and the demo poll in 观远里小区.

Exact tallies are made in 海龙小区, which has no households in the demo data; 观远里小区 has twelve, 林居民
(13800000006) living in the first and 陈党员 (13800000004) in the second."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import datetime, timedelta, timezone
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from models import household as household_model
from models import poll as poll_model
from models.compound import Compound as CompoundRow
from models.enums import MemberRole
from models.poll import Poll as PollRow
from models.poll import PollOption as OptionRow
from models.poll import PollRule, PollStatus, Tally
from models.poll import Vote as VoteRow
from tests.conftest import Api, count_sql, gid, outcome
from tests.test_project import person, pk

STREET, COMMUNITY, BRANCH, HAILONG_BRANCH = "嘉莲街道", "莲花北社区", "观远里小区党支部", "海龙小区党支部"
GUANYUANLI, HAILONG = "观远里小区", "海龙小区"
ADMIN0, STREET_ADMIN, COMMUNITY_ADMIN, BRANCH_ADMIN = "13800000000", "13800000001", "13800000002", "13800000003"
MEMBER, PARTNER_ADMIN, RESIDENT, STEWARD = "13800000004", "13800000005", "13800000006", "13800000007"
BRANCH_STAFF, HAILONG_STAFF, STRANGER = "13900000001", "13900000002", "13900000003"
DEMO_TITLE = "观远里小区物业服务企业选聘"
DEMO_OPTIONS = ["厦门市嘉联物业服务有限公司", "厦门市鹭房物业管理有限公司", "继续业主自治管理"]
DEMO_AREAS = [89.5, 102.0, 76.3, 120.8, 95.0, 68.4, 110.2, 88.0, 132.5, 79.9, 101.1, 93.7]

CREATE = """
mutation($input: CreatePollInput!) {
  createPoll(input: $input) {
    poll {
      title description status rule quorumPercent opensAt closesAt compound { name }
      options { label householdVotes areaSqm } eligibleHouseholds votedHouseholds quorumMet winner { label }
      viewerHasVoted resultsVisible
    }
    errors { field code message }
  }
}"""

CREATE_BRIEF = """
mutation($input: CreatePollInput!) {
  createPoll(input: $input) { poll { id options { id label } } errors { field code message } }
}"""

OPEN = """
mutation($input: OpenPollInput!) { openPoll(input: $input) { poll { status } errors { field code message } } }"""

CLOSE = """
mutation($input: ClosePollInput!) {
  closePoll(input: $input) {
    poll { status votedHouseholds winner { label } } errors { field code message }
  }
}"""

VOTE = """
mutation($input: CastVoteInput!) {
  castVote(input: $input) {
    poll { title viewerHasVoted votedHouseholds resultsVisible } errors { field code message }
  }
}"""

RESULTS = """
query($id: ID!) {
  node(id: $id) {
    ... on Poll {
      status resultsVisible eligibleHouseholds votedHouseholds quorumMet winner { label householdVotes areaSqm }
      options { label householdVotes areaSqm } viewerHasVoted
    }
  }
}"""

POLLS = """
query($filter: PollFilter, $first: Int, $after: String) {
  polls(filter: $filter, first: $first, after: $after) {
    totalCount nodes { title status compound { name } } pageInfo { hasNextPage endCursor }
  }
}"""

# The mobile screen "open polls in my compound", in one request.
SCREEN = """
{
  polls(filter: {status: OPEN}) {
    nodes { title status options { label householdVotes } viewerHasVoted votedHouseholds }
  }
}"""

NODE = """
query($id: ID!) { node(id: $id) { __typename ... on Poll { title compound { name } } } }"""


# --- helpers ----------------------------------------------------------------------------------------------------


def soon(hours: float) -> datetime:
    """Now plus some hours (minus for the past), UTC."""
    return datetime.now(timezone.utc) + timedelta(hours=hours)


def outcomes(bodies: list[dict], field: str = "castVote") -> Counter:
    """How many calls ended each way; a top-level error (a 500 turns up as one, masked) fails the test."""
    seen: Counter = Counter()
    for body in bodies:
        assert "errors" not in body, body
        seen[outcome(body, field)] += 1
    return seen


async def compound_gid(name: str) -> str:
    return gid("Compound", (await CompoundRow.get(name=name)).id)


async def new_poll(demo: Api, options: list[str] | tuple[str, ...] = ("甲", "乙"), *, compound: str = GUANYUANLI,
                   as_: str = BRANCH_ADMIN, open_: bool = True, title: str = "加装电梯方案", **extra: object
                   ) -> tuple[str, list[str]]:
    """A poll made (and opened) through the API: its global id and its options' ids in order."""
    variables = {"input": {"compoundId": await compound_gid(compound), "title": title, "options": list(options),
                           **extra}}
    body = await demo.ok(CREATE_BRIEF, variables, as_=as_)
    assert body["createPoll"]["errors"] == [], body
    poll = body["createPoll"]["poll"]
    if open_:
        opened = await demo.ok(OPEN, {"input": {"pollId": poll["id"]}}, as_=as_)
        assert opened["openPoll"]["errors"] == [], opened
    return poll["id"], [option["id"] for option in poll["options"]]


async def vote(demo: Api, poll: str, option: str, as_: str, household: str | None = None, lang: str | None = None
               ) -> dict:
    """castVote's whole answer (top-level errors included)."""
    variables = {"input": {"pollId": poll, "optionId": option, "householdId": household}}
    return await demo(VOTE, variables, as_=as_, lang=lang)


async def close(demo: Api, poll: str, as_: str = BRANCH_ADMIN) -> dict:
    return (await demo.ok(CLOSE, {"input": {"pollId": poll}}, as_=as_))["closePoll"]


async def results(demo: Api, poll: str, as_: str | None) -> dict:
    return (await demo.ok(RESULTS, {"id": poll}, as_=as_))["node"]


async def households(demo: Api, areas: list[float], *, compound: str = HAILONG, prefix: str = "1391") -> list[str]:
    """One household per area in a compound, each with one new resident; the residents' phones in order."""
    compound_row = await CompoundRow.get(name=compound)
    phones = []
    for n, area in enumerate(areas):
        row = await household_model.create(compound_id=compound_row.id, unit=f"{prefix}-{n + 1}", area_sqm=area)
        assert row is not None
        phone = f"{prefix}{n + 1:07d}"
        await person(demo, phone, f"{prefix}号楼住户{n + 1}")
        assert await household_model.add_member(household_id=row.id, user_id=demo.users[phone])
        phones.append(phone)
    return phones


async def move_in(demo: Api, phone: str, household_id: int) -> None:
    """A (new or existing) account comes to live in a household."""
    if phone not in demo.users:
        await person(demo, phone, f"住户{phone[-4:]}")
    assert await household_model.add_member(household_id=household_id, user_id=demo.users[phone])


async def hailong_staff(demo: Api) -> None:
    await person(demo, HAILONG_STAFF, "海龙支部委员", (HAILONG_BRANCH, MemberRole.STAFF))


async def votes_of(poll: str) -> list[tuple[int, int, float]]:
    """The stored votes of a poll: (household, option, area), by household."""
    return [(v.household_id, v.option_id, v.area_sqm) for v in
            await VoteRow.filter(poll_id=pk(poll)).order_by("household_id")]


# --- createPoll -------------------------------------------------------------------------------------------------


async def test_create_poll(demo: Api) -> None:
    opens, closes = soon(1).replace(microsecond=0), soon(49).replace(microsecond=0)
    variables = {"input": {"compoundId": await compound_gid(GUANYUANLI), "title": " 是否加装电梯 ",
                           "description": "3 号楼加装电梯，费用按楼层分摊。", "options": [" 同意", "不同意 ", "弃权"],
                           "opensAt": opens.isoformat(), "closesAt": closes.isoformat(), "quorumPercent": 67,
                           "rule": "DOUBLE_MAJORITY"}}
    body = await demo.ok(CREATE, variables, as_=BRANCH_ADMIN)
    assert body == {"createPoll": {"poll": {
        "title": "是否加装电梯", "description": "3 号楼加装电梯，费用按楼层分摊。", "status": "DRAFT",
        "rule": "DOUBLE_MAJORITY", "quorumPercent": 67, "opensAt": opens.isoformat(), "closesAt": closes.isoformat(),
        "compound": {"name": GUANYUANLI},
        "options": [{"label": "同意", "householdVotes": 0, "areaSqm": 0.0},
                    {"label": "不同意", "householdVotes": 0, "areaSqm": 0.0},
                    {"label": "弃权", "householdVotes": 0, "areaSqm": 0.0}],
        "eligibleHouseholds": 12, "votedHouseholds": 0, "quorumMet": False, "winner": None,
        "viewerHasVoted": False, "resultsVisible": True}, "errors": []}}
    row = await PollRow.get(title="是否加装电梯")
    assert (row.status, row.rule, row.quorum_percent, row.opens_at, row.closes_at, row.created_by_id,
            row.opened_at, row.closed_at) == (PollStatus.DRAFT, PollRule.DOUBLE_MAJORITY, 67, opens, closes,
                                              demo.users[BRANCH_ADMIN], None, None)
    assert [(o.label, o.position) for o in await OptionRow.filter(poll_id=row.id).order_by("position")] == [
        ("同意", 0), ("不同意", 1), ("弃权", 2)]
    # Defaults: no description, no time window, quorum 50, SIMPLE_MAJORITY; 20 options are allowed, quorum 1 and 100.
    variables = {"input": {"compoundId": await compound_gid(GUANYUANLI), "title": "活动时间", "options": ["周六", "周日"]}}
    body = await demo.ok(CREATE, variables, as_=COMMUNITY_ADMIN)
    poll = body["createPoll"]["poll"]
    assert (poll["description"], poll["opensAt"], poll["closesAt"], poll["quorumPercent"], poll["rule"]) == (
        "", None, None, 50, "SIMPLE_MAJORITY")
    for quorum, count in ((1, 20), (100, 2)):
        options = [f"方案{n + 1}" for n in range(count)]
        await new_poll(demo, options, title=f"法定人数 {quorum}", quorumPercent=quorum, open_=False)
        assert await OptionRow.filter(poll__title=f"法定人数 {quorum}").count() == count


CREATE_INVALID = [  # what is wrong -> the payload's errors (zh-CN)
    ({"options": ["同意"]}, [{"field": ["options"], "code": "INVALID", "message": "选项须为 2 到 20 个"}]),
    ({"options": []}, [{"field": ["options"], "code": "INVALID", "message": "选项须为 2 到 20 个"}]),
    ({"options": [f"方案{n}" for n in range(21)]}, [{"field": ["options"], "code": "INVALID",
                                                     "message": "选项须为 2 到 20 个"}]),
    ({"options": ["同意", " 同意 "]}, [{"field": ["options"], "code": "DUPLICATE", "message": "选项不能重复"}]),
    ({"options": ["同意", "不同意", "同意"]}, [{"field": ["options"], "code": "DUPLICATE",
                                               "message": "选项不能重复"}]),
    ({"options": ["同意", "  "]}, [{"field": ["options"], "code": "INVALID", "message": "长度须为 1–100 个字符"}]),
    ({"options": ["同意", "很" * 101]}, [{"field": ["options"], "code": "INVALID",
                                           "message": "长度须为 1–100 个字符"}]),
    ({"quorumPercent": 0}, [{"field": ["quorumPercent"], "code": "INVALID", "message": "须在 1 到 100 之间"}]),
    ({"quorumPercent": 101}, [{"field": ["quorumPercent"], "code": "INVALID", "message": "须在 1 到 100 之间"}]),
    ({"quorumPercent": -5}, [{"field": ["quorumPercent"], "code": "INVALID", "message": "须在 1 到 100 之间"}]),
    ({"opensAt": "2031-05-01T09:00:00+08:00", "closesAt": "2031-05-01T09:00:00+08:00"},
     [{"field": ["closesAt"], "code": "INVALID", "message": "结束时间须晚于开始时间"}]),
    ({"opensAt": "2031-05-01T09:00:00+08:00", "closesAt": "2031-05-01T01:00:00+00:00"},  # the same instant
     [{"field": ["closesAt"], "code": "INVALID", "message": "结束时间须晚于开始时间"}]),
    ({"opensAt": "2031-05-02T00:00:00+00:00", "closesAt": "2031-05-01T23:00:00+00:00"},
     [{"field": ["closesAt"], "code": "INVALID", "message": "结束时间须晚于开始时间"}]),
    ({"title": "  "}, [{"field": ["title"], "code": "INVALID", "message": "长度须为 1–100 个字符"}]),
    ({"title": "题" * 101, "quorumPercent": 0, "options": ["一"]},
     [{"field": ["title"], "code": "INVALID", "message": "长度须为 1–100 个字符"},
      {"field": ["options"], "code": "INVALID", "message": "选项须为 2 到 20 个"},
      {"field": ["quorumPercent"], "code": "INVALID", "message": "须在 1 到 100 之间"}]),
    ({"description": "说" * 5001}, [{"field": ["description"], "code": "INVALID",
                                      "message": "长度须为 0–5000 个字符"}]),
    ({"compoundId": gid("Compound", 9999)}, [{"field": ["compoundId"], "code": "NOT_FOUND",
                                              "message": "找不到该对象"}]),
    ({"compoundId": gid("Household", 1)}, [{"field": ["compoundId"], "code": "NOT_FOUND",
                                            "message": "找不到该对象"}]),
]


async def test_create_poll_validation(demo: Api) -> None:
    seen = []
    for change, _errors in CREATE_INVALID:
        variables = {"input": {"compoundId": await compound_gid(GUANYUANLI), "title": "加装电梯",
                               "options": ["同意", "不同意"], **change}}
        body = await demo.ok(CREATE, variables, as_=BRANCH_ADMIN)
        assert body["createPoll"]["poll"] is None
        seen.append((change, body["createPoll"]["errors"]))
    assert seen == CREATE_INVALID
    assert await PollRow.all().count() == 1  # the demo poll
    assert await OptionRow.all().count() == 3


async def test_create_poll_validation_in_english(demo: Api) -> None:
    variables = {"input": {"compoundId": await compound_gid(GUANYUANLI), "title": "Lift", "options": ["Yes", "Yes "],
                           "quorumPercent": 0, "opensAt": "2031-05-02T00:00:00Z", "closesAt": "2031-05-01T00:00:00Z"}}
    body = await demo.ok(CREATE, variables, as_=BRANCH_ADMIN, lang="en")
    assert body == {"createPoll": {"poll": None, "errors": [
        {"field": ["options"], "code": "DUPLICATE", "message": "Options must differ"},
        {"field": ["quorumPercent"], "code": "INVALID", "message": "Must be between 1 and 100"},
        {"field": ["closesAt"], "code": "INVALID", "message": "Must be after the start"}]}}
    variables["input"].update(options=["Yes"] * 21, quorumPercent=50, opensAt=None, closesAt=None)
    body = await demo.ok(CREATE, variables, as_=BRANCH_ADMIN, lang="en")
    assert body["createPoll"]["errors"] == [{"field": ["options"], "code": "INVALID",
                                             "message": "Give 2 to 20 options"}]


async def test_who_may_create_polls(demo: Api) -> None:
    await person(demo, BRANCH_STAFF, "观远里支部委员", (BRANCH, MemberRole.STAFF))
    await hailong_staff(demo)
    for n, phone in enumerate((ADMIN0, STREET_ADMIN, COMMUNITY_ADMIN, BRANCH_ADMIN, BRANCH_STAFF)):
        await new_poll(demo, title=f"议题 {n}", as_=phone, open_=False)
    variables = {"input": {"compoundId": await compound_gid(GUANYUANLI), "title": "议题", "options": ["甲", "乙"]}}
    # A party member and a resident of the compound, a partner unit, the property team below the branch, another
    # compound's branch: FORBIDDEN; anonymous: UNAUTHENTICATED.
    for phone in (MEMBER, RESIDENT, PARTNER_ADMIN, STEWARD, HAILONG_STAFF):
        assert outcome(await demo(CREATE_BRIEF, variables, as_=phone), "createPoll") == "FORBIDDEN", phone
    assert outcome(await demo(CREATE_BRIEF, variables), "createPoll") == "UNAUTHENTICATED"
    assert sorted(p.title for p in await PollRow.all()) == sorted([DEMO_TITLE, *(f"议题 {n}" for n in range(5))])
    # 海龙's staff run 海龙's polls.
    await new_poll(demo, compound=HAILONG, as_=HAILONG_STAFF)


# --- openPoll and closePoll -------------------------------------------------------------------------------------


async def test_draft_open_closed(demo: Api) -> None:
    poll, _options = await new_poll(demo, open_=False)
    assert (await PollRow.get(id=pk(poll))).status is PollStatus.DRAFT
    invalid = {"poll": None, "errors": [{"field": ["pollId"], "code": "INVALID_STATE",
                                         "message": "投票当前状态为 DRAFT，不能进行此操作"}]}
    assert await close(demo, poll) == invalid
    body = await demo.ok(OPEN, {"input": {"pollId": poll}}, as_=COMMUNITY_ADMIN)
    assert body == {"openPoll": {"poll": {"status": "OPEN"}, "errors": []}}
    row = await PollRow.get(id=pk(poll))
    assert row.status is PollStatus.OPEN and row.opened_at is not None and row.closed_at is None
    body = await demo.ok(OPEN, {"input": {"pollId": poll}}, as_=BRANCH_ADMIN, lang="en")
    assert body == {"openPoll": {"poll": None, "errors": [{"field": ["pollId"], "code": "INVALID_STATE",
                                                           "message": "The poll is OPEN; this step is not possible"}]}}
    assert await close(demo, poll, as_=STREET_ADMIN) == {"poll": {"status": "CLOSED", "votedHouseholds": 0,
                                                                  "winner": None}, "errors": []}
    row = await PollRow.get(id=pk(poll))
    assert row.status is PollStatus.CLOSED and row.closed_at is not None and row.closed_at >= row.opened_at
    closed = {"poll": None, "errors": [{"field": ["pollId"], "code": "INVALID_STATE",
                                        "message": "投票当前状态为 CLOSED，不能进行此操作"}]}
    assert await close(demo, poll) == closed
    assert (await demo.ok(OPEN, {"input": {"pollId": poll}}, as_=BRANCH_ADMIN))["openPoll"] == closed


async def test_who_may_open_and_close(demo: Api) -> None:
    await hailong_staff(demo)
    poll, _options = await new_poll(demo, open_=False)
    for document, field in ((OPEN, "openPoll"), (CLOSE, "closePoll")):
        variables = {"input": {"pollId": poll}}
        # Residents and the compound's party member do not see a draft (NOT_FOUND), and may not close an open poll.
        for phone in (RESIDENT, MEMBER):
            expected = "NOT_FOUND:pollId" if document is OPEN else "FORBIDDEN"
            assert outcome(await demo(document, variables, as_=phone), field) == expected, phone
        # Who does not see it: NOT_FOUND, like an id that does not exist.
        for phone in (PARTNER_ADMIN, STEWARD, HAILONG_STAFF):
            assert outcome(await demo(document, variables, as_=phone), field) == "NOT_FOUND:pollId", phone
        for missing in (gid("Poll", 999), gid("Household", 1), "garbage"):
            assert outcome(await demo(document, {"input": {"pollId": missing}}, as_=ADMIN0), field) == \
                "NOT_FOUND:pollId"
        assert outcome(await demo(document, variables), field) == "UNAUTHENTICATED"
        assert outcome(await demo(document, variables, as_=COMMUNITY_ADMIN), field) == "OK"
    assert (await PollRow.get(id=pk(poll))).status is PollStatus.CLOSED


async def test_one_poll_opened_five_times_at_once(demo: Api) -> None:
    poll, _options = await new_poll(demo, open_=False)
    bodies = await asyncio.gather(*(demo(OPEN, {"input": {"pollId": poll}}, as_=BRANCH_ADMIN) for _ in range(5)))
    assert outcomes(bodies, "openPoll") == {"OK": 1, "INVALID_STATE:pollId": 4}
    bodies = await asyncio.gather(*(close(demo, poll) for _ in range(5)))
    assert Counter(" ".join(e["code"] for e in b["errors"]) or "OK" for b in bodies) == {"OK": 1, "INVALID_STATE": 4}
    assert (await PollRow.get(id=pk(poll))).status is PollStatus.CLOSED


# --- castVote ---------------------------------------------------------------------------------------------------


async def test_a_resident_votes_once_for_the_household(demo: Api) -> None:
    poll, (yes, no) = await new_poll(demo)
    await move_in(demo, STRANGER, 1)  # 林居民's spouse
    body = await vote(demo, poll, yes, RESIDENT)
    assert body == {"data": {"castVote": {"poll": {"title": "加装电梯方案", "viewerHasVoted": True,
                                                   "votedHouseholds": 0, "resultsVisible": False}, "errors": []}}}
    assert await votes_of(poll) == [(1, pk(yes), 89.5)]
    assert (await VoteRow.get(poll_id=pk(poll))).user_id == demo.users[RESIDENT]
    duplicate = {"data": {"castVote": {"poll": None, "errors": [
        {"field": ["pollId"], "code": "DUPLICATE", "message": "您家已投过票"}]}}}
    assert await vote(demo, poll, yes, RESIDENT) == duplicate
    assert await vote(demo, poll, no, RESIDENT) == duplicate  # no changing one's mind either
    assert await vote(demo, poll, no, STRANGER) == duplicate  # nor another member of the household
    body = await vote(demo, poll, no, STRANGER, lang="en")
    assert body["data"]["castVote"]["errors"] == [{"field": ["pollId"], "code": "DUPLICATE",
                                                   "message": "Your household has already voted"}]
    # Both members see that their household has voted; the neighbour has not.
    for phone, voted in ((RESIDENT, True), (STRANGER, True), (MEMBER, False)):
        assert (await results(demo, poll, phone))["viewerHasVoted"] is voted, phone
    assert (await vote(demo, poll, no, MEMBER))["data"]["castVote"]["errors"] == []
    assert await votes_of(poll) == [(1, pk(yes), 89.5), (2, pk(no), 102.0)]


async def test_only_residents_of_the_compound_vote(demo: Api) -> None:
    await hailong_staff(demo)
    poll, (yes, _no) = await new_poll(demo)
    # Staff of the compound see the poll but do not live there: FORBIDDEN.
    for phone in (BRANCH_ADMIN, COMMUNITY_ADMIN, ADMIN0):
        body = await vote(demo, poll, yes, phone)
        assert outcome(body, "castVote") == "FORBIDDEN", phone
        assert body["errors"][0]["message"] == "无权进行此操作"
    # Residents of other compounds and others who do not see the poll: NOT_FOUND.
    [hailong_resident] = await households(demo, [80])
    for phone in (hailong_resident, HAILONG_STAFF, PARTNER_ADMIN, STEWARD):
        body = await vote(demo, poll, yes, phone)
        assert body == {"data": {"castVote": {"poll": None, "errors": [
            {"field": ["pollId"], "code": "NOT_FOUND", "message": "找不到该对象"}]}}}, phone
    for missing in (gid("Poll", 999), gid("PollOption", 1), "garbage"):
        assert outcome(await vote(demo, missing, yes, RESIDENT), "castVote") == "NOT_FOUND:pollId"
    assert outcome(await vote(demo, poll, yes, None), "castVote") == "UNAUTHENTICATED"  # type: ignore[arg-type]
    assert await votes_of(poll) == []
    # A staff member who also lives in the compound votes as a resident.
    await move_in(demo, BRANCH_ADMIN, 5)
    assert outcome(await vote(demo, poll, yes, BRANCH_ADMIN), "castVote") == "OK"
    assert await votes_of(poll) == [(5, pk(yes), 95.0)]


async def test_an_option_of_another_poll_is_not_found(demo: Api) -> None:
    poll, (yes, _no) = await new_poll(demo)
    _other, (other_yes, _other_no) = await new_poll(demo, title="另一议题")
    for option in (other_yes, gid("PollOption", 1), gid("PollOption", 999), gid("Poll", pk(yes)), "garbage"):
        body = await vote(demo, poll, option, RESIDENT)
        assert body == {"data": {"castVote": {"poll": None, "errors": [
            {"field": ["optionId"], "code": "NOT_FOUND", "message": "找不到该对象"}]}}}, option
    assert await VoteRow.filter(household_id=1).count() == 0
    assert outcome(await vote(demo, poll, yes, RESIDENT), "castVote") == "OK"


async def test_votes_only_while_open(demo: Api) -> None:
    poll, (yes, _no) = await new_poll(demo, open_=False)
    not_open = {"data": {"castVote": {"poll": None, "errors": [
        {"field": ["pollId"], "code": "INVALID_STATE", "message": "投票未开放或已结束"}]}}}
    # A draft is the staff's: residents do not see it at all.
    assert await vote(demo, poll, yes, RESIDENT) == {"data": {"castVote": {"poll": None, "errors": [
        {"field": ["pollId"], "code": "NOT_FOUND", "message": "找不到该对象"}]}}}
    await demo.ok(OPEN, {"input": {"pollId": poll}}, as_=BRANCH_ADMIN)
    assert outcome(await vote(demo, poll, yes, MEMBER), "castVote") == "OK"
    assert (await close(demo, poll))["errors"] == []
    assert await vote(demo, poll, yes, RESIDENT) == not_open  # CLOSED
    body = await vote(demo, poll, yes, RESIDENT, lang="en")
    assert body["data"]["castVote"]["errors"] == [{"field": ["pollId"], "code": "INVALID_STATE",
                                                   "message": "The poll is not open"}]
    # A household that voted hears DUPLICATE after the close too.
    assert outcome(await vote(demo, poll, yes, MEMBER), "castVote") == "DUPLICATE:pollId"
    assert await votes_of(poll) == [(2, pk(yes), 102.0)]


async def test_votes_only_between_opens_at_and_closes_at(demo: Api) -> None:
    """The window is checked against UTC whatever offset the times were given in."""
    east, west = timezone(timedelta(hours=8)), timezone(timedelta(hours=-10))
    later, (later_yes, _no) = await new_poll(demo, opensAt=soon(1).astimezone(east).isoformat(),
                                             closesAt=soon(5).astimezone(west).isoformat(), title="尚未开始")
    assert outcome(await vote(demo, later, later_yes, RESIDENT), "castVote") == "INVALID_STATE:pollId"
    now_on, (yes, _no) = await new_poll(demo, opensAt=soon(-1).astimezone(east).isoformat(),
                                        closesAt=soon(1).astimezone(west).isoformat(), title="进行中")
    assert outcome(await vote(demo, now_on, yes, RESIDENT), "castVote") == "OK"
    # Past closesAt, an OPEN poll takes no votes, reads CLOSED and shows residents its results.
    await PollRow.filter(id=pk(now_on)).update(closes_at=soon(-0.01))
    assert outcome(await vote(demo, now_on, yes, MEMBER), "castVote") == "INVALID_STATE:pollId"
    assert (await PollRow.get(id=pk(now_on))).status is PollStatus.OPEN
    shown = await results(demo, now_on, MEMBER)
    assert (shown["status"], shown["resultsVisible"], shown["votedHouseholds"], shown["viewerHasVoted"]) == (
        "CLOSED", True, 1, False)
    assert shown["options"][0] == {"label": "甲", "householdVotes": 1, "areaSqm": 89.5}
    # Before opensAt the poll reads OPEN (opened by staff) but takes no votes until then.
    assert (await results(demo, later, RESIDENT))["status"] == "OPEN"
    await PollRow.filter(id=pk(later)).update(opens_at=soon(-0.01))
    assert outcome(await vote(demo, later, later_yes, RESIDENT), "castVote") == "OK"


async def test_two_households_in_the_compound_need_a_household_id(demo: Api) -> None:
    poll, (yes, no) = await new_poll(demo)
    await move_in(demo, RESIDENT, 6)  # 林居民 also owns 2号楼201室
    body = await vote(demo, poll, yes, RESIDENT)
    assert body == {"data": {"castVote": {"poll": None, "errors": [
        {"field": ["householdId"], "code": "INVALID", "message": "您在该小区有多户住房，请选择代表哪一户投票"}]}}}
    body = await vote(demo, poll, yes, RESIDENT, lang="en")
    assert body["data"]["castVote"]["errors"][0]["message"] == \
        "You live in several households here; choose the one you vote for"
    # Someone else's household, a household of another compound, a non-household id: NOT_FOUND.
    [_phone] = await households(demo, [70])
    for household in (gid("Household", 2), gid("Household", 13), gid("Household", 999), gid("Poll", 1)):
        body = await vote(demo, poll, yes, RESIDENT, household)
        assert body == {"data": {"castVote": {"poll": None, "errors": [
            {"field": ["householdId"], "code": "NOT_FOUND", "message": "找不到该对象"}]}}}, household
    assert await votes_of(poll) == []
    # Each of the two households votes once.
    assert outcome(await vote(demo, poll, yes, RESIDENT, gid("Household", 6)), "castVote") == "OK"
    assert outcome(await vote(demo, poll, no, RESIDENT, gid("Household", 6)), "castVote") == "DUPLICATE:pollId"
    assert outcome(await vote(demo, poll, no, RESIDENT, gid("Household", 1)), "castVote") == "OK"
    assert outcome(await vote(demo, poll, no, RESIDENT), "castVote") == "INVALID:householdId"
    assert await votes_of(poll) == [(1, pk(no), 89.5), (6, pk(yes), 68.4)]
    # A householdId is welcome from someone with a single household too, and must be theirs.
    assert outcome(await vote(demo, poll, no, MEMBER, gid("Household", 1)), "castVote") == "NOT_FOUND:householdId"
    assert outcome(await vote(demo, poll, no, MEMBER, gid("Household", 2)), "castVote") == "OK"


async def test_the_vote_keeps_the_area_it_was_cast_with(demo: Api) -> None:
    poll, (yes, _no) = await new_poll(demo)
    assert outcome(await vote(demo, poll, yes, RESIDENT), "castVote") == "OK"
    await household_model.Household.filter(id=1).update(area_sqm=200.0)
    assert (await results(demo, poll, BRANCH_ADMIN))["options"][0] == {"label": "甲", "householdVotes": 1,
                                                                        "areaSqm": 89.5}


async def test_a_closed_polls_results_stay_as_they_were(demo: Api) -> None:
    """Households registered after the vote ended do not count as eligible: quorum and winner stay final."""
    phones = await households(demo, [80.0, 90.0, 100.0])
    await hailong_staff(demo)
    poll, (yes, _no) = await new_poll(demo, compound=HAILONG, as_=HAILONG_STAFF, quorumPercent=60)
    for phone in phones[:2]:
        assert outcome(await vote(demo, poll, yes, phone), "castVote") == "OK"
    assert (await close(demo, poll, as_=HAILONG_STAFF))["errors"] == []
    final = await results(demo, poll, phones[0])
    assert (final["eligibleHouseholds"], final["votedHouseholds"], final["quorumMet"], final["winner"]["label"]) == (
        3, 2, True, "甲")
    await households(demo, [70.0, 75.0], prefix="1392")  # registered later
    assert await results(demo, poll, phones[0]) == final
    # An OPEN poll counts the households there are; one past its closesAt those registered by then.
    running, (yes, _no) = await new_poll(demo, compound=HAILONG, as_=HAILONG_STAFF, quorumPercent=60,
                                         closesAt=soon(1).isoformat())
    assert (await results(demo, running, HAILONG_STAFF))["eligibleHouseholds"] == 5
    assert outcome(await vote(demo, running, yes, phones[0]), "castVote") == "OK"
    hailong = await CompoundRow.get(name=HAILONG)
    await household_model.Household.filter(compound_id=hailong.id).update(created_at=soon(-2))
    await PollRow.filter(id=pk(running)).update(closes_at=soon(-1))
    await households(demo, [60.0], prefix="1393")
    ended = await results(demo, running, phones[0])
    assert (ended["status"], ended["eligibleHouseholds"], ended["votedHouseholds"]) == ("CLOSED", 5, 1)


# --- one vote per household under concurrency (SQLite and PostgreSQL) ------------------------------------------


async def test_ten_members_of_one_household_vote_at_the_same_moment(demo: Api) -> None:
    [first] = await households(demo, [120.5])
    home = (await household_model.lives_in(user_id=demo.users[first],
                                           compound_id=(await CompoundRow.get(name=HAILONG)).id))[0]
    family = [first] + [f"139200000{n:02d}" for n in range(9)]
    for phone in family[1:]:
        await move_in(demo, phone, home.id)
    await hailong_staff(demo)
    for round_ in range(3):
        poll, options = await new_poll(demo, ("甲", "乙", "丙"), compound=HAILONG, as_=HAILONG_STAFF,
                                       title=f"第 {round_ + 1} 轮")
        bodies = await asyncio.gather(*(vote(demo, poll, options[n % 3], phone) for n, phone in enumerate(family)))
        assert outcomes(bodies) == {"OK": 1, "DUPLICATE:pollId": 9}
        [(household, option, area)] = await votes_of(poll)
        winner = next(n for n, body in enumerate(bodies) if not body["data"]["castVote"]["errors"])
        assert (household, option, area) == (home.id, pk(options[winner % 3]), 120.5)
        assert (await VoteRow.get(poll_id=pk(poll))).user_id == demo.users[family[winner]]
        shown = await results(demo, poll, HAILONG_STAFF)
        assert (shown["votedHouseholds"], [o["householdVotes"] for o in shown["options"]]) == (
            1, [int(n == winner % 3) for n in range(3)])


async def test_one_member_voting_ten_times_at_once(demo: Api) -> None:
    poll, options = await new_poll(demo)
    bodies = await asyncio.gather(*(vote(demo, poll, options[n % 2], RESIDENT) for n in range(10)))
    assert outcomes(bodies) == {"OK": 1, "DUPLICATE:pollId": 9}
    assert len(await votes_of(poll)) == 1


async def test_many_households_voting_at_once_all_count(demo: Api) -> None:
    phones = await households(demo, [50.0 + n for n in range(12)])
    await move_in(demo, "13920000001", 13)  # a second member of the first household votes too
    await hailong_staff(demo)
    poll, (yes, no) = await new_poll(demo, compound=HAILONG, as_=HAILONG_STAFF)
    voters = [*phones, "13920000001"]
    bodies = await asyncio.gather(*(vote(demo, poll, (yes, no)[n % 2], phone) for n, phone in enumerate(voters)))
    assert outcomes(bodies) == {"OK": 12, "DUPLICATE:pollId": 1}
    stored = await votes_of(poll)
    assert len(stored) == 12 and len({household for household, _o, _a in stored}) == 12
    shown = await results(demo, poll, HAILONG_STAFF)
    assert shown["votedHouseholds"] == 12
    assert sum(o["householdVotes"] for o in shown["options"]) == 12
    assert sum(o["areaSqm"] for o in shown["options"]) == sum(50.0 + n for n in range(12))


async def test_votes_racing_the_close(demo: Api) -> None:
    """Every vote either counts (OK) or is refused as too late; the stored votes are exactly the accepted ones."""
    phones = await households(demo, [60.0] * 8)
    await hailong_staff(demo)
    poll, (yes, _no) = await new_poll(demo, compound=HAILONG, as_=HAILONG_STAFF)
    bodies = await asyncio.gather(*(vote(demo, poll, yes, phone) for phone in phones[:4]),
                                  demo(CLOSE, {"input": {"pollId": poll}}, as_=HAILONG_STAFF),
                                  *(vote(demo, poll, yes, phone) for phone in phones[4:]))
    votes_ = bodies[:4] + bodies[5:]
    seen = outcomes(votes_)
    assert set(seen) <= {"OK", "INVALID_STATE:pollId"}, seen
    assert outcomes([bodies[4]], "closePoll") == {"OK": 1}
    assert len(await votes_of(poll)) == seen["OK"]
    assert (await results(demo, poll, phones[0]))["votedHouseholds"] == seen["OK"]


# --- who sees results when --------------------------------------------------------------------------------------


async def test_results_are_shown_to_residents_after_the_close_and_to_staff_always(demo: Api) -> None:
    poll, (yes, no) = await new_poll(demo, ("同意", "不同意"), quorumPercent=10)
    assert outcome(await vote(demo, poll, yes, RESIDENT), "castVote") == "OK"
    assert outcome(await vote(demo, poll, no, MEMBER), "castVote") == "OK"
    await move_in(demo, STRANGER, 3)
    assert outcome(await vote(demo, poll, yes, STRANGER), "castVote") == "OK"
    hidden = {"status": "OPEN", "resultsVisible": False, "eligibleHouseholds": 12, "votedHouseholds": 0,
              "quorumMet": False, "winner": None, "options": [
                  {"label": "同意", "householdVotes": 0, "areaSqm": 0.0},
                  {"label": "不同意", "householdVotes": 0, "areaSqm": 0.0}]}
    assert await results(demo, poll, RESIDENT) == {**hidden, "viewerHasVoted": True}
    await move_in(demo, "13920000001", 4)
    assert await results(demo, poll, "13920000001") == {**hidden, "viewerHasVoted": False}
    # Staff see the count while voting runs; the winner is named only once the poll is over.
    running = {"status": "OPEN", "resultsVisible": True, "eligibleHouseholds": 12, "votedHouseholds": 3,
               "quorumMet": True, "winner": None, "options": [
                   {"label": "同意", "householdVotes": 2, "areaSqm": 165.8},
                   {"label": "不同意", "householdVotes": 1, "areaSqm": 102.0}], "viewerHasVoted": False}
    for phone in (BRANCH_ADMIN, COMMUNITY_ADMIN, STREET_ADMIN, ADMIN0):
        assert await results(demo, poll, phone) == running, phone
    # Nobody else sees the poll at all.
    for phone in (PARTNER_ADMIN, STEWARD, None):
        assert await demo.ok(RESULTS, {"id": poll}, as_=phone) == {"node": None}, phone
    closed = await close(demo, poll)
    assert closed == {"poll": {"status": "CLOSED", "votedHouseholds": 3, "winner": {"label": "同意"}}, "errors": []}
    final = {**running, "status": "CLOSED", "winner": {"label": "同意", "householdVotes": 2,
                                                       "areaSqm": 165.8}}
    assert await results(demo, poll, RESIDENT) == {**final, "viewerHasVoted": True}
    assert await results(demo, poll, "13920000001") == final
    assert await results(demo, poll, BRANCH_ADMIN) == final


# --- exact tallies ----------------------------------------------------------------------------------------------

# (households' areas, each household's vote as an option index or None, rule, quorum) ->
#   (voted households, quorum met, per option (households, area), winner index or None)
TALLIES = {
    "simple majority": (
        [80.0, 90.0, 100.0, 110.0, 120.0], [0, 0, 1, None, 0], "SIMPLE_MAJORITY", 50,
        (4, True, [(3, 290.0), (1, 100.0), (0, 0.0)], 0)),
    "double majority of households and area": (
        [80.0, 90.0, 100.0, 110.0, 120.0], [0, 0, 1, None, 0], "DOUBLE_MAJORITY", 50,
        (4, True, [(3, 290.0), (1, 100.0), (0, 0.0)], 0)),
    "households majority without area majority: simple": (
        [60.0, 70.0, 80.0, 150.0, 200.0], [0, 0, 0, 1, 1], "SIMPLE_MAJORITY", 100,
        (5, True, [(3, 210.0), (2, 350.0), (0, 0.0)], 0)),
    "households majority without area majority: double": (
        [60.0, 70.0, 80.0, 150.0, 200.0], [0, 0, 0, 1, 1], "DOUBLE_MAJORITY", 100,
        (5, True, [(3, 210.0), (2, 350.0), (0, 0.0)], None)),
    "area majority without households majority: double": (
        [60.0, 70.0, 80.0, 150.0, 200.0], [1, 1, 2, 0, 0], "DOUBLE_MAJORITY", 100,
        (5, True, [(2, 350.0), (2, 130.0), (1, 80.0)], None)),
    "households tie": (
        [80.0, 90.0, 100.0, 110.0, 120.0], [0, 1, 0, 1, None], "SIMPLE_MAJORITY", 50,
        (4, True, [(2, 180.0), (2, 200.0), (0, 0.0)], None)),
    "area tie under double majority": (
        [100.0, 50.0, 50.0, 75.0, 125.0], [0, 0, 0, 1, 1], "DOUBLE_MAJORITY", 100,
        (5, True, [(3, 200.0), (2, 200.0), (0, 0.0)], None)),
    "a plurality is no majority": (
        [80.0, 90.0, 100.0, 110.0, 120.0], [0, 0, 1, 2, 2], "SIMPLE_MAJORITY", 50,
        (5, True, [(2, 170.0), (1, 100.0), (2, 230.0)], None)),
    "quorum missed by one household": (
        [80.0, 90.0, 100.0, 110.0, 120.0], [2, 2, 2, None, None], "SIMPLE_MAJORITY", 61,
        (3, False, [(0, 0.0), (0, 0.0), (3, 270.0)], None)),
    "quorum met exactly": (
        [80.0, 90.0, 100.0, 110.0, 120.0], [2, 2, 2, None, None], "DOUBLE_MAJORITY", 60,
        (3, True, [(0, 0.0), (0, 0.0), (3, 270.0)], 2)),
    "nobody voted": (
        [80.0, 90.0], [None, None], "SIMPLE_MAJORITY", 1,
        (0, False, [(0, 0.0), (0, 0.0), (0, 0.0)], None)),
}


@pytest.mark.parametrize("case", list(TALLIES))
async def test_tallies(demo: Api, case: str) -> None:
    areas, ballots, rule, quorum, (voted, met, per_option, winner) = TALLIES[case]
    phones = await households(demo, areas)
    await hailong_staff(demo)
    labels = ["甲方案", "乙方案", "丙方案"]
    poll, options = await new_poll(demo, labels, compound=HAILONG, as_=HAILONG_STAFF, rule=rule,
                                   quorumPercent=quorum)
    for phone, ballot in zip(phones, ballots):
        if ballot is not None:
            assert outcome(await vote(demo, poll, options[ballot], phone), "castVote") == "OK"
    option_results = [{"label": label, "householdVotes": n, "areaSqm": area}
                      for label, (n, area) in zip(labels, per_option)]
    expected = {"status": "OPEN", "resultsVisible": True, "eligibleHouseholds": len(areas),
                "votedHouseholds": voted, "quorumMet": met, "winner": None, "options": option_results,
                "viewerHasVoted": False}
    assert await results(demo, poll, HAILONG_STAFF) == expected
    assert (await close(demo, poll, as_=HAILONG_STAFF))["errors"] == []
    expected.update(status="CLOSED", winner=None if winner is None else option_results[winner])
    assert await results(demo, poll, HAILONG_STAFF) == expected
    assert await results(demo, poll, phones[0]) == {**expected, "viewerHasVoted": ballots[0] is not None}
    # The model's own count says the same.
    tally = (await poll_model.tallies(poll_ids=[pk(poll)]))[pk(poll)]
    assert (tally.eligible_households, tally.voted_households) == (len(areas), voted)
    assert tally.voted_area == sum(area for area, ballot in zip(areas, ballots) if ballot is not None)


# --- property: winner and quorum against a reference ------------------------------------------------------------


def reference(eligible: int, ballots: list[tuple[int, int]], option_count: int, rule: PollRule, quorum: int
              ) -> tuple[bool, int | None]:
    """Quorum and winner straight from the rules, in exact arithmetic: ballots are (option, area in 0.01 m²); the
    quorum is met when voters / eligible >= quorum %; the winner holds more than half of the voters (and, under
    DOUBLE_MAJORITY, more than half of their area), and there is none without the quorum."""
    voters = len(ballots)
    met = eligible > 0 and Fraction(voters, eligible) >= Fraction(quorum, 100)
    total_area = sum(area for _option, area in ballots)
    for option in range(option_count):
        mine = [area for chosen, area in ballots if chosen == option]
        if met and Fraction(len(mine)) > Fraction(voters, 2) and (
                rule is PollRule.SIMPLE_MAJORITY or Fraction(sum(mine)) > Fraction(total_area, 2)):
            return met, option
    return met, None


def tally_like_the_database(eligible: int, ballots: list[tuple[int, int]], option_count: int) -> Tally:
    """The Tally `models.poll.tallies` builds: per option a float SUM of the areas, the voted area summed over the
    options in order."""
    tally = Tally(eligible_households=eligible)
    for option in range(option_count):
        mine = [area / 100 for chosen, area in ballots if chosen == option]
        area = 0.0
        for value in mine:
            area += value
        tally.options[option + 1] = (len(mine), area)
        tally.voted_households += len(mine)
        tally.voted_area += area
    return tally


Case = tuple[int, list[tuple[int, int]], int, PollRule, int]  # eligible, ballots, options, rule, quorum


@st.composite
def any_polls(draw: st.DrawFn) -> Case:
    option_count = draw(st.integers(2, 4))
    eligible = draw(st.integers(0, 12))
    ballots = draw(st.lists(st.tuples(st.integers(0, option_count - 1), st.integers(1, 30000)),
                            max_size=eligible))
    return eligible, ballots, option_count, draw(st.sampled_from(list(PollRule))), draw(st.integers(1, 100))


@st.composite
def area_ties(draw: st.DrawFn) -> Case:
    """Ballots where the first option holds exactly half of the voted area (as the others, split differently),
    often with more than half of the households: the case decimal areas summed as floats get wrong."""
    option_count = draw(st.integers(2, 4))
    mine = draw(st.lists(st.integers(1, 30000), min_size=1, max_size=6))
    total = sum(mine)
    parts = draw(st.integers(1, min(len(mine), total)))
    cuts = sorted(draw(st.sets(st.integers(1, total - 1), min_size=parts - 1, max_size=parts - 1))) \
        if parts > 1 else []
    others = [b - a for a, b in zip([0, *cuts], [*cuts, total])]
    ballots = [(0, area) for area in mine] + [(draw(st.integers(1, option_count - 1)), area) for area in others]
    ballots = draw(st.permutations(ballots))
    eligible = len(ballots) + draw(st.integers(0, 4))
    return eligible, ballots, option_count, PollRule.DOUBLE_MAJORITY, draw(st.integers(1, 100))


@settings(max_examples=500, deadline=None, derandomize=True, database=None)
@given(case=st.one_of(any_polls(), area_ties()))
def test_winner_and_quorum_follow_the_rules(case: Case) -> None:
    eligible, ballots, option_count, rule, quorum = case
    tally = tally_like_the_database(eligible, ballots, option_count)
    met, expected = reference(eligible, ballots, option_count, rule, quorum)
    assert poll_model.quorum_met(tally=tally, quorum_percent=quorum) is met
    got = poll_model.winner(tally=tally, rule=rule, quorum_percent=quorum)
    assert got == (None if expected is None else expected + 1), (tally, expected)


# --- the polls list and the mobile screen -----------------------------------------------------------------------


async def test_polls_list_follows_visibility_and_filters(demo: Api) -> None:
    await hailong_staff(demo)
    [hailong_resident] = await households(demo, [66.0])
    await new_poll(demo, title="草稿议题", open_=False)
    closed, _o = await new_poll(demo, title="已结束议题")
    assert (await close(demo, closed))["errors"] == []
    await new_poll(demo, compound=HAILONG, as_=HAILONG_STAFF, title="海龙议题")

    async def titles(phone: str | None, **filter_: object) -> list[str]:
        body = await demo.ok(POLLS, {"filter": filter_ or None}, as_=phone)
        assert body["polls"]["totalCount"] == len(body["polls"]["nodes"])
        return [node["title"] for node in body["polls"]["nodes"]]

    guanyuanli = ["已结束议题", "草稿议题", DEMO_TITLE]  # newest first
    assert await titles(RESIDENT) == ["已结束议题", DEMO_TITLE]  # drafts are the staff's
    assert await titles(BRANCH_ADMIN) == guanyuanli
    assert await titles(COMMUNITY_ADMIN) == guanyuanli
    assert await titles(ADMIN0) == ["海龙议题", *guanyuanli]
    assert await titles(hailong_resident) == ["海龙议题"]
    assert await titles(HAILONG_STAFF) == ["海龙议题"]
    assert await titles(PARTNER_ADMIN) == []
    assert await titles(ADMIN0, status="OPEN") == ["海龙议题", DEMO_TITLE]
    assert await titles(ADMIN0, status="CLOSED") == ["已结束议题"]
    assert await titles(ADMIN0, status="DRAFT") == ["草稿议题"]
    assert await titles(ADMIN0, compoundId=await compound_gid(HAILONG)) == ["海龙议题"]
    assert await titles(ADMIN0, compoundId=gid("Compound", 999)) == []
    assert await titles(RESIDENT, compoundId=await compound_gid(HAILONG)) == []
    assert await titles(RESIDENT, status="OPEN", compoundId=await compound_gid(GUANYUANLI)) == [DEMO_TITLE]
    body = await demo(POLLS, {})
    assert outcome(body, "polls") == "UNAUTHENTICATED"
    # Keyset pages.
    first = (await demo.ok(POLLS, {"first": 2}, as_=ADMIN0))["polls"]
    assert ([n["title"] for n in first["nodes"]], first["pageInfo"]["hasNextPage"], first["totalCount"]) == (
        ["海龙议题", "已结束议题"], True, 4)
    await new_poll(demo, title="新议题")  # inserted meanwhile: the next page is unaffected
    rest = (await demo.ok(POLLS, {"first": 2, "after": first["pageInfo"]["endCursor"]}, as_=ADMIN0))["polls"]
    assert ([n["title"] for n in rest["nodes"]], rest["pageInfo"]["hasNextPage"]) == (["草稿议题", DEMO_TITLE], False)


async def test_open_filter_leaves_out_polls_past_their_closing_time(demo: Api) -> None:
    """A poll past closesAt reads CLOSED; the OPEN filter must not list it, the CLOSED filter must."""
    ended, _o = await new_poll(demo, title="已到期议题", closesAt=soon(1).isoformat())
    await PollRow.filter(id=pk(ended)).update(closes_at=soon(-1))
    for status, titles in (("OPEN", [DEMO_TITLE]), ("CLOSED", ["已到期议题"])):
        body = await demo.ok(POLLS, {"filter": {"status": status}}, as_=RESIDENT)
        assert body["polls"]["totalCount"] == len(titles), status
        assert [(n["title"], n["status"]) for n in body["polls"]["nodes"]] == [(t, status) for t in titles], status


async def test_poll_by_node_id(demo: Api) -> None:
    await hailong_staff(demo)
    demo_poll = gid("Poll", 1)
    expected = {"node": {"__typename": "Poll", "title": DEMO_TITLE, "compound": {"name": GUANYUANLI}}}
    for phone in (RESIDENT, MEMBER, BRANCH_ADMIN, COMMUNITY_ADMIN, STREET_ADMIN, ADMIN0):
        assert await demo.ok(NODE, {"id": demo_poll}, as_=phone) == expected, phone
    for phone in (PARTNER_ADMIN, STEWARD, HAILONG_STAFF, None):
        assert await demo.ok(NODE, {"id": demo_poll}, as_=phone) == {"node": None}, phone
    assert await demo.ok(NODE, {"id": gid("Poll", 999)}, as_=ADMIN0) == {"node": None}


async def _screen(demo: Api, phone: str) -> tuple[int, list[dict]]:
    with count_sql() as sql:
        body = await demo.ok(SCREEN, as_=phone)
    return sql.count, body["polls"]["nodes"]


async def test_open_polls_screen_costs_the_same_for_one_poll_and_many(demo: Api) -> None:
    # Statements for a resident: the viewer's roles, the page of polls, the options of the page's polls, the
    # viewer's votes (4). Someone with a role also loads the compounds and their ancestors to decide whether the
    # results are visible (6 for the branch's party member); staff moreover the tally (eligible households, votes
    # per option): 8 (the orgs they manage come with their roles). The same for one poll and for many, in one
    # compound or in two.
    await hailong_staff(demo)
    expected = {RESIDENT: 4, MEMBER: 6, BRANCH_ADMIN: 8, ADMIN0: 8}
    few = {phone: await _screen(demo, phone) for phone in expected}
    assert [node["title"] for node in few[RESIDENT][1]] == [DEMO_TITLE]
    for n in range(6):
        poll, options = await new_poll(demo, ("甲", "乙", "丙"), title=f"议题 {n}")
        if n % 2:
            assert outcome(await vote(demo, poll, options[n % 3], RESIDENT), "castVote") == "OK"
    for n in range(3):
        await new_poll(demo, compound=HAILONG, as_=HAILONG_STAFF, title=f"海龙议题 {n}")
    await new_poll(demo, title="草稿", open_=False)  # not listed
    for phone, statements in expected.items():
        many = await _screen(demo, phone)
        assert (few[phone][0], many[0]) == (statements, statements), phone
        assert len(many[1]) == (10 if phone == ADMIN0 else 7), phone
    _count, nodes = await _screen(demo, RESIDENT)
    assert [(n["title"], n["status"], n["viewerHasVoted"], n["votedHouseholds"]) for n in nodes] == [
        (f"议题 {n}", "OPEN", bool(n % 2), 0) for n in reversed(range(6))] + [(DEMO_TITLE, "OPEN", False, 0)]
    assert nodes[0]["options"] == [{"label": "甲", "householdVotes": 0}, {"label": "乙", "householdVotes": 0},
                                   {"label": "丙", "householdVotes": 0}]
    _count, nodes = await _screen(demo, BRANCH_ADMIN)
    assert [(n["title"], n["viewerHasVoted"], n["votedHouseholds"]) for n in nodes] == [
        (f"议题 {n}", False, n % 2) for n in reversed(range(6))] + [(DEMO_TITLE, False, 5)]
    assert [o["householdVotes"] for o in nodes[0]["options"]] == [0, 0, 1]  # 议题 5: 林居民 chose 丙


# --- the demo poll ----------------------------------------------------------------------------------------------


async def test_the_demo_poll(demo: Api) -> None:
    body = await demo.ok(SCREEN, as_=RESIDENT)
    assert body == {"polls": {"nodes": [{
        "title": DEMO_TITLE, "status": "OPEN",
        "options": [{"label": label, "householdVotes": 0} for label in DEMO_OPTIONS],
        "viewerHasVoted": False, "votedHouseholds": 0}]}}
    poll = gid("Poll", 1)
    shown = await results(demo, poll, RESIDENT)
    assert shown == {"status": "OPEN", "resultsVisible": False, "eligibleHouseholds": 12, "votedHouseholds": 0,
                     "quorumMet": False, "winner": None, "viewerHasVoted": False,
                     "options": [{"label": label, "householdVotes": 0, "areaSqm": 0.0} for label in DEMO_OPTIONS]}
    row = await PollRow.get(id=1)
    assert (row.status, row.rule, row.quorum_percent) == (PollStatus.OPEN, PollRule.DOUBLE_MAJORITY, 67)
    assert (await CompoundRow.get(id=row.compound_id)).name == GUANYUANLI
    assert row.opens_at <= datetime.now(timezone.utc) < row.closes_at
    staff_view = await results(demo, poll, BRANCH_ADMIN)
    assert (staff_view["votedHouseholds"], [o["householdVotes"] for o in staff_view["options"]]) == (5, [3, 1, 1])
    assert [o["areaSqm"] for o in staff_view["options"]] == [307.3, 68.4, 95.0]
    assert staff_view["quorumMet"] is False  # 5 of 12 households, 67 % needed
    # 林居民 can vote, once.
    options = [gid("PollOption", n) for n in (1, 2, 3)]
    assert await vote(demo, poll, options[0], RESIDENT) == {"data": {"castVote": {"poll": {
        "title": DEMO_TITLE, "viewerHasVoted": True, "votedHouseholds": 0, "resultsVisible": False}, "errors": []}}}
    assert outcome(await vote(demo, poll, options[2], RESIDENT), "castVote") == "DUPLICATE:pollId"
    assert (await demo.ok(SCREEN, as_=RESIDENT))["polls"]["nodes"][0]["viewerHasVoted"] is True
    # 陈党员 in the next household too; with 7 of 12 the quorum is still not met.
    assert outcome(await vote(demo, poll, options[0], MEMBER), "castVote") == "OK"
    staff_view = await results(demo, poll, COMMUNITY_ADMIN)
    assert (staff_view["votedHouseholds"], staff_view["quorumMet"],
            [o["householdVotes"] for o in staff_view["options"]]) == (7, False, [5, 1, 1])
    assert await votes_of(poll) == [(1, 1, 89.5), (2, 1, 102.0), (3, 1, 76.3), (4, 1, 120.8), (5, 3, 95.0),
                                    (6, 2, 68.4), (7, 1, 110.2)]
