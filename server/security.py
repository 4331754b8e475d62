"""Password hashing (argon2id) and opaque session tokens (stored hashed).

The argon2 cost is a setting (`CRM_PASSWORD_HASH_*`, at OWASP's recommended cost or
above) applied once per process by `configure`. Hashing runs in the caller's thread but
at most `password_hash_concurrency` hashes run at once per process: a morning's login
rush queues for this gate and leaves the other cores to look-ups (argon2-cffi releases
the GIL while it hashes). Callers must not hold a database connection while they wait
here (server/services/auth.py verifies between its two short transactions).
"""
from __future__ import annotations

import asyncio
import hashlib
import secrets
import threading
import weakref
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

import anyio
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

if TYPE_CHECKING:
    from server.settings import Settings

_lock = threading.Lock()
_hasher = PasswordHasher(memory_cost=7168, time_cost=5, parallelism=1)
_gate = threading.BoundedSemaphore(1)
_concurrency = 1
_dummy_hash: str | None = None


def configure(memory_kib: int, time_cost: int, parallelism: int, concurrency: int) -> None:
    """Use these argon2id parameters for new hashes, with `concurrency` hashes at once."""
    global _hasher, _gate, _concurrency, _dummy_hash
    with _lock:
        if (_hasher.memory_cost, _hasher.time_cost, _hasher.parallelism) != (memory_kib, time_cost, parallelism):
            _hasher = PasswordHasher(memory_cost=memory_kib, time_cost=time_cost, parallelism=parallelism)
            _dummy_hash = None
        if _concurrency != concurrency:
            _gate, _concurrency = threading.BoundedSemaphore(concurrency), concurrency
            _async_gates.clear()


def configure_from(settings: Settings) -> None:
    """`configure` from the server's settings (CRM_PASSWORD_HASH_*)."""
    configure(settings.password_hash_memory_kib, settings.password_hash_time_cost,
              settings.password_hash_parallelism, settings.password_hash_concurrency)


def parameters() -> tuple[int, int, int]:
    """(memory KiB, passes, lanes) that new hashes use."""
    return _hasher.memory_cost, _hasher.time_cost, _hasher.parallelism


def _dummy() -> str:
    """A hash with the current parameters, so an unknown user costs what a known one does."""
    global _dummy_hash
    if _dummy_hash is None:
        _dummy_hash = _hasher.hash("dummy password for timing equalisation")
    return _dummy_hash


def hash_password(password: str) -> str:
    with _gate:
        return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """Always does one full argon2 verification, so that an unknown user costs the
    same time as a wrong password."""
    target = password_hash or _dummy()
    with _gate:
        try:
            return _hasher.verify(target, password) and password_hash is not None
        except (VerificationError, InvalidHashError):
            return False


def needs_rehash(password_hash: str) -> bool:
    """Was this hash made with other parameters than today's (upgrade it at login)?"""
    try:
        return _hasher.check_needs_rehash(password_hash)
    except InvalidHashError:
        return False


_T = TypeVar("_T")
_async_gates: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Semaphore] = weakref.WeakKeyDictionary()


async def hashing(fn: Callable[..., _T], *args: Any) -> _T:
    """Run `fn` (which hashes) in a thread once one of the `concurrency` hashing places
    is free: a login rush waits here, in the event loop, not in threads that look-ups need."""
    loop = asyncio.get_running_loop()
    gate = _async_gates.get(loop)
    if gate is None:
        gate = _async_gates[loop] = asyncio.Semaphore(_concurrency)
    async with gate:
        return await anyio.to_thread.run_sync(lambda: fn(*args))


def new_token() -> str:
    return secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
