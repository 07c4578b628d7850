"""Persistent backends: what one memory object stores, a new one on the same pair sees."""

from __future__ import annotations

from tests.conformance.helpers import contents, marks_by_content, msg


async def test_new_object_sees_messages_marks_and_summary(persistent_memory_factory) -> None:
    writer = await persistent_memory_factory(user_id="u", session_id="s")
    await writer.add([msg("a"), msg("b")], marks="m")
    await writer.update_compressed_summary("persisted summary")
    reader = await persistent_memory_factory(user_id="u", session_id="s")
    assert [m.content for m in await reader.get_memory()] == ["persisted summary", "a", "b"]
    assert await marks_by_content(reader) == [("a", ["m"]), ("b", ["m"])]
    await reader.clear()
    assert await writer.size() == 0
    assert await contents(writer) == []
    assert await writer.get_memory() == []


async def test_a_new_object_sees_a_summary_with_nul_and_unicode(persistent_memory_factory) -> None:
    writer = await persistent_memory_factory(user_id="u", session_id="s")
    await writer.add([msg("one"), msg("two")], marks="m")
    await writer.update_compressed_summary("kept \x00 summary ü")
    await writer.close()
    reader = await persistent_memory_factory(user_id="u", session_id="s")
    assert [m.content for m in await reader.get_memory(mark="m")] == [
        "kept \x00 summary ü",
        "one",
        "two",
    ]


async def test_context_manager_and_close(memory_factory) -> None:
    memory = await memory_factory()
    async with memory as entered:
        assert entered is memory
        await memory.add(msg("inside"))
    await memory.close()


async def test_a_reader_sees_every_change_another_object_makes(persistent_memory_factory) -> None:
    """An object that has read the session reads what a fresh object reads after each change."""
    reader = await persistent_memory_factory(user_id="u", session_id="s")
    writer = await persistent_memory_factory(user_id="u", session_id="s")
    first, second, third = (msg(text, msg_id=text) for text in ("a", "b", "c"))
    reads: list[dict[str, object]] = [
        {},
        {"mark": "m"},
        {"exclude_mark": "m"},
        {"mark": "n", "limit": 1},
        {"limit": 2},
    ]
    changes = {
        "add": lambda: writer.add(third),
        "mark one": lambda: writer.update_messages_mark("n", msg_ids=[third.id]),
        "unmark": lambda: writer.update_messages_mark(None, old_mark="m"),
        "mark all": lambda: writer.update_messages_mark("m"),
        "delete": lambda: writer.delete([second.id]),
        "summary": lambda: writer.update_compressed_summary("summary"),
        "pop": writer.pop,
        "clear": writer.clear,
        "the same messages again, marked otherwise": lambda: writer.add(
            [first, second, third], marks="n"
        ),
        "delete by mark": lambda: writer.delete_by_mark("n"),
    }
    await writer.add([first, second], marks="m")
    for change, apply in {"none": writer.size, **changes}.items():
        await apply()
        fresh = await persistent_memory_factory(user_id="u", session_id="s")
        for read in reads:
            expected = [m.content for m in await fresh.get_memory(**read)]  # the summary too
            assert [m.content for m in await reader.get_memory(**read)] == expected, (change, read)
