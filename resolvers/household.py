"""Households: the compound's branch or community staff register dwellings and the residents living in them."""

from __future__ import annotations

import math

import strawberry

from auth import policies
from models import household as household_model
from models import user as user_model
from resolvers.common import audit_target, check_phone, check_text, load_compound, require_login
from schema.context import Context
from schema.errors import ErrorCode, UserError, forbidden, user_error
from schema.household import AddHouseholdMemberInput, CreateHouseholdInput, Household, HouseholdPayload
from schema.relay import pk_of, to_global_id

Info = strawberry.Info[Context, None]
MAX_AREA_SQM = 10_000.0


async def create_household(info: Info, input: CreateHouseholdInput) -> HouseholdPayload:
    """Register a dwelling of a compound with its floor area (unique unit per compound)."""
    ctx = info.context
    require_login(ctx)
    errors: list[UserError] = []
    compound = await load_compound(ctx, errors, "compoundId", input.compound_id)
    if compound is None:
        return HouseholdPayload(errors=errors)
    if not await policies.can_manage_compound(ctx.viewer, compound.id):
        raise forbidden(ctx.lang)
    unit = check_text(ctx, errors, "unit", input.unit, min_len=1, max_len=50)
    # Recorded to 0.01 m² (as on a property certificate), so that DOUBLE_MAJORITY compares exact sums.
    area = round(input.area_sqm, 2) if math.isfinite(input.area_sqm) else math.nan
    if not 0 < area <= MAX_AREA_SQM:
        errors.append(user_error(ctx.lang, ErrorCode.INVALID, ["areaSqm"], "area_range", max=int(MAX_AREA_SQM)))
    if errors:
        return HouseholdPayload(errors=errors)
    row = await household_model.create(compound_id=compound.id, unit=unit, area_sqm=float(area))
    if row is None:
        return HouseholdPayload(errors=[user_error(ctx.lang, ErrorCode.DUPLICATE, ["unit"], "household_exists")])
    audit_target(ctx, object_id=to_global_id("Household", row.id))
    return HouseholdPayload(household=Household.from_model(row))


async def add_household_member(info: Info, input: AddHouseholdMemberInput) -> HouseholdPayload:
    """Record that the person with this phone lives in the household (makes them a resident of the compound)."""
    ctx = info.context
    require_login(ctx)
    errors: list[UserError] = []
    pk = pk_of(input.household_id, "Household")
    row = await household_model.get(household_id=pk) if pk is not None else None
    if row is None or not await policies.can_see_household(ctx.viewer, row):
        return HouseholdPayload(errors=[user_error(ctx.lang, ErrorCode.NOT_FOUND, ["householdId"], "not_found")])
    audit_target(ctx, object_id=to_global_id("Household", row.id))
    if not await policies.can_manage_compound(ctx.viewer, row.compound_id):
        raise forbidden(ctx.lang)
    phone = check_phone(ctx, errors, "phone", input.phone)
    if errors:
        return HouseholdPayload(errors=errors)
    person = await user_model.get_by_phone(phone=phone)
    if person is None:
        return HouseholdPayload(errors=[user_error(ctx.lang, ErrorCode.NOT_FOUND, ["phone"], "not_found")])
    if not await household_model.add_member(household_id=row.id, user_id=person.id):
        return HouseholdPayload(errors=[user_error(ctx.lang, ErrorCode.DUPLICATE, ["phone"], "already_resident")])
    ctx.loaders.household_members.clear_all()
    return HouseholdPayload(household=Household.from_model(row))
