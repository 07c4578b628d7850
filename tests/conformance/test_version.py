"""``version()`` and ``expected_version=``: optimistic concurrency enforced by the storage."""

from __future__ import annotations

import asyncio

import pytest

from memmark.errors import ConflictError, MemmarkError
from tests.conformance.helpers import contents, msg
from tests.registry import MemoryFactory

# Every write method, called so that it changes the session holding "a" (marked "x") and "b".
WRITES = {
    "add": lambda m, v: m.add(msg("new"), expected_version=v),
    "delete": lambda m, v: m.delete(["a"], expected_version=v),
    "delete_by_mark": lambda m, v: m.delete_by_mark("x", expected_version=v),
    "update_messages_mark": lambda m, v: m.update_messages_mark("y", expected_version=v),
    "update_compressed_summary": lambda m, v: m.update_compressed_summary("s", expected_version=v),
    "clear": lambda m, v: m.clear(expected_version=v),
    "import_state": lambda m, v: m.import_state(
        {"_compressed_summary": "i", "content": []}, expected_version=v
    ),
    "pop": lambda m, v: m.pop(expected_version=v),
    "rewind": lambda m, v: m.rewind("b", expected_version=v),
    "compress": lambda m, v: m.compress("c", ["a"], expected_version=v),
}


async def _two(memory) -> None:
    await memory.add(msg("one", msg_id="a"), marks="x")
    await memory.add(msg("two", msg_id="b"))


async def test_a_new_session_is_at_version_zero_and_writes_increase_it(memory_factory) -> None:
    memory = await memory_factory()
    assert await memory.version() == 0
    versions = [0]
    for write in (
        lambda: memory.add(msg("one", msg_id="a")),
        lambda: memory.update_messages_mark("x"),
        lambda: memory.update_compressed_summary("s"),
        lambda: memory.compress("t", ["a"]),
        lambda: memory.pop(),
        lambda: memory.clear(),
    ):
        await write()
        versions.append(await memory.version())
    assert versions == sorted(set(versions)), versions


async def test_writes_that_change_nothing_leave_the_version(memory_factory) -> None:
    memory = await memory_factory()
    await _two(memory)
    before = await memory.version()
    await memory.delete(["unknown"])
    await memory.delete_by_mark("unknown")
    await memory.update_messages_mark("x", msg_ids=["a"])
    await memory.rewind("unknown")
    await memory.add(None)
    assert await memory.version() == before


@pytest.mark.parametrize("write", list(WRITES))
async def test_each_write_with_the_current_version_succeeds(memory_factory, write) -> None:
    memory = await memory_factory()
    await _two(memory)
    current = await memory.version()
    await WRITES[write](memory, current)
    assert await memory.version() > current


@pytest.mark.parametrize("write", list(WRITES))
async def test_each_write_with_a_stale_version_changes_nothing(memory_factory, write) -> None:
    memory = await memory_factory()
    await _two(memory)
    stale = await memory.version()
    await memory.update_compressed_summary("moved on")
    current = await memory.version()
    state = await memory.export_state()
    with pytest.raises(ConflictError) as raised:
        await WRITES[write](memory, stale)
    assert isinstance(raised.value, MemmarkError)
    assert (raised.value.expected, raised.value.current) == (stale, current)
    assert await memory.export_state() == state
    assert await memory.version() == current


async def test_a_write_that_would_change_nothing_still_checks(memory_factory) -> None:
    memory = await memory_factory()
    await _two(memory)
    with pytest.raises(ConflictError):
        await memory.delete([], expected_version=999)
    with pytest.raises(ConflictError):
        await memory.pop(expected_version=1 + await memory.version())


@pytest.mark.parametrize("bad", ["1", 1.0, True])
async def test_expected_version_must_be_an_int(memory_factory, bad) -> None:
    memory = await memory_factory()
    with pytest.raises(TypeError, match="expected_version"):
        await memory.add(msg("x"), expected_version=bad)
    with pytest.raises(ValueError, match="expected_version"):
        await memory.clear(expected_version=-1)
    assert await memory.size() == 0


async def test_a_cleared_session_does_not_reuse_versions(memory_factory) -> None:
    memory = await memory_factory()
    await _two(memory)
    seen = await memory.version()
    await memory.clear()
    for i in range(seen + 1):
        await memory.add(msg(f"m{i}"))
        assert await memory.version() != seen


async def test_racing_guarded_writers_one_wins_per_version(persistent_memory_factory) -> None:
    memories = [await persistent_memory_factory(session_id="shared") for _ in range(5)]
    await memories[0].add(msg("start"))
    version = await memories[0].version()
    results = await asyncio.gather(
        *(m.add(msg(f"w{i}"), expected_version=version) for i, m in enumerate(memories)),
        return_exceptions=True,
    )
    assert sum(r is None for r in results) == 1
    assert all(isinstance(r, ConflictError) for r in results if r is not None)
    assert len(await contents(memories[0])) == 2


async def test_a_reader_sees_every_write_made_since_its_last_read(
    persistent_memory_factory: MemoryFactory,
) -> None:
    reader = await persistent_memory_factory(user_id="u", session_id="s")
    writer = await persistent_memory_factory(user_id="u", session_id="s")
    await asyncio.gather(reader.size(), writer.size(), reader.get_memory())  # several connections
    for count in range(1, 5):
        await reader.get_memory()
        await writer.add(msg(f"m{count}"))
        assert await reader.version() == await writer.version()
        assert await reader.size() == count
        assert len(await reader.get_memory()) == count
