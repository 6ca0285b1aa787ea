"""A hypothesis state machine over one demo world: claims on small projects (claim, withdraw, report, verify, a
project cancelled under them), bookings of a shared room for overlapping slots (request, approve, reject, cancel,
its quantity lowered and raised), resident orders through their whole life (place, dispatch, accept,
decline, start, complete, confirm, cancel) and household votes (members of several households, two of them living
in one), in random interleavings, each step now and then sent together with another (asyncio.gather) to race it.

Every step goes through the API as the person who would do it and must end in a business answer (the payload's
`errors` with a code that step may give, or a refusal the actor may meet in a race), never a top-level fault. After
every step the database is read directly for the invariants:
- each project's claimed_count is its number of ACTIVE/DONE/VERIFIED claims (and of claims holding the active key),
  between 0 and its capacity;
- no resource has more approved quantity in use than it offers at any instant;
- at most one vote per (poll, household), cast by someone living there, in a poll that was opened;
- order history is append-only (every event seen before is still there, unchanged, in order), every event a legal
  step from the one before, and each order's status (and provider) that of its last event.

The machine runs in a worker thread (hypothesis is synchronous) and hands each step to the test's event loop, where
the app, its database and the ORM live. Derandomized, bounded (MAX_EXAMPLES runs of STEPS steps): the same run on
every CI build, on SQLite and on PostgreSQL (JINLIN_TEST_DB_URL).
"""

from __future__ import annotations

import asyncio
import dataclasses
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

import hypothesis
import pytest
from hypothesis import HealthCheck
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule, run_state_machine_as_test

from jinlin import db
from jinlin.settings import Settings
from models import household as household_model
from models import project as project_model
from models import registration as registration_model
from models.enums import MemberType, ProjectCategory, ProjectStatus
from models.household import Household as HouseholdRow
from models.household import HouseholdMember as HouseholdMemberRow
from models.order import Order as OrderRow
from models.order import OrderAction
from models.order import OrderEvent as EventRow
from models.org import Org as OrgRow
from models.poll import Poll as PollRow
from models.poll import PollStatus
from models.poll import Vote as VoteRow
from models.resource import Booking as BookingRow
from models.resource import BookingStatus
from models.resource import Resource as ResourceRow
from models.user import User as UserRow
from tests.conftest import Api, gid, make_settings
from tests.test_order import LEGAL_STEPS

MAX_EXAMPLES, STEPS = 40, 30

BRANCH, COMMUNITY, COMPOUND, TEAM = "观远里小区党支部", "莲花北社区", "观远里小区", "观远里自管物业服务队"
COMMUNITY_ADMIN, BRANCH_ADMIN, RESIDENT, STEWARD = "13800000002", "13800000003", "13800000006", "13800000007"
MEMBERS = [f"1376000{i:04d}" for i in range(4)]  # party members registered at 观远里, made for this test
# Voters: 林居民 and a housemate share the first household of 观远里小区; two more live in the second and third.
HOUSEMATE, NEIGHBOUR_2, NEIGHBOUR_3 = "13761000000", "13761000001", "13761000002"
VOTERS = [RESIDENT, HOUSEMATE, NEIGHBOUR_2, NEIGHBOUR_3]
# Booking slots in hours after a midnight two days ahead: overlapping in every way (nested, adjacent, shifted).
SLOTS = [(0, 2), (1, 3), (2, 4), (0, 4), (3, 5), (1, 2)]
BASE = (datetime.now(timezone.utc) + timedelta(days=2)).replace(hour=0, minute=0, second=0, microsecond=0)


def mutation(name: str, selection: str) -> str:
    return (f"mutation($input: {name[0].upper()}{name[1:]}Input!) {{ {name}(input: $input) "
            f"{{ {selection} errors {{ field code message }} }} }}")


CLAIM = mutation("claimProject", "claim { id status }")
WITHDRAW = mutation("withdrawClaim", "claim { status }")
REPORT = mutation("reportClaimDone", "claim { status }")
VERIFY = mutation("verifyClaim", "claim { status }")
CANCEL_PROJECT = mutation("cancelProject", "project { status }")
REQUEST = mutation("requestBooking", "booking { id status }")
APPROVE = mutation("approveBooking", "booking { status }")
REJECT = mutation("rejectBooking", "booking { status }")
CANCEL_BOOKING = mutation("cancelBooking", "booking { status }")
CREATE_RESOURCE = mutation("createResource", "resource { id }")
UPDATE_RESOURCE = mutation("updateResource", "resource { quantity }")
# What comes next for a claim or an order in a status (mostly drawn, so runs get through whole lives).
NEXT_CLAIM = {"ACTIVE": ["withdraw", "report"], "DONE": ["verify"]}
NEXT_ORDER = {"SUBMITTED": ["dispatchOrder"] * 3 + ["cancelOrder"],
              "DISPATCHED": ["acceptOrder"] * 3 + ["declineOrder"],
              "ACCEPTED": ["startOrder"] * 3 + ["cancelOrderByStaff"],
              "IN_PROGRESS": ["completeOrder"], "COMPLETED": ["confirmOrder"]}
ANY_ORDER_STEP = ["dispatchOrder", "acceptOrder", "declineOrder", "startOrder", "completeOrder", "confirmOrder",
                  "cancelOrder", "cancelOrderByStaff"]
AREAS = ["claims", "bookings", "orders", "polls"]
# The kinds of move of each area, repeated for weight.
KINDS = {"claims": ["claim", "claim", "next", "next", "next", "withdraw", "report", "verify", "cancelProject"],
         "bookings": ["request", "request", "approve", "approve", "reject", "cancel", "quantity"],
         "orders": ["place", "next", "next", "next", "next", "any"],
         "polls": ["vote", "vote", "housemates", "housemates", "close", "new"]}
ORDER_STEPS = {name: mutation(name, "order { id status }") for name in (
    "placeOrder", "dispatchOrder", "acceptOrder", "declineOrder", "startOrder", "completeOrder", "confirmOrder",
    "cancelOrder")}
CREATE_POLL = mutation("createPoll", "poll { id options { id } }")
OPEN_POLL = mutation("openPoll", "poll { status }")
CLOSE_POLL = mutation("closePoll", "poll { status }")
VOTE = mutation("castVote", "poll { viewerHasVoted }")


@pytest.fixture
def settings() -> Settings:
    """The test app without the per-address and per-user request rates: the machine's staff act many times a
    second (jinlin.rate_limit would answer 429 RATE_LIMITED, an answer no step here expects)."""
    names = {f.name for f in dataclasses.fields(Settings)}
    return make_settings(**{name: None for name in ("rate_ip", "rate_user") if name in names})


@dataclass
class World:
    """The demo world, the people made for the test, and what the machines have seen (shared by all runs, since
    the database is: every run adds to it and the invariants hold over all of it)."""

    api: Api
    loop: asyncio.AbstractEventLoop
    ids: dict[str, str] = field(default_factory=dict)  # names -> global ids
    seen_events: dict[int, list[tuple]] = field(default_factory=dict)
    outcomes: Counter = field(default_factory=Counter)
    races: int = 0

    def run(self, coro: Awaitable[Any]) -> Any:
        """Run a coroutine on the test's event loop, from the machine's thread."""
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout=120)  # type: ignore[arg-type]


async def build_world(api: Api, loop: asyncio.AbstractEventLoop) -> World:
    """The people of the test: four party members registered at 观远里, a housemate of 林居民 in the first household
    of 观远里小区 and two neighbours in the next two."""
    world = World(api=api, loop=loop)
    branch = await OrgRow.get(name=BRANCH)
    for phone in MEMBERS:
        user = await UserRow.create(phone=phone, display_name=f"状态机党员{phone[-2:]}", password_hash="x")
        await registration_model.register(user_id=user.id, branch_id=branch.id, member_type=MemberType.RETIRED,
                                          work_unit=None)
        api.users[phone] = user.id
    homes = await HouseholdRow.filter(compound__name=COMPOUND).order_by("id").limit(3)
    for phone, home in [(HOUSEMATE, homes[0]), (NEIGHBOUR_2, homes[1]), (NEIGHBOUR_3, homes[2])]:
        user = await UserRow.create(phone=phone, display_name=f"状态机居民{phone[-2:]}", password_hash="x")
        assert await household_model.add_member(household_id=home.id, user_id=user.id)
        api.users[phone] = user.id
    resident_homes = await HouseholdMemberRow.filter(user_id=api.users[RESIDENT]).values_list("household_id",
                                                                                                flat=True)
    assert resident_homes == [homes[0].id]  # 林居民 lives in one household: the housemate's
    world.ids.update(community=gid("Org", (await OrgRow.get(name=COMMUNITY)).id), branch=gid("Org", branch.id),
                     team=gid("Org", (await OrgRow.get(name=TEAM)).id),
                     compound=gid("Compound", homes[0].compound_id))
    return world


# --- the invariants, read from the database ------------------------------------------------------------------------


async def check_invariants(world: World) -> None:
    # Capacity: the counter is the live claims (and the claims holding the active key), never above capacity.
    for row in await db.fetch(
            "SELECT p.id, p.claimed_count, p.capacity, "
            "(SELECT COUNT(*) FROM claim c WHERE c.project_id = p.id AND c.status IN ('ACTIVE', 'DONE', 'VERIFIED')) "
            "AS live, (SELECT COUNT(*) FROM claim c WHERE c.project_id = p.id AND c.active_key IS NOT NULL) AS keyed "
            "FROM project p"):
        assert row["claimed_count"] == row["live"] == row["keyed"], row
        assert 0 <= row["claimed_count"] <= row["capacity"], row
    # No overbooking: the approved use peaks at some approved booking's start; it never exceeds the quantity.
    quantities = dict(await ResourceRow.all().values_list("id", "quantity"))
    approved: dict[int, list[BookingRow]] = {}
    for booking in await BookingRow.filter(status=BookingStatus.APPROVED):
        approved.setdefault(booking.resource_id, []).append(booking)
    now = datetime.now(timezone.utc)
    for resource_id, bookings in approved.items():
        for booking in bookings:
            if booking.ends_at <= now:
                continue  # the past may have used more (the quantity can be lowered once it is over)
            at = booking.starts_at
            use = sum(b.quantity for b in bookings if b.starts_at <= at < b.ends_at)
            assert use <= quantities[resource_id], (resource_id, at, use, quantities[resource_id])
    # One vote per household, by someone living there, in a poll that was opened.
    votes = await VoteRow.all()
    per_household = Counter((v.poll_id, v.household_id) for v in votes)
    assert all(n == 1 for n in per_household.values()), per_household.most_common(3)
    living = set(await HouseholdMemberRow.all().values_list("household_id", "user_id"))
    statuses = dict(await PollRow.all().values_list("id", "status"))
    for vote in votes:
        assert vote.user_id is None or (vote.household_id, vote.user_id) in living, vote.id  # (the demo's: None)
        assert statuses[vote.poll_id] is not PollStatus.DRAFT, vote.poll_id
    # Order history: append-only, legal, and the order where its last event left it.
    history: dict[int, list[tuple]] = {}
    for e in await EventRow.all().order_by("id"):
        history.setdefault(e.order_id, []).append((e.id, e.action, e.status, e.actor_id, e.provider_id, e.price_fen,
                                                   e.note, e.at))
    for order_id, before in world.seen_events.items():
        assert history.get(order_id, [])[:len(before)] == before, f"order {order_id}: an event was changed or removed"
    world.seen_events = history
    for order in await OrderRow.all():
        status = provider = None
        for _, action, to, _, event_provider, _, _, _ in history[order.id]:
            sources, target = LEGAL_STEPS[action]
            assert status in sources and to is target, (order.id, status, action, to)
            status = to
            if action in (OrderAction.DISPATCHED, OrderAction.DECLINED):
                provider = event_provider if action is OrderAction.DISPATCHED else None
        assert status is order.status, (order.id, status, order.status)
        assert order.provider_id == provider, (order.id, order.provider_id, provider)


# --- steps -----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Step:
    """One API call as someone (it checks its own answer), shown by its label when hypothesis reports a run."""

    label: str
    call: Callable[[], Awaitable[None]] = field(repr=False, compare=False)

    def __repr__(self) -> str:
        return self.label


class Machine(RuleBasedStateMachine):
    world: World  # set on the subclass the test makes

    def __init__(self) -> None:
        super().__init__()
        self.projects: list[str] = []
        self.claims: list[tuple[str, str]] = []  # (claim id, claimant phone)
        self.status: dict[str, str] = {}  # claim or order id -> its status as last answered (for the next step)
        self.resource = ""  # this run's shared room (quantity 2 to start with)
        self.bookings: list[str] = []
        self.orders: list[str] = []
        self.polls: list[tuple[str, list[str]]] = []  # (poll id, option ids)

    # -- plumbing --

    async def send(self, label: str, document: str, variables: dict, phone: str, allowed: set[str],
                   top_level: frozenset[str] = frozenset()) -> dict | None:
        """Post as `phone`; the payload (None after an allowed top-level refusal). Anything else fails the run."""
        response = await self.world.api.post(document, {"input": variables}, as_=phone)
        assert response.status_code == 200, (label, response.status_code, response.text)
        body = response.json()
        name = next(iter(body.get("data") or {}), None)
        if "errors" in body:
            codes = {(e.get("extensions") or {}).get("code") for e in body["errors"]}
            assert codes <= top_level, (label, variables, body)
            self.world.outcomes[f"{label.split('(')[0]} {'+'.join(sorted(map(str, codes)))}"] += 1
            return None
        payload = body["data"][name]
        codes = {e["code"] for e in payload["errors"]} or {"OK"}
        assert codes <= allowed, (label, variables, payload)
        for kind in ("claim", "order"):
            if isinstance(payload.get(kind), dict) and "status" in payload[kind]:
                self.status[variables.get(f"{kind}Id") or payload[kind]["id"]] = payload[kind]["status"]
        self.world.outcomes[f"{label.split('(')[0]} {'+'.join(sorted(codes))}"] += 1
        return payload if not payload["errors"] else None

    def do(self, *steps: Step) -> None:
        async def together() -> None:
            await asyncio.gather(*(step.call() for step in steps))

        if len(steps) > 1:
            self.world.races += 1
        self.world.run(together())

    # -- claims --

    def claim(self, phone: str, project: str) -> Step:
        async def call() -> None:
            payload = await self.send("claim", CLAIM, {"projectId": project}, phone,
                                      {"OK", "CAPACITY_FULL", "ALREADY_CLAIMED", "INVALID_STATE"})
            if payload is not None:
                self.claims.append((payload["claim"]["id"], phone))
        return Step(f"claim({phone[-2:]}, {project})", call)

    def withdraw(self, claim: tuple[str, str]) -> Step:
        return Step(f"withdraw({claim[0]})", lambda: self.send(
            "withdraw", WITHDRAW, {"claimId": claim[0]}, claim[1], {"OK", "INVALID_STATE"}))

    def report(self, claim: tuple[str, str], hours: float) -> Step:
        return Step(f"report({claim[0]}, {hours})", lambda: self.send(
            "report", REPORT, {"claimId": claim[0], "hours": hours}, claim[1], {"OK", "INVALID_STATE"}))

    def verify(self, claim: tuple[str, str], approved: bool) -> Step:
        return Step(f"verify({claim[0]}, {approved})", lambda: self.send(
            "verify", VERIFY, {"claimId": claim[0], "approved": approved}, BRANCH_ADMIN, {"OK", "INVALID_STATE"}))

    def cancel_project(self, project: str) -> Step:
        return Step(f"cancelProject({project})", lambda: self.send(
            "cancelProject", CANCEL_PROJECT, {"projectId": project}, BRANCH_ADMIN, {"OK", "INVALID_STATE"}))

    # -- bookings --

    def request(self, slot: tuple[int, int], quantity: int) -> Step:
        async def call() -> None:
            starts, ends = (BASE + timedelta(hours=h) for h in slot)
            payload = await self.send("request", REQUEST, {
                "resourceId": self.resource, "forOrgId": self.world.ids["branch"],
                "startsAt": starts.isoformat(), "endsAt": ends.isoformat(), "quantity": quantity},
                BRANCH_ADMIN, {"OK", "INVALID"})  # INVALID: more than the resource's quantity now
            if payload is not None:
                self.bookings.append(payload["booking"]["id"])
        return Step(f"request({slot}, {quantity})", call)

    def approve(self, booking: str) -> Step:
        return Step(f"approve({booking})", lambda: self.send(
            "approve", APPROVE, {"bookingId": booking}, COMMUNITY_ADMIN, {"OK", "CONFLICT", "INVALID_STATE"}))

    def reject(self, booking: str) -> Step:
        return Step(f"reject({booking})", lambda: self.send(
            "reject", REJECT, {"bookingId": booking}, COMMUNITY_ADMIN, {"OK", "INVALID_STATE"}))

    def cancel_booking(self, booking: str, by_owner: bool) -> Step:
        return Step(f"cancelBooking({booking}, {'owner' if by_owner else 'requester'})", lambda: self.send(
            "cancelBooking", CANCEL_BOOKING, {"bookingId": booking}, COMMUNITY_ADMIN if by_owner else BRANCH_ADMIN,
            {"OK", "INVALID_STATE"}))

    def set_quantity(self, quantity: int) -> Step:
        return Step(f"setQuantity({quantity})", lambda: self.send(
            "setQuantity", UPDATE_RESOURCE, {"resourceId": self.resource, "quantity": quantity},
            COMMUNITY_ADMIN, {"OK", "CONFLICT"}))

    # -- orders --

    def place(self) -> Step:
        async def call() -> None:
            payload = await self.send("place", ORDER_STEPS["placeOrder"], {
                "compoundId": self.world.ids["compound"], "category": "REPAIR", "description": "状态机：水管漏水"},
                RESIDENT, {"OK"})
            assert payload is not None
            self.orders.append(payload["order"]["id"])
        return Step("place()", call)

    def order_step(self, name: str, order: str) -> Step:
        """A transition by whoever takes it: the community's staff dispatch (and cancel with a reason), the team's
        steward serves, the resident confirms (and cancels before acceptance). The steward meets FORBIDDEN or
        NOT_FOUND on an order that is not (or no longer) with the team."""
        extra: dict[str, object] = {}
        phone, top_level = RESIDENT, frozenset()
        allowed = {"OK", "INVALID_STATE"}
        if name == "dispatchOrder":
            phone, extra = COMMUNITY_ADMIN, {"providerOrgId": self.world.ids["team"], "priceFen": 3000}
        elif name in ("acceptOrder", "declineOrder", "startOrder", "completeOrder"):
            phone, top_level, allowed = STEWARD, frozenset({"FORBIDDEN"}), allowed | {"NOT_FOUND"}
            if name == "declineOrder":
                extra = {"reason": "人手不足"}
        elif name == "confirmOrder":
            extra = {"rating": 5}
        elif name == "cancelOrderByStaff":
            name, phone, extra = "cancelOrder", COMMUNITY_ADMIN, {"reason": "居民电话撤单"}
        return Step(f"{name}({order}{', staff' if phone == COMMUNITY_ADMIN and name == 'cancelOrder' else ''})",
                    lambda: self.send(name, ORDER_STEPS[name], {"orderId": order, **extra}, phone, allowed, top_level))

    # -- polls --

    def new_poll(self) -> Step:
        async def call() -> None:
            payload = await self.send("createPoll", CREATE_POLL, {
                "compoundId": self.world.ids["compound"], "title": "状态机投票", "options": ["甲", "乙", "丙"]},
                BRANCH_ADMIN, {"OK"})
            assert payload is not None
            poll = payload["poll"]
            assert await self.send("openPoll", OPEN_POLL, {"pollId": poll["id"]}, BRANCH_ADMIN, {"OK"}) is not None
            self.polls.append((poll["id"], [o["id"] for o in poll["options"]]))
        return Step("newPoll()", call)

    def vote(self, phone: str, poll: tuple[str, list[str]], option: int) -> Step:
        return Step(f"vote({phone[-2:]}, {poll[0]}, {option})", lambda: self.send(
            "vote", VOTE, {"pollId": poll[0], "optionId": poll[1][option]}, phone,
            {"OK", "DUPLICATE", "INVALID_STATE"}))

    def close_poll(self, poll: tuple[str, list[str]]) -> Step:
        return Step(f"closePoll({poll[0]})", lambda: self.send(
            "closePoll", CLOSE_POLL, {"pollId": poll[0]}, BRANCH_ADMIN, {"OK", "INVALID_STATE"}))

    # -- what may happen next, by area (few objects each, so two steps of one area often meet) --
    #
    # A move is drawn as plain numbers (a kind of step, an index, a parameter) and only turned into a step against
    # the machine's objects when it runs: the draws never depend on what the server answered, which hypothesis
    # needs (the world, shared by all runs, answers a replay differently).

    def resolve(self, area: str, kind: str, i: int, x: int) -> Step:
        """The step a drawn move means now: `next` is the next step in the life of one of the latest claims or
        orders; kinds that need an object fall back to making one while there is none."""
        if area == "claims":
            ahead = [(step, c) for c in self.claims[-4:] for step in NEXT_CLAIM.get(self.status.get(c[0], ""), [])]
            if kind == "next" and ahead:
                kind, claim = ahead[i % len(ahead)]
            elif self.claims:
                claim = self.claims[-1 - i % min(len(self.claims), 4)]
            if kind == "cancelProject" and len(self.claims) > 3:
                return self.cancel_project(self.projects[i % len(self.projects)])
            if kind in ("withdraw", "report", "verify") and self.claims:
                return {"withdraw": lambda: self.withdraw(claim),
                        "report": lambda: self.report(claim, [0.5, 2.0, 8.0][x % 3]),
                        "verify": lambda: self.verify(claim, x % 2 == 0)}[kind]()
            return self.claim(MEMBERS[x % len(MEMBERS)], self.projects[i % len(self.projects)])
        if area == "bookings":
            if kind == "quantity":
                return self.set_quantity(1 + x % 3)
            if kind != "request" and self.bookings:
                booking = self.bookings[-1 - i % min(len(self.bookings), 4)]
                if kind == "approve":
                    return self.approve(booking)
                return self.reject(booking) if kind == "reject" else self.cancel_booking(booking, x % 2 == 0)
            return self.request(SLOTS[x % len(SLOTS)], 1 + i % 2)
        if area == "orders":
            live = [o for o in self.orders if self.status.get(o) not in ("CONFIRMED", "CANCELLED")]
            ahead = [(name, o) for o in self.orders[-3:] for name in NEXT_ORDER.get(self.status.get(o, ""), [])]
            if kind == "place" and len(live) < 2 or not self.orders:
                return self.place()
            if kind == "any" or not ahead:
                return self.order_step(ANY_ORDER_STEP[x % len(ANY_ORDER_STEP)], self.orders[-1 - i % min(
                    len(self.orders), 3)])
            return self.order_step(*ahead[i % len(ahead)])
        if kind == "new" and len(self.polls) < 3 or not self.polls:
            return self.new_poll()
        poll = self.polls[-1 - i % min(len(self.polls), 2)]
        if kind == "close":
            return self.close_poll(poll)
        voters = VOTERS[:2] if kind == "housemates" else VOTERS  # two people of one household
        return self.vote(voters[i % len(voters)], poll, x % 3)

    def moves(self, area: str) -> st.SearchStrategy[Step]:
        return st.tuples(st.sampled_from(KINDS[area]), st.integers(0, 7), st.integers(0, 11)).map(
            lambda move: self.resolve(area, *move))

    # -- rules --

    @initialize(capacities=st.lists(st.integers(1, 3), min_size=2, max_size=2))
    def setup(self, capacities: list[int]) -> None:
        """Two OPEN members-only projects of 观远里 with few places, a room of 莲花北社区 (quantity 2) its branch may
        book, and an open poll of 观远里小区."""
        async def make() -> None:
            payload = await self.send("createResource", CREATE_RESOURCE, {
                "ownerOrgId": self.world.ids["community"], "name": "状态机会议室", "kind": "VENUE", "quantity": 2,
                "shareScope": "SUBTREE"}, COMMUNITY_ADMIN, {"OK"})
            assert payload is not None
            self.resource = payload["resource"]["id"]
            branch = await OrgRow.get(name=BRANCH)
            admin = self.world.api.users[BRANCH_ADMIN]
            for capacity in capacities:
                project = await project_model.create(
                    org_id=branch.id, created_by=admin, title="状态机项目", description="",
                    category=ProjectCategory.OTHER, capacity=capacity, claimant_kinds=["MEMBER"], starts_at=None,
                    ends_at=None, location=None, compound_id=None)
                assert await project_model.transition(project_id=project.id, to=ProjectStatus.OPEN,
                                                      allowed_from=(ProjectStatus.DRAFT,))
                self.projects.append(gid("Project", project.id))
            await self.new_poll().call()
        self.world.run(make())

    @rule(area=st.sampled_from(AREAS), data=st.data())
    def one(self, area: str, data: st.DataObject) -> None:
        self.do(data.draw(self.moves(area), label="step"))

    @rule(area=st.sampled_from(AREAS), data=st.data())
    def two_at_once(self, area: str, data: st.DataObject) -> None:
        first = data.draw(self.moves(area), label="first")
        second = data.draw(self.moves(area), label="second")
        self.do(first, second)

    @invariant()
    def holds(self) -> None:
        self.world.run(check_invariants(self.world))


async def test_random_interleavings_keep_the_invariants(demo: Api) -> None:
    world = await build_world(demo, asyncio.get_running_loop())
    await check_invariants(world)
    machine = type("BoundMachine", (Machine,), {"world": world})
    started = time.monotonic()
    await asyncio.to_thread(run_state_machine_as_test, machine, settings=hypothesis.settings(
        max_examples=MAX_EXAMPLES, stateful_step_count=STEPS, derandomize=True, database=None, deadline=None,
        suppress_health_check=list(HealthCheck)))
    elapsed = time.monotonic() - started
    steps = sum(world.outcomes.values())
    print(f"\nstate machine: {steps} calls ({world.races} races) in {elapsed:.1f} s: "
          f"{dict(sorted(world.outcomes.items()))}")
    # The runs reached the interesting answers, not only refusals.
    seen = {key for key, n in world.outcomes.items() if n}
    for expected in ("claim OK", "claim CAPACITY_FULL", "verify OK", "approve OK", "approve CONFLICT", "vote OK",
                     "vote DUPLICATE", "confirmOrder OK"):
        assert expected in seen, (expected, dict(sorted(world.outcomes.items())))
