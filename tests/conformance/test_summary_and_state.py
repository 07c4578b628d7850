from __future__ import annotations

from datetime import datetime

import pytest

from memmark.memory import InMemoryMemory
from tests.conformance.helpers import contents, marks_by_content, msg


async def test_summary_set_replace_clear(memory_factory) -> None:
    memory = await memory_factory()
    await memory.add(msg("m"))
    await memory.update_compressed_summary("first")
    await memory.update_compressed_summary("second")
    assert [m.content for m in await memory.get_memory()] == ["second", "m"]
    assert [m.content for m in await memory.get_memory(prepend_summary=False)] == ["m"]
    assert await memory.size() == 1
    await memory.update_compressed_summary("")
    assert [m.content for m in await memory.get_memory()] == ["m"]


async def test_summary_on_an_empty_session(memory_factory) -> None:
    memory = await memory_factory()
    await memory.update_compressed_summary("only a summary")
    assert [m.content for m in await memory.get_memory()] == ["only a summary"]
    assert await memory.size() == 0


async def test_export_state_has_the_tutorial_format(memory_factory) -> None:
    memory = await memory_factory()
    first = msg("hello")
    second = msg("hint", role="system", name="system")
    await memory.add(first)
    await memory.add([second], marks=["hint", "a"])
    await memory.update_compressed_summary("sum")
    assert await memory.export_state() == {
        "_compressed_summary": "sum",
        "content": [[first.to_dict(), []], [second.to_dict(), ["a", "hint"]]],
    }


async def test_import_state_replaces_the_session(memory_factory) -> None:
    source = InMemoryMemory()
    await source.add(msg("x", msg_id="x"), marks="m")
    await source.add(msg("y", msg_id="y"))
    await source.update_compressed_summary("moved")
    state = await source.export_state()
    memory = await memory_factory()
    await memory.add(msg("will be replaced"), marks="m")
    await memory.update_compressed_summary("old")
    await memory.import_state(state)
    assert await memory.export_state() == state
    await memory.import_state(state)
    assert await memory.export_state() == state
    await memory.add(msg("appended"))
    assert await contents(memory) == ["x", "y", "appended"]


async def test_state_moves_between_backends_losslessly(memory_factory) -> None:
    memory = await memory_factory()
    await memory.add([msg("a\x00b"), msg("ünï 😀\n")], marks=["m", "n"])
    await memory.update_compressed_summary("s")
    state = await memory.export_state()
    other = InMemoryMemory()
    other.load_state_dict(state)
    assert other.state_dict() == state
    target = await memory_factory(user_id="other user")
    await target.import_state(other.state_dict())
    assert await target.export_state() == state


@pytest.mark.parametrize(
    ("state", "error"),
    [
        ([], TypeError),
        ({"content": []}, ValueError),
        ({"_compressed_summary": "", "content": [], "extra": 1}, ValueError),
        ({"_compressed_summary": 3, "content": []}, TypeError),
        ({"_compressed_summary": "", "content": {}}, TypeError),
        ({"_compressed_summary": "", "content": [["not a pair"]]}, TypeError),
        ({"_compressed_summary": "", "content": [[{"id": "i"}, []]]}, ValueError),
        (
            {
                "_compressed_summary": "",
                "content": [[{"id": "i", "name": "n", "role": "bad", "content": "c"}, []]],
            },
            ValueError,
        ),
        (
            {
                "_compressed_summary": "",
                "content": [[{"id": "i", "name": "n", "role": "user", "content": "c"}, [""]]],
            },
            ValueError,
        ),
        (
            {
                "_compressed_summary": "",
                "content": [[{"id": "i", "name": "n", "role": "user", "content": "c"}, "m"]],
            },
            TypeError,
        ),
    ],
)
async def test_bad_state_is_rejected_before_anything_changes(memory_factory, state, error) -> None:
    memory = await memory_factory()
    await memory.add(msg("kept"), marks="k")
    with pytest.raises(error):
        await memory.import_state(state)
    assert await marks_by_content(memory) == [("kept", ["k"])]


@pytest.mark.parametrize(
    ("updated_at", "error"),
    [("2020-01-01T00:00:00+00:00", TypeError), (datetime(2020, 1, 1), ValueError)],
)
async def test_import_state_rejects_a_bad_updated_at_before_writing(
    memory_factory, updated_at, error
) -> None:
    memory = await memory_factory()
    await memory.add(msg("kept"))
    with pytest.raises(error, match="updated_at"):
        await memory.import_state({"_compressed_summary": "", "content": []}, updated_at=updated_at)
    assert await contents(memory) == ["kept"]
