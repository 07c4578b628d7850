"""SQLStore on SQLite, PostgreSQL and MariaDB: keyset paging, deletion, engine ownership."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from sqlalchemy.ext.asyncio import create_async_engine

from memmark.message import Msg
from memmark.store import SQLStore
from tests.providers.sql import fresh_prefix


@pytest.fixture
async def store(sql_url: str) -> AsyncIterator[SQLStore]:
    async with SQLStore(sql_url, table_prefix=fresh_prefix()) as opened:
        yield opened


async def test_paging_returns_every_session_once_in_order(store: SQLStore) -> None:
    expected = []
    for n in range(250):
        user, session = f"user-{n % 9}", f"s:{n:03d}/é"
        expected.append((user, session))
        await store.memory(user, session).add(Msg("a", f"m{n}", "user"))
    await store.memory("user-0", "summary only").update_compressed_summary("sum")
    expected.append(("user-0", "summary only"))
    await store.memory("user-0", "empty").update_compressed_summary("")
    seen, cursor = [], None
    while True:
        page = await store.list_sessions(limit=7, cursor=cursor)
        seen.extend(page.items)
        if page.next_cursor is None:
            break
        cursor = page.next_cursor
    assert [(i.user_id, i.session_id) for i in seen] == sorted(expected)
    by_key = {(i.user_id, i.session_id): i for i in seen}
    assert by_key["user-0", "summary only"].has_summary
    assert by_key["user-0", "summary only"].message_count == 0
    assert by_key["user-1", "s:001/é"].message_count == 1
    assert by_key["user-1", "s:001/é"].updated_at is not None
    users = await store.list_users(limit=4)
    rest = await store.list_users(limit=100, cursor=users.next_cursor)
    assert users.items + rest.items == [f"user-{n}" for n in range(9)]
    own = await store.list_sessions("user-3", limit=100)
    assert [i.session_id for i in own.items] == sorted(s for u, s in expected if u == "user-3")


async def test_delete_session_and_user_touch_nothing_else(store: SQLStore) -> None:
    for user in ("alice", "Alice", "alice "):
        for session in ("default", "other"):
            memory = store.memory(user, session)
            await memory.add(Msg("a", f"{user}/{session}", "user"), marks="m")
            await memory.update_compressed_summary(f"summary {user}")
    assert await store.delete_session("alice", "default")
    assert not await store.delete_session("alice", "default")
    assert await store.memory("alice", "default").get_memory() == []
    assert await store.memory("alice", "other").size() == 1
    assert await store.delete_user("Alice") == 2
    assert await store.delete_user("Alice") == 0
    remaining = await store.list_sessions(limit=100)
    assert [(i.user_id, i.session_id) for i in remaining.items] == [
        ("alice", "other"),
        ("alice ", "default"),
        ("alice ", "other"),
    ]
    survivor = store.memory("alice ", "default")
    assert [m.content for m in await survivor.get_memory()] == ["summary alice ", "alice /default"]
    await store.memory("alice", "default").add(Msg("a", "again", "user"))
    assert [m.content for m in await store.memory("alice", "default").get_memory()] == ["again"]


async def test_an_engine_passed_in_stays_open(sql_url: str) -> None:
    engine = create_async_engine(sql_url)
    try:
        prefix = fresh_prefix()
        async with SQLStore(engine, table_prefix=prefix) as store:
            await store.memory("u", "s").add(Msg("a", "kept", "user"))
        async with SQLStore(engine, table_prefix=prefix) as store:
            assert (await store.list_sessions()).items[0].message_count == 1
    finally:
        await engine.dispose()
    with pytest.raises(TypeError):
        SQLStore(engine, pool_size=3)
