"""Related rows fetched in a list's own statement: a JOIN selects them under a prefix, and `joined` splits them back
into model instances (a page of projects with their orgs, of orders with their latest events, in one statement)."""

from __future__ import annotations

from functools import cache
from typing import Any, TypeVar

from tortoise.models import Model

M = TypeVar("M", bound=Model)


@cache
def _columns(model: type[Model]) -> tuple[str, ...]:
    """The model's database columns, as `SELECT *` names them."""
    return tuple(model._meta.fields_db_projection.values())


@cache
def columns(model: type[Model], alias: str, prefix: str) -> str:
    """`alias."col" AS "prefixcol", ...` for every column of a model joined as `alias`."""
    return ", ".join(f'{alias}."{column}" AS "{prefix}{column}"' for column in _columns(model))


def joined(model: type[M], row: dict[str, Any], prefix: str, seen: dict[Any, M] | None = None) -> M | None:
    """The instance a row carries under `prefix` (None: the outer join found none), shared via `seen` if given."""
    key = row[prefix + model._meta.db_pk_column]
    if key is None:
        return None
    if seen is not None and key in seen:
        return seen[key]
    instance = model._init_from_db(**{column: row[prefix + column] for column in _columns(model)})
    if seen is not None:
        seen[key] = instance
    return instance
