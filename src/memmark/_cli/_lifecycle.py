"""What ``memmark prune`` and ``memmark fork`` do, apart from their typer wiring in ``_write``."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from memmark.store import SessionInfo, StoreBase

__all__ = ["PruneTally", "fork_session", "parse_duration", "prune_store"]

_DURATION = re.compile(r"(\d+)([smhd])")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}


def parse_duration(text: str) -> timedelta:
    """Read an age such as ``30s``, ``15m``, ``12h`` or ``7d`` (whole numbers, one unit).

    Raises:
        ValueError: anything else, worded for the command line.
    """
    found = _DURATION.fullmatch(text.strip())
    if found is None:
        raise ValueError(
            f"--older-than must be a whole number followed by s, m, h or d (30s, 15m, 12h, "
            f"7d), got {text!r}"
        )
    try:
        return timedelta(**{_UNITS[found[2]]: int(found[1])})
    except OverflowError:
        raise ValueError(f"--older-than {text!r} is longer than any stored time") from None


@dataclass
class PruneTally:
    """Sessions visited and messages removed so far by one prune."""

    sessions: int = 0
    touched: int = 0
    removed: int = 0

    def count(self, info: SessionInfo, removed: int) -> None:
        """Count one visited session (``store.prune``'s progress callback)."""
        self.sessions += 1
        self.touched += bool(removed)
        self.removed += removed


async def prune_store(
    store: StoreBase,
    marks: list[str],
    older_than: timedelta,
    on_session: Callable[[PruneTally], None],
) -> PruneTally:
    """Prune ``store``, calling ``on_session`` with the running tally after each session."""
    tally = PruneTally()

    def progress(info: SessionInfo, removed: int) -> None:
        tally.count(info, removed)
        on_session(tally)

    await store.prune(marks, older_than, progress=progress)
    return tally


async def fork_session(
    store: StoreBase, user: str, session: str, new_session: str, upto: str | None
) -> int:
    """Copy a session of ``store`` into ``new_session``; return how many messages it holds.

    Raises:
        LookupError: the source session does not exist (no message, no summary).
        ValueError: ``upto`` is not one of its messages, or ``new_session`` is not empty.
    """
    async with store.memory(user, session) as memory:
        if not await memory.size() and not await memory.get_memory(limit=0):
            raise LookupError(f"no session {session!r} of user {user!r}")
        async with await memory.fork(new_session, upto=upto) as fork:
            return await fork.size()
