"""The AgentScope memory tutorial's SQLite flows, with only ``agentscope`` renamed.

The memory never disposes an engine it was given, so each flow disposes its own at the end.
"""

import asyncio

from sqlalchemy.ext.asyncio import create_async_engine

from memmark.memory import AsyncSQLAlchemyMemory
from memmark.message import Msg


async def sqlalchemy_example() -> None:
    """An example of using AsyncSQLAlchemyMemory to store messages in a SQLite database."""
    # Create an async SQLAlchemy engine first
    engine = create_async_engine("sqlite+aiosqlite:///./test_memory.db")

    # Then create the memory with the engine
    memory = AsyncSQLAlchemyMemory(
        engine_or_session=engine,
        # Optionally specify user_id and session_id
        user_id="user_1",
        session_id="session_1",
    )

    await memory.add(
        Msg("Alice", "Generate a report about AgentScope", "user"),
    )

    await memory.add(
        [
            Msg(
                "system",
                "Create a plan first to collect information and "
                "generate the report step by step.",
                "system",
            ),
        ],
        marks="hint",
    )

    msgs = await memory.get_memory(mark="hint")
    print("The messages with mark 'hint':")
    for msg in msgs:
        print(f"- {msg}")

    # Close the memory when done; the engine is ours, so we dispose it
    await memory.close()
    await engine.dispose()


async def sqlalchemy_context_example() -> None:
    """Example of using AsyncSQLAlchemyMemory as an async context manager."""
    engine = create_async_engine("sqlite+aiosqlite:///./test_memory.db")
    async with AsyncSQLAlchemyMemory(
        engine_or_session=engine,
        user_id="user_1",
        session_id="session_1",
    ) as memory:
        await memory.add(
            Msg("Alice", "Generate a report about AgentScope", "user"),
        )

        msgs = await memory.get_memory()
        print("All messages in the memory:")
        for msg in msgs:
            print(f"- {msg}")
    await engine.dispose()


asyncio.run(sqlalchemy_example())
asyncio.run(sqlalchemy_context_example())
