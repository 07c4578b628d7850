"""``MemoryBase``: the one contract every backend fulfils.

Every public method is concrete here. It validates and normalises its arguments (raising
``TypeError`` / ``ValueError`` before any I/O), applies the shared semantics, then awaits one
storage primitive. A backend implements only the primitives, which receive normalised input:

=====================  ===================================================================
primitive              contract
=====================  ===================================================================
``_insert``            append messages after all stored ones, in order, each with its own
                       marks; skip any whose ``msg_id`` is already stored; atomic
``_select``            one consistent read: the summary and the messages filtered by
                       ``mark`` / ``exclude_mark``, the newest ``limit`` ones, oldest first
``_count``             number of stored messages
``_remove_ids``        delete these messages and their marks; return how many existed
``_remove_marked``     delete every message carrying any of these marks; return the count
``_relabel``           the mark update described in :meth:`MemoryBase.update_messages_mark`
``_set_summary``       store the summary (``""`` clears it)
``_wipe``              delete every message, mark and the summary of this session
``_pop``               remove the newest message and return it (``None`` when empty);
                       atomic: two concurrent pops never return the same message
``_replace``           optional: atomically swap the whole session for a snapshot
=====================  ===================================================================

Every primitive acts on this memory's (user_id, session_id) only.
"""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Iterable, Sequence
from typing import Any

from memmark._core._closing import AsyncClosing
from memmark._core._record import Snapshot, StoredMessage, decode_payload, encode_payload
from memmark._core._state import decode_state, encode_state
from memmark._core._validation import (
    check_identity,
    check_limit,
    check_marks,
    check_msg_ids,
    check_msgs,
    check_optional_mark,
    check_summary,
)
from memmark.errors import ContentTooLargeError
from memmark.message import Msg

__all__ = ["MemoryBase"]


class MemoryBase(AsyncClosing):
    """Conversation memory of one (user_id, session_id): messages with marks, and a summary.

    Subclass it and implement the primitives listed in this module's docstring to add a
    backend; argument checks and shared semantics come with the base class.
    """

    max_payload_bytes: int | None = None
    """Largest serialised message the backend can store, or ``None`` for no hard limit.

    A class attribute, unless the limit depends on the storage (the SQL dialect, say).
    """

    max_summary_bytes: int | None = None
    """Largest summary in UTF-8 bytes, when tighter than :attr:`max_payload_bytes`."""

    max_identity_bytes: int | None = None
    """Largest ``user_id`` / ``session_id`` in UTF-8 bytes, for backends that key on bytes."""

    def __init__(
        self,
        *,
        user_id: str = "default_user",
        session_id: str = "default_session",
    ) -> None:
        """Bind the memory to one user's session.

        Raises:
            TypeError: an id is not a str.
            ValueError: an id is empty, longer than 1,024 characters or contains NUL.
        """
        self.user_id = check_identity("user_id", user_id)
        self.session_id = check_identity("session_id", session_id)
        self._check_identity_sizes()

    async def add(
        self,
        memories: Msg | list[Msg] | None,
        marks: str | list[str] | None = None,
    ) -> None:
        """Append messages, each carrying ``marks``; all of them are stored, or none.

        A message whose id is already stored (or earlier in ``memories``) is skipped whole.
        Stored messages are copies: later changes to the caller's ``Msg`` do not reach memory.

        Raises:
            TypeError: ``memories`` holds a non-``Msg``, content is not JSON-serialisable,
                or ``marks`` is not a str / list of str.
            ValueError: a mark or message id is empty, too long or contains NUL.
            ContentTooLargeError: a message exceeds the backend's hard size limit.
        """
        msgs = check_msgs(memories)
        mark_tuple = check_marks("marks", marks)
        records: dict[str, StoredMessage] = {}
        for msg in msgs:
            if msg.id not in records:
                records[msg.id] = StoredMessage(msg.id, encode_payload(msg), mark_tuple)
        if not records:
            return
        self._check_sizes(records.values())
        await self._insert(list(records.values()))

    async def get_memory(
        self,
        mark: str | None = None,
        exclude_mark: str | None = None,
        prepend_summary: bool = True,
        *,
        limit: int | None = None,
    ) -> list[Msg]:
        """Return messages oldest first: those with ``mark`` and without ``exclude_mark``.

        Args:
            mark: Keep only messages carrying this mark.
            exclude_mark: Drop messages carrying this mark.
            prepend_summary: Put the compressed summary, if set, first as a user message.
            limit: Keep only the newest ``limit`` matching messages (still oldest first);
                the summary does not count towards it.

        Raises:
            TypeError: a mark is not a str, or ``limit`` is not an int.
            ValueError: a mark is empty or contains NUL, or ``limit`` is outside
                0..2**31 - 1.
        """
        mark = check_optional_mark("mark", mark)
        exclude_mark = check_optional_mark("exclude_mark", exclude_mark)
        limit = check_limit(limit)
        snapshot = await self._select(
            mark=mark, exclude_mark=exclude_mark, limit=limit, with_marks=False
        )
        msgs = [decode_payload(stored.payload) for stored in snapshot.messages]
        if prepend_summary and snapshot.summary:
            msgs.insert(0, Msg("user", snapshot.summary, "user"))
        return msgs

    async def delete(self, msg_ids: list[str]) -> int:
        """Delete messages (and their marks) by id; unknown ids are ignored.

        Returns:
            How many of the messages existed.
        """
        ids = check_msg_ids("msg_ids", msg_ids)
        if not ids:
            return 0
        return await self._remove_ids(ids)

    async def delete_by_mark(self, mark: str | list[str]) -> int:
        """Delete every message carrying any of the marks.

        Returns:
            How many messages were deleted.
        """
        if mark is None:
            raise TypeError("mark must be a str or a list of str, got NoneType")
        marks = check_marks("mark", mark)
        if not marks:
            return 0
        return await self._remove_marked(marks)

    async def update_messages_mark(
        self,
        new_mark: str | None,
        old_mark: str | None = None,
        msg_ids: list[str] | None = None,
    ) -> int:
        """Add, replace or remove a mark on a scope of messages, atomically.

        The scope is the messages in ``msg_ids`` (all when ``None``) that carry ``old_mark``
        (any when ``None``). Then ``new_mark=None`` removes ``old_mark`` from them; otherwise
        ``old_mark`` is replaced by ``new_mark``, or, without ``old_mark``, they gain it.

        Returns:
            The number of messages whose set of marks changed.
        """
        new_mark = check_optional_mark("new_mark", new_mark)
        old_mark = check_optional_mark("old_mark", old_mark)
        ids = None if msg_ids is None else check_msg_ids("msg_ids", msg_ids)
        if new_mark == old_mark or ids == ():
            return 0
        return await self._relabel(new_mark=new_mark, old_mark=old_mark, msg_ids=ids)

    async def update_compressed_summary(self, summary: str) -> None:
        """Store the compressed summary of this session (``""`` clears it).

        Raises:
            TypeError: ``summary`` is not a str.
            ValueError: it holds an unpaired surrogate.
            ContentTooLargeError: its UTF-8 form exceeds the backend's hard size limit.
        """
        summary = check_summary(summary)
        self._check_summary_size(summary)
        await self._set_summary(summary)

    async def size(self) -> int:
        """Return the number of stored messages (the summary is not one)."""
        return await self._count()

    async def clear(self) -> None:
        """Delete every message, mark and the summary of this user's session only."""
        await self._wipe()

    async def pop(self) -> Msg | None:
        """Remove the newest message and return it, atomically; ``None`` when empty.

        Two concurrent pops (coroutines, memory objects or processes) never return the
        same message: the storage removes and returns it in one step.
        """
        stored = await self._pop()
        return None if stored is None else decode_payload(stored.payload)

    async def export_state(self) -> dict[str, Any]:
        """Return the whole session in the tutorial's ``state_dict`` format."""
        snapshot = await self._select(mark=None, exclude_mark=None, limit=None, with_marks=True)
        return encode_state(snapshot)

    async def import_state(self, state: dict[str, Any]) -> None:
        """Replace the whole session with a state from :meth:`export_state` (any backend).

        The state is checked completely before anything is written.
        """
        snapshot = decode_state(state, strict=True)
        self._check_sizes(snapshot.messages)
        self._check_summary_size(snapshot.summary)
        await self._replace(snapshot)

    async def close(self) -> None:
        """Release what this memory created itself; resources passed in stay the caller's."""

    def _check_sizes(self, records: Iterable[StoredMessage]) -> None:
        """Raise before any write if a payload exceeds :attr:`max_payload_bytes`."""
        limit = self.max_payload_bytes
        if limit is None:
            return
        for stored in records:
            if len(stored.payload) > limit:
                raise ContentTooLargeError(
                    f"message {stored.msg_id!r} is {len(stored.payload)} bytes serialised; "
                    f"{type(self).__name__} stores at most {limit} bytes per message"
                )

    def _check_identity_sizes(self) -> None:
        """Raise if an id exceeds :attr:`max_identity_bytes` in UTF-8."""
        limit = self.max_identity_bytes
        if limit is None:
            return
        for name, value in (("user_id", self.user_id), ("session_id", self.session_id)):
            size = len(value.encode("utf-8"))
            if size > limit:
                raise ContentTooLargeError(
                    f"{name} is {size} bytes in UTF-8; "
                    f"{type(self).__name__} stores ids of at most {limit} bytes"
                )

    def _check_summary_size(self, summary: str) -> None:
        """Raise before any write if the summary, as the backend stores it, is over its limits."""
        limits = [lim for lim in (self.max_payload_bytes, self.max_summary_bytes) if lim]
        if not limits:
            return
        limit = min(limits)
        size = self._stored_summary_bytes(summary)
        if size > limit:
            raise ContentTooLargeError(
                f"the summary is {size} bytes as {type(self).__name__} stores it; "
                f"it stores at most {limit} bytes"
            )

    def _stored_summary_bytes(self, summary: str) -> int:
        """The summary's size as stored: its UTF-8 bytes, unless the backend escapes it."""
        return len(summary.encode("utf-8"))

    async def _replace(self, snapshot: Snapshot) -> None:
        """Swap the session's content for ``snapshot``.

        This default is not atomic; backends that can do it in one transaction override it.
        """
        await self._wipe()
        if snapshot.messages:
            await self._insert(snapshot.messages)
        await self._set_summary(snapshot.summary)

    @abstractmethod
    async def _insert(self, records: Sequence[StoredMessage]) -> None:
        """Append ``records`` (distinct ids) in order, skipping ids already stored; atomic."""

    @abstractmethod
    async def _select(
        self,
        *,
        mark: str | None,
        exclude_mark: str | None,
        limit: int | None,
        with_marks: bool,
    ) -> Snapshot:
        """Read the summary and the matching messages, newest ``limit`` of them, oldest first.

        ``marks`` of each returned record is filled only when ``with_marks`` is true.
        """

    @abstractmethod
    async def _count(self) -> int:
        """Return the number of stored messages."""

    @abstractmethod
    async def _remove_ids(self, msg_ids: tuple[str, ...]) -> int:
        """Delete these messages and their marks; return how many existed."""

    @abstractmethod
    async def _remove_marked(self, marks: tuple[str, ...]) -> int:
        """Delete every message carrying any of ``marks``; return how many."""

    @abstractmethod
    async def _relabel(
        self,
        *,
        new_mark: str | None,
        old_mark: str | None,
        msg_ids: tuple[str, ...] | None,
    ) -> int:
        """Update marks as :meth:`update_messages_mark` says; return messages changed.

        Called with ``new_mark != old_mark`` and a non-empty ``msg_ids`` or ``None`` (all).
        """

    @abstractmethod
    async def _set_summary(self, summary: str) -> None:
        """Store the summary; ``""`` clears it."""

    @abstractmethod
    async def _wipe(self) -> None:
        """Delete every message, mark and the summary of this session."""

    @abstractmethod
    async def _pop(self) -> StoredMessage | None:
        """Remove the newest message with its marks and return it; ``None`` when empty.

        Atomic: no other write of the session runs between finding and removing it.
        """
