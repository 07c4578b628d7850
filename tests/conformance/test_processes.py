"""Lifecycle operations raced by OS processes: the storage, not a lock in Python, decides.

Runs on the backends several processes can share: SQLite files, PostgreSQL, MariaDB and
Redis. Workers connect first, report ``ready``, and all start when the test writes a line to
their stdin.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

import memmark
from memmark.message import Msg
from tests.providers.redis import REDIS_HOST, REDIS_PORT, delete_prefix, random_prefix
from tests.providers.sql import fresh_prefix
from tests.servers import require_server

ROOT = Path(__file__).resolve().parents[2]
WORKER = ROOT / "tests" / "conformance" / "lifecycle_worker.py"
PROCESSES = 4


@pytest.fixture(
    params=[
        pytest.param("sqlite_url_for_test", id="sqlite"),
        pytest.param("postgres_url_for_test", id="postgres", marks=pytest.mark.postgres),
        pytest.param("mysql_url_for_test", id="mysql", marks=pytest.mark.mysql),
        pytest.param("redis", id="redis", marks=pytest.mark.redis),
    ]
)
async def shared(request: pytest.FixtureRequest) -> AsyncIterator[tuple[str, dict[str, Any]]]:
    """A URL and ``connect`` options of storage private to this test."""
    if request.param != "redis":
        yield str(request.getfixturevalue(request.param)), {"table_prefix": fresh_prefix()}
        return
    require_server("Redis", REDIS_HOST, REDIS_PORT)
    url, prefix = f"redis://{REDIS_HOST}:{REDIS_PORT}/0", random_prefix()
    yield url, {"key_prefix": prefix}
    async with memmark.connect(url, key_prefix=prefix) as store:
        await delete_prefix(store.memory("shared", "shared").get_client(), prefix)


async def _race(url: str, options: dict[str, Any], *jobs: tuple[str, ...]) -> list[Any]:
    """Start one worker per job, release them together, return their results."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), str(ROOT)])}
    workers = [
        await asyncio.create_subprocess_exec(
            sys.executable,
            str(WORKER),
            url,
            json.dumps(options),
            *job,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            env=env,
        )
        for job in jobs
    ]
    for worker in workers:
        assert worker.stdout is not None
        line = await worker.stdout.readline()
        if line != b"ready\n":
            _, err = await worker.communicate()
            raise AssertionError(f"worker did not start: {line!r} {err.decode()[-2000:]}")
    results = []
    for worker in [*workers]:
        out, err = await worker.communicate(b"go\n")
        assert worker.returncode == 0, err.decode()[-2000:]
        results.append(json.loads(out))
    return results


async def test_processes_popping_one_session_never_get_the_same_message(shared) -> None:
    url, options = shared
    async with memmark.connect(url, **options) as store:
        memory = store.memory("shared", "shared")
        msgs = [Msg("u", f"m{i}", "user") for i in range(60)]
        await memory.add(msgs)
        results = await _race(url, options, *[("pop",)] * PROCESSES)
        popped = [msg_id for result in results for msg_id in result]
        assert sorted(popped) == sorted(m.id for m in msgs)
        order = {m.id: i for i, m in enumerate(msgs)}
        for result in results:  # each process saw newest first
            assert [order[i] for i in result] == sorted((order[i] for i in result), reverse=True)
        assert await memory.size() == 0
