"""Redis Cluster scale-out: sessions spread evenly, and each operation stays on one node.

Counts, not time: the keys each master holds, and the commands each master ran
(``INFO commandstats``) while one memory operation ran. ``commandstats`` also counts the
commands a Lua script runs, so one round trip shows as one ``EVALSHA`` plus commands of
memmark's scripts on the session's node (or, for a read the memory's index of the session
answers, one plain ``HMGET``), and nothing at all on the other masters.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest
from redis.asyncio import Redis
from redis.asyncio.cluster import RedisCluster

from memmark.backends.redis._keys import SessionKeys, escape
from memmark.backends.redis._scripts import script_source
from memmark.memory import RedisMemory
from memmark.message import Msg
from tests.providers.redis import PrivateCluster, cluster_client, delete_prefix, random_prefix

pytestmark = pytest.mark.redis_cluster

SESSIONS = 10_000
USERS = 100
SCRIPTS = (
    "add",
    "clear",
    "count",
    "delete",
    "delete_by_mark",
    "read",
    "relabel",
    "replace",
    "select",
)
SCRIPT_COMMANDS = {
    command.lower()
    for name in (*SCRIPTS, "set_summary")
    for command in re.findall(r"redis\.call\('([A-Z]+)'", script_source(name))
}
"""What memmark's scripts call from inside; commandstats counts those too."""


@pytest.fixture
async def client(redis_cluster: PrivateCluster) -> AsyncIterator[RedisCluster]:
    async with cluster_client(redis_cluster.ports) as client:
        yield client


@pytest.fixture
async def prefix(client: RedisCluster) -> AsyncIterator[str]:
    prefix = random_prefix()
    yield prefix
    await delete_prefix(client, prefix)


@pytest.fixture
async def masters(redis_cluster: PrivateCluster) -> AsyncIterator[dict[int, Redis]]:
    """A plain client per master, to ask each node about itself."""
    nodes = {port: Redis(host="127.0.0.1", port=port) for port in redis_cluster.ports}
    yield nodes
    for node in nodes.values():
        await node.aclose()


async def meta_keys(node: Redis, prefix: str) -> int:
    pattern = f"{escape(prefix)}:{{*}}:meta"
    return len([key async for key in node.scan_iter(match=pattern, count=1000)])


async def test_ten_thousand_sessions_spread_evenly_over_three_masters(
    client: RedisCluster, prefix: str, masters: dict[int, Redis]
) -> None:
    async def write(i: int) -> None:
        memory = RedisMemory(
            user_id=f"u{i % USERS}", session_id=f"s{i}", client=client, key_prefix=prefix
        )
        await memory.update_compressed_summary("x")

    for start in range(0, SESSIONS, 50):
        await asyncio.gather(*(write(i) for i in range(start, min(start + 50, SESSIONS))))
    held = [await meta_keys(node, prefix) for node in masters.values()]
    assert sum(held) == SESSIONS
    third = SESSIONS / 3
    assert all(0.9 * third <= count <= 1.1 * third for count in held), held


async def commands_run(masters: dict[int, Redis]) -> dict[int, dict[str, int]]:
    """Calls per command on each master, ``INFO`` itself not counted."""
    counts = {}
    for port, node in masters.items():
        stats = await node.info("commandstats")
        counts[port] = {
            name.removeprefix("cmdstat_"): int(value["calls"])
            for name, value in stats.items()
            if name != "cmdstat_info"
        }
    return counts


def delta(before: dict[str, int], after: dict[str, int]) -> dict[str, int]:
    return {
        name: calls - before.get(name, 0)
        for name, calls in after.items()
        if calls != before.get(name, 0)
    }


async def test_every_operation_is_one_command_on_the_sessions_node(
    client: RedisCluster, prefix: str, masters: dict[int, Redis]
) -> None:
    memory = RedisMemory(user_id="u", session_id="s", client=client, key_prefix=prefix)
    stored = [Msg("a", "x", "user"), Msg("a", "y", "user")]
    await memory.add(stored, marks="m")
    home = client.get_node_from_key(SessionKeys.of(prefix, "u", "s").meta).port
    operations: dict[str, Callable[[], Awaitable[object]]] = {
        "add": lambda: memory.add(Msg("a", "z", "user"), marks="m"),
        "get_memory": memory.get_memory,
        "get_memory(mark=)": lambda: memory.get_memory(mark="m"),
        "get_memory(exclude_mark=, limit=)": lambda: memory.get_memory(exclude_mark="m", limit=1),
        "size": memory.size,
        "update_messages_mark": lambda: memory.update_messages_mark("n", "m"),
        "delete": lambda: memory.delete([stored[0].id]),
        "delete_by_mark": lambda: memory.delete_by_mark("n"),
        "update_compressed_summary": lambda: memory.update_compressed_summary("s"),
        "export_state": memory.export_state,
        "import_state": lambda: memory.import_state({"content": [], "_compressed_summary": ""}),
        "clear": memory.clear,
    }
    for operation in operations.values():  # the servers load each script on its first use
        await operation()
    await memory.add(stored, marks="m")
    for name, operation in operations.items():
        before = await commands_run(masters)
        await operation()
        after = await commands_run(masters)
        ran = {port: delta(before[port], after[port]) for port in masters}
        on_home = ran.pop(home)
        if on_home.pop("evalsha", 0) == 1:
            assert set(on_home) <= SCRIPT_COMMANDS, (name, on_home)
        else:  # a read the memory's index of the session answers: one plain HMGET
            assert name.startswith("get_memory") and on_home == {"hmget": 1}, (name, on_home)
        assert all(not commands for commands in ran.values()), (name, ran)
