"""The private servers themselves: what a server acknowledged survives SIGKILL and restart."""

from __future__ import annotations

import asyncmy
import asyncpg
import pytest
import redis.asyncio as aioredis

from tests.faults.servers import PrivateMariaDB, PrivatePostgres, PrivateRedis

pytestmark = pytest.mark.faults


async def test_postgres_keeps_committed_rows(private_postgres: PrivatePostgres) -> None:
    connection = await asyncpg.connect(private_postgres.url.replace("+asyncpg", ""))
    await connection.execute("CREATE TABLE IF NOT EXISTS survive (n int)")
    await connection.execute("INSERT INTO survive VALUES (1)")
    connection.terminate()
    private_postgres.restart()
    connection = await asyncpg.connect(private_postgres.url.replace("+asyncpg", ""))
    assert await connection.fetchval("SELECT count(*) FROM survive WHERE n = 1") >= 1
    await connection.close()


async def test_redis_keeps_acknowledged_writes(private_redis: PrivateRedis) -> None:
    client = aioredis.Redis.from_url(private_redis.url)
    await client.rpush("survive", "a", "b")
    await client.aclose()
    private_redis.restart()
    client = aioredis.Redis.from_url(private_redis.url)
    assert await client.lrange("survive", 0, -1) == [b"a", b"b"]
    await client.aclose()


async def test_mariadb_keeps_committed_rows(private_mariadb: PrivateMariaDB) -> None:
    connection = await asyncmy.connect(
        host="127.0.0.1", port=private_mariadb.port, user="root", database="test", autocommit=True
    )
    async with connection.cursor() as cursor:
        await cursor.execute("CREATE TABLE IF NOT EXISTS survive (n int) ENGINE=InnoDB")
        await cursor.execute("INSERT INTO survive VALUES (1)")
    connection.close()
    private_mariadb.restart()
    connection = await asyncmy.connect(
        host="127.0.0.1", port=private_mariadb.port, user="root", database="test"
    )
    async with connection.cursor() as cursor:
        await cursor.execute("SELECT count(*) FROM survive WHERE n = 1")
        assert (await cursor.fetchone())[0] >= 1
    connection.close()
