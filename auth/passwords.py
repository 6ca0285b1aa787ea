"""Password hashing with scrypt (memory-hard, in the standard library), run off the event loop."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import os

# 2**14 * 8 * 128 bytes = 16 MiB per hash: memory-hard, ~40 ms on one core.
_N, _R, _P, _DKLEN = 2**14, 8, 1, 32
_MAXMEM = 64 * 1024 * 1024


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def hash_password_sync(password: str, *, salt: bytes | None = None) -> str:
    """Hash a password as `scrypt$N$r$p$salt$hash` (the parameters travel with the hash)."""
    salt = salt or os.urandom(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=_N, r=_R, p=_P, dklen=_DKLEN, maxmem=_MAXMEM)
    return f"scrypt${_N}${_R}${_P}${_b64(salt)}${_b64(digest)}"


def verify_password_sync(password: str, encoded: str) -> bool:
    """Check a password against a stored hash in constant time; malformed hashes never match."""
    try:
        scheme, n, r, p, salt, digest = encoded.split("$")
        if scheme != "scrypt":
            return False
        expected = base64.b64decode(digest)
        actual = hashlib.scrypt(
            password.encode(), salt=base64.b64decode(salt), n=int(n), r=int(r), p=int(p),
            dklen=len(expected), maxmem=_MAXMEM,
        )
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(actual, expected)


# Verified against when the phone is unknown, so that timing does not reveal which phones have accounts.
_DUMMY_HASH = hash_password_sync("jinlin-no-such-account", salt=b"\x00" * 16)


async def hash_password(password: str) -> str:
    """Hash in a worker thread: 40 ms of CPU must not stall other requests."""
    return await asyncio.to_thread(hash_password_sync, password)


async def verify_password(password: str, encoded: str | None) -> bool:
    """Verify in a worker thread; a missing hash still costs one verification."""
    if encoded is None:
        await asyncio.to_thread(verify_password_sync, password, _DUMMY_HASH)
        return False
    return await asyncio.to_thread(verify_password_sync, password, encoded)
