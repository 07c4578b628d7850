from __future__ import annotations

import pytest

from tests.conformance.helpers import contents, msg


@pytest.fixture
async def marked(memory_factory):
    memory = await memory_factory()
    await memory.add(msg("plain-1"))
    await memory.add([msg("hint-1"), msg("hint-2")], marks="hint")
    await memory.add(msg("both"), marks=["hint", "tool"])
    await memory.add(msg("tool-1"), marks="tool")
    await memory.add(msg("plain-2"))
    return memory


async def test_all_in_insertion_order(marked) -> None:
    assert await contents(marked) == ["plain-1", "hint-1", "hint-2", "both", "tool-1", "plain-2"]


async def test_by_mark(marked) -> None:
    assert await contents(marked, mark="hint") == ["hint-1", "hint-2", "both"]
    assert await contents(marked, mark="tool") == ["both", "tool-1"]
    assert await contents(marked, mark="absent") == []


async def test_exclude_mark(marked) -> None:
    assert await contents(marked, exclude_mark="hint") == ["plain-1", "tool-1", "plain-2"]
    assert await contents(marked, exclude_mark="absent") == [
        "plain-1",
        "hint-1",
        "hint-2",
        "both",
        "tool-1",
        "plain-2",
    ]


async def test_mark_and_exclude_mark(marked) -> None:
    assert await contents(marked, mark="hint", exclude_mark="tool") == ["hint-1", "hint-2"]
    assert await contents(marked, mark="hint", exclude_mark="hint") == []


async def test_positional_arguments_as_in_the_tutorial(marked) -> None:
    result = await marked.get_memory("tool", "hint", False)
    assert [m.content for m in result] == ["tool-1"]


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        ({"limit": 0}, []),
        ({"limit": 1}, ["plain-2"]),
        ({"limit": 2}, ["tool-1", "plain-2"]),
        ({"limit": 100}, ["plain-1", "hint-1", "hint-2", "both", "tool-1", "plain-2"]),
        ({"limit": 2**31 - 1}, ["plain-1", "hint-1", "hint-2", "both", "tool-1", "plain-2"]),
        ({"limit": 2**31 - 1, "mark": "hint"}, ["hint-1", "hint-2", "both"]),
        ({"limit": 2, "mark": "hint"}, ["hint-2", "both"]),
        ({"limit": 5, "mark": "hint"}, ["hint-1", "hint-2", "both"]),
        ({"limit": 2, "exclude_mark": "tool"}, ["hint-2", "plain-2"]),
        ({"limit": 1, "mark": "hint", "exclude_mark": "tool"}, ["hint-2"]),
    ],
)
async def test_limit_returns_the_newest_oldest_first(marked, kwargs, expected) -> None:
    assert await contents(marked, **kwargs) == expected


async def test_summary_is_prepended_as_a_user_message(marked) -> None:
    await marked.update_compressed_summary("the summary")
    result = await marked.get_memory(mark="tool")
    assert [(m.name, m.role, m.content) for m in result] == [
        ("user", "user", "the summary"),
        ("Alice", "user", "both"),
        ("Alice", "user", "tool-1"),
    ]
    assert [m.content for m in await marked.get_memory(limit=1)] == ["the summary", "plain-2"]
    assert await contents(marked, mark="tool") == ["both", "tool-1"]
