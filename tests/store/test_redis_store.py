"""RedisStore on the shared server and on the private cluster: paging, deletion, odd ids."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest

from memmark.message import Msg
from memmark.store import RedisStore
from tests.providers.redis import (
    cluster_client,
    delete_prefix,
    random_prefix,
    single_node_client,
)

ADVERSARIAL_IDS = ["a", "a:b", "a:{b}", "{a", "a}", "*", "a?", "[a]", "a b", "é🙂", "%3A", "a%"]


@pytest.fixture(
    params=[
        pytest.param("redis", marks=pytest.mark.redis),
        pytest.param("redis_cluster", marks=pytest.mark.redis_cluster),
    ]
)
def open_store(request: pytest.FixtureRequest) -> Any:
    if request.param == "redis":
        request.getfixturevalue("redis_server")
        open_client: Any = single_node_client
    else:
        cluster = request.getfixturevalue("redis_cluster")

        def open_client() -> Any:
            return cluster_client(cluster.ports)

    @asynccontextmanager
    async def opened() -> AsyncIterator[RedisStore]:
        prefix = random_prefix()
        async with open_client() as client:
            try:
                async with RedisStore(client, key_prefix=prefix) as store:
                    yield store
            finally:
                await delete_prefix(client, prefix)

    return opened


async def _fill(store: RedisStore, pairs: list[tuple[str, str]]) -> None:
    async def one(user: str, session: str) -> None:
        await store.memory(user, session).add(Msg("Alice", f"{user}/{session}", "user"))

    for start in range(0, len(pairs), 50):
        await asyncio.gather(*(one(u, s) for u, s in pairs[start : start + 50]))


async def test_paging_returns_every_session_once_in_order(open_store: Any) -> None:
    pairs = [(f"user{u:02d}", f"s{s:03d}") for u in range(10) for s in range(25)]
    async with open_store() as store:
        await _fill(store, pairs)
        seen: list[tuple[str, str]] = []
        cursor = None
        while True:
            page = await store.list_sessions(limit=7, cursor=cursor)
            assert len(page.items) <= 7
            seen += [(info.user_id, info.session_id) for info in page.items]
            assert all(info.message_count == 1 for info in page.items)
            assert all(info.updated_at is not None for info in page.items)
            if page.next_cursor is None:
                break
            cursor = page.next_cursor
        assert seen == sorted(pairs)
        users: list[str] = []
        cursor = None
        while True:
            user_page = await store.list_users(limit=3, cursor=cursor)
            users += user_page.items
            if user_page.next_cursor is None:
                break
            cursor = user_page.next_cursor
        assert users == sorted({u for u, _ in pairs})
        own = await store.list_sessions("user03", limit=100)
        assert [info.session_id for info in own.items] == [f"s{s:03d}" for s in range(25)]


async def test_delete_user_leaves_other_users_alone(open_store: Any) -> None:
    async with open_store() as store:
        await _fill(store, [("alice", "s1"), ("alice", "s2"), ("alicex", "s1"), ("bob", "s1")])
        await store.memory("bob", "s1").update_compressed_summary("kept")
        assert await store.delete_user("alice") == 2
        assert await store.memory("alice", "s1").size() == 0
        assert await store.memory("alicex", "s1").size() == 1
        assert (await store.list_users()).items == ["alicex", "bob"]
        bob = (await store.list_sessions("bob")).items
        assert [(i.session_id, i.has_summary) for i in bob] == [("s1", True)]
        assert await store.delete_session("bob", "s1") is True
        assert await store.delete_session("bob", "s1") is False
        assert (await store.list_users()).items == ["alicex"]


async def test_adversarial_ids_are_listed_and_deleted_exactly(open_store: Any) -> None:
    pairs = [(u, s) for u in ADVERSARIAL_IDS for s in ADVERSARIAL_IDS[:4]]
    async with open_store() as store:
        await _fill(store, pairs)
        listed = await store.list_sessions(limit=1000)
        assert [(i.user_id, i.session_id) for i in listed.items] == sorted(pairs)
        assert await store.delete_user("a") == 4
        for user, session in pairs:
            expected = 0 if user == "a" else 1
            assert await store.memory(user, session).size() == expected, (user, session)


async def test_cleared_sessions_are_skipped(open_store: Any) -> None:
    async with open_store() as store:
        await _fill(store, [("u", "kept"), ("u", "cleared")])
        await store.memory("u", "cleared").clear()
        assert [i.session_id for i in (await store.list_sessions("u")).items] == ["kept"]


async def test_delete_user_removes_emptied_sessions_and_the_user_id(open_store: Any) -> None:
    async with open_store() as store:
        await _fill(store, [("gone", "kept"), ("gone", "emptied"), ("gone", "cleared")])
        emptied = store.memory("gone", "emptied")
        await emptied.delete([(await emptied.get_memory())[0].id])
        await store.memory("gone", "cleared").clear()
        assert (await store.list_users()).items == ["gone"]
        await store.memory("gone", "kept").clear()
        assert (await store.list_users()).items == []
        assert await store.delete_user("gone") == 0
        client = store.get_client()
        leftovers = [key async for key in client.scan_iter(match=f"{store._prefix}:*")]
        assert leftovers == []


@pytest.mark.redis
async def test_store_from_url_owns_its_client(redis_server: None) -> None:
    prefix = random_prefix()
    store = RedisStore("redis://127.0.0.1:6379/0", key_prefix=prefix, key_ttl=60)
    try:
        memory = store.memory("u", "s")
        await memory.add(Msg("a", "x", "user"))
        await memory.close()
        assert await store.get_client().pttl(f"{prefix}:{{u:s}}:seq") > 50_000
        assert [i.session_id for i in (await store.list_sessions()).items] == ["s"]
    finally:
        await delete_prefix(store.get_client(), prefix)
        await store.close()


@pytest.mark.redis_cluster
async def test_cluster_store_from_url(redis_cluster: Any) -> None:
    prefix = random_prefix()
    url = f"redis://127.0.0.1:{redis_cluster.ports[0]}"
    async with RedisStore(url, key_prefix=prefix, cluster=True) as store:
        try:
            await _fill(store, [("u", f"s{i}") for i in range(20)])
            page = await store.list_sessions("u", limit=100)
            assert [i.session_id for i in page.items] == sorted(f"s{i}" for i in range(20))
            assert await store.delete_user("u") == 20
        finally:
            await delete_prefix(store.get_client(), prefix)


async def test_clear_and_delete_session_leave_the_same_keys_behind(open_store: Any) -> None:
    async with open_store() as store:
        await _fill(store, [("u", "cleared"), ("u", "deleted"), ("v", "only")])
        memory = store.memory("u", "cleared")
        await memory.clear()
        assert await store.delete_session("u", "deleted")
        await store.memory("v", "only").clear()
        client = store.get_client()
        leftovers = [key async for key in client.scan_iter(match=f"{store._prefix}:*")]
        assert leftovers == []
        await memory.add(Msg("Alice", "again", "user"))  # the same object registers again
        assert (await store.list_users()).items == ["u"]
        assert [i.session_id for i in (await store.list_sessions("u")).items] == ["cleared"]
