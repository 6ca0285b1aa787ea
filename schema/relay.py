"""Relay plumbing: opaque global ids, the `Node` interface, and keyset-cursor connections with `totalCount`."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Awaitable, Callable, Sequence
from typing import Generic, TypeVar

import strawberry
from strawberry.types.nodes import SelectedField, Selection

from schema.errors import invalid_argument

DEFAULT_PAGE = 20
MAX_PAGE = 100
# Primary keys are 32-bit (IntField is `integer` on PostgreSQL): a larger number in an id or a cursor would make
# the driver fail instead of finding nothing.
MAX_PK = 2**31 - 1

T = TypeVar("T")


def to_global_id(type_name: str, pk: int) -> str:
    """`Org:12` -> base64, opaque to clients."""
    return base64.b64encode(f"{type_name}:{pk}".encode()).decode()


def from_global_id(global_id: str) -> tuple[str, int] | None:
    """Decode a global id; None for anything malformed (callers answer null / NOT_FOUND, never a crash)."""
    try:
        type_name, _, raw = base64.b64decode(global_id.encode(), validate=True).decode().partition(":")
        pk = int(raw)
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None
    if not type_name or pk <= 0 or pk > MAX_PK:
        return None
    return type_name, pk


def pk_of(global_id: str | None, type_name: str) -> int | None:
    """The primary key behind a global id of the expected type, else None."""
    if global_id is None:
        return None
    decoded = from_global_id(global_id)
    if decoded is None or decoded[0] != type_name:
        return None
    return decoded[1]


@strawberry.interface(description="An object with a global id, fetchable with `node(id:)`.")
class Node:
    id: strawberry.ID


@strawberry.type(description="Where a page ends and whether another follows.")
class PageInfo:
    has_next_page: bool
    end_cursor: str | None
    has_previous_page: bool = False
    start_cursor: str | None = None


@strawberry.type
class Edge(Generic[T]):
    cursor: str
    node: T


@strawberry.type(description="A page of a list; cursors are keyset positions, stable when rows are inserted.")
class Connection(Generic[T]):
    edges: list[Edge[T]]
    page_info: PageInfo
    _total: strawberry.Private[Callable[[], Awaitable[int]]]

    @strawberry.field(description="The objects of this page (the same as `edges { node }`).")
    def nodes(self) -> list[T]:
        return [edge.node for edge in self.edges]

    @strawberry.field(description="How many objects the whole list holds.")
    async def total_count(self) -> int:
        return await self._total()


def encode_cursor(key: int) -> str:
    """A cursor is the opaque sort key of the row it stands for."""
    return base64.b64encode(f"k:{key}".encode()).decode()


def decode_cursor(cursor: str | None, lang: str) -> int | None:
    """The sort key behind `after`; a malformed cursor is an INVALID argument."""
    if cursor is None:
        return None
    try:
        prefix, _, raw = base64.b64decode(cursor.encode(), validate=True).decode().partition(":")
        key = int(raw)
        if prefix != "k" or abs(key) > MAX_PK:
            raise ValueError(cursor)
        return key
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise invalid_argument(lang, "after", "bad_cursor") from None


def encode_pair_cursor(major: int, minor: int) -> str:
    """A cursor for lists sorted by two keys (a day, then an id)."""
    return base64.b64encode(f"p:{major}:{minor}".encode()).decode()


def decode_pair_cursor(cursor: str | None, lang: str) -> tuple[int, int] | None:
    """The two sort keys behind `after`; a malformed cursor is an INVALID argument."""
    if cursor is None:
        return None
    try:
        prefix, major, minor = base64.b64decode(cursor.encode(), validate=True).decode().split(":")
        keys = int(major), int(minor)
        if prefix != "p" or any(abs(key) > MAX_PK for key in keys):
            raise ValueError(cursor)
        return keys
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise invalid_argument(lang, "after", "bad_cursor") from None


def page_size(first: int | None, lang: str) -> int:
    """`first` defaults to 20 and must lie in 0..100."""
    if first is None:
        return DEFAULT_PAGE
    if first < 0 or first > MAX_PAGE:
        raise invalid_argument(lang, "first", "first_range", max=MAX_PAGE)
    return first


_COUNT_ONLY = frozenset({"totalCount", "__typename"})


def wants_rows(info: strawberry.Info) -> bool:
    """False when a connection is asked only for `totalCount`: then its page query is skipped."""
    for selected in info.selected_fields:
        for selection in selected.selections:
            if not isinstance(selection, SelectedField) or selection.name not in _COUNT_ONLY:
                return True
    return False


def node_fields(info: strawberry.Info) -> frozenset[str]:
    """The fields asked of a connection's objects (under `nodes` and `edges { node }`): the look-ahead that lets a
    list resolver fetch related rows in its page's own statement instead of a loader's statement afterwards."""
    names: set[str] = set()
    for selected in info.selected_fields:
        for field in _flatten(selected.selections):
            if field.name == "nodes":
                names.update(f.name for f in _flatten(field.selections))
            elif field.name == "edges":
                for node in _flatten(field.selections):
                    if node.name == "node":
                        names.update(f.name for f in _flatten(node.selections))
    return frozenset(names)


def _flatten(selections: Sequence[Selection]) -> list[SelectedField]:
    """The fields among selections, those inside fragments (inline and named) included."""
    fields: list[SelectedField] = []
    for selection in selections:
        if isinstance(selection, SelectedField):
            fields.append(selection)
        else:
            fields += _flatten(selection.selections)
    return fields


def deferred(awaitable: Awaitable[T]) -> T:
    """An awaitable returned, typed as its result, by a sync field resolver that has no value at hand: graphql-core
    awaits whatever a resolver returns that is awaitable. So a field resolves synchronously (no task, no loader)
    when a list resolver fetched its value with the row, and falls back to a loader otherwise."""
    return awaitable  # type: ignore[return-value]


def connection(
    rows: Sequence[object],
    *,
    first: int,
    convert: Callable[[object], T],
    total: Callable[[], Awaitable[int]],
    key: Callable[[object], int] = lambda row: row.id,  # type: ignore[attr-defined]
    cursor: Callable[[object], str] | None = None,
) -> Connection[T]:
    """Build a connection from `first + 1` fetched rows: the extra row only says that another page follows."""
    page = rows[:first]
    make_cursor = cursor or (lambda row: encode_cursor(key(row)))
    edges = [Edge(cursor=make_cursor(row), node=convert(row)) for row in page]
    return Connection(
        edges=edges,
        page_info=PageInfo(has_next_page=len(rows) > first, end_cursor=edges[-1].cursor if edges else None),
        _total=total,
    )
