"""Accounts and tokens: signUp, login with throttling, rotating refresh-token families, logout, and the
Bearer-token matrix of the auth middleware."""

from __future__ import annotations

import asyncio
import base64
import json
from collections.abc import Callable
from datetime import datetime, timedelta, timezone

import jwt
import pytest

from auth import tokens
from auth.tokens import TokenType
from models.user import LoginFailure, RefreshToken, User as UserRow
from tests.conftest import SECRET, Api, gid

SIGN_UP = """
mutation($input: SignUpInput!) {
  signUp(input: $input) { accessToken refreshToken user { id displayName phone } errors { field code message } }
}"""

LOGIN = """
mutation($input: LoginInput!) {
  login(input: $input) { accessToken refreshToken user { displayName phone } errors { field code message } }
}"""

REFRESH = """
mutation($input: RefreshTokenInput!) {
  refreshToken(input: $input) { accessToken refreshToken user { displayName phone } errors { field code } }
}"""

LOGOUT = """
mutation($input: LogoutInput!) { logout(input: $input) { ok errors { field code } } }"""

VIEWER = "{ viewer { displayName } }"

DEMO_PASSWORD = "jinlin-demo"

REFUSED = {"data": None, "errors": [{"message": "登录凭证无效或已过期，请重新登录",
                                     "extensions": {"code": "UNAUTHENTICATED"}}]}


def _claims(user_id: int, **overrides: object) -> dict:
    """A valid access-token payload for the test settings, with some claims replaced (None drops one)."""
    now = int(datetime.now(timezone.utc).timestamp())
    claims: dict = {"sub": str(user_id), "iss": "jinlin", "aud": "jinlin-app", "iat": now, "exp": now + 600,
                    "jti": "0123456789abcdef", "typ": "access"}
    claims.update(overrides)
    return {key: value for key, value in claims.items() if value is not None}


def _craft(user_id: int, *, key: str = SECRET, **overrides: object) -> str:
    return jwt.encode(_claims(user_id, **overrides), key, algorithm="HS256")


def _b64url(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def _tampered(token: str) -> str:
    """The same header and claims with a signature that is one character off."""
    head, _, signature = token.rpartition(".")
    return f"{head}.{('A' if signature[0] != 'A' else 'B')}{signature[1:]}"


async def _sign_up(api: Api, phone: str = "13900001111", password: str = "correct horse",
                   name: str = "新邻居", **kwargs: object) -> dict:
    body = await api.ok(SIGN_UP, {"input": {"phone": phone, "password": password, "displayName": name}}, **kwargs)
    return body["signUp"]


async def _login(api: Api, phone: str, password: str, **kwargs: object) -> dict:
    return (await api.ok(LOGIN, {"input": {"phone": phone, "password": password}}, **kwargs))["login"]


# --- signUp -----------------------------------------------------------------------------------------------


async def test_sign_up_returns_tokens_and_user(api: Api) -> None:
    payload = await _sign_up(api, phone="+86 138-0000-1111", name="  王小明  ")
    row = await UserRow.get(phone="13800001111")
    assert payload["errors"] == []
    assert payload["user"] == {"id": gid("User", row.id), "displayName": "王小明", "phone": "13800001111"}
    assert row.display_name == "王小明"
    assert row.password_hash.startswith("scrypt$") and "correct horse" not in row.password_hash
    # Both tokens verify, are of their own type, and the refresh token is remembered for rotation.
    access = tokens.verify(api.settings, payload["accessToken"], typ=TokenType.ACCESS)
    refresh = tokens.verify(api.settings, payload["refreshToken"], typ=TokenType.REFRESH)
    assert access.user_id == refresh.user_id == row.id
    stored = await RefreshToken.get(jti=refresh.jti)
    assert (stored.family, stored.spent_at, stored.revoked_at) == (refresh.family, None, None)
    # The new access token opens the API at once.
    me = await api.ok(VIEWER, token=payload["accessToken"])
    assert me == {"viewer": {"displayName": "王小明"}}


async def test_sign_up_duplicate_phone(api: Api) -> None:
    assert (await _sign_up(api, phone="13900001111"))["errors"] == []
    # The same number written differently is the same account.
    again = await _sign_up(api, phone="139 0000 1111", name="另一个人")
    assert again == {"accessToken": None, "refreshToken": None, "user": None, "errors": [
        {"field": ["phone"], "code": "DUPLICATE", "message": "该手机号已注册"}]}
    en = await _sign_up(api, phone="+8613900001111", lang="en")
    assert en["errors"] == [{"field": ["phone"], "code": "DUPLICATE",
                             "message": "This phone number is already registered"}]
    assert await UserRow.filter(phone="13900001111").count() == 1


@pytest.mark.parametrize(("phone", "password", "name", "field", "message"), [
    ("12345", "correct horse", "新邻居", "phone", "请输入 11 位中国大陆手机号"),
    ("23900001111", "correct horse", "新邻居", "phone", "请输入 11 位中国大陆手机号"),
    ("1390000111a", "correct horse", "新邻居", "phone", "请输入 11 位中国大陆手机号"),
    ("13900001111", "short", "新邻居", "password", "密码长度须为 8–128 个字符"),
    ("13900001111", "x" * 129, "新邻居", "password", "密码长度须为 8–128 个字符"),
    ("13900001111", "correct horse", "   ", "displayName", "长度须为 1–50 个字符"),
    ("13900001111", "correct horse", "名" * 51, "displayName", "长度须为 1–50 个字符"),
])
async def test_sign_up_validates_each_field(api: Api, phone: str, password: str, name: str, field: str,
                                            message: str) -> None:
    payload = await _sign_up(api, phone=phone, password=password, name=name)
    assert payload == {"accessToken": None, "refreshToken": None, "user": None,
                       "errors": [{"field": [field], "code": "INVALID", "message": message}]}
    assert await UserRow.all().count() == 0


async def test_sign_up_reports_every_invalid_field_in_english(api: Api) -> None:
    payload = await _sign_up(api, phone="123", password="short", name="", lang="en")
    assert payload["errors"] == [
        {"field": ["phone"], "code": "INVALID", "message": "Enter an 11-digit mainland China mobile number"},
        {"field": ["displayName"], "code": "INVALID", "message": "Must be 1 to 50 characters long"},
        {"field": ["password"], "code": "INVALID", "message": "The password must be 8 to 128 characters long"},
    ]


# --- login ------------------------------------------------------------------------------------------------


async def test_login_with_demo_account(demo: Api) -> None:
    payload = await _login(demo, "138 0000 0004", DEMO_PASSWORD)
    # The payload's user is the caller: their own phone is not masked although no token came with the request.
    assert payload["errors"] == [] and payload["user"] == {"displayName": "陈党员", "phone": "13800000004"}
    assert tokens.verify(demo.settings, payload["accessToken"], typ=TokenType.ACCESS).user_id == \
        demo.users["13800000004"]
    assert await demo.ok(VIEWER, token=payload["accessToken"]) == {"viewer": {"displayName": "陈党员"}}


async def test_login_wrong_password_and_unknown_phone_get_the_same_error(demo: Api) -> None:
    wrong = await _login(demo, "13800000004", "not-the-password")
    unknown = await _login(demo, "13912345678", DEMO_PASSWORD)
    expected = {"accessToken": None, "refreshToken": None, "user": None, "errors": [
        {"field": ["password"], "code": "WRONG_CREDENTIALS", "message": "手机号或密码错误"}]}
    assert wrong == expected
    assert unknown == expected
    en = await _login(demo, "13800000004", "not-the-password", lang="en")
    assert en["errors"] == [{"field": ["password"], "code": "WRONG_CREDENTIALS",
                             "message": "Wrong phone number or password"}]
    assert await RefreshToken.all().count() == 0


async def test_login_throttle_locks_the_phone_after_five_failures(demo: Api) -> None:
    for _ in range(5):
        assert (await _login(demo, "13800000004", "wrong-password"))["errors"][0]["code"] == "WRONG_CREDENTIALS"
    # The sixth attempt is refused even with the right password, and without checking it.
    locked = await _login(demo, "13800000004", DEMO_PASSWORD)
    assert locked == {"accessToken": None, "refreshToken": None, "user": None, "errors": [
        {"field": None, "code": "RATE_LIMITED", "message": "密码错误次数过多，请 15 分钟后再试"}]}
    locked_en = await _login(demo, "138-0000-0004", DEMO_PASSWORD, lang="en")
    assert locked_en["errors"] == [{"field": None, "code": "RATE_LIMITED",
                                    "message": "Too many wrong passwords; try again in 15 minutes"}]
    # Other phones are not affected.
    other = await _login(demo, "13800000003", DEMO_PASSWORD)
    assert other["errors"] == [] and other["user"] == {"displayName": "观远里支部书记", "phone": "13800000003"}


async def test_racing_guesses_cannot_pass_the_limit(demo: Api) -> None:
    """Every attempt is recorded before it is judged: of ten simultaneous guesses at most five get checked."""
    results = await asyncio.gather(*(_login(demo, "13800000004", f"guess-{i}") for i in range(10)))
    codes = [r["errors"][0]["code"] for r in results]
    assert codes.count("WRONG_CREDENTIALS") <= 5 and codes.count("RATE_LIMITED") >= 5, codes
    assert (await _login(demo, "13800000004", DEMO_PASSWORD))["errors"][0]["code"] == "RATE_LIMITED"


async def test_successful_login_clears_failures(demo: Api) -> None:
    for _round in range(2):
        for _ in range(4):
            assert (await _login(demo, "13800000004", "wrong-password"))["errors"][0]["code"] == \
                "WRONG_CREDENTIALS"
        ok = await _login(demo, "13800000004", DEMO_PASSWORD)
        assert ok["errors"] == [], ok
        assert await LoginFailure.filter(phone="13800000004").count() == 0


async def test_failures_outside_the_window_do_not_count(demo: Api) -> None:
    long_ago = datetime.now(timezone.utc) - timedelta(minutes=16)
    await LoginFailure.bulk_create([LoginFailure(phone="13800000004", at=long_ago) for _ in range(10)])
    ok = await _login(demo, "13800000004", DEMO_PASSWORD)
    assert ok["errors"] == []


# --- refreshToken and logout --------------------------------------------------------------------------------


async def test_refresh_rotates_and_reuse_revokes_the_family(demo: Api) -> None:
    first = await _login(demo, "13800000004", DEMO_PASSWORD)
    second = (await demo.ok(REFRESH, {"input": {"refreshToken": first["refreshToken"]}}))["refreshToken"]
    assert second["errors"] == [] and second["user"] == {"displayName": "陈党员", "phone": "13800000004"}
    assert second["refreshToken"] != first["refreshToken"]
    assert await demo.ok(VIEWER, token=second["accessToken"]) == {"viewer": {"displayName": "陈党员"}}
    old = tokens.verify(demo.settings, first["refreshToken"], typ=TokenType.REFRESH)
    new = tokens.verify(demo.settings, second["refreshToken"], typ=TokenType.REFRESH)
    assert new.family == old.family and new.jti != old.jti
    assert (await RefreshToken.get(jti=old.jti)).spent_at is not None
    # Rotating again from the newest token works (a chain, not a one-off).
    third = (await demo.ok(REFRESH, {"input": {"refreshToken": second["refreshToken"]}}))["refreshToken"]
    assert third["errors"] == []

    # The spent token comes back (stolen?): refused, and the whole family is revoked.
    reuse = await demo(REFRESH, {"input": {"refreshToken": first["refreshToken"]}})
    assert reuse == {"data": None, "errors": [{
        "message": "刷新凭证无效或已失效，请重新登录", "locations": [{"line": 3, "column": 3}],
        "path": ["refreshToken"], "extensions": {"code": "UNAUTHENTICATED"}}]}
    assert await RefreshToken.filter(family=old.family, revoked_at=None).count() == 0
    newest = await demo(REFRESH, {"input": {"refreshToken": third["refreshToken"]}}, lang="en")
    assert newest["data"] is None
    assert newest["errors"][0]["extensions"] == {"code": "UNAUTHENTICATED"}
    assert newest["errors"][0]["message"] == "The refresh token is invalid or spent; log in again"


async def test_racing_refreshes_spend_the_token_once(demo: Api) -> None:
    """Two refreshes with one token at the same moment: one wins, the other counts as reuse."""
    login = await _login(demo, "13800000004", DEMO_PASSWORD)
    bodies = await asyncio.gather(*(demo(REFRESH, {"input": {"refreshToken": login["refreshToken"]}})
                                    for _ in range(2)))
    winners = [b for b in bodies if b["data"] is not None]
    losers = [b for b in bodies if b["data"] is None]
    assert len(winners) == 1 and len(losers) == 1, bodies
    assert losers[0]["errors"][0]["extensions"] == {"code": "UNAUTHENTICATED"}
    family = tokens.verify(demo.settings, login["refreshToken"], typ=TokenType.REFRESH).family
    assert await RefreshToken.filter(family=family).count() == 2
    assert await RefreshToken.filter(family=family, spent_at__not_isnull=True).count() == 1


async def test_reuse_revokes_only_its_own_family(demo: Api) -> None:
    phone_a = await _login(demo, "13800000004", DEMO_PASSWORD)
    phone_b = await _login(demo, "13800000004", DEMO_PASSWORD)
    await demo.ok(REFRESH, {"input": {"refreshToken": phone_a["refreshToken"]}})
    reuse = await demo(REFRESH, {"input": {"refreshToken": phone_a["refreshToken"]}})
    assert reuse["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    # The other device's login is untouched.
    other = (await demo.ok(REFRESH, {"input": {"refreshToken": phone_b["refreshToken"]}}))["refreshToken"]
    assert other["errors"] == []


async def test_logout_revokes_the_family(demo: Api) -> None:
    first = await _login(demo, "13800000004", DEMO_PASSWORD)
    second = (await demo.ok(REFRESH, {"input": {"refreshToken": first["refreshToken"]}}))["refreshToken"]
    assert await demo.ok(LOGOUT, {"input": {"refreshToken": second["refreshToken"]}}) == {
        "logout": {"ok": True, "errors": []}}
    family = tokens.verify(demo.settings, second["refreshToken"], typ=TokenType.REFRESH).family
    assert await RefreshToken.filter(family=family, revoked_at=None).count() == 0
    after = await demo(REFRESH, {"input": {"refreshToken": second["refreshToken"]}})
    assert after["data"] is None
    assert after["errors"][0]["extensions"] == {"code": "UNAUTHENTICATED"}


@pytest.mark.parametrize("mutation", [REFRESH, LOGOUT])
async def test_refresh_and_logout_refuse_other_tokens(demo: Api, mutation: str) -> None:
    user_id = demo.users["13800000004"]
    for bad in (demo.token("13800000004"),  # an access token is not a refresh token
                "garbage",
                _craft(user_id, typ="refresh", fam="f" * 32, key="another-secret-that-is-long-enough-000000")):
        body = await demo(mutation, {"input": {"refreshToken": bad}})
        assert body["data"] is None, bad
        assert body["errors"][0]["extensions"] == {"code": "UNAUTHENTICATED"}


async def test_correctly_signed_but_unknown_refresh_token_is_refused(demo: Api) -> None:
    forged = jwt.encode({**_claims(demo.users["13800000004"], typ="refresh"), "fam": "f" * 32}, SECRET,
                        algorithm="HS256")
    body = await demo(REFRESH, {"input": {"refreshToken": forged}})
    assert body["errors"][0]["extensions"] == {"code": "UNAUTHENTICATED"}
    assert await RefreshToken.all().count() == 0


# --- the Bearer token matrix ------------------------------------------------------------------------------


async def test_no_token_is_anonymous(demo: Api) -> None:
    assert await demo(VIEWER) == {"data": {"viewer": None}}


async def test_valid_access_token_is_the_user(demo: Api) -> None:
    assert await demo(VIEWER, as_="13800000003") == {"data": {"viewer": {"displayName": "观远里支部书记"}}}
    crafted = _craft(demo.users["13800000002"])
    assert await demo(VIEWER, token=crafted) == {"data": {"viewer": {"displayName": "莲花北社区书记"}}}


BAD_TOKENS: dict[str, Callable[[Api, int], str]] = {
    "tampered signature": lambda api, uid: _tampered(_craft(uid)),
    "other key": lambda api, uid: _craft(uid, key="not-the-secret-but-long-enough-0123456789abc"),
    "expired": lambda api, uid: _craft(uid, iat=int(datetime.now(timezone.utc).timestamp()) - 3600,
                                  exp=int(datetime.now(timezone.utc).timestamp()) - 60),
    "wrong audience": lambda api, uid: _craft(uid, aud="someone-else"),
    "wrong issuer": lambda api, uid: _craft(uid, iss="evil"),
    "alg none": lambda api, uid: f"{_b64url({'alg': 'none', 'typ': 'JWT'})}.{_b64url(_claims(uid))}.",
    "alg none with signature": lambda api, uid: (f"{_b64url({'alg': 'none', 'typ': 'JWT'})}.{_b64url(_claims(uid))}."
                                            + _craft(uid).rpartition(".")[2]),
    "HS512": lambda api, uid: jwt.encode(_claims(uid), SECRET, algorithm="HS512"),
    "missing exp": lambda api, uid: _craft(uid, exp=None),
    "missing sub": lambda api, uid: _craft(uid, sub=None),
    "missing typ": lambda api, uid: _craft(uid, typ=None),
    "non-numeric sub": lambda api, uid: _craft(uid, sub="admin"),
    "refresh token": lambda api, uid: tokens.issue(api.settings, user_id=uid, typ=TokenType.REFRESH,
                                                   family="f" * 32)[0],
    "garbage": lambda api, uid: "garbage",
    "three dots of garbage": lambda api, uid: "a.b.c",
}


@pytest.mark.filterwarnings("ignore::jwt.warnings.InsecureKeyLengthWarning")  # HS512 with the HS256 key
@pytest.mark.parametrize("case", list(BAD_TOKENS))
async def test_bad_bearer_token_is_refused(demo: Api, case: str) -> None:
    token = BAD_TOKENS[case](demo, demo.users["13800000003"])
    response = await demo.post(VIEWER, token=token)
    assert response.status_code == 200
    assert response.json() == REFUSED, case
    assert response.headers["www-authenticate"] == 'Bearer error="invalid_token"'


@pytest.mark.parametrize("header", ["Basic MTM4MDAwMDAwMDM6amlubGluLWRlbW8=", "Token {token}", "{token}",
                                    "Bearer", "Bearer    ", "Bearer{token}"])
async def test_only_bearer_scheme_is_accepted(demo: Api, header: str) -> None:
    value = header.format(token=demo.token("13800000003"))
    response = await demo.http.post("/graphql", json={"query": VIEWER}, headers={"Authorization": value})
    assert response.json() == REFUSED, header


async def test_bearer_scheme_is_case_insensitive(demo: Api) -> None:
    response = await demo.http.post("/graphql", json={"query": VIEWER},
                                    headers={"Authorization": f"bearer {demo.token('13800000003')}"})
    assert response.json() == {"data": {"viewer": {"displayName": "观远里支部书记"}}}


async def test_refusal_in_english(demo: Api) -> None:
    body = await demo(VIEWER, token="garbage", lang="en")
    assert body == {"data": None, "errors": [{"message": "The access token is invalid or expired; log in again",
                                              "extensions": {"code": "UNAUTHENTICATED"}}]}


async def test_bad_token_is_refused_even_for_public_queries(demo: Api) -> None:
    """A present but bad token is never downgraded to anonymous, so the app learns to log in again."""
    body = await demo("{ orgs(first: 1) { totalCount } }", token=_craft(demo.users["13800000003"], aud="x"))
    assert body == REFUSED


REFRESH_WITH = """
mutation($t: String!) { refreshToken(input: {refreshToken: $t}) { accessToken errors { code } } }"""


async def test_stale_access_token_does_not_block_refresh_or_login(demo: Api) -> None:
    """Apps attach the expired access token to every call, the refresh included: that must still work."""
    uid = demo.users["13800000003"]
    stale = _craft(uid, iat=int(datetime.now(timezone.utc).timestamp()) - 3600,
                   exp=int(datetime.now(timezone.utc).timestamp()) - 60)
    refresh = tokens.issue(demo.settings, user_id=uid, typ=TokenType.REFRESH, family="a" * 32)
    from models import user as user_model

    await user_model.store_refresh(jti=refresh[1].jti, family="a" * 32, user_id=uid,
                                   expires_at=refresh[1].expires_at)
    body = await demo(REFRESH_WITH, {"t": refresh[0]}, token=stale)
    assert body["data"]["refreshToken"]["errors"] == []
    assert body["data"]["refreshToken"]["accessToken"]
    # Anything else in the same document is still refused.
    mixed = await demo("mutation($t: String!) { refreshToken(input: {refreshToken: $t}) { accessToken } "
                       "createOrg(input: {name: \"x\", kind: PARTNER_UNIT}) { errors { code } } }",
                       {"t": body["data"]["refreshToken"]["accessToken"]}, token=stale)
    assert mixed == REFUSED
