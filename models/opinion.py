"""Opinions (听邻说事 → 让邻事办): what residents say, from the app, home visits, meetings or the hotline, and the
answers they get. Replies are appended, never edited; the first reply's time feeds the response statistics.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from enum import Enum

from tortoise import fields
from tortoise.models import Model
from tortoise.transactions import in_transaction

from jinlin import db
from models import photo as photo_model
from models.compound import Compound
from models.enums import ProjectCategory
from models.org import Org
from models.user import User


class OpinionStatus(str, Enum):
    """OPEN -> ASSIGNED -> REPLIED -> CLOSED (a reply may come before any assignment, and a replied one may be
    handed on and stays REPLIED)."""

    OPEN = "OPEN"
    ASSIGNED = "ASSIGNED"
    REPLIED = "REPLIED"
    CLOSED = "CLOSED"


class OpinionChannel(str, Enum):
    """Where an opinion was heard."""

    APP = "APP"
    HOME_VISIT = "HOME_VISIT"
    MEETING = "MEETING"
    HOTLINE = "HOTLINE"


class Opinion(Model):
    """An opinion or need, owned by an org (the compound's community, or the org that heard it)."""

    id = fields.IntField(primary_key=True)
    text = fields.TextField()
    category = fields.CharEnumField(ProjectCategory, max_length=24, null=True)
    compound: fields.ForeignKeyNullableRelation[Compound] = fields.ForeignKeyField(
        "jinlin.Compound", related_name=False, null=True, on_delete=fields.SET_NULL
    )
    org: fields.ForeignKeyRelation[Org] = fields.ForeignKeyField(
        "jinlin.Org", related_name=False, on_delete=fields.RESTRICT
    )
    channel = fields.CharEnumField(OpinionChannel, max_length=16)
    anonymous = fields.BooleanField(default=False)
    author: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "jinlin.User", related_name=False, null=True, on_delete=fields.SET_NULL
    )
    contact_phone = fields.CharField(max_length=20, null=True)
    recorded_by: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "jinlin.User", related_name=False, null=True, on_delete=fields.SET_NULL
    )
    status = fields.CharEnumField(OpinionStatus, max_length=16, default=OpinionStatus.OPEN)
    assignee: fields.ForeignKeyNullableRelation[Org] = fields.ForeignKeyField(
        "jinlin.Org", related_name=False, null=True, on_delete=fields.SET_NULL
    )
    created_at = fields.DatetimeField(auto_now_add=True)
    first_reply_at = fields.DatetimeField(null=True)
    closed_at = fields.DatetimeField(null=True)

    class Meta:
        table = "opinion"
        indexes = (("org_id", "id"), ("author_id", "id"), ("assignee_id", "id"))


class OpinionReply(Model):
    """An answer to an opinion, on behalf of an org."""

    id = fields.IntField(primary_key=True)
    opinion: fields.ForeignKeyRelation[Opinion] = fields.ForeignKeyField(
        "jinlin.Opinion", related_name=False, on_delete=fields.CASCADE
    )
    org: fields.ForeignKeyRelation[Org] = fields.ForeignKeyField(
        "jinlin.Org", related_name=False, on_delete=fields.RESTRICT
    )
    author: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "jinlin.User", related_name=False, null=True, on_delete=fields.SET_NULL
    )
    text = fields.TextField()
    created_at = fields.DatetimeField()

    class Meta:
        table = "opinion_reply"
        indexes = (("opinion_id", "id"),)


@dataclass(frozen=True)
class OpinionStats:
    """How an org's subtree answers residents."""

    received: int = 0
    replied: int = 0
    median_hours_to_first_reply: float | None = None

    @property
    def replied_rate(self) -> float:
        """Replied / received, 0..1 (0 with none received)."""
        return self.replied / self.received if self.received else 0.0


def visible_sql(*, user_id: int | None, managed_org_ids: list[int], alias: str = "op") -> tuple[str, list]:
    """SQL predicate: the author, and managers of the owning org, of the assignee or of the compound's branch (or
    above them)."""
    managed, params = db.in_list(managed_org_ids)
    sql = (f"({alias}.author_id = ? OR EXISTS (SELECT 1 FROM org_closure vc WHERE vc.ancestor_id IN {managed} "
           f"AND (vc.descendant_id = {alias}.org_id OR vc.descendant_id = {alias}.assignee_id "
           f"OR vc.descendant_id = (SELECT vb.branch_id FROM compound vb WHERE vb.id = {alias}.compound_id))))")
    return sql, [user_id if user_id is not None else -1, *params]


async def get(*, opinion_id: int) -> Opinion | None:
    """One opinion by primary key."""
    return await Opinion.get_or_none(id=opinion_id)


async def get_many(*, opinion_ids: list[int]) -> dict[int, Opinion]:
    """Opinions by primary key, one statement."""
    return {o.id: o for o in await Opinion.filter(id__in=opinion_ids)}


async def visible_ids(*, user_id: int | None, managed_org_ids: list[int], opinion_ids: list[int]) -> set[int]:
    """Which of these opinions the viewer may see, one statement."""
    where, params = visible_sql(user_id=user_id, managed_org_ids=managed_org_ids)
    rows = await db.fetch(f"SELECT op.id FROM opinion op WHERE op.id IN ({db.placeholders(opinion_ids)}) "
                          f"AND {where}", [*opinion_ids, *params])
    return {row["id"] for row in rows}


def _filter(*, user_id: int | None, managed_org_ids: list[int], mine: bool, org_id: int | None,
            status: OpinionStatus | None) -> tuple[str, list]:
    if mine:
        where, params = "op.author_id = ?", [user_id if user_id is not None else -1]
    else:
        where, params = visible_sql(user_id=user_id, managed_org_ids=managed_org_ids)
    if org_id is not None:
        where += (" AND EXISTS (SELECT 1 FROM org_closure fc WHERE fc.ancestor_id = ? AND (fc.descendant_id = "
                  "op.org_id OR fc.descendant_id = op.assignee_id OR fc.descendant_id = "
                  "(SELECT fb.branch_id FROM compound fb WHERE fb.id = op.compound_id)))")
        params.append(org_id)
    if status is not None:
        where += " AND op.status = ?"
        params.append(status.value)
    return where, params


async def page(*, user_id: int | None, managed_org_ids: list[int], mine: bool, org_id: int | None,
               status: OpinionStatus | None, first: int, after: int | None) -> list[Opinion]:
    """Opinions the viewer may see (or only their own), newest first (`first + 1` rows)."""
    where, params = _filter(user_id=user_id, managed_org_ids=managed_org_ids, mine=mine, org_id=org_id,
                            status=status)
    return await db.fetch_models(Opinion, f"SELECT op.* FROM opinion op WHERE {where} AND op.id < ? "
                                 "ORDER BY op.id DESC LIMIT ?",
                                 [*params, after if after is not None else db.MAX_KEY, first + 1])


async def count(*, user_id: int | None, managed_org_ids: list[int], mine: bool, org_id: int | None,
                status: OpinionStatus | None) -> int:
    """How many opinions the filter finds."""
    where, params = _filter(user_id=user_id, managed_org_ids=managed_org_ids, mine=mine, org_id=org_id,
                            status=status)
    rows = await db.fetch(f"SELECT COUNT(*) AS n FROM opinion op WHERE {where}", params)
    return int(rows[0]["n"])


async def submit(*, text: str, category: ProjectCategory | None, compound_id: int | None, org_id: int,
                 channel: OpinionChannel, anonymous: bool, author_id: int | None, contact_phone: str | None,
                 recorded_by: int | None, photos: Sequence[photo_model.PhotoFile] = ()) -> Opinion:
    """Record an opinion (OPEN) with its photos' rows (files already stored), in one transaction."""
    async with in_transaction():
        opinion = await Opinion.create(text=text, category=category, compound_id=compound_id, org_id=org_id,
                                       channel=channel, anonymous=anonymous, author_id=author_id,
                                       contact_phone=contact_phone, recorded_by_id=recorded_by)
        if photos:  # uploaded by whoever submitted it: the staff member recording it, else the resident in the app
            uploader = recorded_by if recorded_by is not None else author_id
            if uploader is None:
                raise ValueError("photos need the user who uploaded them")
            await photo_model.attach(photos=photos, uploaded_by_id=uploader, opinion_id=opinion.id)
    return opinion


async def assign(*, opinion_id: int, org_id: int) -> bool:
    """Hand an opinion to an org (again, if need be): OPEN becomes ASSIGNED, a REPLIED one stays REPLIED; False once
    it is closed."""
    return await db.execute(
        "UPDATE opinion SET assignee_id = ?, status = CASE WHEN status = 'OPEN' THEN 'ASSIGNED' ELSE status END "
        "WHERE id = ? AND closed_at IS NULL", [org_id, opinion_id]) == 1


async def reply(*, opinion_id: int, org_id: int, author_id: int, text: str) -> OpinionReply | None:
    """Append a reply and mark the opinion REPLIED (the first reply's time is kept), atomically; None once closed."""
    async with in_transaction():
        changed = await Opinion.filter(id=opinion_id, closed_at=None).update(status=OpinionStatus.REPLIED)
        if changed != 1:
            return None
        now = datetime.now(timezone.utc)  # taken under the row lock: a racing close gets a later time
        await Opinion.filter(id=opinion_id, first_reply_at=None).update(first_reply_at=now)
        return await OpinionReply.create(opinion_id=opinion_id, org_id=org_id, author_id=author_id, text=text,
                                         created_at=now)


async def close(*, opinion_id: int) -> bool:
    """Close an opinion once; False when it already was. The time is taken under the row lock, so a reply that
    committed first is never stamped after the close."""
    async with in_transaction():
        if await Opinion.filter(id=opinion_id, closed_at=None).update(status=OpinionStatus.CLOSED) != 1:
            return False
        await Opinion.filter(id=opinion_id).update(closed_at=datetime.now(timezone.utc))
    return True


async def replies_of(*, opinion_ids: list[int]) -> dict[int, list[OpinionReply]]:
    """Each opinion's replies, oldest first, one statement."""
    out: dict[int, list[OpinionReply]] = {oid: [] for oid in opinion_ids}
    for row in await OpinionReply.filter(opinion_id__in=opinion_ids).order_by("id"):
        out[row.opinion_id].append(row)
    return out


async def stats(*, org_ids: list[int]) -> dict[int, OpinionStats]:
    """Received, replied and the median hours to a first reply, per org subtree, in one statement (the median is
    taken here: SQLite has no percentile function)."""
    rows = await db.fetch(
        "SELECT cl.ancestor_id AS org_id, op.created_at AS created_at, op.first_reply_at AS first_reply_at "
        f"FROM org_closure cl JOIN opinion op ON op.org_id = cl.descendant_id "
        f"WHERE cl.ancestor_id IN ({db.placeholders(org_ids)})", org_ids)
    received: dict[int, int] = {}
    hours: dict[int, list[float]] = {}
    field = Opinion._meta.fields_map["created_at"]
    for row in rows:
        org_id = row["org_id"]
        received[org_id] = received.get(org_id, 0) + 1
        if row["first_reply_at"] is not None:
            created = field.to_python_value(row["created_at"])
            replied = field.to_python_value(row["first_reply_at"])
            hours.setdefault(org_id, []).append((replied - created).total_seconds() / 3600)
    return {org_id: OpinionStats(received=received.get(org_id, 0), replied=len(hours.get(org_id, [])),
                                 median_hours_to_first_reply=statistics.median(hours[org_id])
                                 if hours.get(org_id) else None)
            for org_id in org_ids}
