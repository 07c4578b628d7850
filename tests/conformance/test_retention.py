"""Retention by mark: ``delete_by_mark(mark, older_than=...)`` removes only the old ones.

No test sets a clock or sleeps: an age of a day or more removes nothing a test just stored,
``timedelta(0)`` removes every marked message, and a one-millisecond age is waited for by
polling the delete itself until the storage's clock has moved past it.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from memmark.errors import ConflictError
from tests.conformance.helpers import contents, marks_by_content, msg
from tests.waiting import eventually

A_DAY = timedelta(days=1)
LONGEST = timedelta(days=999_999_999)


async def test_a_large_age_removes_nothing_and_leaves_the_version(memory_factory) -> None:
    memory = await memory_factory()
    await memory.add([msg("a"), msg("b")], marks="tool")
    version = await memory.version()
    assert await memory.delete_by_mark("tool", older_than=A_DAY) == 0
    assert await memory.delete_by_mark(["tool", "absent"], older_than=LONGEST) == 0
    assert await contents(memory) == ["a", "b"]
    assert await memory.version() == version


async def test_age_zero_removes_every_marked_message(memory_factory) -> None:
    memory = await memory_factory()
    await memory.add(msg("plain"))
    await memory.add([msg("t1"), msg("t2")], marks="tool")
    await memory.add(msg("both"), marks=["tool", "keep"])
    assert await memory.delete_by_mark("tool", older_than=timedelta(0)) == 3
    assert await marks_by_content(memory) == [("plain", [])]


async def test_old_marked_messages_go_recent_and_other_marks_and_sessions_stay(
    memory_factory,
) -> None:
    memory = await memory_factory(session_id="retained")
    other = await memory_factory(session_id="neighbour")
    await memory.add(msg("old tool"), marks="tool")
    await memory.add(msg("old note"), marks="note")
    await memory.add(msg("old plain"))
    await other.add(msg("other tool"), marks="tool")
    assert await memory.delete_by_mark("tool", older_than=A_DAY) == 0  # not a day old yet
    before = await memory.version()

    async def removed_once_a_millisecond_old() -> bool:
        return await memory.delete_by_mark("tool", older_than=timedelta(milliseconds=1)) == 1

    await eventually(removed_once_a_millisecond_old, "the marked message to be 1 ms old")
    assert await memory.version() > before
    await memory.add(msg("new tool"), marks="tool")
    assert await memory.delete_by_mark("tool", older_than=A_DAY) == 0
    assert await marks_by_content(memory) == [
        ("old note", ["note"]),
        ("old plain", []),
        ("new tool", ["tool"]),
    ]
    assert await marks_by_content(other) == [("other tool", ["tool"])]


async def test_an_age_finds_a_message_by_the_mark_it_gained_later(memory_factory) -> None:
    memory = await memory_factory()
    await memory.add(msg("a", msg_id="a"), marks="draft")
    await memory.update_messages_mark("tool", old_mark="draft")
    assert await memory.delete_by_mark("tool", older_than=A_DAY) == 0

    async def removed() -> bool:
        return await memory.delete_by_mark("tool", older_than=timedelta(milliseconds=1)) == 1

    await eventually(removed, "the relabelled message to be 1 ms old")
    assert await memory.size() == 0


async def test_older_than_with_expected_version(memory_factory) -> None:
    memory = await memory_factory()
    await memory.add(msg("a"), marks="tool")
    version = await memory.version()
    with pytest.raises(ConflictError):
        await memory.delete_by_mark("tool", older_than=A_DAY, expected_version=version + 1)
    with pytest.raises(ConflictError):
        await memory.delete_by_mark([], older_than=A_DAY, expected_version=version + 1)
    assert await memory.delete_by_mark("tool", older_than=A_DAY, expected_version=version) == 0
    assert await memory.version() == version
    assert await memory.delete_by_mark("tool", older_than=timedelta(0), expected_version=version)
    assert await memory.size() == 0


@pytest.mark.parametrize("bad", [3600, "7d", 1.5])
async def test_older_than_must_be_a_timedelta(memory_factory, bad: object) -> None:
    memory = await memory_factory()
    await memory.add(msg("a"), marks="tool")
    with pytest.raises(TypeError, match="older_than"):
        await memory.delete_by_mark("tool", older_than=bad)
    with pytest.raises(ValueError, match="older_than"):
        await memory.delete_by_mark("tool", older_than=timedelta(seconds=-1))
    assert await memory.size() == 1
