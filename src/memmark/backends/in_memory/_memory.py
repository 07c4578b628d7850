"""``InMemoryMemory``: messages kept in this process, exported with ``state_dict``.

Usage::

    memory = InMemoryMemory()
    await memory.add(Msg("Alice", "Hi", "user"), marks="greeting")
    state = memory.state_dict()  # JSON-ready; load_state_dict(state) restores it
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

from memmark._core import MemoryBase, Snapshot, StoredMessage, decode_state, encode_state
from memmark.errors import ConflictError

__all__ = ["InMemoryMemory"]


def _now_ms() -> int:
    """This process's clock, in milliseconds since the epoch: a message's stored-at time."""
    return time.time_ns() // 1_000_000


class InMemoryMemory(MemoryBase):
    """Memory held in a dict of this object; nothing survives the process.

    Every primitive runs without awaiting, so each call is atomic among coroutines. A
    message's stored-at time comes from this process's clock.
    """

    def __init__(
        self,
        *,
        user_id: str | None = "default_user",
        session_id: str | None = "default_session",
    ) -> None:
        """Create an empty memory (the ids only label it; each object is its own session)."""
        super().__init__(user_id=user_id, session_id=session_id)
        self._messages: dict[str, tuple[str, set[str], int]] = {}
        """msg_id -> (payload, marks, stored-at in ms since the epoch), oldest first."""
        self._summary = ""
        self._version_number = 0

    @property
    def _telemetry_backend(self) -> str:
        return "in_memory"

    def state_dict(self) -> dict[str, Any]:
        """Return the tutorial's state dict: summary and ``[msg_dict, marks]`` pairs."""
        return encode_state(self._snapshot(None, None, None, with_marks=True))

    def load_state_dict(self, state_dict: dict[str, Any], strict: bool = True) -> None:
        """Replace the content with ``state_dict`` (checked completely before anything changes).

        Args:
            state_dict: A dict from :meth:`state_dict` or any backend's ``export_state``.
            strict: Require exactly the keys ``_compressed_summary`` and ``content``.
        """
        self._load(decode_state(state_dict, strict=strict))
        self._version_number += 1

    def _snapshot(
        self,
        mark: str | None,
        exclude_mark: str | None,
        limit: int | None,
        *,
        with_marks: bool,
    ) -> Snapshot:
        selected = [
            StoredMessage(msg_id, payload, tuple(marks) if with_marks else ())
            for msg_id, (payload, marks, _) in self._messages.items()
            if (mark is None or mark in marks) and exclude_mark not in marks
        ]
        if limit is not None:
            selected = selected[max(0, len(selected) - limit) :]
        return Snapshot(self._summary, selected)

    def _load(self, snapshot: Snapshot) -> None:
        now = _now_ms()
        self._messages = {
            stored.msg_id: (stored.payload, set(stored.marks), now) for stored in snapshot.messages
        }
        self._summary = snapshot.summary

    def _guard(self, expected: int | None) -> None:
        """Raise if ``expected`` is given and is not the current version."""
        if expected is not None and expected != self._version_number:
            raise ConflictError(expected, self._version_number)

    def _changed(self, count: int) -> int:
        """Count a write that changed ``count`` things (bumps the version when any)."""
        if count:
            self._version_number += 1
        return count

    async def _version(self) -> int:
        return self._version_number

    async def _insert(self, records: Sequence[StoredMessage], *, expected: int | None) -> None:
        self._guard(expected)
        stored = 0
        now = _now_ms()
        for record in records:
            if record.msg_id not in self._messages:
                self._messages[record.msg_id] = (record.payload, set(record.marks), now)
                stored += 1
        self._changed(stored)

    async def _select(
        self,
        *,
        mark: str | None,
        exclude_mark: str | None,
        limit: int | None,
        with_marks: bool,
    ) -> Snapshot:
        return self._snapshot(mark, exclude_mark, limit, with_marks=with_marks)

    async def _count(self) -> int:
        return len(self._messages)

    async def _remove_ids(self, msg_ids: tuple[str, ...], *, expected: int | None) -> int:
        self._guard(expected)
        return self._changed(self._delete(msg_ids))

    def _delete(self, msg_ids: tuple[str, ...]) -> int:
        return sum(self._messages.pop(msg_id, None) is not None for msg_id in msg_ids)

    async def _remove_marked(
        self, marks: tuple[str, ...], *, older_than_ms: int | None, expected: int | None
    ) -> int:
        latest = None if older_than_ms is None else _now_ms() - older_than_ms
        doomed = [
            msg_id
            for msg_id, (_, msg_marks, stored_at) in self._messages.items()
            if not msg_marks.isdisjoint(marks) and (latest is None or stored_at <= latest)
        ]
        return await self._remove_ids(tuple(doomed), expected=expected)

    async def _relabel(
        self,
        *,
        new_mark: str | None,
        old_mark: str | None,
        msg_ids: tuple[str, ...] | None,
        expected: int | None,
    ) -> int:
        self._guard(expected)
        return self._changed(self._mark(new_mark, old_mark, msg_ids))

    def _mark(
        self, new_mark: str | None, old_mark: str | None, msg_ids: Sequence[str] | None
    ) -> int:
        scope = self._messages.keys() if msg_ids is None else msg_ids
        changed = 0
        for msg_id in scope:
            entry = self._messages.get(msg_id)
            if entry is None:
                continue
            marks = entry[1]
            if old_mark is not None:
                if old_mark not in marks:
                    continue
                marks.discard(old_mark)
                if new_mark is not None:
                    marks.add(new_mark)
                changed += 1
            elif new_mark is not None and new_mark not in marks:
                marks.add(new_mark)
                changed += 1
        return changed

    async def _set_summary(self, summary: str, *, expected: int | None) -> None:
        self._guard(expected)
        self._changed(summary != self._summary)
        self._summary = summary

    async def _wipe(self, *, expected: int | None) -> None:
        self._guard(expected)
        self._changed(bool(self._messages or self._summary))
        self._messages = {}
        self._summary = ""

    async def _replace(self, snapshot: Snapshot, *, expected: int | None) -> None:
        self._guard(expected)
        self._load(snapshot)
        self._version_number += 1

    async def _pop(self, *, expected: int | None) -> StoredMessage | None:
        self._guard(expected)
        if not self._messages:
            return None
        msg_id, (payload, marks, _) = self._messages.popitem()  # dicts pop the newest
        self._changed(1)
        return StoredMessage(msg_id, payload, tuple(marks))

    async def _rewind(self, msg_id: str, *, expected: int | None) -> int:
        self._guard(expected)
        ids = list(self._messages)
        if msg_id not in self._messages:
            return 0
        return self._changed(self._delete(tuple(ids[ids.index(msg_id) :])))

    async def _compress(
        self, summary: str, msg_ids: tuple[str, ...], mark: str | None, *, expected: int | None
    ) -> int:
        self._guard(expected)
        summarised = summary != self._summary
        self._summary = summary
        changed = self._delete(msg_ids) if mark is None else self._mark(mark, None, msg_ids)
        self._changed(changed + summarised)
        return changed

    async def _fill(self, snapshot: Snapshot) -> bool:
        if self._messages or self._summary:
            return False
        self._load(snapshot)
        self._changed(bool(snapshot.messages or snapshot.summary))
        return True

    def _sibling(self, session_id: str) -> InMemoryMemory:
        return InMemoryMemory(user_id=self.user_id, session_id=session_id)
