from __future__ import annotations

import pytest

from memmark.message import Msg
from tests.conformance.helpers import contents, marks_by_content, msg


async def test_empty_storage_reads(memory_factory) -> None:
    memory = await memory_factory()
    assert await memory.size() == 0
    assert await memory.get_memory() == []
    assert await memory.export_state() == {"_compressed_summary": "", "content": []}


async def test_add_single_and_list_keep_order(memory_factory) -> None:
    memory = await memory_factory()
    await memory.add(msg("one"))
    await memory.add([msg("two"), msg("three")])
    await memory.add((msg("four"),))  # type: ignore[arg-type]
    assert await contents(memory) == ["one", "two", "three", "four"]
    assert await memory.size() == 4


@pytest.mark.parametrize("nothing", [None, []])
async def test_add_nothing_is_a_no_op(memory_factory, nothing) -> None:
    memory = await memory_factory()
    await memory.add(nothing)
    await memory.add(nothing, marks="m")
    assert await memory.size() == 0


async def test_marks_str_and_list(memory_factory) -> None:
    memory = await memory_factory()
    await memory.add(msg("a"), marks="x")
    await memory.add(msg("b"), marks=["x", "y", "x"])
    await memory.add(msg("c"))
    assert await marks_by_content(memory) == [("a", ["x"]), ("b", ["x", "y"]), ("c", [])]


async def test_returned_messages_equal_the_added_ones(memory_factory) -> None:
    memory = await memory_factory()
    original = Msg(
        "Bob",
        [
            {"type": "text", "text": "hi"},
            {"type": "tool_use", "id": "t1", "name": "f", "input": {"a": 1}},
        ],
        "assistant",
        metadata={"k": [1, 2.5, None, True, {"n": "v"}]},
        timestamp="2026-01-02 03:04:05.678",
        invocation_id="inv-1",
    )
    await memory.add(original)
    [loaded] = await memory.get_memory()
    assert loaded == original
    assert loaded.id == original.id
    assert loaded.invocation_id == "inv-1"
    assert loaded is not original


async def test_stored_messages_are_copies(memory_factory) -> None:
    memory = await memory_factory()
    message = msg("before")
    message.metadata["k"] = "v"
    await memory.add(message)
    message.content = "after"
    message.metadata["k"] = "changed"
    [loaded] = await memory.get_memory()
    assert loaded.content == "before"
    assert loaded.metadata == {"k": "v"}
    loaded.content = "mutated"
    [again] = await memory.get_memory()
    assert again.content == "before"


async def test_duplicate_id_already_stored_is_skipped_with_its_marks(memory_factory) -> None:
    memory = await memory_factory()
    first = msg("first", msg_id="same")
    await memory.add(first, marks="a")
    await memory.add([msg("second", msg_id="same"), msg("other")], marks="b")
    assert await marks_by_content(memory) == [("first", ["a"]), ("other", ["b"])]


async def test_duplicate_id_within_one_list_keeps_the_first(memory_factory) -> None:
    memory = await memory_factory()
    await memory.add([msg("x", msg_id="d"), msg("y", msg_id="d"), msg("z")], marks="m")
    assert await contents(memory) == ["x", "z"]
    assert await memory.size() == 2


async def test_re_adding_the_same_object_is_skipped(memory_factory) -> None:
    memory = await memory_factory()
    message = msg("once")
    await memory.add(message)
    await memory.add(message)
    await memory.add([message, message])
    assert await memory.size() == 1


async def test_deleted_id_can_be_added_again_at_the_end(memory_factory) -> None:
    memory = await memory_factory()
    await memory.add([msg("a", msg_id="1"), msg("b", msg_id="2")], marks="old")
    await memory.delete(["1"])
    await memory.add(msg("a again", msg_id="1"), marks="new")
    assert await marks_by_content(memory) == [("b", ["old"]), ("a again", ["new"])]


async def test_a_bad_message_in_a_batch_stores_nothing(memory_factory) -> None:
    memory = await memory_factory()
    await memory.add(msg("kept"))
    with pytest.raises(TypeError):
        await memory.add([msg("good"), "not a Msg"])  # type: ignore[list-item]
    unserialisable = msg("bad")
    unserialisable.metadata["obj"] = object()
    with pytest.raises(TypeError):
        await memory.add([msg("good"), unserialisable])
    with pytest.raises(ValueError):
        await memory.add([msg("good"), Msg("n", "c", "user", metadata={"x": float("nan")})])
    assert await contents(memory) == ["kept"]
