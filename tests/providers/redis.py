"""Providers for :class:`RedisMemory`: the shared server on 127.0.0.1:6379 and a private cluster.

Each test gets its own random key prefix and deletes the keys under it at the end (a SCAN
on that unique prefix, in test teardown only). ``redis_cluster`` is a 3-master Redis Cluster
this test session starts on free loopback ports and shuts down at the end.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import pytest
from redis.asyncio import Redis
from redis.asyncio.cluster import ClusterNode, RedisCluster

from memmark.memory import MemoryBase, RedisMemory
from tests.registry import MemoryFactory, Provider
from tests.servers import require_server, unavailable
from tests.waiting import wait_until

REDIS_HOST, REDIS_PORT = "127.0.0.1", 6379


def random_prefix() -> str:
    return f"memmark-test-{uuid.uuid4().hex[:12]}"


async def delete_prefix(client: Any, prefix: str) -> None:
    """Delete every key under ``prefix`` (a unique random test prefix: teardown only)."""
    keys = [key async for key in client.scan_iter(match=f"{prefix}:*", count=1000)]
    for key in keys:
        await client.delete(key)


@asynccontextmanager
async def memories(client: Any, prefix: str, **options: Any) -> AsyncIterator[MemoryFactory]:
    """A factory of memories on ``client`` under ``prefix``; deletes the prefix at the end."""
    opened: list[MemoryBase] = []

    async def factory(
        *, user_id: str = "default_user", session_id: str = "default_session"
    ) -> MemoryBase:
        memory = RedisMemory(
            user_id=user_id, session_id=session_id, client=client, key_prefix=prefix, **options
        )
        opened.append(memory)
        return memory

    try:
        yield factory
    finally:
        for memory in opened:
            await memory.close()
        await delete_prefix(client, prefix)


@asynccontextmanager
async def single_node_client() -> AsyncIterator[Redis]:
    client = Redis(host=REDIS_HOST, port=REDIS_PORT)
    try:
        yield client
    finally:
        await client.aclose()


@asynccontextmanager
async def cluster_client(ports: list[int]) -> AsyncIterator[RedisCluster]:
    client = RedisCluster(startup_nodes=[ClusterNode("127.0.0.1", port) for port in ports])
    await client.initialize()
    try:
        yield client
    finally:
        await client.aclose()


@pytest.fixture(scope="session")
def redis_server() -> None:
    require_server("redis", REDIS_HOST, REDIS_PORT)


@pytest.fixture
def redis_provider(redis_server: None) -> Provider:
    @asynccontextmanager
    async def open_memories() -> AsyncIterator[MemoryFactory]:
        async with single_node_client() as client, memories(client, random_prefix()) as factory:
            yield factory

    return open_memories


def free_port() -> int:
    """A free loopback port whose cluster bus port (port + 10000) is free too."""
    while True:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = int(sock.getsockname()[1])
        if port < 55000:
            with socket.socket() as bus:
                try:
                    bus.bind(("127.0.0.1", port + 10000))
                except OSError:
                    continue
            return port


@dataclass
class PrivateCluster:
    """A Redis Cluster of three masters started by this test session."""

    ports: list[int]
    processes: list[subprocess.Popen[bytes]]
    directory: str

    def stop(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in self.processes:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        shutil.rmtree(self.directory, ignore_errors=True)


def start_redis_server(directory: str, port: int, *extra: str) -> subprocess.Popen[bytes]:
    """Start ``redis-server`` on loopback ``port`` without persistence."""
    return subprocess.Popen(
        [
            "redis-server",
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--daemonize",
            "no",
            "--dir",
            directory,
            *extra,
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def redis_cli(port: int, *args: str) -> str:
    result = subprocess.run(
        ["redis-cli", "-h", "127.0.0.1", "-p", str(port), *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    return result.stdout


def start_cluster() -> PrivateCluster:
    directory = tempfile.mkdtemp(prefix="memmark-cluster-")
    ports = [free_port() for _ in range(3)]
    processes = [
        start_redis_server(
            directory,
            port,
            "--cluster-enabled",
            "yes",
            "--cluster-config-file",
            os.path.join(directory, f"nodes-{port}.conf"),
        )
        for port in ports
    ]
    cluster = PrivateCluster(ports, processes, directory)
    try:
        for port in ports:
            wait_until(
                lambda port=port: redis_cli(port, "ping").strip() == "PONG", "redis", timeout=30
            )
        subprocess.run(
            [
                "redis-cli",
                "--cluster",
                "create",
                *(f"127.0.0.1:{p}" for p in ports),
                "--cluster-replicas",
                "0",
                "--cluster-yes",
            ],
            capture_output=True,
            timeout=60,
            check=True,
        )
        for port in ports:
            wait_until(
                lambda port=port: "cluster_state:ok" in redis_cli(port, "cluster", "info"),
                "cluster_state:ok",
                timeout=30,
            )
    except BaseException:
        cluster.stop()
        raise
    return cluster


@pytest.fixture(scope="session")
def redis_cluster() -> Iterator[PrivateCluster]:
    if shutil.which("redis-server") is None or shutil.which("redis-cli") is None:
        unavailable("redis-server / redis-cli not installed: cannot start a Redis Cluster")
    cluster = start_cluster()
    try:
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture
def redis_cluster_provider(redis_cluster: PrivateCluster) -> Provider:
    @asynccontextmanager
    async def open_memories() -> AsyncIterator[MemoryFactory]:
        async with (
            cluster_client(redis_cluster.ports) as client,
            memories(client, random_prefix()) as factory,
        ):
            yield factory

    return open_memories


@pytest.fixture
def redis_fake_provider() -> Provider:
    """``fakeredis`` (with Lua through lupa): what users' own tests of memmark code run on."""
    fakeredis = pytest.importorskip("fakeredis")
    pytest.importorskip("lupa")

    @asynccontextmanager
    async def open_memories() -> AsyncIterator[MemoryFactory]:
        client = fakeredis.FakeAsyncRedis()
        try:
            async with memories(client, random_prefix()) as factory:
                yield factory
        finally:
            await client.aclose()

    return open_memories
