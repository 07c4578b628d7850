"""Connections killed server-side under a pooled engine or client: the next call succeeds."""

from __future__ import annotations

import asyncmy
import asyncpg
import pytest
import redis.asyncio as aioredis

from tests.faults.servers import PrivateServer
from tests.faults.targets import Target, opened
from tests.faults.writers import batch, marks_of

pytestmark = pytest.mark.faults


async def _kill_client_connections(kind: str, server: PrivateServer) -> int:
    """Kill every client connection but the admin's own, as an operator would; return count."""
    if kind == "redis":
        admin = aioredis.Redis(host="127.0.0.1", port=server.port)
        try:
            killed: int = await admin.client_kill_filter(_type="normal", skipme=True)
        finally:
            await admin.aclose()
        return killed
    if kind == "postgres":
        connection = await asyncpg.connect(host="127.0.0.1", port=server.port, user="postgres")
        try:
            rows = await connection.fetch(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE pid <> pg_backend_pid() AND backend_type = 'client backend'"
            )
        finally:
            await connection.close()
        return len(rows)
    connection = await asyncmy.connect(host="127.0.0.1", port=server.port, user="root")
    try:
        async with connection.cursor() as cursor:
            await cursor.execute(
                "SELECT ID FROM information_schema.PROCESSLIST "
                "WHERE ID <> CONNECTION_ID() AND USER = 'root' AND COMMAND <> 'Daemon'"
            )
            ids = [row[0] for row in await cursor.fetchall()]
            for connection_id in ids:
                await cursor.execute(f"KILL {int(connection_id)}")
    finally:
        connection.close()
    return len(ids)


@pytest.mark.parametrize("server_target", ["postgres", "mysql", "redis"], indirect=True)
async def test_the_call_after_a_server_side_kill_succeeds(
    server_target: tuple[PrivateServer, Target],
) -> None:
    server, target = server_target
    async with opened(target) as memory:
        await memory.add(batch(0, 0), marks=marks_of(0))
        assert await memory.size() == 2
        assert await _kill_client_connections(target.kind, server) >= 1
        await memory.add(batch(0, 1), marks=marks_of(0))
        assert await _kill_client_connections(target.kind, server) >= 1
        stored = await memory.get_memory(mark="w0")
        assert [m.id for m in stored] == [m.id for i in (0, 1) for m in batch(0, i)]
        assert await _kill_client_connections(target.kind, server) >= 1
        assert await memory.delete([stored[0].id]) == 1
        assert await memory.size() == 3
