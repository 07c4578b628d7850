"""The Redis examples: the tutorial flow on fakeredis, and the FastAPI app on the real server."""

from __future__ import annotations

import importlib.util
import os
import re
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from types import ModuleType

import httpx
import pytest
from redis.asyncio import Redis

from tests.providers.redis import REDIS_HOST, REDIS_PORT, delete_prefix, random_prefix

ROOT = Path(__file__).parents[2]
MSG_REPR = re.compile(
    r"^- Msg\(id='[2-9A-HJ-NP-Za-km-z]{22}', name='system', content='Create a plan first to "
    r"collect information and generate the report step by step\.', role='system', "
    r"metadata=\{\}, timestamp='\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}', invocation_id='None'\)$"
)


def test_redis_tutorial_flow_runs_on_fakeredis() -> None:
    result = subprocess.run(
        [sys.executable, str(ROOT / "examples" / "redis_memory.py")],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
        env={**os.environ, "PYTHONPATH": str(ROOT / "src")},
    )
    lines = result.stdout.splitlines()
    assert lines[0] == "The messages with mark 'hint':"
    assert len(lines) == 2
    assert MSG_REPR.match(lines[1]), lines[1]


@pytest.fixture
async def fastapi_app(
    redis_server: None, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[ModuleType]:
    prefix = random_prefix()
    monkeypatch.setenv("MEMMARK_KEY_PREFIX", prefix)
    monkeypatch.setenv("REDIS_HOST", REDIS_HOST)
    monkeypatch.setenv("REDIS_PORT", str(REDIS_PORT))
    spec = importlib.util.spec_from_file_location(
        "fastapi_redis_example", ROOT / "examples" / "fastapi_redis.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    yield module
    client = Redis(host=REDIS_HOST, port=REDIS_PORT)
    await delete_prefix(client, prefix)
    await client.aclose()


@pytest.mark.redis
async def test_fastapi_app_keeps_each_sessions_history(fastapi_app: ModuleType) -> None:
    app = fastapi_app.app
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:

            async def chat(user: str, session: str, text: str) -> dict[str, object]:
                response = await http.post(
                    "/chat_endpoint",
                    params={"user_id": user, "session_id": session, "input": text},
                )
                assert response.status_code == 200, response.text
                return response.json()  # type: ignore[no-any-return]

            assert await chat("u:1", "s", "hi") == {"history": ["hi", "echo: hi"], "size": 2}
            second = await chat("u:1", "s", "ça va? 🙂")
            assert second["history"] == ["hi", "echo: hi", "ça va? 🙂", "echo: ça va? 🙂"]
            assert (await chat("u", "1:s", "other"))["size"] == 2
        assert fastapi_app.redis_pool is not None
