"""The FastAPI + ReActAgent example over HTTP: two users in parallel, each sees only theirs."""

from __future__ import annotations

import asyncio
import importlib.util
from pathlib import Path
from types import ModuleType

import httpx
import pytest
from redis.asyncio import Redis

pytest.importorskip("agentscope")

from tests.providers.redis import REDIS_HOST, REDIS_PORT, delete_prefix, random_prefix

ROOT = Path(__file__).resolve().parents[2]


def load_example() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "fastapi_agentscope_example", ROOT / "examples" / "fastapi_agentscope.py"
    )
    assert spec is not None and spec.loader is not None
    example = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(example)
    return example


async def two_users_chat(example: ModuleType) -> None:
    async with example.lifespan(example.app):
        transport = httpx.ASGITransport(app=example.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://app") as client:

            async def converse(user: str) -> list[str]:
                history: list[str] = []
                for turn in range(3):
                    response = await client.post(
                        "/chat",
                        params={
                            "user_id": user,
                            "session_id": "default",
                            "input": f"{user} {turn}",
                        },
                    )
                    assert response.status_code == 200, response.text
                    assert response.json()["reply"] == f"echo: {user} {turn}"
                    history = response.json()["history"]
                return history

            alice, bob = await asyncio.gather(converse("alice"), converse("bob"))
    for user, history in (("alice", alice), ("bob", bob)):
        assert history == [
            text for turn in range(3) for text in (f"{user} {turn}", f"echo: {user} {turn}")
        ]


@pytest.mark.postgres
async def test_react_agent_app_on_postgres(
    postgres_url_for_test: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MEMMARK_BACKEND", "sql")
    monkeypatch.setenv("MEMMARK_DATABASE_URL", postgres_url_for_test)
    await two_users_chat(load_example())


@pytest.mark.redis
async def test_react_agent_app_on_redis(monkeypatch: pytest.MonkeyPatch) -> None:
    prefix = random_prefix()
    monkeypatch.setenv("MEMMARK_BACKEND", "redis")
    monkeypatch.setenv("REDIS_URL", f"redis://{REDIS_HOST}:{REDIS_PORT}/0")
    monkeypatch.setenv("MEMMARK_KEY_PREFIX", prefix)
    try:
        await two_users_chat(load_example())
    finally:
        client = Redis(host=REDIS_HOST, port=REDIS_PORT)
        await delete_prefix(client, prefix)
        await client.aclose()
