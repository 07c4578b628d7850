"""Paging through 2,500 sessions returns each exactly once, and export streams them all."""

from __future__ import annotations

import asyncio
from datetime import datetime, timezone

import pytest

from memmark._core import session_key
from memmark.backends.sql._queries import encode_summary
from memmark.backends.sql._schema import tables
from memmark.message import Msg
from memmark.store import SQLStore, StoreBase, export_sessions
from tests.store.stores import STORE_KINDS, OpenStore

PAGING_KINDS = [kind for kind in STORE_KINDS if kind.id != "tablestore_emulator"]
"""The Tablestore emulator takes long for 2,500 sessions; tests/store/test_tablestore_store.py
pages it (in pages of 1 to 7 rows, with empty ones between)."""

USERS = 50
SESSIONS_PER_USER = 50  # 2,500 sessions


async def add_many(store: StoreBase) -> set[tuple[str, str]]:
    """2,500 sessions; on SQL all but one are inserted as rows in one statement (summary only)."""
    keys = {
        (f"user-{u:02d}:ü", f"s:{s:02d}-x") for u in range(USERS) for s in range(SESSIONS_PER_USER)
    }

    async def add(user_id: str, session_id: str) -> None:
        async with store.memory(user_id, session_id) as memory:
            await memory.add(Msg("a", "hi", "user"))

    ordered = sorted(keys)
    if isinstance(store, SQLStore):
        await add(*ordered[0])  # creates the schema through the public API
        await _insert_session_rows(store, ordered[1:])
        return keys
    for start in range(0, len(ordered), 100):
        await asyncio.gather(*(add(*key) for key in ordered[start : start + 100]))
    return keys


async def _insert_session_rows(store: SQLStore, keys: list[tuple[str, str]]) -> None:
    """Test-only shortcut: one multi-row INSERT into SQLStore's session table."""
    sessions = tables(store._prefix).sessions
    now = datetime.now(timezone.utc)
    rows = [
        {
            "session_key": session_key(user_id, session_id),
            "user_id": user_id,
            "session_id": session_id,
            "summary": encode_summary("bulk"),
            "next_seq": 0,
            "updated_at": now,
        }
        for user_id, session_id in keys
    ]
    async with store.engine.begin() as conn:
        await conn.execute(sessions.insert(), rows)


@pytest.mark.parametrize("kind", PAGING_KINDS)
async def test_paging_2500_sessions_returns_each_exactly_once(
    kind: str, open_store: OpenStore
) -> None:
    async with open_store(kind) as store:
        keys = await add_many(store)
        seen: list[tuple[str, str]] = []
        cursor = None
        while True:
            page = await store.list_sessions(limit=333, cursor=cursor)
            seen.extend((info.user_id, info.session_id) for info in page.items)
            if page.next_cursor is None:
                break
            cursor = page.next_cursor
        assert seen == sorted(keys)

        users: list[str] = []
        cursor = None
        while True:
            user_page = await store.list_users(limit=7, cursor=cursor)
            users.extend(user_page.items)
            if user_page.next_cursor is None:
                break
            cursor = user_page.next_cursor
        assert users == sorted({user for user, _ in keys})

        some_users = users[::10]
        exported = [
            (r["user_id"], r["session_id"])
            async for r in export_sessions(store, users=some_users, page_size=17)
        ]
        assert exported == sorted(key for key in keys if key[0] in some_users)


@pytest.mark.parametrize("kind", STORE_KINDS)
async def test_forget_user_leaves_other_users_intact(kind: str, open_store: OpenStore) -> None:
    async with open_store(kind) as store:
        for user_id in ("keep-1", "forget", "keep-2"):
            for session_id in ("a", "b"):
                async with store.memory(user_id, session_id) as memory:
                    await memory.add(Msg("a", f"{user_id}/{session_id}", "user"))
        assert await store.delete_user("forget") == 2
        remaining = [(i.user_id, i.session_id) for i in (await store.list_sessions()).items]
        assert remaining == [("keep-1", "a"), ("keep-1", "b"), ("keep-2", "a"), ("keep-2", "b")]
        async with store.memory("keep-2", "b") as memory:
            assert [m.content for m in await memory.get_memory()] == ["keep-2/b"]


@pytest.mark.parametrize("kind", STORE_KINDS)
async def test_cleared_and_deleted_sessions_leave_the_same_listings(
    kind: str, open_store: OpenStore
) -> None:
    async with open_store(kind) as store:
        for user_id, session_id in (("u", "cleared"), ("u", "deleted"), ("v", "only")):
            async with store.memory(user_id, session_id) as memory:
                await memory.add(Msg("a", "x", "user"))
                await memory.update_compressed_summary("s")
        async with store.memory("u", "cleared") as memory:
            await memory.clear()
        assert await store.delete_session("u", "deleted")
        assert [i.session_id for i in (await store.list_sessions("u")).items] == []
        assert (await store.list_users()).items == ["v"]
        async with store.memory("v", "only") as memory:
            await memory.clear()
        assert (await store.list_users()).items == []
        assert not await store.delete_session("u", "cleared")
        assert await store.delete_user("u") == 0
