"""Concurrent writers: every message stored once, each call contiguous and in call order."""

from __future__ import annotations

import asyncio

from tests.conformance.helpers import contents, msg

WRITERS = 8
ADDS_PER_WRITER = 15
BATCH = 3


def _check_interleaving(stored: list[str]) -> None:
    assert len(stored) == len(set(stored)) == WRITERS * ADDS_PER_WRITER * BATCH
    for writer in range(WRITERS):
        own = [c for c in stored if c.startswith(f"w{writer}-")]
        assert own == [f"w{writer}-{i}-{j}" for i in range(ADDS_PER_WRITER) for j in range(BATCH)]
    for start in range(0, len(stored), BATCH):
        batch = stored[start : start + BATCH]
        assert len({c.rsplit("-", 1)[0] for c in batch}) == 1, batch


async def _writer(memory, writer: int) -> None:
    for i in range(ADDS_PER_WRITER):
        await memory.add([msg(f"w{writer}-{i}-{j}") for j in range(BATCH)], marks=f"w{writer}")


async def test_many_coroutines_on_one_memory(memory_factory) -> None:
    memory = await memory_factory()
    await asyncio.gather(*(_writer(memory, w) for w in range(WRITERS)))
    _check_interleaving(await contents(memory))
    assert await memory.size() == WRITERS * ADDS_PER_WRITER * BATCH
    assert len(await memory.get_memory(mark="w3")) == ADDS_PER_WRITER * BATCH


async def test_many_memory_objects_on_one_session(persistent_memory_factory) -> None:
    memories = [await persistent_memory_factory(session_id="shared") for _ in range(WRITERS)]
    await asyncio.gather(*(_writer(m, w) for w, m in enumerate(memories)))
    for memory in (memories[0], await persistent_memory_factory(session_id="shared")):
        _check_interleaving(await contents(memory))


async def test_same_message_added_concurrently_is_stored_once(memory_factory) -> None:
    memory = await memory_factory()
    racing = [msg(f"m{i}", msg_id=f"id{i}") for i in range(10)]
    await asyncio.gather(*(memory.add(racing, marks=f"from{k}") for k in range(6)))
    state = await memory.export_state()
    assert [entry[0]["id"] for entry in state["content"]] == [f"id{i}" for i in range(10)]
    assert len({tuple(entry[1]) for entry in state["content"]}) == 1
