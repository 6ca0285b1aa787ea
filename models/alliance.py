"""Party-building alliances (党建联盟): a lead unit (盟主) and member units (盟友), 龙头带小微."""

from __future__ import annotations

from datetime import datetime, timezone
from enum import Enum

from tortoise import fields
from tortoise.exceptions import IntegrityError
from tortoise.models import Model
from tortoise.transactions import in_transaction

from jinlin import db
from models.org import Org


class AllianceMemberStatus(str, Enum):
    """Where an org stands in an alliance."""

    INVITED = "INVITED"
    ACTIVE = "ACTIVE"
    DECLINED = "DECLINED"
    LEFT = "LEFT"


class Alliance(Model):
    """An alliance led by one org. Its ACTIVE members see each other's PARTNERS-scope resources and projects."""

    id = fields.IntField(primary_key=True)
    name = fields.CharField(max_length=100)
    lead: fields.ForeignKeyRelation[Org] = fields.ForeignKeyField(
        "jinlin.Org", related_name=False, on_delete=fields.RESTRICT
    )
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "alliance"


class AllianceMember(Model):
    """One org's place in one alliance (the lead is an ACTIVE member too)."""

    id = fields.IntField(primary_key=True)
    alliance: fields.ForeignKeyRelation[Alliance] = fields.ForeignKeyField(
        "jinlin.Alliance", related_name=False, on_delete=fields.CASCADE
    )
    org: fields.ForeignKeyRelation[Org] = fields.ForeignKeyField(
        "jinlin.Org", related_name=False, on_delete=fields.CASCADE
    )
    status = fields.CharEnumField(AllianceMemberStatus, max_length=16)
    invited_at = fields.DatetimeField(auto_now_add=True)
    responded_at = fields.DatetimeField(null=True)

    class Meta:
        table = "alliance_member"
        unique_together = (("alliance_id", "org_id"),)
        indexes = (("org_id", "status"),)


def allied_sql(left: str, right_orgs: str) -> str:
    """SQL predicate: an ancestor-or-self of org `left` and an ancestor-or-self of one of the orgs `right_orgs` (an IN
    list) are two different ACTIVE members of one alliance (allies see each other's work, not their own twice)."""
    return (
        "EXISTS (SELECT 1 FROM alliance_member a1 JOIN alliance_member a2 ON a2.alliance_id = a1.alliance_id "
        "JOIN org_closure al ON al.ancestor_id = a1.org_id JOIN org_closure ar ON ar.ancestor_id = a2.org_id "
        f"WHERE a1.status = 'ACTIVE' AND a2.status = 'ACTIVE' AND a1.org_id <> a2.org_id AND al.descendant_id = {left} "
        f"AND ar.descendant_id IN {right_orgs})"
    )


async def get(*, alliance_id: int) -> Alliance | None:
    """One alliance by primary key."""
    return await Alliance.get_or_none(id=alliance_id)


async def get_many(*, alliance_ids: list[int]) -> dict[int, Alliance]:
    """Alliances by primary key, one statement."""
    return {a.id: a for a in await Alliance.filter(id__in=alliance_ids)}


async def create(*, name: str, lead_id: int) -> Alliance:
    """Found an alliance; the lead joins it at once."""
    async with in_transaction():
        alliance = await Alliance.create(name=name, lead_id=lead_id)
        await AllianceMember.create(alliance_id=alliance.id, org_id=lead_id, status=AllianceMemberStatus.ACTIVE,
                                    responded_at=datetime.now(timezone.utc))
    return alliance


async def membership(*, alliance_id: int, org_id: int) -> AllianceMember | None:
    """An org's place in an alliance, if any."""
    return await AllianceMember.get_or_none(alliance_id=alliance_id, org_id=org_id)


async def invite(*, alliance_id: int, org_id: int) -> bool:
    """Invite an org (again, after it declined or left); False when it is already invited or active."""
    reinvited = await AllianceMember.filter(
        alliance_id=alliance_id, org_id=org_id,
        status__in=[AllianceMemberStatus.DECLINED, AllianceMemberStatus.LEFT],
    ).update(status=AllianceMemberStatus.INVITED, invited_at=datetime.now(timezone.utc), responded_at=None)
    if reinvited:
        return True
    try:
        await AllianceMember.create(alliance_id=alliance_id, org_id=org_id, status=AllianceMemberStatus.INVITED)
    except IntegrityError:
        return False
    return True


async def move(*, alliance_id: int, org_id: int, to: AllianceMemberStatus, allowed_from: AllianceMemberStatus) -> bool:
    """Accept, decline or leave with one conditional UPDATE; False when the org was not in `allowed_from`."""
    changed = await AllianceMember.filter(alliance_id=alliance_id, org_id=org_id, status=allowed_from).update(
        status=to, responded_at=datetime.now(timezone.utc))
    return changed == 1


def _filter_sql(org_id: int | None) -> tuple[str, list]:
    if org_id is None:
        return "1 = 1", []
    return ("EXISTS (SELECT 1 FROM alliance_member fm WHERE fm.alliance_id = a.id AND fm.org_id = ? "
            "AND fm.status = 'ACTIVE')"), [org_id]


async def page(*, org_id: int | None, first: int, after: int | None) -> list[Alliance]:
    """Alliances (those an org is an active member of), oldest first."""
    where, params = _filter_sql(org_id)
    return await db.fetch_models(Alliance, f"SELECT a.* FROM alliance a WHERE {where} AND a.id > ? ORDER BY a.id "
                                 "LIMIT ?", [*params, after if after is not None else -1, first + 1])


async def count(*, org_id: int | None) -> int:
    """How many alliances the filter finds."""
    where, params = _filter_sql(org_id)
    rows = await db.fetch(f"SELECT COUNT(*) AS n FROM alliance a WHERE {where}", params)
    return int(rows[0]["n"])


def _members_sql(alliance_ids: list[int]) -> tuple[str, list]:
    return (f"SELECT o.*, m.alliance_id AS _g, o.id AS _k FROM alliance_member m JOIN org o ON o.id = m.org_id "
            f"WHERE m.status = 'ACTIVE' AND m.alliance_id IN ({db.placeholders(alliance_ids)})"), list(alliance_ids)


async def member_pages(*, alliance_ids: list[int], first: int, after: int | None) -> dict[int, list[Org]]:
    """A page of each alliance's active member orgs (the lead included), one statement."""
    sql, params = _members_sql(alliance_ids)
    return await db.page_per_group(sql, params, first=first, after=after, model=Org)


async def member_counts(*, alliance_ids: list[int]) -> dict[int, int]:
    """Number of each alliance's active members."""
    sql, params = _members_sql(alliance_ids)
    return await db.count_per_group(sql, params)
