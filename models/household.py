"""Households (户): a dwelling in a compound with its floor area, and the residents who live there.

Households are the voters of compound polls (one vote per household) and make a user a resident of a compound.
"""

from __future__ import annotations

from datetime import datetime, timezone

from tortoise import fields
from tortoise.models import Model

from jinlin import db
from models.compound import Compound
from models.user import User


class Household(Model):
    """One dwelling (building, unit and room as people write it) of a compound, with its floor area."""

    id = fields.IntField(primary_key=True)
    compound: fields.ForeignKeyRelation[Compound] = fields.ForeignKeyField(
        "jinlin.Compound", related_name=False, on_delete=fields.CASCADE
    )
    unit = fields.CharField(max_length=50)
    area_sqm = fields.FloatField()
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "household"
        unique_together = (("compound_id", "unit"),)


class HouseholdMember(Model):
    """A resident living in a household (a person may live in several)."""

    id = fields.IntField(primary_key=True)
    household: fields.ForeignKeyRelation[Household] = fields.ForeignKeyField(
        "jinlin.Household", related_name=False, on_delete=fields.CASCADE
    )
    user: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "jinlin.User", related_name=False, on_delete=fields.CASCADE
    )
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "household_member"
        unique_together = (("household_id", "user_id"),)
        indexes = (("user_id", "household_id"),)


async def get(*, household_id: int) -> Household | None:
    """One household by primary key."""
    return await Household.get_or_none(id=household_id)


async def get_many(*, household_ids: list[int]) -> dict[int, Household]:
    """Households by primary key, one statement."""
    return {h.id: h for h in await Household.filter(id__in=household_ids)}


async def create(*, compound_id: int, unit: str, area_sqm: float) -> Household | None:
    """Add a household; None when the compound already has one with that unit."""
    # The time as tortoise writes it (SQLite compares times as text): polls count the households registered
    # before they closed.
    rows = await db.fetch(
        "INSERT INTO household (compound_id, unit, area_sqm, created_at) VALUES (?, ?, ?, ?) "
        "ON CONFLICT (compound_id, unit) DO NOTHING RETURNING id",
        [compound_id, unit, area_sqm, db.utc(datetime.now(timezone.utc))])
    return await Household.get(id=rows[0]["id"]) if rows else None


async def add_member(*, household_id: int, user_id: int) -> bool:
    """Let a user live in a household; False when they already do."""
    rows = await db.fetch(
        "INSERT INTO household_member (household_id, user_id, created_at) VALUES (?, ?, ?) "
        "ON CONFLICT (household_id, user_id) DO NOTHING RETURNING id",
        [household_id, user_id, db.utc(datetime.now(timezone.utc))])
    return bool(rows)


async def of_users(*, user_ids: list[int]) -> dict[int, list[Household]]:
    """The households each user lives in, oldest first, one statement."""
    out: dict[int, list[Household]] = {uid: [] for uid in user_ids}
    rows = await db.fetch(
        "SELECT h.*, m.user_id AS _u FROM household_member m JOIN household h ON h.id = m.household_id "
        f"WHERE m.user_id IN ({db.placeholders(user_ids)}) ORDER BY h.id", user_ids)
    for row in rows:
        user_id = row.pop("_u")
        out[user_id].append(Household._init_from_db(**row))
    return out


async def members_of(*, household_ids: list[int]) -> dict[int, list[int]]:
    """The user ids living in each household, one statement."""
    out: dict[int, list[int]] = {hid: [] for hid in household_ids}
    for row in await HouseholdMember.filter(household_id__in=household_ids).order_by("id"):
        out[row.household_id].append(row.user_id)
    return out


async def page(*, compound_id: int, first: int, after: int | None) -> list[Household]:
    """A compound's households by id (`first + 1` rows)."""
    return list(await Household.filter(compound_id=compound_id, id__gt=after if after is not None else -1)
                .order_by("id").limit(first + 1))


async def count(*, compound_id: int) -> int:
    """How many households a compound has."""
    return await Household.filter(compound_id=compound_id).count()


async def lives_in(*, user_id: int, compound_id: int) -> list[Household]:
    """The user's households in one compound."""
    rows = await db.fetch(
        "SELECT h.* FROM household_member m JOIN household h ON h.id = m.household_id "
        "WHERE m.user_id = ? AND h.compound_id = ? ORDER BY h.id", [user_id, compound_id])
    return [Household._init_from_db(**row) for row in rows]
