"""GraphQL types for notifications: what happened to the viewer's claims and projects."""

from __future__ import annotations

from datetime import datetime

import strawberry

from models import notification as notification_model
from schema.context import Context
from schema.errors import UserError
from schema.project import Claim, Project
from schema.relay import Node, to_global_id

Info = strawberry.Info[Context, None]

NotificationKind = strawberry.enum(notification_model.NotificationKind, description="What a notification is about.")

# kind -> (zh-CN, English), filled with the project's title.
TEXTS: dict[notification_model.NotificationKind, tuple[str, str]] = {
    NotificationKind.CLAIM_CREATED: ("「{title}」有新的认领", "New claim on “{title}”"),
    NotificationKind.CLAIM_WITHDRAWN: ("「{title}」的一项认领已撤回", "A claim on “{title}” was withdrawn"),
    NotificationKind.CLAIM_DONE: ("「{title}」的认领已完成，待核实", "A claim on “{title}” is done and awaits verification"),
    NotificationKind.CLAIM_VERIFIED: ("您对「{title}」的服务已核实", "Your service on “{title}” was verified"),
    NotificationKind.CLAIM_REJECTED: ("您对「{title}」的服务未通过核实", "Your service on “{title}” was not accepted"),
    NotificationKind.PROJECT_CLOSED: ("「{title}」已停止认领", "“{title}” no longer takes claims"),
    NotificationKind.PROJECT_COMPLETED: ("「{title}」已完成", "“{title}” is completed"),
    NotificationKind.PROJECT_CANCELLED: ("「{title}」已取消，您的认领已撤回",
                                         "“{title}” was cancelled and your claim withdrawn"),
}


@strawberry.type(description="A message for the viewer about one of their claims or projects.")
class Notification(Node):
    id: strawberry.ID
    kind: NotificationKind
    created_at: datetime
    read: bool
    pk: strawberry.Private[int]
    project_id: strawberry.Private[int | None]
    claim_id: strawberry.Private[int | None]

    @classmethod
    def from_model(cls, n: notification_model.Notification) -> Notification:
        return cls(id=to_global_id("Notification", n.id), kind=n.kind, created_at=n.created_at,
                   read=n.read_at is not None, pk=n.id, project_id=n.project_id, claim_id=n.claim_id)

    @strawberry.field(description="The text, in the request's language.")
    async def message(self, info: Info) -> str:
        project = await info.context.loaders.project.load(self.project_id) if self.project_id else None
        zh, en = TEXTS[self.kind]
        return (en if info.context.lang == "en" else zh).format(title=project.title if project else "")

    @strawberry.field(description="The project, while the viewer may still see it.")
    async def project(self, info: Info) -> Project | None:
        if self.project_id is None or not await info.context.loaders.project_visible.load(self.project_id):
            return None
        return Project.from_model(await info.context.loaders.project.load(self.project_id))

    @strawberry.field
    async def claim(self, info: Info) -> Claim | None:
        if self.claim_id is None:
            return None
        row = await info.context.loaders.claim.load(self.claim_id)
        return Claim.from_model(row) if row else None


@strawberry.input
class MarkNotificationsReadInput:
    ids: list[strawberry.ID]


@strawberry.type
class MarkNotificationsReadPayload:
    notifications: list[Notification] = strawberry.field(default_factory=list)
    unread_count: int = 0
    errors: list[UserError] = strawberry.field(default_factory=list)
