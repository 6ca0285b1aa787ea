"""Schema extensions: caches, production limits, and the error policy (mask the unexpected, keep the deliberate)."""

from __future__ import annotations

import logging
from collections.abc import Callable

from graphql import GraphQLError
from graphql.validation import NoSchemaIntrospectionCustomRule
from strawberry.extensions import (
    AddValidationRules, MaskErrors, MaxAliasesLimiter, MaxTokensLimiter, ParserCache, QueryDepthLimiter,
    SchemaExtension, ValidationCache,
)

from jinlin.settings import Settings
from schema.errors import MESSAGES

log = logging.getLogger("jinlin.errors")


def _expected(error: GraphQLError) -> bool:
    """Validation, parse, auth and argument errors are meant for the client; anything else is a fault."""
    original = error.original_error
    return original is None or isinstance(original, GraphQLError)


class ErrorPolicy(MaskErrors):
    """Masks unexpected faults as `INTERNAL` (logging them with the traceback) and labels the rest with a code."""

    def __init__(self) -> None:
        super().__init__(should_mask_error=lambda error: not _expected(error),
                         error_message=" / ".join(MESSAGES["internal"]))

    def anonymise_error(self, error: GraphQLError) -> GraphQLError:
        log.error("unexpected error at %s", error.path, exc_info=error.original_error)
        masked = super().anonymise_error(error)
        masked.extensions = {"code": "INTERNAL"}
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
    extensions: list = [lambda: ParserCache(maxsize=512), lambda: ValidationCache(maxsize=512)]
    if settings.production:
        extensions += [
            lambda: AddValidationRules([NoSchemaIntrospectionCustomRule]),
            lambda: QueryDepthLimiter(max_depth=settings.max_query_depth),
            lambda: MaxAliasesLimiter(max_alias_count=settings.max_aliases),
            lambda: MaxTokensLimiter(max_token_count=settings.max_tokens),
        ]
    extensions.append(ErrorPolicy)
    return extensions
