"""Joint meetings (联席会议): schedule, respond, check in, record resolutions and turn them into projects."""

from __future__ import annotations

import contextlib

import strawberry

from auth import policies
from models import meeting as meeting_model
from models.enums import OrgKind
from resolvers.common import audit_target, check_range, check_text, load_org, require_login
from schema.context import Context
from schema.errors import ErrorCode, UserError, forbidden, user_error
from schema.meeting import (
    CheckInMeetingInput, ConvertResolutionToProjectInput, Meeting, MeetingFilter, MeetingPayload,
    RecordResolutionInput, Resolution, ResolutionPayload, RespondMeetingInput, ScheduleMeetingInput,
)
from schema.project import Project, ProjectPayload
from schema.relay import MAX_PAGE, Connection, connection, decode_cursor, page_size, pk_of, to_global_id

Info = strawberry.Info[Context, None]
CONVENER_KINDS = frozenset({OrgKind.STREET_COMMITTEE, OrgKind.COMMUNITY_COMMITTEE})


async def meetings(
    info: Info, filter: MeetingFilter | None = None, first: int | None = None, after: str | None = None
) -> Connection[Meeting]:
    """Meetings the viewer may see, newest first, optionally convened by or inviting one org."""
    ctx = info.context
    require_login(ctx)
    size, cursor = page_size(first, ctx.lang), decode_cursor(after, ctx.lang)
    scope = await policies.project_scope(ctx.viewer)
    org_id = (pk_of(filter.org_id, "Org") or -1) if filter and filter.org_id is not None else None
    args = dict(member_org_ids=list(scope.member_org_ids), managed_org_ids=list(scope.managed_org_ids), org_id=org_id)
    rows = await meeting_model.page(**args, first=size, after=cursor)
    return connection(rows, first=size, convert=Meeting.from_model, total=lambda: meeting_model.count(**args))


async def _load_meeting(ctx: Context, errors: list[UserError], global_id: str) -> meeting_model.Meeting | None:
    """A meeting the viewer may see, or NOT_FOUND on `meetingId`."""
    pk = pk_of(global_id, "Meeting")
    row = await ctx.loaders.meeting.load(pk) if pk is not None else None
    if row is None or not await ctx.loaders.meeting_visible.load(row.id):
        errors.append(user_error(ctx.lang, ErrorCode.NOT_FOUND, ["meetingId"], "not_found"))
        return None
    audit_target(ctx, org_id=row.convener_id, object_id=to_global_id("Meeting", row.id))
    return row


async def _meeting_payload(ctx: Context, meeting_id: int) -> MeetingPayload:
    """The meeting after a change; its invitees and resolutions are reloaded, not taken from the request's cache."""
    for loader in (ctx.loaders.meeting_invitees, ctx.loaders.meeting_resolutions):
        with contextlib.suppress(KeyError):  # strawberry's clear() raises for a key that was never loaded
            loader.clear(meeting_id)
    return MeetingPayload(meeting=Meeting.from_model(await meeting_model.get(meeting_id=meeting_id)))


async def schedule_meeting(info: Info, input: ScheduleMeetingInput) -> MeetingPayload:
    """A street's or community's staff convene partners, branches and units."""
    ctx = info.context
    user_id = require_login(ctx)
    errors: list[UserError] = []
    convener = await load_org(ctx, errors, "convenerOrgId", input.convener_org_id)
    if convener is None:
        return MeetingPayload(errors=errors)
    if not await policies.can_manage(ctx.viewer, convener.id):
        raise forbidden(ctx.lang)
    if convener.kind not in CONVENER_KINDS:
        errors.append(user_error(ctx.lang, ErrorCode.INVALID, ["convenerOrgId"], "convener_kind"))
    title = check_text(ctx, errors, "title", input.title, min_len=1, max_len=100)
    agenda = check_text(ctx, errors, "agenda", input.agenda, min_len=0, max_len=5000)
    location = check_text(ctx, errors, "location", input.location, min_len=0, max_len=200) or None
    invitee_pks = list(dict.fromkeys(pk_of(gid, "Org") for gid in input.invitee_org_ids))
    if not invitee_pks:
        errors.append(user_error(ctx.lang, ErrorCode.INVALID, ["inviteeOrgIds"], "invitees_required"))
    elif len(invitee_pks) > MAX_PAGE:
        errors.append(user_error(ctx.lang, ErrorCode.INVALID, ["inviteeOrgIds"], "too_many_invitees", max=MAX_PAGE))
    else:
        found = await ctx.loaders.org.load_many([pk or 0 for pk in invitee_pks])
        if any(org is None or org.id == convener.id for org in found):
            errors.append(user_error(ctx.lang, ErrorCode.NOT_FOUND, ["inviteeOrgIds"], "not_found"))
    if errors:
        return MeetingPayload(errors=errors)
    row = await meeting_model.schedule(convener_id=convener.id, title=title, agenda=agenda, starts_at=input.starts_at,
                                       location=location, created_by=user_id,
                                       invitee_ids=[pk for pk in invitee_pks if pk is not None])
    audit_target(ctx, object_id=to_global_id("Meeting", row.id))
    return await _meeting_payload(ctx, row.id)


async def _invited_org(ctx: Context, input_meeting: str, input_org: str, *, convener_may: bool
                       ) -> tuple[meeting_model.Meeting | None, int | None, list[UserError]]:
    """The meeting and an invited org the viewer acts for (its staff; or the convener's staff when allowed)."""
    require_login(ctx)
    errors: list[UserError] = []
    row = await _load_meeting(ctx, errors, input_meeting)
    org = await load_org(ctx, errors, "orgId", input_org)
    if row is None or org is None:
        return None, None, errors
    allowed = await policies.can_manage(ctx.viewer, org.id) or (
        convener_may and await policies.can_manage(ctx.viewer, row.convener_id))
    if not allowed:
        raise forbidden(ctx.lang)
    if await meeting_model.invitee(meeting_id=row.id, org_id=org.id) is None:
        errors.append(user_error(ctx.lang, ErrorCode.INVALID, ["orgId"], "not_invited"))
    return row, org.id, errors


async def respond_meeting(info: Info, input: RespondMeetingInput) -> MeetingPayload:
    """An invited org's staff answer: attending or not (until they have checked in)."""
    ctx = info.context
    row, org_id, errors = await _invited_org(ctx, input.meeting_id, input.org_id, convener_may=False)
    if row is None or org_id is None or errors:
        return MeetingPayload(errors=errors)
    if not await meeting_model.respond(meeting_id=row.id, org_id=org_id, attending=input.attending):
        return MeetingPayload(errors=[user_error(ctx.lang, ErrorCode.INVALID_STATE, ["orgId"], "already_checked_in")])
    return await _meeting_payload(ctx, row.id)


async def check_in_meeting(info: Info, input: CheckInMeetingInput) -> MeetingPayload:
    """Mark an invited org present (its staff, or the convener's staff at the door), once."""
    ctx = info.context
    row, org_id, errors = await _invited_org(ctx, input.meeting_id, input.org_id, convener_may=True)
    if row is None or org_id is None or errors:
        return MeetingPayload(errors=errors)
    if not await meeting_model.check_in(meeting_id=row.id, org_id=org_id):
        return MeetingPayload(errors=[user_error(ctx.lang, ErrorCode.INVALID_STATE, ["orgId"], "already_checked_in")])
    return await _meeting_payload(ctx, row.id)


async def record_resolution(info: Info, input: RecordResolutionInput) -> ResolutionPayload:
    """The convener's staff record a resolution owned by the convener or an invited org."""
    ctx = info.context
    require_login(ctx)
    errors: list[UserError] = []
    row = await _load_meeting(ctx, errors, input.meeting_id)
    owner = await load_org(ctx, errors, "ownerOrgId", input.owner_org_id)
    if row is None or owner is None:
        return ResolutionPayload(errors=errors)
    if not await policies.can_manage(ctx.viewer, row.convener_id):
        raise forbidden(ctx.lang)
    text = check_text(ctx, errors, "text", input.text, min_len=1, max_len=2000)
    if owner.id != row.convener_id and await meeting_model.invitee(meeting_id=row.id, org_id=owner.id) is None:
        errors.append(user_error(ctx.lang, ErrorCode.INVALID, ["ownerOrgId"], "owner_not_in_meeting"))
    if errors:
        return ResolutionPayload(errors=errors)
    resolution = await meeting_model.record_resolution(meeting_id=row.id, text=text, owner_id=owner.id,
                                                      due_at=input.due_at)
    audit_target(ctx, object_id=to_global_id("Resolution", resolution.id))
    payload = await _meeting_payload(ctx, row.id)
    return ResolutionPayload(resolution=Resolution.from_model(resolution), meeting=payload.meeting)


async def convert_resolution_to_project(info: Info, input: ConvertResolutionToProjectInput) -> ProjectPayload:
    """The owner's (or the convener's) staff turn a resolution into a DRAFT project of the owner, once."""
    ctx = info.context
    user_id = require_login(ctx)
    pk = pk_of(input.resolution_id, "Resolution")
    resolution = await meeting_model.get_resolution(resolution_id=pk) if pk else None
    meeting = await ctx.loaders.meeting.load(resolution.meeting_id) if resolution else None
    if resolution is None or meeting is None or not await ctx.loaders.meeting_visible.load(meeting.id):
        return ProjectPayload(errors=[user_error(ctx.lang, ErrorCode.NOT_FOUND, ["resolutionId"], "not_found")])
    audit_target(ctx, org_id=resolution.owner_id, object_id=to_global_id("Resolution", resolution.id))
    if not (await policies.can_manage(ctx.viewer, resolution.owner_id)
            or await policies.can_manage(ctx.viewer, meeting.convener_id)):
        raise forbidden(ctx.lang)
    errors: list[UserError] = []
    check_range(ctx, errors, "capacity", input.capacity, low=1, high=10_000)
    kinds = sorted({kind.value for kind in input.claimant_kinds})
    if not kinds:
        errors.append(user_error(ctx.lang, ErrorCode.INVALID, ["claimantKinds"], "kinds_required"))
    if resolution.project_id is not None:
        errors.append(user_error(ctx.lang, ErrorCode.INVALID_STATE, ["resolutionId"], "already_converted"))
    if errors:
        return ProjectPayload(errors=errors)
    title = resolution.text.strip().splitlines()[0][:100]
    project = await meeting_model.convert_to_project(resolution=resolution, created_by=user_id, title=title,
                                                     capacity=input.capacity, category=input.category,
                                                     claimant_kinds=kinds)
    if project is None:
        return ProjectPayload(errors=[user_error(ctx.lang, ErrorCode.INVALID_STATE, ["resolutionId"],
                                                 "already_converted")])
    return ProjectPayload(project=Project.from_model(project))
