"""registerAtBranch and endRegistration: dual registration (双报到) of party members where they live."""

from __future__ import annotations

import strawberry
from tortoise.exceptions import IntegrityError

from auth import policies
from models import registration as registration_model
from models.enums import OrgKind
from resolvers.common import audit_target, check_text, load_org, require_login
from schema.context import Context
from schema.errors import ErrorCode, UserError, user_error
from schema.registration import EndRegistrationInput, RegisterAtBranchInput, Registration, RegistrationPayload
from schema.relay import pk_of

Info = strawberry.Info[Context, None]


async def register_at_branch(info: Info, input: RegisterAtBranchInput) -> RegistrationPayload:
    """Register the viewer at the branch where they live; they become a MEMBER of it."""
    ctx = info.context
    user_id = require_login(ctx)
    errors: list[UserError] = []
    branch = await load_org(ctx, errors, "branchId", input.branch_id)
    work_unit = check_text(ctx, errors, "workUnit", input.work_unit, min_len=0, max_len=100) or None
    if branch is not None and branch.kind is not OrgKind.COMPOUND_BRANCH:
        errors.append(user_error(ctx.lang, ErrorCode.INVALID, ["branchId"], "must_be_branch"))
    if errors or branch is None:
        return RegistrationPayload(errors=errors)
    try:
        row = await registration_model.register(user_id=user_id, branch_id=branch.id, member_type=input.member_type,
                                                work_unit=work_unit)
    except IntegrityError:  # a simultaneous registration of the same person won the unique index
        return RegistrationPayload(errors=[user_error(ctx.lang, ErrorCode.CONFLICT, None, "busy")])
    return RegistrationPayload(registration=Registration.from_model(row))


async def end_registration(info: Info, input: EndRegistrationInput) -> RegistrationPayload:
    """End a registration: the member themself, or a manager of the branch."""
    ctx = info.context
    require_login(ctx)
    pk = pk_of(input.registration_id, "Registration")
    row = await registration_model.get(registration_id=pk) if pk else None
    if row is None or not await policies.can_see_registration(ctx.viewer, row.user_id, row.branch_id):
        return RegistrationPayload(errors=[user_error(ctx.lang, ErrorCode.NOT_FOUND, ["registrationId"],
                                                      "not_found")])
    audit_target(ctx, org_id=row.branch_id)
    if not await registration_model.end(registration=row):
        return RegistrationPayload(errors=[user_error(ctx.lang, ErrorCode.INVALID_STATE, ["registrationId"],
                                                      "registration_ended")])
    return RegistrationPayload(registration=Registration.from_model(await registration_model.get(registration_id=pk)))
