"""Idempotency keys: a phone on a flaky network retries a mutation with the same `Idempotency-Key`, and gets the
first answer again instead of a second side effect. One row per (user, key), claimed by a unique constraint.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from tortoise import fields
from tortoise.models import Model

from jinlin import db

# How long a key holds (the issue: 24 hours), and after how long an unfinished claim counts as abandoned (a worker
# that died mid-request; requests are far shorter than this).
KEY_TTL = timedelta(hours=24)
ABANDONED_AFTER = timedelta(minutes=2)


class IdempotencyKey(Model):
    """A claimed key: the request it was first used for and, once answered, the answer."""

    id = fields.IntField(primary_key=True)
    user_id = fields.IntField()
    key = fields.CharField(max_length=200)
    request_hash = fields.CharField(max_length=64)
    status_code = fields.IntField(null=True)
    response = fields.TextField(null=True)
    created_at = fields.DatetimeField()

    class Meta:
        table = "idempotency_key"
        unique_together = (("user_id", "key"),)


@dataclass(frozen=True)
class Claim:
    """Where a key stands for this request: `mine` when this request claimed it (and must run)."""

    mine: bool
    request_hash: str = ""
    claim_id: int | None = None
    status_code: int | None = None
    response: str | None = None


async def claim(*, user_id: int, key: str, request_hash: str) -> Claim:
    """Claim a key for a request in one INSERT; otherwise report the earlier claim. Expired or abandoned claims are
    cleared first, so the key can be claimed again."""
    now = datetime.now(timezone.utc)
    await db.execute(
        "DELETE FROM idempotency_key WHERE user_id = ? AND key = ? AND (created_at < ? OR "
        "(response IS NULL AND created_at < ?))", [user_id, key, db.utc(now - KEY_TTL), db.utc(now - ABANDONED_AFTER)])
    rows = await db.fetch(
        "INSERT INTO idempotency_key (user_id, key, request_hash, created_at) VALUES (?, ?, ?, ?) "
        "ON CONFLICT (user_id, key) DO NOTHING RETURNING id", [user_id, key, request_hash, db.utc(now)])
    if rows:
        return Claim(mine=True, request_hash=request_hash, claim_id=rows[0]["id"])
    row = await IdempotencyKey.get_or_none(user_id=user_id, key=key)
    if row is None:  # released meanwhile (the first request failed): the caller may try once more
        return Claim(mine=False)
    return Claim(mine=False, request_hash=row.request_hash, status_code=row.status_code, response=row.response)


async def finish(*, user_id: int, key: str, status_code: int, response: str, claim_id: int | None = None) -> None:
    """Store the answer of a claimed key, for the retries; with `claim_id`, only while that claim still holds the key
    (a request so slow that its claim was taken over must not overwrite the newer one)."""
    query = IdempotencyKey.filter(user_id=user_id, key=key)
    if claim_id is not None:
        query = query.filter(id=claim_id)
    await query.update(status_code=status_code, response=response)


async def release(*, user_id: int, key: str, claim_id: int | None = None) -> None:
    """Give a key back when its request did not get an answer worth replaying (a server or protocol error); with
    `claim_id`, only that claim."""
    query = IdempotencyKey.filter(user_id=user_id, key=key, response=None)
    if claim_id is not None:
        query = query.filter(id=claim_id)
    await query.delete()
