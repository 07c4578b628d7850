"""A real ReActAgent (scripted model, no network) on memmark's memories, on every backend."""

from __future__ import annotations

import pytest

pytest.importorskip("agentscope")

from agentscope.message import Msg as AgentScopeMsg
from agentscope.session import JSONSession

from memmark.integrations.agentscope import AgentScopeMemory, InMemoryMemory
from tests.integrations.agentscope_agent import (
    HINT_START,
    ScriptedModel,
    make_agent,
    prompt_text,
)


def user(text: str) -> AgentScopeMsg:
    return AgentScopeMsg("user", text, "user")


async def test_react_agent_replies_over_several_turns(memory_factory) -> None:
    memory = AgentScopeMemory(await memory_factory(user_id="u", session_id="s"))
    model = ScriptedModel()
    agent = make_agent(memory, model=model)
    replies = [await agent(user(f"question {turn}")) for turn in range(3)]
    assert [r.get_text_content() for r in replies] == ["answer 2", "answer 4", "answer 6"]
    stored = await memory.get_memory()
    assert all(isinstance(m, AgentScopeMsg) for m in stored)
    assert len(stored) == 12  # per turn: question, tool call, tool result, answer
    assert [m.get_text_content() for m in stored[::4]] == [f"question {t}" for t in range(3)]
    assert stored[1].get_content_blocks("tool_use")[0]["input"] == {"city": "city 1"}
    assert stored[2].get_content_blocks("tool_result")[0]["id"] == "call-1"
    assert [m.id for m in stored[3::4]] == [r.id for r in replies]
    assert stored[3].invocation_id == replies[0].invocation_id is not None
    # The model saw the earlier turns, and each reasoning step's hint, stored with mark "hint"
    # and deleted again right after, as AgentScope does.
    last_prompt = prompt_text(model.prompts[-1])
    assert "question 0" in last_prompt and "sunny in city 5" in last_prompt
    assert all(HINT_START in prompt_text(prompt) for prompt in model.prompts)
    assert await memory.get_memory(mark="hint") == []
    assert HINT_START not in repr([m.content for m in stored])


async def test_messages_round_trip_losslessly(persistent_memory_factory) -> None:
    memory = AgentScopeMemory(await persistent_memory_factory(user_id="u", session_id="s"))
    agent = make_agent(memory)
    await agent(user("hello"))
    original = await memory.get_memory()
    reopened = AgentScopeMemory(await persistent_memory_factory(user_id="u", session_id="s"))
    again = await reopened.get_memory()
    assert [(m.to_dict(), m.invocation_id) for m in again] == [
        (m.to_dict(), m.invocation_id) for m in original
    ]


async def test_memory_compression_end_to_end(persistent_memory_factory) -> None:
    memory = AgentScopeMemory(await persistent_memory_factory(user_id="u", session_id="s"))
    agent = make_agent(memory, compress_above=200)
    for turn in range(3):
        await agent(user(f"question {turn}"))
    compressed = await memory.get_memory(mark="compressed", prepend_summary=False)
    assert compressed, "the agent compressed nothing"
    reopened = AgentScopeMemory(await persistent_memory_factory(user_id="u", session_id="s"))
    first, *rest = await reopened.get_memory(exclude_mark="compressed")
    assert first.content.startswith("<system-info>Here is a summary")
    assert "task_overview so far" in first.content
    assert {m.id for m in rest}.isdisjoint(m.id for m in compressed)
    model = ScriptedModel()
    await make_agent(reopened, model=model, compress_above=10_000)(user("go on"))
    assert "task_overview so far" in prompt_text(model.prompts[0])
    assert "question 0" not in prompt_text(model.prompts[0])


async def test_agent_state_round_trips_with_in_memory_memory() -> None:
    agent = make_agent(InMemoryMemory())
    await agent(user("remember me"))
    state = agent.state_dict()
    assert state["memory"]["content"][0][0]["content"] == "remember me"
    restored = make_agent(InMemoryMemory())
    restored.load_state_dict(state)
    assert [m.to_dict() for m in await restored.memory.get_memory()] == [
        m.to_dict() for m in await agent.memory.get_memory()
    ]


async def test_agentscope_session_save_load(persistent_memory_factory, tmp_path) -> None:
    session = JSONSession(save_dir=str(tmp_path))
    memory = AgentScopeMemory(await persistent_memory_factory(user_id="u", session_id="s"))
    agent = make_agent(memory)
    await agent(user("saved"))
    await session.save_session_state(session_id="s", user_id="u", agent=agent)
    restored = make_agent(
        AgentScopeMemory(await persistent_memory_factory(user_id="u", session_id="s"))
    )
    await session.load_session_state(session_id="s", user_id="u", agent=restored)
    assert restored.memory.state_dict() == {"user_id": "u", "session_id": "s"}
    assert [m.id for m in await restored.memory.get_memory()] == [
        m.id for m in await memory.get_memory()
    ]
    stranger = make_agent(
        AgentScopeMemory(await persistent_memory_factory(user_id="other", session_id="s"))
    )
    with pytest.raises(ValueError, match="never switches"):
        await session.load_session_state(session_id="s", user_id="u", agent=stranger)


async def test_in_memory_session_save_load(tmp_path) -> None:
    session = JSONSession(save_dir=str(tmp_path))
    agent = make_agent(InMemoryMemory())
    await agent(user("saved"))
    await session.save_session_state(session_id="s", agent=agent)
    restored = make_agent(InMemoryMemory())
    await session.load_session_state(session_id="s", agent=restored)
    assert [m.to_dict() for m in await restored.memory.get_memory()] == [
        m.to_dict() for m in await agent.memory.get_memory()
    ]


SUMMARY_READER = """
import asyncio, sys
from sqlalchemy.ext.asyncio import create_async_engine
from memmark.integrations.agentscope import AsyncSQLAlchemyMemory

async def main():
    engine = create_async_engine(sys.argv[1])
    memory = AsyncSQLAlchemyMemory(engine, "session_1", "user_1")
    first = (await memory.get_memory(exclude_mark="compressed"))[0]
    print(type(first).__module__, first.content.splitlines()[1])
    await engine.dispose()

asyncio.run(main())
"""


def test_compression_summary_survives_a_new_process(tmp_path) -> None:
    import asyncio
    import os
    import subprocess
    import sys
    from pathlib import Path

    from sqlalchemy.ext.asyncio import create_async_engine

    from memmark.integrations.agentscope import AsyncSQLAlchemyMemory

    url = f"sqlite+aiosqlite:///{tmp_path / 'agent.db'}"

    async def converse() -> None:
        engine = create_async_engine(url)
        agent = make_agent(AsyncSQLAlchemyMemory(engine, "session_1", "user_1"), compress_above=200)
        for turn in range(3):
            await agent(user(f"question {turn}"))
        await engine.dispose()

    asyncio.run(converse())
    src = Path(__file__).resolve().parents[2] / "src"
    result = subprocess.run(
        [sys.executable, "-c", SUMMARY_READER, url],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
        env=dict(os.environ, PYTHONPATH=str(src)),
    )
    assert result.stdout.split() == ["agentscope.message._message_base", "#", "Task", "Overview"]


async def test_named_classes_serve_the_agent(tmp_path) -> None:
    from fakeredis import FakeAsyncRedis
    from sqlalchemy.ext.asyncio import create_async_engine

    from memmark.integrations import agentscope as integration
    from tests.fakes.tablestore_emulator import EmulatedOTSClient, TablestoreEmulator

    engine = create_async_engine(f"sqlite+aiosqlite:///{tmp_path / 'named.db'}")
    fake_redis = FakeAsyncRedis()
    memories = [
        integration.InMemoryMemory(),
        integration.AsyncSQLAlchemyMemory(engine, "s", "u"),
        integration.RedisMemory("s", "u", client=fake_redis),
        integration.TablestoreMemory(
            user_id="u", session_id="s", client=EmulatedOTSClient(TablestoreEmulator())
        ),
    ]
    try:
        for memory in memories:
            reply = await make_agent(memory)(user("hi"))
            stored = await memory.get_memory()
            assert [m.id for m in stored][-1] == reply.id, type(memory).__name__
            assert len(stored) == 4 and await memory.size() == 4
    finally:
        for memory in memories:
            await memory.close()
        await fake_redis.aclose()
        await engine.dispose()


async def test_session_saved_with_agentscopes_own_sql_memory_loads(tmp_path) -> None:
    from agentscope.memory import AsyncSQLAlchemyMemory as AgentScopeSQLMemory
    from sqlalchemy.ext.asyncio import create_async_engine

    from memmark.integrations.agentscope import AsyncSQLAlchemyMemory

    theirs_engine = create_async_engine(f"sqlite+aiosqlite:///{tmp_path / 'theirs.db'}")
    ours_engine = create_async_engine(f"sqlite+aiosqlite:///{tmp_path / 'ours.db'}")
    session = JSONSession(save_dir=str(tmp_path))
    try:
        theirs = make_agent(AgentScopeSQLMemory(theirs_engine, "s", "u"))
        await session.save_session_state(session_id="s", user_id="u", agent=theirs)
        ours = make_agent(AsyncSQLAlchemyMemory(ours_engine, "s", "u"))
        await session.load_session_state(session_id="s", user_id="u", agent=ours)
        assert await ours.memory.size() == 0
    finally:
        await theirs_engine.dispose()
        await ours_engine.dispose()
