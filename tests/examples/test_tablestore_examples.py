"""The Tablestore examples run as written, on the emulator when no credentials are set."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

ROOT = Path(__file__).parents[2]
MSG_LINE = re.compile(r"^- Msg\(id='\w{22}', name='(\w+)', content='([^']*)'")


def _without_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("ENDPOINT", "INSTANCE_NAME", "ACCESS_KEY_ID", "ACCESS_KEY_SECRET"):
        monkeypatch.delenv(f"TABLESTORE_{name}", raising=False)


def test_plain_and_context_manager_snippets(monkeypatch: pytest.MonkeyPatch) -> None:
    _without_credentials(monkeypatch)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), str(ROOT)])}
    result = subprocess.run(
        [sys.executable, str(ROOT / "examples" / "tablestore_memory.py")],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
        env=env,
    )
    lines = result.stdout.splitlines()
    assert lines[0] == "(no TABLESTORE_* credentials: using the in-process emulator)"
    printed = [MSG_LINE.match(line) for line in lines[1:]]
    assert all(printed), lines
    assert [(m.group(1), m.group(2)[:6]) for m in printed if m] == [
        ("system", "Create"),
        ("Alice", "Genera"),
        ("system", "Create"),
        ("Alice", "Genera"),
    ]
    assert result.stderr == ""


async def test_fastapi_endpoint_keeps_each_session_apart(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _without_credentials(monkeypatch)
    monkeypatch.syspath_prepend(str(ROOT))
    from examples.fastapi_tablestore import app

    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        for text in ("hello", "again"):
            response = await client.post(
                "/chat_endpoint", params={"user_id": "u1", "session_id": "s1", "input": text}
            )
            assert response.status_code == 200
        other = await client.post(
            "/chat_endpoint", params={"user_id": "u2", "session_id": "s1", "input": "hi"}
        )
    assert response.json() == {"history": ["hello", "again"]}
    assert other.json() == {"history": ["hi"]}
