"""AgentScope's calling conventions hold on every backend: kwargs, the duplicates flag, state."""

from __future__ import annotations

import inspect

import pytest

from memmark.memory import InMemoryMemory, MemoryBase
from tests.conformance.helpers import contents, msg


def _duplicates_flag(memory: MemoryBase) -> tuple[str, bool]:
    """The backend's AgentScope duplicates flag (third parameter of add) and its default."""
    param = list(inspect.signature(type(memory).add).parameters.values())[3]
    assert param.name in ("allow_duplicates", "skip_duplicated")
    return param.name, param.default


async def test_methods_take_agentscope_kwargs(memory_factory) -> None:
    memory = await memory_factory()
    first, second = msg("a"), msg("b")
    await memory.add([first, second], "m", some_future_option=1)
    assert [m.content for m in await memory.get_memory("m", None, True, extra=2)] == ["a", "b"]
    assert await memory.delete([first.id], extra=3) == 1
    assert await memory.delete_by_mark("m", extra=4) == 1
    assert await memory.size() == 0


async def test_duplicates_flag_at_its_default_skips_stored_ids(memory_factory) -> None:
    memory = await memory_factory()
    name, default = _duplicates_flag(memory)
    stored = msg("once")
    await memory.add(stored)
    await memory.add([stored, msg("new")], None, default)
    await memory.add(stored, **{name: default})
    assert await contents(memory) == ["once", "new"]


async def test_asking_for_duplicate_ids_raises_before_writing(memory_factory) -> None:
    memory = await memory_factory()
    name, default = _duplicates_flag(memory)
    if name == "allow_duplicates" and default is True:
        # Tablestore's flag defaults to True: a documented no-op, the first stored copy stays.
        first = msg("first")
        await memory.add(first)
        copy = msg("overwrite?", msg_id=first.id)
        await memory.add(copy, None, True)
        assert await contents(memory) == ["first"]
        return
    with pytest.raises(ValueError, match=f"{name}={not default} cannot be honoured"):
        await memory.add(msg("x"), None, not default)
    with pytest.raises(TypeError, match=f"{name} must be a bool"):
        await memory.add(msg("x"), **{name: "yes"})
    assert await memory.size() == 0


async def test_persistent_state_dict_names_the_session(persistent_memory_factory) -> None:
    memory = await persistent_memory_factory(user_id="u", session_id="s")
    await memory.add(msg("kept in storage"))
    await memory.update_compressed_summary("summary in storage")
    state = memory.state_dict()
    assert state == {"user_id": "u", "session_id": "s"}
    reopened = await persistent_memory_factory(user_id="u", session_id="s")
    reopened.load_state_dict(state)
    assert [m.content for m in await reopened.get_memory()] == [
        "summary in storage",
        "kept in storage",
    ]
    reopened.load_state_dict({"user_id": "u", "other": 1}, strict=False)
    reopened.load_state_dict({"_compressed_summary": ""})  # AgentScope's SQL/Redis state
    with pytest.raises(ValueError, match="unknown"):
        reopened.load_state_dict({"user_id": "u", "other": 1})
    intruder = await persistent_memory_factory(user_id="u", session_id="other")
    with pytest.raises(ValueError, match="never switches"):
        intruder.load_state_dict(state)
    with pytest.raises(ValueError, match="import_state"):
        reopened.load_state_dict(await reopened.export_state())
    with pytest.raises(TypeError):
        reopened.load_state_dict([])  # type: ignore[arg-type]
    assert await contents(intruder) == []


async def test_str_enum_marks_are_stored_as_their_text(memory_factory) -> None:
    from enum import Enum

    class Mark(str, Enum):
        HINT = "hint"

    memory = await memory_factory()
    await memory.add(msg("h"), marks=Mark.HINT)
    assert await contents(memory, mark="hint") == ["h"]
    assert (await memory.export_state())["content"][0][1] == ["hint"]
    assert await memory.delete_by_mark(Mark.HINT) == 1


def test_none_ids_mean_the_defaults() -> None:
    memory = InMemoryMemory(user_id=None, session_id=None)
    assert (memory.user_id, memory.session_id) == ("default_user", "default_session")
