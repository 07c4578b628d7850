"""Paging through 2,500 sessions returns each exactly once, and export streams them all."""

from __future__ import annotations

import asyncio

import pytest

from memmark.message import Msg
from memmark.store import StoreBase, export_sessions
from tests.store.stores import STORE_KINDS, open_store

USERS = 50
SESSIONS_PER_USER = 50  # 2,500 sessions


async def add_many(store: StoreBase) -> set[tuple[str, str]]:
    keys = {
        (f"user-{u:02d}:ü", f"s:{s:02d}-x") for u in range(USERS) for s in range(SESSIONS_PER_USER)
    }

    async def add(user_id: str, session_id: str) -> None:
        async with store.memory(user_id, session_id) as memory:
            await memory.add(Msg("a", "hi", "user"))

    ordered = sorted(keys)
    for start in range(0, len(ordered), 100):
        await asyncio.gather(*(add(*key) for key in ordered[start : start + 100]))
    return keys


@pytest.mark.parametrize("kind", STORE_KINDS)
async def test_paging_2500_sessions_returns_each_exactly_once(kind: str) -> None:
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

        exported = [
            (r["user_id"], r["session_id"]) async for r in export_sessions(store, page_size=500)
        ]
        assert exported == sorted(keys)


@pytest.mark.parametrize("kind", STORE_KINDS)
async def test_forget_user_leaves_other_users_intact(kind: str) -> None:
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
