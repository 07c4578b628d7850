"""``MemmarkChatMessageHistory`` on every backend: exact round trips, marks, sync use, example."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from langchain_core.language_models.fake_chat_models import FakeListChatModel
from langchain_core.messages import (
    AIMessage,
    AIMessageChunk,
    BaseMessage,
    ChatMessage,
    HumanMessage,
    SystemMessage,
    ToolMessage,
)
from langchain_core.runnables import RunnableLambda

from memmark.integrations.langchain import MemmarkChatMessageHistory, run_sync
from memmark.memory import InMemoryMemory
from memmark.message import Msg
from tests.registry import MemoryFactory, Provider

ROOT = Path(__file__).resolve().parents[2]

PNG = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5Erk"

MESSAGES: list[BaseMessage] = [
    SystemMessage("Be terse.", id="sys-1"),
    HumanMessage("Hi ☀\nthere\x00!", name="alice", additional_kwargs={"lang": "en"}),
    HumanMessage(
        [
            {"type": "text", "text": "What is on these?"},
            {"type": "image_url", "image_url": {"url": f"data:image/png;base64,{PNG}"}},
            {"type": "image", "url": "https://example.com/cat.png"},
            {"type": "file", "file_id": "file-123"},
        ]
    ),
    AIMessage(
        "Let me look.",
        id="lc_run--1",
        tool_calls=[
            {"name": "lookup", "args": {"q": "cat", "n": [1, 2.5, None]}, "id": "call-1"},
            {"name": "count", "args": {}, "id": "call-2"},
        ],
        response_metadata={"model_name": "fake", "finish_reason": "tool_calls"},
        usage_metadata={"input_tokens": 3, "output_tokens": 4, "total_tokens": 7},
    ),
    ToolMessage("a cat", tool_call_id="call-1", name="lookup", artifact={"raw": [1]}),
    ToolMessage(
        [{"type": "text", "text": "2"}], tool_call_id="call-2", status="error", id="tool-2"
    ),
    AIMessage(
        [{"type": "reasoning", "reasoning": "count them"}, {"type": "text", "text": "Two cats."}],
        additional_kwargs={"refusal": None},
    ),
    AIMessageChunk("partial"),
    ChatMessage("A note", role="critic"),
]


def dumps(messages: list[BaseMessage]) -> list[tuple[type, dict[str, Any]]]:
    return [(type(m), m.model_dump()) for m in messages]


async def test_every_message_type_round_trips_exactly(memory_factory: MemoryFactory) -> None:
    memory = await memory_factory()
    history = MemmarkChatMessageHistory(memory)
    await history.aadd_messages(MESSAGES[:4])
    await history.aadd_messages(MESSAGES[4:])
    assert dumps(await history.aget_messages()) == dumps(MESSAGES)
    fresh = MemmarkChatMessageHistory(memory)
    assert dumps(await fresh.aget_messages()) == dumps(MESSAGES)


async def test_stored_messages_use_memmark_roles_and_blocks(memory_factory: MemoryFactory) -> None:
    memory = await memory_factory()
    await MemmarkChatMessageHistory(memory).aadd_messages(MESSAGES)
    msgs = await memory.get_memory()
    assert [m.role for m in msgs] == [
        "system", "user", "user", "assistant", "system", "system", "assistant", "assistant", "user"
    ]  # fmt: skip
    assert msgs[1].content == "Hi ☀\nthere\x00!" and msgs[1].name == "alice"
    assert msgs[2].content == [
        {"type": "text", "text": "What is on these?"},
        {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": PNG}},
        {"type": "image", "source": {"type": "url", "url": "https://example.com/cat.png"}},
    ]
    assert msgs[3].content == [
        {"type": "text", "text": "Let me look."},
        {
            "type": "tool_use",
            "id": "call-1",
            "name": "lookup",
            "input": MESSAGES[3].tool_calls[0]["args"],
        },
        {"type": "tool_use", "id": "call-2", "name": "count", "input": {}},
    ]
    assert msgs[4].content == [
        {"type": "tool_result", "id": "call-1", "name": "lookup", "output": "a cat"}
    ]
    assert msgs[6].get_content_blocks("thinking") == [
        {"type": "thinking", "thinking": "count them"}
    ]


async def test_marks_filter_reads_and_label_writes(memory_factory: MemoryFactory) -> None:
    memory = await memory_factory()
    await memory.add(Msg("user", "outside the history", "user"))
    chat = MemmarkChatMessageHistory(memory, mark="chat")
    await chat.aadd_messages([HumanMessage("q1"), AIMessage("a1")])
    await chat.aadd_messages([HumanMessage("secret")], marks=["private", "extra"])
    await chat.aadd_messages([HumanMessage("q2"), AIMessage("a2")])
    assert [m.text for m in await chat.aget_messages()] == ["q1", "a1", "secret", "q2", "a2"]
    public = MemmarkChatMessageHistory(memory, mark="chat", exclude_mark="private", limit=3)
    assert [m.text for m in await public.aget_messages()] == ["a1", "q2", "a2"]
    everything = MemmarkChatMessageHistory(memory, exclude_mark="private")
    assert len(await everything.aget_messages()) == 5
    assert len(await memory.get_memory(mark="extra")) == 1

    await public.aclear()  # what it reads, limit aside: the chat messages but the private one
    assert [m.text for m in await everything.aget_messages()] == ["outside the history"]
    await chat.aclear()  # the messages with its mark
    assert [m.get_text_content() for m in await memory.get_memory()] == ["outside the history"]
    await MemmarkChatMessageHistory(memory).aclear()
    assert await memory.size() == 0


async def test_summary_comes_first_unless_turned_off(memory_factory: MemoryFactory) -> None:
    memory = await memory_factory()
    history = MemmarkChatMessageHistory(memory, limit=1)
    await history.aadd_messages([HumanMessage("old"), HumanMessage("new")])
    await memory.update_compressed_summary("earlier: greetings")
    got = await history.aget_messages()
    assert [(type(m), m.text) for m in got] == [
        (HumanMessage, "earlier: greetings"),
        (HumanMessage, "new"),
    ]
    without = MemmarkChatMessageHistory(memory, prepend_summary=False)
    assert [m.text for m in await without.aget_messages()] == ["old", "new"]
    await history.aclear()
    assert await history.aget_messages() == []


async def test_bad_input_raises_before_anything_is_written(memory_factory: MemoryFactory) -> None:
    memory = await memory_factory()
    with pytest.raises(TypeError, match="memory"):
        MemmarkChatMessageHistory(object())  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="mark"):
        MemmarkChatMessageHistory(memory, mark=3)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="exclude_mark"):
        MemmarkChatMessageHistory(memory, exclude_mark="")
    with pytest.raises(ValueError, match="limit"):
        MemmarkChatMessageHistory(memory, limit=-1)
    history = MemmarkChatMessageHistory(memory)
    with pytest.raises(TypeError, match="BaseMessage"):
        await history.aadd_messages([HumanMessage("ok"), "not a message"])  # type: ignore[list-item]
    with pytest.raises(TypeError):
        await history.aadd_messages(
            [HumanMessage("ok"), AIMessage("x", additional_kwargs={"o": object()})]
        )
    with pytest.raises(ValueError, match="marks"):
        await history.aadd_messages([HumanMessage("ok")], marks=[""])
    assert await memory.size() == 0


def test_sync_methods_work_across_calls_outside_any_loop(backend_provider: Provider) -> None:
    """Many sync calls in a row: drivers bound to the loop they first ran on keep working."""
    context = backend_provider()
    factory = run_sync(context.__aenter__())
    try:
        memory = run_sync(factory(session_id="sync"))
        history = MemmarkChatMessageHistory(memory)
        for number in range(3):
            history.add_messages([HumanMessage(f"q{number}"), AIMessage(f"a{number}")])
            assert [m.text for m in history.messages][-2:] == [f"q{number}", f"a{number}"]
        history.add_message(ToolMessage("done", tool_call_id="c"))
        history.add_user_message("bye")
        assert len(history.messages) == 8
        history.clear()
        assert history.messages == []
    finally:
        run_sync(context.__aexit__(None, None, None))


async def test_sync_methods_inside_a_running_loop_raise_at_once() -> None:
    history = MemmarkChatMessageHistory(InMemoryMemory())
    with pytest.raises(RuntimeError, match="aget_messages"):
        _ = history.messages
    with pytest.raises(RuntimeError, match="aadd_messages"):
        history.add_messages([HumanMessage("x")])
    with pytest.raises(RuntimeError, match="aclear"):
        history.clear()
    assert await history.aget_messages() == []


def test_sync_methods_work_from_several_threads_on_one_engine(tmp_path: Path) -> None:
    from concurrent.futures import ThreadPoolExecutor

    from sqlalchemy.ext.asyncio import create_async_engine

    from memmark.memory import AsyncSQLAlchemyMemory

    engine = create_async_engine(f"sqlite+aiosqlite:///{tmp_path / 'threads.db'}")

    def chat(session_id: str) -> list[str]:
        history = MemmarkChatMessageHistory(AsyncSQLAlchemyMemory(engine, session_id=session_id))
        for number in range(5):
            history.add_messages([HumanMessage(f"{session_id}-{number}")])
        return [m.text for m in history.messages]

    try:
        with ThreadPoolExecutor(4) as pool:
            results = list(pool.map(chat, [f"s{n}" for n in range(4)]))
    finally:
        run_sync(engine.dispose())
    assert results == [[f"s{n}-{i}" for i in range(5)] for n in range(4)]


def load_example() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "langchain_history_example", ROOT / "examples" / "langchain_history.py"
    )
    assert spec is not None and spec.loader is not None
    example = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(example)
    return example


@pytest.mark.filterwarnings("ignore::langchain_core._api.LangChainDeprecationWarning")
async def test_runnable_with_message_history_over_two_turns_and_sessions(
    memory_factory: MemoryFactory,
) -> None:
    example = load_example()
    memories: dict[str, Any] = {}

    async def open_history(session_id: str) -> None:
        memories[session_id] = await memory_factory(user_id="alice", session_id=session_id)

    for session_id in ("trip", "smalltalk"):
        await open_history(session_id)
    seen: list[list[BaseMessage]] = []

    def record(prompt: Any) -> Any:
        seen.append(prompt.to_messages())
        return prompt

    model = RunnableLambda(record) | FakeListChatModel(responses=["Paris.", "2.1 M.", "Hello!"])
    chain = example.build_chain(model, lambda sid: MemmarkChatMessageHistory(memories[sid]))
    for session_id, question in (
        ("trip", "Capital?"),
        ("trip", "Population?"),
        ("smalltalk", "Hi"),
    ):
        await chain.ainvoke({"question": question}, {"configurable": {"session_id": session_id}})

    texts = [[(m.type, m.text) for m in messages] for messages in seen]
    assert texts[1] == [
        ("system", "You answer in one short sentence."),
        ("human", "Capital?"),
        ("ai", "Paris."),
        ("human", "Population?"),
    ]
    assert texts[2] == [("system", "You answer in one short sentence."), ("human", "Hi")]
    trip = MemmarkChatMessageHistory(memories["trip"])
    assert [m.text for m in await trip.aget_messages()] == [
        "Capital?",
        "Paris.",
        "Population?",
        "2.1 M.",
    ]
    smalltalk = await memories["smalltalk"].get_memory()
    assert [(m.role, m.content) for m in smalltalk] == [("user", "Hi"), ("assistant", "Hello!")]


def test_the_example_runs_synchronously_on_sqlite(tmp_path: Path) -> None:
    env = dict(os.environ, PYTHONPATH=str(ROOT / "src"))
    result = subprocess.run(
        [
            sys.executable,
            "-W",
            "error::ResourceWarning",
            str(ROOT / "examples" / "langchain_history.py"),
        ],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
        cwd=tmp_path,
        env=env,
    )
    assert result.stdout.splitlines() == [
        "[trip] What is the capital of France? -> Paris.",
        "[trip] How many people live there? -> About 2.1 million people.",
        "[smalltalk] Hi! -> Hello!",
        "trip: ['human: What is the capital of France?', 'ai: Paris.', "
        "'human: How many people live there?', 'ai: About 2.1 million people.']",
        "smalltalk: ['human: Hi!', 'ai: Hello!']",
    ]
    assert (tmp_path / "langchain_history.db").exists()
