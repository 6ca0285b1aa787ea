"""GraphQL over HTTP's request shape where strawberry's parsing leaves gaps: a JSON body that is not an object, and
`operationName` (a string, and the empty string means none)."""

from __future__ import annotations

from cross_web import HTTPException
from strawberry.http import GraphQLRequestData
from strawberry.http.parse_content_type import parse_content_type

NOT_AN_OBJECT = "The GraphQL request must be a JSON object"
BAD_OPERATION_NAME = "The GraphQL operation's `operationName` must be a string or null, if provided."


async def require_object_body(request_adapter: object, parse_json: object) -> None:
    """Refuse (400) a JSON POST body that is a scalar (`"x"`, `1`, `null`), which strawberry would answer with a 500.
    A body that starts like an object or a list (every real request) is left for strawberry to parse, once."""
    if request_adapter.method != "POST":  # type: ignore[attr-defined]
        return
    content_type, _ = parse_content_type(request_adapter.content_type or "")  # type: ignore[attr-defined]
    if "application/json" not in content_type:  # strawberry's own test for a JSON body
        return
    body = await request_adapter.get_body()  # type: ignore[attr-defined]  # starlette keeps it for the view
    if body.lstrip()[:1] in (b"{", b"["):
        return
    if not isinstance(parse_json(body), (dict, list)):  # type: ignore[operator]  # broken JSON: its own 400
        raise HTTPException(400, NOT_AN_OBJECT)


def check_operation_name(data: GraphQLRequestData) -> GraphQLRequestData:
    """`operationName` must be a string or null; the empty string is the same as leaving it out (the spec says so)."""
    if data.operation_name == "":
        data.operation_name = None
    elif data.operation_name is not None and not isinstance(data.operation_name, str):
        raise HTTPException(400, BAD_OPERATION_NAME)
    return data
