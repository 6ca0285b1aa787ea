"""Persisted queries (Apollo APQ): documents registered under their SHA-256, so phones send a short hash, even
over GET, instead of the whole query. Kept in the database, so they survive restarts and every worker shares them.
"""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model

from jinlin import db


class PersistedQuery(Model):
    """One registered document, keyed by the hex SHA-256 of its exact text."""

    sha256 = fields.CharField(max_length=64, primary_key=True)
    query = fields.TextField()
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "persisted_query"


async def get(*, sha256: str) -> str | None:
    """The document registered under a hash, if any."""
    row = await PersistedQuery.get_or_none(sha256=sha256)
    return row.query if row else None


async def put(*, sha256: str, query: str) -> None:
    """Register a document (the caller has checked that the hash matches); registering twice is harmless."""
    await db.fetch("INSERT INTO persisted_query (sha256, query, created_at) VALUES (?, ?, CURRENT_TIMESTAMP) "
                   "ON CONFLICT (sha256) DO NOTHING RETURNING sha256", [sha256, query])
