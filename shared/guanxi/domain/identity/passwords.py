"""argon2id password hashing, run off the event loop (it is deliberately slow)."""

from __future__ import annotations

import asyncio
from functools import lru_cache

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError

from guanxi.config import get_settings

MIN_LENGTH = 10
MAX_LENGTH = 128  # argon2 would hash megabytes happily; a limit keeps login cheap to defend


@lru_cache
def hasher() -> PasswordHasher:
    settings = get_settings()
    return PasswordHasher(
        time_cost=settings.argon2_time_cost,
        memory_cost=settings.argon2_memory_kib,
        parallelism=1,
        type=Type.ID,
    )


@lru_cache
def _decoy_hash() -> str:
    return hasher().hash("decoy password for unknown accounts")


async def hash_password(password: str) -> str:
    return await asyncio.to_thread(hasher().hash, password)


async def verify_password(password_hash: str | None, password: str) -> bool:
    """Check a password; an unknown account costs the same time as a known one."""

    def check() -> bool:
        try:
            return hasher().verify(password_hash or _decoy_hash(), password) and password_hash is not None
        except (VerificationError, InvalidHashError):
            return False

    return await asyncio.to_thread(check)
