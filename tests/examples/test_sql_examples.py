"""The SQL examples run: the tutorial's SQLite flows, and the FastAPI app over HTTP."""

from __future__ import annotations

import importlib.util
import os
import re
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[2]


def test_sqlite_flows_print_the_tutorial_shapes(tmp_path: Path) -> None:
    env = dict(os.environ, PYTHONPATH=str(ROOT / "src"))
    result = subprocess.run(
        [sys.executable, str(ROOT / "examples" / "sqlalchemy_memory.py")],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
        cwd=tmp_path,
        env=env,
    )
    lines = result.stdout.splitlines()
    assert lines[0] == "The messages with mark 'hint':"
    assert re.match(r"^- Msg\(id='\w{22}', name='system', content='Create a plan", lines[1])
    assert lines[2] == "All messages in the memory:"
    assert [line.split("content='")[1].split("'")[0] for line in lines[3:]] == [
        "Generate a report about AgentScope",
        "Create a plan first to collect information and generate the report step by step.",
        "Generate a report about AgentScope",
    ]
    assert (tmp_path / "test_memory.db").exists()


@pytest.mark.postgres
async def test_fastapi_app_keeps_each_users_history(
    postgres_url_for_test: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MEMMARK_DATABASE_URL", postgres_url_for_test)
    spec = importlib.util.spec_from_file_location(
        "fastapi_sqlalchemy_example", ROOT / "examples" / "fastapi_sqlalchemy.py"
    )
    assert spec is not None and spec.loader is not None
    example = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(example)
    transport = httpx.ASGITransport(app=example.app)
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://app") as client:
            for user, text in (("u1", "hello"), ("u2", "other"), ("u1", "again")):
                response = await client.post(
                    "/chat", params={"user_id": user, "session_id": "default", "input": text}
                )
                assert response.status_code == 200
            history = response.json()["history"]
            assert history == ["hello", "echo: hello", "again", "echo: again"]
            replies = await client.get(
                "/replies", params={"user_id": "u2", "session_id": "default"}
            )
            assert replies.json() == {"replies": ["echo: other"]}
    finally:
        await example.engine.dispose()
