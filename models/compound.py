"""Residential compounds (小区): places with households, covered (or not) by a compound branch."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model

from jinlin import db
from models.enums import PropertyManagement
from models.org import Org


class Compound(Model):
    """A 小区: it belongs to one community and may be covered by one of that community's branches."""

    id = fields.IntField(primary_key=True)
    name = fields.CharField(max_length=100)
    address = fields.CharField(max_length=200, null=True)
    households = fields.IntField(default=0)
    community: fields.ForeignKeyRelation[Org] = fields.ForeignKeyField(
        "jinlin.Org", related_name=False, on_delete=fields.RESTRICT
    )
    branch: fields.ForeignKeyNullableRelation[Org] = fields.ForeignKeyField(
        "jinlin.Org", related_name=False, null=True, on_delete=fields.SET_NULL
    )
    has_red_committee = fields.BooleanField(default=False)
    property_management = fields.CharEnumField(PropertyManagement, max_length=16, default=PropertyManagement.COMPANY)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "compound"
        indexes = (("community_id", "id"), ("branch_id", "id"))


# A compound sits in the subtree of X when X is an ancestor-or-self of its branch (if covered) or community.
_ANCHOR = "COALESCE(c.branch_id, c.community_id)"


async def get(*, compound_id: int) -> Compound | None:
    """One compound by primary key."""
    return await Compound.get_or_none(id=compound_id)


async def get_many(*, compound_ids: list[int]) -> dict[int, Compound]:
    """Compounds by primary key, one statement."""
    return {c.id: c for c in await Compound.filter(id__in=compound_ids)}


async def create(
    *,
    name: str,
    community: Org,
    branch: Org | None,
    address: str | None,
    households: int,
    has_red_committee: bool,
    property_management: PropertyManagement,
) -> Compound:
    """Insert a compound (the caller has checked that the branch belongs to the community)."""
    return await Compound.create(
        name=name,
        community=community,
        branch=branch,
        address=address,
        households=households,
        has_red_committee=has_red_committee,
        property_management=property_management,
    )


async def update(*, compound: Compound, changes: dict[str, object]) -> Compound:
    """Apply validated field changes to a compound."""
    for key, value in changes.items():
        setattr(compound, key, value)
    if changes:
        # Relations are saved through their column (`branch` -> `branch_id`), also when set to None.
        fk_fields = Compound._meta.fk_fields
        await compound.save(update_fields=[f"{k}_id" if k in fk_fields else k for k in changes])
    return compound


def _filter_sql(*, org_id: int | None, search: str | None, covered: bool | None) -> tuple[str, list]:
    clauses, params = [], []
    if org_id is not None:
        clauses.append(f"EXISTS (SELECT 1 FROM org_closure cl WHERE cl.ancestor_id = ? AND cl.descendant_id = {_ANCHOR})")
        params.append(org_id)
    if search:
        clauses.append(f"(LOWER(c.name) {db.LIKE} OR LOWER(COALESCE(c.address, '')) {db.LIKE})")
        params += [db.like_pattern(search.lower())] * 2
    if covered is not None:
        clauses.append("c.branch_id IS NOT NULL" if covered else "c.branch_id IS NULL")
    return (" AND ".join(clauses) or "1 = 1"), params


async def page(
    *, org_id: int | None, search: str | None, covered: bool | None, first: int, after: int | None
) -> list[Compound]:
    """A keyset page of the public compound directory."""
    where, params = _filter_sql(org_id=org_id, search=search, covered=covered)
    return await db.fetch_models(
        Compound, f"SELECT c.* FROM compound c WHERE {where} AND c.id > ? ORDER BY c.id LIMIT ?",
        [*params, after if after is not None else -1, first + 1],
    )


async def count(*, org_id: int | None, search: str | None, covered: bool | None) -> int:
    """How many compounds match the directory filter."""
    where, params = _filter_sql(org_id=org_id, search=search, covered=covered)
    rows = await db.fetch(f"SELECT COUNT(*) AS n FROM compound c WHERE {where}", params)
    return int(rows[0]["n"])


def _subtree_sql(org_ids: list[int]) -> tuple[str, list]:
    sql = (
        f"SELECT c.*, cl.ancestor_id AS _g, c.id AS _k FROM compound c JOIN org_closure cl "
        f"ON cl.descendant_id = {_ANCHOR} WHERE cl.ancestor_id IN ({db.placeholders(org_ids)})"
    )
    return sql, list(org_ids)


async def subtree_pages(*, org_ids: list[int], first: int, after: int | None) -> dict[int, list[Compound]]:
    """A page of the compounds in each org's subtree, one statement."""
    sql, params = _subtree_sql(org_ids)
    return await db.page_per_group(sql, params, first=first, after=after, model=Compound)


async def subtree_counts(*, org_ids: list[int]) -> dict[int, int]:
    """Number of compounds in each org's subtree."""
    sql, params = _subtree_sql(org_ids)
    return await db.count_per_group(sql, params)
