"""``StoreBase``: the operator's side of a storage backend, shared by every store.

A store owns one connection pool (engine, client) and hands out memories that share it. On
top of that it lists users and sessions page by page and deletes whole sessions or users.
Paging is cursor-based: the cursor is an opaque string that encodes the last key returned,
so each page costs what its own rows cost, never "load everything and slice".

A backend implements only the primitives; cursors, validation and the public signatures
live here:

======================  ==================================================================
primitive               contract
======================  ==================================================================
``_open_memory``        a memory of (user_id, session_id) on the store's shared pool
``_user_page``          up to ``limit`` user ids, sorted ascending, all ``> after``
``_session_page``       up to ``limit`` :class:`SessionInfo`, sorted by (user_id,
                        session_id), all ``> after``; one user's sessions if ``user_id``
``_drop_session``       delete one session entirely; return whether it held anything
``_drop_user``          optional: delete every session of a user (default: per listed session)
``close``               release the pool the store created, not one the caller passed:
                        mix in :class:`~memmark._core.ResourceOwner` for that
======================  ==================================================================

Order is by code point of the ids (``str`` comparison in Python). A session counts as
existing once it holds a message or a summary.
"""

from __future__ import annotations

import base64
import json
from abc import abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Generic, TypeVar

from memmark._core._closing import AsyncClosing
from memmark._core._memory_base import MemoryBase
from memmark._core._telemetry import instrument_operations
from memmark._core._validation import check_age, check_identity, check_marks

__all__ = ["Page", "SessionInfo", "StoreBase"]

ItemT = TypeVar("ItemT")

MAX_PAGE_SIZE = 10_000
_PRUNE_PAGE_SIZE = 500


@dataclass(frozen=True)
class SessionInfo:
    """What a store knows about one session without reading its messages."""

    user_id: str
    session_id: str
    message_count: int
    updated_at: datetime | None
    """When a message, mark or the summary last changed (UTC), if the backend records it."""
    has_summary: bool


@dataclass(frozen=True)
class Page(Generic[ItemT]):
    """One page of a listing; pass ``next_cursor`` back to get the next one."""

    items: list[ItemT] = field(default_factory=list)
    next_cursor: str | None = None
    """``None`` on the last page."""


def _encode_cursor(key: list[str]) -> str:
    return base64.urlsafe_b64encode(json.dumps(key).encode()).decode()


def _decode_cursor(cursor: str | None, parts: int) -> list[str] | None:
    if cursor is None:
        return None
    if not isinstance(cursor, str):
        raise TypeError(f"cursor must be a str or None, got {type(cursor).__name__}")
    try:
        key = json.loads(base64.urlsafe_b64decode(cursor.encode()))
    except ValueError as exc:
        raise ValueError("cursor is not one this store returned") from exc
    if not (isinstance(key, list) and len(key) == parts and all(isinstance(k, str) for k in key)):
        raise ValueError("cursor is not one this store returned")
    return key


def _check_page_size(limit: int) -> int:
    if isinstance(limit, bool) or not isinstance(limit, int):
        raise TypeError(f"limit must be an int, got {type(limit).__name__}")
    if not 1 <= limit <= MAX_PAGE_SIZE:
        raise ValueError(f"limit must be between 1 and {MAX_PAGE_SIZE}, got {limit}")
    return limit


@instrument_operations
class StoreBase(AsyncClosing):
    """Many users' sessions on one storage backend, behind one shared pool."""

    def memory(
        self, user_id: str = "default_user", session_id: str = "default_session"
    ) -> MemoryBase:
        """Return a memory of one user's session that uses this store's pool.

        Closing the memory leaves the pool open; closing the store closes it.
        """
        return self._open_memory(
            check_identity("user_id", user_id), check_identity("session_id", session_id)
        )

    async def list_users(self, *, limit: int = 100, cursor: str | None = None) -> Page[str]:
        """Return one page of user ids that have at least one session, in ascending order."""
        limit = _check_page_size(limit)
        after = _decode_cursor(cursor, 1)
        users = await self._user_page(after=None if after is None else after[0], limit=limit)
        next_cursor = _encode_cursor([users[-1]]) if len(users) == limit else None
        return Page(users, next_cursor)

    async def list_sessions(
        self, user_id: str | None = None, *, limit: int = 100, cursor: str | None = None
    ) -> Page[SessionInfo]:
        """Return one page of sessions (of ``user_id``, or of everyone), ordered by ids."""
        if user_id is not None:
            user_id = check_identity("user_id", user_id)
        limit = _check_page_size(limit)
        after = _decode_cursor(cursor, 2)
        sessions = await self._session_page(
            user_id=user_id,
            after=None if after is None else (after[0], after[1]),
            limit=limit,
        )
        last = sessions[-1] if len(sessions) == limit else None
        next_cursor = None if last is None else _encode_cursor([last.user_id, last.session_id])
        return Page(sessions, next_cursor)

    async def delete_session(self, user_id: str, session_id: str) -> bool:
        """Delete one session (messages, marks, summary); return whether it existed."""
        return await self._drop_session(
            check_identity("user_id", user_id), check_identity("session_id", session_id)
        )

    async def delete_user(self, user_id: str) -> int:
        """Delete every session of ``user_id`` (a "forget me" request); return how many."""
        return await self._drop_user(check_identity("user_id", user_id))

    async def prune(
        self,
        mark: str | list[str],
        older_than: timedelta,
        *,
        progress: Callable[[SessionInfo, int], object] | None = None,
    ) -> int:
        """Delete, in every session, the messages with a mark stored at least ``older_than`` ago.

        Each session is :meth:`MemoryBase.delete_by_mark` with ``older_than`` (see there for
        how ages count), one after another while paging through the sessions, so the cost is
        one listing plus the sessions holding messages and the messages removed. Sessions
        written while it runs are pruned if the listing reaches them. A session left empty
        stays until deleted (its summary, if any, too).

        Args:
            mark: The mark(s); a message carrying any of them may go.
            older_than: The age from which a message goes; ``timedelta(0)``: every one.
            progress: Called after each session holding messages is visited, with the
                session and how many of its messages were deleted (for progress reports).

        Returns:
            How many messages were deleted across all sessions.

        Raises:
            TypeError: ``mark`` is not a str / list of str, or ``older_than`` no timedelta.
            ValueError: a mark is malformed, or ``older_than`` is negative.
        """
        marks = check_marks("mark", mark)
        if older_than is None:
            raise TypeError("older_than must be a datetime.timedelta, got NoneType")
        check_age("older_than", older_than)
        if not marks:
            return 0
        removed = 0
        after: tuple[str, str] | None = None
        while page := await self._session_page(user_id=None, after=after, limit=_PRUNE_PAGE_SIZE):
            for info in page:
                if info.message_count:
                    async with self._open_memory(info.user_id, info.session_id) as memory:
                        count = await memory.delete_by_mark(list(marks), older_than=older_than)
                    removed += count
                    if progress is not None:
                        progress(info, count)
            after = (page[-1].user_id, page[-1].session_id)
        return removed

    async def _drop_user(self, user_id: str) -> int:
        """Delete every session of ``user_id``; return how many held something.

        This default visits the listed sessions; a backend that also keeps entries for empty
        sessions (an index, say) overrides it to remove those too.
        """
        deleted = 0
        after: tuple[str, str] | None = None
        while page := await self._session_page(user_id=user_id, after=after, limit=500):
            for info in page:
                deleted += await self._drop_session(info.user_id, info.session_id)
            after = (page[-1].user_id, page[-1].session_id)
        return deleted

    @property
    def _telemetry_backend(self) -> str:
        """This backend's ``memmark.backend`` in telemetry; each backend names itself."""
        return type(self).__name__

    @abstractmethod
    def _open_memory(self, user_id: str, session_id: str) -> MemoryBase:
        """Return a memory of (user_id, session_id) on the shared pool."""

    @abstractmethod
    async def _user_page(self, *, after: str | None, limit: int) -> list[str]:
        """Return up to ``limit`` user ids greater than ``after``, ascending."""

    @abstractmethod
    async def _session_page(
        self, *, user_id: str | None, after: tuple[str, str] | None, limit: int
    ) -> list[SessionInfo]:
        """Return up to ``limit`` sessions after ``after`` in (user_id, session_id) order."""

    @abstractmethod
    async def _drop_session(self, user_id: str, session_id: str) -> bool:
        """Delete one session; return whether it held a message or a summary."""
