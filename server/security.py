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
import os
import secrets
import threading
import weakref
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any, TypeVar

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

if TYPE_CHECKING:
    from server.settings import Settings

_lock = threading.Lock()
_hasher = PasswordHasher(memory_cost=7168, time_cost=5, parallelism=1)
_gate = threading.BoundedSemaphore(1)
_concurrency = 1
_niceness = 10
_pool: ThreadPoolExecutor | None = None
_dummy_hash: str | None = None


def configure(memory_kib: int, time_cost: int, parallelism: int, concurrency: int, niceness: int = 10) -> None:
    """Use these argon2id parameters for new hashes, with `concurrency` hashes at once
    (the async ones on threads at `niceness` lower priority)."""
    global _hasher, _gate, _concurrency, _dummy_hash, _niceness, _pool
    with _lock:
        if _niceness != niceness or _concurrency != concurrency:
            if _pool is not None:
                _pool.shutdown(wait=False)
            _pool, _niceness = None, niceness
        if (_hasher.memory_cost, _hasher.time_cost, _hasher.parallelism) != (memory_kib, time_cost, parallelism):
            _hasher = PasswordHasher(memory_cost=memory_kib, time_cost=time_cost, parallelism=parallelism)
            _dummy_hash = None
        if _concurrency != concurrency:
            _gate, _concurrency = threading.BoundedSemaphore(concurrency), concurrency
            _async_gates.clear()


def configure_from(settings: Settings) -> None:
    """`configure` from the server's settings (CRM_PASSWORD_HASH_*)."""
    configure(settings.password_hash_memory_kib, settings.password_hash_time_cost,
              settings.password_hash_parallelism, settings.password_hash_concurrency,
              settings.password_hash_niceness)


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
    """Run `fn` (which hashes) on one of the `concurrency` hashing threads once one is
    free: a login rush waits here, in the event loop, not in threads that look-ups need.
    The hashing threads run at a lower CPU priority (`password_hash_niceness`), so a
    core the event loop needs for a look-up is given to it first and logins take what
    is left (measured: docs/PERFORMANCE.md, "Logins")."""
    loop = asyncio.get_running_loop()
    gate = _async_gates.get(loop)
    if gate is None:
        gate = _async_gates[loop] = asyncio.Semaphore(_concurrency)
    async with gate:
        return await loop.run_in_executor(_hash_threads(), lambda: fn(*args))


def _hash_threads() -> ThreadPoolExecutor:
    global _pool
    with _lock:
        if _pool is None:
            _pool = ThreadPoolExecutor(max_workers=_concurrency, thread_name_prefix="crm-hash",
                                       initializer=_lower_priority, initargs=(_niceness,))
        return _pool


def _lower_priority(niceness: int) -> None:
    """This thread (a Linux task of its own) at `niceness` above the process's."""
    if niceness <= 0 or not hasattr(os, "setpriority"):
        return
    try:
        tid = threading.get_native_id()
        os.setpriority(os.PRIO_PROCESS, tid, min(19, os.getpriority(os.PRIO_PROCESS, tid) + niceness))
    except OSError:  # not permitted here: hash at the process's own priority
        pass


def new_token() -> str:
    return secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
