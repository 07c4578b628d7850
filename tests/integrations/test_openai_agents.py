"""``MemmarkSession`` on every backend: exact items, limits, atomic pop, ``Runner.run``."""

from __future__ import annotations

import asyncio
import importlib.util
import os
import subprocess
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from agents import Runner
from agents.memory import Session, SessionSettings

from memmark.integrations.openai_agents import MemmarkSession
from memmark.memory import InMemoryMemory
from memmark.message import Msg
from tests.registry import MemoryFactory

ROOT = Path(__file__).resolve().parents[2]

ITEMS: list[Any] = [
    {"role": "system", "content": "Be terse."},
    {"role": "developer", "content": [{"type": "input_text", "text": "Use tools."}]},
    {
        "role": "user",
        "content": [
            {"type": "input_text", "text": "What is this? ☀\n\x00"},
            {"type": "input_image", "image_url": "data:image/png;base64,iVBO", "detail": "low"},
            {"type": "input_image", "file_id": "file-1", "detail": "auto"},
        ],
    },
    {
        "id": "rs_1",
        "type": "reasoning",
        "summary": [{"type": "summary_text", "text": "Look it up."}],
        "encrypted_content": "gAAA==",
    },
    {
        "id": "fc_1",
        "type": "function_call",
        "call_id": "call_1",
        "name": "lookup",
        "arguments": '{"q": "cat", "n": [1, 2.5, null]}',
        "status": "completed",
    },
    {"type": "function_call_output", "call_id": "call_1", "output": "a cat"},
    {"type": "function_call", "call_id": "call_2", "name": "broken", "arguments": "not json"},
    {
        "type": "function_call_output",
        "call_id": "call_2",
        "output": [{"type": "input_text", "text": "error"}],
    },
    {
        "id": "ws_1",
        "type": "web_search_call",
        "status": "completed",
        "action": {"type": "search", "query": "cats"},
    },
    {
        "id": "__fake_id__",
        "type": "message",
        "role": "assistant",
        "status": "completed",
        "content": [
            {"type": "output_text", "text": "A cat.", "annotations": [], "logprobs": []},
            {"type": "refusal", "refusal": "No more."},
        ],
    },
    {
        "id": "__fake_id__",
        "type": "message",
        "role": "assistant",
        "content": [],
        "status": "completed",
    },
    {"type": "item_reference", "id": "msg_0"},
    {"type": "a_future_item", "payload": {"nested": [True, None, "x"]}},
]


async def test_every_item_round_trips_exactly_in_order(memory_factory: MemoryFactory) -> None:
    memory = await memory_factory()
    session = MemmarkSession(memory)
    assert isinstance(session, Session)
    assert session.session_id == memory.session_id
    await session.add_items(ITEMS[:5])
    await session.add_items(ITEMS[5:])
    assert await session.get_items() == ITEMS
    assert await MemmarkSession(memory).get_items() == ITEMS
    assert await session.get_items(limit=3) == ITEMS[-3:]
    assert await session.get_items(limit=0) == []
    assert await session.get_items(limit=100) == ITEMS
    limited = MemmarkSession(memory, session_settings=SessionSettings(limit=2))
    assert await limited.get_items() == ITEMS[-2:]
    assert await limited.get_items(limit=4) == ITEMS[-4:]


async def test_items_are_stored_as_memmark_blocks(memory_factory: MemoryFactory) -> None:
    memory = await memory_factory()
    await MemmarkSession(memory).add_items(ITEMS)
    msgs = await memory.get_memory()
    assert [m.role for m in msgs] == [
        "system", "system", "user", "assistant", "assistant", "system", "assistant", "system",
        "assistant", "assistant", "assistant", "assistant", "assistant",
    ]  # fmt: skip
    assert msgs[2].content == [
        {"type": "text", "text": "What is this? ☀\n\x00"},
        {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": "iVBO"}},
    ]
    assert msgs[3].content == [{"type": "thinking", "thinking": "Look it up."}]
    arguments = {"q": "cat", "n": [1, 2.5, None]}
    assert msgs[4].content == [
        {"type": "tool_use", "id": "call_1", "name": "lookup", "input": arguments}
    ]
    assert msgs[5].content == [
        {"type": "tool_result", "id": "call_1", "name": "lookup", "output": "a cat"}
    ]
    assert msgs[6].content == [{"type": "tool_use", "id": "call_2", "name": "broken", "input": {}}]
    assert msgs[7].content[0]["output"] == [{"type": "text", "text": "error"}]  # type: ignore[index]
    assert msgs[9].get_text_content() == "A cat.\nNo more."
    assert msgs[12].content == []


async def test_pop_item_returns_the_newest_items_then_none(memory_factory: MemoryFactory) -> None:
    memory = await memory_factory()
    session = MemmarkSession(memory)
    assert await session.pop_item() is None
    await session.add_items(ITEMS[:3])
    assert await session.pop_item() == ITEMS[2]
    assert await session.get_items() == ITEMS[:2]
    assert await session.pop_item() == ITEMS[1]
    assert await session.pop_item() == ITEMS[0]
    assert await session.pop_item() is None


async def test_concurrent_pops_never_return_the_same_item(
    persistent_memory_factory: MemoryFactory,
) -> None:
    items = [{"role": "user", "content": f"message {n}"} for n in range(12)]
    first = MemmarkSession(await persistent_memory_factory(session_id="pops"))
    await first.add_items(items)  # type: ignore[arg-type]
    sessions = [first] + [
        MemmarkSession(await persistent_memory_factory(session_id="pops")) for _ in range(2)
    ]
    popped = await asyncio.gather(*(sessions[n % 3].pop_item() for n in range(15)))
    got = [item for item in popped if item is not None]
    assert sorted(got, key=lambda item: int(item["content"].split()[1])) == items  # type: ignore[index, union-attr]
    assert popped.count(None) == 3
    assert await first.get_items() == []


async def test_clear_session_empties_only_this_session(memory_factory: MemoryFactory) -> None:
    mine = MemmarkSession(await memory_factory(user_id="u", session_id="a"))
    other = MemmarkSession(await memory_factory(user_id="u", session_id="b"))
    await mine.add_items(ITEMS[:2])
    await other.add_items(ITEMS[2:4])
    await mine.memory.update_compressed_summary("summary")
    assert await mine.get_items() == ITEMS[:2]  # the summary is not an item
    await mine.clear_session()
    assert await mine.get_items() == []
    assert await mine.memory.get_memory() == []
    assert await other.get_items() == ITEMS[2:4]


async def test_bad_input_raises_before_anything_is_written(memory_factory: MemoryFactory) -> None:
    memory = await memory_factory()
    with pytest.raises(TypeError, match="memory"):
        MemmarkSession("memory")  # type: ignore[arg-type]
    session = MemmarkSession(memory)
    with pytest.raises(TypeError, match="dict"):
        await session.add_items([{"role": "user", "content": "ok"}, "text"])  # type: ignore[list-item]
    with pytest.raises(TypeError):
        await session.add_items([{"role": "user", "content": "ok"}, {"x": object()}])  # type: ignore[list-item]
    with pytest.raises(TypeError, match="limit"):
        await session.get_items(limit="3")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="limit"):
        await session.get_items(limit=-1)
    assert await memory.size() == 0


async def test_a_message_another_framework_wrote_pops_whole() -> None:
    memory = InMemoryMemory()
    call = {"type": "tool_use", "id": "c1", "name": "f", "input": {"a": 1}}
    await memory.add(Msg("Friday", [{"type": "text", "text": "Checking."}, call], "assistant"))
    session = MemmarkSession(memory)
    assert await session.get_items() == [
        {"role": "assistant", "content": "Checking."},
        {"type": "function_call", "call_id": "c1", "name": "f", "arguments": '{"a": 1}'},
    ]
    assert await session.get_items(limit=1) == [
        {"type": "function_call", "call_id": "c1", "name": "f", "arguments": '{"a": 1}'}
    ]
    assert await session.pop_item() == {
        "type": "function_call", "call_id": "c1", "name": "f", "arguments": '{"a": 1}'
    }  # fmt: skip
    assert await memory.size() == 0


def load_example() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "openai_agents_example", ROOT / "examples" / "openai_agents_session.py"
    )
    assert spec is not None and spec.loader is not None
    example = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(example)
    return example


async def test_runner_turn_two_sees_turn_one(memory_factory: MemoryFactory) -> None:
    example = load_example()
    session = MemmarkSession(await memory_factory(user_id="alice", session_id="chat"))
    model = example.scripted_model()
    agent = example.build_agent(model)
    first = await Runner.run(
        agent, "Weather in Paris?", session=session, run_config=example.NO_TRACING
    )
    assert first.final_output == "It is sunny in Paris."
    stored_after_turn_one = await session.get_items()
    second = await Runner.run(agent, "Which city?", session=session, run_config=example.NO_TRACING)
    assert second.final_output == "You asked about Paris."

    turn_two_input = model.calls[-1].input
    assert turn_two_input[: len(stored_after_turn_one)] == stored_after_turn_one
    assert [item.get("type", "message") for item in stored_after_turn_one] == [
        "message", "function_call", "function_call_output", "message"
    ]  # fmt: skip
    assert stored_after_turn_one[2]["output"] == "sunny in Paris"
    assert turn_two_input[-1] == {"role": "user", "content": "Which city?"}
    items = await session.get_items()
    assert len(items) == 6 and items[-1]["content"][0]["text"] == "You asked about Paris."
    texts = [m.get_text_content() for m in await session.memory.get_memory()]
    assert texts[0] == "Weather in Paris?" and texts[-1] == "You asked about Paris."


def test_the_example_runs_on_sqlite(tmp_path: Path) -> None:
    env = dict(os.environ, PYTHONPATH=str(ROOT / "src"))
    result = subprocess.run(
        [sys.executable, "-W", "error", str(ROOT / "examples" / "openai_agents_session.py")],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
        cwd=tmp_path,
        env=env,
    )
    assert result.stdout.splitlines() == [
        "What is the weather in Paris? -> It is sunny in Paris.",
        "Which city did I ask about? -> You asked about Paris.",
        "turn 2's model call saw 5 items",
        "- message user",
        "- function_call get_weather",
        "- function_call_output ",
        "- message assistant",
        "- message user",
        "- message assistant",
    ]
