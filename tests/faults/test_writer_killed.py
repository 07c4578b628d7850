"""A writer process SIGKILLed in the middle of a write leaves no partial state behind."""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import signal
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from tests.faults.targets import Target, opened
from tests.faults.writers import (
    batch,
    check_survivors,
    marks_of,
    run_writer,
    run_writer_blocked_at_commit,
)
from tests.waiting import wait_until

pytestmark = pytest.mark.faults

COMMITTED = 5
BIG_BATCH = 200
"""Messages per add for the writer killed at a random moment: most of its time is in add."""


async def _export(target: Target) -> dict[str, Any]:
    async with opened(target) as memory:
        return await memory.export_state()


async def _add_after(target: Target, i: int) -> dict[str, Any]:
    """Another writer adds batch ``i`` (the dead writer's locks must be gone); export."""
    async with opened(target) as memory:
        await asyncio.wait_for(memory.add(batch(0, i), marks=marks_of(0)), timeout=30)
        return await memory.export_state()


def _kill(process: multiprocessing.process.BaseProcess) -> None:
    assert process.pid is not None
    os.kill(process.pid, signal.SIGKILL)
    process.join(timeout=30)
    assert process.exitcode == -signal.SIGKILL


def _sqlite_path(target: Target) -> Path:
    return Path(target.url.split("///", 1)[1])


@pytest.mark.parametrize("fault_target", ["postgres", "mysql", "sqlite"], indirect=True)
def test_writer_killed_before_commit(fault_target: Target) -> None:
    """Killed after every statement of a write ran, before COMMIT: none of it is there.

    An ``add`` on an engine memmark owns has no moment between its statements and its commit
    (one statement on PostgreSQL, one procedure call on MariaDB, one hop to aiosqlite's thread
    that runs BEGIN..COMMIT on SQLite), so ``import_state`` (delete and insert) is the write
    frozen here; ``test_writer_killed_at_a_random_moment`` kills adds.
    """
    spawn = multiprocessing.get_context("spawn")
    in_transaction = spawn.Event()
    writer = spawn.Process(
        target=run_writer_blocked_at_commit,
        args=(fault_target, COMMITTED, in_transaction),
    )
    writer.start()
    try:
        wait_until(in_transaction.is_set, "the writer is inside its last transaction")
    finally:
        _kill(writer)
    if fault_target.kind == "sqlite":
        wal = _sqlite_path(fault_target).with_name("faults.db-wal")
        assert wal.exists() and wal.stat().st_size > 0, "killed with frames in the WAL file"
    committed = {0: [(i, "ok") for i in range(COMMITTED)]}
    state = asyncio.run(_export(fault_target))
    assert state["_compressed_summary"] == ""
    assert check_survivors(state, committed).stored == 2 * COMMITTED
    after = {0: [*committed[0], (COMMITTED, "killed"), (COMMITTED + 1, "ok")]}
    state = asyncio.run(_add_after(fault_target, COMMITTED + 1))
    assert check_survivors(state, after).stored == 2 * (COMMITTED + 1)
    if fault_target.kind == "sqlite":
        with sqlite3.connect(_sqlite_path(fault_target)) as connection:
            assert connection.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
            assert connection.execute("PRAGMA journal_mode").fetchone() == ("wal",)


@pytest.mark.parametrize("fault_target", ["postgres", "mysql", "sqlite", "redis"], indirect=True)
def test_writer_killed_at_a_random_moment(fault_target: Target) -> None:
    """Killed while adding big batches: the batches are a whole prefix of what it added."""
    spawn = multiprocessing.get_context("spawn")
    oks, errors, stop, results = spawn.Value("i", 0), spawn.Value("i", 0), spawn.Event(), None
    writer = spawn.Process(
        target=run_writer, args=(fault_target, 0, oks, errors, stop, results, BIG_BATCH)
    )
    writer.start()
    try:
        wait_until(lambda: oks.value >= 3, "the writer has added three batches")
    finally:
        _kill(writer)
    returned = oks.value
    assert errors.value == 0
    state = asyncio.run(_export(fault_target))
    stored = len(state["content"]) // BIG_BATCH
    assert stored in (returned, returned + 1)
    outcomes = {0: [(i, "ok") for i in range(stored)]}
    assert check_survivors(state, outcomes, BIG_BATCH).stored == stored * BIG_BATCH
