"""Photos of resident orders and opinions: one row per attached photo, naming a file stored on disk under its
content hash (jinlin/photos.py keeps the files and signs their URLs; this module only keeps the rows).

Rows are written in the same transaction as the order or opinion they belong to, so an order never exists with
half of its photos, and a photo row never exists without its order or opinion.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from tortoise import fields
from tortoise.models import Model

from models.user import User

if TYPE_CHECKING:
    from models.opinion import Opinion
    from models.order import Order

# The kinds of image taken, by content type, with the file name extension they are stored and served under.
EXTENSIONS: dict[str, str] = {"image/jpeg": "jpg", "image/png": "png", "image/webp": "webp"}
MAX_PHOTOS = 6  # per order or opinion (positions 0..5)


@dataclass(frozen=True)
class PhotoFile:
    """A checked image already stored on disk: what a Photo row records about it."""

    sha256: str
    content_type: str
    width: int
    height: int
    size_bytes: int

    @property
    def name(self) -> str:
        """The stored and served file name, `<sha256>.<ext>`."""
        return f"{self.sha256}.{EXTENSIONS[self.content_type]}"


class Photo(Model):
    """A photo of an order or of an opinion (exactly one of the two), in the order it was uploaded."""

    id = fields.IntField(primary_key=True)
    sha256 = fields.CharField(max_length=64, description="Hex SHA-256 of the file, its name on disk")
    content_type = fields.CharField(max_length=16, description="image/jpeg, image/png or image/webp")
    width = fields.IntField()
    height = fields.IntField()
    size_bytes = fields.IntField()
    uploaded_by: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "jinlin.User", related_name=False, on_delete=fields.RESTRICT
    )
    created_at = fields.DatetimeField(auto_now_add=True)
    order: fields.ForeignKeyNullableRelation[Order] = fields.ForeignKeyField(
        "jinlin.Order", related_name=False, null=True, on_delete=fields.CASCADE
    )
    opinion: fields.ForeignKeyNullableRelation[Opinion] = fields.ForeignKeyField(
        "jinlin.Opinion", related_name=False, null=True, on_delete=fields.CASCADE
    )
    position = fields.SmallIntField(description="0 to 5, the order of upload")

    class Meta:
        table = "photo"
        unique_together = (("order_id", "position"), ("opinion_id", "position"))
        indexes = (("sha256",),)

    @property
    def name(self) -> str:
        """The stored and served file name, `<sha256>.<ext>`."""
        return f"{self.sha256}.{EXTENSIONS[self.content_type]}"


async def attach(*, photos: Sequence[PhotoFile], uploaded_by_id: int, order_id: int | None = None,
                 opinion_id: int | None = None) -> None:
    """Rows for stored files of one order or opinion, in the given order (called inside the parent's transaction)."""
    if (order_id is None) == (opinion_id is None):
        raise ValueError("a photo belongs to exactly one order or opinion")
    if len(photos) > MAX_PHOTOS:
        raise ValueError(f"at most {MAX_PHOTOS} photos")
    rows = [Photo(sha256=p.sha256, content_type=p.content_type, width=p.width, height=p.height,
                  size_bytes=p.size_bytes, uploaded_by_id=uploaded_by_id, order_id=order_id, opinion_id=opinion_id,
                  position=position) for position, p in enumerate(photos)]
    if rows:
        await Photo.bulk_create(rows)


async def for_orders(*, order_ids: list[int]) -> dict[int, list[Photo]]:
    """Each order's photos by position, one statement."""
    out: dict[int, list[Photo]] = defaultdict(list)
    for row in await Photo.filter(order_id__in=order_ids).order_by("order_id", "position"):
        out[row.order_id].append(row)  # type: ignore[index]
    return dict(out)


async def for_opinions(*, opinion_ids: list[int]) -> dict[int, list[Photo]]:
    """Each opinion's photos by position, one statement."""
    out: dict[int, list[Photo]] = defaultdict(list)
    for row in await Photo.filter(opinion_id__in=opinion_ids).order_by("opinion_id", "position"):
        out[row.opinion_id].append(row)  # type: ignore[index]
    return dict(out)

