"""GraphQL inputs and payloads for signing up, logging in, refreshing and logging out."""

from __future__ import annotations

import strawberry

from schema.errors import UserError
from schema.user import User


@strawberry.input
class SignUpInput:
    phone: str = strawberry.field(description="11-digit mainland mobile number; it is the login name.")
    password: str = strawberry.field(description="8 to 128 characters.")
    display_name: str


@strawberry.input
class LoginInput:
    phone: str
    password: str


@strawberry.input
class RefreshTokenInput:
    refresh_token: str


@strawberry.input
class LogoutInput:
    refresh_token: str


@strawberry.type(description="A new token pair: access (15 min) for `Authorization: Bearer`, refresh (30 days, "
                             "single use) for `refreshToken`.")
class AuthPayload:
    access_token: str | None = None
    refresh_token: str | None = None
    user: User | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class LogoutPayload:
    ok: bool = False
    errors: list[UserError] = strawberry.field(default_factory=list)
