"""An OpenAI Agents SDK agent whose session lives in memmark (SQLite here; any backend works).

``Runner.run(agent, input, session=MemmarkSession(memory))`` reads the session's items before
the turn and stores the turn's new items after it: the second turn's model call sees the first
turn, tool call and tool output included. The model is the SDK's ``ScriptedModel`` (a stub
that replays fixed outputs), so the example runs without network or API key.

Run: ``python examples/openai_agents_session.py`` (it writes ``agents_session.db`` here).
"""

from __future__ import annotations

import asyncio

from agents import Agent, Model, RunConfig, Runner, function_tool
from agents.testing import ScriptedModel, assistant_message, function_call
from sqlalchemy.ext.asyncio import create_async_engine

from memmark.integrations.openai_agents import MemmarkSession
from memmark.memory import AsyncSQLAlchemyMemory

NO_TRACING = RunConfig(tracing_disabled=True)  # tracing would upload to OpenAI


@function_tool
def get_weather(city: str) -> str:
    """Return the weather in a city."""
    return f"sunny in {city}"


def build_agent(model: Model) -> Agent:
    return Agent(name="Assistant", instructions="Answer briefly.", model=model, tools=[get_weather])


def scripted_model() -> ScriptedModel:
    """Turn 1: call the tool, then answer; turn 2: answer from the history."""
    return ScriptedModel(
        [
            [function_call("get_weather", {"city": "Paris"}, call_id="call_1")],
            [assistant_message("It is sunny in Paris.")],
            [assistant_message("You asked about Paris.")],
        ]
    )


async def main() -> None:
    engine = create_async_engine("sqlite+aiosqlite:///./agents_session.db")
    try:
        memory = AsyncSQLAlchemyMemory(engine, session_id="chat-1", user_id="alice")
        session = MemmarkSession(memory)
        await session.clear_session()
        model = scripted_model()
        agent = build_agent(model)
        for question in ("What is the weather in Paris?", "Which city did I ask about?"):
            result = await Runner.run(agent, question, session=session, run_config=NO_TRACING)
            print(f"{question} -> {result.final_output}")
        print(f"turn 2's model call saw {len(model.calls[-1].input)} items")
        for item in await session.get_items():
            print("-", item.get("type", "message"), item.get("role", item.get("name", "")))
    finally:
        await engine.dispose()


if __name__ == "__main__":
    asyncio.run(main())
