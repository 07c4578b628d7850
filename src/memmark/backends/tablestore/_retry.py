"""The backend's one retry policy: which failures are transient, how often and how long to wait.

Used wherever memmark itself repeats a Tablestore request: rows that failed inside a
BatchGetRow / BatchWriteRow, the clean-up after a failed write, the wait for new tables.
(Whole requests that fail with throttling or ``OTSRowOperationConflict`` are first retried by
the SDK's own retry policy; what still fails arrives here as a
:class:`~memmark.errors.StorageUnavailableError`.) Kept behind :func:`retrying` and
:func:`retry_delay` so a retry policy shared by every backend can replace it in one place.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable
from typing import TypeVar

from memmark.errors import StorageUnavailableError

__all__ = ["RETRY_ATTEMPTS", "retry_delay", "retrying"]

RETRY_ATTEMPTS = 6
"""Attempts in all (the first one included) before a transient failure is raised."""
_FIRST_DELAY_SECONDS = 0.01
_MAX_DELAY_SECONDS = 1.0

T = TypeVar("T")


def retry_delay(attempt: int) -> float:
    """Seconds to wait after failed attempt ``attempt`` (0-based): doubling, jittered, capped."""
    ceiling = min(_FIRST_DELAY_SECONDS * 2**attempt, _MAX_DELAY_SECONDS)
    return float(ceiling * (0.5 + random.random() / 2))


async def retrying(call: Callable[[], Awaitable[T]], attempts: int = RETRY_ATTEMPTS) -> T:
    """Await ``call()``, calling it again after a :class:`StorageUnavailableError`.

    Raises:
        StorageUnavailableError: the last attempt failed so too.
    """
    for attempt in range(attempts - 1):
        try:
            return await call()
        except StorageUnavailableError:
            await asyncio.sleep(retry_delay(attempt))
    return await call()
