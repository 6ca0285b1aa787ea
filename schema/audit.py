"""GraphQL type for the audit log that staff read for their subtree."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated

import strawberry

from models import audit as audit_model
from schema.context import Context

if TYPE_CHECKING:
    from schema.org import Org
    from schema.user import User

Info = strawberry.Info[Context, None]


@strawberry.type(description="One mutation as it happened: who, what, on which object, and how it ended.")
class AuditEntry:
    action: str = strawberry.field(description="The mutation's name, e.g. claimProject.")
    object_id: strawberry.ID | None = strawberry.field(description="Global id of the object it touched.")
    outcome: str = strawberry.field(description="OK, an error code (or several, comma-separated), FORBIDDEN, "
                                                "UNAUTHENTICATED or INTERNAL.")
    at: datetime
    actor_id: strawberry.Private[int | None]
    org_id: strawberry.Private[int | None]

    @classmethod
    def from_model(cls, a: audit_model.AuditEntry) -> AuditEntry:
        return cls(action=a.action, object_id=a.object_id, outcome=a.outcome, at=a.at, actor_id=a.actor_id,
                   org_id=a.org_id)

    @strawberry.field
    async def actor(self, info: Info) -> Annotated["User", strawberry.lazy("schema.user")] | None:
        from schema.user import User

        row = await info.context.loaders.user.load(self.actor_id) if self.actor_id else None
        return User.from_model(row) if row else None

    @strawberry.field
    async def org(self, info: Info) -> Annotated["Org", strawberry.lazy("schema.org")] | None:
        from schema.org import Org

        row = await info.context.loaders.org.load(self.org_id) if self.org_id else None
        return Org.from_model(row) if row else None
