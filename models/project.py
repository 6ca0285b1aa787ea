"""Service projects (项目认领) published by organisations and the claims members and units make on them."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model

from jinlin import db
from models.compound import Compound
from models.enums import ClaimStatus, ProjectCategory, ProjectStatus
from models.org import Org
from models.user import User


class Project(Model):
    """A capacity-limited service project, whose `claimed_count` moves only by conditional UPDATEs."""

    id = fields.IntField(primary_key=True)
    org: fields.ForeignKeyRelation[Org] = fields.ForeignKeyField(
        "jinlin.Org", related_name=False, on_delete=fields.RESTRICT
    )
    compound: fields.ForeignKeyNullableRelation[Compound] = fields.ForeignKeyField(
        "jinlin.Compound", related_name=False, null=True, on_delete=fields.SET_NULL
    )
    title = fields.CharField(max_length=100)
    description = fields.TextField(default="")
    category = fields.CharEnumField(ProjectCategory, max_length=24)
    status = fields.CharEnumField(ProjectStatus, max_length=16, default=ProjectStatus.DRAFT)
    capacity = fields.IntField()
    claimed_count = fields.IntField(default=0)
    claimant_kinds = fields.CharField(max_length=32, default="MEMBER")
    starts_at = fields.DatetimeField(null=True)
    ends_at = fields.DatetimeField(null=True)
    location = fields.CharField(max_length=200, null=True)
    created_by: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "jinlin.User", related_name=False, null=True, on_delete=fields.SET_NULL
    )
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "project"
        indexes = (("org_id", "status", "id"), ("status", "id"))


class Claim(Model):
    """A claim on a project by a member or an org. `active_key`, NULL once withdrawn or rejected, is unique per project."""

    id = fields.IntField(primary_key=True)
    project: fields.ForeignKeyRelation[Project] = fields.ForeignKeyField(
        "jinlin.Project", related_name=False, on_delete=fields.CASCADE
    )
    user: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "jinlin.User", related_name=False, null=True, on_delete=fields.CASCADE
    )
    org: fields.ForeignKeyNullableRelation[Org] = fields.ForeignKeyField(
        "jinlin.Org", related_name=False, null=True, on_delete=fields.CASCADE
    )
    claimed_by: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "jinlin.User", related_name=False, null=True, on_delete=fields.SET_NULL
    )
    status = fields.CharEnumField(ClaimStatus, max_length=16, default=ClaimStatus.ACTIVE)
    active_key = fields.CharField(max_length=32, null=True)
    reported_hours = fields.FloatField(null=True)
    verified_hours = fields.FloatField(null=True)
    note = fields.TextField(null=True)
    comment = fields.TextField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "claim"
        unique_together = (("project_id", "active_key"),)
        indexes = (("project_id", "id"), ("user_id", "id"), ("org_id", "id"))


async def service_hours_of_users(*, user_ids: list[int]) -> dict[int, float]:
    """Verified hours each user has served on their own claims, one statement."""
    rows = await db.fetch(
        f"SELECT user_id AS u, COALESCE(SUM(verified_hours), 0) AS h FROM claim "
        f"WHERE status = 'VERIFIED' AND user_id IN ({db.placeholders(user_ids)}) GROUP BY user_id",
        user_ids,
    )
    return {row["u"]: float(row["h"]) for row in rows}
