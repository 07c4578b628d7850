"""``InMemoryMemory``: messages kept in this process, exported with ``state_dict``.

Usage::

    memory = InMemoryMemory()
    await memory.add(Msg("Alice", "Hi", "user"), marks="greeting")
    state = memory.state_dict()  # JSON-ready; load_state_dict(state) restores it
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from memmark._core import MemoryBase, Snapshot, StoredMessage, decode_state, encode_state

__all__ = ["InMemoryMemory"]


class InMemoryMemory(MemoryBase):
    """Memory held in a dict of this object; nothing survives the process.

    Every primitive runs without awaiting, so each call is atomic among coroutines.
    """

    def __init__(
        self,
        *,
        user_id: str = "default_user",
        session_id: str = "default_session",
    ) -> None:
        """Create an empty memory (the ids only label it; each object is its own session)."""
        super().__init__(user_id=user_id, session_id=session_id)
        self._messages: dict[str, tuple[str, set[str]]] = {}
        self._summary = ""

    def state_dict(self) -> dict[str, Any]:
        """Return the tutorial's state dict: summary and ``[msg_dict, marks]`` pairs."""
        return encode_state(self._snapshot(None, None, None, with_marks=True))

    def load_state_dict(self, state: dict[str, Any], strict: bool = True) -> None:
        """Replace the content with ``state`` (checked completely before anything changes).

        Args:
            state: A dict from :meth:`state_dict` or any backend's ``export_state``.
            strict: Require exactly the keys ``_compressed_summary`` and ``content``.
        """
        self._load(decode_state(state, strict=strict))

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
            for msg_id, (payload, marks) in self._messages.items()
            if (mark is None or mark in marks) and exclude_mark not in marks
        ]
        if limit is not None:
            selected = selected[max(0, len(selected) - limit) :] if limit else []
        return Snapshot(self._summary, selected)

    def _load(self, snapshot: Snapshot) -> None:
        self._messages = {
            stored.msg_id: (stored.payload, set(stored.marks)) for stored in snapshot.messages
        }
        self._summary = snapshot.summary

    async def _insert(self, records: Sequence[StoredMessage]) -> None:
        for stored in records:
            if stored.msg_id not in self._messages:
                self._messages[stored.msg_id] = (stored.payload, set(stored.marks))

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

    async def _remove_ids(self, msg_ids: tuple[str, ...]) -> int:
        return sum(self._messages.pop(msg_id, None) is not None for msg_id in msg_ids)

    async def _remove_marked(self, marks: tuple[str, ...]) -> int:
        doomed = [
            msg_id
            for msg_id, (_, msg_marks) in self._messages.items()
            if not msg_marks.isdisjoint(marks)
        ]
        return await self._remove_ids(tuple(doomed))

    async def _relabel(
        self,
        *,
        new_mark: str | None,
        old_mark: str | None,
        msg_ids: tuple[str, ...] | None,
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

    async def _set_summary(self, summary: str) -> None:
        self._summary = summary

    async def _wipe(self) -> None:
        self._messages = {}
        self._summary = ""

    async def _replace(self, snapshot: Snapshot) -> None:
        self._load(snapshot)

    async def _pop(self) -> StoredMessage | None:
        if not self._messages:
            return None
        msg_id, (payload, marks) = self._messages.popitem()  # dicts pop the newest
        return StoredMessage(msg_id, payload, tuple(marks))
