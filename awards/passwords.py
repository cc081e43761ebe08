"""Password hashing with argon2id (argon2-cffi) at OWASP parameters."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app

# OWASP Password Storage Cheat Sheet: argon2id, m=19 MiB, t=2, p=1 (minimum); we use 46 MiB, t=1, p=1,
# the first of OWASP's equivalent settings, which costs ~50 ms here.
_STRONG = PasswordHasher(time_cost=1, memory_cost=47104, parallelism=1)
_FAST = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)  # tests only


def _hasher() -> PasswordHasher:
    return _FAST if current_app.config.get("PASSWORD_HASH_FAST") else _STRONG


def hash_password(password: str) -> str:
    return _hasher().hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher().verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return _hasher().check_needs_rehash(password_hash)


_DUMMY_HASHES: dict[int, str] = {}  # a cache of constants, one per hasher; never correctness state


def dummy_verify(password: str) -> None:
    """Spend the time of a real verification when the username is unknown, so timing does not reveal
    which names exist."""
    hasher = _hasher()
    dummy = _DUMMY_HASHES.setdefault(id(hasher), hasher.hash("timing-equaliser"))
    verify_password(dummy, password)
