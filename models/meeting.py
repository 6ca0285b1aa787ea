"""Joint meetings (联席会议): a street or community convenes its partners, and resolutions become projects."""

from __future__ import annotations

from datetime import datetime, timezone
from enum import Enum

from tortoise import fields
from tortoise.models import Model
from tortoise.transactions import in_transaction

from jinlin import db
from models.org import Org
from models.project import Project
from models.user import User


class InviteResponse(str, Enum):
    """An invited org's answer."""

    PENDING = "PENDING"
    ATTENDING = "ATTENDING"
    DECLINED = "DECLINED"


class Meeting(Model):
    """A joint meeting convened by a street or community."""

    id = fields.IntField(primary_key=True)
    convener: fields.ForeignKeyRelation[Org] = fields.ForeignKeyField(
        "jinlin.Org", related_name=False, on_delete=fields.RESTRICT
    )
    title = fields.CharField(max_length=100)
    agenda = fields.TextField(default="")
    starts_at = fields.DatetimeField()
    location = fields.CharField(max_length=200, null=True)
    created_by: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "jinlin.User", related_name=False, null=True, on_delete=fields.SET_NULL
    )
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "meeting"
        indexes = (("convener_id", "id"), ("starts_at", "convener_id"))  # the latter: org stats' future meetings


class MeetingInvitee(Model):
    """One invited org: its answer and whether it came."""

    id = fields.IntField(primary_key=True)
    meeting: fields.ForeignKeyRelation[Meeting] = fields.ForeignKeyField(
        "jinlin.Meeting", related_name=False, on_delete=fields.CASCADE
    )
    org: fields.ForeignKeyRelation[Org] = fields.ForeignKeyField(
        "jinlin.Org", related_name=False, on_delete=fields.CASCADE
    )
    response = fields.CharEnumField(InviteResponse, max_length=16, default=InviteResponse.PENDING)
    responded_at = fields.DatetimeField(null=True)
    checked_in_at = fields.DatetimeField(null=True)

    class Meta:
        table = "meeting_invitee"
        unique_together = (("meeting_id", "org_id"),)
        indexes = (("org_id", "meeting_id"),)


class Resolution(Model):
    """A decision of a meeting, owned by one org with a due date. It may become a tracked project, once."""

    id = fields.IntField(primary_key=True)
    meeting: fields.ForeignKeyRelation[Meeting] = fields.ForeignKeyField(
        "jinlin.Meeting", related_name=False, on_delete=fields.CASCADE
    )
    text = fields.TextField()
    owner: fields.ForeignKeyRelation[Org] = fields.ForeignKeyField(
        "jinlin.Org", related_name=False, on_delete=fields.RESTRICT
    )
    due_at = fields.DatetimeField(null=True)
    project: fields.ForeignKeyNullableRelation[Project] = fields.ForeignKeyField(
        "jinlin.Project", related_name=False, null=True, unique=True, on_delete=fields.SET_NULL
    )
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "resolution"
        indexes = (("meeting_id", "id"), ("owner_id", "id"))


def visible_sql(*, member_org_ids: list[int], managed_org_ids: list[int], alias: str = "m") -> tuple[str, list]:
    """SQL predicate: managers of the convener (or above) and members or managers of an invited org see a meeting."""
    managed, managed_params = db.in_list(managed_org_ids)
    members, member_params = db.in_list(member_org_ids)
    sql = (f"(EXISTS (SELECT 1 FROM org_closure mc WHERE mc.descendant_id = {alias}.convener_id "
           f"AND mc.ancestor_id IN {managed}) OR EXISTS (SELECT 1 FROM meeting_invitee mi JOIN org_closure ic "
           f"ON ic.descendant_id = mi.org_id WHERE mi.meeting_id = {alias}.id "
           f"AND (mi.org_id IN {members} OR ic.ancestor_id IN {managed})))")
    return sql, [*managed_params, *member_params, *managed_params]


async def get(*, meeting_id: int) -> Meeting | None:
    """One meeting by primary key."""
    return await Meeting.get_or_none(id=meeting_id)


async def get_many(*, meeting_ids: list[int]) -> dict[int, Meeting]:
    """Meetings by primary key, one statement."""
    return {m.id: m for m in await Meeting.filter(id__in=meeting_ids)}


async def visible_ids(*, member_org_ids: list[int], managed_org_ids: list[int], meeting_ids: list[int]) -> set[int]:
    """Which of these meetings the viewer may see, one statement."""
    where, params = visible_sql(member_org_ids=member_org_ids, managed_org_ids=managed_org_ids)
    rows = await db.fetch(f"SELECT m.id FROM meeting m WHERE m.id IN ({db.placeholders(meeting_ids)}) AND {where}",
                          [*meeting_ids, *params])
    return {row["id"] for row in rows}


def _filter_sql(*, member_org_ids: list[int], managed_org_ids: list[int], org_id: int | None) -> tuple[str, list]:
    where, params = visible_sql(member_org_ids=member_org_ids, managed_org_ids=managed_org_ids)
    if org_id is not None:
        where += (" AND (m.convener_id = ? OR EXISTS (SELECT 1 FROM meeting_invitee fi WHERE fi.meeting_id = m.id "
                  "AND fi.org_id = ?))")
        params += [org_id, org_id]
    return where, params


async def page(*, member_org_ids: list[int], managed_org_ids: list[int], org_id: int | None, first: int,
               after: int | None) -> list[Meeting]:
    """Meetings the viewer may see, newest first."""
    where, params = _filter_sql(member_org_ids=member_org_ids, managed_org_ids=managed_org_ids, org_id=org_id)
    return await db.fetch_models(Meeting, f"SELECT m.* FROM meeting m WHERE {where} AND m.id < ? ORDER BY m.id DESC "
                                 "LIMIT ?", [*params, after if after is not None else db.MAX_KEY, first + 1])


async def count(*, member_org_ids: list[int], managed_org_ids: list[int], org_id: int | None) -> int:
    """How many meetings the filter finds for the viewer."""
    where, params = _filter_sql(member_org_ids=member_org_ids, managed_org_ids=managed_org_ids, org_id=org_id)
    rows = await db.fetch(f"SELECT COUNT(*) AS n FROM meeting m WHERE {where}", params)
    return int(rows[0]["n"])


async def schedule(*, convener_id: int, title: str, agenda: str, starts_at: datetime, location: str | None,
                   created_by: int, invitee_ids: list[int]) -> Meeting:
    """Create a meeting and its invitations in one transaction."""
    async with in_transaction():
        meeting = await Meeting.create(convener_id=convener_id, title=title, agenda=agenda, starts_at=starts_at,
                                       location=location, created_by_id=created_by)
        await MeetingInvitee.bulk_create([MeetingInvitee(meeting_id=meeting.id, org_id=org_id)
                                          for org_id in invitee_ids])
    return meeting


async def invitee(*, meeting_id: int, org_id: int) -> MeetingInvitee | None:
    """An org's invitation to a meeting, if any."""
    return await MeetingInvitee.get_or_none(meeting_id=meeting_id, org_id=org_id)


async def respond(*, meeting_id: int, org_id: int, attending: bool) -> bool:
    """Record an invited org's answer (it may change its mind until it has checked in); False once checked in."""
    changed = await MeetingInvitee.filter(meeting_id=meeting_id, org_id=org_id, checked_in_at=None).update(
        response=InviteResponse.ATTENDING if attending else InviteResponse.DECLINED,
        responded_at=datetime.now(timezone.utc))
    return changed == 1


async def check_in(*, meeting_id: int, org_id: int) -> bool:
    """Mark an invited org present, once; False when it had already checked in."""
    changed = await MeetingInvitee.filter(meeting_id=meeting_id, org_id=org_id, checked_in_at=None).update(
        checked_in_at=datetime.now(timezone.utc), response=InviteResponse.ATTENDING)
    return changed == 1


async def invitees_of(*, meeting_ids: list[int]) -> dict[int, list[MeetingInvitee]]:
    """Every invitation of each meeting, one statement."""
    out: dict[int, list[MeetingInvitee]] = {mid: [] for mid in meeting_ids}
    for row in await MeetingInvitee.filter(meeting_id__in=meeting_ids).order_by("id"):
        out[row.meeting_id].append(row)
    return out


async def record_resolution(*, meeting_id: int, text: str, owner_id: int, due_at: datetime | None) -> Resolution:
    """Add a resolution to a meeting."""
    return await Resolution.create(meeting_id=meeting_id, text=text, owner_id=owner_id, due_at=due_at)


async def get_resolution(*, resolution_id: int) -> Resolution | None:
    """One resolution by primary key."""
    return await Resolution.get_or_none(id=resolution_id)


async def resolutions_of(*, meeting_ids: list[int]) -> dict[int, list[Resolution]]:
    """Every resolution of each meeting, oldest first, one statement."""
    out: dict[int, list[Resolution]] = {mid: [] for mid in meeting_ids}
    for row in await Resolution.filter(meeting_id__in=meeting_ids).order_by("id"):
        out[row.meeting_id].append(row)
    return out


async def link_project(*, resolution_id: int, project_id: int) -> bool:
    """Tie a resolution to its project, once (conditional UPDATE); False when it already had one."""
    changed = await Resolution.filter(id=resolution_id, project_id=None).update(project_id=project_id)
    return changed == 1


class _AlreadyConverted(Exception):
    """Rolls the new project back when the resolution was converted meanwhile."""


async def convert_to_project(*, resolution: Resolution, created_by: int, title: str, capacity: int,
                             category: object, claimant_kinds: list[str]) -> Project | None:
    """Create the resolution's DRAFT project (owned by the resolution's owner) and link it, atomically, once;
    None when the resolution already has a project."""
    from models import project as project_model

    try:
        async with in_transaction():
            project = await project_model.create(
                org_id=resolution.owner_id, created_by=created_by, title=title, description=resolution.text,
                category=category, capacity=capacity, claimant_kinds=claimant_kinds, starts_at=None,
                ends_at=resolution.due_at, location=None, compound_id=None)  # type: ignore[arg-type]
            if not await link_project(resolution_id=resolution.id, project_id=project.id):
                raise _AlreadyConverted()
    except _AlreadyConverted:
        return None
    return project
