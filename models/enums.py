"""Enumerations shared by the models and the GraphQL schema, so both layers speak one vocabulary."""

from enum import Enum


class OrgKind(str, Enum):
    """Levels of the 近邻 hierarchy and the organisations linked to it."""

    DISTRICT = "DISTRICT"
    STREET_COMMITTEE = "STREET_COMMITTEE"
    COMMUNITY_COMMITTEE = "COMMUNITY_COMMITTEE"
    COMPOUND_BRANCH = "COMPOUND_BRANCH"
    PARTNER_UNIT = "PARTNER_UNIT"
    VOLUNTEER_TEAM = "VOLUNTEER_TEAM"


class MemberRole(str, Enum):
    """What a person is in an organisation; ADMIN and STAFF manage it and its subtree."""

    ADMIN = "ADMIN"
    STAFF = "STAFF"
    MEMBER = "MEMBER"
    COMMISSIONER = "COMMISSIONER"


class PropertyManagement(str, Enum):
    """Who runs a compound: a property company, the owners themselves, or nobody (无物业老旧小区)."""

    COMPANY = "COMPANY"
    SELF_MANAGED = "SELF_MANAGED"
    NONE = "NONE"


class MemberType(str, Enum):
    """A party member's situation when registering at home (双报到)."""

    IN_SERVICE = "IN_SERVICE"
    RETIRED = "RETIRED"
    FLOATING = "FLOATING"


class ProjectCategory(str, Enum):
    """What a service project, offering or order is about."""

    ELDERLY_CARE = "ELDERLY_CARE"
    ENVIRONMENT = "ENVIRONMENT"
    SAFETY_PATROL = "SAFETY_PATROL"
    GARBAGE_SORTING = "GARBAGE_SORTING"
    EDUCATION = "EDUCATION"
    HEALTH = "HEALTH"
    MEDIATION = "MEDIATION"
    REPAIR = "REPAIR"
    CULTURE = "CULTURE"
    OTHER = "OTHER"


class ProjectStatus(str, Enum):
    """Life cycle of a service project (项目认领)."""

    DRAFT = "DRAFT"
    OPEN = "OPEN"
    CLOSED = "CLOSED"
    COMPLETED = "COMPLETED"
    CANCELLED = "CANCELLED"


class ClaimStatus(str, Enum):
    """Life cycle of one claim on a project."""

    ACTIVE = "ACTIVE"
    DONE = "DONE"
    VERIFIED = "VERIFIED"
    REJECTED = "REJECTED"
    WITHDRAWN = "WITHDRAWN"


# Which org kinds may sit under which parent; None means "no parent".
PARENT_KINDS: dict[OrgKind, frozenset[OrgKind | None]] = {
    OrgKind.DISTRICT: frozenset({None}),
    OrgKind.STREET_COMMITTEE: frozenset({OrgKind.DISTRICT}),
    OrgKind.COMMUNITY_COMMITTEE: frozenset({OrgKind.STREET_COMMITTEE}),
    OrgKind.COMPOUND_BRANCH: frozenset({OrgKind.COMMUNITY_COMMITTEE}),
    OrgKind.VOLUNTEER_TEAM: frozenset({OrgKind.COMPOUND_BRANCH, OrgKind.COMMUNITY_COMMITTEE}),
    OrgKind.PARTNER_UNIT: frozenset({None}),
}

MANAGER_ROLES: frozenset[MemberRole] = frozenset({MemberRole.ADMIN, MemberRole.STAFF})
