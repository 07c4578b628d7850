"""The CLI on real stores: ``memmark demo`` as a subprocess, and commands on SQLite files."""

from __future__ import annotations

import asyncio
import json
import os
import re
import subprocess
import sys
from pathlib import Path

from typer.testing import CliRunner

import memmark
from memmark._cli._app import app
from tests.store.test_transfer import fill

SRC = Path(__file__).parents[2] / "src"
MSG_REPR = re.compile(
    r"^- Msg\(id='[2-9A-HJ-NP-Za-km-z]{22}', name='system', content='Create a plan first to "
    r"collect information and generate the report step by step\.', role='system', "
    r"metadata=\{\}, timestamp='\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}', invocation_id='None'\)$"
)

runner = CliRunner()


def _json_after(lines: list[str], heading: str) -> object:
    start = lines.index(heading) + 1
    end = start + 1
    while True:
        try:
            return json.loads("\n".join(lines[start:end]))
        except json.JSONDecodeError:
            end += 1


def run_demo(cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(SRC), os.environ.get("PYTHONPATH", "")]),
    }
    return subprocess.run(
        [sys.executable, "-m", "memmark._cli", "demo"],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_demo_subprocess_prints_the_tutorial_on_a_sqlite_file(tmp_path: Path) -> None:
    result = run_demo(tmp_path)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "The messages with mark 'hint':"
    assert MSG_REPR.match(lines[1]), lines[1]
    state = _json_after(lines, "The state dict of the memory:")
    assert isinstance(state, dict)
    assert [marks for _, marks in state["content"]] == [[], ["hint"]]
    assert "Deleted 1 messages with mark 'hint'." in lines
    after = _json_after(lines, "The state dict of the memory after deletion:")
    assert after == {"_compressed_summary": "", "content": state["content"][:1]}
    assert (tmp_path / "memmark-demo.db").is_file()
    assert "memmark show sqlite+aiosqlite:///memmark-demo.db" in result.stderr


def test_demo_reruns_afresh_then_browse_the_same_file(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'demo.db'}"
    for _ in range(2):
        result = runner.invoke(app, ["demo", url])
        assert result.exit_code == 0
        assert len([x for x in result.stdout.splitlines() if x.startswith("- Msg(")]) == 1
    assert "demo_user" in runner.invoke(app, ["users", url]).stdout
    sessions = runner.invoke(app, ["sessions", url, "--user", "demo_user"]).stdout
    assert "demo_session" in sessions and "1" in sessions
    shown = runner.invoke(app, ["show", url, "-u", "demo_user", "-s", "demo_session", "--json"])
    messages = json.loads(shown.stdout)["messages"]
    assert [m["msg"]["content"] for m in messages] == ["Generate a report about AgentScope"]


async def _fill_url(url: str) -> None:
    async with memmark.connect(url) as store:
        await fill(store)


def test_export_import_export_between_sqlite_files_is_byte_identical(tmp_path: Path) -> None:
    src, dst = (f"sqlite+aiosqlite:///{tmp_path / name}" for name in ("a.db", "b.db"))
    asyncio.run(_fill_url(src))
    first = runner.invoke(app, ["export", src])
    assert first.exit_code == 0 and len(first.stdout.splitlines()) == 3
    dump = tmp_path / "dump.jsonl"
    dump.write_text(first.stdout)
    assert "3 imported" in runner.invoke(app, ["import", dst, str(dump)]).stderr
    assert runner.invoke(app, ["export", dst]).stdout == first.stdout
    assert "3 already there" in runner.invoke(app, ["copy", src, dst]).stderr
