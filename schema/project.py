"""GraphQL types for service projects (项目认领) and the claims members and units make on them."""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import TYPE_CHECKING, Annotated

import strawberry

from auth import policies
from models import enums
from models import org as org_model
from models import project as project_model
from models import user as user_model
from schema.compound import Compound
from schema.context import Context
from schema.errors import UserError
from schema.org import Org
from schema.relay import (
    Connection, Node, connection, decode_cursor, deferred, node_fields, page_size, to_global_id, wants_rows,
)

if TYPE_CHECKING:
    from schema.user import User

Info = strawberry.Info[Context, None]

ProjectCategory = strawberry.enum(enums.ProjectCategory, description="What a project, offering or order is about.")
ProjectStatus = strawberry.enum(enums.ProjectStatus, description="DRAFT -> OPEN -> CLOSED -> COMPLETED, or CANCELLED.")
ClaimStatus = strawberry.enum(enums.ClaimStatus, description="ACTIVE -> DONE -> VERIFIED or REJECTED; or WITHDRAWN.")


@strawberry.enum(description="Who may claim a project: members for themselves, or orgs (units, teams).")
class ClaimantKind(Enum):
    MEMBER = "MEMBER"
    ORG = "ORG"


@strawberry.type(description="A capacity-limited service project. Visible to managers of the publisher and above "
                             "(drafts too), members of orgs in its subtree, and partner units paired with it or "
                             "an ancestor.")
class Project(Node):
    id: strawberry.ID
    title: str
    description: str
    category: ProjectCategory
    status: ProjectStatus
    capacity: int
    claimed_count: int = strawberry.field(description="Live claims (ACTIVE, DONE, VERIFIED).")
    starts_at: datetime | None
    ends_at: datetime | None
    location: str | None
    remaining: int = strawberry.field(description="Free places: capacity - claimedCount.")
    pk: strawberry.Private[int]
    org_id: strawberry.Private[int]
    compound_id: strawberry.Private[int | None]
    kinds: strawberry.Private[str]
    # What the list or node resolver fetched with the row (None / False: not fetched; the fields load it then).
    org_row: strawberry.Private[org_model.Org | None] = None
    can_claim: strawberry.Private[bool | None] = None
    viewer_claim_row: strawberry.Private[project_model.Claim | None] = None
    viewer_claim_fetched: strawberry.Private[bool] = False
    viewer_manages: strawberry.Private[bool | None] = None

    @classmethod
    def from_model(cls, p: project_model.Project) -> Project:
        return cls(id=to_global_id("Project", p.id), title=p.title, description=p.description, category=p.category,
                   status=p.status, capacity=p.capacity, claimed_count=p.claimed_count, starts_at=p.starts_at,
                   ends_at=p.ends_at, location=p.location, remaining=max(p.capacity - p.claimed_count, 0), pk=p.id,
                   org_id=p.org_id, compound_id=p.compound_id, kinds=p.claimant_kinds)

    @classmethod
    def from_with(cls, w: project_model.ProjectWith) -> Project:
        """A project with the related rows its resolver fetched alongside it."""
        project = cls.from_model(w.project)
        project.org_row, project.can_claim, project.viewer_manages = w.org, w.can_claim, w.manages
        project.viewer_claim_row, project.viewer_claim_fetched = w.viewer_claim, w.viewer_claim_fetched
        return project

    @strawberry.field
    def claimant_kinds(self) -> list[ClaimantKind]:
        return [ClaimantKind(kind) for kind in self.kinds.split(",") if kind]

    @strawberry.field(description="The publishing organisation.")
    def org(self, info: Info) -> Org:
        if self.org_row is not None:
            return Org.from_model(self.org_row)
        return deferred(self._load_org(info))

    async def _load_org(self, info: Info) -> Org:
        return Org.from_model(await info.context.loaders.org.load(self.org_id))

    @strawberry.field
    async def compound(self, info: Info) -> Compound | None:
        if self.compound_id is None:
            return None
        row = await info.context.loaders.compound.load(self.compound_id)
        return Compound.from_model(row) if row else None

    @strawberry.field(description="Whether the viewer could claim it now, for themself or for an org they run.")
    def viewer_can_claim(self, info: Info) -> bool:
        if not info.context.viewer.authenticated:
            return False
        if self.can_claim is not None:
            return self.can_claim
        return deferred(info.context.loaders.project_claimable.load(self.pk))

    @strawberry.field(description="The viewer's latest claim on this project (for themself or an org), if any.")
    def viewer_claim(self, info: Info) -> Claim | None:
        if not info.context.viewer.authenticated:
            return None
        if self.viewer_claim_fetched:
            return Claim.from_model(self.viewer_claim_row) if self.viewer_claim_row else None
        return deferred(self._load_viewer_claim(info))

    async def _load_viewer_claim(self, info: Info) -> Claim | None:
        row = await info.context.loaders.viewer_claim.load(self.pk)
        return Claim.from_model(row) if row else None

    @strawberry.field(description="Claims, oldest first: all of them for the publisher's managers, otherwise the "
                                  "viewer's own.")
    async def claims(self, info: Info, first: int | None = None, after: str | None = None) -> Connection[Claim]:
        ctx = info.context
        size, cursor = page_size(first, ctx.lang), decode_cursor(after, ctx.lang)
        full = self.viewer_manages
        if full is None:
            full = await policies.can_manage(ctx.viewer, self.org_id)
        rows = []
        if wants_rows(info):
            claimants = "claimant" in node_fields(info)
            rows = await ctx.loaders.claims_page.load((self.pk, full, size, cursor, claimants))
        return connection(rows, first=size, convert=Claim.from_with, key=lambda row: row.claim.id,
                          total=lambda: ctx.loaders.claims_count.load((self.pk, full)))


@strawberry.type(description="A claim on a project by a member (claimant: User) or an org (claimant: Org).")
class Claim(Node):
    id: strawberry.ID
    status: ClaimStatus
    reported_hours: float | None
    verified_hours: float | None
    note: str | None
    comment: str | None = strawberry.field(description="The publisher's comment when verifying or rejecting.")
    created_at: datetime
    pk: strawberry.Private[int]
    project_id: strawberry.Private[int]
    user_id: strawberry.Private[int | None]
    org_id: strawberry.Private[int | None]
    # The claimant's row when the claims page fetched it alongside (None: not fetched; the field loads it then).
    claimant_row: strawberry.Private[user_model.User | org_model.Org | None] = None

    @classmethod
    def from_model(cls, c: project_model.Claim) -> Claim:
        return cls(id=to_global_id("Claim", c.id), status=c.status, reported_hours=c.reported_hours,
                   verified_hours=c.verified_hours, note=c.note, comment=c.comment, created_at=c.created_at,
                   pk=c.id, project_id=c.project_id, user_id=c.user_id, org_id=c.org_id)

    @classmethod
    def from_with(cls, w: project_model.ClaimWith) -> Claim:
        """A claim with the claimant its page fetched alongside it."""
        claim = cls.from_model(w.claim)
        claim.claimant_row = w.claimant
        return claim

    @strawberry.field
    async def project(self, info: Info) -> Project:
        return Project.from_model(await info.context.loaders.project.load(self.project_id))

    @strawberry.field(description="The member (User) or the org (Org) that claimed.")
    def claimant(
        self, info: Info
    ) -> Annotated[Annotated["User", strawberry.lazy("schema.user")] | Org, strawberry.union("Claimant")]:
        from schema.user import User

        row = self.claimant_row
        if isinstance(row, org_model.Org):
            return Org.from_model(row)
        if row is not None:
            return User.from_model(row)
        return deferred(self._load_claimant(info))

    async def _load_claimant(self, info: Info) -> User | Org:
        from schema.user import User

        if self.org_id is not None:
            return Org.from_model(await info.context.loaders.org.load(self.org_id))
        return User.from_model(await info.context.loaders.user.load(self.user_id))


@strawberry.input(description="Filter for the project list; every filter also applies the viewer's visibility.")
class ProjectFilter:
    status: ProjectStatus | None = None
    category: ProjectCategory | None = None
    org_id: strawberry.ID | None = strawberry.field(default=None, description="Published in this org's subtree.")
    claimable: bool | None = strawberry.field(default=None, description="Only projects the viewer could claim now.")
    mine: bool | None = strawberry.field(default=None, description="Only projects the viewer (or an org they run) "
                                                                   "has claimed.")


@strawberry.input
class CreateProjectInput:
    org_id: strawberry.ID
    title: str
    category: ProjectCategory
    capacity: int
    description: str = ""
    claimant_kinds: list[ClaimantKind] = strawberry.field(default_factory=lambda: [ClaimantKind.MEMBER])
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    location: str | None = None
    compound_id: strawberry.ID | None = None


@strawberry.input
class PublishProjectInput:
    project_id: strawberry.ID


@strawberry.input
class CloseProjectInput:
    project_id: strawberry.ID


@strawberry.input
class CompleteProjectInput:
    project_id: strawberry.ID


@strawberry.input
class CancelProjectInput:
    project_id: strawberry.ID


@strawberry.type
class ProjectPayload:
    project: Project | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.input(description="Claim for yourself, or with onBehalfOfOrgId for a partner unit or volunteer team "
                              "you run.")
class ClaimProjectInput:
    project_id: strawberry.ID
    on_behalf_of_org_id: strawberry.ID | None = None


@strawberry.input
class WithdrawClaimInput:
    claim_id: strawberry.ID


@strawberry.input
class ReportClaimDoneInput:
    claim_id: strawberry.ID
    hours: float = strawberry.field(description="0.5 to 24 hours.")
    note: str | None = None


@strawberry.input
class VerifyClaimInput:
    claim_id: strawberry.ID
    approved: bool
    hours: float | None = strawberry.field(default=None, description="Verified hours (0 to 24); default: reported.")
    comment: str | None = None


@strawberry.type
class ClaimPayload:
    claim: Claim | None = None
    project: Project | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)
