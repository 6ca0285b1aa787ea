"""Dual registration (双报到): a party member registers at the branch of the compound where they live."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model

from models.enums import MemberType
from models.org import Org
from models.user import User


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
