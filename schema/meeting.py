"""GraphQL types for joint meetings (联席会议) and their resolutions."""

from __future__ import annotations

from datetime import datetime

import strawberry

from models import meeting as meeting_model
from schema.context import Context
from schema.errors import UserError
from schema.org import Org
from schema.project import ClaimantKind, Project, ProjectCategory
from schema.relay import Node, to_global_id

Info = strawberry.Info[Context, None]

InviteResponse = strawberry.enum(meeting_model.InviteResponse, description="An invited org's answer.")


@strawberry.type(description="An invited org: its answer and whether it checked in.")
class MeetingInvitee:
    response: InviteResponse
    checked_in: bool
    checked_in_at: datetime | None
    org_id: strawberry.Private[int]

    @classmethod
    def from_model(cls, i: meeting_model.MeetingInvitee) -> MeetingInvitee:
        return cls(response=i.response, checked_in=i.checked_in_at is not None, checked_in_at=i.checked_in_at,
                   org_id=i.org_id)

    @strawberry.field
    async def org(self, info: Info) -> Org:
        return Org.from_model(await info.context.loaders.org.load(self.org_id))


@strawberry.type(description="A decision of a meeting, owned by one org; it may become a tracked project.")
class Resolution(Node):
    id: strawberry.ID
    text: str
    due_at: datetime | None
    pk: strawberry.Private[int]
    owner_id: strawberry.Private[int]
    project_id: strawberry.Private[int | None]

    @classmethod
    def from_model(cls, r: meeting_model.Resolution) -> Resolution:
        return cls(id=to_global_id("Resolution", r.id), text=r.text, due_at=r.due_at, pk=r.id, owner_id=r.owner_id,
                   project_id=r.project_id)

    @strawberry.field
    async def owner(self, info: Info) -> Org:
        return Org.from_model(await info.context.loaders.org.load(self.owner_id))

    @strawberry.field(description="The project it became, while the viewer may see it.")
    async def project(self, info: Info) -> Project | None:
        if self.project_id is None or not await info.context.loaders.project_visible.load(self.project_id):
            return None
        return Project.from_model(await info.context.loaders.project.load(self.project_id))


@strawberry.type(description="A joint meeting. Visible to the convener's managers and to members of invited orgs.")
class Meeting(Node):
    id: strawberry.ID
    title: str
    agenda: str
    starts_at: datetime
    location: str | None
    pk: strawberry.Private[int]
    convener_id: strawberry.Private[int]

    @classmethod
    def from_model(cls, m: meeting_model.Meeting) -> Meeting:
        return cls(id=to_global_id("Meeting", m.id), title=m.title, agenda=m.agenda, starts_at=m.starts_at,
                   location=m.location, pk=m.id, convener_id=m.convener_id)

    @strawberry.field
    async def convener(self, info: Info) -> Org:
        return Org.from_model(await info.context.loaders.org.load(self.convener_id))

    @strawberry.field
    async def invitees(self, info: Info) -> list[MeetingInvitee]:
        return [MeetingInvitee.from_model(i) for i in await info.context.loaders.meeting_invitees.load(self.pk)]

    @strawberry.field(description="Oldest first.")
    async def resolutions(self, info: Info) -> list[Resolution]:
        return [Resolution.from_model(r) for r in await info.context.loaders.meeting_resolutions.load(self.pk)]

    @strawberry.field(description="Checked-in orgs / invited orgs, 0..1 (0 with no invitees).")
    async def attendance_rate(self, info: Info) -> float:
        invitees = await info.context.loaders.meeting_invitees.load(self.pk)
        present = sum(1 for i in invitees if i.checked_in_at is not None)
        return present / len(invitees) if invitees else 0.0


@strawberry.input(description="Filter for the meeting list.")
class MeetingFilter:
    org_id: strawberry.ID | None = strawberry.field(default=None, description="Convened by or inviting this org.")


@strawberry.input
class ScheduleMeetingInput:
    convener_org_id: strawberry.ID
    title: str
    starts_at: datetime
    invitee_org_ids: list[strawberry.ID]
    agenda: str = ""
    location: str | None = None


@strawberry.input
class RespondMeetingInput:
    meeting_id: strawberry.ID
    org_id: strawberry.ID
    attending: bool


@strawberry.input
class CheckInMeetingInput:
    meeting_id: strawberry.ID
    org_id: strawberry.ID


@strawberry.input
class RecordResolutionInput:
    meeting_id: strawberry.ID
    text: str
    owner_org_id: strawberry.ID
    due_at: datetime | None = None


@strawberry.input
class ConvertResolutionToProjectInput:
    resolution_id: strawberry.ID
    capacity: int
    category: ProjectCategory
    claimant_kinds: list[ClaimantKind] = strawberry.field(default_factory=lambda: [ClaimantKind.MEMBER])


@strawberry.type
class MeetingPayload:
    meeting: Meeting | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class ResolutionPayload:
    resolution: Resolution | None = None
    meeting: Meeting | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)
