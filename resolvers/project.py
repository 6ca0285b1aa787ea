"""Projects and claims (项目认领): publish, claim under capacity, withdraw, report, verify, and the list screens."""

from __future__ import annotations

from collections.abc import AsyncGenerator

import strawberry

from jinlin import events
from auth import policies
from models import notification as notification_model
from models import project as project_model
from models.enums import ClaimStatus as ClaimStatusModel
from models.enums import OrgKind
from models.enums import ProjectStatus as Status
from models.notification import NotificationKind
from resolvers.common import audit_target, check_range, check_text, load_compound, load_org, require_login
from resolvers import live
from schema.context import Context
from schema.errors import ApiError, ErrorCode, UserError, forbidden, message, user_error
from schema.project import (
    CancelProjectInput, Claim, ClaimPayload, ClaimProjectInput, CloseProjectInput, CompleteProjectInput,
    CreateProjectInput, Project, ProjectFilter, ProjectPayload, PublishProjectInput, ReportClaimDoneInput,
    VerifyClaimInput, WithdrawClaimInput,
)
from schema.relay import Connection, connection, decode_cursor, node_fields, page_size, pk_of, to_global_id

Info = strawberry.Info[Context, None]

PUBLISHER_KINDS = frozenset({OrgKind.STREET_COMMITTEE, OrgKind.COMMUNITY_COMMITTEE, OrgKind.COMPOUND_BRANCH,
                             OrgKind.VOLUNTEER_TEAM})
MAX_CAPACITY = 10_000


async def projects(
    info: Info, filter: ProjectFilter | None = None, first: int | None = None, after: str | None = None
) -> Connection[Project]:
    """Projects the viewer may see, newest first; `claimable` is the "projects near me" screen."""
    ctx = info.context
    require_login(ctx)
    size, cursor = page_size(first, ctx.lang), decode_cursor(after, ctx.lang)
    scope = await policies.project_scope(ctx.viewer)
    f = filter or ProjectFilter()
    org_id = (pk_of(f.org_id, "Org") or -1) if f.org_id is not None else None
    args = dict(scope=scope, status=f.status, category=f.category, org_id=org_id, claimable=f.claimable, mine=f.mine)
    asked = node_fields(info)
    rows = await project_model.page(**args, first=size, after=cursor, with_org="org" in asked,
                                    with_viewer=bool(asked & {"viewerCanClaim", "viewerClaim"}))
    return connection(rows, first=size, convert=Project.from_with, key=lambda row: row.project.id,
                      total=lambda: project_model.count(**args))


async def load_project(ctx: Context, errors: list[UserError], field: str, global_id: str) -> project_model.Project | None:
    """A project the viewer may see, or NOT_FOUND (the same answer for missing and invisible ones)."""
    pk = pk_of(global_id, "Project")
    row = await ctx.loaders.project.load(pk) if pk is not None else None
    if row is None or not await policies.can_see_project(ctx.viewer, row.id):
        errors.append(user_error(ctx.lang, ErrorCode.NOT_FOUND, [field], "not_found"))
        return None
    audit_target(ctx, org_id=row.org_id, object_id=to_global_id("Project", row.id))
    return row


async def create_project(info: Info, input: CreateProjectInput) -> ProjectPayload:
    """Create a DRAFT project in an org the viewer manages (street, community, branch or team)."""
    ctx = info.context
    user_id = require_login(ctx)
    errors: list[UserError] = []
    org = await load_org(ctx, errors, "orgId", input.org_id)
    if org is None:
        return ProjectPayload(errors=errors)
    if not await policies.can_publish_in(ctx.viewer, org.id):
        raise forbidden(ctx.lang)
    if org.kind not in PUBLISHER_KINDS:
        errors.append(user_error(ctx.lang, ErrorCode.INVALID, ["orgId"], "must_publish_from"))
    title = check_text(ctx, errors, "title", input.title, min_len=1, max_len=100)
    description = check_text(ctx, errors, "description", input.description, min_len=0, max_len=2000)
    location = check_text(ctx, errors, "location", input.location, min_len=0, max_len=200) or None
    check_range(ctx, errors, "capacity", input.capacity, low=1, high=MAX_CAPACITY)
    kinds = sorted({kind.value for kind in input.claimant_kinds})
    if not kinds:
        errors.append(user_error(ctx.lang, ErrorCode.INVALID, ["claimantKinds"], "kinds_required"))
    if input.starts_at and input.ends_at and input.ends_at <= input.starts_at:
        errors.append(user_error(ctx.lang, ErrorCode.INVALID, ["endsAt"], "ends_before_start"))
    compound = None
    if input.compound_id is not None:
        compound = await load_compound(ctx, errors, "compoundId", input.compound_id)
        if compound is not None and org.id not in await _compound_lineage(ctx, compound):
            errors.append(user_error(ctx.lang, ErrorCode.INVALID, ["compoundId"], "compound_outside"))
    if errors:
        return ProjectPayload(errors=errors)
    row = await project_model.create(
        org_id=org.id, created_by=user_id, title=title, description=description, category=input.category,
        capacity=input.capacity, claimant_kinds=kinds, starts_at=input.starts_at, ends_at=input.ends_at,
        location=location, compound_id=compound.id if compound else None)
    return ProjectPayload(project=Project.from_model(row))


async def _compound_lineage(ctx: Context, compound: object) -> set[int]:
    """The orgs whose subtree holds a compound: its branch (or community) and their ancestors."""
    anchor = getattr(compound, "branch_id", None) or getattr(compound, "community_id")
    return {anchor, *await ctx.loaders.ancestors.load(anchor)}


# mutation -> (target status, statuses it may come from, verb for messages zh/en, notification)
TRANSITIONS: dict[str, tuple[Status, tuple[Status, ...], tuple[str, str], NotificationKind | None]] = {
    "publish": (Status.OPEN, (Status.DRAFT,), ("发布", "published"), None),
    "close": (Status.CLOSED, (Status.OPEN,), ("停止认领", "closed"), NotificationKind.PROJECT_CLOSED),
    "complete": (Status.COMPLETED, (Status.OPEN, Status.CLOSED), ("完成", "completed"),
                 NotificationKind.PROJECT_COMPLETED),
    "cancel": (Status.CANCELLED, (Status.DRAFT, Status.OPEN, Status.CLOSED), ("取消", "cancelled"),
               NotificationKind.PROJECT_CANCELLED),
}


async def _transition(info: Info, project_gid: str, name: str) -> ProjectPayload:
    """One conditional UPDATE on the status; a project in any other state gets INVALID_STATE."""
    ctx = info.context
    require_login(ctx)
    errors: list[UserError] = []
    row = await load_project(ctx, errors, "projectId", project_gid)
    if row is None:
        return ProjectPayload(errors=errors)
    if not await policies.can_publish_in(ctx.viewer, row.org_id):
        raise forbidden(ctx.lang)
    target, allowed, verb, notice = TRANSITIONS[name]
    if name == "cancel":
        withdrawn = await project_model.cancel(project_id=row.id, allowed_from=allowed)
        changed = withdrawn is not None
        live = [c.id for c in withdrawn or []]
    else:
        changed = await project_model.transition(project_id=row.id, to=target, allowed_from=allowed)
        live = []
    fresh = await project_model.get(project_id=row.id)
    ctx.loaders.project.prime(fresh.id, fresh, force=True)  # nested fields see the new status, not the cached row
    if not changed:
        return ProjectPayload(project=Project.from_model(fresh), errors=[user_error(
            ctx.lang, ErrorCode.INVALID_STATE, ["projectId"], "transition", status=fresh.status.value,
            action=verb[1] if ctx.lang == "en" else verb[0])])
    if notice is not None:
        if name != "cancel":
            live = [c.id for c in await project_model.Claim.filter(
                project_id=row.id, status__in=[ClaimStatusModel.ACTIVE, ClaimStatusModel.DONE])]
        await notification_model.notify_claimants(claim_ids=live, kind=notice, project_id=row.id,
                                                  actor_id=ctx.viewer.user_id)
    return ProjectPayload(project=Project.from_model(fresh))


async def publish_project(info: Info, input: PublishProjectInput) -> ProjectPayload:
    """DRAFT -> OPEN: members and units may claim."""
    return await _transition(info, input.project_id, "publish")


async def close_project(info: Info, input: CloseProjectInput) -> ProjectPayload:
    """OPEN -> CLOSED: no new claims; live claims go on."""
    return await _transition(info, input.project_id, "close")


async def complete_project(info: Info, input: CompleteProjectInput) -> ProjectPayload:
    """OPEN or CLOSED -> COMPLETED."""
    return await _transition(info, input.project_id, "complete")


async def cancel_project(info: Info, input: CancelProjectInput) -> ProjectPayload:
    """DRAFT, OPEN or CLOSED -> CANCELLED; ACTIVE claims are withdrawn and their claimants told."""
    return await _transition(info, input.project_id, "cancel")


def _claim_error(ctx: Context, code: ErrorCode, field: str | None, key: str, **params: object) -> ClaimPayload:
    return ClaimPayload(errors=[user_error(ctx.lang, code, [field] if field else None, key, **params)])


async def claim_project(info: Info, input: ClaimProjectInput) -> ClaimPayload:
    """Claim a place: for oneself (MEMBER) or for a partner unit or volunteer team one runs (ORG)."""
    ctx = info.context
    user_id = require_login(ctx)
    errors: list[UserError] = []
    row = await load_project(ctx, errors, "projectId", input.project_id)
    if row is None:
        return ClaimPayload(errors=errors)
    kinds = row.claimant_kinds.split(",")
    org_id: int | None = None
    if input.on_behalf_of_org_id is not None:
        org = await load_org(ctx, errors, "onBehalfOfOrgId", input.on_behalf_of_org_id)
        audit_target(ctx, org_id=row.org_id)
        if org is None:
            return ClaimPayload(errors=errors)
        if (await ctx.viewer.roles()).get(org.id) not in policies.MANAGER_ROLES:
            raise forbidden(ctx.lang)
        if org.kind not in policies.CLAIMANT_KINDS:
            return _claim_error(ctx, ErrorCode.INVALID, "onBehalfOfOrgId", "must_be_claimant_org")
        if "ORG" not in kinds:
            return _claim_error(ctx, ErrorCode.INVALID, "onBehalfOfOrgId", "org_claims_closed")
        if not await project_model.org_eligible(project=row, org_id=org.id):
            return _claim_error(ctx, ErrorCode.INVALID, "onBehalfOfOrgId", "not_eligible_org")
        org_id = org.id
    else:
        if "MEMBER" not in kinds:
            return _claim_error(ctx, ErrorCode.INVALID, "projectId", "member_claims_closed")
        if not await project_model.member_eligible(project=row, member_org_ids=list(await ctx.viewer.roles())):
            return _claim_error(ctx, ErrorCode.INVALID, "projectId", "not_eligible_member")
    claimant_user = None if org_id is not None else user_id
    if await project_model.has_live_claim(project_id=row.id, user_id=claimant_user, org_id=org_id):
        return _claim_error(ctx, ErrorCode.ALREADY_CLAIMED, "projectId", "already_claimed")
    try:
        claim = await project_model.claim(project_id=row.id, claimed_by=user_id, user_id=claimant_user, org_id=org_id)
    except project_model.ClaimRefused as refused:
        if refused.reason == "CAPACITY_FULL":
            return _claim_error(ctx, ErrorCode.CAPACITY_FULL, "projectId", "full")
        return _claim_error(ctx, ErrorCode.INVALID_STATE, "projectId", "not_open")
    except project_model.AlreadyClaimed:
        return _claim_error(ctx, ErrorCode.ALREADY_CLAIMED, "projectId", "already_claimed")
    audit_target(ctx, object_id=to_global_id("Claim", claim.id))
    await notification_model.notify_org_managers(org_id=row.org_id, kind=NotificationKind.CLAIM_CREATED,
                                                 project_id=row.id, claim_id=claim.id, actor_id=user_id)
    return await _claim_payload(ctx, claim.id)


async def _claim_payload(ctx: Context, claim_id: int) -> ClaimPayload:
    """The claim and its project as they are now (fresh rows: the counters just moved). The request's loaders get
    the fresh rows too, so that `claim { project { claimedCount } }` does not answer from before the change."""
    claim = await project_model.get_claim(claim_id=claim_id)
    project = await project_model.get(project_id=claim.project_id)
    ctx.loaders.claim.prime(claim.id, claim, force=True)
    ctx.loaders.project.prime(project.id, project, force=True)
    return ClaimPayload(claim=Claim.from_model(claim), project=Project.from_model(project))


async def _load_claim(ctx: Context, global_id: str) -> tuple[project_model.Claim | None, project_model.Project | None]:
    """A claim the viewer may see, with its project; (None, None) reads as NOT_FOUND."""
    pk = pk_of(global_id, "Claim")
    claim = await ctx.loaders.claim.load(pk) if pk is not None else None
    if claim is None:
        return None, None
    project = await ctx.loaders.project.load(claim.project_id)
    if not await policies.can_see_claim(ctx.viewer, claim, project.org_id):
        return None, None
    audit_target(ctx, org_id=project.org_id, object_id=to_global_id("Claim", claim.id))
    return claim, project


async def _acting_on_claim(
    ctx: Context, global_id: str, *, as_publisher: bool
) -> tuple[project_model.Claim | None, project_model.Project | None]:
    """A claim the viewer may act on: (None, None) reads as NOT_FOUND; visible but not theirs is FORBIDDEN."""
    require_login(ctx)
    claim, project = await _load_claim(ctx, global_id)
    if claim is None or project is None:
        return None, None
    if as_publisher:
        allowed = await policies.can_publish_in(ctx.viewer, project.org_id)
    else:
        allowed = await policies.can_act_for_claim(ctx.viewer, claim)
    if not allowed:
        raise forbidden(ctx.lang)
    return claim, project


def _state_error(ctx: Context, claim: project_model.Claim, verb: tuple[str, str]) -> ClaimPayload:
    return _claim_error(ctx, ErrorCode.INVALID_STATE, "claimId", "claim_state", status=claim.status.value,
                        action=verb[1] if ctx.lang == "en" else verb[0])


async def withdraw_claim(info: Info, input: WithdrawClaimInput) -> ClaimPayload:
    """The claimant gives the place back while the claim is ACTIVE."""
    ctx = info.context
    claim, project = await _acting_on_claim(ctx, input.claim_id, as_publisher=False)
    if claim is None or project is None:
        return _claim_error(ctx, ErrorCode.NOT_FOUND, "claimId", "not_found")
    if not await project_model.withdraw(claim=claim):
        return _state_error(ctx, await project_model.get_claim(claim_id=claim.id), ("撤回", "withdrawn"))
    await notification_model.notify_org_managers(org_id=project.org_id, kind=NotificationKind.CLAIM_WITHDRAWN,
                                                 project_id=project.id, claim_id=claim.id, actor_id=ctx.viewer.user_id)
    return await _claim_payload(ctx, claim.id)


async def report_claim_done(info: Info, input: ReportClaimDoneInput) -> ClaimPayload:
    """The claimant reports the work done with its hours (0.5 to 24)."""
    ctx = info.context
    claim, project = await _acting_on_claim(ctx, input.claim_id, as_publisher=False)
    if claim is None or project is None:
        return _claim_error(ctx, ErrorCode.NOT_FOUND, "claimId", "not_found")
    errors: list[UserError] = []
    if not (0.5 <= input.hours <= 24):
        errors.append(user_error(ctx.lang, ErrorCode.INVALID, ["hours"], "hours", min=0.5, max=24))
    note = check_text(ctx, errors, "note", input.note, min_len=0, max_len=1000) or None
    if errors:
        return ClaimPayload(errors=errors)
    if not await project_model.report_done(claim=claim, hours=input.hours, note=note):
        return _state_error(ctx, await project_model.get_claim(claim_id=claim.id), ("报告完成", "reported done"))
    await notification_model.notify_org_managers(org_id=project.org_id, kind=NotificationKind.CLAIM_DONE,
                                                 project_id=project.id, claim_id=claim.id, actor_id=ctx.viewer.user_id)
    return await _claim_payload(ctx, claim.id)


async def verify_claim(info: Info, input: VerifyClaimInput) -> ClaimPayload:
    """The publisher's staff verify a DONE claim (hours default to the reported ones) or reject it."""
    ctx = info.context
    claim, project = await _acting_on_claim(ctx, input.claim_id, as_publisher=True)
    if claim is None or project is None:
        return _claim_error(ctx, ErrorCode.NOT_FOUND, "claimId", "not_found")
    if ctx.viewer.user_id in (claim.user_id, claim.claimed_by_id):  # four eyes: nobody certifies their own hours
        raise ApiError("FORBIDDEN", message(ctx.lang, "verify_own_claim"))
    errors: list[UserError] = []
    if input.approved and input.hours is None and claim.reported_hours is None:
        return _state_error(ctx, claim, ("核实", "verified"))  # nothing reported: not DONE, not "bad hours"
    hours = input.hours if input.hours is not None else claim.reported_hours
    if input.approved and (hours is None or not (0 <= hours <= 24)):
        errors.append(user_error(ctx.lang, ErrorCode.INVALID, ["hours"], "hours", min=0, max=24))
    comment = check_text(ctx, errors, "comment", input.comment, min_len=0, max_len=1000) or None
    if errors:
        return ClaimPayload(errors=errors)
    if not await project_model.verify(claim=claim, approved=input.approved, hours=hours, comment=comment):
        return _state_error(ctx, await project_model.get_claim(claim_id=claim.id), ("核实", "verified"))
    kind = NotificationKind.CLAIM_VERIFIED if input.approved else NotificationKind.CLAIM_REJECTED
    await notification_model.notify_claimants(claim_ids=[claim.id], kind=kind, project_id=project.id,
                                              actor_id=ctx.viewer.user_id)
    return await _claim_payload(ctx, claim.id)


async def claim_updated(info: Info, project_id: strawberry.ID) -> AsyncGenerator[Claim, None]:
    """Each claim on a project as it is made, withdrawn, reported done or verified: every claim for the
    publisher's managers, the viewer's own claims for anyone else who may see the project."""
    ctx = info.context
    async for claim in live.follow(ctx, topic=events.claims_topic(pk_of(project_id, "Project") or 0),
                                   node_id=lambda data: to_global_id("Claim", data["claim"]),
                                   check=lambda: live.visible(ctx, project_id, "Project")):
        yield claim
