"""schema/execution.py: plain scalar fields read straight off the object give exactly the answers (and errors) of
graphql-core's long way."""

from __future__ import annotations

from enum import Enum

import strawberry

from schema.execution import PlainFieldExecution


@strawberry.enum
class Colour(Enum):
    RED = "red"


@strawberry.type
class Item:
    name: str
    size: int | None
    colour: Colour
    weight: float

    @strawberry.field
    def label(self, upper: bool = False) -> str:
        return self.name.upper() if upper else self.name


@strawberry.type
class Query:
    @strawberry.field
    def items(self) -> list[Item | None]:
        return [Item(name="a", size=None, colour=Colour.RED, weight=1.5),
                Item(name=None, size=2, colour=Colour.RED, weight=2.0)]  # type: ignore[arg-type]


DOCUMENT = "{ items { name size colour weight label(upper: true) } }"


async def _both() -> tuple[object, object]:
    fast = strawberry.Schema(query=Query, execution_context_class=PlainFieldExecution)
    slow = strawberry.Schema(query=Query)
    return await fast.execute(DOCUMENT), await slow.execute(DOCUMENT)


async def test_plain_fields_answer_as_the_long_way_does() -> None:
    fast, slow = await _both()
    assert fast.data == slow.data == {"items": [
        {"name": "a", "size": None, "colour": "RED", "weight": 1.5, "label": "A"}, None]}


async def test_a_null_in_a_non_null_plain_field_is_the_same_error() -> None:
    fast, slow = await _both()
    assert [(e.message, e.path) for e in fast.errors] == [(e.message, e.path) for e in slow.errors] == [
        ("Cannot return null for non-nullable field Item.name.", ["items", 1, "name"])]


def test_only_plain_leaf_fields_take_the_short_way() -> None:
    plans = {f"{parent.name}.{name}": plan for (parent, name), plan in PlainFieldExecution.plans.items()
             if parent.name == "Item"}
    assert {name for name, plan in plans.items() if plan is not None} == {
        "Item.name", "Item.size", "Item.colour", "Item.weight"}
    assert plans["Item.label"] is None
