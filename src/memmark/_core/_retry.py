"""The one retry helper and the one backoff policy of memmark.

Wherever memmark repeats an operation (a SQL transaction that hit a deadlock, table setup
that raced another process, Tablestore rows the service throttled, a Tablestore writer
waiting for a session's lock) it calls :func:`retrying`, and every wait between two attempts
comes from :func:`backoff_delay`: exponential, capped, with jitter so contending callers
spread out instead of retrying in lock step.

redis-py's own ``Retry`` is kept, as a different thing: it re-sends one command on a fresh
connection when the server dropped a pooled one, inside redis-py's connection layer, which
this helper cannot reach. It waits for nothing (a reconnect is not contention) and tries
once more only; the clients memmark creates get it from one place in the Redis backend.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable
from typing import TypeVar

__all__ = ["backoff_delay", "retrying"]

T = TypeVar("T")

DEFAULT_ATTEMPTS = 6
"""Attempts in all (the first one included) unless the caller says otherwise."""
DEFAULT_BASE_DELAY = 0.01
"""Seconds: the cap of the wait after the first failed attempt."""
DEFAULT_MAX_DELAY = 0.5
"""Seconds: no single wait is longer."""


def backoff_delay(
    failures: int,
    *,
    base_delay: float = DEFAULT_BASE_DELAY,
    max_delay: float = DEFAULT_MAX_DELAY,
) -> float:
    """Return how long to wait after ``failures`` failed attempts (``failures >= 1``).

    The ceiling doubles with every failure from ``base_delay`` up to ``max_delay``; the wait
    is drawn uniformly between half the ceiling and the ceiling ("equal jitter"), so it never
    collapses to a busy loop and two callers rarely wake together.
    """
    ceiling = min(max_delay, base_delay * 2 ** (failures - 1))
    return random.uniform(ceiling / 2, ceiling)


async def retrying(
    operation: Callable[[], Awaitable[T]],
    *,
    is_retryable: Callable[[BaseException], bool],
    attempts: int | None = DEFAULT_ATTEMPTS,
    base_delay: float = DEFAULT_BASE_DELAY,
    max_delay: float = DEFAULT_MAX_DELAY,
) -> T:
    """Await ``operation()`` until it returns, repeating it after a retryable exception.

    ``operation`` must be safe to repeat: one whole transaction, an idempotent write, one
    attempt at a lock. Between attempts it waits :func:`backoff_delay`.

    Args:
        operation: Makes one attempt; called anew for each.
        is_retryable: Whether an exception the attempt raised may be cured by repeating
            it. It may keep state (e.g. allow one reconnect only). Any other exception
            propagates at once.
        attempts: Attempts in all, the first included; ``None`` repeats for as long as the
            exceptions are retryable (for waits bounded elsewhere, such as a lease).
        base_delay: The first wait's ceiling, in seconds (see :func:`backoff_delay`).
        max_delay: The longest single wait, in seconds.

    Returns:
        What the first successful attempt returned.

    Raises:
        Exception: the last attempt's exception, unchanged, once attempts run out or an
            exception is not retryable.
    """
    failures = 0
    while True:
        try:
            return await operation()
        except Exception as exc:
            failures += 1
            if (attempts is not None and failures >= attempts) or not is_retryable(exc):
                raise
        await asyncio.sleep(backoff_delay(failures, base_delay=base_delay, max_delay=max_delay))
