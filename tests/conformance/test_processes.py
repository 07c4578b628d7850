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
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

import memmark
from memmark.message import Msg
from tests.providers.redis import REDIS_HOST, REDIS_PORT, delete_prefix, random_prefix
from tests.providers.sql import fresh_prefix
from tests.servers import require_server
from tests.waiting import eventually

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


async def test_processes_compressing_at_once_each_apply_whole(shared) -> None:
    url, options = shared
    async with memmark.connect(url, **options) as store:
        memory = store.memory("shared", "shared")
        groups = {k: [Msg("u", f"m{k}-{i}", "user") for i in range(5)] for k in range(PROCESSES)}
        for k, msgs in groups.items():
            for m in msgs:
                m.id = f"m{k}-{m.content}"
            await memory.add(msgs)
        results = await _race(url, options, *[("compress", str(k)) for k in groups])
        assert results == [5] * PROCESSES
        assert await memory.get_memory(exclude_mark="compressed", prepend_summary=False) == []
        summary = (await memory.get_memory())[0].content
        assert summary in {f"s{k}" for k in groups}


async def test_processes_guarding_writes_with_expected_version_never_lose_one(shared) -> None:
    url, options = shared
    async with memmark.connect(url, **options) as store:
        memory = store.memory("shared", "shared")
        results = await _race(url, options, *[("guarded", f"w{k}:15") for k in range(PROCESSES)])
        acknowledged = sorted(msg_id for result in results for msg_id in result)
        stored = sorted(m.id for m in await memory.get_memory())
        assert stored == acknowledged
        assert len(stored) >= 15


async def test_processes_pruning_while_others_add_remove_each_tool_message_once(shared) -> None:
    url, options = shared
    async with memmark.connect(url, **options) as store:
        memory = store.memory("shared", "shared")
        await memory.add(Msg("u", "first", "user"), marks="keep")  # the session exists
        turns = 20
        results = await _race(
            url,
            options,
            ("mixed", f"a:{turns}"),
            ("mixed", f"b:{turns}"),
            ("prune", "15"),
            ("prune", "15"),
        )
        removed = [results[2], results[3]]

        async def rest_pruned() -> bool:
            removed.append(await store.prune("tool", timedelta(milliseconds=1)))
            return await memory.get_memory(mark="tool") == []

        await eventually(rest_pruned, "the last tool messages to be 1 ms old")
        assert sum(removed) == 2 * turns  # each removed once, by one process
        kept = await memory.get_memory(prepend_summary=False)
        assert sorted(m.id for m in kept if m.id.startswith("keep-")) == sorted(
            f"keep-{key}-{turn}" for key in "ab" for turn in range(turns)
        )
        assert len(kept) == 2 * turns + 1
