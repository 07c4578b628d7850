"""A server SIGKILLed and restarted under four writer processes: nothing lost, nothing torn."""

from __future__ import annotations

import asyncio
import multiprocessing
from typing import Any

import pytest

from tests.faults.servers import PrivateServer
from tests.faults.targets import Target, opened
from tests.faults.writers import UNAVAILABLE, check_survivors, run_writer
from tests.waiting import wait_until

pytestmark = pytest.mark.faults

WRITERS = 4
ADDS_BEFORE_EACH_STEP = 5


async def _export(target: Target) -> dict[str, Any]:
    async with opened(target) as memory:
        return await memory.export_state()


@pytest.mark.parametrize("server_target", ["postgres", "mysql", "redis"], indirect=True)
def test_server_killed_and_restarted_under_four_writers(
    server_target: tuple[PrivateServer, Target],
) -> None:
    server, target = server_target
    spawn = multiprocessing.get_context("spawn")
    oks = [spawn.Value("i", 0) for _ in range(WRITERS)]
    errors = [spawn.Value("i", 0) for _ in range(WRITERS)]
    stop, results = spawn.Event(), spawn.Queue()
    writers = [
        spawn.Process(target=run_writer, args=(target, w, oks[w], errors[w], stop, results))
        for w in range(WRITERS)
    ]
    for process in writers:
        process.start()
    try:
        wait_until(lambda: all(n.value >= ADDS_BEFORE_EACH_STEP for n in oks), "writers running")
        server.kill()
        wait_until(lambda: all(n.value >= 1 for n in errors), "every writer sees the outage")
        needed = [n.value + ADDS_BEFORE_EACH_STEP for n in oks]
        server.start()
        wait_until(
            lambda: all(n.value >= need for n, need in zip(oks, needed, strict=True)),
            "every writer succeeds again with the same memory object",
        )
    finally:
        stop.set()
        reports = [results.get(timeout=60) for _ in writers]
        outcomes = {writer: writer_outcomes for writer, writer_outcomes, _ in reports}
        details = {name: text for _, _, found in reports for name, text in found.items()}
        for process in writers:
            process.join(timeout=30)
    assert [process.exitcode for process in writers] == [0] * WRITERS
    raised = {outcome for writer in outcomes.values() for _, outcome in writer if outcome != "ok"}
    assert raised == {UNAVAILABLE}, details
    survivors = check_survivors(asyncio.run(_export(target)), outcomes)
    assert survivors.failed_adds >= WRITERS
    assert all(writer[-1][1] == "ok" for writer in outcomes.values())
