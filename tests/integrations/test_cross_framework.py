"""One conversation written through each framework reads back through every other one."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from memmark._cli._app import app
from memmark.memory import AsyncSQLAlchemyMemory
from tests.integrations.frameworks import CONVERSATION, FRAMEWORKS, Framework, Turn
from tests.registry import MemoryFactory


def expected_turns(reader: Framework) -> list[Turn]:
    """The conversation as ``reader`` sees it: tool results named if its type has the name."""
    if reader.names_tool_results:
        return CONVERSATION
    return [(*turn[:2], None, turn[3]) if turn[0] == "result" else turn for turn in CONVERSATION]


@pytest.mark.parametrize("writer", FRAMEWORKS, ids=[f.id for f in FRAMEWORKS])
async def test_every_framework_reads_what_another_wrote(
    memory_factory: MemoryFactory, writer: Framework
) -> None:
    memory = await memory_factory(user_id="u", session_id=f"written-by-{writer.id}")
    await writer.write(memory, CONVERSATION)
    for reader in FRAMEWORKS:
        assert await reader.read(memory) == expected_turns(reader), reader.id


def test_what_each_framework_wrote_shows_in_the_cli(tmp_path: Path) -> None:
    import asyncio

    from sqlalchemy.ext.asyncio import create_async_engine

    url = f"sqlite+aiosqlite:///{tmp_path / 'frameworks.db'}"

    async def write_all() -> None:
        engine = create_async_engine(url)
        try:
            for framework in FRAMEWORKS:
                memory = AsyncSQLAlchemyMemory(engine, session_id=framework.id, user_id="u")
                await framework.write(memory, CONVERSATION)
        finally:
            await engine.dispose()

    asyncio.run(write_all())
    for framework in FRAMEWORKS:
        shown = CliRunner().invoke(app, ["show", url, "-u", "u", "-s", framework.id])
        assert shown.exit_code == 0, shown.output
        text = " ".join(shown.stdout.split())
        for needle in ("You are terse.", "Weather in Paris?", "Sunny, 21 °C.", "Thanks!"):
            assert needle in text, (framework.id, needle)
        assert 'get_weather({"city": "Paris"})' in text, framework.id
        assert "sunny, 21 °C" in text, framework.id
        assert "6 message(s) shown" in text, framework.id
