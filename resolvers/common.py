"""Checks every resolver needs: login, text and number validation, and turning global ids into rows."""

from __future__ import annotations

import re
from models import compound as compound_model
from models import org as org_model
from schema.errors import ErrorCode, UserError, unauthenticated, user_error
from schema.relay import pk_of

from schema.context import Context

_PHONE = re.compile(r"^1[3-9]\d{9}$")
_SPACES = re.compile(r"[\s\-]")


def require_login(ctx: Context) -> int:
    """The viewer's user id, or a top-level UNAUTHENTICATED error."""
    if ctx.viewer.user_id is None:
        raise unauthenticated(ctx.lang)
    return ctx.viewer.user_id


def audit_target(ctx: Context, *, org_id: int | None = None, object_id: str | None = None,
                 actor_id: int | None = None) -> None:
    """Note for the audit row which org and object this mutation concerns (and who acted, for logins)."""
    if org_id is not None:
        ctx.audit.org_id = org_id
    if object_id is not None:
        ctx.audit.object_id = object_id
    if actor_id is not None:
        ctx.audit.actor_id = actor_id


def normalise_phone(phone: str) -> str:
    """Accept `138 0000 0000`, `138-0000-0000` and `+86…`; store the bare 11 digits."""
    phone = _SPACES.sub("", phone or "")
    if phone.startswith("+86"):
        phone = phone[3:]
    return phone


def check_phone(ctx: Context, errors: list[UserError], field: str, phone: str) -> str:
    """A normalised mainland mobile number, or an INVALID error on `field`."""
    phone = normalise_phone(phone)
    if not _PHONE.match(phone):
        errors.append(user_error(ctx.lang, ErrorCode.INVALID, [field], "phone"))
    return phone


def check_text(
    ctx: Context, errors: list[UserError], field: str, value: str | None, *, min_len: int, max_len: int
) -> str:
    """Trimmed text of an allowed length, or an INVALID error on `field`."""
    text = (value or "").strip()
    if not (min_len <= len(text) <= max_len) or "\x00" in text:
        errors.append(user_error(ctx.lang, ErrorCode.INVALID, [field], "length", min=min_len, max=max_len))
    return text


def check_range(ctx: Context, errors: list[UserError], field: str, value: int, *, low: int, high: int) -> int:
    """An integer within bounds, or an INVALID error on `field`."""
    if not (low <= value <= high):
        errors.append(user_error(ctx.lang, ErrorCode.INVALID, [field], "range", min=low, max=high))
    return value


async def load_org(ctx: Context, errors: list[UserError], field: str, global_id: str | None) -> org_model.Org | None:
    """The org behind a global id through the request's loader, or NOT_FOUND on `field`."""
    pk = pk_of(global_id, "Org")
    org = await ctx.loaders.org.load(pk) if pk is not None else None
    if org is None:
        errors.append(user_error(ctx.lang, ErrorCode.NOT_FOUND, [field], "not_found"))
    elif ctx.audit.org_id is None:
        ctx.audit.org_id = org.id
    return org


async def load_compound(ctx: Context, errors: list[UserError], field: str, global_id: str | None
                        ) -> compound_model.Compound | None:
    """The compound behind a global id through the request's loader, or NOT_FOUND on `field`; the audit row notes
    the org that looks after it (its branch, else its community)."""
    pk = pk_of(global_id, "Compound")
    compound = await ctx.loaders.compound.load(pk) if pk is not None else None
    if compound is None:
        errors.append(user_error(ctx.lang, ErrorCode.NOT_FOUND, [field], "not_found"))
    elif ctx.audit.org_id is None:
        ctx.audit.org_id = compound.branch_id or compound.community_id
    return compound
