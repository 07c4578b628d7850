"""Every ``memmark`` command through typer's runner, on stores named by ``dict://`` URLs."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

import memmark._cli._app as cli_app
import memmark._cli._common as cli_common
import memmark._cli._write as cli_write
from memmark._connect import connect
from memmark.message import Msg
from memmark.store import StoreBase
from tests.servers import require_server
from tests.store.dict_store import DictStore
from tests.store.test_agentscope import create_agentscope_sqlite

runner = CliRunner()


@pytest.fixture
def stores(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, DictStore]]:
    """``dict://NAME`` opens the DictStore ``NAME``; other URLs go to the real ``connect``."""
    named: dict[str, DictStore] = {}

    def fake_connect(url: str, **options: Any) -> StoreBase:
        if url.startswith("dict://"):
            return named.setdefault(url.removeprefix("dict://"), DictStore())
        return connect(url, **options)

    monkeypatch.setattr(cli_common, "connect", fake_connect)
    yield named


def invoke(*args: str, input: str | None = None) -> Any:
    return runner.invoke(cli_app.app, list(args), input=input, catch_exceptions=False)


def fill(store: DictStore) -> None:
    async def go() -> None:
        async with store.memory("alice", "s-1") as memory:
            await memory.add(Msg("Alice", "Generate a report [bold]x[/]", "user"))
            await memory.add(Msg("system", "Plan first.", "system"), marks="hint")
            await memory.update_compressed_summary("the summary")
        async with store.memory("alice", "s:2") as memory:
            await memory.add(Msg("Alice", "second", "user"))
        async with store.memory("bob", "b1") as memory:
            await memory.add(Msg("Bob", "bob's", "user"))

    asyncio.run(go())


def test_users_and_sessions_tables_with_next_page_hints(stores: dict[str, DictStore]) -> None:
    fill(stores.setdefault("a", DictStore()))
    result = invoke("users", "dict://a")
    assert result.exit_code == 0
    assert "alice" in result.stdout and "bob" in result.stdout and "2 user(s)" in result.stdout
    first = invoke("users", "dict://a", "--limit", "1")
    assert "alice" in first.stdout and "bob" not in first.stdout
    assert "next page: memmark users dict://a --limit 1 --cursor" in first.stderr
    cursor = first.stderr.split("--cursor")[1].split()[0]
    second = invoke("users", "dict://a", "--limit", "1", "--cursor", cursor)
    assert "bob" in second.stdout and "alice" not in second.stdout

    result = invoke("sessions", "dict://a", "--user", "alice")
    assert result.exit_code == 0
    assert "s-1" in result.stdout and "s:2" in result.stdout and "b1" not in result.stdout
    assert "yes" in result.stdout  # s-1 has a summary
    paged = invoke("sessions", "dict://a", "-n", "2")
    assert "next page: memmark sessions dict://a --limit 2 --cursor" in paged.stderr


def test_show_messages_marks_and_summary(stores: dict[str, DictStore]) -> None:
    fill(stores.setdefault("a", DictStore()))
    result = invoke("show", "dict://a", "--user", "alice", "--session", "s-1")
    assert result.exit_code == 0
    out = result.stdout
    assert "the summary" in out and "#hint" in out and "Plan first." in out
    assert "[bold]x[/]" in out  # content is shown literally, never as markup
    hint_only = invoke("show", "dict://a", "-u", "alice", "-s", "s-1", "--mark", "hint")
    assert "Plan first." in hint_only.stdout and "Generate" not in hint_only.stdout
    excluded = invoke("show", "dict://a", "-u", "alice", "-s", "s-1", "--exclude-mark", "hint")
    assert "Plan first." not in excluded.stdout and "Generate" in excluded.stdout
    as_json = json.loads(invoke("show", "dict://a", "-u", "alice", "-s", "s-1", "--json").stdout)
    assert as_json["summary"] == "the summary"
    assert [m["marks"] for m in as_json["messages"]] == [[], ["hint"]]
    newest = json.loads(
        invoke("show", "dict://a", "-u", "alice", "-s", "s-1", "--limit", "1", "--json").stdout
    )
    assert [m["msg"]["content"] for m in newest["messages"]] == ["Plan first."]


def test_export_import_export_is_byte_identical(
    stores: dict[str, DictStore], tmp_path: Path
) -> None:
    fill(stores.setdefault("a", DictStore()))
    exported = invoke("export", "dict://a")
    assert exported.exit_code == 0 and "exported 3 session(s)" in exported.stderr
    lines = exported.stdout.splitlines()
    assert len(lines) == 3
    dump = tmp_path / "dump.jsonl"
    assert invoke("export", "dict://a", "-o", str(dump)).exit_code == 0
    assert dump.read_text() == exported.stdout

    result = invoke("import", "dict://b", str(dump))
    assert result.exit_code == 0 and "3 imported, 0 already there" in result.stderr
    again = invoke("import", "dict://b", "-", input=exported.stdout)
    assert again.exit_code == 0 and "0 imported, 3 already there" in again.stderr
    assert invoke("export", "dict://b").stdout == exported.stdout

    filtered = invoke("export", "dict://a", "--user", "alice", "--session", "s:2")
    assert [json.loads(line)["session_id"] for line in filtered.stdout.splitlines()] == ["s:2"]


def test_import_of_a_bad_file_is_one_error_line(
    stores: dict[str, DictStore], tmp_path: Path
) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"user_id": "u", "session_id": "s", "state": {}}\n')
    result = invoke("import", "dict://a", str(bad))
    assert result.exit_code == 1
    assert "error: record 1: state must have exactly the keys" in result.stderr
    missing = invoke("import", "dict://a", str(tmp_path / "nope.jsonl"))
    assert missing.exit_code == 1 and "nope.jsonl: No such file or directory" in missing.stderr
    assert "Traceback" not in result.output + missing.output


def test_copy_with_filters_then_resume(stores: dict[str, DictStore]) -> None:
    fill(stores.setdefault("a", DictStore()))
    first = invoke("copy", "dict://a", "dict://b", "--user", "bob")
    assert first.exit_code == 0 and "1 copied, 0 already there" in first.stderr
    rest = invoke("copy", "dict://a", "dict://b")
    assert "2 copied, 1 already there" in rest.stderr
    assert invoke("export", "dict://b").stdout == invoke("export", "dict://a").stdout


def test_import_agentscope_from_sqlite(stores: dict[str, DictStore], tmp_path: Path) -> None:
    path = tmp_path / "agentscope.db"
    create_agentscope_sqlite(path)
    result = invoke("import-agentscope", f"sqlite+aiosqlite:///{path}", "dict://a")
    assert result.exit_code == 0 and "2 imported" in result.stderr
    shown = invoke("show", "dict://a", "-u", "user-1", "-s", "sess:a", "--json").stdout
    assert [m["marks"] for m in json.loads(shown)["messages"]] == [[], ["hint"], ["a:b-c", "hint"]]


def test_delete_session_asks_first(stores: dict[str, DictStore]) -> None:
    fill(stores.setdefault("a", DictStore()))
    declined = invoke("delete-session", "dict://a", "-u", "alice", "-s", "s-1", input="n\n")
    assert declined.exit_code == 1 and ("alice", "s-1") in stores["a"].sessions
    accepted = invoke("delete-session", "dict://a", "-u", "alice", "-s", "s-1", input="y\n")
    assert accepted.exit_code == 0 and "deleted session 's-1'" in accepted.stderr
    again = invoke("delete-session", "dict://a", "-u", "alice", "-s", "s-1", "--yes")
    assert again.exit_code == 0 and "no such session" in again.stderr


def test_forget_user_leaves_other_users_intact(stores: dict[str, DictStore]) -> None:
    fill(stores.setdefault("a", DictStore()))
    declined = invoke("forget-user", "dict://a", "--user", "alice", input="n\n")
    assert declined.exit_code == 1
    result = invoke("forget-user", "dict://a", "--user", "alice", "--yes")
    assert result.exit_code == 0 and "deleted 2 session(s) of 'alice'" in result.stderr
    remaining = invoke("export", "dict://a").stdout.splitlines()
    assert [json.loads(line)["user_id"] for line in remaining] == ["bob"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["users", "memmark.db"], "error: cannot open storage URL: 'memmark.db' has no scheme"),
        (["sessions", "sqlite:///x.db"], "write sqlite+aiosqlite:// instead"),
        (
            ["show", "dict://a", "-u", "u", "-s", "s", "--mark", ""],
            "error: mark must not be empty",
        ),
        (["users", "dict://a", "--cursor", "garbage"], "error: cursor is not one this store"),
        (
            ["import-agentscope", "postgresql+asyncpg://postgres@127.0.0.1:1/x", "dict://a"],
            "error: StorageUnavailableError: ",
        ),
        (["users", "postgresql+asyncpg://postgres@127.0.0.1:1/x"], "StorageUnavailableError"),
        (["sessions", "redis://127.0.0.1:1/0"], "error: StorageUnavailableError"),
        (["users", "mysql+asyncmy://root@127.0.0.1:1/x"], "error: StorageUnavailableError"),
        (
            ["import", "sqlite+aiosqlite:////nonexistent-memmark-dir/x.db", "-"],
            "error: /nonexistent-memmark-dir/x.db: the directory of this SQLite file does not",
        ),
        (
            ["users", "sqlite+aiosqlite:////nonexistent-memmark-dir/x.db"],
            "error: /nonexistent-memmark-dir/x.db: no such SQLite database",
        ),
        (
            ["sessions", "redis://127.0.0.1:abc/15"],
            "error: cannot open storage URL: its port is not a number from 0 to 65535",
        ),
        (["users", "dict://a", "--key-prefix", "p"], "error: cannot open storage URL: unknown"),
        (
            ["users", "redis://127.0.0.1:1/0", "--table-prefix", "p"],
            "error: --table-prefix applies to SQL and tablestore:// URLs only",
        ),
        (
            ["users", "sqlite+aiosqlite:///x.db", "--key-prefix", "p"],
            "error: --key-prefix applies to redis:// URLs only",
        ),
        (["show", "dict://a", "-u", "alice", "-s", "nope"], "error: no session 'nope' of user"),
    ],
)
def test_errors_are_one_line_without_traceback(
    stores: dict[str, DictStore], args: list[str], message: str
) -> None:
    result = invoke(*args)
    assert result.exit_code == 1
    assert message in result.stderr
    assert "Traceback" not in result.output
    assert len(result.stderr.strip().splitlines()) == 1


def test_missing_extra_prints_the_pip_command(
    stores: dict[str, DictStore], monkeypatch: pytest.MonkeyPatch
) -> None:
    import memmark._connect

    def missing(module: str, *, extra: str, feature: str) -> None:
        raise ImportError(f"{feature} needs the '{extra}' extra: pip install 'memmark[{extra}]'")

    monkeypatch.setattr(memmark._connect, "_require_installed", missing)
    result = invoke("users", "postgresql+asyncpg://postgres@127.0.0.1/test")
    assert result.exit_code == 1
    assert "error: A postgresql+asyncpg:// URL needs the 'postgres' extra: pip install" in (
        result.stderr
    )


def test_ctrl_c_stops_between_sessions(
    stores: dict[str, DictStore], monkeypatch: pytest.MonkeyPatch
) -> None:
    import signal

    fill(stores.setdefault("a", DictStore()))
    real_export = cli_write.export_sessions

    async def interrupted_export(*args: Any, **kwargs: Any) -> Any:
        async for number, record in _enumerate(real_export(*args, **kwargs)):
            yield record
            if number == 1:
                signal.raise_signal(signal.SIGINT)
                for _ in range(100):  # let the loop run its signal handler
                    await asyncio.sleep(0)

    monkeypatch.setattr(cli_write, "export_sessions", interrupted_export)
    result = invoke("copy", "dict://a", "dict://b")
    assert result.exit_code == 130
    assert "interrupted after whole sessions (1 copied, 0 already there)" in result.stderr
    assert list(stores["b"].sessions) == [("alice", "s-1")]


async def _enumerate(records: Any) -> Any:
    number = 0
    async for record in records:
        number += 1
        yield number, record


@pytest.mark.parametrize(
    ("server", "port", "url"),
    [
        pytest.param(
            "PostgreSQL",
            5432,
            "postgresql+asyncpg://memmark_nobody:wrong@127.0.0.1:5432/test",
            marks=pytest.mark.postgres,
            id="postgres",
        ),
        pytest.param(
            "MariaDB",
            3306,
            "mysql+asyncmy://memmark_nobody:wrong@127.0.0.1:3306/test",
            marks=pytest.mark.mysql,
            id="mysql",
        ),
    ],
)
def test_wrong_credentials_are_one_line(server: str, port: int, url: str) -> None:
    require_server(server, "127.0.0.1", port)
    result = invoke("users", url)
    assert result.exit_code == 1
    assert result.stderr.startswith("error: BackendError: list_users failed:")
    assert "memmark_nobody" in result.stderr and len(result.stderr.splitlines()) == 1


def _session_state(store: DictStore, user: str, session: str) -> dict[str, Any]:
    return store.sessions[user, session].state_dict()


def test_prune_removes_old_marked_messages_everywhere_with_a_tally(
    stores: dict[str, DictStore],
) -> None:
    store = stores.setdefault("a", DictStore())
    fill(store)
    kept = invoke("prune", "dict://a", "--mark", "hint", "--older-than", "7d")
    assert kept.exit_code == 0, kept.stderr
    assert "removed 0 message(s) marked 'hint' older than 7d from 0 of 3 session(s)" in (
        kept.stderr
    )
    assert len(_session_state(store, "alice", "s-1")["content"]) == 2
    removed = invoke("prune", "dict://a", "-m", "hint", "-m", "absent", "--older-than", "0s")
    assert removed.exit_code == 0, removed.stderr
    assert "removed 1 message(s) marked 'hint', 'absent' older than 0s from 1 of 3" in (
        removed.stderr
    )
    state = _session_state(store, "alice", "s-1")
    assert [entry[0]["content"] for entry in state["content"]] == ["Generate a report [bold]x[/]"]
    assert state["_compressed_summary"] == "the summary"


@pytest.mark.parametrize("age", ["7", "7x", "1h30m", "-1d", "d", "7 days", "9" * 20 + "d"])
def test_prune_refuses_a_malformed_age_in_one_line(stores: dict[str, DictStore], age: str) -> None:
    store = stores.setdefault("a", DictStore())
    fill(store)
    result = invoke("prune", "dict://a", "--mark", "hint", "--older-than", age)
    assert result.exit_code == 1
    assert result.stderr.startswith("error: --older-than ")
    assert len(result.stderr.strip().splitlines()) == 1
    assert len(_session_state(store, "alice", "s-1")["content"]) == 2


def test_fork_copies_a_session_up_to_a_message(stores: dict[str, DictStore]) -> None:
    store = stores.setdefault("a", DictStore())
    fill(store)
    first = _session_state(store, "alice", "s-1")["content"][0][0]["id"]
    whole = invoke("fork", "dict://a", "-u", "alice", "-s", "s-1", "--to", "copy")
    assert whole.exit_code == 0, whole.stderr
    assert "forked session 's-1' of 'alice' into 'copy' (2 message(s))" in whole.stderr
    assert _session_state(store, "alice", "copy") == _session_state(store, "alice", "s-1")
    part = invoke("fork", "dict://a", "-u", "alice", "-s", "s-1", "--to", "part", "--upto", first)
    assert part.exit_code == 0 and "(1 message(s))" in part.stderr
    state = _session_state(store, "alice", "part")
    assert [entry[0]["id"] for entry in state["content"]] == [first]
    assert state["_compressed_summary"] == "the summary"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["-s", "nope", "--to", "new"], "error: no session 'nope' of user 'alice'"),
        (["-s", "s-1", "--to", "s:2"], "error: session 's:2' of user 'alice' already holds"),
        (["-s", "s-1", "--to", "new", "--upto", "unknown"], "error: upto 'unknown' is not a"),
        (["-s", "s-1", "--to", "s-1"], "error: new_session_id must differ"),
    ],
)
def test_fork_failures_are_one_plain_line(
    stores: dict[str, DictStore], args: list[str], message: str
) -> None:
    store = stores.setdefault("a", DictStore())
    fill(store)
    before = {key: memory.state_dict() for key, memory in store.sessions.items()}
    result = invoke("fork", "dict://a", "-u", "alice", *args)
    assert result.exit_code == 1
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    after = {key: memory.state_dict() for key, memory in store.sessions.items()}
    assert {key: state for key, state in after.items() if state["content"]} == {
        key: state for key, state in before.items() if state["content"]
    }
