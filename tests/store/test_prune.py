"""``store.prune(mark, older_than)``: retention by mark across every session of a store."""

from __future__ import annotations

from datetime import timedelta

import pytest

from memmark._core import _store_base
from memmark.message import Msg
from memmark.store import SessionInfo, StoreBase
from tests.store.stores import STORE_KINDS, OpenStore
from tests.waiting import eventually

A_DAY = timedelta(days=1)


async def _fill(store: StoreBase) -> dict[tuple[str, str], list[str]]:
    """Seven sessions of three users; the tool messages of each, by session."""
    tools: dict[tuple[str, str], list[str]] = {}
    for user in ("ann", "bob", "cy"):
        for session in ("s1", "s2"):
            memory = store.memory(user, session)
            await memory.add(Msg("a", f"{user}/{session} plain", "user"))
            await memory.add(Msg("a", f"{user}/{session} note", "user"), marks="note")
            if session == "s1":
                await memory.add(
                    [Msg("a", f"{user}/{session} tool {i}", "user") for i in range(2)],
                    marks=["tool", "x"],
                )
                tools[user, session] = [f"{user}/{session} tool {i}" for i in range(2)]
    await store.memory("dee", "summary only").update_compressed_summary("kept")
    return tools


async def _contents(store: StoreBase, user: str, session: str) -> list[object]:
    return [m.content for m in await store.memory(user, session).get_memory()]


@pytest.mark.parametrize("kind", STORE_KINDS)
async def test_prune_removes_old_marked_messages_of_every_session_page_by_page(
    open_store: OpenStore, kind: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_store_base, "_PRUNE_PAGE_SIZE", 2)  # several pages of sessions
    async with open_store(kind) as store:
        tools = await _fill(store)
        visited: list[tuple[str, str, int]] = []

        def progress(info: SessionInfo, removed: int) -> None:
            visited.append((info.user_id, info.session_id, removed))

        assert await store.prune("tool", A_DAY, progress=progress) == 0
        sessions = [(u, s) for u in ("ann", "bob", "cy") for s in ("s1", "s2")]
        assert visited == [(u, s, 0) for u, s in sessions]  # not the summary-only one
        pruned: list[int] = []

        async def pruned_everywhere() -> bool:
            pruned.append(await store.prune(["tool", "absent"], timedelta(milliseconds=1)))
            return sum(pruned) == 6

        await eventually(pruned_everywhere, "the tool messages to be 1 ms old")
        for user, session in sessions:
            contents = await _contents(store, user, session)
            assert contents == [f"{user}/{session} plain", f"{user}/{session} note"]
            assert not set(contents) & set(tools.get((user, session), []))
        assert await _contents(store, "dee", "summary only") == ["kept"]
        assert await store.prune("tool", timedelta(0)) == 0
        assert await store.prune("note", timedelta(0)) == 6


@pytest.mark.parametrize("kind", [STORE_KINDS[0]])
async def test_prune_refuses_bad_arguments_before_any_io(open_store: OpenStore, kind: str) -> None:
    async with open_store(kind) as store:
        await store.memory("u", "s").add(Msg("a", "x", "user"), marks="tool")
        for bad in (None, 7, "7d"):
            with pytest.raises(TypeError, match="older_than"):
                await store.prune("tool", bad)  # type: ignore[arg-type]
        with pytest.raises(ValueError, match="older_than"):
            await store.prune("tool", timedelta(hours=-1))
        with pytest.raises(ValueError, match="mark"):
            await store.prune("", A_DAY)
        assert await store.prune([], timedelta(0)) == 0
        assert await store.memory("u", "s").size() == 1
