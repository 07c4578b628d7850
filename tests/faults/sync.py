"""Waiting for a condition another process makes true, with a deadline instead of a guess."""

from __future__ import annotations

import time
from collections.abc import Callable

DEFAULT_TIMEOUT = 60.0
POLL_INTERVAL = 0.01


def wait_until(condition: Callable[[], bool], what: str, timeout: float = DEFAULT_TIMEOUT) -> None:
    """Return once ``condition()`` holds; fail the test after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f}s waiting for: {what}")
        time.sleep(POLL_INTERVAL)
