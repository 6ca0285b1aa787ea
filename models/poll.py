"""Household votes (电子投票): polls of a compound's households, e.g. owners choosing a property company.

One vote per household is a unique constraint; casting is one conditional INSERT ... SELECT that also checks the
poll is open and the voter lives in a household of the compound, so racing members of a household get one vote.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from enum import Enum

from tortoise import fields
from tortoise.models import Model
from tortoise.transactions import in_transaction

from jinlin import db
from models.compound import Compound
from models.household import Household
from models.user import User


class PollStatus(str, Enum):
    """DRAFT -> OPEN -> CLOSED."""

    DRAFT = "DRAFT"
    OPEN = "OPEN"
    CLOSED = "CLOSED"


class PollRule(str, Enum):
    """How a winner is decided among the households that voted."""

    SIMPLE_MAJORITY = "SIMPLE_MAJORITY"
    DOUBLE_MAJORITY = "DOUBLE_MAJORITY"


class Poll(Model):
    """A vote of a compound's households."""

    id = fields.IntField(primary_key=True)
    compound: fields.ForeignKeyRelation[Compound] = fields.ForeignKeyField(
        "jinlin.Compound", related_name=False, on_delete=fields.CASCADE
    )
    title = fields.CharField(max_length=100)
    description = fields.TextField(default="")
    status = fields.CharEnumField(PollStatus, max_length=8, default=PollStatus.DRAFT)
    rule = fields.CharEnumField(PollRule, max_length=16, default=PollRule.SIMPLE_MAJORITY)
    quorum_percent = fields.IntField(default=50)
    opens_at = fields.DatetimeField(null=True)
    closes_at = fields.DatetimeField(null=True)
    created_by: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "jinlin.User", related_name=False, null=True, on_delete=fields.SET_NULL
    )
    created_at = fields.DatetimeField(auto_now_add=True)
    opened_at = fields.DatetimeField(null=True)
    closed_at = fields.DatetimeField(null=True)

    class Meta:
        table = "poll"
        indexes = (("compound_id", "status", "id"),)


class PollOption(Model):
    """One choice of a poll, in the order given."""

    id = fields.IntField(primary_key=True)
    poll: fields.ForeignKeyRelation[Poll] = fields.ForeignKeyField(
        "jinlin.Poll", related_name=False, on_delete=fields.CASCADE
    )
    label = fields.CharField(max_length=100)
    position = fields.IntField()

    class Meta:
        table = "poll_option"
        unique_together = (("poll_id", "position"),)


class Vote(Model):
    """A household's vote, cast by one of its residents, with the household's area as it was then."""

    id = fields.IntField(primary_key=True)
    poll: fields.ForeignKeyRelation[Poll] = fields.ForeignKeyField(
        "jinlin.Poll", related_name=False, on_delete=fields.CASCADE
    )
    option: fields.ForeignKeyRelation[PollOption] = fields.ForeignKeyField(
        "jinlin.PollOption", related_name=False, on_delete=fields.CASCADE
    )
    household: fields.ForeignKeyRelation[Household] = fields.ForeignKeyField(
        "jinlin.Household", related_name=False, on_delete=fields.CASCADE
    )
    user: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "jinlin.User", related_name=False, null=True, on_delete=fields.SET_NULL
    )
    area_sqm = fields.FloatField()
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "vote"
        unique_together = (("poll_id", "household_id"),)
        indexes = (("option_id",),)


@dataclass
class Tally:
    """A poll's count: eligible households, who voted, and per option households and area."""

    eligible_households: int = 0
    voted_households: int = 0
    voted_area: float = 0.0
    options: dict[int, tuple[int, float]] = field(default_factory=dict)


def quorum_met(*, tally: Tally, quorum_percent: int) -> bool:
    """Enough households voted: voted / eligible reaches the quorum percentage (never with no households)."""
    return tally.eligible_households > 0 and tally.voted_households * 100 >= quorum_percent * tally.eligible_households


def centi_sqm(area: float) -> int:
    """An area in whole hundredths of a square metre, the unit areas are recorded in: summed as floats, decimal areas
    come out a hair off (0.01 + 0.01 + 0.45 = 0.47000000000000003), which must not break an exact tie."""
    return round(area * 100)


def winner(*, tally: Tally, rule: PollRule, quorum_percent: int) -> int | None:
    """The option holding more than half of the voting households (and, for DOUBLE_MAJORITY, more than half of
    their floor area, compared in 0.01 m²), when the quorum is met; None otherwise (no majority, or a tie)."""
    if not quorum_met(tally=tally, quorum_percent=quorum_percent):
        return None
    for option_id, (households, area) in tally.options.items():
        if households * 2 <= tally.voted_households:
            continue
        if rule is PollRule.DOUBLE_MAJORITY and centi_sqm(area) * 2 <= centi_sqm(tally.voted_area):
            continue
        return option_id
    return None


def is_open(poll: Poll, now: datetime | None = None) -> bool:
    """OPEN and within its voting window."""
    now = now or datetime.now(timezone.utc)
    return (poll.status is PollStatus.OPEN and (poll.opens_at is None or poll.opens_at <= now)
            and (poll.closes_at is None or now < poll.closes_at))


def is_over(poll: Poll, now: datetime | None = None) -> bool:
    """CLOSED, or OPEN past its closing time (results are then final)."""
    now = now or datetime.now(timezone.utc)
    return poll.status is PollStatus.CLOSED or (poll.status is PollStatus.OPEN and poll.closes_at is not None
                                                and poll.closes_at <= now)


def visible_sql(*, user_id: int | None, managed_org_ids: list[int], alias: str = "p") -> tuple[str, list]:
    """SQL predicate: residents of the poll's compound once it is opened (drafts are the staff's), and managers of
    its branch (or community) and above."""
    managed, params = db.in_list(managed_org_ids)
    sql = (f"(({alias}.status <> 'DRAFT' AND EXISTS (SELECT 1 FROM household_member vm JOIN household vh "
           f"ON vh.id = vm.household_id WHERE vm.user_id = ? AND vh.compound_id = {alias}.compound_id)) "
           f"OR EXISTS (SELECT 1 FROM compound vc JOIN org_closure vo "
           f"ON vo.descendant_id = COALESCE(vc.branch_id, vc.community_id) "
           f"WHERE vc.id = {alias}.compound_id AND vo.ancestor_id IN {managed}))")
    return sql, [user_id if user_id is not None else -1, *params]


async def get(*, poll_id: int) -> Poll | None:
    """One poll by primary key."""
    return await Poll.get_or_none(id=poll_id)


async def get_many(*, poll_ids: list[int]) -> dict[int, Poll]:
    """Polls by primary key, one statement."""
    return {p.id: p for p in await Poll.filter(id__in=poll_ids)}


async def visible_ids(*, user_id: int | None, managed_org_ids: list[int], poll_ids: list[int]) -> set[int]:
    """Which of these polls the viewer may see, one statement."""
    where, params = visible_sql(user_id=user_id, managed_org_ids=managed_org_ids)
    rows = await db.fetch(f"SELECT p.id FROM poll p WHERE p.id IN ({db.placeholders(poll_ids)}) AND {where}",
                          [*poll_ids, *params])
    return {row["id"] for row in rows}


def _filter_sql(*, user_id: int | None, managed_org_ids: list[int], compound_id: int | None,
                status: PollStatus | None) -> tuple[str, list]:
    where, params = visible_sql(user_id=user_id, managed_org_ids=managed_org_ids)
    if compound_id is not None:
        where += " AND p.compound_id = ?"
        params.append(compound_id)
    # The status as `Poll.status` shows it: an OPEN poll past its closing time is over, i.e. CLOSED.
    now = db.utc(datetime.now(timezone.utc))
    if status is PollStatus.OPEN:
        where += " AND p.status = 'OPEN' AND (p.closes_at IS NULL OR p.closes_at > ?)"
        params.append(now)
    elif status is PollStatus.CLOSED:
        where += " AND (p.status = 'CLOSED' OR (p.status = 'OPEN' AND p.closes_at <= ?))"
        params.append(now)
    elif status is not None:
        where += " AND p.status = ?"
        params.append(status.value)
    return where, params


async def page(*, user_id: int | None, managed_org_ids: list[int], compound_id: int | None,
               status: PollStatus | None, first: int, after: int | None) -> list[Poll]:
    """Polls the viewer may see, newest first (`first + 1` rows)."""
    where, params = _filter_sql(user_id=user_id, managed_org_ids=managed_org_ids, compound_id=compound_id,
                                status=status)
    return await db.fetch_models(Poll, f"SELECT p.* FROM poll p WHERE {where} AND p.id < ? ORDER BY p.id DESC "
                                 "LIMIT ?", [*params, after if after is not None else db.MAX_KEY, first + 1])


async def count(*, user_id: int | None, managed_org_ids: list[int], compound_id: int | None,
                status: PollStatus | None) -> int:
    """How many polls the filter finds for the viewer."""
    where, params = _filter_sql(user_id=user_id, managed_org_ids=managed_org_ids, compound_id=compound_id,
                                status=status)
    rows = await db.fetch(f"SELECT COUNT(*) AS n FROM poll p WHERE {where}", params)
    return int(rows[0]["n"])


async def create(*, compound_id: int, title: str, description: str, options: list[str], opens_at: datetime | None,
                 closes_at: datetime | None, quorum_percent: int, rule: PollRule, created_by: int) -> Poll:
    """A DRAFT poll and its options, in one transaction."""
    async with in_transaction():
        poll = await Poll.create(compound_id=compound_id, title=title, description=description, opens_at=opens_at,
                                 closes_at=closes_at, quorum_percent=quorum_percent, rule=rule,
                                 created_by_id=created_by)
        await PollOption.bulk_create([PollOption(poll_id=poll.id, label=label, position=i)
                                      for i, label in enumerate(options)])
    return poll


async def transition(*, poll_id: int, to: PollStatus, expected: PollStatus) -> bool:
    """DRAFT -> OPEN or OPEN -> CLOSED as one conditional UPDATE; False when the poll was not in `expected`."""
    now = datetime.now(timezone.utc)
    stamp = {"opened_at": now} if to is PollStatus.OPEN else {"closed_at": now}
    return await Poll.filter(id=poll_id, status=expected).update(status=to, **stamp) == 1


async def options_of(*, poll_ids: list[int]) -> dict[int, list[PollOption]]:
    """Each poll's options in order, one statement."""
    out: dict[int, list[PollOption]] = {pid: [] for pid in poll_ids}
    for row in await PollOption.filter(poll_id__in=poll_ids).order_by("poll_id", "position"):
        out[row.poll_id].append(row)
    return out


async def tallies(*, poll_ids: list[int]) -> dict[int, Tally]:
    """Each poll's count in two statements: eligible households of its compound (once voting has ended, those
    registered by then, so that a final result stays final), and votes per option."""
    marks = db.placeholders(poll_ids)
    out = {pid: Tally() for pid in poll_ids}
    eligible = await db.fetch(
        f"SELECT p.id AS poll_id, COUNT(h.id) AS n FROM poll p LEFT JOIN household h ON h.compound_id = p.compound_id "
        f"AND (p.closed_at IS NULL OR h.created_at <= p.closed_at) "
        f"AND (p.closes_at IS NULL OR h.created_at <= p.closes_at) "
        f"WHERE p.id IN ({marks}) GROUP BY p.id", poll_ids)
    for row in eligible:
        out[row["poll_id"]].eligible_households = int(row["n"])
    votes = await db.fetch(
        f"SELECT o.poll_id AS poll_id, o.id AS option_id, COUNT(v.id) AS n, COALESCE(SUM(v.area_sqm), 0) AS area "
        f"FROM poll_option o LEFT JOIN vote v ON v.option_id = o.id WHERE o.poll_id IN ({marks}) "
        "GROUP BY o.poll_id, o.id, o.position ORDER BY o.poll_id, o.position", poll_ids)
    for row in votes:
        tally = out[row["poll_id"]]
        households, area = int(row["n"]), float(row["area"])
        tally.options[row["option_id"]] = (households, area)
        tally.voted_households += households
        tally.voted_area += area
    return out


async def voted_by(*, user_id: int, poll_ids: list[int]) -> set[int]:
    """Polls in which a household of the user has voted (whoever of it cast the vote), one statement."""
    rows = await db.fetch(
        f"SELECT DISTINCT v.poll_id AS poll_id FROM vote v JOIN household_member m ON m.household_id = v.household_id "
        f"WHERE m.user_id = ? AND v.poll_id IN ({db.placeholders(poll_ids)})", [user_id, *poll_ids])
    return {row["poll_id"] for row in rows}


async def cast(*, poll_id: int, option_id: int, household_id: int, user_id: int) -> bool:
    """Cast a household's vote in one INSERT ... SELECT that checks the poll is open, the option belongs to it, the
    household is in its compound and the voter lives there; False when nothing was inserted (already voted, or one
    of those checks failed: the caller tells which)."""
    now = db.utc(datetime.now(timezone.utc))
    # On PostgreSQL the poll row is share-locked: a vote racing closePoll waits for it and then sees it CLOSED, so
    # no vote lands after the close (SQLite's write lock already serialises them).
    lock = " FOR SHARE OF p" if db.is_postgres() else ""
    rows = await db.fetch(
        "INSERT INTO vote (poll_id, option_id, household_id, user_id, area_sqm, created_at) "
        "SELECT p.id, o.id, h.id, m.user_id, h.area_sqm, ? FROM poll p "
        "JOIN poll_option o ON o.poll_id = p.id JOIN household h ON h.compound_id = p.compound_id "
        "JOIN household_member m ON m.household_id = h.id "
        "WHERE p.id = ? AND o.id = ? AND h.id = ? AND m.user_id = ? AND p.status = 'OPEN' "
        f"AND (p.opens_at IS NULL OR p.opens_at <= ?) AND (p.closes_at IS NULL OR p.closes_at > ?){lock} "
        "ON CONFLICT (poll_id, household_id) DO NOTHING RETURNING id",
        [now, poll_id, option_id, household_id, user_id, now, now])
    return bool(rows)


async def has_voted(*, poll_id: int, household_id: int) -> bool:
    """Whether a household has already voted in a poll."""
    return await Vote.exists(poll_id=poll_id, household_id=household_id)
