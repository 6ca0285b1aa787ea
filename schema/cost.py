"""What an operation may ask for, decided before anything runs: its cost (how many objects its lists can return) and
its shape (directive piles, repeated fields, fragment fan-out).

Cost, GitHub's node count: every connection counts its page, `first` (20 when omitted, as schema.relay pages), times
the items of every list above it; a list without `first` counts its length (`nodes(ids:)` its ids, a photo list 6,
`ancestors` 4, any other a page); single objects, scalars, `totalCount`, `pageInfo` and introspection are free, and
a connection asked only for `totalCount` reads no rows. So

    orgs(first: 100) { nodes { children(first: 100) { nodes { members(first: 100) { nodes { role } } } } } }

costs 100 + 100·100 + 100·100·100. Each alias and each selected list counts (`edges` and `nodes` of one connection
are one page), fields merged by the executor count once, `@skip`/`@include` are honoured, and an interface or union
item costs what its dearest type selects. Variables are needed, so the check runs when execution starts (a schema
extension), before any resolver; validation rules never see variable values.

Shape, checked before the validation rules run, because some of them cost far more than the document's size:
graphql-core's overlapping-fields rule compares every pair of fields sharing a response key (the square of the
repeats, each pair down its whole subtree), and strawberry's depth and alias limiters (production) walk every
fragment spread afresh, without a guard against cycles or unknown names. So a document may have at most
MAX_DIRECTIVES_PER_LOCATION directives on one field, fragment or operation; at most MAX_REPEATED_FIELDS fields that
repeat a response key of their selection set (counting its inline fragments and the fields of fragments spread into
it); and at most MAX_FIELDS fields with every fragment spread replaced by its fragment. A document whose fragments are
unsound (a spread of an unknown fragment, a cycle) is validated by graphql-core's own rules only, which report it.
"""

from __future__ import annotations

import json
import logging
from collections import Counter, OrderedDict
from collections.abc import Iterator, Sequence
from typing import Any

from graphql import ExecutionResult as GraphQLExecutionResult
from graphql import (
    DocumentNode, FieldNode, FragmentDefinitionNode, FragmentSpreadNode, GraphQLError, GraphQLField,
    GraphQLIncludeDirective, GraphQLList, GraphQLNonNull, GraphQLObjectType, GraphQLSchema, GraphQLSkipDirective,
    InlineFragmentNode, OperationDefinitionNode, SelectionSetNode, get_named_type, get_operation_ast,
    is_abstract_type, is_composite_type, is_object_type, type_from_ast,
)
from graphql.execution.values import VariableValues, get_argument_values, get_directive_values, get_variable_values
from graphql.language import Visitor, visit
from graphql.validation import specified_rules
from strawberry.extensions import SchemaExtension, ValidationCache
from strawberry.schema.schema import validate_document
from strawberry.types.graphql import OperationType

from models.photo import MAX_PHOTOS
from schema.errors import ApiError, message
from schema.relay import DEFAULT_PAGE

log = logging.getLogger("jinlin.errors")

DEFAULT_MAX_COST = 10_000
# Lists that take no `first` but are shorter than a page by construction ("Type.field" -> most items).
LIST_SIZES: dict[str, int] = {
    "Org.ancestors": 4,  # a volunteer team: its branch, community, street and district (models.enums.PARENT_KINDS)
    "Order.photos": MAX_PHOTOS,
    "Opinion.photos": MAX_PHOTOS,
}
# Past this an estimate says only "far too much" (and stays a number every JSON client reads exactly).
SATURATED = 2**53 - 1
COUNT_ONLY = frozenset({"totalCount", "__typename"})  # what schema.relay.wants_rows answers without reading rows

MAX_DIRECTIVES_PER_LOCATION = 3  # @include, @skip and @defer are all one place can use (each at most once)
MAX_REPEATED_FIELDS = 30
MAX_FIELDS = 10_000  # fields in the document, once every fragment spread is replaced by the fragment


# --- cost --------------------------------------------------------------------------------------------------------

def estimate(schema: GraphQLSchema, document: DocumentNode, operation_name: str | None,
             variables: dict[str, Any] | None) -> int | None:
    """The operation's cost, or None when it cannot run anyway (no such operation, variables that do not coerce:
    graphql-core refuses those before any resolver). The document must be valid."""
    operation = get_operation_ast(document, operation_name)
    if operation is None:
        return None
    coerced = get_variable_values(schema, operation.variable_definitions or (), variables or {})
    if isinstance(coerced, list):
        return None
    root = schema.get_root_type(operation.operation)
    if root is None:
        return None
    fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
    try:
        return _Estimator(schema, fragments, coerced).selection(root, (operation.selection_set,))
    except RecursionError:  # nested past the interpreter's limit: no answer of that shape is affordable
        return SATURATED


def _add(a: int, b: int) -> int:
    return min(a + b, SATURATED)


def _times(a: int, b: int) -> int:
    return min(a * b, SATURATED)


def _is_connection(type_: Any) -> bool:
    return is_object_type(type_) and "edges" in type_.fields and "pageInfo" in type_.fields


class _Estimator:
    """Walks the operation as the executor would collect it. Costs are per one parent object and linear in it, so
    each (type, merged selection sets) pair is priced once: fragments spread a thousand times cost one walk."""

    def __init__(self, schema: GraphQLSchema, fragments: dict[str, FragmentDefinitionNode],
                 variables: VariableValues) -> None:
        self.schema = schema
        self.fragments = fragments
        self.variables = variables
        self.memo: dict[tuple[str, tuple[int, ...], int | None], int] = {}

    def selection(self, type_: GraphQLObjectType, sets: Sequence[SelectionSetNode], page: int | None = None) -> int:
        """Cost below one object of `type_` selecting `sets` (`page`: the page size when it is a connection)."""
        key = (type_.name, tuple(id(s) for s in sets), page)
        cached = self.memo.get(key)
        if cached is not None:
            return cached
        total = 0
        for nodes in self._collect(type_, sets).values():
            total = _add(total, self._field(type_, nodes, page))
        self.memo[key] = total
        return total

    def _field(self, parent: GraphQLObjectType, nodes: list[FieldNode], page: int | None) -> int:
        name = nodes[0].name.value
        definition = parent.fields.get(name)
        if definition is None or name.startswith("__"):  # __typename, and introspection (bounded by graphql-core)
            return 0
        type_ = definition.type.of_type if isinstance(definition.type, GraphQLNonNull) else definition.type
        item = get_named_type(type_)
        if not is_composite_type(item):
            return 0
        sets = [node.selection_set for node in nodes if node.selection_set]
        if page is not None and name in ("edges", "nodes"):  # a connection's own rows, counted with the connection
            return _times(page, self._item(item, sets))
        if _is_connection(item):
            if all(isinstance(s, FieldNode) and s.name.value in COUNT_ONLY for ss in sets for s in ss.selections):
                return 0
            size = self._first(definition, nodes[0])
            return _add(size, self.selection(item, sets, page=size)) if size else 0  # type: ignore[arg-type]
        if isinstance(type_, GraphQLList):
            size = self._length(parent, definition, nodes[0])
            return _times(size, _add(1, self._item(item, sets))) if size else 0
        return self._item(item, sets)

    def _item(self, type_: Any, sets: list[SelectionSetNode]) -> int:
        """Cost below one item; an interface or union item is as dear as its dearest type."""
        if is_abstract_type(type_):
            return max((self.selection(t, sets) for t in self.schema.get_possible_types(type_)), default=0)
        return self.selection(type_, sets)

    def _arguments(self, definition: GraphQLField, node: FieldNode) -> dict[str, Any]:
        try:
            return get_argument_values(definition, node, self.variables)
        except GraphQLError:  # the field fails before its resolver runs; price it as if the argument were left out
            return {}

    def _first(self, definition: GraphQLField, node: FieldNode) -> int:
        first = self._arguments(definition, node).get("first") if "first" in definition.args else None
        return DEFAULT_PAGE if first is None else max(0, first)

    def _length(self, parent: GraphQLObjectType, definition: GraphQLField, node: FieldNode) -> int:
        if "ids" in definition.args:  # nodes(ids:)
            return len(self._arguments(definition, node).get("ids") or ())
        if "first" in definition.args:
            return self._first(definition, node)
        return LIST_SIZES.get(f"{parent.name}.{node.name.value}", DEFAULT_PAGE)

    def _collect(self, type_: GraphQLObjectType, sets: Sequence[SelectionSetNode]) -> dict[str, list[FieldNode]]:
        """Fields by response key, as graphql-core's collect_fields gathers them for an object of `type_`."""
        fields: dict[str, list[FieldNode]] = {}
        visited: set[str] = set()
        stack = [iter(s.selections) for s in reversed(sets)]
        while stack:
            selection = next(stack[-1], None)
            if selection is None:
                stack.pop()
                continue
            if not self._included(selection):
                continue
            if isinstance(selection, FieldNode):
                key = selection.alias.value if selection.alias else selection.name.value
                fields.setdefault(key, []).append(selection)
            elif isinstance(selection, InlineFragmentNode):
                if self._matches(selection, type_):
                    stack.append(iter(selection.selection_set.selections))
            elif isinstance(selection, FragmentSpreadNode):
                name = selection.name.value
                fragment = self.fragments.get(name)
                if name not in visited and fragment is not None and self._matches(fragment, type_):
                    visited.add(name)
                    stack.append(iter(fragment.selection_set.selections))
        return fields

    def _included(self, node: Any) -> bool:
        if not node.directives:
            return True
        try:
            skip = get_directive_values(GraphQLSkipDirective, node, self.variables)
            include = get_directive_values(GraphQLIncludeDirective, node, self.variables)
        except GraphQLError:  # execution fails on it anyway; price it as included
            return True
        return not (skip and skip["if"]) and not (include and not include["if"])

    def _matches(self, fragment: InlineFragmentNode | FragmentDefinitionNode, type_: GraphQLObjectType) -> bool:
        if fragment.type_condition is None:
            return True
        condition = type_from_ast(self.schema, fragment.type_condition)
        return condition is type_ or (is_abstract_type(condition) and self.schema.is_sub_type(condition, type_))


_estimates: OrderedDict[tuple, int | None] = OrderedDict()


def _estimate_once(schema: GraphQLSchema, query: str | None, document: DocumentNode, operation_name: str | None,
                   variables: dict[str, Any] | None) -> int | None:
    """`estimate`, remembered per document text, operation and variables (a screen sends the same ones again)."""
    try:
        key = (schema, query, operation_name, json.dumps(variables, sort_keys=True)) if query is not None else None
    except (TypeError, ValueError):
        key = None
    if key is not None and key in _estimates:
        return _estimates[key]
    cost = estimate(schema, document, operation_name, variables)
    if key is not None:
        _estimates[key] = cost
        if len(_estimates) > 2048:
            _estimates.popitem(last=False)
    return cost


class CostLimit(SchemaExtension):
    """Refuses an operation whose cost exceeds `max_cost` before any resolver runs: QUERY_TOO_COMPLEX with the
    estimate (`cost`) and the limit (`maxCost`) in the error's extensions."""

    def __init__(self, max_cost: int = DEFAULT_MAX_COST) -> None:
        self.max_cost = max_cost

    def on_execute(self) -> Iterator[None]:
        ctx = self.execution_context
        if ctx.result is None and ctx.graphql_document is not None:  # not refused already (the token gate)
            cost = _estimate_once(ctx.schema._schema, ctx.query, ctx.graphql_document, ctx.operation_name,
                                  ctx.variables)
            if cost is not None and cost > self.max_cost:
                lang = getattr(ctx.context, "lang", "zh")
                error = ApiError("QUERY_TOO_COMPLEX", message(lang, "query_too_complex", cost=cost, max=self.max_cost),
                                 cost=cost, maxCost=self.max_cost)
                if ctx.operation_type is OperationType.SUBSCRIPTION:
                    raise error  # strawberry subscribes regardless of a preset result, but answers an error raised here
                ctx.result = GraphQLExecutionResult(data=None, errors=[error])
        yield


# --- shape -------------------------------------------------------------------------------------------------------

def shape_errors(document: DocumentNode, lang: str) -> list[GraphQLError]:
    """Directive piles, repeated fields and fragment expansion past the limits (see check_shape)."""
    return check_shape(document, lang)[0]


def check_shape(document: DocumentNode, lang: str) -> tuple[list[GraphQLError], bool]:
    """The shape errors, found in one pass over the document without following fragments, and whether its fragments
    are sound (every spread known, no cycle). Fragment spreads are then expanded once each, memoized, to size the
    document as the production depth and alias limiters walk it: spread for spread, which for fragments spreading
    each other twice per level doubles with every level."""
    fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
    errors: list[GraphQLError] = []
    repeated = 0
    first_repeat: SelectionSetNode | None = None
    own: Counter[object] = Counter()  # fields written in each definition (a fragment's name, an operation's id)
    spreads: dict[object, list[str]] = {}
    current: object = None

    class Check(Visitor):
        def enter(self, node: Any, *_: Any) -> None:
            nonlocal repeated, first_repeat, current
            directives = getattr(node, "directives", None)
            if directives and len(directives) > MAX_DIRECTIVES_PER_LOCATION and not errors:
                errors.append(GraphQLError(message(lang, "too_many_directives", count=len(directives),
                                                   max=MAX_DIRECTIVES_PER_LOCATION), [node]))
            if isinstance(node, (OperationDefinitionNode, FragmentDefinitionNode)):
                # AST nodes hash their whole subtree: an operation is keyed by its identity.
                current = node.name.value if isinstance(node, FragmentDefinitionNode) else ("operation", id(node))
                spreads.setdefault(current, [])
            elif isinstance(node, FieldNode):
                own[current] += 1
            elif isinstance(node, FragmentSpreadNode):
                spreads[current].append(node.name.value)
            elif isinstance(node, SelectionSetNode):
                direct, spread = _keys(node, fragments)
                merged = sum(spread.values(), Counter(direct))
                # Repeats inside a spread fragment are counted once, where the fragment is defined.
                extra = (sum(n - 1 for n in merged.values())
                         - sum(n - 1 for keys in spread.values() for n in keys.values()))
                if extra > 0 and first_repeat is None:
                    first_repeat = node
                repeated += extra

    visit(document, Check())
    if repeated > MAX_REPEATED_FIELDS:
        errors.append(GraphQLError(message(lang, "too_many_repeats", count=repeated, max=MAX_REPEATED_FIELDS),
                                   [first_repeat] if first_repeat else None))
    expanded, sound = _expanded_size(own, spreads, set(fragments))
    if sound and expanded > MAX_FIELDS:
        errors.append(GraphQLError(message(lang, "too_many_fields", count=expanded, max=MAX_FIELDS)))
    return errors, sound


def _expanded_size(own: Counter[object], spreads: dict[object, list[str]], fragments: set[str]) -> tuple[int, bool]:
    """Fields of all operations with every spread replaced by its fragment (saturating), and whether every spread
    names a fragment and none reaches itself. Depth-first without recursion; each fragment is sized once."""
    sizes: dict[str, int] = {}
    sound = True
    for root in fragments:
        if root in sizes:
            continue
        path = [(root, iter(spreads.get(root, ())))]
        on_path = {root}
        while path:
            name, pending = path[-1]
            spread = next(pending, None)
            if spread is None:
                path.pop()
                on_path.discard(name)
                sizes[name] = min(SATURATED, own[name] + sum(sizes.get(s, 0) for s in spreads.get(name, ())))
            elif spread not in fragments or spread in on_path:
                sound = False
            elif spread not in sizes:
                path.append((spread, iter(spreads.get(spread, ()))))
                on_path.add(spread)
    total = 0
    for key, names in spreads.items():
        if not isinstance(key, str):  # an operation
            total = min(SATURATED, total + own[key] + sum(sizes.get(s, 0) for s in names))
            sound = sound and all(s in fragments for s in names)
    return total, sound


def _keys(selection_set: SelectionSetNode, fragments: dict[str, FragmentDefinitionNode]
          ) -> tuple[Counter[str], dict[str, Counter[str]]]:
    """Response keys of a selection set with its inline fragments, and those of each distinct fragment spread into
    it (one level: a spread inside that fragment is counted where the fragment is defined)."""
    own: Counter[str] = Counter()
    spread: dict[str, Counter[str]] = {}
    stack: list[tuple[Iterator[Any], Counter[str], bool]] = [(iter(selection_set.selections), own, True)]
    while stack:
        selections, keys, follow = stack[-1]
        selection = next(selections, None)
        if selection is None:
            stack.pop()
        elif isinstance(selection, FieldNode):
            keys[selection.alias.value if selection.alias else selection.name.value] += 1
        elif isinstance(selection, InlineFragmentNode):
            stack.append((iter(selection.selection_set.selections), keys, follow))
        elif isinstance(selection, FragmentSpreadNode) and follow and selection.name.value not in spread:
            fragment = fragments.get(selection.name.value)
            spread[selection.name.value] = Counter()
            if fragment is not None:
                stack.append((iter(fragment.selection_set.selections), spread[selection.name.value], False))
    return own, spread


class ShapedValidation(ValidationCache):
    """strawberry's validation cache, after the shape check. A document past a shape limit is refused
    (GRAPHQL_VALIDATION_FAILED) without running the validation rules at all; one whose fragments are unsound (an
    unknown spread, a cycle) is validated by graphql-core's own rules only, which report it, since strawberry's depth
    and alias limiters recurse through fragments unguarded (a KeyError, a RecursionError). A rule that fails all the
    same is logged and the document refused, never answered with the exception's text."""

    # A document's shape verdict, per document text and language (the same few documents arrive again and again).
    shapes: dict[tuple[str, str], tuple[list[GraphQLError], bool]] = {}
    # Validation errors per schema, document text and rules: strawberry's cache keys on the parsed document, whose
    # hash walks the whole tree on every request.
    validated: OrderedDict[tuple, list[GraphQLError]] = OrderedDict()

    def _validate(self, schema: Any, query: str | None, document: DocumentNode, rules: tuple) -> list[GraphQLError]:
        if query is None:
            return self.cached_validate_document(schema, document, rules)
        # By rule name: production's limiters build their rule classes afresh for every request (the same rules,
        # configured from the same settings), so the classes themselves would never match.
        key = (schema, query, tuple(rule.__qualname__ for rule in rules))
        errors = self.validated.get(key)
        if errors is None:
            errors = self.validated[key] = validate_document(schema, document, rules)
            if len(self.validated) > 1024:
                self.validated.popitem(last=False)
        return errors

    def on_validate(self) -> Iterator[None]:
        ctx = self.execution_context
        document = ctx.graphql_document
        if document is None:
            yield
            return
        lang = getattr(ctx.context, "lang", "zh")
        shape = self.shapes.get((ctx.query, lang)) if ctx.query is not None else None
        if shape is None:
            shape = check_shape(document, lang)
            if ctx.query is not None and len(self.shapes) < 4096:
                self.shapes[(ctx.query, lang)] = shape
        errors, sound = shape
        if not errors:
            rules = ctx.validation_rules if sound else tuple(r for r in ctx.validation_rules if r in specified_rules)
            try:
                errors = self._validate(ctx.schema._schema, ctx.query, document, tuple(rules))
            except Exception:
                log.exception("validation failed on a document (refused)")
                errors = [GraphQLError("Validation aborted.")]
        ctx.pre_execution_errors = errors
        yield


__all__ = ["CostLimit", "DEFAULT_MAX_COST", "ShapedValidation", "estimate", "shape_errors"]
