from __future__ import annotations

import pytest

from tests.conformance.helpers import marks_by_content, msg


@pytest.fixture
async def memory(memory_factory):
    memory = await memory_factory()
    await memory.add(msg("a", msg_id="a"), marks="old")
    await memory.add(msg("b", msg_id="b"), marks=["old", "new"])
    await memory.add(msg("c", msg_id="c"), marks="other")
    await memory.add(msg("d", msg_id="d"))
    return memory


async def test_add_a_mark_to_all(memory) -> None:
    assert await memory.update_messages_mark("new") == 3
    assert await marks_by_content(memory) == [
        ("a", ["new", "old"]),
        ("b", ["new", "old"]),
        ("c", ["new", "other"]),
        ("d", ["new"]),
    ]


async def test_add_a_mark_to_some_ids(memory) -> None:
    assert await memory.update_messages_mark("new", msg_ids=["a", "b", "zz", "a"]) == 1
    assert await marks_by_content(memory) == [
        ("a", ["new", "old"]),
        ("b", ["new", "old"]),
        ("c", ["other"]),
        ("d", []),
    ]


async def test_replace_a_mark(memory) -> None:
    assert await memory.update_messages_mark("renamed", "old") == 2
    assert await marks_by_content(memory) == [
        ("a", ["renamed"]),
        ("b", ["new", "renamed"]),
        ("c", ["other"]),
        ("d", []),
    ]


async def test_replace_a_mark_by_one_already_there(memory) -> None:
    assert await memory.update_messages_mark("new", "old") == 2
    assert await marks_by_content(memory) == [
        ("a", ["new"]),
        ("b", ["new"]),
        ("c", ["other"]),
        ("d", []),
    ]


async def test_replace_a_mark_on_some_ids(memory) -> None:
    assert await memory.update_messages_mark("renamed", "old", ["b", "c", "d"]) == 1
    assert await marks_by_content(memory) == [
        ("a", ["old"]),
        ("b", ["new", "renamed"]),
        ("c", ["other"]),
        ("d", []),
    ]


async def test_remove_a_mark(memory) -> None:
    assert await memory.update_messages_mark(None, "old") == 2
    assert await marks_by_content(memory) == [
        ("a", []),
        ("b", ["new"]),
        ("c", ["other"]),
        ("d", []),
    ]


async def test_remove_a_mark_from_some_ids(memory) -> None:
    assert await memory.update_messages_mark(new_mark=None, old_mark="old", msg_ids=["a"]) == 1
    assert await marks_by_content(memory) == [
        ("a", []),
        ("b", ["new", "old"]),
        ("c", ["other"]),
        ("d", []),
    ]


@pytest.mark.parametrize(
    ("new_mark", "old_mark", "msg_ids"),
    [
        (None, None, None),
        (None, None, ["a"]),
        ("old", "old", None),
        ("new", None, []),
        ("x", "absent", None),
        (None, "absent", None),
        ("x", None, ["unknown"]),
    ],
)
async def test_updates_that_change_nothing_return_zero(memory, new_mark, old_mark, msg_ids) -> None:
    before = await marks_by_content(memory)
    assert await memory.update_messages_mark(new_mark, old_mark, msg_ids) == 0
    assert await marks_by_content(memory) == before


async def test_relabelled_messages_are_found_by_the_new_mark(memory) -> None:
    await memory.update_messages_mark("renamed", "old")
    assert [m.content for m in await memory.get_memory(mark="renamed")] == ["a", "b"]
    assert await memory.get_memory(mark="old") == []
    assert await memory.delete_by_mark("renamed") == 2
