"""A per-user limit on authenticated requests (`CRM_RATE_LIMIT_PER_MINUTE`; OWASP API4:2023
"unrestricted resource consumption"): a token bucket per user in each server process,
refilled continuously, `CRM_RATE_LIMIT_BURST` deep. Off by default — the contract keeps
authenticated traffic unthrottled unless the operator sets a limit; failed logins have
their own throttle (server/services/throttle.py).

In memory and per process: with `--workers N` a user may reach N times the limit, which
is what a limit against one runaway script or a stuck retry loop needs; the buckets of
users not seen for a while are dropped (at most `MAX_USERS` are kept)."""
from __future__ import annotations

import threading
import time
from collections import OrderedDict

from server.errors import Problem
from shared import errors as codes

#: Buckets kept at most (least recently used dropped first: a full bucket again).
MAX_USERS = 100_000


class RateLimiter:
    def __init__(self, per_minute: int, burst: int = 0) -> None:
        self.rate = per_minute / 60.0
        self.capacity = float(burst or per_minute)
        self._buckets: OrderedDict[int, tuple[float, float]] = OrderedDict()
        self._lock = threading.Lock()
        self._now = time.monotonic

    def check(self, user_id: int) -> None:
        """Take one token for `user_id`, or raise 429 with how long until the next one."""
        now = self._now()
        with self._lock:
            tokens, then = self._buckets.pop(user_id, (self.capacity, now))
            tokens = min(self.capacity, tokens + (now - then) * self.rate)
            if tokens >= 1.0:
                self._buckets[user_id] = (tokens - 1.0, now)
                allowed, wait = True, 0.0
            else:
                self._buckets[user_id] = (tokens, now)
                allowed, wait = False, (1.0 - tokens) / self.rate
            if len(self._buckets) > MAX_USERS:
                self._buckets.popitem(last=False)
        if not allowed:
            seconds = max(1, int(wait + 0.999))
            raise Problem(429, codes.RATE_LIMITED, "Too many requests",
                          f"Slow down: wait {seconds} s before the next request", headers={"Retry-After": str(seconds)},
                          retry_after=seconds)


def from_settings(per_minute: int, burst: int) -> RateLimiter | None:
    return RateLimiter(per_minute, burst) if per_minute > 0 else None
