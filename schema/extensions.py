"""Schema extensions: caches, production limits, and the error policy (mask the unexpected, keep the deliberate)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import strawberry

from graphql import ExecutionResult as GraphQLExecutionResult
from graphql import FieldNode, GraphQLError, get_operation_ast
from graphql.validation import NoSchemaIntrospectionCustomRule
from strawberry.extensions import (
    AddValidationRules, MaskErrors, MaxAliasesLimiter, MaxTokensLimiter, ParserCache, QueryDepthLimiter,
    SchemaExtension,
)
from strawberry.extensions.field_extension import FieldExtension
from starlette.websockets import WebSocket
from strawberry.types import ExecutionContext
from strawberry.types.graphql import OperationType

from jinlin import events
from jinlin.settings import Settings
from schema import cost
from schema.errors import ApiError, message

log = logging.getLogger("jinlin.errors")


def _expected(error: GraphQLError) -> bool:
    """Validation, parse, auth and argument errors are meant for the client; anything else is a fault."""
    original = error.original_error
    return original is None or isinstance(original, GraphQLError)


class CachedParser(ParserCache):
    """ParserCache that leaves a failing document to strawberry's own parse, so syntax errors (and the token
    limit) reach the error policy: raised from ParserCache's hook they would skip every `on_operation`."""

    def on_parse(self) -> Iterator[None]:
        ctx = self.execution_context
        try:
            ctx.graphql_document = self.cached_parse_document(ctx.query, **ctx.parse_options)
        except GraphQLError:
            ctx.graphql_document = None  # strawberry parses again and reports the error inside the operation
        yield


# What an app sends while its access token is stale: these work (as anonymous) despite a bad Authorization header.
TOKEN_FREE_FIELDS = frozenset({"login", "signUp", "refreshToken", "logout"})


def _root_fields(execution_context: ExecutionContext) -> set[str] | None:
    """Names of the operation's root fields; None when fragments make them unclear (then nothing is exempt)."""
    document = execution_context.graphql_document
    operation = get_operation_ast(document, execution_context.operation_name) if document else None
    if operation is None:
        return None
    names = set()
    for selection in operation.selection_set.selections:
        if not isinstance(selection, FieldNode):
            return None
        names.add(selection.name.value)
    return names


class TokenGate(SchemaExtension):
    """Refuses every operation that came with a bad access token (UNAUTHENTICATED), except logging in or out."""

    def on_execute(self) -> Iterator[None]:
        ctx = self.execution_context.context
        if getattr(getattr(ctx, "viewer", None), "token_error", False):
            fields = _root_fields(self.execution_context)
            if fields is None or not fields <= TOKEN_FREE_FIELDS:
                if ctx.response is not None:
                    ctx.response.headers["WWW-Authenticate"] = 'Bearer error="invalid_token"'
                error = ApiError("UNAUTHENTICATED", message(ctx.lang, "token_invalid"))
                self.execution_context.result = GraphQLExecutionResult(data=None, errors=[error])
        yield


class Transports(SchemaExtension):
    """Each transport carries what it is for: subscriptions over the websocket only (queries and mutations go over
    HTTP, where retries are idempotent, answers cacheable, limits apply and the token is read per request), and
    never over HTTP."""

    def on_execute(self) -> Iterator[None]:
        ctx = self.execution_context.context
        over_socket = isinstance(getattr(ctx, "request", None), WebSocket)
        subscription = self.execution_context.operation_type is OperationType.SUBSCRIPTION
        error = None
        if subscription and not over_socket:
            error = ApiError("SUBSCRIPTION_NEEDS_WEBSOCKET", message(ctx.lang, "subscription_needs_websocket"))
        elif over_socket and not subscription:
            error = ApiError("OPERATION_NEEDS_HTTP", message(ctx.lang, "operation_needs_http"))
        if error is not None:
            self.execution_context.result = GraphQLExecutionResult(data=None, errors=[error])
        yield


class LiveEvents(SchemaExtension):
    """Publishes the changes an operation named (jinlin.events.emit) once it has finished, so subscribers never
    re-read an object before the transaction that changed it has committed."""

    async def on_operation(self) -> AsyncIterator[None]:
        bus = getattr(self.execution_context.context, "bus", None)
        if bus is None:
            yield
            return
        async with events.collecting(bus):
            yield


class ErrorPolicy(MaskErrors):
    """Masks unexpected faults as `INTERNAL` (logging them with the traceback) and labels the rest with a code."""

    def __init__(self) -> None:
        super().__init__(should_mask_error=lambda error: not _expected(error))

    def anonymise_error(self, error: GraphQLError) -> GraphQLError:
        log.error("unexpected error at %s", error.path, exc_info=error.original_error)
        lang = getattr(self.execution_context.context, "lang", "zh")
        masked = GraphQLError(message(lang, "internal"), nodes=error.nodes, source=error.source,
                              positions=error.positions, path=error.path, extensions={"code": "INTERNAL"})
        return masked

    def _process_errors(self, errors: list[GraphQLError]) -> list[GraphQLError]:
        processed = super()._process_errors(errors)
        for error in processed:
            if not (error.extensions or {}).get("code"):
                failed = "PARSE" if error.message.startswith("Syntax Error") else "VALIDATION"
                error.extensions = {**(error.extensions or {}), "code": f"GRAPHQL_{failed}_FAILED"}
        return processed


def build(settings: Settings) -> list[SchemaExtension | type[SchemaExtension] | Callable[[], SchemaExtension]]:
    """Extensions for the settings: production adds no-introspection and depth, alias and token limits."""
    # The validation cache checks the document's shape first (schema.cost: directive piles, repeated fields,
    # fragment fan-out), and leaves documents with unsound fragments to graphql-core's own rules.
    extensions: list = [lambda: CachedParser(maxsize=512), lambda: cost.ShapedValidation(maxsize=512)]
    if settings.production:
        extensions += [
            lambda: AddValidationRules([NoSchemaIntrospectionCustomRule]),
            lambda: QueryDepthLimiter(max_depth=settings.max_query_depth),
            lambda: MaxAliasesLimiter(max_alias_count=settings.max_aliases),
            lambda: MaxTokensLimiter(max_token_count=settings.max_tokens),
        ]
    # The cost limit applies everywhere (phones use development servers too); it runs after the token gate.
    extensions += [TokenGate, Transports, lambda: cost.CostLimit(settings.max_query_cost), LiveEvents, ErrorPolicy]
    return extensions


def _outcome(payload: object) -> str:
    errors = getattr(payload, "errors", None) or []
    return ",".join(dict.fromkeys(error.code.value for error in errors)) or "OK"


def _touched(payload: object) -> tuple[str | None, int | None]:
    """The first object a payload carries (its global id), and the org it belongs to when that is evident."""
    for name in getattr(payload, "__dataclass_fields__", {}):
        value = getattr(payload, name, None)
        object_id = getattr(value, "id", None)
        if isinstance(object_id, str) and hasattr(value, "pk"):
            org_id = value.pk if type(value).__name__ == "Org" else getattr(value, "org_id", None)
            return object_id, org_id if isinstance(org_id, int) else None
    return None, None


class Audited(FieldExtension):
    """Appends one audit row per mutation call: actor, org, action, object id, time and outcome."""

    async def resolve_async(self, next_: Callable[..., Any], source: Any, info: strawberry.Info, **kwargs: Any) -> Any:
        from models import audit as audit_model

        ctx = info.context
        outcome, payload = "INTERNAL", None
        try:
            payload = await next_(source, info, **kwargs)
            outcome = _outcome(payload)
            return payload
        except GraphQLError as error:
            outcome = str((error.extensions or {}).get("code") or "INVALID")
            raise
        except asyncio.CancelledError:  # cut off (jinlin.timeouts): its transaction rolled back
            outcome = "CANCELLED"
            raise
        finally:
            object_id, org_id = _touched(payload)
            note = ctx.audit
            try:
                await audit_model.record(actor_id=note.actor_id or ctx.viewer.user_id, org_id=note.org_id or org_id,
                                         action=info.field_name, object_id=note.object_id or object_id,
                                         outcome=outcome)
            except Exception:  # the audit must never turn a done change into a failure
                log.exception("could not write the audit row for %s", info.field_name)
            ctx.audit.org_id = ctx.audit.object_id = ctx.audit.actor_id = None

    def resolve(self, next_: Callable[..., Any], source: Any, info: strawberry.Info, **kwargs: Any) -> Any:
        raise NotImplementedError("mutations are async")
