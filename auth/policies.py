"""Who may see and change what; every mutation and every fetch by id asks one of these functions."""

from __future__ import annotations

from auth.viewer import Viewer
from models.enums import MANAGER_ROLES, MemberRole, OrgKind
from models.project import Claim, Scope

# Orgs that claim projects in their own name (项目认领 by 驻区单位 and 志愿服务队).
CLAIMANT_KINDS = frozenset({OrgKind.PARTNER_UNIT, OrgKind.VOLUNTEER_TEAM})

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


async def project_scope(viewer: Viewer) -> Scope:
    """The viewer's orgs, managed orgs and claim-capable orgs (units and teams they run), built once a request."""
    if viewer.scope is None:
        roles = await viewer.roles()
        managed = [oid for oid, role in roles.items() if role in MANAGER_ROLES]
        orgs = await viewer.loaders.org.load_many(managed)
        claimants = [o.id for o in orgs if o is not None and o.kind in CLAIMANT_KINDS]
        viewer.scope = Scope(user_id=viewer.user_id, member_org_ids=tuple(sorted(roles)),
                             managed_org_ids=tuple(sorted(managed)), claimant_org_ids=tuple(sorted(claimants)))
    return viewer.scope


async def can_see_project(viewer: Viewer, project_id: int) -> bool:
    """Projects follow `models.project.visible_sql` (one rule, evaluated in SQL for lists and single fetches)."""
    if not viewer.authenticated:
        return False
    return await viewer.loaders.project_visible.load(project_id)


async def can_publish_in(viewer: Viewer, org_id: int) -> bool:
    """ADMIN/STAFF of the publishing org or above create and steer its projects and verify claims."""
    return await can_manage(viewer, org_id)


async def can_see_claim(viewer: Viewer, claim: Claim, project_org_id: int) -> bool:
    """A claim: its claimant (the member, whoever filed it, or managers of the claiming org) and the publisher's
    managers."""
    if not viewer.authenticated:
        return False
    if viewer.user_id in (claim.user_id, claim.claimed_by_id):
        return True
    if claim.org_id is not None and await can_manage(viewer, claim.org_id):
        return True
    return await can_manage(viewer, project_org_id)


async def can_act_for_claim(viewer: Viewer, claim: Claim) -> bool:
    """Withdrawing and reporting belong to the claimant: the member, or the claiming org's own ADMIN/STAFF. As for
    claiming in its name, managing a team's parent is not running the team (else the publisher's managers above a
    team could report its hours and then verify them themselves)."""
    if claim.user_id is not None:
        return viewer.user_id == claim.user_id
    return claim.org_id is not None and (await viewer.roles()).get(claim.org_id) in MANAGER_ROLES


async def can_see_registration(viewer: Viewer, user_id: int, branch_id: int) -> bool:
    """A registration: the member and the branch's managers (or above)."""
    return viewer.authenticated and (viewer.user_id == user_id or await can_manage(viewer, branch_id))


async def can_see_resource(viewer: Viewer, resource_id: int) -> bool:
    """Resources follow `models.resource.visible_sql`: the owner's managers, and members of orgs that may request."""
    if not viewer.authenticated:
        return False
    return await viewer.loaders.resource_visible.load(resource_id)


async def can_see_booking(viewer: Viewer, resource_owner_id: int, for_org_id: int) -> bool:
    """A booking: managers of the owner and of the requesting org."""
    return viewer.authenticated and (await can_manage(viewer, resource_owner_id)
                                     or await can_manage(viewer, for_org_id))


async def can_run_roster(viewer: Viewer, centre_id: int) -> bool:
    """A centre's duty roster is planned and rearranged by ADMIN/STAFF of its street or community (or above)."""
    return await can_manage(viewer, centre_id)


async def can_act_for_unit(viewer: Viewer, unit_id: int) -> bool:
    """A partner unit consents to swaps and checks in through its own ADMIN/STAFF."""
    return await can_manage(viewer, unit_id)


async def can_assign_commissioner(viewer: Viewer, unit_id: int) -> bool:
    """Service commissioners (近邻服务专员) are sent by the government side: managers of an org paired with the unit
    (or above it)."""
    if not viewer.authenticated or not await viewer.roles():
        return False
    paired = await viewer.loaders.paired_orgs.load(unit_id)
    await viewer.loaders.ancestors.load_many(paired)  # one batch, then cache hits
    for org_id in paired:
        if await can_manage(viewer, org_id):
            return True
    return False


async def can_manage_compound(viewer: Viewer, compound_id: int) -> bool:
    """Managers of a compound's branch (or, uncovered, its community) and above run its households and polls."""
    if not viewer.authenticated or not await viewer.roles():
        return False
    compound = await viewer.loaders.compound.load(compound_id)
    return compound is not None and await can_manage(viewer, compound.branch_id or compound.community_id)


async def is_district_admin(viewer: Viewer, org_id: int) -> bool:
    """ADMIN of the district an org belongs to (the org itself or its DISTRICT ancestor): the one who may see who
    wrote an anonymous opinion owned there. Admins of other districts are not (an opinion may be handed to an org
    anywhere, and its managers then see it)."""
    roles = await viewer.roles()
    if not roles:
        return False
    admin_of = [oid for oid in await _lineage(viewer, org_id) if roles.get(oid) is MemberRole.ADMIN]
    orgs = await viewer.loaders.org.load_many(admin_of)
    return any(org is not None and org.kind is OrgKind.DISTRICT for org in orgs)


async def can_offer_as(viewer: Viewer, provider_id: int) -> bool:
    """A provider's price list is kept by its own ADMIN/STAFF (or above)."""
    return await can_manage(viewer, provider_id)


async def can_approve_offering(viewer: Viewer, provider_id: int) -> bool:
    """Prices are approved by the government side: managers of a community (or street, district) above a team, or of
    an org paired with a partner unit; never by the provider itself alone."""
    if not viewer.authenticated or not await viewer.roles():
        return False
    provider = await viewer.loaders.org.load(provider_id)
    if provider is None:
        return False
    if provider.kind is OrgKind.PARTNER_UNIT:
        return await can_assign_commissioner(viewer, provider_id)
    roles = await viewer.roles()
    ancestors = await viewer.loaders.ancestors.load(provider_id)
    orgs = await viewer.loaders.org.load_many(ancestors)
    return any(org is not None and org.kind in _GOVERNING and roles.get(org.id) in MANAGER_ROLES for org in orgs)


_GOVERNING = frozenset({OrgKind.DISTRICT, OrgKind.STREET_COMMITTEE, OrgKind.COMMUNITY_COMMITTEE})


async def can_dispatch_order(viewer: Viewer, order: object) -> bool:
    """Community staff (of the order's community or above) dispatch and may cancel orders."""
    return await can_manage(viewer, order.community_id)  # type: ignore[attr-defined]


async def can_serve_order(viewer: Viewer, order: object) -> bool:
    """The provider an order is dispatched to acts through its ADMIN/STAFF."""
    provider_id = order.provider_id  # type: ignore[attr-defined]
    return provider_id is not None and await can_manage(viewer, provider_id)


async def can_see_order_phone(viewer: Viewer, order: object) -> bool:
    """The resident's phone: the resident, the community's managers, and the provider only while doing the work."""
    from models.order import PHONE_TO_PROVIDER

    if not viewer.authenticated:
        return False
    if viewer.user_id == order.resident_id:  # type: ignore[attr-defined]
        return True
    if await can_dispatch_order(viewer, order):
        return True
    return order.status in PHONE_TO_PROVIDER and await can_serve_order(viewer, order)  # type: ignore[attr-defined]


async def can_handle_opinion(viewer: Viewer, opinion: object) -> bool:
    """Managers of the opinion's org, of its assignee or of its compound's branch (or above) assign, reply and
    close."""
    if not viewer.authenticated or not await viewer.roles():
        return False
    if await can_manage(viewer, opinion.org_id):  # type: ignore[attr-defined]
        return True
    assignee = opinion.assignee_id  # type: ignore[attr-defined]
    if assignee is not None and await can_manage(viewer, assignee):
        return True
    compound_id = opinion.compound_id  # type: ignore[attr-defined]
    compound = await viewer.loaders.compound.load(compound_id) if compound_id is not None else None
    return compound is not None and compound.branch_id is not None and await can_manage(viewer, compound.branch_id)


async def can_see_opinion_author(viewer: Viewer, opinion: object) -> bool:
    """Who raised it: the author; for an anonymous opinion nobody else but an admin of the district that owns it;
    otherwise its handlers."""
    if not viewer.authenticated:
        return False
    if viewer.user_id is not None and viewer.user_id == opinion.author_id:  # type: ignore[attr-defined]
        return True
    if opinion.anonymous:  # type: ignore[attr-defined]
        return await is_district_admin(viewer, opinion.org_id)  # type: ignore[attr-defined]
    return await can_handle_opinion(viewer, opinion)


async def can_see_household(viewer: Viewer, household: object) -> bool:
    """A household: its residents and the managers of its compound."""
    if not viewer.authenticated:
        return False
    if viewer.user_id in await viewer.loaders.household_members.load(household.id):  # type: ignore[attr-defined]
        return True
    return await can_manage_compound(viewer, household.compound_id)  # type: ignore[attr-defined]
