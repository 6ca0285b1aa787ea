"""Who may see and change what; every mutation and every fetch by id asks one of these functions."""

from __future__ import annotations

from models.enums import MANAGER_ROLES, MemberRole, OrgKind
from auth.viewer import Viewer

_STRENGTH = {MemberRole.ADMIN: 4, MemberRole.STAFF: 3, MemberRole.COMMISSIONER: 2, MemberRole.MEMBER: 1}


async def _lineage(viewer: Viewer, org_id: int) -> list[int]:
    """The org and its ancestors (through the request's loader)."""
    return [*await viewer.loaders.ancestors.load(org_id), org_id]


async def role_in(viewer: Viewer, org_id: int) -> MemberRole | None:
    """The viewer's role at an org: the stronger of a direct role and ADMIN/STAFF inherited from an ancestor."""
    roles = await viewer.roles()
    if not roles:
        return None
    best: MemberRole | None = roles.get(org_id)
    for ancestor in await viewer.loaders.ancestors.load(org_id):
        role = roles.get(ancestor)
        if role in MANAGER_ROLES and (best is None or _STRENGTH[role] > _STRENGTH[best]):
            best = role
    return best


async def can_manage(viewer: Viewer, org_id: int) -> bool:
    """ADMIN and STAFF of an org or of any ancestor manage it (its whole subtree)."""
    roles = await viewer.roles()
    if not roles:
        return False
    return any(roles.get(oid) in MANAGER_ROLES for oid in await _lineage(viewer, org_id))


async def is_admin(viewer: Viewer, org_id: int) -> bool:
    """ADMIN of an org or of an ancestor: needed to appoint or remove other admins."""
    roles = await viewer.roles()
    if not roles:
        return False
    return any(roles.get(oid) is MemberRole.ADMIN for oid in await _lineage(viewer, org_id))


async def can_create_org(viewer: Viewer, kind: OrgKind, parent_id: int | None) -> bool:
    """Children need a manager of the parent; a district needs a district admin; anyone may found a partner unit."""
    if not viewer.authenticated:
        return False
    if parent_id is not None:
        return await can_manage(viewer, parent_id)
    if kind is OrgKind.PARTNER_UNIT:
        return True
    roles = await viewer.roles()
    orgs = await viewer.loaders.org.load_many([oid for oid, role in roles.items() if role is MemberRole.ADMIN])
    return any(org is not None and org.kind is OrgKind.DISTRICT for org in orgs)


async def can_pair(viewer: Viewer, org_id: int) -> bool:
    """Pairing is decided by the street or community side."""
    return await can_manage(viewer, org_id)


async def can_see_members(viewer: Viewer, org_id: int) -> bool:
    """An org's member list: its own members, and its managers (direct or above)."""
    roles = await viewer.roles()
    return org_id in roles or await can_manage(viewer, org_id)


async def manages_user(viewer: Viewer, user_id: int) -> bool:
    """Whether the viewer manages some org the user belongs to (then they see the full phone number)."""
    if not viewer.authenticated:
        return False
    if not await viewer.roles():
        return False
    memberships = await viewer.loaders.memberships.load(user_id)
    await viewer.loaders.ancestors.load_many([m.org_id for m in memberships])  # one batch, then cache hits
    for membership in memberships:
        if await can_manage(viewer, membership.org_id):
            return True
    return False


async def can_see_phone(viewer: Viewer, user_id: int) -> bool:
    """Full phone numbers: the person themself, or a manager of one of their orgs."""
    return viewer.user_id == user_id or await manages_user(viewer, user_id)


async def can_see_user(viewer: Viewer, user_id: int) -> bool:
    """A person's profile: themself, their orgs' managers, and fellow members of an org."""
    if not viewer.authenticated:
        return False
    if viewer.user_id == user_id:
        return True
    roles = await viewer.roles()
    if not roles:
        return False
    their_orgs = {m.org_id for m in await viewer.loaders.memberships.load(user_id)}
    if their_orgs & roles.keys():
        return True
    return await manages_user(viewer, user_id)
