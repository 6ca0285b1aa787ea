"""Rotating JINLIN_SECRET_KEY without logging anyone out: with the old key as JINLIN_SECRET_KEY_PREVIOUS, tokens it
signed still work until they expire and a refresh hands out a pair signed with the new key; nothing is signed with
the old one, and once it is dropped its tokens are refused."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import timedelta

import jwt
import pytest

from auth import tokens
from auth.tokens import InvalidToken, TokenType
from jinlin import settings as settings_module
from jinlin.settings import Settings, SettingsError
from models import user as user_model
from tests.conftest import SECRET, Api, make_settings

NEW_KEY = "the-new-signing-key-after-rotation-0123456789"
OLD = replace(make_settings(), secret_key=SECRET)
ROTATED = replace(make_settings(), secret_key=NEW_KEY, secret_key_previous=SECRET)
AFTERWARDS = replace(make_settings(), secret_key=NEW_KEY)

REFRESH = """
mutation($input: RefreshTokenInput!) { refreshToken(input: $input) { accessToken refreshToken errors { code } } }"""


@pytest.fixture
def settings() -> Settings:
    """The app under test runs mid-rotation: the new key, and the old one as the previous key."""
    return ROTATED


def _signed_with(token: str, key: str) -> bool:
    try:
        jwt.decode(token, key, algorithms=["HS256"], options={"verify_aud": False, "verify_exp": False})
    except jwt.InvalidSignatureError:
        return False
    return True


def test_verify_accepts_the_previous_key_and_issues_with_the_new_one() -> None:
    old_access, _ = tokens.issue(OLD, user_id=7, typ=TokenType.ACCESS)
    assert tokens.verify(ROTATED, old_access, typ=TokenType.ACCESS).user_id == 7
    new_access, _ = tokens.issue(ROTATED, user_id=7, typ=TokenType.ACCESS)
    assert _signed_with(new_access, NEW_KEY) and not _signed_with(new_access, SECRET)
    assert tokens.verify(ROTATED, new_access, typ=TokenType.ACCESS).user_id == 7
    # Without the previous key (rotation over, or a leaked key dropped at once) the old tokens are refused.
    with pytest.raises(InvalidToken, match="Signature verification failed"):
        tokens.verify(AFTERWARDS, old_access, typ=TokenType.ACCESS)
    # A key that is neither is refused, and the previous key does not excuse other defects.
    stranger = replace(OLD, secret_key="someone-elses-key-that-is-long-enough-000")
    with pytest.raises(InvalidToken, match="Signature verification failed"):
        tokens.verify(ROTATED, tokens.issue(stranger, user_id=7, typ=TokenType.ACCESS)[0], typ=TokenType.ACCESS)
    expired = tokens.issue(replace(OLD, access_ttl=timedelta(seconds=-10)), user_id=7, typ=TokenType.ACCESS)[0]
    with pytest.raises(InvalidToken, match="expired"):
        tokens.verify(ROTATED, expired, typ=TokenType.ACCESS)
    with pytest.raises(InvalidToken, match="wrong token type"):
        tokens.verify(ROTATED, old_access, typ=TokenType.REFRESH)


def test_the_setting() -> None:
    env = {"JINLIN_SECRET_KEY": NEW_KEY, "JINLIN_DB_URL": "sqlite://x.sqlite3"}
    assert settings_module.load(env).secret_key_previous is None
    loaded = settings_module.load({**env, "JINLIN_SECRET_KEY_PREVIOUS": f" {SECRET} "})
    assert (loaded.secret_key, loaded.secret_key_previous) == (NEW_KEY, SECRET)
    with pytest.raises(SettingsError, match="JINLIN_SECRET_KEY_PREVIOUS must be at least 32 bytes long"):
        settings_module.load({**env, "JINLIN_SECRET_KEY_PREVIOUS": "short"})


async def test_nobody_is_logged_out_by_a_rotation(demo: Api) -> None:
    member = demo.users["13800000004"]
    # A session from before the rotation: an access token and a stored refresh token, both under the old key.
    old_access, _ = tokens.issue(OLD, user_id=member, typ=TokenType.ACCESS)
    family = uuid.uuid4().hex
    old_refresh, claims = tokens.issue(OLD, user_id=member, typ=TokenType.REFRESH, family=family)
    await user_model.store_refresh(jti=claims.jti, family=family, user_id=member, expires_at=claims.expires_at)

    viewer = await demo.ok("{ viewer { phone } }", token=old_access)
    assert viewer == {"viewer": {"phone": "13800000004"}}
    fresh = (await demo.ok(REFRESH, {"input": {"refreshToken": old_refresh}}))["refreshToken"]
    assert fresh["errors"] == []
    for token in (fresh["accessToken"], fresh["refreshToken"]):
        assert _signed_with(token, NEW_KEY) and not _signed_with(token, SECRET)
    assert await demo.ok("{ viewer { phone } }", token=fresh["accessToken"]) == viewer
    # The refreshed pair works once the previous key is gone; the old access token does not.
    assert tokens.verify(AFTERWARDS, fresh["refreshToken"], typ=TokenType.REFRESH).family == family
    assert tokens.verify(AFTERWARDS, fresh["accessToken"], typ=TokenType.ACCESS).user_id == member
    with pytest.raises(InvalidToken):
        tokens.verify(AFTERWARDS, old_access, typ=TokenType.ACCESS)
    # Rotation leaves refresh-token reuse detection as it was: the spent old token revokes the family.
    reused = await demo(REFRESH, {"input": {"refreshToken": old_refresh}})
    assert reused["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    again = await demo(REFRESH, {"input": {"refreshToken": fresh["refreshToken"]}})
    assert again["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
