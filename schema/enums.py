"""The model enums exposed as GraphQL enums (one vocabulary for database and API)."""

import strawberry

from models import enums

OrgKind = strawberry.enum(enums.OrgKind, description="Level or kind of an organisation.")
MemberRole = strawberry.enum(enums.MemberRole, description="A person's role in an organisation.")
PropertyManagement = strawberry.enum(enums.PropertyManagement, description="Who runs a compound.")
MemberType = strawberry.enum(enums.MemberType, description="A party member's situation (双报到).")
