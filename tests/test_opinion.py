"""Opinions (听邻说事 → 让邻事办): submitting from the app and recording for residents (home visit, meeting,
hotline), anonymity, who sees an opinion and its contact phone, the opinion list and its filters, assigning,
replying and closing with their refusals and states, the compound's branch as a handler, the author's phone for the
handlers, the per-subtree response statistics, the statement budget of the "opinions I submitted" screen, the demo
data, and replies racing a close on both databases."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta, timezone

from models.enums import MemberRole, OrgKind
from models.opinion import Opinion as OpinionRow
from models.opinion import OpinionChannel, OpinionStatus
from models.opinion import OpinionReply as ReplyRow
from models.org import Org as OrgRow
from models.user import User as UserRow
from models.user import upsert_membership
from schema.relay import encode_cursor
from tests.conftest import Api, count_sql, gid, org_id

DISTRICT, STREET, COMMUNITY, BRANCH = "思明区", "嘉莲街道", "莲花北社区", "观远里小区党支部"
XIAGANG, XUNSIDING, LUJIANG, JIEAN = "厦港街道", "巡司顶社区", "鹭江街道", "厦门市捷安集团党支部"
GUANYUANLI, HAILONG = "观远里小区", "海龙小区"
HAILONG_BRANCH, BRANCH_TEAM = "海龙小区党支部", "观远里厝边帮帮团"
ADMIN0, STREET_ADMIN, COMMUNITY_ADMIN, BRANCH_ADMIN = "13800000000", "13800000001", "13800000002", "13800000003"
MEMBER, PARTNER_ADMIN, RESIDENT = "13800000004", "13800000005", "13800000006"
# The demo's steward: STAFF of 观远里自管物业服务队, a volunteer team below the branch (so not a manager of the branch).
STEWARD = "13800000007"
# Accounts the tests add: staff of the community, the street and the district, a neighbour without a household,
# the admin of a second district, the admin of 海龙's branch (another compound's), a STAFF of 观远里's branch.
COMMUNITY_STAFF, STREET_STAFF, DISTRICT_STAFF = "13900000001", "13900000002", "13900000003"
NEWCOMER, XIAGANG_ADMIN, HULI_ADMIN = "13900000004", "13900000005", "13900000006"
HAILONG_BRANCH_ADMIN, BRANCH_STAFF = "13900000007", "13900000008"
RESIDENT_NAME, MEMBER_NAME = "林居民", "陈党员"

# The demo's four opinions in 观远里 (all owned by 莲花北社区), newest first as lists show them.
DEMO_STREETLIGHT = "小区东门路灯坏了一个多月，晚上出行不便。"
DEMO_CHARGER = "建议在 3 号楼旁增设电动车充电桩。"
DEMO_ELDERLY = "独居老人希望每周有人上门量血压。"
DEMO_GARBAGE = "垃圾分类投放点早上清运太晚，有异味。"

OPINION_FIELDS = """id text category status channel anonymous compound { name } org { name } assignee { name }
  author { displayName } contactPhone replies { text org { name } }"""

SUBMIT = f"""
mutation($input: SubmitOpinionInput!) {{
  submitOpinion(input: $input) {{ opinion {{ {OPINION_FIELDS} }} errors {{ field code message }} }}
}}"""

NODE = f"""
query($id: ID!) {{ node(id: $id) {{ __typename ... on Opinion {{ {OPINION_FIELDS} }} }} }}"""

WHO = """
query($id: ID!) { node(id: $id) { ... on Opinion { author { displayName } contactPhone } } }"""

OPINIONS = """
query($filter: OpinionFilter, $first: Int, $after: String) {
  opinions(filter: $filter, first: $first, after: $after) {
    totalCount pageInfo { hasNextPage endCursor } nodes { text status }
  }
}"""

# The mobile screen "Opinions I submitted".
MINE = """
query { opinions(filter: {mine: true}) { nodes { text status replies { text org { name } } } } }"""

HANDLED = """opinion { status assignee { name } replies { text org { name } } firstReplyAt closedAt }
    errors { field code message }"""

ASSIGN = f"""
mutation($input: AssignOpinionInput!) {{ assignOpinion(input: $input) {{ {HANDLED} }} }}"""

REPLY = f"""
mutation($input: ReplyOpinionInput!) {{ replyOpinion(input: $input) {{ {HANDLED} }} }}"""

CLOSE = f"""
mutation($input: CloseOpinionInput!) {{ closeOpinion(input: $input) {{ {HANDLED} }} }}"""

STATS_FIELDS = "opinionStats { received replied repliedRate medianHoursToFirstReply }"

CREATE_ORG = """
mutation($input: CreateOrgInput!) { createOrg(input: $input) { org { id } errors { field code } } }"""


# --- helpers ----------------------------------------------------------------------------------------------------


async def person(demo: Api, phone: str, name: str, org_name: str | None = None,
                 role: MemberRole | None = None) -> None:
    """A further account (with a role in a named org), ready to act as `phone`."""
    user = await UserRow.create(phone=phone, display_name=name, password_hash="-")
    if org_name is not None and role is not None:
        await upsert_membership(user=user, org=await OrgRow.get(name=org_name), role=role)
    demo.users[phone] = user.id


async def staff(demo: Api) -> None:
    """STAFF of the community, the street and the district, the admin of another street (厦港), the admin of
    another compound's branch (海龙) and a STAFF of 观远里's branch."""
    await person(demo, COMMUNITY_STAFF, "莲花北社工", COMMUNITY, MemberRole.STAFF)
    await person(demo, STREET_STAFF, "嘉莲街道干事", STREET, MemberRole.STAFF)
    await person(demo, DISTRICT_STAFF, "思明区干事", DISTRICT, MemberRole.STAFF)
    await person(demo, XIAGANG_ADMIN, "厦港街道管理员", XIAGANG, MemberRole.ADMIN)
    await person(demo, HAILONG_BRANCH_ADMIN, "海龙支部书记", HAILONG_BRANCH, MemberRole.ADMIN)
    await person(demo, BRANCH_STAFF, "观远里支部委员", BRANCH, MemberRole.STAFF)


async def compound_id(name: str) -> str:
    from models.compound import Compound

    return gid("Compound", (await Compound.get(name=name)).id)


async def submit(demo: Api, *, as_: str | None, lang: str | None = None, **fields: object) -> dict:
    """submitOpinion's payload."""
    return (await demo.ok(SUBMIT, {"input": fields}, as_=as_, lang=lang))["submitOpinion"]


async def submitted(demo: Api, *, as_: str, **fields: object) -> str:
    """The global id of an opinion submitted without errors."""
    body = await submit(demo, as_=as_, **fields)
    assert body["errors"] == [], body
    return body["opinion"]["id"]


async def act(demo: Api, document: str, opinion: str, *, as_: str | None, lang: str | None = None,
              **extra: object) -> dict:
    """assignOpinion/replyOpinion/closeOpinion's payload."""
    body = await demo.ok(document, {"input": {"opinionId": opinion, **extra}}, as_=as_, lang=lang)
    return next(iter(body.values()))


async def assign(demo: Api, opinion: str, org: str, *, as_: str = COMMUNITY_ADMIN) -> dict:
    return await act(demo, ASSIGN, opinion, as_=as_, orgId=await org_id(org))


async def reply(demo: Api, opinion: str, text: str, *, as_: str = COMMUNITY_ADMIN) -> dict:
    return await act(demo, REPLY, opinion, as_=as_, text=text)


async def close(demo: Api, opinion: str, *, as_: str = COMMUNITY_ADMIN) -> dict:
    return await act(demo, CLOSE, opinion, as_=as_)


async def node(demo: Api, opinion: str, *, as_: str | None) -> dict | None:
    return (await demo.ok(NODE, {"id": opinion}, as_=as_))["node"]


async def who(demo: Api, opinion: str, *, as_: str) -> dict | None:
    """What this viewer sees of the author and the contact phone."""
    return (await demo.ok(WHO, {"id": opinion}, as_=as_))["node"]


async def texts(demo: Api, *, as_: str, **filter_: object) -> list[str]:
    """The texts an opinion list shows (one page), checked against its totalCount."""
    body = (await demo.ok(OPINIONS, {"filter": filter_, "first": 100}, as_=as_))["opinions"]
    assert body["totalCount"] == len(body["nodes"]), body
    return [n["text"] for n in body["nodes"]]


def row_id(global_id: str) -> int:
    from schema.relay import from_global_id

    decoded = from_global_id(global_id)
    assert decoded is not None and decoded[0] == "Opinion"
    return decoded[1]


def code(body: dict) -> str:
    return body["errors"][0]["extensions"]["code"]


def reply_of(text: str, org: str) -> dict:
    return {"text": text, "org": {"name": org}}


def opinion(text: str, *, status: str = "OPEN", channel: str = "APP", category: str | None = None,
            anonymous: bool = False, compound: str | None = GUANYUANLI, org: str = COMMUNITY,
            assignee: str | None = None, author: str | None = None, contact: str | None = None,
            replies: tuple[dict, ...] = ()) -> dict:
    """An opinion as OPINION_FIELDS shows it, without its id."""
    return {"text": text, "category": category, "status": status, "channel": channel, "anonymous": anonymous,
            "compound": {"name": compound} if compound else None, "org": {"name": org},
            "assignee": {"name": assignee} if assignee else None,
            "author": {"displayName": author} if author else None, "contactPhone": contact, "replies": list(replies)}


# --- the demo data -----------------------------------------------------------------------------------------------


async def test_the_demo_opinions_with_their_replies(demo: Api) -> None:
    # The resident's screen: their two app opinions, newest first, one answered by the community.
    assert await demo.ok(MINE, as_=RESIDENT) == {"opinions": {"nodes": [
        {"text": DEMO_CHARGER, "status": "OPEN", "replies": []},
        {"text": DEMO_STREETLIGHT, "status": "REPLIED",
         "replies": [reply_of("已报修，供电所本周内更换灯具。", COMMUNITY)]},
    ]}}
    # The party member's hotline call, answered and closed.
    assert await demo.ok(MINE, as_=MEMBER) == {"opinions": {"nodes": [
        {"text": DEMO_GARBAGE, "status": "CLOSED", "replies": [reply_of("已与环卫协调，清运提前到 7:30。", COMMUNITY)]},
    ]}}
    # The community sees all four; the anonymous home-visit one has no author to show.
    body = (await demo.ok(OPINIONS, {"first": 10}, as_=COMMUNITY_ADMIN))["opinions"]
    assert body == {"totalCount": 4, "pageInfo": {"hasNextPage": False, "endCursor": encode_cursor(1)},
                    "nodes": [{"text": DEMO_GARBAGE, "status": "CLOSED"},
                              {"text": DEMO_ELDERLY, "status": "REPLIED"},
                              {"text": DEMO_CHARGER, "status": "OPEN"},
                              {"text": DEMO_STREETLIGHT, "status": "REPLIED"}]}
    for pk, expected in (
        (1, opinion(DEMO_STREETLIGHT, status="REPLIED", category="SAFETY_PATROL", author=RESIDENT_NAME,
                    replies=(reply_of("已报修，供电所本周内更换灯具。", COMMUNITY),))),
        (3, opinion(DEMO_ELDERLY, status="REPLIED", channel="HOME_VISIT", category="ELDERLY_CARE", anonymous=True,
                    replies=(reply_of("已纳入“独居老人助餐探访”项目，党员每周上门。", COMMUNITY),))),
        (4, opinion(DEMO_GARBAGE, status="CLOSED", channel="HOTLINE", category="GARBAGE_SORTING",
                    author=MEMBER_NAME, replies=(reply_of("已与环卫协调，清运提前到 7:30。", COMMUNITY),))),
    ):
        assert await node(demo, gid("Opinion", pk), as_=COMMUNITY_ADMIN) == {
            "__typename": "Opinion", "id": gid("Opinion", pk), **expected}, pk
    # Three of the four are answered, at once (the demo records them with one timestamp).
    body = await demo.ok(f"query($c: ID!, $x: ID!) {{ c: org(id: $c) {{ {STATS_FIELDS} }} "
                         f"x: org(id: $x) {{ {STATS_FIELDS} }} }}",
                         {"c": await org_id(COMMUNITY), "x": await org_id(XIAGANG)})
    assert body == {"c": {"opinionStats": {"received": 4, "replied": 3, "repliedRate": 0.75,
                                           "medianHoursToFirstReply": 0.0}},
                    "x": {"opinionStats": {"received": 0, "replied": 0, "repliedRate": 0.0,
                                           "medianHoursToFirstReply": None}}}


# --- submitOpinion from the app ----------------------------------------------------------------------------------


async def test_a_resident_submits_for_their_households_compound(demo: Api) -> None:
    body = await submit(demo, as_=RESIDENT, text="  楼道声控灯不亮  ", category="SAFETY_PATROL")
    assert body["errors"] == []
    created = body["opinion"].pop("id")
    assert created == gid("Opinion", 5)
    assert body["opinion"] == opinion("楼道声控灯不亮", category="SAFETY_PATROL", author=RESIDENT_NAME)
    row = await OpinionRow.get(id=5)
    assert (row.channel, row.author_id, row.recorded_by_id, row.contact_phone, row.status, row.first_reply_at,
            row.closed_at) == (OpinionChannel.APP, demo.users[RESIDENT], None, None, OpinionStatus.OPEN, None, None)
    assert row.org_id == (await OrgRow.get(name=COMMUNITY)).id
    # Another compound named explicitly: its community owns the opinion.
    body = await submit(demo, as_=RESIDENT, text="海龙小区门口积水", compoundId=await compound_id(HAILONG),
                        channel="APP")
    assert body["errors"] == []
    body["opinion"].pop("id")
    assert body["opinion"] == opinion("海龙小区门口积水", compound=HAILONG, org=XUNSIDING, author=RESIDENT_NAME)
    assert await texts(demo, as_=RESIDENT, mine=True) == ["海龙小区门口积水", "楼道声控灯不亮", DEMO_CHARGER,
                                                          DEMO_STREETLIGHT]


async def test_a_resident_without_a_household_must_name_the_compound(demo: Api) -> None:
    await person(demo, NEWCOMER, "新住户")
    for lang, message in ((None, "请选择小区"), ("en", "Choose a compound")):
        body = await submit(demo, as_=NEWCOMER, lang=lang, text="想了解垃圾分类时间")
        assert body == {"opinion": None, "errors": [{"field": ["compoundId"], "code": "INVALID", "message": message}]}
    assert await OpinionRow.all().count() == 4
    body = await submit(demo, as_=NEWCOMER, text="想了解垃圾分类时间", compoundId=await compound_id(GUANYUANLI))
    assert body["errors"] == [] and body["opinion"]["author"] == {"displayName": "新住户"}
    assert body["opinion"]["org"] == {"name": COMMUNITY}


async def test_the_app_channel_takes_no_staff_fields(demo: Api) -> None:
    for as_ in (RESIDENT, COMMUNITY_ADMIN):
        for extra in ({"residentPhone": MEMBER}, {"orgId": await org_id(COMMUNITY)},
                      {"residentPhone": "13912345678", "compoundId": await compound_id(GUANYUANLI)}):
            body = await submit(demo, as_=as_, text="意见", channel="APP", **extra)
            assert body == {"opinion": None, "errors": [{"field": ["channel"], "code": "INVALID",
                                                         "message": "代居民登记须选择入户走访、会议或热线渠道"}]}, extra
    body = await submit(demo, as_=RESIDENT, lang="en", text="意见", residentPhone=MEMBER)
    assert body["errors"] == [{"field": ["channel"], "code": "INVALID",
                               "message": "Recording for a resident needs a home-visit, meeting or hotline channel"}]
    assert await OpinionRow.all().count() == 4


async def test_submit_validation_in_both_languages(demo: Api) -> None:
    guanyuanli = await compound_id(GUANYUANLI)
    length = {None: "长度须为 1–2000 个字符", "en": "Must be 1 to 2000 characters long"}
    not_found = {None: "找不到该对象", "en": "No such object"}
    phone = {None: "请输入 11 位中国大陆手机号", "en": "Enter an 11-digit mainland China mobile number"}
    for lang in (None, "en"):
        cases = [
            (RESIDENT, {"text": "   "}, [("text", "INVALID", length)]),
            (RESIDENT, {"text": "字" * 2001}, [("text", "INVALID", length)]),
            (RESIDENT, {"text": "", "compoundId": gid("Compound", 999)},
             [("text", "INVALID", length), ("compoundId", "NOT_FOUND", not_found)]),
            (RESIDENT, {"text": "意见", "compoundId": "garbage"}, [("compoundId", "NOT_FOUND", not_found)]),
            (RESIDENT, {"text": "意见", "compoundId": gid("Org", 1)}, [("compoundId", "NOT_FOUND", not_found)]),
            (COMMUNITY_ADMIN, {"text": "意见", "channel": "HOTLINE", "orgId": gid("Org", 999)},
             [("orgId", "NOT_FOUND", not_found)]),
            (COMMUNITY_ADMIN, {"text": "意见", "channel": "HOTLINE", "compoundId": guanyuanli, "residentPhone": "12345"},
             [("residentPhone", "INVALID", phone)]),
            (COMMUNITY_ADMIN, {"text": "意见", "channel": "MEETING"},
             [("compoundId", "INVALID", {None: "请选择小区", "en": "Choose a compound"})]),
        ]
        for as_, fields, errors in cases:
            body = await submit(demo, as_=as_, lang=lang, **fields)
            assert body == {"opinion": None, "errors": [{"field": [f], "code": c, "message": m[lang]}
                                                        for f, c, m in errors]}, (lang, fields)
    body = await submit(demo, as_=RESIDENT, text="字" * 2000)
    assert body["errors"] == [] and len(body["opinion"]["text"]) == 2000
    assert await OpinionRow.all().count() == 5


async def test_submitting_needs_login(demo: Api) -> None:
    body = await demo(SUBMIT, {"input": {"text": "意见", "compoundId": await compound_id(GUANYUANLI)}})
    assert body["data"] is None and code(body) == "UNAUTHENTICATED"
    assert await OpinionRow.all().count() == 4


# --- submitOpinion recorded by staff -----------------------------------------------------------------------------


async def test_staff_record_what_they_heard_for_a_compound(demo: Api) -> None:
    await staff(demo)
    guanyuanli = await compound_id(GUANYUANLI)
    recorded = []
    for channel, as_ in (("HOME_VISIT", COMMUNITY_ADMIN), ("MEETING", COMMUNITY_STAFF), ("HOTLINE", STREET_STAFF),
                         ("HOTLINE", BRANCH_ADMIN), ("HOME_VISIT", ADMIN0)):
        text = f"{channel} 记录 {as_}"
        body = await submit(demo, as_=as_, text=text, channel=channel, compoundId=guanyuanli, category="OTHER")
        assert body["errors"] == [], (channel, as_)
        recorded.append(body["opinion"].pop("id"))
        # Nobody named: no author, no contact; the compound's community owns it whoever heard it.
        assert body["opinion"] == opinion(text, channel=channel, category="OTHER"), (channel, as_)
    rows = await OpinionRow.filter(id__gt=4).order_by("id")
    assert [(r.channel.value, r.recorded_by_id, r.author_id, r.org_id) for r in rows] == [
        (c, demo.users[p], None, (await OrgRow.get(name=COMMUNITY)).id)
        for c, p in (("HOME_VISIT", COMMUNITY_ADMIN), ("MEETING", COMMUNITY_STAFF), ("HOTLINE", STREET_STAFF),
                     ("HOTLINE", BRANCH_ADMIN), ("HOME_VISIT", ADMIN0))]
    # Whoever heard them, the compound's branch sees them all (as the managers of the compound's branch, not as
    # the recorder): what the community recorded as much as its own; another compound's branch sees none.
    assert (await node(demo, recorded[3], as_=BRANCH_ADMIN))["channel"] == "HOTLINE"
    assert (await node(demo, recorded[0], as_=BRANCH_ADMIN))["channel"] == "HOME_VISIT"
    heard = [f"{c} 记录 {p}" for c, p in (("HOME_VISIT", ADMIN0), ("HOTLINE", BRANCH_ADMIN), ("HOTLINE", STREET_STAFF),
                                             ("MEETING", COMMUNITY_STAFF), ("HOME_VISIT", COMMUNITY_ADMIN))]
    demo_four = [DEMO_GARBAGE, DEMO_ELDERLY, DEMO_CHARGER, DEMO_STREETLIGHT]
    assert await texts(demo, as_=BRANCH_ADMIN) == heard + demo_four
    assert (await node(demo, recorded[3], as_=COMMUNITY_STAFF))["channel"] == "HOTLINE"
    for as_ in (HAILONG_BRANCH_ADMIN, MEMBER, STEWARD):
        assert await node(demo, recorded[3], as_=as_) is None, as_
        assert await texts(demo, as_=as_) == ([DEMO_GARBAGE] if as_ == MEMBER else []), as_
    # A compound elsewhere, by the district.
    body = await submit(demo, as_=ADMIN0, text="海龙小区停车难", channel="MEETING", compoundId=await compound_id(HAILONG))
    assert body["errors"] == [] and body["opinion"]["org"] == {"name": XUNSIDING}
    assert await node(demo, body["opinion"]["id"], as_=BRANCH_ADMIN) is None
    assert await texts(demo, as_=HAILONG_BRANCH_ADMIN) == ["海龙小区停车难"]


async def test_staff_record_for_an_org_they_manage(demo: Api) -> None:
    await staff(demo)
    for as_, org, channel in ((COMMUNITY_ADMIN, COMMUNITY, "HOTLINE"), (STREET_STAFF, STREET, "MEETING"),
                              (STREET_ADMIN, COMMUNITY, "HOME_VISIT"), (PARTNER_ADMIN, JIEAN, "MEETING"),
                              (XIAGANG_ADMIN, XUNSIDING, "HOTLINE")):
        body = await submit(demo, as_=as_, text=f"{org}听到的意见", channel=channel, orgId=await org_id(org))
        assert body["errors"] == [], (as_, org)
        body["opinion"].pop("id")
        assert body["opinion"] == opinion(f"{org}听到的意见", channel=channel, compound=None, org=org), (as_, org)
    assert await OpinionRow.filter(compound_id=None).count() == 5


async def test_only_managers_record_for_a_compound_or_org(demo: Api) -> None:
    await staff(demo)
    guanyuanli, hailong = await compound_id(GUANYUANLI), await compound_id(HAILONG)
    cases = [
        (RESIDENT, {"compoundId": guanyuanli}),  # a resident cannot pretend to be staff
        (MEMBER, {"compoundId": guanyuanli}),  # a plain member of the branch
        (PARTNER_ADMIN, {"compoundId": guanyuanli}),  # paired with the street, managing none of it
        (COMMUNITY_ADMIN, {"compoundId": hailong}),  # another street's compound
        (XIAGANG_ADMIN, {"compoundId": guanyuanli}),
        (BRANCH_ADMIN, {"orgId": await org_id(COMMUNITY)}),  # above the branch
        (COMMUNITY_STAFF, {"orgId": await org_id(STREET)}),
        (STREET_ADMIN, {"orgId": await org_id(JIEAN)}),  # paired is not managed
        (COMMUNITY_ADMIN, {"orgId": await org_id(COMMUNITY), "compoundId": hailong}),  # the compound decides
    ]
    for as_, fields in cases:
        for channel in ("HOME_VISIT", "MEETING", "HOTLINE"):
            body = await demo(SUBMIT, {"input": {"text": "意见", "channel": channel, **fields}}, as_=as_)
            assert body["data"] is None and code(body) == "FORBIDDEN", (as_, fields, channel)
    body = await demo(SUBMIT, {"input": {"text": "意见", "channel": "HOTLINE", "compoundId": guanyuanli}})
    assert code(body) == "UNAUTHENTICATED"
    assert await OpinionRow.all().count() == 4


async def test_a_registered_residents_phone_makes_them_the_author(demo: Api) -> None:
    # Spaces and +86 are accepted; the resident then sees it among their own, the recorder is kept.
    body = await submit(demo, as_=COMMUNITY_ADMIN, text="老人想参加助餐", channel="HOME_VISIT",
                        compoundId=await compound_id(GUANYUANLI), residentPhone="+86 138 0000 0006")
    assert body["errors"] == []
    created = body["opinion"].pop("id")
    assert body["opinion"] == opinion("老人想参加助餐", channel="HOME_VISIT", author=RESIDENT_NAME)
    row = await OpinionRow.get(id=row_id(created))
    assert (row.author_id, row.recorded_by_id, row.contact_phone) == (
        demo.users[RESIDENT], demo.users[COMMUNITY_ADMIN], None)
    assert await texts(demo, as_=RESIDENT, mine=True) == ["老人想参加助餐", DEMO_CHARGER, DEMO_STREETLIGHT]
    assert (await node(demo, created, as_=RESIDENT))["author"] == {"displayName": RESIDENT_NAME}


async def test_an_unregistered_callers_phone_is_kept_for_the_handlers_only(demo: Api) -> None:
    await staff(demo)
    body = await submit(demo, as_=COMMUNITY_STAFF, text="热线：楼上漏水", channel="HOTLINE",
                        compoundId=await compound_id(GUANYUANLI), residentPhone="139-1234-5678")
    assert body["errors"] == []
    created = body["opinion"].pop("id")
    assert body["opinion"] == opinion("热线：楼上漏水", channel="HOTLINE", contact="13912345678")
    row = await OpinionRow.get(id=row_id(created))
    assert (row.author_id, row.contact_phone) == (None, "13912345678")
    assert (await assign(demo, created, JIEAN))["errors"] == []
    # The handlers: managers of the owning community, of the assignee and of the compound's branch, and above.
    for as_ in (COMMUNITY_ADMIN, COMMUNITY_STAFF, STREET_ADMIN, ADMIN0, DISTRICT_STAFF, PARTNER_ADMIN, BRANCH_ADMIN,
                BRANCH_STAFF):
        assert await who(demo, created, as_=as_) == {"author": None, "contactPhone": "13912345678"}, as_
    for as_ in (RESIDENT, MEMBER, STEWARD, XIAGANG_ADMIN, HAILONG_BRANCH_ADMIN):
        assert await who(demo, created, as_=as_) is None, as_


# --- anonymity ---------------------------------------------------------------------------------------------------


async def test_an_anonymous_author_is_known_only_to_themself_and_the_district_admin(demo: Api) -> None:
    await staff(demo)
    created = await submitted(demo, as_=RESIDENT, text="物业收费不透明", anonymous=True)
    # Handed to the branch, answered by it: still nobody on the way sees who wrote it.
    assert (await assign(demo, created, BRANCH))["errors"] == []
    assert (await reply(demo, created, "已约谈物业公示收支", as_=BRANCH_ADMIN))["errors"] == []
    for as_ in (COMMUNITY_ADMIN, COMMUNITY_STAFF, STREET_ADMIN, STREET_STAFF, DISTRICT_STAFF, BRANCH_ADMIN):
        seen = await node(demo, created, as_=as_)
        assert seen is not None and seen["anonymous"] is True and seen["author"] is None, as_
    for as_ in (RESIDENT, ADMIN0):
        assert await who(demo, created, as_=as_) == {"author": {"displayName": RESIDENT_NAME},
                                                     "contactPhone": None}, as_
    # In lists too.
    listed = "query { opinions(filter: {status: REPLIED}) { nodes { text author { displayName } } } }"
    for as_, author in ((COMMUNITY_ADMIN, None), (ADMIN0, {"displayName": RESIDENT_NAME})):
        nodes = (await demo.ok(listed, as_=as_))["opinions"]["nodes"]
        assert nodes[0] == {"text": "物业收费不透明", "author": author}, as_
    # The same resident, not anonymous: the handlers see them.
    named = await submitted(demo, as_=RESIDENT, text="物业收费不透明（实名）")
    assert (await assign(demo, named, BRANCH))["errors"] == []
    for as_ in (COMMUNITY_ADMIN, COMMUNITY_STAFF, STREET_STAFF, BRANCH_ADMIN, ADMIN0, RESIDENT):
        assert (await who(demo, named, as_=as_))["author"] == {"displayName": RESIDENT_NAME}, as_


async def test_anonymous_callers_recorded_by_staff(demo: Api) -> None:
    await staff(demo)
    guanyuanli = await compound_id(GUANYUANLI)
    registered = await submitted(demo, as_=COMMUNITY_STAFF, text="反映邻里噪音（匿名）", channel="HOME_VISIT",
                                 compoundId=guanyuanli, residentPhone=RESIDENT, anonymous=True)
    unregistered = await submitted(demo, as_=COMMUNITY_STAFF, text="反映违建（匿名）", channel="HOTLINE",
                                   compoundId=guanyuanli, residentPhone="13912345678", anonymous=True)
    for created in (registered, unregistered):
        assert (await assign(demo, created, JIEAN))["errors"] == []
    for as_ in (COMMUNITY_ADMIN, COMMUNITY_STAFF, STREET_ADMIN, DISTRICT_STAFF, PARTNER_ADMIN):
        assert await who(demo, registered, as_=as_) == {"author": None, "contactPhone": None}, as_
        assert await who(demo, unregistered, as_=as_) == {"author": None, "contactPhone": None}, as_
    assert await who(demo, registered, as_=ADMIN0) == {"author": {"displayName": RESIDENT_NAME},
                                                       "contactPhone": None}
    assert await who(demo, unregistered, as_=ADMIN0) == {"author": None, "contactPhone": "13912345678"}
    assert await who(demo, registered, as_=RESIDENT) == {"author": {"displayName": RESIDENT_NAME},
                                                         "contactPhone": None}
    assert await texts(demo, as_=RESIDENT, mine=True) == ["反映邻里噪音（匿名）", DEMO_CHARGER, DEMO_STREETLIGHT]


async def test_another_districts_admin_handling_it_does_not_learn_the_author(demo: Api) -> None:
    # A second district: its admin manages an org the opinion was handed to, but is not 思明区's district admin.
    await person(demo, HULI_ADMIN, "湖里区管理员")
    body = await demo.ok(CREATE_ORG, {"input": {"name": "湖里区", "kind": "DISTRICT"}}, as_=ADMIN0)
    assert body["createOrg"]["errors"] == []
    await upsert_membership(user=await UserRow.get(phone=HULI_ADMIN), org=await OrgRow.get(name="湖里区"),
                            role=MemberRole.ADMIN)
    assert (await OrgRow.get(name="湖里区")).kind is OrgKind.DISTRICT
    created = await submitted(demo, as_=RESIDENT, text="匿名：跨区问题", anonymous=True)
    unregistered = await submitted(demo, as_=COMMUNITY_ADMIN, text="匿名热线：跨区问题", channel="HOTLINE",
                                   compoundId=await compound_id(GUANYUANLI), residentPhone="13912345678",
                                   anonymous=True)
    for opinion_id in (created, unregistered):
        assert (await assign(demo, opinion_id, "湖里区"))["errors"] == []
        seen = await node(demo, opinion_id, as_=HULI_ADMIN)
        assert seen is not None and (seen["author"], seen["contactPhone"]) == (None, None)
    assert await who(demo, created, as_=ADMIN0) == {"author": {"displayName": RESIDENT_NAME}, "contactPhone": None}
    assert await who(demo, unregistered, as_=ADMIN0) == {"author": None, "contactPhone": "13912345678"}


# --- the author's phone ------------------------------------------------------------------------------------------


AUTHOR_PHONE = """
query($id: ID!) { node(id: $id) { ... on Opinion { author { displayName phone } } } }"""


async def author_phone(demo: Api, opinion_id: str, *, as_: str) -> dict | None:
    """What this viewer sees of the author with their phone (None: the opinion itself is hidden)."""
    return (await demo.ok(AUTHOR_PHONE, {"id": opinion_id}, as_=as_))["node"]


async def test_the_handlers_see_the_authors_full_phone(demo: Api) -> None:
    await staff(demo)
    created = await submitted(demo, as_=RESIDENT, text="希望开放小区篮球场")
    full = {"author": {"displayName": RESIDENT_NAME, "phone": RESIDENT}}
    # The resident belongs to no org, so by the usual rules nobody but themself sees their number in full; those who
    # handle the opinion do, to call them back (the compound's branch among them), and the author sees their own.
    handlers = (COMMUNITY_ADMIN, COMMUNITY_STAFF, STREET_ADMIN, STREET_STAFF, ADMIN0, DISTRICT_STAFF, BRANCH_ADMIN,
                BRANCH_STAFF)
    for as_ in (*handlers, RESIDENT):
        assert await author_phone(demo, created, as_=as_) == full, as_
    # Those who do not handle it see nothing of it, the number least of all; nor the person elsewhere.
    resident_user = gid("User", demo.users[RESIDENT])
    for as_ in (MEMBER, STEWARD, PARTNER_ADMIN, XIAGANG_ADMIN, HAILONG_BRANCH_ADMIN):
        assert await author_phone(demo, created, as_=as_) is None, as_
        assert (await demo.ok("query($id: ID!) { node(id: $id) { ... on User { phone } } }",
                              {"id": resident_user}, as_=as_))["node"] is None, as_
    # Handed to 捷安: its admin handles it and sees the number; handing it on to the branch, they no longer handle
    # it, and the payload they get back shows no author.
    assert (await assign(demo, created, JIEAN))["errors"] == []
    assert await author_phone(demo, created, as_=PARTNER_ADMIN) == full
    handed = await demo.ok("mutation($input: AssignOpinionInput!) { assignOpinion(input: $input) { "
                           "opinion { status assignee { name } author { displayName phone } } errors { code } } }",
                           {"input": {"opinionId": created, "orgId": await org_id(BRANCH)}}, as_=PARTNER_ADMIN)
    assert handed == {"assignOpinion": {"opinion": {"status": "ASSIGNED", "assignee": {"name": BRANCH},
                                                    "author": None}, "errors": []}}
    assert await author_phone(demo, created, as_=PARTNER_ADMIN) is None
    for as_ in (*handlers, RESIDENT):
        assert await author_phone(demo, created, as_=as_) == full, as_

    # Per opinion, not per person: the same resident's 海龙 opinion is 海龙's branch's to call back, not 观远里's.
    elsewhere = await submitted(demo, as_=RESIDENT, text="海龙小区：希望加装路灯", compoundId=await compound_id(HAILONG))
    both = "query($ids: [ID!]!) { nodes(ids: $ids) { ... on Opinion { text author { phone } } } }"
    for as_, expected in (
        (BRANCH_ADMIN, [{"text": "希望开放小区篮球场", "author": {"phone": RESIDENT}}, None]),
        (HAILONG_BRANCH_ADMIN, [None, {"text": "海龙小区：希望加装路灯", "author": {"phone": RESIDENT}}]),
        (ADMIN0, [{"text": "希望开放小区篮球场", "author": {"phone": RESIDENT}},
                  {"text": "海龙小区：希望加装路灯", "author": {"phone": RESIDENT}}]),
        (RESIDENT, [{"text": "希望开放小区篮球场", "author": {"phone": RESIDENT}},
                    {"text": "海龙小区：希望加装路灯", "author": {"phone": RESIDENT}}]),
    ):
        assert (await demo.ok(both, {"ids": [created, elsewhere]}, as_=as_))["nodes"] == expected, as_

    # In lists too: every registered author in full for the branch; the anonymous one has no author at all.
    listed = "query { opinions(first: 100) { nodes { text author { displayName phone } } } }"
    member = {"displayName": MEMBER_NAME, "phone": MEMBER}
    resident = {"displayName": RESIDENT_NAME, "phone": RESIDENT}
    assert (await demo.ok(listed, as_=BRANCH_STAFF))["opinions"]["nodes"] == [
        {"text": "希望开放小区篮球场", "author": resident}, {"text": DEMO_GARBAGE, "author": member},
        {"text": DEMO_ELDERLY, "author": None}, {"text": DEMO_CHARGER, "author": resident},
        {"text": DEMO_STREETLIGHT, "author": resident}]
    assert (await demo.ok(listed, as_=RESIDENT))["opinions"]["nodes"] == [
        {"text": t, "author": resident} for t in ("海龙小区：希望加装路灯", "希望开放小区篮球场", DEMO_CHARGER,
                                                  DEMO_STREETLIGHT)]

    # Anonymous: hidden from the handlers but the admin of the owning district, who sees the number in full, and
    # the author.
    anonymous = await submitted(demo, as_=RESIDENT, text="匿名：希望公开维修基金账目", anonymous=True)
    for as_ in (ADMIN0, RESIDENT):
        assert await author_phone(demo, anonymous, as_=as_) == full, as_
    for as_ in (h for h in handlers if h != ADMIN0):
        assert await author_phone(demo, anonymous, as_=as_) == {"author": None}, as_
    # Recorded by the branch for a registered resident by phone: the recorder handles it and sees the number.
    body = await demo.ok("mutation($input: SubmitOpinionInput!) { submitOpinion(input: $input) { "
                         "opinion { author { displayName phone } } errors { code } } }",
                         {"input": {"text": "入户听到：楼道堆物", "channel": "HOME_VISIT",
                                    "compoundId": await compound_id(GUANYUANLI), "residentPhone": RESIDENT}},
                         as_=BRANCH_STAFF)
    assert body == {"submitOpinion": {"opinion": full, "errors": []}}


# --- who sees an opinion -----------------------------------------------------------------------------------------


async def test_who_sees_an_opinion(demo: Api) -> None:
    await staff(demo)
    await person(demo, NEWCOMER, "邻居")
    created = await submitted(demo, as_=RESIDENT, text="希望增设休闲座椅")
    # Before any assignment: the author, the managers of the community and above, and the managers of the
    # compound's branch (not its plain members, nor the team below it).
    seers = (RESIDENT, COMMUNITY_ADMIN, COMMUNITY_STAFF, STREET_ADMIN, STREET_STAFF, ADMIN0, DISTRICT_STAFF,
             BRANCH_ADMIN, BRANCH_STAFF)
    blind = (MEMBER, STEWARD, PARTNER_ADMIN, XIAGANG_ADMIN, HAILONG_BRANCH_ADMIN, NEWCOMER)
    for as_ in seers:
        assert (await node(demo, created, as_=as_))["text"] == "希望增设休闲座椅", as_
        assert "希望增设休闲座椅" in await texts(demo, as_=as_), as_
    for as_ in blind:
        assert await node(demo, created, as_=as_) is None, as_
        assert "希望增设休闲座椅" not in await texts(demo, as_=as_), as_
    assert await node(demo, created, as_=None) is None
    assert await node(demo, gid("Opinion", 999), as_=ADMIN0) is None
    # Handed to 捷安: its admin sees it too, 观远里's branch still does (its compound), 海龙's still does not.
    assert (await assign(demo, created, JIEAN))["errors"] == []
    assert (await node(demo, created, as_=PARTNER_ADMIN))["assignee"] == {"name": JIEAN}
    assert await texts(demo, as_=PARTNER_ADMIN) == ["希望增设休闲座椅"]
    assert (await node(demo, created, as_=BRANCH_ADMIN))["assignee"] == {"name": JIEAN}
    assert await node(demo, created, as_=HAILONG_BRANCH_ADMIN) is None
    # Handed on to 海龙's branch: its admin sees it now, 捷安 no longer does.
    assert (await assign(demo, created, HAILONG_BRANCH))["errors"] == []
    assert (await node(demo, created, as_=HAILONG_BRANCH_ADMIN))["assignee"] == {"name": HAILONG_BRANCH}
    assert await texts(demo, as_=HAILONG_BRANCH_ADMIN) == ["希望增设休闲座椅"]
    assert await node(demo, created, as_=PARTNER_ADMIN) is None
    assert await texts(demo, as_=PARTNER_ADMIN) == []
    # Handed on to 观远里's branch: 海龙's no longer sees it.
    assert (await assign(demo, created, BRANCH))["errors"] == []
    assert (await node(demo, created, as_=BRANCH_ADMIN))["assignee"] == {"name": BRANCH}
    assert await node(demo, created, as_=HAILONG_BRANCH_ADMIN) is None
    assert await texts(demo, as_=HAILONG_BRANCH_ADMIN) == []
    # Plain members of the branch are not its managers.
    assert await node(demo, created, as_=MEMBER) is None
    assert await texts(demo, as_=MEMBER) == [DEMO_GARBAGE]  # their own demo one
    # The list needs login; `nodes` on several ids gives null for the hidden ones.
    assert code(await demo(OPINIONS)) == "UNAUTHENTICATED"
    body = await demo.ok("query($ids: [ID!]!) { nodes(ids: $ids) { ... on Opinion { text } } }",
                         {"ids": [created, gid("Opinion", 1), gid("Opinion", 4)]}, as_=RESIDENT)
    assert body == {"nodes": [{"text": "希望增设休闲座椅"}, {"text": DEMO_STREETLIGHT}, None]}


async def test_the_opinion_list_filters_and_pages(demo: Api) -> None:
    await staff(demo)
    hailong = await submitted(demo, as_=RESIDENT, text="海龙小区：路面破损", compoundId=await compound_id(HAILONG))
    street_owned = await submitted(demo, as_=STREET_STAFF, text="街道会议：菜市场秩序", channel="MEETING",
                                   orgId=await org_id(STREET))
    own_app = await submitted(demo, as_=COMMUNITY_ADMIN, text="书记本人：健身器材老化",
                              compoundId=await compound_id(GUANYUANLI))
    assert (await assign(demo, hailong, JIEAN, as_=ADMIN0))["errors"] == []
    assert (await assign(demo, own_app, JIEAN))["errors"] == []
    assert (await reply(demo, street_owned, "已协调市场监管所", as_=STREET_ADMIN))["errors"] == []
    everything = ["书记本人：健身器材老化", "街道会议：菜市场秩序", "海龙小区：路面破损", DEMO_GARBAGE, DEMO_ELDERLY,
                  DEMO_CHARGER, DEMO_STREETLIGHT]
    assert await texts(demo, as_=ADMIN0) == everything
    assert await texts(demo, as_=STREET_ADMIN) == [t for t in everything if t != "海龙小区：路面破损"]
    assert await texts(demo, as_=XIAGANG_ADMIN) == ["海龙小区：路面破损"]
    assert await texts(demo, as_=PARTNER_ADMIN) == ["书记本人：健身器材老化", "海龙小区：路面破损"]

    # mine: only what the viewer submitted themself, whatever else they may see.
    assert await texts(demo, as_=COMMUNITY_ADMIN, mine=True) == ["书记本人：健身器材老化"]
    assert await texts(demo, as_=STREET_STAFF, mine=True) == []  # recorded, not authored
    assert await texts(demo, as_=RESIDENT, mine=True) == ["海龙小区：路面破损", DEMO_CHARGER, DEMO_STREETLIGHT]
    assert await texts(demo, as_=RESIDENT) == ["海龙小区：路面破损", DEMO_CHARGER, DEMO_STREETLIGHT]
    # orgId: owned by or assigned to the org's subtree (within what the viewer sees).
    community = [t for t in everything if t not in ("街道会议：菜市场秩序", "海龙小区：路面破损")]
    assert await texts(demo, as_=ADMIN0, orgId=await org_id(COMMUNITY)) == community
    assert await texts(demo, as_=ADMIN0, orgId=await org_id(STREET)) == [t for t in everything
                                                                        if t != "海龙小区：路面破损"]
    assert await texts(demo, as_=ADMIN0, orgId=await org_id(XIAGANG)) == ["海龙小区：路面破损"]
    assert await texts(demo, as_=ADMIN0, orgId=await org_id(JIEAN)) == ["书记本人：健身器材老化", "海龙小区：路面破损"]
    # The compound's branch: 观远里's opinions, owned by the community and handed to nobody there or to 捷安.
    guanyuanli_ones = ["书记本人：健身器材老化", DEMO_GARBAGE, DEMO_ELDERLY, DEMO_CHARGER, DEMO_STREETLIGHT]
    assert await texts(demo, as_=ADMIN0, orgId=await org_id(BRANCH)) == guanyuanli_ones
    assert await texts(demo, as_=ADMIN0, orgId=await org_id(HAILONG_BRANCH)) == ["海龙小区：路面破损"]
    assert await texts(demo, as_=ADMIN0, orgId=await org_id(LUJIANG)) == []
    assert await texts(demo, as_=STREET_ADMIN, orgId=await org_id(JIEAN)) == ["书记本人：健身器材老化"]
    assert await texts(demo, as_=ADMIN0, orgId="garbage") == []
    # status, and everything together.
    assert await texts(demo, as_=ADMIN0, status="REPLIED") == ["街道会议：菜市场秩序", DEMO_ELDERLY, DEMO_STREETLIGHT]
    assert await texts(demo, as_=ADMIN0, status="ASSIGNED") == ["书记本人：健身器材老化", "海龙小区：路面破损"]
    assert await texts(demo, as_=ADMIN0, status="CLOSED") == [DEMO_GARBAGE]
    assert await texts(demo, as_=ADMIN0, status="OPEN") == [DEMO_CHARGER]
    assert await texts(demo, as_=ADMIN0, status="ASSIGNED", orgId=await org_id(COMMUNITY)) == ["书记本人：健身器材老化"]
    assert await texts(demo, as_=RESIDENT, mine=True, status="OPEN") == [DEMO_CHARGER]
    assert await texts(demo, as_=COMMUNITY_ADMIN, mine=True, orgId=await org_id(XIAGANG)) == []

    # Pages of two, newest first, cursors stable when a newer opinion arrives in between.
    seen: list[str] = []
    after = None
    while True:
        body = (await demo.ok(OPINIONS, {"first": 2, "after": after}, as_=ADMIN0))["opinions"]
        assert body["totalCount"] == len(everything) + (1 if seen else 0)
        seen += [n["text"] for n in body["nodes"]]
        if not seen[2:]:
            await submitted(demo, as_=RESIDENT, text="翻页时新提交的")
        if not body["pageInfo"]["hasNextPage"]:
            break
        after = body["pageInfo"]["endCursor"]
    assert seen == everything
    body = await demo(OPINIONS, {"first": 101}, as_=ADMIN0)
    assert code(body) == "INVALID"
    assert code(await demo(OPINIONS, {"after": "garbage"}, as_=ADMIN0)) == "INVALID"


async def test_the_compounds_branch_sees_and_handles_its_opinions(demo: Api) -> None:
    await staff(demo)
    created = await submitted(demo, as_=RESIDENT, text="楼顶防水层破损")
    elsewhere = await submitted(demo, as_=RESIDENT, text="海龙小区：单车乱停", compoundId=await compound_id(HAILONG))
    # The community's own, heard at its meeting, of no compound: not the branch's.
    no_compound = await submitted(demo, as_=COMMUNITY_ADMIN, text="社区会议：停车收费", channel="MEETING",
                                  orgId=await org_id(COMMUNITY))
    guanyuanli_ones = ["楼顶防水层破损", DEMO_GARBAGE, DEMO_ELDERLY, DEMO_CHARGER, DEMO_STREETLIGHT]
    # Whoever manages 观远里's branch sees 观远里's opinions, owned by 莲花北社区 and handed to nobody; not the
    # community's others, not another compound's.
    for as_ in (BRANCH_ADMIN, BRANCH_STAFF):
        seen = await node(demo, created, as_=as_)
        assert (seen["org"], seen["assignee"], seen["compound"]) == ({"name": COMMUNITY}, None,
                                                                     {"name": GUANYUANLI}), as_
        assert await who(demo, created, as_=as_) == {"author": {"displayName": RESIDENT_NAME},
                                                     "contactPhone": None}, as_
        assert await node(demo, elsewhere, as_=as_) is None, as_
        assert await node(demo, no_compound, as_=as_) is None, as_
        assert await texts(demo, as_=as_) == guanyuanli_ones, as_
    # 海龙's branch admin sees 海龙's only; the team below 观远里's branch, and its plain members, see none of it.
    assert await node(demo, created, as_=HAILONG_BRANCH_ADMIN) is None
    assert await texts(demo, as_=HAILONG_BRANCH_ADMIN) == ["海龙小区：单车乱停"]
    assert await texts(demo, as_=STEWARD) == []
    assert await texts(demo, as_=MEMBER) == [DEMO_GARBAGE]  # their own

    # orgId: the branch lists its compound's opinions (whoever asks, within what they see).
    branch, hailong_branch = await org_id(BRANCH), await org_id(HAILONG_BRANCH)
    for as_ in (ADMIN0, STREET_STAFF, COMMUNITY_ADMIN, BRANCH_ADMIN, BRANCH_STAFF):
        assert await texts(demo, as_=as_, orgId=branch) == guanyuanli_ones, as_
    assert await texts(demo, as_=ADMIN0, orgId=branch, status="OPEN") == ["楼顶防水层破损", DEMO_CHARGER]
    assert await texts(demo, as_=ADMIN0, orgId=hailong_branch) == ["海龙小区：单车乱停"]
    assert await texts(demo, as_=HAILONG_BRANCH_ADMIN, orgId=branch) == []
    assert await texts(demo, as_=BRANCH_ADMIN, orgId=hailong_branch) == []
    assert await texts(demo, as_=ADMIN0, orgId=await org_id(BRANCH_TEAM)) == []  # below the branch: not its compound
    assert await texts(demo, as_=ADMIN0, orgId=await org_id(COMMUNITY)) == ["社区会议：停车收费", *guanyuanli_ones]
    assert await texts(demo, as_=BRANCH_ADMIN, orgId=await org_id(COMMUNITY)) == guanyuanli_ones

    # Another compound's branch cannot handle it: for them there is nothing there.
    for document, extra in ((ASSIGN, {"orgId": hailong_branch}), (REPLY, {"text": "海龙答复"}), (CLOSE, {})):
        for as_, target in ((HAILONG_BRANCH_ADMIN, created), (BRANCH_ADMIN, elsewhere), (BRANCH_STAFF, no_compound)):
            assert await act(demo, document, target, as_=as_, **extra) == {
                "opinion": None, "errors": [{"field": ["opinionId"], "code": "NOT_FOUND",
                                             "message": "找不到该对象"}]}, (document, as_)
    for target in (created, elsewhere, no_compound):
        row = await OpinionRow.get(id=row_id(target))
        assert (row.status, row.assignee_id, row.first_reply_at) == (OpinionStatus.OPEN, None, None)

    # The branch answers, unassigned, in its own name (it manages neither an assignee nor the owning community),
    # hands it to 捷安, answers again as it still sees and handles it, takes it on itself and closes it.
    body = await reply(demo, created, "支部已上报维修", as_=BRANCH_ADMIN)
    first_at = body["opinion"].pop("firstReplyAt")
    assert first_at is not None
    assert body == {"opinion": {"status": "REPLIED", "assignee": None, "closedAt": None,
                                "replies": [reply_of("支部已上报维修", BRANCH)]}, "errors": []}
    body = await assign(demo, created, JIEAN, as_=BRANCH_STAFF)
    assert (body["errors"], body["opinion"]["status"], body["opinion"]["assignee"]) == ([], "REPLIED",
                                                                                       {"name": JIEAN})
    assert (await node(demo, created, as_=BRANCH_ADMIN))["assignee"] == {"name": JIEAN}
    assert await texts(demo, as_=BRANCH_ADMIN, orgId=branch) == guanyuanli_ones
    assert await texts(demo, as_=PARTNER_ADMIN, orgId=branch) == ["楼顶防水层破损"]
    body = await reply(demo, created, "支部督促捷安", as_=BRANCH_STAFF)
    assert body["opinion"]["replies"][-1] == reply_of("支部督促捷安", BRANCH)
    assert (await reply(demo, created, "捷安已派人", as_=PARTNER_ADMIN))["opinion"]["replies"][-1] == reply_of(
        "捷安已派人", JIEAN)
    assert (await assign(demo, created, BRANCH, as_=BRANCH_ADMIN))["opinion"]["assignee"] == {"name": BRANCH}
    body = await reply(demo, created, "支部已修好", as_=BRANCH_ADMIN)
    assert body["opinion"]["replies"] == [reply_of("支部已上报维修", BRANCH), reply_of("支部督促捷安", BRANCH),
                                          reply_of("捷安已派人", JIEAN), reply_of("支部已修好", BRANCH)]
    body = await close(demo, created, as_=BRANCH_STAFF)
    assert (body["errors"], body["opinion"]["status"], body["opinion"]["firstReplyAt"]) == ([], "CLOSED", first_at)
    assert (await reply(demo, created, "再补充", as_=BRANCH_ADMIN))["errors"][0]["code"] == "INVALID_STATE"
    replies = await ReplyRow.filter(opinion_id=row_id(created)).order_by("id")
    assert [r.author_id for r in replies] == [demo.users[p] for p in (BRANCH_ADMIN, BRANCH_STAFF, PARTNER_ADMIN,
                                                                       BRANCH_ADMIN)]
    # 海龙's branch handles 海龙's the same way (the branch of the opinion's compound, not of the viewer's own).
    assert (await reply(demo, elsewhere, "海龙支部已处理", as_=HAILONG_BRANCH_ADMIN))["opinion"]["replies"] == [
        reply_of("海龙支部已处理", HAILONG_BRANCH)]
    assert (await close(demo, elsewhere, as_=HAILONG_BRANCH_ADMIN))["opinion"]["status"] == "CLOSED"


# --- assignOpinion, replyOpinion, closeOpinion -------------------------------------------------------------------


async def test_handling_refusals(demo: Api) -> None:
    await staff(demo)
    created = await submitted(demo, as_=RESIDENT, text="需要处理的意见")
    jiean = await org_id(JIEAN)
    documents = ((ASSIGN, {"orgId": jiean}), (REPLY, {"text": "答复"}), (CLOSE, {}))
    for document, extra in documents:
        # The author sees it, but does not handle it.
        body = await demo(document, {"input": {"opinionId": created, **extra}}, as_=RESIDENT)
        assert body["data"] is None and code(body) == "FORBIDDEN", document
        assert body["errors"][0]["message"] == "无权进行此操作"
        # Who cannot see it (or asks for nothing) hears that there is nothing.
        for as_, target in ((HAILONG_BRANCH_ADMIN, created), (MEMBER, created), (STEWARD, created),
                            (PARTNER_ADMIN, created), (XIAGANG_ADMIN, created), (ADMIN0, gid("Opinion", 999)),
                            (ADMIN0, "garbage"), (ADMIN0, gid("Order", 1))):
            for lang, message in ((None, "找不到该对象"), ("en", "No such object")):
                payload = await act(demo, document, target, as_=as_, lang=lang, **extra)
                assert payload == {"opinion": None, "errors": [{"field": ["opinionId"], "code": "NOT_FOUND",
                                                                "message": message}]}, (document, as_, target)
        assert code(await demo(document, {"input": {"opinionId": created, **extra}})) == "UNAUTHENTICATED"
    # The author of a demo opinion handled by the community cannot touch it either.
    body = await demo(CLOSE, {"input": {"opinionId": gid("Opinion", 2)}}, as_=RESIDENT)
    assert code(body) == "FORBIDDEN"
    # Bad arguments of a handler.
    assert await act(demo, ASSIGN, created, as_=COMMUNITY_ADMIN, orgId=gid("Org", 999)) == {
        "opinion": None, "errors": [{"field": ["orgId"], "code": "NOT_FOUND", "message": "找不到该对象"}]}
    for text in ("  ", "字" * 2001):
        assert await act(demo, REPLY, created, as_=COMMUNITY_ADMIN, lang="en", text=text) == {
            "opinion": None, "errors": [{"field": ["text"], "code": "INVALID",
                                         "message": "Must be 1 to 2000 characters long"}]}
    row = await OpinionRow.get(id=row_id(created))
    assert (row.status, row.assignee_id, row.first_reply_at, row.closed_at) == (OpinionStatus.OPEN, None, None, None)
    assert await ReplyRow.filter(opinion_id=row.id).count() == 0


async def test_assign_reply_and_close(demo: Api) -> None:
    await staff(demo)
    created = await submitted(demo, as_=RESIDENT, text="单元门禁坏了")
    pk = row_id(created)

    body = await assign(demo, created, BRANCH)
    assert body == {"opinion": {"status": "ASSIGNED", "assignee": {"name": BRANCH}, "replies": [],
                                "firstReplyAt": None, "closedAt": None}, "errors": []}
    # The assignee's admin answers in the branch's name, and so does the community admin above it.
    body = await reply(demo, created, "已联系维修师傅", as_=BRANCH_ADMIN)
    first_at = body["opinion"].pop("firstReplyAt")
    assert first_at is not None
    assert body == {"opinion": {"status": "REPLIED", "assignee": {"name": BRANCH},
                                "replies": [reply_of("已联系维修师傅", BRANCH)], "closedAt": None}, "errors": []}
    row = await OpinionRow.get(id=pk)
    assert row.first_reply_at is not None and row.first_reply_at.isoformat() == first_at
    body = await reply(demo, created, "师傅明天上午到", as_=COMMUNITY_ADMIN)
    assert body["opinion"]["replies"] == [reply_of("已联系维修师傅", BRANCH), reply_of("师傅明天上午到", BRANCH)]
    assert body["opinion"]["firstReplyAt"] == first_at
    # Handed on to 捷安 (it stays REPLIED, its replies and first reply kept): the community answers as itself now,
    # 捷安 as itself.
    body = await assign(demo, created, JIEAN, as_=STREET_STAFF)
    assert body == {"opinion": {"status": "REPLIED", "assignee": {"name": JIEAN}, "firstReplyAt": first_at,
                                "closedAt": None,
                                "replies": [reply_of("已联系维修师傅", BRANCH), reply_of("师傅明天上午到", BRANCH)]},
                    "errors": []}
    assert (await reply(demo, created, "社区跟进中", as_=COMMUNITY_STAFF))["errors"] == []
    body = await reply(demo, created, "捷安志愿者已更换门禁", as_=PARTNER_ADMIN)
    assert body == {"opinion": {"status": "REPLIED", "assignee": {"name": JIEAN}, "firstReplyAt": first_at,
                                "closedAt": None,
                                "replies": [reply_of("已联系维修师傅", BRANCH), reply_of("师傅明天上午到", BRANCH),
                                            reply_of("社区跟进中", COMMUNITY), reply_of("捷安志愿者已更换门禁", JIEAN)]},
                    "errors": []}
    # The resident reads the answers in order.
    assert (await demo.ok(MINE, as_=RESIDENT))["opinions"]["nodes"][0] == {
        "text": "单元门禁坏了", "status": "REPLIED", "replies": body["opinion"]["replies"]}
    # Closed, once; nothing more after that.
    body = await close(demo, created, as_=PARTNER_ADMIN)
    closed_at = body["opinion"].pop("closedAt")
    assert closed_at is not None and body["errors"] == [] and body["opinion"]["status"] == "CLOSED"
    for lang, message in ((None, "该意见已办结"), ("en", "This opinion has been closed")):
        for document, extra in ((CLOSE, {}), (REPLY, {"text": "补充"}), (ASSIGN, {"orgId": await org_id(BRANCH)})):
            payload = await act(demo, document, created, as_=COMMUNITY_ADMIN, lang=lang, **extra)
            assert payload == {"opinion": None, "errors": [{"field": ["opinionId"], "code": "INVALID_STATE",
                                                            "message": message}]}, document
    row = await OpinionRow.get(id=pk)
    assert (row.status, row.assignee_id, row.first_reply_at.isoformat(), row.closed_at.isoformat()) == (
        OpinionStatus.CLOSED, (await OrgRow.get(name=JIEAN)).id, first_at, closed_at)
    replies = await ReplyRow.filter(opinion_id=pk).order_by("id")
    assert [(r.text, r.author_id) for r in replies] == [
        ("已联系维修师傅", demo.users[BRANCH_ADMIN]), ("师傅明天上午到", demo.users[COMMUNITY_ADMIN]),
        ("社区跟进中", demo.users[COMMUNITY_STAFF]), ("捷安志愿者已更换门禁", demo.users[PARTNER_ADMIN])]
    assert [r.created_at for r in replies] == sorted(r.created_at for r in replies)
    assert replies[0].created_at == row.first_reply_at


async def test_a_reply_without_assignment_and_a_close_without_reply(demo: Api) -> None:
    await staff(demo)
    answered = await submitted(demo, as_=RESIDENT, text="直接答复的意见")
    body = await reply(demo, answered, "已处理", as_=STREET_STAFF)
    assert body["errors"] == [] and body["opinion"]["status"] == "REPLIED"
    assert body["opinion"]["assignee"] is None and body["opinion"]["replies"] == [reply_of("已处理", COMMUNITY)]
    # The district answers for the owning community too.
    body = await reply(demo, answered, "区里已督办", as_=ADMIN0)
    assert body["opinion"]["replies"][1] == reply_of("区里已督办", COMMUNITY)
    # Assigning a replied opinion keeps it REPLIED; its first reply stays.
    first_at = body["opinion"]["firstReplyAt"]
    body = await assign(demo, answered, BRANCH)
    assert (body["errors"], body["opinion"]["status"], body["opinion"]["assignee"]) == ([], "REPLIED",
                                                                                       {"name": BRANCH})
    assert first_at is not None and body["opinion"]["firstReplyAt"] == first_at
    assert (await reply(demo, answered, "支部已落实", as_=ADMIN0))["opinion"]["replies"][2] == reply_of("支部已落实", BRANCH)

    dropped = await submitted(demo, as_=RESIDENT, text="重复提交的意见")
    body = await close(demo, dropped, as_=COMMUNITY_STAFF)
    assert body["errors"] == [] and body["opinion"]["status"] == "CLOSED"
    assert body["opinion"]["replies"] == [] and body["opinion"]["firstReplyAt"] is None
    assert body["opinion"]["closedAt"] is not None
    # The demo's closed opinion is closed for good.
    assert (await reply(demo, gid("Opinion", 4), "再补充"))["errors"][0]["code"] == "INVALID_STATE"


async def test_assigning_a_replied_opinion_keeps_it_replied(demo: Api) -> None:
    await staff(demo)
    created = await submitted(demo, as_=RESIDENT, text="电梯经常停运")
    pk = row_id(created)
    # OPEN becomes ASSIGNED, and an ASSIGNED one handed on stays ASSIGNED.
    for org, as_ in ((BRANCH, COMMUNITY_ADMIN), (JIEAN, BRANCH_ADMIN)):
        assert await assign(demo, created, org, as_=as_) == {
            "opinion": {"status": "ASSIGNED", "assignee": {"name": org}, "replies": [], "firstReplyAt": None,
                        "closedAt": None}, "errors": []}, org
    body = await reply(demo, created, "已联系电梯维保单位", as_=PARTNER_ADMIN)
    first_at = body["opinion"]["firstReplyAt"]
    assert body["opinion"]["status"] == "REPLIED" and first_at is not None
    # Handed on after the answer, by different handlers and to the same org twice: still REPLIED, its answer and
    # first reply time kept.
    for org, as_ in ((BRANCH, COMMUNITY_ADMIN), (STREET, BRANCH_STAFF), (STREET, ADMIN0)):
        assert await assign(demo, created, org, as_=as_) == {
            "opinion": {"status": "REPLIED", "assignee": {"name": org},
                        "replies": [reply_of("已联系电梯维保单位", JIEAN)], "firstReplyAt": first_at,
                        "closedAt": None}, "errors": []}, (org, as_)
    row = await OpinionRow.get(id=pk)
    assert (row.status, row.assignee_id, row.first_reply_at.isoformat(), row.closed_at) == (
        OpinionStatus.REPLIED, (await OrgRow.get(name=STREET)).id, first_at, None)
    # The status filter finds it among the replied ones, not the assigned ones, for every handler and the author.
    replied = ["电梯经常停运", DEMO_ELDERLY, DEMO_STREETLIGHT]
    for as_ in (ADMIN0, STREET_ADMIN, COMMUNITY_ADMIN, BRANCH_ADMIN):
        assert await texts(demo, as_=as_, status="REPLIED") == replied, as_
        assert await texts(demo, as_=as_, status="ASSIGNED") == [], as_
    assert await texts(demo, as_=ADMIN0, status="REPLIED", orgId=await org_id(STREET)) == replied
    assert await texts(demo, as_=RESIDENT, mine=True, status="REPLIED") == ["电梯经常停运", DEMO_STREETLIGHT]
    assert (await demo.ok(MINE, as_=RESIDENT))["opinions"]["nodes"][0] == {
        "text": "电梯经常停运", "status": "REPLIED", "replies": [reply_of("已联系电梯维保单位", JIEAN)]}
    # The assignee answers again: REPLIED as before; the first reply time does not move.
    body = await reply(demo, created, "街道已督办", as_=STREET_STAFF)
    assert (body["opinion"]["status"], body["opinion"]["firstReplyAt"]) == ("REPLIED", first_at)
    assert body["opinion"]["replies"][-1] == reply_of("街道已督办", STREET)
    # The demo's: the replied one stays REPLIED, the open one becomes ASSIGNED.
    body = await assign(demo, gid("Opinion", 1), BRANCH)
    assert (body["errors"], body["opinion"]["status"], body["opinion"]["assignee"]) == ([], "REPLIED",
                                                                                       {"name": BRANCH})
    body = await assign(demo, gid("Opinion", 2), BRANCH)
    assert (body["errors"], body["opinion"]["status"], body["opinion"]["assignee"]) == ([], "ASSIGNED",
                                                                                       {"name": BRANCH})
    # Closed, it is handed to nobody: INVALID_STATE, nothing changed.
    assert (await close(demo, created))["opinion"]["status"] == "CLOSED"
    for lang, message in ((None, "该意见已办结"), ("en", "This opinion has been closed")):
        assert await act(demo, ASSIGN, created, as_=COMMUNITY_ADMIN, lang=lang, orgId=await org_id(BRANCH)) == {
            "opinion": None, "errors": [{"field": ["opinionId"], "code": "INVALID_STATE", "message": message}]}
    row = await OpinionRow.get(id=pk)
    assert (row.status, row.assignee_id, row.first_reply_at.isoformat()) == (
        OpinionStatus.CLOSED, (await OrgRow.get(name=STREET)).id, first_at)
    assert await texts(demo, as_=ADMIN0, status="REPLIED") == [DEMO_ELDERLY, DEMO_STREETLIGHT]


# --- Org.opinionStats --------------------------------------------------------------------------------------------


BASE = datetime(2025, 3, 1, 8, 0, tzinfo=timezone.utc)


async def put(org: str, hours: float | None, *, closed: bool = False) -> None:
    """An opinion owned by `org`, created at BASE and first answered `hours` later (None: never), set directly."""
    row = await OpinionRow.create(text=f"{org} {hours}", org_id=(await OrgRow.get(name=org)).id,
                                  channel=OpinionChannel.HOTLINE)
    first = BASE + timedelta(hours=hours) if hours is not None else None
    status = OpinionStatus.CLOSED if closed else OpinionStatus.REPLIED if first else OpinionStatus.OPEN
    await OpinionRow.filter(id=row.id).update(created_at=BASE, first_reply_at=first, status=status,
                                              closed_at=first + timedelta(hours=1) if closed and first else None)


def stats(received: int, replied: int, rate: float, median: float | None) -> dict:
    return {"opinionStats": {"received": received, "replied": replied, "repliedRate": rate,
                             "medianHoursToFirstReply": median}}


async def test_opinion_stats_per_subtree(demo: Api) -> None:
    await OpinionRow.all().delete()  # the demo's (answered at once) would blur the medians
    for org, hours in ((COMMUNITY, 1.5), (COMMUNITY, 10), (COMMUNITY, 3), (COMMUNITY, None),
                       (XUNSIDING, 6), (XUNSIDING, None), (XUNSIDING, 2), (XUNSIDING, None),
                       (STREET, 0.5), (JIEAN, 100), (LUJIANG, None)):
        await put(org, hours)
    await put(LUJIANG, None, closed=True)  # closed unanswered: received, not replied
    # Owned opinions count, not assigned ones: one of 莲花北's handed to the branch stays 莲花北's.
    await OpinionRow.filter(text=f"{COMMUNITY} 3").update(assignee_id=(await OrgRow.get(name=BRANCH)).id)
    names = [DISTRICT, STREET, COMMUNITY, BRANCH, XIAGANG, XUNSIDING, LUJIANG, JIEAN, "鹭江派出所"]
    query = "query(" + ", ".join(f"$o{i}: ID!" for i in range(len(names))) + ") { " + " ".join(
        f"o{i}: org(id: $o{i}) {{ {STATS_FIELDS} }}" for i in range(len(names))) + " }"
    variables = {f"o{i}": await org_id(name) for i, name in enumerate(names)}
    expected = {
        DISTRICT: stats(11, 6, 6 / 11, 2.5),  # hours 0.5 1.5 2 3 6 10: even, the mean of 2 and 3
        STREET: stats(5, 4, 0.8, 2.25),  # 0.5 1.5 3 10
        COMMUNITY: stats(4, 3, 0.75, 3.0),  # 1.5 3 10: odd, the middle one
        BRANCH: stats(0, 0, 0.0, None),
        XIAGANG: stats(4, 2, 0.5, 4.0),  # 2 6
        XUNSIDING: stats(4, 2, 0.5, 4.0),
        LUJIANG: stats(2, 0, 0.0, None),
        JIEAN: stats(1, 1, 1.0, 100.0),
        "鹭江派出所": stats(0, 0, 0.0, None),
    }
    with count_sql() as sql:
        body = await demo.ok(query, variables)  # public, like Org.stats
    assert body == {f"o{i}": expected[name] for i, name in enumerate(names)}
    assert sum("opinion" in s for s in sql.statements) == 1  # one statement for all nine orgs

    # Answers through the API move the numbers: 莲花北's unanswered one is answered now (its age is whatever the
    # clock says, so only the counts are compared), and a new one arrives.
    waiting = await OpinionRow.get(text=f"{COMMUNITY} None")
    assert (await reply(demo, gid("Opinion", waiting.id), "已答复"))["errors"] == []
    await submitted(demo, as_=RESIDENT, text="新的意见")
    body = await demo.ok(f"query($id: ID!) {{ org(id: $id) {{ {STATS_FIELDS} }} }}", {"id": await org_id(COMMUNITY)})
    assert {k: v for k, v in body["org"]["opinionStats"].items() if k != "medianHoursToFirstReply"} == {
        "received": 5, "replied": 4, "repliedRate": 0.8}


# --- the mobile screen's statement budget ------------------------------------------------------------------------


async def test_opinions_i_submitted_takes_a_fixed_number_of_statements(demo: Api) -> None:
    await staff(demo)
    with count_sql() as sql:
        small = await demo.ok(MINE, as_=RESIDENT)
    baseline = sql.count
    assert len(small["opinions"]["nodes"]) == 2
    # Twelve more in two compounds, some handed to 捷安 or the branch and answered by it, and one to three times by
    # the district (in the branch's name where it is the assignee, else in the owning community's).
    hailong = await compound_id(HAILONG)
    for i in range(12):
        created = await submitted(demo, as_=RESIDENT, text=f"意见{i}", compoundId=hailong if i % 2 else None)
        if i % 4 in (0, 2):
            org, phone = (JIEAN, PARTNER_ADMIN) if i % 4 == 0 else (BRANCH, BRANCH_ADMIN)
            assert (await assign(demo, created, org, as_=ADMIN0))["errors"] == []
            assert (await reply(demo, created, f"{org}答复{i}", as_=phone))["errors"] == []
        for n in range(i % 3 + 1):
            assert (await reply(demo, created, f"答复{i}-{n}", as_=ADMIN0))["errors"] == []
    with count_sql() as sql:
        big = await demo.ok(MINE, as_=RESIDENT)
    nodes = big["opinions"]["nodes"]
    assert len(nodes) == 14 and sum(len(n["replies"]) for n in nodes) == 1 + 24 + 6
    assert {r["org"]["name"] for n in nodes for r in n["replies"]} == {COMMUNITY, XUNSIDING, JIEAN, BRANCH}
    assert nodes[-3]["replies"] == [reply_of(f"{JIEAN}答复0", JIEAN), reply_of("答复0-0", COMMUNITY)]
    assert sql.count == baseline == 4, sql.statements


# --- races -------------------------------------------------------------------------------------------------------


async def test_staff_replying_and_closing_at_once_leave_a_consistent_opinion(demo: Api) -> None:
    await staff(demo)
    rounds = [
        [(REPLY, COMMUNITY_ADMIN), (REPLY, STREET_ADMIN)],
        [(REPLY, COMMUNITY_ADMIN), (CLOSE, STREET_ADMIN)],
        [(CLOSE, COMMUNITY_ADMIN), (REPLY, STREET_STAFF), (REPLY, ADMIN0)],
        [(CLOSE, COMMUNITY_ADMIN), (CLOSE, STREET_ADMIN), (CLOSE, COMMUNITY_STAFF)],
        [(ASSIGN, COMMUNITY_ADMIN), (REPLY, STREET_ADMIN), (CLOSE, ADMIN0), (REPLY, COMMUNITY_STAFF)],
    ]
    branch = await org_id(BRANCH)
    for moves in rounds:
        created = await submitted(demo, as_=RESIDENT, text=f"并发 {len(moves)}")
        pk = row_id(created)
        calls = [demo.post(document, {"input": {"opinionId": created, **(
            {"text": f"答复 {as_}"} if document is REPLY else {"orgId": branch} if document is ASSIGN else {})}},
            as_=as_) for document, as_ in moves]
        responses = await asyncio.gather(*calls)
        assert all(r.status_code == 200 for r in responses), [r.text for r in responses]
        payloads = [next(iter(r.json()["data"].values())) for r in responses]
        assert all("errors" not in r.json() for r in responses), [r.json() for r in responses]
        assert all(p["errors"] in ([], [{"field": ["opinionId"], "code": "INVALID_STATE", "message": "该意见已办结"}])
                   for p in payloads), payloads
        ok = [document for (document, _), p in zip(moves, payloads) if not p["errors"]]
        row = await OpinionRow.get(id=pk)
        replies = await ReplyRow.filter(opinion_id=pk).order_by("id")
        assert len(replies) == ok.count(REPLY), (moves, payloads)
        assert (row.first_reply_at is not None) == bool(replies)
        if replies:
            assert row.first_reply_at == replies[0].created_at
        closes = ok.count(CLOSE)
        assert closes == (1 if any(d is CLOSE for d, _ in moves) else 0), (moves, payloads)
        if closes:
            assert row.status is OpinionStatus.CLOSED and row.closed_at is not None
            # Nothing was appended after the close.
            assert all(r.created_at <= row.closed_at for r in replies)
        else:
            assert row.status is OpinionStatus.REPLIED and row.closed_at is None
