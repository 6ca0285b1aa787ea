"""People, their memberships in organisations, and the state behind login (refresh tokens, failed attempts)."""

from __future__ import annotations

from datetime import datetime

from tortoise import fields
from tortoise.models import Model

from jinlin import db
from models.enums import MemberRole
from models.org import Org


class User(Model):
    """A resident, party member or staff member, identified by a unique mobile phone number."""

    id = fields.IntField(primary_key=True)
    phone = fields.CharField(max_length=20, unique=True)
    display_name = fields.CharField(max_length=50)
    password_hash = fields.CharField(max_length=200)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "app_user"


class Membership(Model):
    """A user's role in one org (one row per user and org)."""

    id = fields.IntField(primary_key=True)
    user: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "jinlin.User", related_name="memberships", on_delete=fields.CASCADE
    )
    org: fields.ForeignKeyRelation[Org] = fields.ForeignKeyField(
        "jinlin.Org", related_name="memberships", on_delete=fields.CASCADE
    )
    role = fields.CharEnumField(MemberRole, max_length=16)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "membership"
        unique_together = (("user_id", "org_id"),)
        indexes = (("org_id", "role", "id"),)


class RefreshToken(Model):
    """One issued refresh token. A family is the chain of rotations of one login, revoked as a whole on reuse."""

    jti = fields.CharField(max_length=64, primary_key=True)
    family = fields.CharField(max_length=64, db_index=True)
    user: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "jinlin.User", related_name=False, on_delete=fields.CASCADE
    )
    expires_at = fields.DatetimeField()
    spent_at = fields.DatetimeField(null=True)
    revoked_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "refresh_token"


class LoginFailure(Model):
    """A wrong password for a phone number, kept to throttle guessing across all workers."""

    id = fields.IntField(primary_key=True)
    phone = fields.CharField(max_length=20)
    at = fields.DatetimeField()

    class Meta:
        table = "login_failure"
        indexes = (("phone", "at"),)


async def get(*, user_id: int) -> User | None:
    """One user by primary key."""
    return await User.get_or_none(id=user_id)


async def get_many(*, user_ids: list[int]) -> dict[int, User]:
    """Users by primary key, one statement."""
    return {u.id: u for u in await User.filter(id__in=user_ids)}


async def get_by_phone(*, phone: str) -> User | None:
    """The account behind a phone number, if any."""
    return await User.get_or_none(phone=phone)


async def create(*, phone: str, display_name: str, password_hash: str) -> User | None:
    """Insert a user; None when the phone is already taken (decided by the unique index, not a pre-check)."""
    rows = await db.fetch(
        "INSERT INTO app_user (phone, display_name, password_hash, created_at) VALUES (?, ?, ?, CURRENT_TIMESTAMP) "
        "ON CONFLICT (phone) DO NOTHING RETURNING id",
        [phone, display_name, password_hash],
    )
    if not rows:
        return None
    return await User.get(id=rows[0]["id"])


async def memberships_of_users(*, user_ids: list[int]) -> dict[int, list[Membership]]:
    """Every membership of each user, one statement."""
    result: dict[int, list[Membership]] = {uid: [] for uid in user_ids}
    for m in await Membership.filter(user_id__in=user_ids).order_by("id"):
        result[m.user_id].append(m)
    return result


async def get_membership(*, user_id: int, org_id: int) -> Membership | None:
    """A user's membership in one org."""
    return await Membership.get_or_none(user_id=user_id, org_id=org_id)


async def upsert_membership(*, user: User, org: Org, role: MemberRole) -> Membership:
    """Give a user a role in an org: insert, or change the role of the existing membership, atomically."""
    await db.execute(
        "INSERT INTO membership (user_id, org_id, role, created_at) VALUES (?, ?, ?, CURRENT_TIMESTAMP) "
        "ON CONFLICT (user_id, org_id) DO UPDATE SET role = excluded.role",
        [user.id, org.id, role.value],
    )
    return await Membership.get(user_id=user.id, org_id=org.id)


async def assign_commissioner(*, user: User, org: Org) -> Membership | None:
    """Make a user a commissioner of a unit unless they already hold another role there (one conditional upsert, so
    a role the unit gives meanwhile is never overwritten); None when they do."""
    await db.execute(
        "INSERT INTO membership (user_id, org_id, role, created_at) VALUES (?, ?, ?, CURRENT_TIMESTAMP) "
        "ON CONFLICT (user_id, org_id) DO NOTHING",
        [user.id, org.id, MemberRole.COMMISSIONER.value],
    )
    membership = await Membership.get(user_id=user.id, org_id=org.id)
    return membership if membership.role is MemberRole.COMMISSIONER else None


async def delete_membership(*, membership: Membership) -> None:
    """Remove a membership."""
    await membership.delete()


async def count_admins(*, org_id: int) -> int:
    """How many ADMINs an org has (the last one of a root org may not leave)."""
    return await Membership.filter(org_id=org_id, role=MemberRole.ADMIN).count()


def _members_sql(org_ids: list[int], role: MemberRole | None) -> tuple[str, list]:
    sql = f"SELECT m.*, m.org_id AS _g, m.id AS _k FROM membership m WHERE m.org_id IN ({db.placeholders(org_ids)})"
    params: list = list(org_ids)
    if role is not None:
        sql += " AND m.role = ?"
        params.append(role.value)
    return sql, params


async def member_pages(
    *, org_ids: list[int], role: MemberRole | None, first: int, after: int | None
) -> dict[int, list[Membership]]:
    """A page of the memberships of each org, one statement."""
    sql, params = _members_sql(org_ids, role)
    return await db.page_per_group(sql, params, first=first, after=after, model=Membership)


async def member_counts(*, org_ids: list[int], role: MemberRole | None) -> dict[int, int]:
    """Number of memberships of each org."""
    sql, params = _members_sql(org_ids, role)
    return await db.count_per_group(sql, params)


async def roles_in_orgs(*, user_id: int) -> list[tuple[MemberRole, Org]]:
    """Every org the user holds a role in, with that role (the viewer's starting point for policies)."""
    rows = await db.fetch("SELECT o.*, m.role AS _role FROM membership m JOIN org o ON o.id = m.org_id "
                          "WHERE m.user_id = ? ORDER BY m.id", [user_id])
    return [(MemberRole(row["_role"]), Org._init_from_db(**row)) for row in rows]


async def recent_failures(*, phone: str, since: datetime) -> int:
    """Wrong passwords for a phone since a moment (the login throttle)."""
    return await LoginFailure.filter(phone=phone, at__gte=since).count()


async def record_failure(*, phone: str, at: datetime, forget_before: datetime) -> None:
    """Remember a login attempt, and forget this phone's attempts that have left the window."""
    await LoginFailure.filter(phone=phone, at__lt=forget_before).delete()
    await LoginFailure.create(phone=phone, at=at)


async def clear_failures(*, phone: str) -> None:
    """Forget wrong passwords after a successful login."""
    await LoginFailure.filter(phone=phone).delete()


async def store_refresh(*, jti: str, family: str, user_id: int, expires_at: datetime) -> None:
    """Remember an issued refresh token so that it can be spent exactly once."""
    await RefreshToken.create(jti=jti, family=family, user_id=user_id, expires_at=expires_at)


async def spend_refresh(*, jti: str, now: datetime) -> bool:
    """Mark a refresh token spent in one conditional UPDATE: True for exactly one of racing callers."""
    changed = await RefreshToken.filter(jti=jti, spent_at=None, revoked_at=None, expires_at__gt=now).update(
        spent_at=now
    )
    return changed == 1


async def get_refresh(*, jti: str) -> RefreshToken | None:
    """A stored refresh token, to tell a reused one from a forged one."""
    return await RefreshToken.get_or_none(jti=jti)


async def revoke_family(*, family: str, now: datetime) -> None:
    """Revoke every token of a login (on logout, or when a spent token comes back)."""
    await RefreshToken.filter(family=family, revoked_at=None).update(revoked_at=now)
