"""The ``memmark`` commands: a thin layer over ``memmark.connect`` and the store API.

Every command opens the store of a storage URL (see ``memmark.connect``), does its work in
one event loop and closes the store. Commands that read or delete (``users``, ``sessions``,
``show``, ``export``, ``delete-session``, ``forget-user``, ``prune``, ``fork`` and the source
of ``copy`` / ``import-agentscope``) never create storage: a SQLite file that does not exist
is an error naming it. ``--table-prefix`` / ``--key-prefix`` reach stores created with a non-default
prefix. Failures the user can act on (a bad URL, an unreachable server, a missing driver, a
malformed file, a missing session) end with one ``error:`` line on stderr and exit code 1,
never a traceback; Ctrl-C during a transfer stops between sessions (exit code 130).
"""

from __future__ import annotations

import asyncio
import gc
import json
import shlex
import signal
import sys
from collections.abc import AsyncIterable, AsyncIterator, Awaitable, Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any, NoReturn, TextIO, TypeVar

import typer
from rich.console import Console

from memmark._agentscope_import import agentscope_records
from memmark._cli import _render
from memmark._cli._lifecycle import PruneTally, fork_session, parse_duration, prune_store
from memmark._connect import connect, sqlite_path, storage_kind
from memmark.errors import MemmarkError
from memmark.message import Msg
from memmark.store import (
    ImportReport,
    StoreBase,
    dump_record,
    export_sessions,
    import_sessions,
    load_records,
)

__all__ = ["app"]

DEMO_URL = "sqlite+aiosqlite:///memmark-demo.db"
DEMO_USER = "demo_user"
DEMO_SESSION = "demo_session"
DEFAULT_PAGE_SIZE = 100

app = typer.Typer(
    name="memmark",
    help=(
        "Conversation memory for LLM agents: run the demo, browse, export, import, copy, "
        "fork sessions and prune old messages."
    ),
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

ResultT = TypeVar("ResultT")

UrlArg = Annotated[str, typer.Argument(help="Storage URL, e.g. sqlite+aiosqlite:///memory.db")]
UserOpt = Annotated[str, typer.Option("--user", "-u", help="The user id.")]
SessionOpt = Annotated[str, typer.Option("--session", "-s", help="The session id.")]
UsersFilter = Annotated[
    list[str] | None, typer.Option("--user", "-u", help="Only this user (repeatable).")
]
SessionsFilter = Annotated[
    list[str] | None, typer.Option("--session", "-s", help="Only this session id (repeatable).")
]
LimitOpt = Annotated[int, typer.Option("--limit", "-n", help="Rows per page.", min=1, max=10_000)]
CursorOpt = Annotated[str | None, typer.Option("--cursor", help="Page to show, from a hint.")]
YesOpt = Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")]
TablePrefixOpt = Annotated[
    str | None,
    typer.Option(help="Table prefix of a SQL store (default memmark_) or Tablestore's (memmark)."),
]
KeyPrefixOpt = Annotated[str | None, typer.Option(help="Key prefix of a Redis store (memmark).")]


def _stdout() -> Console:
    return Console()


def _stderr() -> Console:
    return Console(stderr=True)


def _fail(message: str, code: int = 1) -> NoReturn:
    """Print ``message`` as one ``error:`` line on stderr and exit with ``code``."""
    lines = [
        line.strip()
        for line in message.splitlines()
        if line.strip() and not line.startswith("(Background on this error")
    ]
    _stderr().print("[bold red]error:[/] ", end="", highlight=False)
    _stderr().print(" ".join(lines), markup=False, highlight=False, soft_wrap=True)
    raise typer.Exit(code)


class _Failure(Exception):
    """An expected failure, already worded for the user."""


def _run(work: Callable[[], Awaitable[ResultT]]) -> ResultT:
    """Run ``work`` in a fresh event loop, turning expected failures into one error line."""
    try:
        return asyncio.run(_guarded(work))
    except _Failure as failure:
        _fail(str(failure))
    except KeyboardInterrupt:
        _fail("interrupted", 130)


async def _guarded(work: Callable[[], Awaitable[ResultT]]) -> ResultT:
    try:
        return await work()
    except _Failure:
        raise
    except MemmarkError as exc:
        message = f"{type(exc).__name__}: {exc}"
    except (ImportError, ValueError, TypeError) as exc:
        message = str(exc)
    except OSError as exc:
        message = f"{exc.filename}: {exc.strerror}" if exc.filename else str(exc)
    # Collect the failed connections while the loop still runs: a driver thread that reports
    # to a closed loop prints a traceback of its own (aiosqlite, on a file it cannot open).
    gc.collect()
    await asyncio.sleep(0)
    raise _Failure(message)


class _Target:
    """A storage URL with the prefix options given for it, opened on demand."""

    def __init__(
        self,
        url: str,
        *,
        table_prefix: str | None = None,
        key_prefix: str | None = None,
        must_exist: bool = False,
    ) -> None:
        self.url = url
        self._table_prefix = table_prefix
        self._key_prefix = key_prefix
        self._must_exist = must_exist

    def open(self) -> StoreBase:
        """Connect, refusing a prefix option the URL's backend has no use for.

        Raises:
            _Failure: the command must not create storage and the SQLite file does not exist.
            ValueError: a prefix option does not apply to this URL's backend.
        """
        options: dict[str, str] = {}
        path = sqlite_path(self.url)
        plain = path is None and self._table_prefix is self._key_prefix is None
        kind = "" if plain else storage_kind(self.url)[0]  # a bad URL fails here first
        if self._table_prefix is not None:
            if kind not in {"sql", "tablestore"}:
                raise ValueError("--table-prefix applies to SQL and tablestore:// URLs only")
            options["table_name" if kind == "tablestore" else "table_prefix"] = self._table_prefix
        if self._key_prefix is not None:
            if kind not in {"redis", "redis-cluster"}:
                raise ValueError("--key-prefix applies to redis:// URLs only")
            options["key_prefix"] = self._key_prefix
        if self._must_exist and path is not None and not path.is_file():
            raise _Failure(f"{path}: no such SQLite database (this command never creates one)")
        return connect(self.url, **options)


def _on_store(target: _Target, work: Callable[[StoreBase], Awaitable[ResultT]]) -> ResultT:
    """Open the store of ``target``, run ``work`` on it, close it; errors as :func:`_run` says."""

    async def opened() -> ResultT:
        async with target.open() as store:
            return await work(store)

    return _run(opened)


@contextmanager
def _stop_on_interrupt() -> Iterator[asyncio.Event]:
    """Make Ctrl-C set an event instead of cancelling, so a transfer ends between sessions."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    try:
        loop.add_signal_handler(signal.SIGINT, stop.set)
    except (NotImplementedError, RuntimeError, ValueError):  # no signals here: Ctrl-C cancels
        yield stop
        return
    try:
        yield stop
    finally:
        loop.remove_signal_handler(signal.SIGINT)


async def _until(
    stop: asyncio.Event, records: AsyncIterable[dict[str, Any]]
) -> AsyncIterator[dict[str, Any]]:
    async for record in records:
        if stop.is_set():
            return
        yield record


async def _transfer(
    title: str,
    dst: StoreBase,
    records: Callable[[], AsyncIterable[dict[str, Any]]],
    *,
    done: str = "imported",
) -> None:
    """Import ``records`` into ``dst`` with a progress bar; Ctrl-C stops between sessions.

    ``done`` is the verb for the sessions written ("imported", "copied").
    """
    err = _stderr()
    with _stop_on_interrupt() as stop, _render.progress(err) as bar:
        task = bar.add_task(title, total=None, detail="")

        def advance(report: ImportReport) -> None:
            detail = f"{done} {report.imported}, already there {report.skipped}"
            bar.update(task, completed=report.total, detail=detail)

        report = await import_sessions(dst, _until(stop, records()), on_progress=advance)
    summary = f"{report.imported} {done}, {report.skipped} already there"
    if stop.is_set():
        _fail(f"interrupted after whole sessions ({summary}); run again to resume", 130)
    err.print(f"done: {summary}", highlight=False)


@app.command()
def demo(
    url: Annotated[
        str, typer.Argument(help="Storage URL; default: memmark-demo.db in this directory.")
    ] = DEMO_URL,
    table_prefix: TablePrefixOpt = None,
    key_prefix: KeyPrefixOpt = None,
) -> None:
    """Run the tutorial's walkthrough on a real store and print what the tutorial prints."""

    async def work(store: StoreBase) -> None:
        async with store.memory(DEMO_USER, DEMO_SESSION) as memory:
            await memory.clear()
            await memory.add(Msg("Alice", "Generate a report about AgentScope", "user"))
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
            print("The messages with mark 'hint':")
            for msg in await memory.get_memory(mark="hint"):
                print(f"- {msg}")
            print("The state dict of the memory:")
            print(json.dumps(await memory.export_state(), indent=2))
            deleted_count = await memory.delete_by_mark("hint")
            print(f"Deleted {deleted_count} messages with mark 'hint'.")
            print("The state dict of the memory after deletion:")
            print(json.dumps(await memory.export_state(), indent=2))
        _stderr().print(
            f"Stored in {url}; see it with: memmark show {url} "
            f"--user {DEMO_USER} --session {DEMO_SESSION}",
            highlight=False,
            soft_wrap=True,
        )

    _on_store(_Target(url, table_prefix=table_prefix, key_prefix=key_prefix), work)


@app.command()
def users(
    url: UrlArg,
    limit: LimitOpt = DEFAULT_PAGE_SIZE,
    cursor: CursorOpt = None,
    table_prefix: TablePrefixOpt = None,
    key_prefix: KeyPrefixOpt = None,
) -> None:
    """List the users that have sessions, one page at a time."""
    target = _Target(url, table_prefix=table_prefix, key_prefix=key_prefix, must_exist=True)
    page = _on_store(target, lambda store: store.list_users(limit=limit, cursor=cursor))
    _stdout().print(_render.users_table(page.items))
    _next_page_hint(["users", url], limit, page.next_cursor)


@app.command()
def sessions(
    url: UrlArg,
    user: Annotated[str | None, typer.Option("--user", "-u", help="Only this user.")] = None,
    limit: LimitOpt = DEFAULT_PAGE_SIZE,
    cursor: CursorOpt = None,
    table_prefix: TablePrefixOpt = None,
    key_prefix: KeyPrefixOpt = None,
) -> None:
    """List sessions with message counts, last update and summary, one page at a time."""
    target = _Target(url, table_prefix=table_prefix, key_prefix=key_prefix, must_exist=True)
    page = _on_store(target, lambda store: store.list_sessions(user, limit=limit, cursor=cursor))
    _stdout().print(_render.sessions_table(page.items))
    _next_page_hint(["sessions", url, *(["--user", user] if user else [])], limit, page.next_cursor)


def _next_page_hint(command: list[str], limit: int, cursor: str | None) -> None:
    """Tell how to get the next page, on stderr so stdout stays the table."""
    if cursor is not None:
        if limit != DEFAULT_PAGE_SIZE:
            command = [*command, "--limit", str(limit)]
        args = " ".join(shlex.quote(part) for part in command)
        _stderr().print(
            f"next page: memmark {args} --cursor {cursor}", highlight=False, soft_wrap=True
        )


@app.command()
def show(
    url: UrlArg,
    user: UserOpt,
    session: SessionOpt,
    mark: Annotated[str | None, typer.Option(help="Only messages with this mark.")] = None,
    exclude_mark: Annotated[str | None, typer.Option(help="Hide messages with this mark.")] = None,
    limit: Annotated[int | None, typer.Option("--limit", "-n", help="Newest N only.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead.")] = False,
    table_prefix: TablePrefixOpt = None,
    key_prefix: KeyPrefixOpt = None,
) -> None:
    """Show a session's messages with their marks, and its summary.

    A session that holds neither a message nor a summary does not exist: exit code 1.
    """

    async def work(store: StoreBase) -> tuple[str, list[tuple[Msg, list[str]]]]:
        async with store.memory(user, session) as memory:
            msgs = await memory.get_memory(mark, exclude_mark, prepend_summary=False, limit=limit)
            state = await memory.export_state()
        if not state["content"] and not state["_compressed_summary"]:
            raise _Failure(f"no session {session!r} of user {user!r}")
        marks = {entry[0]["id"]: entry[1] for entry in state["content"]}
        return state["_compressed_summary"], [(msg, marks.get(msg.id, [])) for msg in msgs]

    target = _Target(url, table_prefix=table_prefix, key_prefix=key_prefix, must_exist=True)
    summary, shown = _on_store(target, work)
    if as_json:
        document = {
            "user_id": user,
            "session_id": session,
            "summary": summary,
            "messages": [{"msg": msg.to_dict(), "marks": marks} for msg, marks in shown],
        }
        print(json.dumps(document, indent=2, ensure_ascii=False))
        return
    out = _stdout()
    if summary:
        out.print(_render.summary_view(summary))
    for msg, marks in shown:
        out.print(_render.message_view(msg, marks))
    out.print(f"[dim]{len(shown)} message(s) shown[/]", highlight=False)


@app.command("export")
def export_command(
    url: UrlArg,
    user: UsersFilter = None,
    session: SessionsFilter = None,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write here instead of stdout.")
    ] = None,
    table_prefix: TablePrefixOpt = None,
    key_prefix: KeyPrefixOpt = None,
) -> None:
    """Write sessions as JSON Lines, one session per line (stdout by default)."""

    async def work(store: StoreBase) -> int:
        count = 0
        with _open_output(output) as sink, _render.progress(_stderr()) as bar:
            task = bar.add_task("exporting", total=None, detail="", visible=output is not None)
            async for record in export_sessions(store, user, session):
                sink.write(dump_record(record) + "\n")
                count += 1
                bar.update(task, completed=count)
        return count

    target = _Target(url, table_prefix=table_prefix, key_prefix=key_prefix, must_exist=True)
    count = _on_store(target, work)
    _stderr().print(f"exported {count} session(s)", highlight=False)


@contextmanager
def _open_output(path: Path | None) -> Iterator[TextIO]:
    if path is None:
        yield sys.stdout
        sys.stdout.flush()
        return
    with path.open("w", encoding="ascii", newline="\n") as sink:
        yield sink


@app.command("import")
def import_command(
    url: UrlArg,
    file: Annotated[Path, typer.Argument(help="JSON Lines from `memmark export`; - for stdin.")],
    table_prefix: TablePrefixOpt = None,
    key_prefix: KeyPrefixOpt = None,
) -> None:
    """Import sessions from JSON Lines; sessions already equal are skipped, so re-runs resume."""

    async def work(store: StoreBase) -> None:
        if str(file) == "-":
            await _transfer("importing", store, lambda: _aiter(load_records(sys.stdin)))
            return
        with file.open(encoding="utf-8") as lines:
            await _transfer("importing", store, lambda: _aiter(load_records(lines)))

    _on_store(_Target(url, table_prefix=table_prefix, key_prefix=key_prefix), work)


async def _aiter(records: Iterator[dict[str, Any]]) -> AsyncIterator[dict[str, Any]]:
    for record in records:
        yield record


@app.command("copy")
def copy_command(
    src: Annotated[str, typer.Argument(help="Storage URL to read.")],
    dst: Annotated[str, typer.Argument(help="Storage URL to write.")],
    user: UsersFilter = None,
    session: SessionsFilter = None,
    table_prefix: Annotated[str | None, typer.Option(help="SQL/Tablestore prefix of SRC.")] = None,
    key_prefix: Annotated[str | None, typer.Option(help="Redis key prefix of SRC.")] = None,
    to_table_prefix: Annotated[
        str | None, typer.Option(help="SQL/Tablestore prefix of DST.")
    ] = None,
    to_key_prefix: Annotated[str | None, typer.Option(help="Redis key prefix of DST.")] = None,
) -> None:
    """Copy sessions between stores, one at a time; re-running skips copied sessions.

    Each copy keeps its source's last-update time.
    """
    destination = _Target(dst, table_prefix=to_table_prefix, key_prefix=to_key_prefix)

    async def work(source: StoreBase) -> None:
        async with destination.open() as target:
            await _transfer(
                "copying", target, lambda: export_sessions(source, user, session), done="copied"
            )

    _on_store(_Target(src, table_prefix=table_prefix, key_prefix=key_prefix, must_exist=True), work)


@app.command("import-agentscope")
def import_agentscope_command(
    src: Annotated[str, typer.Argument(help="AgentScope's SQLAlchemy async URL or redis://.")],
    dst: Annotated[str, typer.Argument(help="Storage URL to write.")],
    table_prefix: TablePrefixOpt = None,
    key_prefix: KeyPrefixOpt = None,
) -> None:
    """Import an AgentScope 1.x deployment's memories (SQL tables or Redis keys).

    SQL is read page by page; Redis sessions are found by SCAN (fine for a one-off migration).
    Re-running skips sessions already imported.
    """
    source = sqlite_path(src)
    if source is not None and not source.is_file():
        _fail(f"{source}: no such SQLite database (the AgentScope source is only read)")

    async def work(target: StoreBase) -> None:
        await _transfer("importing from AgentScope", target, lambda: agentscope_records(src))

    _on_store(_Target(dst, table_prefix=table_prefix, key_prefix=key_prefix), work)


@app.command("delete-session")
def delete_session(
    url: UrlArg,
    user: UserOpt,
    session: SessionOpt,
    yes: YesOpt = False,
    table_prefix: TablePrefixOpt = None,
    key_prefix: KeyPrefixOpt = None,
) -> None:
    """Delete one session: its messages, marks and summary."""
    if not yes:
        typer.confirm(f"Delete session {session!r} of user {user!r}?", abort=True, err=True)
    target = _Target(url, table_prefix=table_prefix, key_prefix=key_prefix, must_exist=True)
    existed = _on_store(target, lambda store: store.delete_session(user, session))
    _stderr().print(
        f"deleted session {session!r} of {user!r}" if existed else "no such session",
        highlight=False,
    )


@app.command("forget-user")
def forget_user(
    url: UrlArg,
    user: UserOpt,
    yes: YesOpt = False,
    table_prefix: TablePrefixOpt = None,
    key_prefix: KeyPrefixOpt = None,
) -> None:
    """Delete every session of a user (a "forget me" request)."""
    if not yes:
        typer.confirm(f"Delete every session of user {user!r}?", abort=True, err=True)
    target = _Target(url, table_prefix=table_prefix, key_prefix=key_prefix, must_exist=True)
    count = _on_store(target, lambda store: store.delete_user(user))
    _stderr().print(f"deleted {count} session(s) of {user!r}", highlight=False)


@app.command()
def prune(
    url: UrlArg,
    mark: Annotated[
        list[str], typer.Option("--mark", "-m", help="Mark of the messages to delete (repeatable).")
    ],
    older_than: Annotated[
        str, typer.Option(help="Delete those stored at least this long ago: 30s, 15m, 12h, 7d.")
    ],
    table_prefix: TablePrefixOpt = None,
    key_prefix: KeyPrefixOpt = None,
) -> None:
    """Delete, in every session, the messages with a mark stored longer ago than an age.

    Ages count from when memmark stored each message, by the storage's clock. Meant for a
    scheduled retention job, so it asks nothing; other marks and summaries stay.
    """
    try:
        age = parse_duration(older_than)
    except ValueError as exc:
        _fail(str(exc))
    err = _stderr()

    async def work(store: StoreBase) -> PruneTally:
        with _render.progress(err) as bar:
            task = bar.add_task("pruning", total=None, detail="")

            def advance(tally: PruneTally) -> None:
                bar.update(task, completed=tally.sessions, detail=f"{tally.removed} removed")

            return await prune_store(store, mark, age, advance)

    target = _Target(url, table_prefix=table_prefix, key_prefix=key_prefix, must_exist=True)
    tally = _on_store(target, work)
    marks = ", ".join(repr(m) for m in mark)
    err.print(
        f"removed {tally.removed} message(s) marked {marks} older than {older_than} from "
        f"{tally.touched} of {tally.sessions} session(s)",
        highlight=False,
        soft_wrap=True,
    )


@app.command()
def fork(
    url: UrlArg,
    user: UserOpt,
    session: SessionOpt,
    to: Annotated[str, typer.Option("--to", help="The new session id (must be empty).")],
    upto: Annotated[
        str | None, typer.Option(help="Copy up to and including this message id.")
    ] = None,
    table_prefix: TablePrefixOpt = None,
    key_prefix: KeyPrefixOpt = None,
) -> None:
    """Copy a session (summary, messages, marks) into a new session of the same user."""

    async def work(store: StoreBase) -> int:
        try:
            return await fork_session(store, user, session, to, upto)
        except LookupError as exc:
            raise _Failure(str(exc)) from None

    target = _Target(url, table_prefix=table_prefix, key_prefix=key_prefix, must_exist=True)
    count = _on_store(target, work)
    _stderr().print(
        f"forked session {session!r} of {user!r} into {to!r} ({count} message(s))",
        highlight=False,
        soft_wrap=True,
    )
