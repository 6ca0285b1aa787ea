"""Joint meetings (联席会议): the seeded meeting, scheduling, who sees meetings and resolutions, answering, checking
in and the attendance rate, recording resolutions and turning them into DRAFT projects exactly once."""

from __future__ import annotations

import asyncio

import pytest

from models.enums import MemberRole, ProjectStatus
from models.meeting import InviteResponse
from models.meeting import Meeting as MeetingRow
from models.meeting import MeetingInvitee as InviteeRow
from models.meeting import Resolution as ResolutionRow
from models.org import Org as OrgRow
from models.project import Project as ProjectRow
from models.user import User as UserRow
from models.user import upsert_membership
from tests.conftest import Api, gid, org_id

BRANCH, COMMUNITY, STREET, JIEAN, POLICE = "观远里小区党支部", "莲花北社区", "嘉莲街道", "厦门市捷安集团党支部", "鹭江派出所"
TEAM, OTHER_STREET = "观远里厝边帮帮团", "厦港街道"
SEEDED = "嘉莲街道近邻共建联席会议"
ADMIN0, STREET_ADMIN, COMMUNITY_ADMIN, BRANCH_ADMIN = "13800000000", "13800000001", "13800000002", "13800000003"
MEMBER, PARTNER_ADMIN, RESIDENT = "13800000004", "13800000005", "13800000006"
POLICE_ADMIN, STREET_STAFF = "13900000001", "13900000002"

MEETING_FIELDS = """id title agenda location convener { name } attendanceRate
  invitees { org { name } response checkedIn }
  resolutions { text dueAt owner { name } project { title status } }"""

MEETING = f"""
query($id: ID!) {{ node(id: $id) {{ __typename ... on Meeting {{ {MEETING_FIELDS} }} }} }}"""

RESOLUTION = """
query($id: ID!) { node(id: $id) { __typename ... on Resolution { text owner { name } project { title } } } }"""

MEETINGS = """
query($filter: MeetingFilter) { meetings(filter: $filter) { totalCount nodes { title } } }"""

SCHEDULE = """
mutation($input: ScheduleMeetingInput!) {
  scheduleMeeting(input: $input) {
    meeting { id title agenda location convener { name } attendanceRate invitees { org { name } response checkedIn } }
    errors { field code }
  }
}"""

RESPOND = """
mutation($input: RespondMeetingInput!) {
  respondMeeting(input: $input) { meeting { invitees { org { name } response checkedIn } } errors { field code } }
}"""

CHECK_IN = """
mutation($input: CheckInMeetingInput!) {
  checkInMeeting(input: $input) {
    meeting { attendanceRate invitees { org { name } response checkedIn } } errors { field code }
  }
}"""

RECORD = """
mutation($input: RecordResolutionInput!) {
  recordResolution(input: $input) {
    resolution { id text dueAt owner { name } project { title } }
    meeting { resolutions { text } }
    errors { field code }
  }
}"""

CONVERT = """
mutation($input: ConvertResolutionToProjectInput!) {
  convertResolutionToProject(input: $input) {
    project { id title description status capacity category claimantKinds endsAt org { name } }
    errors { field code }
  }
}"""

DUE = "2030-06-30T10:00:00+00:00"


# --- helpers ----------------------------------------------------------------------------------------------------


async def seeded() -> str:
    return gid("Meeting", (await MeetingRow.get(title=SEEDED)).id)


async def person(demo: Api, phone: str, org_name: str, role: MemberRole) -> None:
    user = await UserRow.create(phone=phone, display_name=f"用户{phone[-2:]}", password_hash="-")
    await upsert_membership(user=user, org=await OrgRow.get(name=org_name), role=role)
    demo.users[phone] = user.id


async def schedule(demo: Api, invitees: list[str], *, convener: str = STREET, as_: str = STREET_ADMIN,
                   title: str = "莲花北片区共建协调会") -> dict:
    variables = {"input": {"convenerOrgId": await org_id(convener), "title": title, "startsAt": DUE,
                           "agenda": "议题", "location": "嘉莲街道会议室",
                           "inviteeOrgIds": [await org_id(name) for name in invitees]}}
    return (await demo.ok(SCHEDULE, variables, as_=as_))["scheduleMeeting"]


async def record(demo: Api, meeting: str, owner: str, *, text: str = "楼道加装扶手\n由观远里支部牵头落实。",
                 as_: str = STREET_ADMIN, due: str | None = DUE) -> dict:
    variables = {"input": {"meetingId": meeting, "text": text, "ownerOrgId": await org_id(owner), "dueAt": due}}
    return (await demo.ok(RECORD, variables, as_=as_))["recordResolution"]


def convert_input(resolution: str, capacity: int = 4, kinds: tuple[str, ...] = ("MEMBER",)) -> dict:
    return {"input": {"resolutionId": resolution, "capacity": capacity, "category": "ELDERLY_CARE",
                      "claimantKinds": list(kinds)}}


def invitee(name: str, response: str = "PENDING", checked_in: bool = False) -> dict:
    return {"org": {"name": name}, "response": response, "checkedIn": checked_in}


def code(body: dict) -> str:
    return body["errors"][0]["extensions"]["code"]


# --- the seeded meeting ------------------------------------------------------------------------------------------


async def test_the_seeded_meeting_as_the_conveners_admin(demo: Api) -> None:
    meeting = await seeded()
    body = await demo.ok(MEETING, {"id": meeting}, as_=STREET_ADMIN)
    rate = body["node"].pop("attendanceRate")
    assert rate == pytest.approx(2 / 3, abs=1e-4) and round(rate, 4) == 0.6667
    assert body == {"node": {
        "__typename": "Meeting", "id": meeting, "title": SEEDED, "agenda": "一、通报共建项目进展；二、议定社区义诊进小区事宜。",
        "location": "嘉莲街道党群服务中心", "convener": {"name": STREET},
        "invitees": [invitee(COMMUNITY, "ATTENDING", True), invitee(JIEAN, "ATTENDING", True),
                     invitee(BRANCH, "ATTENDING", False)],
        "resolutions": [{"text": "社区义诊进小区\n由莲花北社区牵头，邀请共建单位医护人员每月进小区义诊。", "dueAt": None,
                         "owner": {"name": COMMUNITY}, "project": {"title": "社区义诊进小区", "status": "OPEN"}}],
    }}


# --- scheduleMeeting ---------------------------------------------------------------------------------------------


async def test_a_street_schedules_and_duplicates_collapse(demo: Api) -> None:
    body = await schedule(demo, [COMMUNITY, JIEAN, COMMUNITY, BRANCH, JIEAN])
    assert body["errors"] == []
    meeting = body.pop("meeting")
    assert meeting.pop("id") == gid("Meeting", 2)
    assert meeting == {"title": "莲花北片区共建协调会", "agenda": "议题", "location": "嘉莲街道会议室",
                       "convener": {"name": STREET}, "attendanceRate": 0.0,
                       "invitees": [invitee(COMMUNITY), invitee(JIEAN), invitee(BRANCH)]}
    row = await MeetingRow.get(title="莲花北片区共建协调会")
    assert row.created_by_id == demo.users[STREET_ADMIN]
    assert await InviteeRow.filter(meeting_id=row.id).count() == 3


async def test_a_community_may_convene_and_street_staff_too(demo: Api) -> None:
    await person(demo, STREET_STAFF, STREET, MemberRole.STAFF)
    body = await schedule(demo, [BRANCH, JIEAN], convener=COMMUNITY, as_=COMMUNITY_ADMIN)
    assert body["errors"] == [] and body["meeting"]["convener"] == {"name": COMMUNITY}
    body = await schedule(demo, [COMMUNITY], as_=STREET_STAFF, title="员工召集")
    assert body["errors"] == [] and body["meeting"]["convener"] == {"name": STREET}


async def test_only_the_conveners_staff_schedule(demo: Api) -> None:
    variables = {"input": {"convenerOrgId": await org_id(STREET), "title": "会", "startsAt": DUE,
                           "inviteeOrgIds": [await org_id(COMMUNITY)]}}
    for phone in (COMMUNITY_ADMIN, BRANCH_ADMIN, MEMBER, PARTNER_ADMIN, RESIDENT):
        body = await demo(SCHEDULE, variables, as_=phone)
        assert body["data"] is None and code(body) == "FORBIDDEN", phone
    assert code(await demo(SCHEDULE, variables)) == "UNAUTHENTICATED"
    assert await MeetingRow.all().count() == 1


@pytest.mark.parametrize("convener, phone", [(BRANCH, BRANCH_ADMIN), (JIEAN, PARTNER_ADMIN), (TEAM, BRANCH_ADMIN)])
async def test_only_streets_and_communities_convene(demo: Api, convener: str, phone: str) -> None:
    body = await schedule(demo, [COMMUNITY], convener=convener, as_=phone)
    assert body == {"meeting": None, "errors": [{"field": ["convenerOrgId"], "code": "INVALID"}]}
    assert await MeetingRow.all().count() == 1


async def test_schedule_validation(demo: Api) -> None:
    base = {"convenerOrgId": await org_id(STREET), "title": "会", "startsAt": DUE,
            "inviteeOrgIds": [await org_id(COMMUNITY)]}
    cases = [
        ({"inviteeOrgIds": []}, [{"field": ["inviteeOrgIds"], "code": "INVALID"}]),
        ({"inviteeOrgIds": [await org_id(COMMUNITY), gid("Org", 9999)]},
         [{"field": ["inviteeOrgIds"], "code": "NOT_FOUND"}]),
        ({"inviteeOrgIds": ["garbage"]}, [{"field": ["inviteeOrgIds"], "code": "NOT_FOUND"}]),
        ({"title": "  "}, [{"field": ["title"], "code": "INVALID"}]),
        ({"title": "会" * 101, "inviteeOrgIds": []},
         [{"field": ["title"], "code": "INVALID"}, {"field": ["inviteeOrgIds"], "code": "INVALID"}]),
        ({"location": "址" * 201}, [{"field": ["location"], "code": "INVALID"}]),
    ]
    for change, errors in cases:
        body = (await demo.ok(SCHEDULE, {"input": {**base, **change}}, as_=STREET_ADMIN))["scheduleMeeting"]
        assert body == {"meeting": None, "errors": errors}, change
    unknown = (await demo.ok(SCHEDULE, {"input": {**base, "convenerOrgId": gid("Org", 9999)}},
                             as_=STREET_ADMIN))["scheduleMeeting"]
    assert unknown == {"meeting": None, "errors": [{"field": ["convenerOrgId"], "code": "NOT_FOUND"}]}
    assert await MeetingRow.all().count() == 1 and await InviteeRow.all().count() == 3


# --- visibility --------------------------------------------------------------------------------------------------


async def test_who_sees_the_meeting_and_its_resolutions(demo: Api) -> None:
    await person(demo, POLICE_ADMIN, POLICE, MemberRole.ADMIN)
    meeting = await seeded()
    resolution = gid("Resolution", (await ResolutionRow.get(owner_id=(await OrgRow.get(name=COMMUNITY)).id)).id)
    # The convener's managers (and above), members and managers of invited orgs.
    for phone in (STREET_ADMIN, ADMIN0, COMMUNITY_ADMIN, BRANCH_ADMIN, MEMBER, PARTNER_ADMIN):
        assert (await demo.ok(MEETING, {"id": meeting}, as_=phone))["node"]["title"] == SEEDED, phone
        assert (await demo.ok(MEETINGS, as_=phone))["meetings"] == {"totalCount": 1, "nodes": [{"title": SEEDED}]}
        node = (await demo.ok(RESOLUTION, {"id": resolution}, as_=phone))["node"]
        assert node["owner"] == {"name": COMMUNITY}, phone
    for phone in (RESIDENT, POLICE_ADMIN, None):
        assert (await demo.ok(MEETING, {"id": meeting}, as_=phone))["node"] is None, phone
        assert (await demo.ok(RESOLUTION, {"id": resolution}, as_=phone))["node"] is None, phone
    for phone in (RESIDENT, POLICE_ADMIN):
        assert (await demo.ok(MEETINGS, as_=phone))["meetings"] == {"totalCount": 0, "nodes": []}
    assert code(await demo(MEETINGS)) == "UNAUTHENTICATED"


async def test_meetings_filter_and_a_narrow_meeting(demo: Api) -> None:
    narrow = (await schedule(demo, [JIEAN], title="捷安专题会"))["meeting"]["id"]
    assert (await demo.ok(MEETINGS, as_=STREET_ADMIN))["meetings"]["nodes"] == [{"title": "捷安专题会"}, {"title": SEEDED}]
    # 莲花北 and 观远里 were not invited to the narrow one.
    for phone in (COMMUNITY_ADMIN, BRANCH_ADMIN, MEMBER):
        assert (await demo.ok(MEETINGS, as_=phone))["meetings"] == {"totalCount": 1, "nodes": [{"title": SEEDED}]}
        assert (await demo.ok(MEETING, {"id": narrow}, as_=phone))["node"] is None
    assert (await demo.ok(MEETINGS, as_=PARTNER_ADMIN))["meetings"]["totalCount"] == 2

    async def filtered(org: str) -> list[str]:
        body = (await demo.ok(MEETINGS, {"filter": {"orgId": await org_id(org)}}, as_=STREET_ADMIN))["meetings"]
        assert body["totalCount"] == len(body["nodes"])
        return [n["title"] for n in body["nodes"]]

    assert await filtered(STREET) == ["捷安专题会", SEEDED]  # convened
    assert await filtered(JIEAN) == ["捷安专题会", SEEDED]  # invited
    assert await filtered(COMMUNITY) == [SEEDED]
    assert await filtered(POLICE) == []


# --- respondMeeting and checkInMeeting ---------------------------------------------------------------------------


async def test_respond_and_check_in(demo: Api) -> None:
    meeting = (await schedule(demo, [COMMUNITY, JIEAN, BRANCH]))["meeting"]["id"]
    body = (await demo.ok(RESPOND, {"input": {"meetingId": meeting, "orgId": await org_id(JIEAN), "attending": False}},
                          as_=PARTNER_ADMIN))["respondMeeting"]
    assert body == {"meeting": {"invitees": [invitee(COMMUNITY), invitee(JIEAN, "DECLINED"), invitee(BRANCH)]},
                    "errors": []}
    # A manager above the invited org may answer for it.
    body = (await demo.ok(RESPOND, {"input": {"meetingId": meeting, "orgId": await org_id(BRANCH), "attending": True}},
                          as_=COMMUNITY_ADMIN))["respondMeeting"]
    assert body["errors"] == [] and body["meeting"]["invitees"][2] == invitee(BRANCH, "ATTENDING")

    # The org's own staff check in, or the convener's staff at the door; each once.
    body = (await demo.ok(CHECK_IN, {"input": {"meetingId": meeting, "orgId": await org_id(COMMUNITY)}},
                          as_=COMMUNITY_ADMIN))["checkInMeeting"]
    assert body["errors"] == [] and body["meeting"]["attendanceRate"] == pytest.approx(1 / 3)
    body = (await demo.ok(CHECK_IN, {"input": {"meetingId": meeting, "orgId": await org_id(JIEAN)}},
                          as_=STREET_ADMIN))["checkInMeeting"]
    assert body == {"meeting": {"attendanceRate": pytest.approx(2 / 3),
                                "invitees": [invitee(COMMUNITY, "ATTENDING", True), invitee(JIEAN, "ATTENDING", True),
                                             invitee(BRANCH, "ATTENDING")]}, "errors": []}
    twice = (await demo.ok(CHECK_IN, {"input": {"meetingId": meeting, "orgId": await org_id(JIEAN)}},
                           as_=PARTNER_ADMIN))["checkInMeeting"]
    assert twice == {"meeting": None, "errors": [{"field": ["orgId"], "code": "INVALID_STATE"}]}
    body = (await demo.ok(CHECK_IN, {"input": {"meetingId": meeting, "orgId": await org_id(BRANCH)}},
                          as_=BRANCH_ADMIN))["checkInMeeting"]
    assert body["errors"] == [] and body["meeting"]["attendanceRate"] == 1.0
    rows = await InviteeRow.filter(meeting_id=int((await MeetingRow.get(title="莲花北片区共建协调会")).id))
    assert all(r.checked_in_at is not None and r.response is InviteResponse.ATTENDING for r in rows)
    # Once present, an org cannot answer that it is not coming.
    late = (await demo.ok(RESPOND, {"input": {"meetingId": meeting, "orgId": await org_id(JIEAN), "attending": False}},
                          as_=PARTNER_ADMIN))["respondMeeting"]
    assert late == {"meeting": None, "errors": [{"field": ["orgId"], "code": "INVALID_STATE"}]}
    assert await InviteeRow.filter(response=InviteResponse.DECLINED).count() == 0


async def test_the_seeded_meeting_reaches_full_attendance(demo: Api) -> None:
    body = (await demo.ok(CHECK_IN, {"input": {"meetingId": await seeded(), "orgId": await org_id(BRANCH)}},
                          as_=STREET_ADMIN))["checkInMeeting"]
    assert body["errors"] == [] and body["meeting"]["attendanceRate"] == 1.0


async def test_respond_and_check_in_refusals(demo: Api) -> None:
    meeting = await seeded()
    # Seeing the meeting is not enough: the org's staff answer (the convener may not answer for it).
    for phone, org in ((MEMBER, BRANCH), (STREET_ADMIN, JIEAN), (PARTNER_ADMIN, COMMUNITY), (BRANCH_ADMIN, COMMUNITY)):
        body = await demo(RESPOND, {"input": {"meetingId": meeting, "orgId": await org_id(org), "attending": True}},
                          as_=phone)
        assert code(body) == "FORBIDDEN", (phone, org)
    for phone, org in ((MEMBER, BRANCH), (PARTNER_ADMIN, BRANCH), (BRANCH_ADMIN, COMMUNITY)):
        body = await demo(CHECK_IN, {"input": {"meetingId": meeting, "orgId": await org_id(org)}}, as_=phone)
        assert code(body) == "FORBIDDEN", (phone, org)
    # An org that was not invited: INVALID on orgId.
    for document, field, extra in ((RESPOND, "respondMeeting", {"attending": True}),
                                   (CHECK_IN, "checkInMeeting", {})):
        for phone, org in ((BRANCH_ADMIN, TEAM), (STREET_ADMIN, STREET)):
            body = (await demo.ok(document, {"input": {"meetingId": meeting, "orgId": await org_id(org), **extra}},
                                  as_=phone))[field]
            assert body == {"meeting": None, "errors": [{"field": ["orgId"], "code": "INVALID"}]}, (field, org)
    # Who cannot see the meeting gets NOT_FOUND, as for a missing one.
    for phone, meeting_id in ((RESIDENT, meeting), (STREET_ADMIN, gid("Meeting", 999))):
        body = (await demo.ok(RESPOND, {"input": {"meetingId": meeting_id, "orgId": await org_id(BRANCH),
                                                  "attending": True}}, as_=phone))["respondMeeting"]
        assert body == {"meeting": None, "errors": [{"field": ["meetingId"], "code": "NOT_FOUND"}]}
    assert code(await demo(CHECK_IN, {"input": {"meetingId": meeting, "orgId": await org_id(BRANCH)}})) == \
        "UNAUTHENTICATED"
    rows = await InviteeRow.filter(meeting_id=int((await MeetingRow.get(title=SEEDED)).id)).order_by("id")
    assert [(r.response, r.checked_in_at is not None) for r in rows] == [
        (InviteResponse.ATTENDING, True), (InviteResponse.ATTENDING, True), (InviteResponse.ATTENDING, False)]


# --- recordResolution --------------------------------------------------------------------------------------------


async def test_record_resolutions(demo: Api) -> None:
    meeting = await seeded()
    body = await record(demo, meeting, BRANCH)
    assert body["errors"] == []
    assert body["resolution"].pop("id")
    assert body == {"resolution": {"text": "楼道加装扶手\n由观远里支部牵头落实。", "dueAt": DUE, "owner": {"name": BRANCH},
                                   "project": None},
                    "meeting": {"resolutions": [{"text": "社区义诊进小区\n由莲花北社区牵头，邀请共建单位医护人员每月进小区义诊。"},
                                                {"text": "楼道加装扶手\n由观远里支部牵头落实。"}]},
                    "errors": []}
    convener_owned = await record(demo, meeting, STREET, text="街道统筹经费", due=None)
    assert convener_owned["errors"] == [] and convener_owned["resolution"]["owner"] == {"name": STREET}
    rows = await ResolutionRow.all().order_by("id")
    assert [(r.text, r.project_id) for r in rows[1:]] == [("楼道加装扶手\n由观远里支部牵头落实。", None), ("街道统筹经费", None)]


async def test_record_resolution_refusals(demo: Api) -> None:
    meeting = await seeded()
    for owner in (POLICE, TEAM, OTHER_STREET):
        body = await record(demo, meeting, owner)
        assert body == {"resolution": None, "meeting": None,
                        "errors": [{"field": ["ownerOrgId"], "code": "INVALID"}]}, owner
    body = await record(demo, meeting, BRANCH, text="   ")
    assert body["errors"] == [{"field": ["text"], "code": "INVALID"}]
    for phone in (COMMUNITY_ADMIN, PARTNER_ADMIN, BRANCH_ADMIN, MEMBER):
        variables = {"input": {"meetingId": meeting, "text": "决议", "ownerOrgId": await org_id(BRANCH)}}
        assert code(await demo(RECORD, variables, as_=phone)) == "FORBIDDEN", phone
    hidden = await record(demo, meeting, BRANCH, as_=RESIDENT)
    assert hidden == {"resolution": None, "meeting": None, "errors": [{"field": ["meetingId"], "code": "NOT_FOUND"}]}
    assert await ResolutionRow.all().count() == 1


# --- convertResolutionToProject ----------------------------------------------------------------------------------


async def test_convert_creates_a_draft_project_of_the_owner_once(demo: Api) -> None:
    meeting = await seeded()
    resolution = (await record(demo, meeting, BRANCH))["resolution"]["id"]
    body = (await demo.ok(CONVERT, convert_input(resolution, kinds=("ORG", "MEMBER", "ORG")),
                          as_=STREET_ADMIN))["convertResolutionToProject"]
    assert body["errors"] == []
    project = body["project"].pop("id")
    assert body == {"project": {"title": "楼道加装扶手", "description": "楼道加装扶手\n由观远里支部牵头落实。",
                                "status": "DRAFT", "capacity": 4, "category": "ELDERLY_CARE",
                                "claimantKinds": ["MEMBER", "ORG"], "endsAt": DUE, "org": {"name": BRANCH}},
                    "errors": []}
    row = await ResolutionRow.get(text="楼道加装扶手\n由观远里支部牵头落实。")
    created = await ProjectRow.get(id=row.project_id)
    assert gid("Project", created.id) == project
    assert (created.status, created.created_by_id, created.org_id) == (
        ProjectStatus.DRAFT, demo.users[STREET_ADMIN], (await OrgRow.get(name=BRANCH)).id)
    linked = await demo.ok(RESOLUTION, {"id": resolution}, as_=BRANCH_ADMIN)
    assert linked["node"]["project"] == {"title": "楼道加装扶手"}
    # A draft is its owner's managers' business: the branch's plain member sees the resolution, not the project.
    assert (await demo.ok(RESOLUTION, {"id": resolution}, as_=MEMBER))["node"]["project"] is None

    again = (await demo.ok(CONVERT, convert_input(resolution), as_=BRANCH_ADMIN))["convertResolutionToProject"]
    assert again == {"project": None, "errors": [{"field": ["resolutionId"], "code": "INVALID_STATE"}]}
    seeded_resolution = gid("Resolution", (await ResolutionRow.get(project_id__not_isnull=True,
                                                                    text__startswith="社区义诊")).id)
    seeded_again = (await demo.ok(CONVERT, convert_input(seeded_resolution),
                                  as_=COMMUNITY_ADMIN))["convertResolutionToProject"]
    assert seeded_again == again
    assert await ProjectRow.all().count() == 5


async def test_concurrent_conversions_make_one_project(demo: Api) -> None:
    resolution = (await record(demo, await seeded(), BRANCH))["resolution"]["id"]
    calls = [demo(CONVERT, convert_input(resolution), as_=phone)
             for phone in (STREET_ADMIN, BRANCH_ADMIN, COMMUNITY_ADMIN, STREET_ADMIN)]
    bodies = await asyncio.gather(*calls)
    payloads = [b["data"]["convertResolutionToProject"] for b in bodies]
    winners = [p for p in payloads if not p["errors"]]
    losers = [p for p in payloads if p["errors"]]
    assert len(winners) == 1
    assert all(p == {"project": None, "errors": [{"field": ["resolutionId"], "code": "INVALID_STATE"}]}
               for p in losers) and len(losers) == 3
    assert await ProjectRow.filter(title="楼道加装扶手").count() == 1
    row = await ResolutionRow.get(text__startswith="楼道加装扶手")
    assert gid("Project", row.project_id) == winners[0]["project"]["id"]


async def test_two_conversions_at_once_one_wins_one_is_refused(demo: Api) -> None:
    resolution = (await record(demo, await seeded(), BRANCH))["resolution"]["id"]
    bodies = await asyncio.gather(demo(CONVERT, convert_input(resolution), as_=STREET_ADMIN),
                                  demo(CONVERT, convert_input(resolution), as_=BRANCH_ADMIN))
    outcomes = sorted(tuple(e["code"] for e in b["data"]["convertResolutionToProject"]["errors"]) for b in bodies)
    assert outcomes == [(), ("INVALID_STATE",)]
    assert await ProjectRow.all().count() == 5


async def test_convert_refusals_and_validation(demo: Api) -> None:
    meeting = await seeded()
    resolution = (await record(demo, meeting, BRANCH))["resolution"]["id"]
    # Seeing the meeting is not enough: the owner's or the convener's staff convert.
    for phone in (PARTNER_ADMIN, MEMBER):
        assert code(await demo(CONVERT, convert_input(resolution), as_=phone)) == "FORBIDDEN", phone
    assert code(await demo(CONVERT, convert_input(resolution))) == "UNAUTHENTICATED"
    for phone, target in ((RESIDENT, resolution), (STREET_ADMIN, gid("Resolution", 999)),
                          (STREET_ADMIN, "garbage")):
        body = (await demo.ok(CONVERT, convert_input(target), as_=phone))["convertResolutionToProject"]
        assert body == {"project": None, "errors": [{"field": ["resolutionId"], "code": "NOT_FOUND"}]}, phone
    for capacity, kinds, errors in ((0, ("MEMBER",), [{"field": ["capacity"], "code": "INVALID"}]),
                                    (10_001, ("MEMBER",), [{"field": ["capacity"], "code": "INVALID"}]),
                                    (-1, (), [{"field": ["capacity"], "code": "INVALID"},
                                              {"field": ["claimantKinds"], "code": "INVALID"}])):
        body = (await demo.ok(CONVERT, convert_input(resolution, capacity, kinds),
                              as_=BRANCH_ADMIN))["convertResolutionToProject"]
        assert body == {"project": None, "errors": errors}, capacity
    assert await ProjectRow.all().count() == 4
    assert (await ResolutionRow.get(text__startswith="楼道加装扶手")).project_id is None
