"""Fuzzed input on every backend: each value round-trips exactly, or is refused up front.

Refused means ``TypeError`` / ``ValueError`` (``ContentTooLargeError`` is one) raised before
anything is written: the session's ``export_state`` is unchanged. A ``BackendError`` here
would mean a limit the backend did not enforce up front, so it fails the test.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from memmark.memory import MemoryBase
from memmark.message import Msg
from tests.conformance.fuzz_strategies import (
    any_text,
    label_text,
    marks_argument,
    messages,
    text,
)
from tests.registry import MemoryFactory

REFUSED = (TypeError, ValueError)
FUZZ_EXAMPLES = settings(max_examples=25)
"""Per test and backend, in every profile: each example opens a fresh session."""

BASELINE = Msg("base", "stored before the fuzzed call", "user", metadata={"n": 1})
BASELINE.id = "baseline"


async def _seeded(memory_factory: MemoryFactory) -> tuple[MemoryBase, dict[str, Any]]:
    """A fresh session holding one message and a summary, and its exported state."""
    memory = await memory_factory(session_id=f"fuzz-{uuid.uuid4()}")
    await memory.add(BASELINE, marks=["seed", "ü😀"])
    await memory.update_compressed_summary("seed summary")
    return memory, await memory.export_state()


async def _refused_or_done(
    memory: MemoryBase, before: dict[str, Any], call: Awaitable[Any]
) -> bool:
    """Await ``call``; if it is refused, the state must be unchanged. Return whether it ran."""
    try:
        await call
    except REFUSED:
        assert await memory.export_state() == before
        return False
    return True


def _mark_list(marks: object) -> list[str]:
    if marks is None:
        return []
    if isinstance(marks, str):
        return [marks]
    assert isinstance(marks, list)
    return sorted(dict.fromkeys(marks))


@FUZZ_EXAMPLES
@given(batch=st.lists(messages, min_size=1, max_size=3), marks=marks_argument)
async def test_add_round_trips_or_changes_nothing(memory_factory, batch, marks) -> None:
    memory, before = await _seeded(memory_factory)
    dicts = [m.to_dict() for m in batch]
    if not await _refused_or_done(memory, before, memory.add(batch, marks=marks)):
        return
    first_of_each_id: dict[str, dict] = {}
    for d in dicts:
        first_of_each_id.setdefault(d["id"], d)  # a repeated id is skipped whole
    fresh = list(first_of_each_id.values())
    fresh = [d for d in fresh if d["id"] != BASELINE.id]
    loaded = await memory.get_memory(prepend_summary=False)
    assert [m.to_dict() for m in loaded] == [BASELINE.to_dict(), *fresh]
    assert await memory.export_state() == {
        "_compressed_summary": before["_compressed_summary"],
        "content": [*before["content"], *([d, _mark_list(marks)] for d in fresh)],
    }


@FUZZ_EXAMPLES
@given(summary=text | st.integers() | st.none())
async def test_summary_round_trips_or_changes_nothing(memory_factory, summary) -> None:
    memory, before = await _seeded(memory_factory)
    if not await _refused_or_done(memory, before, memory.update_compressed_summary(summary)):
        return
    loaded = await memory.get_memory()
    if summary:
        assert loaded[0].content == summary
        loaded = loaded[1:]
    assert loaded == [BASELINE]
    assert (await memory.export_state())["_compressed_summary"] == summary


@FUZZ_EXAMPLES
@given(mark=label_text)
async def test_marks_round_trip_or_change_nothing(memory_factory, mark) -> None:
    memory, before = await _seeded(memory_factory)
    if not await _refused_or_done(memory, before, memory.update_messages_mark(mark)):
        return
    assert await memory.get_memory(mark=mark, prepend_summary=False) == [BASELINE]
    assert await memory.get_memory(exclude_mark=mark, prepend_summary=False) == []
    assert (await memory.export_state())["content"][0][1] == sorted({"seed", "ü😀", mark})
    assert await memory.update_messages_mark(None, old_mark=mark) == 1
    assert await memory.export_state() == before


@FUZZ_EXAMPLES
@given(msg_ids=st.lists(label_text, max_size=3))
async def test_delete_by_fuzzed_ids_removes_only_those(memory_factory, msg_ids) -> None:
    memory, before = await _seeded(memory_factory)
    calls: list[Callable[[], Awaitable[int]]] = [
        lambda: memory.delete(msg_ids),
        lambda: memory.update_messages_mark("m", msg_ids=msg_ids),
        lambda: memory.delete_by_mark(msg_ids),
    ]
    for call in calls:
        if await _refused_or_done(memory, before, call()):
            assert await memory.export_state() == before


@FUZZ_EXAMPLES
@given(batch=st.lists(messages, max_size=3), marks=st.lists(marks_argument, max_size=3))
async def test_import_state_round_trips_or_changes_nothing(memory_factory, batch, marks) -> None:
    memory, before = await _seeded(memory_factory)
    state = {
        "_compressed_summary": "imported",
        "content": [[m.to_dict(), marks[i] if i < len(marks) else []] for i, m in enumerate(batch)],
    }
    if not await _refused_or_done(memory, before, memory.import_state(state)):
        return
    expected: dict[str, list[Any]] = {}
    for msg_dict, msg_marks in state["content"]:
        expected.setdefault(msg_dict["id"], [msg_dict, _mark_list(msg_marks)])
    assert await memory.export_state() == {
        "_compressed_summary": "imported",
        "content": list(expected.values()),
    }


@FUZZ_EXAMPLES
@given(user_id=label_text | st.none(), session_id=label_text | st.integers())
async def test_identities_work_or_are_refused_up_front(memory_factory, user_id, session_id) -> None:
    try:
        memory = await memory_factory(user_id=user_id, session_id=session_id)
    except REFUSED:
        return
    other_user = "neighbour" if user_id != "neighbour" else "other"
    neighbour = await memory_factory(user_id=other_user, session_id=session_id)
    # Examples may name one session twice (None is "default_user", 0 is "0"; a shrink
    # repeats one): start it empty, and hold the neighbour to what it held.
    await memory.clear()
    held_by_neighbour = await neighbour.export_state()
    msg = Msg("id", f"{user_id!r} / {session_id!r}", "user")
    await memory.add(msg, marks="m")
    assert await memory.get_memory() == [msg]
    assert await neighbour.export_state() == held_by_neighbour


@FUZZ_EXAMPLES
@given(name=any_text, content=text)
async def test_a_refused_message_leaves_its_batch_unwritten(memory_factory, name, content) -> None:
    memory, before = await _seeded(memory_factory)
    bad = Msg(name, content, "user", metadata={"nan": float("nan")})
    good = Msg(name, content, "user")
    assert not await _refused_or_done(memory, before, memory.add([good, bad]))
