"""A test-only store over :class:`InMemoryMemory` objects, to test store-level code anywhere."""

from __future__ import annotations

from datetime import datetime, timezone

from memmark._core import Snapshot
from memmark.memory import InMemoryMemory, MemoryBase
from memmark.store import SessionInfo, StoreBase

DEFAULT_UPDATED_AT = datetime(2026, 1, 1, tzinfo=timezone.utc)


class _DictMemory(InMemoryMemory):
    """An InMemoryMemory that remembers the last-update time an import asks it to keep."""

    updated_at = DEFAULT_UPDATED_AT

    def __init__(self, store: DictStore, *, user_id: str, session_id: str) -> None:
        super().__init__(user_id=user_id, session_id=session_id)
        self.store = store

    def _sibling(self, session_id: str) -> MemoryBase:
        """A fork lands in the store's session, as on a real storage."""
        return self.store._open_memory(self.user_id, session_id)

    async def _replace(self, snapshot: Snapshot, *, expected: int | None) -> None:
        await super()._replace(snapshot, expected=expected)
        if snapshot.updated_at is not None:
            self.updated_at = snapshot.updated_at


class DictStore(StoreBase):
    """Sessions in a dict of this process; memories of one session share one object."""

    def __init__(self) -> None:
        self.sessions: dict[tuple[str, str], _DictMemory] = {}
        self.closed = False

    def _open_memory(self, user_id: str, session_id: str) -> MemoryBase:
        key = (user_id, session_id)
        if key not in self.sessions:
            self.sessions[key] = _DictMemory(self, user_id=user_id, session_id=session_id)
        return self.sessions[key]

    def _existing(self) -> list[tuple[str, str]]:
        return sorted(
            key
            for key, memory in self.sessions.items()
            if memory.state_dict()["content"] or memory.state_dict()["_compressed_summary"]
        )

    async def _user_page(self, *, after: str | None, limit: int) -> list[str]:
        users = sorted({user for user, _ in self._existing()})
        return [user for user in users if after is None or user > after][:limit]

    async def _session_page(
        self, *, user_id: str | None, after: tuple[str, str] | None, limit: int
    ) -> list[SessionInfo]:
        keys = [
            key
            for key in self._existing()
            if (user_id is None or key[0] == user_id) and (after is None or key > after)
        ][:limit]
        infos = []
        for key in keys:
            state = self.sessions[key].state_dict()
            infos.append(
                SessionInfo(
                    key[0],
                    key[1],
                    len(state["content"]),
                    self.sessions[key].updated_at,
                    bool(state["_compressed_summary"]),
                )
            )
        return infos

    async def _drop_session(self, user_id: str, session_id: str) -> bool:
        memory = self.sessions.pop((user_id, session_id), None)
        if memory is None:
            return False
        state = memory.state_dict()
        return bool(state["content"] or state["_compressed_summary"])

    async def close(self) -> None:
        self.closed = True
