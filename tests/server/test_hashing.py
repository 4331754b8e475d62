"""The login hashing threads (server/security.py `hashing`): at most `concurrency` at
once, and at a lower CPU priority than the event loop's look-ups."""
from __future__ import annotations

import asyncio
import os
import threading
import time

import pytest

from server import security


@pytest.fixture
def hashing_config():  # type: ignore[no-untyped-def]
    yield
    security.configure(*security.parameters(), concurrency=1, niceness=10)


def _priority() -> int:
    return os.getpriority(os.PRIO_PROCESS, threading.get_native_id())


@pytest.mark.skipif(not hasattr(os, "setpriority"), reason="per-thread priorities are a Linux feature")
def test_hashing_threads_run_at_a_lower_priority(hashing_config):  # type: ignore[no-untyped-def]
    own = _priority()
    security.configure(*security.parameters(), concurrency=1, niceness=7)
    assert asyncio.run(security.hashing(_priority)) == min(19, own + 7)
    assert _priority() == own  # the caller's thread is untouched
    security.configure(*security.parameters(), concurrency=1, niceness=0)
    assert asyncio.run(security.hashing(_priority)) == own


def test_no_more_than_concurrency_hashes_at_once(hashing_config):  # type: ignore[no-untyped-def]
    security.configure(*security.parameters(), concurrency=2, niceness=10)
    running, peak, lock = 0, 0, threading.Lock()

    def work() -> None:
        nonlocal running, peak
        with lock:
            running += 1
            peak = max(peak, running)
        time.sleep(0.05)
        with lock:
            running -= 1

    async def many() -> None:
        await asyncio.gather(*(security.hashing(work) for _ in range(8)))
    asyncio.run(many())
    assert peak == 2


@pytest.mark.parametrize("bad", [-1, 20])
def test_the_niceness_setting_is_refused_outside_0_to_19(bad, tmp_path):  # type: ignore[no-untyped-def]
    from pydantic import ValidationError

    from server.settings import get_settings
    with pytest.raises(ValidationError) as err:
        get_settings(database_url=f"sqlite:///{tmp_path / 'x.db'}", password_hash_niceness=bad)
    assert "password_hash_niceness" in str(err.value)
