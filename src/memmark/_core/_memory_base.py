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
                       ``mark`` / ``exclude_mark``, the newest ``limit`` (None or >= 1)
                       ones, oldest first
``_count``             number of stored messages
``_remove_ids``        delete these messages and their marks; return how many existed
``_remove_marked``     delete every message carrying any of these marks, stored at least
                       ``older_than_ms`` ago when that is not ``None``; return the count
``_relabel``           the mark update described in :meth:`MemoryBase.update_messages_mark`
``_set_summary``       store the summary (``""`` clears it)
``_wipe``              delete every message, mark and the summary of this session
``_pop``               remove the newest message and return it (``None`` when empty);
                       atomic: two concurrent pops never return the same message
``_rewind``            remove a message and every later one; return how many; atomic
``_compress``          store the summary and mark (or delete) messages, in one step
``_fill``              on an empty session, store a snapshot in one step; refuse
                       (``False``) a session holding a message or a summary
``_sibling``           a memory of the same backend and storage, on another session
``_version``           the session's version: a counter every changing write increases
=====================  ===================================================================

Every write primitive takes ``expected``: ``None``, or the version the caller expects. The
primitive compares it with the stored version inside its atomic step (transaction, script,
lock) and, when they differ, raises :class:`~memmark.errors.ConflictError` having changed
nothing. A write that changes something increases the version; one that changes nothing
leaves it.

=====================  ===================================================================
``_replace``           optional: atomically swap the whole session for a snapshot, and
                       record ``snapshot.updated_at`` (if set) as its last-update time
``_copy_to``           optional: ``fork``'s copy in fewer round trips than ``_select``
                       then the target's ``_fill`` (the default), with their outcome
``_select_payloads``   optional: ``_select`` without marks, as the summary and the bare
                       payloads (no ids), for a backend whose reply can leave the ids out
=====================  ===================================================================

Every message has a stored-at time, recorded by the primitive that stores it (``_insert``,
``_fill``, ``_replace``), to the millisecond, by the storage's clock where it has one: the
database server's (SQL, SQLite: the library's), the Redis server's (``TIME``), the client's
otherwise (Tablestore, in-memory). ``_remove_marked`` compares ages by that same clock.

Every primitive acts on this memory's (user_id, session_id) only. Every public operation
emits OpenTelemetry spans and metrics when a provider is configured (see
:mod:`memmark._core._telemetry`); a backend only names itself in ``_telemetry_backend``.
"""

from __future__ import annotations

import enum
from abc import abstractmethod
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any

from memmark._core._closing import AsyncClosing
from memmark._core._record import (
    Snapshot,
    StoredMessage,
    decode_payload,
    decode_payloads,
    encode_payload,
)
from memmark._core._state import check_reference_state, decode_state, encode_state
from memmark._core._telemetry import instrument_operations
from memmark._core._validation import (
    MSG_ID_MAX_LENGTH,
    check_age,
    check_expected_version,
    check_identity,
    check_limit,
    check_marks,
    check_msg_ids,
    check_msgs,
    check_optional_mark,
    check_summary,
    check_text,
    check_timestamp,
    refuse_duplicates,
)
from memmark.errors import ConflictError, ContentTooLargeError
from memmark.message import Msg

__all__ = ["CopyOutcome", "MemoryBase"]


class CopyOutcome(enum.Enum):
    """What ``_copy_to`` did (see :meth:`MemoryBase.fork`)."""

    COPIED = "copied"
    UPTO_MISSING = "upto is not a message of the session"
    TARGET_HELD = "the target holds a message or a summary; nothing written"


@instrument_operations
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
        user_id: str | None = "default_user",
        session_id: str | None = "default_session",
    ) -> None:
        """Bind the memory to one user's session (``None`` means the default id, as in AgentScope).

        Raises:
            TypeError: an id is not a str.
            ValueError: an id is empty, longer than 1,024 characters or contains NUL.
        """
        self.user_id = check_identity("user_id", "default_user" if user_id is None else user_id)
        self.session_id = check_identity(
            "session_id", "default_session" if session_id is None else session_id
        )
        self._check_identity_sizes()

    async def add(
        self,
        memories: Msg | list[Msg] | None,
        marks: str | list[str] | None = None,
        allow_duplicates: bool = False,
        *,
        expected_version: int | None = None,
        **kwargs: Any,
    ) -> None:
        """Append messages, each carrying ``marks``; all of them are stored, or none.

        A message whose id is already stored (or earlier in ``memories``) is skipped whole.
        Stored messages are copies: later changes to the caller's ``Msg`` do not reach memory.
        Further keyword arguments are accepted and ignored, as AgentScope's memories do.

        Args:
            memories: The message(s) to append; ``None`` is a no-op.
            marks: The mark(s) every one of them carries.
            allow_duplicates: AgentScope's switch to store an id twice. memmark stores each
                message id once per session, so ``True`` raises instead of being ignored.
            expected_version: Write only if the session is at this :meth:`version`.
            **kwargs: Ignored (AgentScope's signature).

        Raises:
            TypeError: ``memories`` holds a non-``Msg``, content is not JSON-serialisable,
                or ``marks`` is not a str / list of str.
            ValueError: a mark or message id is empty, too long or contains NUL, or
                ``allow_duplicates`` is true.
            ContentTooLargeError: a message exceeds the backend's hard size limit.
            ConflictError: ``expected_version`` differs from the stored version.
        """
        refuse_duplicates("allow_duplicates", allow_duplicates, duplicates_when=True)
        msgs = check_msgs(memories)
        mark_tuple = check_marks("marks", marks)
        expected = check_expected_version(expected_version)
        records: dict[str, StoredMessage] = {}
        for msg in msgs:
            if msg.id not in records:
                records[msg.id] = StoredMessage(msg.id, encode_payload(msg), mark_tuple)
        if not records:
            await self._check_unchanged(expected)
            return
        self._check_sizes(records.values())
        await self._insert(list(records.values()), expected=expected)

    async def _add_flagged(
        self,
        flag: str,
        value: object,
        duplicates_when: bool | None,
        memories: Msg | list[Msg] | None,
        marks: str | list[str] | None,
        expected_version: int | None,
        kwargs: dict[str, Any],
    ) -> None:
        """:meth:`add` for a backend whose AgentScope ``add`` has its own third parameter.

        A backend's ``add`` keeps AgentScope's signature and states only that parameter;
        the rest of the contract, and the checks, are :meth:`add`'s.

        Args:
            flag: The parameter's name (``skip_duplicated``, ``allow_duplicates``).
            value: Its value; it must be a bool.
            duplicates_when: The value that asks to store an id twice, which raises
                ``ValueError``; ``None`` when every bool is a no-op.
            memories: As :meth:`add`.
            marks: As :meth:`add`.
            expected_version: As :meth:`add`.
            kwargs: The further keyword arguments, passed on to :meth:`add`.
        """
        refuse_duplicates(flag, value, duplicates_when=duplicates_when)
        await MemoryBase.add(self, memories, marks, expected_version=expected_version, **kwargs)

    async def get_memory(
        self,
        mark: str | None = None,
        exclude_mark: str | None = None,
        prepend_summary: bool = True,
        *,
        limit: int | None = None,
        **kwargs: Any,
    ) -> list[Msg]:
        """Return messages oldest first: those with ``mark`` and without ``exclude_mark``.

        Args:
            mark: Keep only messages carrying this mark.
            exclude_mark: Drop messages carrying this mark.
            prepend_summary: Put the compressed summary, if set, first as a user message.
            limit: Keep only the newest ``limit`` matching messages (still oldest first);
                the summary does not count towards it.
            **kwargs: Ignored (AgentScope's signature).

        Raises:
            TypeError: a mark is not a str, or ``limit`` is not an int.
            ValueError: a mark is empty or contains NUL, or ``limit`` is outside
                0..2**31 - 1.
        """
        mark = check_optional_mark("mark", mark)
        exclude_mark = check_optional_mark("exclude_mark", exclude_mark)
        limit = check_limit(limit)
        # ``_select`` never sees ``limit=0``: it reads one message here, for the summary.
        summary, payloads = await self._select_payloads(
            mark=mark, exclude_mark=exclude_mark, limit=1 if limit == 0 else limit
        )
        msgs = decode_payloads(payloads) if limit != 0 else []
        if prepend_summary and summary:
            msgs.insert(0, Msg("user", summary, "user"))
        return msgs

    async def delete(
        self, msg_ids: list[str], *, expected_version: int | None = None, **kwargs: Any
    ) -> int:
        """Delete messages (and their marks) by id; unknown ids are ignored.

        Returns:
            How many of the messages existed.
        """
        ids = check_msg_ids("msg_ids", msg_ids)
        expected = check_expected_version(expected_version)
        if not ids:
            await self._check_unchanged(expected)
            return 0
        return await self._remove_ids(ids, expected=expected)

    async def delete_by_mark(
        self,
        mark: str | list[str],
        *,
        older_than: timedelta | None = None,
        expected_version: int | None = None,
        **kwargs: Any,
    ) -> int:
        """Delete every message carrying any of the marks (retention: only the old ones).

        Args:
            mark: The mark(s); a message carrying any of them goes.
            older_than: Delete only messages stored at least this long ago (``timedelta(0)``:
                all of them, as ``None`` does). Ages count from when memmark stored the
                message into this session, by the storage's clock where it has one (the
                SQL or Redis server's; the client's for Tablestore and in-memory), to the
                millisecond. A message copied by :meth:`fork` or :meth:`import_state`
                counts as stored when it was copied; marking a message does not change it.
            expected_version: Delete only if the session is at this :meth:`version`.
            **kwargs: Ignored (AgentScope's signature).

        Returns:
            How many messages were deleted.

        Raises:
            TypeError: ``mark`` is not a str / list of str, or ``older_than`` not a
                ``timedelta``.
            ValueError: a mark is empty, too long or contains NUL, or ``older_than`` is
                negative.
            ConflictError: ``expected_version`` differs from the stored version.
        """
        if mark is None:
            raise TypeError("mark must be a str or a list of str, got NoneType")
        marks = check_marks("mark", mark)
        older_than_ms = check_age("older_than", older_than) or None  # 0: every one of them
        expected = check_expected_version(expected_version)
        if not marks:
            await self._check_unchanged(expected)
            return 0
        return await self._remove_marked(marks, older_than_ms=older_than_ms, expected=expected)

    async def update_messages_mark(
        self,
        new_mark: str | None,
        old_mark: str | None = None,
        msg_ids: list[str] | None = None,
        *,
        expected_version: int | None = None,
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
        expected = check_expected_version(expected_version)
        if new_mark == old_mark or ids == ():
            await self._check_unchanged(expected)
            return 0
        return await self._relabel(
            new_mark=new_mark, old_mark=old_mark, msg_ids=ids, expected=expected
        )

    async def update_compressed_summary(
        self, summary: str, *, expected_version: int | None = None
    ) -> None:
        """Store the compressed summary of this session (``""`` clears it).

        Raises:
            TypeError: ``summary`` is not a str.
            ValueError: it holds an unpaired surrogate.
            ContentTooLargeError: its UTF-8 form exceeds the backend's hard size limit.
        """
        summary = check_summary(summary)
        expected = check_expected_version(expected_version)
        self._check_summary_size(summary)
        await self._set_summary(summary, expected=expected)

    async def size(self) -> int:
        """Return the number of stored messages (the summary is not one)."""
        return await self._count()

    async def clear(self, *, expected_version: int | None = None) -> None:
        """Delete every message, mark and the summary of this user's session only."""
        await self._wipe(expected=check_expected_version(expected_version))

    async def pop(self, *, expected_version: int | None = None) -> Msg | None:
        """Remove the newest message and return it, atomically; ``None`` when empty.

        Two concurrent pops (coroutines, memory objects or processes) never return the
        same message: the storage removes and returns it in one step.
        """
        stored = await self._pop(expected=check_expected_version(expected_version))
        return None if stored is None else decode_payload(stored.payload)

    async def rewind(self, msg_id: str, *, expected_version: int | None = None) -> int:
        """Remove ``msg_id`` and every message stored after it, atomically (retry a turn).

        Returns:
            How many messages were removed; 0 when ``msg_id`` is not stored.

        Raises:
            TypeError: ``msg_id`` is not a str.
            ValueError: it is empty, too long or contains NUL.
        """
        msg_id = check_text("msg_id", msg_id, max_length=MSG_ID_MAX_LENGTH)
        return await self._rewind(msg_id, expected=check_expected_version(expected_version))

    async def compress(
        self,
        summary: str,
        msg_ids: list[str],
        *,
        mark: str | None = "compressed",
        expected_version: int | None = None,
    ) -> int:
        """Store ``summary`` and mark the messages ``msg_ids`` (or delete them), in one step.

        A concurrent reader sees the session before or after, never the new summary beside
        unmarked messages. With ``mark=None`` the messages are deleted instead of marked.

        Returns:
            How many messages changed: gained the mark (those already carrying it do not
            count) or, with ``mark=None``, were deleted. Unknown ids are ignored.

        Raises:
            TypeError: ``summary`` is not a str, ``msg_ids`` not a list of str, or ``mark``
                not a str or None.
            ValueError: a message id or the mark is empty, too long or contains NUL.
            ContentTooLargeError: the summary exceeds the backend's hard size limit.
        """
        summary = check_summary(summary)
        ids = check_msg_ids("msg_ids", msg_ids)
        mark = check_optional_mark("mark", mark)
        expected = check_expected_version(expected_version)
        self._check_summary_size(summary)
        return await self._compress(summary, ids, mark, expected=expected)

    async def fork(self, new_session_id: str, *, upto: str | None = None) -> MemoryBase:
        """Copy this session into a new, empty session of the same user, and open it.

        The copy holds the summary and the messages with their ids and marks, up to and
        including the message ``upto`` when given. It is written in one step: a reader of
        the new session sees nothing or all of it.

        Returns:
            A memory of the same backend on the new session, sharing this memory's storage
            connection (close this memory last; closing the fork releases nothing of it).

        Raises:
            TypeError: ``new_session_id`` or ``upto`` is not a str.
            ValueError: ``new_session_id`` is malformed or this session's own, ``upto`` is
                not a message of this session, or the new session already holds a message
                or a summary (nothing is written then).
        """
        new_session_id = check_identity("new_session_id", new_session_id)
        if upto is not None:
            upto = check_text("upto", upto, max_length=MSG_ID_MAX_LENGTH)
        if new_session_id == self.session_id:
            raise ValueError("new_session_id must differ from this memory's session_id")
        target = self._sibling(new_session_id)
        outcome = await self._copy_to(target, upto)
        if outcome is CopyOutcome.UPTO_MISSING:
            raise ValueError(f"upto {upto!r} is not a message of this session")
        if outcome is CopyOutcome.TARGET_HELD:
            raise ValueError(
                f"session {new_session_id!r} of user {self.user_id!r} already holds messages "
                "or a summary; fork only into an empty session"
            )
        return target

    async def version(self) -> int:
        """Return the session's version: 0 for a session never changed, then increasing.

        Every write that changes the session increases it; pass it back as
        ``expected_version=`` to a write so that the write happens only if nobody changed
        the session since (optimistic concurrency, enforced by the storage).
        """
        return await self._version()

    async def _check_unchanged(self, expected: int | None) -> None:
        """For a write that turned out to change nothing: still refuse a stale version."""
        if expected is not None:
            current = await self._version()
            if current != expected:
                raise ConflictError(expected, current)

    async def export_state(self) -> dict[str, Any]:
        """Return the whole session in the tutorial's ``state_dict`` format."""
        snapshot = await self._select(mark=None, exclude_mark=None, limit=None, with_marks=True)
        return encode_state(snapshot)

    async def import_state(
        self,
        state: dict[str, Any],
        *,
        updated_at: datetime | None = None,
        expected_version: int | None = None,
    ) -> None:
        """Replace the whole session with a state from :meth:`export_state` (any backend).

        The state is checked completely before anything is written.

        Args:
            state: The session, in the tutorial's ``state_dict`` format.
            updated_at: The session's last-update time to keep (a copy keeps its source's),
                timezone-aware; ``None`` records now. Backends that record the time
                (``SessionInfo.updated_at``) store it to their own precision.
            expected_version: Replace only if the session is at this version.

        Raises:
            TypeError, ValueError: the state or ``updated_at`` is malformed.
            ConflictError: ``expected_version`` differs from the stored version.
        """
        when = check_timestamp("updated_at", updated_at)
        decoded = decode_state(state, strict=True)
        snapshot = Snapshot(decoded.summary, decoded.messages, when)
        expected = check_expected_version(expected_version)
        self._check_sizes(snapshot.messages)
        self._check_summary_size(snapshot.summary)
        await self._replace(snapshot, expected=expected)

    async def close(self) -> None:
        """Release what this memory created itself; resources passed in stay the caller's."""

    def state_dict(self) -> dict[str, Any]:
        """Return which session this memory is bound to; its content stays in the storage.

        A persistent memory's messages, marks and summary live in its database, so an
        AgentScope agent's ``state_dict()`` (and a saved AgentScope session) records only this
        reference, and loading it back reconnects to the same data. Use :meth:`export_state`
        for the content itself. :class:`InMemoryMemory` returns its content instead.
        """
        return {"user_id": self.user_id, "session_id": self.session_id}

    def load_state_dict(self, state_dict: dict[str, Any], strict: bool = True) -> None:
        """Check a :meth:`state_dict` against this memory; the storage already holds the data.

        Args:
            state_dict: A dict from :meth:`state_dict`.
            strict: Refuse unknown keys; otherwise they are ignored. A state without ids,
                or AgentScope's ``{"_compressed_summary": ""}``, has nothing to check.

        Raises:
            TypeError: ``state_dict`` is not a dict.
            ValueError: it names another session (a memory never switches to another
                user's data), or carries content (``await import_state(state)`` writes
                a tutorial-format state into the storage).
        """
        check_reference_state(state_dict, self.user_id, self.session_id, strict=strict)

    @property
    def _telemetry_backend(self) -> str:
        """This backend's ``memmark.backend`` in telemetry; each backend names itself."""
        return type(self).__name__

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

    async def _replace(self, snapshot: Snapshot, *, expected: int | None) -> None:
        """Swap the session's content for ``snapshot``.

        This default is not atomic; backends that can do it in one transaction override it.
        """
        await self._wipe(expected=expected)
        if snapshot.messages:
            await self._insert(snapshot.messages, expected=None)
        await self._set_summary(snapshot.summary, expected=None)

    async def _select_payloads(
        self, *, mark: str | None, exclude_mark: str | None, limit: int | None
    ) -> tuple[str, Sequence[str]]:
        """Read the summary and the payloads :meth:`_select` would return, in its order.

        This default reads them through ``_select``; a backend that can reply with the
        payloads alone, without ids, overrides it.
        """
        snapshot = await self._select(
            mark=mark, exclude_mark=exclude_mark, limit=limit, with_marks=False
        )
        return snapshot.summary, [stored.payload for stored in snapshot.messages]

    @abstractmethod
    async def _insert(self, records: Sequence[StoredMessage], *, expected: int | None) -> None:
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

        ``marks`` of each returned record is filled when ``with_marks`` is true (a backend
        may fill them anyway).
        """

    @abstractmethod
    async def _count(self) -> int:
        """Return the number of stored messages."""

    @abstractmethod
    async def _remove_ids(self, msg_ids: tuple[str, ...], *, expected: int | None) -> int:
        """Delete these messages and their marks; return how many existed."""

    @abstractmethod
    async def _remove_marked(
        self, marks: tuple[str, ...], *, older_than_ms: int | None, expected: int | None
    ) -> int:
        """Delete every message carrying any of ``marks``; return how many.

        With ``older_than_ms`` (>= 1), only those whose stored-at time is at most the
        storage's now minus that many milliseconds.
        """

    @abstractmethod
    async def _relabel(
        self,
        *,
        new_mark: str | None,
        old_mark: str | None,
        msg_ids: tuple[str, ...] | None,
        expected: int | None,
    ) -> int:
        """Update marks as :meth:`update_messages_mark` says; return messages changed.

        Called with ``new_mark != old_mark`` and a non-empty ``msg_ids`` or ``None`` (all).
        """

    @abstractmethod
    async def _set_summary(self, summary: str, *, expected: int | None) -> None:
        """Store the summary; ``""`` clears it."""

    @abstractmethod
    async def _wipe(self, *, expected: int | None) -> None:
        """Delete every message, mark and the summary of this session."""

    @abstractmethod
    async def _pop(self, *, expected: int | None) -> StoredMessage | None:
        """Remove the newest message with its marks and return it; ``None`` when empty.

        Atomic: no other write of the session runs between finding and removing it.
        """

    @abstractmethod
    async def _rewind(self, msg_id: str, *, expected: int | None) -> int:
        """Remove ``msg_id`` and every later message with their marks; return how many.

        Atomic; an unknown ``msg_id`` removes nothing and returns 0.
        """

    @abstractmethod
    async def _compress(
        self, summary: str, msg_ids: tuple[str, ...], mark: str | None, *, expected: int | None
    ) -> int:
        """In one step: store ``summary``, and give ``msg_ids`` the mark (delete: ``None``).

        Returns how many messages gained the mark, or were deleted.
        """

    @abstractmethod
    async def _fill(self, snapshot: Snapshot) -> bool:
        """Store ``snapshot`` in one step if the session holds no message and no summary.

        Returns:
            Whether it was stored; ``False`` (nothing written) when the session held anything.
        """

    async def _copy_to(self, target: MemoryBase, upto: str | None) -> CopyOutcome:
        """Copy this session, up to and including ``upto`` (all if ``None``), into ``target``.

        ``target`` is a :meth:`_sibling`; it is written in one step, and only if it holds no
        message and no summary. By default this session is read with ``_select``, then
        ``target._fill`` writes it.
        """
        snapshot = await self._select(mark=None, exclude_mark=None, limit=None, with_marks=True)
        messages = snapshot.messages
        if upto is not None:
            ids = [stored.msg_id for stored in messages]
            if upto not in ids:
                return CopyOutcome.UPTO_MISSING
            messages = messages[: ids.index(upto) + 1]
        if await target._fill(Snapshot(snapshot.summary, messages)):
            return CopyOutcome.COPIED
        return CopyOutcome.TARGET_HELD

    @abstractmethod
    def _sibling(self, session_id: str) -> MemoryBase:
        """A memory of this backend on (this user, ``session_id``), on the same storage.

        It shares this memory's client or engine and never closes it.
        """

    @abstractmethod
    async def _version(self) -> int:
        """Return the session's version (0 for a session never written)."""
