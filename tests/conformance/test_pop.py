"""``pop``: remove and return the newest message, atomically."""

from __future__ import annotations

import asyncio

from tests.conformance.helpers import contents, marks_by_content, msg


async def test_pop_on_an_empty_session_returns_none(memory_factory) -> None:
    memory = await memory_factory()
    assert await memory.pop() is None
    assert await memory.size() == 0


async def test_pop_returns_the_newest_message_whole_and_removes_it(memory_factory) -> None:
    memory = await memory_factory()
    await memory.add([msg("old", msg_id="a"), msg("mid", msg_id="b")], marks="x")
    newest = msg("new", role="assistant", name="Bot", msg_id="c")
    newest.metadata = {"k": [1, "二"]}
    await memory.add(newest, marks=["y", "z"])
    popped = await memory.pop()
    assert popped == newest
    assert await contents(memory) == ["old", "mid"]
    assert await contents(memory, mark="y") == []
    assert await marks_by_content(memory) == [("old", ["x"]), ("mid", ["x"])]
    assert (await memory.pop()).id == "b"
    assert (await memory.pop()).id == "a"
    assert await memory.pop() is None


async def test_pop_keeps_the_summary_and_later_adds_append(memory_factory) -> None:
    memory = await memory_factory()
    await memory.update_compressed_summary("so far")
    await memory.add([msg("one"), msg("two")])
    await memory.pop()
    await memory.add(msg("three"))
    assert await contents(memory) == ["one", "three"]
    assert (await memory.get_memory())[0].content == "so far"


async def test_a_popped_message_can_be_added_again(memory_factory) -> None:
    memory = await memory_factory()
    await memory.add([msg("one", msg_id="a"), msg("two", msg_id="b")])
    popped = await memory.pop()
    await memory.add(popped, marks="again")
    assert await contents(memory, mark="again") == ["two"]


async def test_concurrent_pops_never_return_the_same_message(memory_factory) -> None:
    memory = await memory_factory()
    await memory.add([msg(f"m{i}", msg_id=f"id{i}") for i in range(12)])
    popped = await asyncio.gather(*(memory.pop() for _ in range(20)))
    ids = [m.id for m in popped if m is not None]
    assert sorted(ids) == sorted(f"id{i}" for i in range(12))
    assert popped.count(None) == 8
    assert await memory.size() == 0


async def test_pops_by_many_memory_objects_share_the_session(persistent_memory_factory) -> None:
    memories = [await persistent_memory_factory(session_id="shared") for _ in range(4)]
    await memories[0].add([msg(f"m{i}", msg_id=f"id{i}") for i in range(10)])
    popped = await asyncio.gather(*(memories[k % 4].pop() for k in range(14)))
    ids = [m.id for m in popped if m is not None]
    assert sorted(ids) == sorted(f"id{i}" for i in range(10))
    assert await memories[3].size() == 0
