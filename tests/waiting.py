"""Waiting for something a real process or server will do, without a fixed sleep."""

from __future__ import annotations

import time
from collections.abc import Callable

# How long a test waits for something a process, thread, broker or browser will do. Generous: the
# machine may be busy with other runs, and only a test that is failing anyway waits this long.
PATIENCE_S = 30.0


def eventually(predicate: Callable[[], bool], timeout_s: float = PATIENCE_S) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return predicate()
