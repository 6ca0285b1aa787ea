"""GraphQL types for household votes (电子投票): polls, options and their results."""

from __future__ import annotations

from datetime import datetime

import strawberry

from auth import policies
from models import poll as poll_model
from schema.compound import Compound
from schema.context import Context
from schema.errors import UserError
from schema.relay import Node, to_global_id

Info = strawberry.Info[Context, None]

PollStatus = strawberry.enum(poll_model.PollStatus, description="DRAFT -> OPEN -> CLOSED.")
PollRule = strawberry.enum(poll_model.PollRule, description="SIMPLE_MAJORITY: the option chosen by more than half of "
                           "the voting households; DOUBLE_MAJORITY: more than half of the voting households and of "
                           "their floor area. Either way only when the quorum is met.")


@strawberry.type(description="One choice of a poll. Counts are 0 for viewers who may not see results yet.")
class PollOption:
    id: strawberry.ID
    label: str
    household_votes: int
    area_sqm: float = strawberry.field(description="Floor area of the households that chose it, in m² to 0.01.")


@strawberry.type(description="A vote of a compound's households, one vote per household. Visible to the compound's "
                             "residents and to managers of its branch or community. Results (counts, turnout, "
                             "quorumMet, winner) are shown to staff at any time and to residents once the poll is "
                             "over (`resultsVisible`).")
class Poll(Node):
    id: strawberry.ID
    title: str
    description: str
    rule: PollRule
    quorum_percent: int = strawberry.field(description="Share of the compound's households that must vote, 1-100.")
    opens_at: datetime | None
    closes_at: datetime | None
    pk: strawberry.Private[int]
    model: strawberry.Private[poll_model.Poll]

    @classmethod
    def from_model(cls, p: poll_model.Poll) -> Poll:
        return cls(id=to_global_id("Poll", p.id), title=p.title, description=p.description, rule=p.rule,
                   quorum_percent=p.quorum_percent, opens_at=p.opens_at, closes_at=p.closes_at, pk=p.id, model=p)

    @strawberry.field(description="OPEN past `closesAt` reads CLOSED: voting has ended.")
    def status(self) -> PollStatus:
        if self.model.status is poll_model.PollStatus.OPEN and poll_model.is_over(self.model):
            return poll_model.PollStatus.CLOSED
        return self.model.status

    @strawberry.field
    async def compound(self, info: Info) -> Compound:
        return Compound.from_model(await info.context.loaders.compound.load(self.model.compound_id))

    @strawberry.field(description="Whether the viewer sees the counts now.")
    async def results_visible(self, info: Info) -> bool:
        return poll_model.is_over(self.model) or await policies.can_manage_compound(info.context.viewer,
                                                                                    self.model.compound_id)

    async def _tally(self, info: Info) -> poll_model.Tally | None:
        if not await self.results_visible(info):
            return None
        return await info.context.loaders.poll_tally.load(self.pk)

    @strawberry.field(description="In order.")
    async def options(self, info: Info) -> list[PollOption]:
        tally = await self._tally(info)
        out = []
        for option in await info.context.loaders.poll_options.load(self.pk):
            households, area = tally.options.get(option.id, (0, 0.0)) if tally else (0, 0.0)
            out.append(PollOption(id=strawberry.ID(to_global_id("PollOption", option.id)), label=option.label,
                                  household_votes=households, area_sqm=round(area, 2)))
        return out

    @strawberry.field(description="Households of the compound (each may vote once); once voting has ended, those "
                                  "registered by then, so that the result stays final.")
    async def eligible_households(self, info: Info) -> int:
        return (await info.context.loaders.poll_tally.load(self.pk)).eligible_households

    @strawberry.field(description="Households that voted (0 while results are hidden from the viewer).")
    async def voted_households(self, info: Info) -> int:
        tally = await self._tally(info)
        return tally.voted_households if tally else 0

    @strawberry.field(description="Whether enough households voted (false while results are hidden).")
    async def quorum_met(self, info: Info) -> bool:
        tally = await self._tally(info)
        return bool(tally) and poll_model.quorum_met(tally=tally, quorum_percent=self.model.quorum_percent)

    @strawberry.field(description="The winning option once the poll is over (null: no majority, no quorum, or not "
                                  "over yet).")
    async def winner(self, info: Info) -> PollOption | None:
        if not poll_model.is_over(self.model):
            return None
        tally = await self._tally(info)
        if tally is None:
            return None
        winner = poll_model.winner(tally=tally, rule=self.model.rule, quorum_percent=self.model.quorum_percent)
        return next((option for option in await self.options(info)
                     if option.id == to_global_id("PollOption", winner or 0)), None)

    @strawberry.field(description="Whether a household of the viewer has voted (whoever of it cast the vote).")
    async def viewer_has_voted(self, info: Info) -> bool:
        if not info.context.viewer.authenticated:
            return False
        return await info.context.loaders.poll_voted.load(self.pk)


@strawberry.input(description="Filter for the poll list.")
class PollFilter:
    compound_id: strawberry.ID | None = None
    status: PollStatus | None = strawberry.field(default=None, description="As `Poll.status` reads: OPEN leaves out "
                                                 "polls past `closesAt`, CLOSED includes them.")


@strawberry.input(description="A DRAFT poll for a compound: 2-20 options, quorum 1-100 percent of households.")
class CreatePollInput:
    compound_id: strawberry.ID
    title: str
    options: list[str]
    description: str = ""
    opens_at: datetime | None = None
    closes_at: datetime | None = None
    quorum_percent: int = 50
    rule: PollRule = PollRule.SIMPLE_MAJORITY


@strawberry.input
class OpenPollInput:
    poll_id: strawberry.ID


@strawberry.input
class ClosePollInput:
    poll_id: strawberry.ID


@strawberry.input(description="Vote for an option on behalf of the viewer's household in the compound (`householdId` "
                              "when they live in more than one there).")
class CastVoteInput:
    poll_id: strawberry.ID
    option_id: strawberry.ID
    household_id: strawberry.ID | None = None


@strawberry.type
class PollPayload:
    poll: Poll | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)
