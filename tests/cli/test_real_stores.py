"""The CLI on real stores: ``memmark demo`` as a subprocess, and commands on SQLite files."""

from __future__ import annotations

import asyncio
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

import memmark
from memmark._cli._app import app
from tests.providers.redis import REDIS_HOST, REDIS_PORT, delete_prefix, random_prefix
from tests.store.test_transfer import LONG_AGO, fill

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


def test_read_only_commands_never_create_a_sqlite_file(tmp_path: Path) -> None:
    typo = tmp_path / "typo.db"
    url = f"sqlite+aiosqlite:///{typo}"
    for args in (
        ["users", url],
        ["sessions", url],
        ["show", url, "-u", "u", "-s", "s"],
        ["export", url],
        ["delete-session", url, "-u", "u", "-s", "s", "--yes"],
        ["forget-user", url, "-u", "u", "--yes"],
        ["copy", url, f"sqlite+aiosqlite:///{tmp_path / 'dst.db'}"],
        ["import-agentscope", url, f"sqlite+aiosqlite:///{tmp_path / 'dst.db'}"],
    ):
        result = runner.invoke(app, args)
        assert result.exit_code == 1, args
        assert f"error: {typo}: no such SQLite database" in result.stderr, args
    assert list(tmp_path.iterdir()) == []


def test_show_of_a_missing_session_fails(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'a.db'}"
    asyncio.run(_fill_url(url))
    result = runner.invoke(app, ["show", url, "-u", "alice", "-s", "typo"])
    assert result.exit_code == 1
    assert "error: no session 'typo' of user 'alice'" in result.stderr
    assert runner.invoke(app, ["show", url, "-u", "alice", "-s", "s:2"]).exit_code == 0


def test_copy_keeps_the_sources_updated_time_and_says_copied(tmp_path: Path) -> None:
    src, dst = (f"sqlite+aiosqlite:///{tmp_path / name}" for name in ("a.db", "b.db"))
    asyncio.run(_fill_url(src))
    copied = runner.invoke(app, ["copy", src, dst])
    assert copied.exit_code == 0 and "done: 3 copied, 0 already there" in copied.stderr
    listed = runner.invoke(app, ["sessions", dst, "--user", "alice"]).stdout
    assert LONG_AGO.strftime("%Y-%m-%d %H:%M:%S") in listed
    dump = tmp_path / "dump.jsonl"
    dump.write_text(runner.invoke(app, ["export", src]).stdout)
    third = f"sqlite+aiosqlite:///{tmp_path / 'c.db'}"
    assert "3 imported" in runner.invoke(app, ["import", third, str(dump)]).stderr
    assert LONG_AGO.strftime("%Y-%m-%d %H:%M:%S") in runner.invoke(app, ["sessions", third]).stdout


def test_prune_and_fork_on_a_sqlite_file(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'a.db'}"
    asyncio.run(_fill_url(url))
    forked = runner.invoke(app, ["fork", url, "-u", "alice", "-s", "s-1", "--to", "retry"])
    assert forked.exit_code == 0 and "into 'retry' (2 message(s))" in forked.stderr
    kept = runner.invoke(app, ["prune", url, "--mark", "a", "--older-than", "1d"])
    assert kept.exit_code == 0 and "removed 0 message(s)" in kept.stderr
    pruned = runner.invoke(app, ["prune", url, "--mark", "a", "--older-than", "0s"])
    assert pruned.exit_code == 0
    assert "removed 2 message(s) marked 'a' older than 0s from 2 of 3 session(s)" in (pruned.stderr)
    shown = runner.invoke(app, ["show", url, "-u", "alice", "-s", "retry", "--json"])
    assert [m["msg"]["role"] for m in json.loads(shown.stdout)["messages"]] == ["assistant"]
    missing = tmp_path / "missing.db"
    refused = runner.invoke(
        app, ["prune", f"sqlite+aiosqlite:///{missing}", "-m", "a", "--older-than", "1d"]
    )
    assert refused.exit_code == 1 and not missing.exists()


def test_prefix_options_reach_a_sql_store_with_another_table_prefix(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'a.db'}"

    async def fill_prefixed() -> None:
        async with memmark.connect(url, table_prefix="app_") as store:
            await fill(store)

    asyncio.run(fill_prefixed())
    assert "alice" not in runner.invoke(app, ["users", url]).stdout
    assert "alice" in runner.invoke(app, ["users", url, "--table-prefix", "app_"]).stdout
    dst = f"sqlite+aiosqlite:///{tmp_path / 'b.db'}"
    copied = runner.invoke(
        app, ["copy", url, dst, "--table-prefix", "app_", "--to-table-prefix", "other_"]
    )
    assert "3 copied" in copied.stderr
    assert "bob:x-y" in runner.invoke(app, ["users", dst, "--table-prefix", "other_"]).stdout


@pytest.mark.redis
def test_key_prefix_option_reaches_a_redis_store(redis_server: None) -> None:
    prefix = random_prefix()
    url = f"redis://{REDIS_HOST}:{REDIS_PORT}/0"

    async def fill_prefixed() -> None:
        async with memmark.connect(url, key_prefix=prefix) as store:
            await fill(store)

    async def cleanup() -> None:
        async with memmark.connect(url) as store:
            await delete_prefix(store.get_client(), prefix)  # type: ignore[attr-defined]

    asyncio.run(fill_prefixed())
    try:
        listed = runner.invoke(app, ["sessions", url, "--key-prefix", prefix]).stdout
        assert "s:2" in listed and "only" in listed
        shown = runner.invoke(
            app, ["show", url, "-u", "alice", "-s", "s:2", "--key-prefix", prefix]
        )
        assert shown.exit_code == 0 and "second" in shown.stdout
    finally:
        asyncio.run(cleanup())
