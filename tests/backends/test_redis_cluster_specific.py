"""RedisMemory on the private 3-master Redis Cluster: one slot per session, NOSCRIPT, TTL."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from redis.asyncio.cluster import RedisCluster

from memmark.backends.redis._keys import SessionKeys, sessions_key, users_key
from memmark.memory import RedisMemory
from memmark.message import Msg
from tests.providers.redis import PrivateCluster, cluster_client, delete_prefix, random_prefix

pytestmark = pytest.mark.redis_cluster

ODD_IDS = ["a", "a:b", "{", "}", "{a}", "*", "?", "[", "a b", "é🙂", "%7B"]


@pytest.fixture
async def client(redis_cluster: PrivateCluster) -> AsyncIterator[RedisCluster]:
    async with cluster_client(redis_cluster.ports) as client:
        yield client


@pytest.fixture
async def prefix(client: RedisCluster) -> AsyncIterator[str]:
    prefix = random_prefix()
    yield prefix
    await delete_prefix(client, prefix)


async def test_all_keys_of_a_session_share_one_slot(client: RedisCluster, prefix: str) -> None:
    slots_used = set()
    for user in ODD_IDS:
        for session in ODD_IDS[:3]:
            memory = RedisMemory(user_id=user, session_id=session, client=client, key_prefix=prefix)
            await memory.add(Msg("a", "x", "user"), marks=["m", "{x}", user])
            keys = SessionKeys.of(prefix, user, session)
            names = [*keys.script_keys, keys.mark("m"), keys.mark("{x}"), keys.mark(user)]
            slots = {await client.cluster_keyslot(name) for name in names}
            assert len(slots) == 1, (user, session, slots)
            slots_used |= slots
            assert await memory.size() == 1
    assert len(slots_used) > 3


async def test_sessions_spread_over_the_masters(client: RedisCluster, prefix: str) -> None:
    memories = [
        RedisMemory(user_id="u", session_id=f"s{i}", client=client, key_prefix=prefix)
        for i in range(30)
    ]
    await asyncio.gather(*(m.add(Msg("a", f"s{i}", "user")) for i, m in enumerate(memories)))
    nodes = {
        client.get_node_from_key(SessionKeys.of(prefix, "u", f"s{i}").meta).name for i in range(30)
    }
    assert len(nodes) == 3
    for i, memory in enumerate(memories):
        assert [m.content for m in await memory.get_memory()] == [f"s{i}"]


async def test_noscript_reloads_after_script_flush_on_every_node(
    client: RedisCluster, prefix: str
) -> None:
    memory = RedisMemory(user_id="u", session_id="s", client=client, key_prefix=prefix)
    await memory.add(Msg("a", "x", "user"), marks="m")
    await client.script_flush()  # routed to every primary
    await memory.add(Msg("a", "y", "user"), marks="m")
    assert await memory.update_messages_mark("n", "m") == 2
    assert [m.content for m in await memory.get_memory(mark="n")] == ["x", "y"]


async def test_ttl_on_the_cluster(client: RedisCluster, prefix: str) -> None:
    memory = RedisMemory(user_id="u", session_id="s", client=client, key_prefix=prefix, key_ttl=60)
    await memory.add(Msg("a", "x", "user"), marks="m")
    keys = SessionKeys.of(prefix, "u", "s")
    ttls = [await client.pttl(name) for name in [*keys.script_keys[:3], keys.mark("m")]]
    assert all(50_000 < ttl <= 60_000 for ttl in ttls), ttls


async def test_index_registration_is_one_round_trip_per_memory(
    client: RedisCluster, prefix: str
) -> None:
    memory = RedisMemory(user_id="u", session_id="s", client=client, key_prefix=prefix)
    await memory.size()
    assert not await client.exists(users_key(prefix))
    await memory.add(Msg("a", "x", "user"))
    assert await client.zrange(users_key(prefix), 0, -1) == [b"u"]
    await client.delete(users_key(prefix))
    await memory.add(Msg("a", "y", "user"))
    assert not await client.exists(users_key(prefix))
    assert await client.zrange(sessions_key(prefix, "u"), 0, -1) == [b"s"]
