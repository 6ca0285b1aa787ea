"""GraphQL types for the duty rotation (轮值驻点): shifts of partner units at service centres, and rosters."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING, Annotated

import strawberry
from strawberry.dataloader import DataLoader

from auth import policies
from models import duty as duty_model
from schema.context import Context
from schema.errors import UserError
from schema.org import Org
from schema.relay import Node, to_global_id

if TYPE_CHECKING:
    from schema.user import User

Info = strawberry.Info[Context, None]


@strawberry.type(description="A partner unit on duty at a street's or community's party-mass service centre for "
                             "one day (dates are Asia/Shanghai). Visible to every logged-in user, like the roster "
                             "on the centre's wall.")
class DutyShift(Node):
    id: strawberry.ID
    date: date
    checked_in: bool = strawberry.field(description="Whether the unit checked in on its day (the shift was served).")
    checked_in_at: datetime | None
    pk: strawberry.Private[int]
    centre_id: strawberry.Private[int]
    unit_id: strawberry.Private[int]
    checked_in_by_id: strawberry.Private[int | None]

    @classmethod
    def from_model(cls, s: duty_model.DutyShift) -> DutyShift:
        return cls(id=to_global_id("DutyShift", s.id), date=s.duty_date, checked_in=s.checked_in_at is not None,
                   checked_in_at=s.checked_in_at, pk=s.id, centre_id=s.centre_id, unit_id=s.unit_id,
                   checked_in_by_id=s.checked_in_by_id)

    @strawberry.field(description="The street or community whose service centre the unit serves at.")
    async def centre(self, info: Info) -> Org:
        return Org.from_model(await info.context.loaders.org.load(self.centre_id))

    @strawberry.field(description="The partner unit on duty.")
    async def unit(self, info: Info) -> Org:
        return Org.from_model(await info.context.loaders.org.load(self.unit_id))

    @strawberry.field(description="Who checked the unit in, while the viewer may see that person.")
    async def checked_in_by(self, info: Info) -> Annotated["User", strawberry.lazy("schema.user")] | None:
        from schema.user import User

        if self.checked_in_by_id is None or not await policies.can_see_user(info.context.viewer,
                                                                              self.checked_in_by_id):
            return None
        row = await info.context.loaders.user.load(self.checked_in_by_id)
        return User.from_model(row) if row else None

    @strawberry.field(description="Shifts this shift's unit has offered to swap with and that are still waiting for "
                                  "the other unit's consent (`swapDuty` from that unit completes the swap). Only "
                                  "for managers of the unit or the centre; empty for others.")
    async def swap_offers(self, info: Info) -> list[DutyShift]:
        return await self._swaps(info, info.context.loaders.duty_swap_offers)

    @strawberry.field(description="Shifts whose units have offered to swap with this one and wait for this unit's "
                                  "consent (`swapDuty` with this shift accepts). Only for managers of this shift's "
                                  "unit or the centre; empty for others.")
    async def swap_requests(self, info: Info) -> list[DutyShift]:
        return await self._swaps(info, info.context.loaders.duty_swap_requests)

    async def _swaps(self, info: Info, loader: DataLoader[int, list[int]]) -> list[DutyShift]:
        """Pending swaps one way or the other: only the unit's and the centre's managers see the negotiation."""
        viewer = info.context.viewer
        if not (await policies.can_act_for_unit(viewer, self.unit_id)
                or await policies.can_run_roster(viewer, self.centre_id)):
            return []
        rows = await info.context.loaders.duty_shift.load_many(await loader.load(self.pk))
        return [DutyShift.from_model(row) for row in rows if row is not None]

    @strawberry.field(description="Whether the viewer may check this shift in now (staff of the unit, on the day).")
    async def viewer_can_check_in(self, info: Info) -> bool:
        if self.checked_in or self.date != duty_model.local_today():
            return False
        return await policies.can_act_for_unit(info.context.viewer, self.unit_id)


@strawberry.input(description="Filter for the duty roster.")
class DutyShiftFilter:
    org_id: strawberry.ID | None = strawberry.field(
        default=None, description="Shifts at centres in this org's subtree, or served by this partner unit.")
    from_: date | None = strawberry.field(default=None, name="from", description="First day, inclusive.")
    to: date | None = strawberry.field(default=None, description="Last day, inclusive.")


@strawberry.input(description="Plan the rotation of a centre from `from` to `to` (inclusive, at most 366 days, not "
                              "in the past): `unitsPerDay` units a day out of the partner units paired with the "
                              "centre's org or its subtree, evenly. Unserved shifts of the centre in the period are "
                              "replaced; served ones stay and count.")
class GenerateDutyRosterInput:
    centre_org_id: strawberry.ID
    from_: date = strawberry.field(name="from")
    to: date
    units_per_day: int = 1


@strawberry.input(description="Trade `shiftId` for `withShiftId` (same centre, different days, both unserved). Staff "
                              "of the centre swap at once; staff of a unit give their unit's consent, and the swap "
                              "happens when the other unit has consented too.")
class SwapDutyInput:
    shift_id: strawberry.ID
    with_shift_id: strawberry.ID


@strawberry.input(description="The unit on duty reports for its shift, on the day.")
class CheckInDutyInput:
    shift_id: strawberry.ID


@strawberry.type(description="What a roster generation did.")
class DutyRosterPayload:
    centre: Org | None = None
    created_count: int = strawberry.field(default=0, description="New shifts planned.")
    kept_count: int = strawberry.field(default=0, description="Served shifts in the period that stayed.")
    unit_count: int = strawberry.field(default=0, description="Partner units on the rotation.")
    short_days: list[date] = strawberry.field(
        default_factory=list, description="Days with fewer than `unitsPerDay` units (units on duty elsewhere).")
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class SwapDutyPayload:
    shift: DutyShift | None = None
    with_shift: DutyShift | None = None
    swapped: bool = strawberry.field(default=False, description="False while waiting for the other unit's consent.")
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class DutyShiftPayload:
    shift: DutyShift | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)
