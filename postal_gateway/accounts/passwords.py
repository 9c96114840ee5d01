"""Password hashing with argon2id (argon2-cffi's defaults follow RFC 9106's recommendation)."""
from __future__ import annotations

from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher()


@cache
def _dummy_hash() -> str:
    """A hash nobody's password matches, made on first use (not at import) with the same cost."""
    return _hasher.hash("no such account")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """True only for a real hash that matches.

    With no hash (no such account, or no password set yet) the dummy hash is verified instead,
    so the answer takes as long as for a real account and its timing does not reveal which
    accounts exist.
    """
    try:
        matched = _hasher.verify(password_hash or _dummy_hash(), password)
    except (VerificationError, InvalidHashError):
        return False
    return matched and password_hash is not None
