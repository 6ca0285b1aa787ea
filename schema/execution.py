"""graphql-core's executor with a short way through the fields that are plain attributes: a screen's 20 rows are
mostly such fields (titles, counts, statuses), and graphql-core spends more on each (resolve info, the resolver
wrapper, awaitable checks, three levels of value completion) than on anything else in a request.

A field takes the short way when strawberry marked its resolver as the default one (no resolver, no extensions, no
permission classes), it has no arguments in the document and its type is a scalar or enum: its value is read with
`getattr` and coerced by the type's own `coerce_output_value`, exactly what the long way ends with. Anything else,
including a null in a non-null field or a value the type refuses, goes the long way and fails as it always did.
"""

from __future__ import annotations

from typing import Any

from graphql import GraphQLNonNull, GraphQLObjectType, is_leaf_type
from graphql.execution.collect_fields import FieldDetailsList
from graphql.pyutils import AwaitableOrValue, Path, Undefined, UndefinedType
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext
from strawberry.schema.schema_converter import GraphQLCoreConverter

# (attribute, leaf type, non-null) of a plain field, or None for a field that must go the long way.
Plan = tuple[str, Any, bool] | None
_MISSING = object()


class PlainFieldExecution(StrawberryGraphQLCoreExecutionContext):
    """strawberry's execution context, reading plain scalar fields straight off the source object."""

    plans: dict[tuple[GraphQLObjectType, str], Plan] = {}

    def execute_field(
        self,
        parent_type: GraphQLObjectType,
        source: Any,
        field_details_list: FieldDetailsList,
        path: Path,
        position_context: Any,
    ) -> AwaitableOrValue[Any] | UndefinedType:
        node = field_details_list[0].node
        key = (parent_type, node.name.value)
        plan = self.plans.get(key, _MISSING)
        if plan is _MISSING:
            plan = self.plans[key] = self._plan(parent_type, node.name.value)
        manager = self.middleware_manager  # strawberry's is empty unless an extension wraps every resolver
        if plan is not None and not node.arguments and (manager is None or not manager.middlewares):
            attribute, leaf, non_null = plan  # type: ignore[misc]
            try:
                value = getattr(source, attribute)
                if value is None:
                    if not non_null:
                        return None
                else:
                    coerced = leaf.coerce_output_value(value)
                    if coerced is not None and coerced is not Undefined:
                        return coerced
            except Exception:  # noqa: BLE001 - the long way reports it as a field error, with its path
                pass
        return super().execute_field(parent_type, source, field_details_list, path, position_context)

    def _plan(self, parent_type: GraphQLObjectType, name: str) -> Plan:
        field_def = self.schema.get_field(parent_type, name)
        if field_def is None or not getattr(field_def.resolve, "_is_default", False):
            return None
        definition = (field_def.extensions or {}).get(GraphQLCoreConverter.DEFINITION_BACKREF)
        attribute = getattr(definition, "python_name", None)
        field_type = field_def.type
        non_null = isinstance(field_type, GraphQLNonNull)
        leaf = field_type.of_type if non_null else field_type
        if attribute is None or not is_leaf_type(leaf):
            return None
        return attribute, leaf, non_null
