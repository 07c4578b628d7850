"""The one way tests wait for a condition: poll it against a deadline, never sleep a guess."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

DEFAULT_TIMEOUT = 60.0
POLL_INTERVAL = 0.01


def wait_until(
    condition: Callable[[], bool],
    what: str,
    *,
    timeout: float = DEFAULT_TIMEOUT,
    interval: float = POLL_INTERVAL,
) -> None:
    """Return once ``condition()`` holds; fail the test after ``timeout`` seconds.

    Raises:
        AssertionError: ``timeout`` passed and ``condition()`` still does not hold; the
            message names ``what`` was awaited.
    """
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f}s waiting for: {what}")
        time.sleep(interval)


async def eventually(
    condition: Callable[[], Awaitable[bool]],
    what: str,
    *,
    timeout: float = DEFAULT_TIMEOUT,
    interval: float = POLL_INTERVAL,
) -> None:
    """:func:`wait_until` for a condition that awaits (a storage call, say).

    Raises:
        AssertionError: ``timeout`` passed and ``condition()`` still does not hold.
    """
    deadline = time.monotonic() + timeout
    while not await condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f}s waiting for: {what}")
        await asyncio.sleep(interval)
