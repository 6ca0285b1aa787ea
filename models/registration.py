"""Dual registration (双报到): a party member registers at the branch of the compound where they live."""

from __future__ import annotations

from datetime import datetime, timezone

from tortoise import fields
from tortoise.models import Model
from tortoise.transactions import in_transaction

from jinlin import db
from models.enums import MemberRole, MemberType
from models.org import Org
from models.user import Membership, User


class Registration(Model):
    """One registration (history is kept). `active_user_id`, unique and NULL once ended, allows one active per user."""

    id = fields.IntField(primary_key=True)
    user: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "jinlin.User", related_name=False, on_delete=fields.CASCADE
    )
    branch: fields.ForeignKeyRelation[Org] = fields.ForeignKeyField(
        "jinlin.Org", related_name=False, on_delete=fields.RESTRICT
    )
    member_type = fields.CharEnumField(MemberType, max_length=16)
    work_unit = fields.CharField(max_length=100, null=True)
    registered_at = fields.DatetimeField(auto_now_add=True)
    ended_at = fields.DatetimeField(null=True)
    active_user_id = fields.IntField(null=True, unique=True)

    class Meta:
        table = "registration"
        indexes = (("branch_id", "id"), ("user_id", "id"))

    @property
    def active(self) -> bool:
        """A registration is active until the member registers elsewhere or is removed."""
        return self.active_user_id is not None


async def active_of_users(*, user_ids: list[int]) -> dict[int, Registration]:
    """The active registration of each user (if any), one statement."""
    rows = await Registration.filter(active_user_id__in=user_ids)
    return {r.user_id: r for r in rows}


async def get(*, registration_id: int) -> Registration | None:
    """One registration by primary key."""
    return await Registration.get_or_none(id=registration_id)


async def get_many(*, registration_ids: list[int]) -> dict[int, Registration]:
    """Registrations by primary key, one statement."""
    return {r.id: r for r in await Registration.filter(id__in=registration_ids)}


async def register(*, user_id: int, branch_id: int, member_type: MemberType, work_unit: str | None) -> Registration:
    """Register a member at a branch: the active registration elsewhere ends (kept as history), the user becomes a
    MEMBER of the branch (if not already in it) and leaves the old branch's plain MEMBER role, in one transaction.

    Registering again at the same branch only updates the member type and work unit.
    """
    now = datetime.now(timezone.utc)
    async with in_transaction():
        current = await Registration.get_or_none(active_user_id=user_id)
        if current is not None and current.branch_id == branch_id:
            await Registration.filter(id=current.id).update(member_type=member_type, work_unit=work_unit)
            return await Registration.get(id=current.id)
        if current is not None:
            await Registration.filter(id=current.id).update(active_user_id=None, ended_at=now)
            await Membership.filter(user_id=user_id, org_id=current.branch_id, role=MemberRole.MEMBER).delete()
        created = await Registration.create(user_id=user_id, branch_id=branch_id, member_type=member_type,
                                            work_unit=work_unit, active_user_id=user_id)
        await db.fetch(
            "INSERT INTO membership (user_id, org_id, role, created_at) VALUES (?, ?, 'MEMBER', CURRENT_TIMESTAMP) "
            "ON CONFLICT (user_id, org_id) DO NOTHING RETURNING id", [user_id, branch_id])
    return created


async def end(*, registration: Registration) -> bool:
    """End an active registration and the plain MEMBER role it gave; False when it had already ended."""
    async with in_transaction():
        changed = await Registration.filter(id=registration.id, active_user_id__not_isnull=True).update(
            active_user_id=None, ended_at=datetime.now(timezone.utc))
        if changed != 1:
            return False
        await Membership.filter(user_id=registration.user_id, org_id=registration.branch_id,
                                role=MemberRole.MEMBER).delete()
    return True


async def end_for_membership(*, user_id: int, org_id: int) -> None:
    """A member removed from their branch is no longer registered there."""
    await Registration.filter(active_user_id=user_id, branch_id=org_id).update(
        active_user_id=None, ended_at=datetime.now(timezone.utc))


def _branch_sql(branch_ids: list[int], active: bool | None) -> tuple[str, list]:
    sql = (f"SELECT r.*, r.branch_id AS _g, r.id AS _k FROM registration r "
           f"WHERE r.branch_id IN ({db.placeholders(branch_ids)})")
    if active is not None:
        sql += " AND r.active_user_id IS NOT NULL" if active else " AND r.active_user_id IS NULL"
    return sql, list(branch_ids)


async def branch_pages(
    *, branch_ids: list[int], active: bool | None, first: int, after: int | None
) -> dict[int, list[Registration]]:
    """A page of each branch's registrations, oldest first, one statement."""
    sql, params = _branch_sql(branch_ids, active)
    return await db.page_per_group(sql, params, first=first, after=after, model=Registration)


async def branch_counts(*, branch_ids: list[int], active: bool | None) -> dict[int, int]:
    """Number of each branch's registrations."""
    sql, params = _branch_sql(branch_ids, active)
    return await db.count_per_group(sql, params)
