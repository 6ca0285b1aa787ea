"""GraphQL types for opinions (听邻说事) and their replies (让邻事办)."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated

import strawberry
from strawberry.file_uploads import Upload

from auth import policies
from models import opinion as opinion_model
from schema.compound import Compound
from schema.context import Context
from schema.errors import UserError
from schema.org import Org
from schema.photo import Photo
from schema.project import ProjectCategory
from schema.relay import Node, to_global_id

if TYPE_CHECKING:
    from schema.user import User

Info = strawberry.Info[Context, None]

OpinionStatus = strawberry.enum(opinion_model.OpinionStatus, description="OPEN -> ASSIGNED -> REPLIED -> CLOSED.")
OpinionChannel = strawberry.enum(opinion_model.OpinionChannel, description="Where the opinion was heard: the app, a "
                                 "home visit (入户走访), a meeting, the hotline.")


@strawberry.type(description="An answer to an opinion, on behalf of an org (oldest first).")
class OpinionReply:
    text: str
    created_at: datetime
    org_id: strawberry.Private[int]

    @classmethod
    def from_model(cls, r: opinion_model.OpinionReply) -> OpinionReply:
        return cls(text=r.text, created_at=r.created_at, org_id=r.org_id)

    @strawberry.field(description="The org that answered.")
    async def org(self, info: Info) -> Org:
        return Org.from_model(await info.context.loaders.org.load(self.org_id))


@strawberry.type(description="An opinion or need of a resident. Visible to its author and to managers of the org "
                             "that owns it (the compound's community), of its assignee or of the compound's branch, "
                             "and above them; they handle it and see the author's phone.")
class Opinion(Node):
    id: strawberry.ID
    text: str
    category: ProjectCategory | None
    status: OpinionStatus
    channel: OpinionChannel
    anonymous: bool
    created_at: datetime
    first_reply_at: datetime | None
    closed_at: datetime | None
    pk: strawberry.Private[int]
    model: strawberry.Private[opinion_model.Opinion]

    @classmethod
    def from_model(cls, o: opinion_model.Opinion) -> Opinion:
        return cls(id=to_global_id("Opinion", o.id), text=o.text, category=o.category, status=o.status,
                   channel=o.channel, anonymous=o.anonymous, created_at=o.created_at,
                   first_reply_at=o.first_reply_at, closed_at=o.closed_at, pk=o.id, model=o)

    @strawberry.field
    async def compound(self, info: Info) -> Compound | None:
        if self.model.compound_id is None:
            return None
        row = await info.context.loaders.compound.load(self.model.compound_id)
        return Compound.from_model(row) if row else None

    @strawberry.field(description="The org responsible for answering: the compound's community, or the org that "
                                  "heard it.")
    async def org(self, info: Info) -> Org:
        return Org.from_model(await info.context.loaders.org.load(self.model.org_id))

    @strawberry.field(description="The org it was handed to, if any.")
    async def assignee(self, info: Info) -> Org | None:
        if self.model.assignee_id is None:
            return None
        row = await info.context.loaders.org.load(self.model.assignee_id)
        return Org.from_model(row) if row else None

    @strawberry.field(description="The resident who raised it. Null when anonymous, except for the author and the "
                                  "admins of the district it belongs to.")
    async def author(self, info: Info) -> Annotated["User", strawberry.lazy("schema.user")] | None:
        from schema.user import User

        if self.model.author_id is None or not await policies.can_see_opinion_author(info.context.viewer,
                                                                                     self.model):
            return None
        row = await info.context.loaders.user.load(self.model.author_id)
        # Those handling it call the resident back.
        reveal = await policies.can_handle_opinion(info.context.viewer, self.model)
        return User.from_model(row, phone_revealed=reveal) if row else None

    @strawberry.field(description="An unregistered caller's phone, for the staff handling it (null otherwise).")
    async def contact_phone(self, info: Info) -> str | None:
        if self.model.contact_phone is None or not await policies.can_handle_opinion(info.context.viewer,
                                                                                     self.model):
            return None
        if self.model.anonymous and not await policies.can_see_opinion_author(info.context.viewer, self.model):
            return None
        return self.model.contact_phone

    @strawberry.field(description="Oldest first.")
    async def replies(self, info: Info) -> list[OpinionReply]:
        return [OpinionReply.from_model(r) for r in await info.context.loaders.opinion_replies.load(self.pk)]

    @strawberry.field(description="The photos sent with it, in upload order.")
    async def photos(self, info: Info) -> list[Photo]:
        rows = await info.context.loaders.opinion_photos.load(self.pk)
        return [Photo.from_model(p, info.context.settings) for p in rows]


@strawberry.type(description="How an org's subtree answers residents.")
class OpinionStats:
    received: int
    replied: int
    replied_rate: float = strawberry.field(description="Replied / received, 0..1.")
    median_hours_to_first_reply: float | None = strawberry.field(description="Null until one is replied.")

    @classmethod
    def from_model(cls, s: opinion_model.OpinionStats) -> OpinionStats:
        return cls(received=s.received, replied=s.replied, replied_rate=s.replied_rate,
                   median_hours_to_first_reply=s.median_hours_to_first_reply)


@strawberry.input(description="Filter for the opinion list.")
class OpinionFilter:
    mine: bool = strawberry.field(default=False, description="Only those the viewer submitted.")
    org_id: strawberry.ID | None = strawberry.field(
        default=None, description="Owned by, assigned to, or about a compound of a branch in this org's subtree.")
    status: OpinionStatus | None = None


@strawberry.input(description="A resident submits from the app (channel APP); staff record one heard on a home visit, "
                              "at a meeting or on the hotline, optionally for a resident's phone, for a compound "
                              "or (`orgId`) an org they manage.")
class SubmitOpinionInput:
    text: str
    category: ProjectCategory | None = None
    compound_id: strawberry.ID | None = None
    channel: OpinionChannel = OpinionChannel.APP
    anonymous: bool = False
    resident_phone: str | None = None
    org_id: strawberry.ID | None = None
    photos: list[Upload] | None = strawberry.field(
        default=None, description="Up to 6 photos (JPEG, PNG or WebP, judged by their bytes; at most 5 MB each), sent "
                                  "as files of a GraphQL multipart request with an `Authorization: Bearer` header.")


@strawberry.input
class AssignOpinionInput:
    opinion_id: strawberry.ID
    org_id: strawberry.ID


@strawberry.input
class ReplyOpinionInput:
    opinion_id: strawberry.ID
    text: str


@strawberry.input
class CloseOpinionInput:
    opinion_id: strawberry.ID


@strawberry.type
class OpinionPayload:
    opinion: Opinion | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)
