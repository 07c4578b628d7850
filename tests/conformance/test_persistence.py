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
