"""The viewer, and membership management (appointing members, staff and admins of an org)."""

from __future__ import annotations

import strawberry

from auth import policies
from models import registration as registration_model
from models import user as user_model
from models.enums import MemberRole, OrgKind
from resolvers.common import check_phone, load_org, require_login
from schema.errors import ErrorCode, UserError, forbidden, user_error
from schema.relay import pk_of
from schema.user import AddMemberInput, Membership, MembershipPayload, RemoveMemberInput, User

from schema.context import Context

Info = strawberry.Info[Context, None]


async def viewer(info: Info) -> User | None:
    """The logged-in user, or null when anonymous."""
    user_id = info.context.viewer.user_id
    if user_id is None:
        return None
    row = await info.context.loaders.user.load(user_id)
    return User.from_model(row) if row else None


async def add_member(info: Info, input: AddMemberInput) -> MembershipPayload:
    """Give the person with a phone number a role in an org the viewer manages (ADMINs only by ADMINs); managers of
    an org paired with a partner unit assign service commissioners (近邻服务专员) to it."""
    ctx = info.context
    require_login(ctx)
    errors: list[UserError] = []
    target = await load_org(ctx, errors, "orgId", input.org_id)
    if target is None:
        return MembershipPayload(errors=errors)
    commissioner = input.role is MemberRole.COMMISSIONER
    manages = await policies.can_manage(ctx.viewer, target.id)
    if not manages and not (commissioner and target.kind is OrgKind.PARTNER_UNIT
                            and await policies.can_assign_commissioner(ctx.viewer, target.id)):
        raise forbidden(ctx.lang)
    phone = check_phone(ctx, errors, "phone", input.phone)
    if commissioner and target.kind is not OrgKind.PARTNER_UNIT:
        errors.append(user_error(ctx.lang, ErrorCode.INVALID, ["role"], "commissioner_unit_only"))
    if errors:
        return MembershipPayload(errors=errors)
    person = await user_model.get_by_phone(phone=phone)
    if person is None:
        return MembershipPayload(errors=[user_error(ctx.lang, ErrorCode.NOT_FOUND, ["phone"], "not_found")])
    current = await user_model.get_membership(user_id=person.id, org_id=target.id)
    if not manages:
        # The paired side sends commissioners; it never changes the unit's own people (nor races the unit doing so).
        assigned = await user_model.assign_commissioner(user=person, org=target)
        if assigned is None:
            held = (await user_model.get_membership(user_id=person.id, org_id=target.id) or current)
            return MembershipPayload(errors=[user_error(ctx.lang, ErrorCode.DUPLICATE, ["phone"], "has_other_role",
                                                        role=role_label(ctx.lang, held.role if held else None))])
        return MembershipPayload(membership=Membership.from_model(assigned, reveal_phone=True))
    touches_admin = input.role is MemberRole.ADMIN or (current is not None and current.role is MemberRole.ADMIN)
    if touches_admin and not await policies.is_admin(ctx.viewer, target.id):
        return MembershipPayload(errors=[user_error(ctx.lang, ErrorCode.INVALID, ["role"], "admin_only")])
    if current is not None and current.role is MemberRole.ADMIN and input.role is not MemberRole.ADMIN:
        if target.parent_id is None and await user_model.count_admins(org_id=target.id) <= 1:
            return MembershipPayload(errors=[user_error(ctx.lang, ErrorCode.INVALID_STATE, ["role"], "last_admin")])
    membership = await user_model.upsert_membership(user=person, org=target, role=input.role)
    return MembershipPayload(membership=Membership.from_model(membership))


_ROLE_LABELS = {MemberRole.ADMIN: ("管理员", "ADMIN"), MemberRole.STAFF: ("工作人员", "STAFF"),
                MemberRole.MEMBER: ("成员", "MEMBER"), MemberRole.COMMISSIONER: ("近邻服务专员", "COMMISSIONER")}


def role_label(lang: str, role: MemberRole | None) -> str:
    """A role's name in the request's language, for messages."""
    zh, en = _ROLE_LABELS.get(role, ("成员", "MEMBER")) if role is not None else ("成员", "MEMBER")
    return en if lang == "en" else zh


async def remove_member(info: Info, input: RemoveMemberInput) -> MembershipPayload:
    """Remove a membership: by a manager of the org, by the member leaving, or (a commissioner) by the paired side."""
    ctx = info.context
    viewer_id = require_login(ctx)
    errors: list[UserError] = []
    target = await load_org(ctx, errors, "orgId", input.org_id)
    if target is None:
        return MembershipPayload(errors=errors)
    user_id = pk_of(input.user_id, "User")
    leaving = user_id == viewer_id
    membership = await user_model.get_membership(user_id=user_id, org_id=target.id) if user_id else None
    recalls = (membership is not None and membership.role is MemberRole.COMMISSIONER
               and target.kind is OrgKind.PARTNER_UNIT  # pairing is two-way: no unit recalls a street's people
               and await policies.can_assign_commissioner(ctx.viewer, target.id))  # the side that sent them
    if not leaving and not recalls and not await policies.can_manage(ctx.viewer, target.id):
        raise forbidden(ctx.lang)
    if membership is None:
        return MembershipPayload(errors=[user_error(ctx.lang, ErrorCode.NOT_FOUND, ["userId"], "not_member")])
    if membership.role is MemberRole.ADMIN:
        if not leaving and not await policies.is_admin(ctx.viewer, target.id):
            return MembershipPayload(errors=[user_error(ctx.lang, ErrorCode.INVALID, ["userId"], "admin_only")])
        if target.parent_id is None and await user_model.count_admins(org_id=target.id) <= 1:
            return MembershipPayload(errors=[user_error(ctx.lang, ErrorCode.INVALID_STATE, ["userId"],
                                                        "last_admin")])
    await user_model.delete_membership(membership=membership)
    if target.kind is OrgKind.COMPOUND_BRANCH:
        await registration_model.end_for_membership(user_id=membership.user_id, org_id=target.id)
    return MembershipPayload(membership=Membership.from_model(membership))
