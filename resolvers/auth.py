"""signUp, login, refreshToken, logout: accounts and rotating refresh-token families."""

from __future__ import annotations

import uuid
import strawberry
from tortoise.transactions import in_transaction

from auth import passwords, tokens
from auth.tokens import InvalidToken, TokenType
from jinlin.rate_limit import account_attempt
from models import user as user_model
from resolvers.common import audit_target, check_phone, check_text
from schema.auth import AuthPayload, LoginInput, LogoutInput, LogoutPayload, RefreshTokenInput, SignUpInput
from schema.errors import ApiError, ErrorCode, message, user_error
from schema.user import User

from schema.context import Context

Info = strawberry.Info[Context, None]


async def _issue_pair(ctx: Context, user: user_model.User, family: str | None = None) -> AuthPayload:
    """Sign an access token and a refresh token of the given (or a new) family, and remember the refresh token.

    The account is the actor of the audit row: the request came without an access token, but it is them."""
    audit_target(ctx, actor_id=user.id)
    family = family or uuid.uuid4().hex
    access, _ = tokens.issue(ctx.settings, user_id=user.id, typ=TokenType.ACCESS)
    refresh, claims = tokens.issue(ctx.settings, user_id=user.id, typ=TokenType.REFRESH, family=family)
    await user_model.store_refresh(jti=claims.jti, family=family, user_id=user.id, expires_at=claims.expires_at)
    return AuthPayload(access_token=access, refresh_token=refresh,
                       user=User.from_model(user, authenticated_self=True))


def _refresh_refused(ctx: Context) -> ApiError:
    return ApiError("UNAUTHENTICATED", message(ctx.lang, "refresh_invalid"))


async def sign_up(info: Info, input: SignUpInput) -> AuthPayload:
    """Create an account; the phone number is the login name and must be unique."""
    ctx = info.context
    errors: list = []
    phone = check_phone(ctx, errors, "phone", input.phone)
    name = check_text(ctx, errors, "displayName", input.display_name, min_len=1, max_len=50)
    if not (8 <= len(input.password) <= 128):
        errors.append(user_error(ctx.lang, ErrorCode.INVALID, ["password"], "password"))
    if errors:
        return AuthPayload(errors=errors)
    refused = await account_attempt(ctx, "phone", phone)
    if refused is not None:
        return AuthPayload(errors=[refused])
    user = await user_model.create(
        phone=phone, display_name=name, password_hash=await passwords.hash_password(input.password)
    )
    if user is None:
        return AuthPayload(errors=[user_error(ctx.lang, ErrorCode.DUPLICATE, ["phone"], "phone_taken")])
    return await _issue_pair(ctx, user)


async def login(info: Info, input: LoginInput) -> AuthPayload:
    """Log in by phone and password; every attempt is recorded first, so racing guesses cannot pass the limit.
    Besides the limit on wrong passwords, the phone's attempts of any outcome are rate limited (with signUp's)."""
    ctx = info.context
    settings = ctx.settings
    phone = check_phone(ctx, [], "phone", input.phone)
    refused = await account_attempt(ctx, "phone", phone)
    if refused is not None:
        return AuthPayload(errors=[refused])
    now = tokens.now()
    await user_model.record_failure(phone=phone, at=now, forget_before=now - settings.login_window)
    attempts = await user_model.recent_failures(phone=phone, since=now - settings.login_window)
    if attempts > settings.login_max_failures:
        minutes = int(settings.login_window.total_seconds() // 60)
        return AuthPayload(errors=[user_error(ctx.lang, ErrorCode.RATE_LIMITED, None, "login_throttled",
                                              minutes=minutes)])
    user = await user_model.get_by_phone(phone=phone)
    ok = await passwords.verify_password(input.password[:128], user.password_hash if user else None)
    if user is None or not ok:
        return AuthPayload(errors=[user_error(ctx.lang, ErrorCode.WRONG_CREDENTIALS, ["password"],
                                              "wrong_credentials")])
    await user_model.clear_failures(phone=phone)
    return await _issue_pair(ctx, user)


async def refresh_token(info: Info, input: RefreshTokenInput) -> AuthPayload:
    """Trade a refresh token for a new pair; a token presented twice revokes its whole family."""
    ctx = info.context
    try:
        claims = tokens.verify(ctx.settings, input.refresh_token, typ=TokenType.REFRESH)
    except InvalidToken:
        raise _refresh_refused(ctx) from None
    # Limited per login (token family) before the token is spent: a refused refresh may retry with the same token.
    refused = await account_attempt(ctx, "family", claims.family or f"user:{claims.user_id}")
    if refused is not None:
        return AuthPayload(errors=[refused])
    now = tokens.now()
    async with in_transaction():
        spent = await user_model.spend_refresh(jti=claims.jti, now=now)
        if spent:
            user = await user_model.get(user_id=claims.user_id)
            if user is not None:
                return await _issue_pair(ctx, user, family=claims.family)
    stored = await user_model.get_refresh(jti=claims.jti)
    if stored is not None and stored.spent_at is not None:
        await user_model.revoke_family(family=stored.family, now=now)
    raise _refresh_refused(ctx)


async def logout(info: Info, input: LogoutInput) -> LogoutPayload:
    """Revoke the refresh token's family (this login on this device); access tokens lapse within 15 minutes."""
    ctx = info.context
    try:
        claims = tokens.verify(ctx.settings, input.refresh_token, typ=TokenType.REFRESH)
    except InvalidToken:
        raise _refresh_refused(ctx) from None
    audit_target(ctx, actor_id=claims.user_id)
    await user_model.revoke_family(family=claims.family or "", now=tokens.now())
    return LogoutPayload(ok=True)
