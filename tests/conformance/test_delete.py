from __future__ import annotations

from tests.conformance.helpers import contents, marks_by_content, msg


async def test_delete_returns_how_many_existed(memory_factory) -> None:
    memory = await memory_factory()
    await memory.add([msg("a", msg_id="1"), msg("b", msg_id="2"), msg("c", msg_id="3")])
    assert await memory.delete(["1", "unknown", "3", "1"]) == 2
    assert await contents(memory) == ["b"]
    assert await memory.delete(["1"]) == 0
    assert await memory.delete([]) == 0
    assert await memory.size() == 1


async def test_delete_removes_the_marks_too(memory_factory) -> None:
    memory = await memory_factory()
    await memory.add([msg("a", msg_id="1"), msg("b", msg_id="2")], marks="m")
    await memory.delete(["1"])
    assert await contents(memory, mark="m") == ["b"]
    assert await marks_by_content(memory) == [("b", ["m"])]


async def test_delete_by_mark(memory_factory) -> None:
    memory = await memory_factory()
    await memory.add(msg("plain"))
    await memory.add([msg("h1"), msg("h2")], marks="hint")
    await memory.add(msg("both"), marks=["hint", "tool"])
    await memory.add(msg("t"), marks="tool")
    assert await memory.delete_by_mark("hint") == 3
    assert await contents(memory) == ["plain", "t"]
    assert await contents(memory, mark="hint") == []
    assert await memory.delete_by_mark("hint") == 0


async def test_delete_by_several_marks_counts_each_message_once(memory_factory) -> None:
    memory = await memory_factory()
    await memory.add(msg("x"), marks=["a", "b"])
    await memory.add(msg("y"), marks="b")
    await memory.add(msg("z"), marks="c")
    await memory.add(msg("keep"))
    assert await memory.delete_by_mark(["a", "b", "absent"]) == 2
    assert await contents(memory) == ["z", "keep"]
    assert await memory.delete_by_mark([]) == 0


async def test_clear_removes_messages_marks_and_summary(memory_factory) -> None:
    memory = await memory_factory()
    await memory.add([msg("a"), msg("b")], marks="m")
    await memory.update_compressed_summary("s")
    await memory.clear()
    assert await memory.size() == 0
    assert await memory.get_memory() == []
    assert await memory.export_state() == {"_compressed_summary": "", "content": []}
    await memory.add(msg("after"), marks="n")
    assert await marks_by_content(memory) == [("after", ["n"])]
