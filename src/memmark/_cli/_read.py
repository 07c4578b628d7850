"""The ``memmark`` commands that only read: ``users``, ``sessions``, ``show``, ``export``."""

from __future__ import annotations

import json
import shlex
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, TextIO

import typer

from memmark._cli import _options as opt
from memmark._cli import _render
from memmark._cli._common import DEFAULT_PAGE_SIZE, Failure, Target, on_store, stderr, stdout
from memmark.message import Msg
from memmark.store import StoreBase, dump_record, export_sessions

__all__ = ["export_command", "sessions", "show", "users"]


def users(
    url: opt.Url,
    limit: opt.Limit = DEFAULT_PAGE_SIZE,
    cursor: opt.Cursor = None,
    table_prefix: opt.TablePrefix = None,
    key_prefix: opt.KeyPrefix = None,
) -> None:
    """List the users that have sessions, one page at a time."""
    target = Target(url, table_prefix=table_prefix, key_prefix=key_prefix, must_exist=True)
    page = on_store(target, lambda store: store.list_users(limit=limit, cursor=cursor))
    stdout().print(_render.users_table(page.items))
    _next_page_hint(["users", url], limit, page.next_cursor)


def sessions(
    url: opt.Url,
    user: Annotated[str | None, typer.Option("--user", "-u", help="Only this user.")] = None,
    limit: opt.Limit = DEFAULT_PAGE_SIZE,
    cursor: opt.Cursor = None,
    table_prefix: opt.TablePrefix = None,
    key_prefix: opt.KeyPrefix = None,
) -> None:
    """List sessions with message counts, last update and summary, one page at a time."""
    target = Target(url, table_prefix=table_prefix, key_prefix=key_prefix, must_exist=True)
    page = on_store(target, lambda store: store.list_sessions(user, limit=limit, cursor=cursor))
    stdout().print(_render.sessions_table(page.items))
    _next_page_hint(["sessions", url, *(["--user", user] if user else [])], limit, page.next_cursor)


def _next_page_hint(command: list[str], limit: int, cursor: str | None) -> None:
    """Tell how to get the next page, on stderr so stdout stays the table."""
    if cursor is not None:
        if limit != DEFAULT_PAGE_SIZE:
            command = [*command, "--limit", str(limit)]
        args = " ".join(shlex.quote(part) for part in command)
        stderr().print(
            f"next page: memmark {args} --cursor {cursor}", highlight=False, soft_wrap=True
        )


def show(
    url: opt.Url,
    user: opt.User,
    session: opt.Session,
    mark: Annotated[str | None, typer.Option(help="Only messages with this mark.")] = None,
    exclude_mark: Annotated[str | None, typer.Option(help="Hide messages with this mark.")] = None,
    limit: Annotated[int | None, typer.Option("--limit", "-n", help="Newest N only.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead.")] = False,
    table_prefix: opt.TablePrefix = None,
    key_prefix: opt.KeyPrefix = None,
) -> None:
    """Show a session's messages with their marks, and its summary.

    A session that holds neither a message nor a summary does not exist: exit code 1.
    """

    async def work(store: StoreBase) -> tuple[str, list[tuple[Msg, list[str]]]]:
        async with store.memory(user, session) as memory:
            msgs = await memory.get_memory(mark, exclude_mark, prepend_summary=False, limit=limit)
            state = await memory.export_state()
        if not state["content"] and not state["_compressed_summary"]:
            raise Failure(f"no session {session!r} of user {user!r}")
        marks = {entry[0]["id"]: entry[1] for entry in state["content"]}
        return state["_compressed_summary"], [(msg, marks.get(msg.id, [])) for msg in msgs]

    target = Target(url, table_prefix=table_prefix, key_prefix=key_prefix, must_exist=True)
    summary, shown = on_store(target, work)
    if as_json:
        document = {
            "user_id": user,
            "session_id": session,
            "summary": summary,
            "messages": [{"msg": msg.to_dict(), "marks": marks} for msg, marks in shown],
        }
        print(json.dumps(document, indent=2, ensure_ascii=False))
        return
    out = stdout()
    if summary:
        out.print(_render.summary_view(summary))
    for msg, marks in shown:
        out.print(_render.message_view(msg, marks))
    out.print(f"[dim]{len(shown)} message(s) shown[/]", highlight=False)


def export_command(
    url: opt.Url,
    user: opt.UsersFilter = None,
    session: opt.SessionsFilter = None,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write here instead of stdout.")
    ] = None,
    table_prefix: opt.TablePrefix = None,
    key_prefix: opt.KeyPrefix = None,
) -> None:
    """Write sessions as JSON Lines, one session per line (stdout by default)."""

    async def work(store: StoreBase) -> int:
        count = 0
        with _open_output(output) as sink, _render.progress(stderr()) as bar:
            task = bar.add_task("exporting", total=None, detail="", visible=output is not None)
            async for record in export_sessions(store, user, session):
                sink.write(dump_record(record) + "\n")
                count += 1
                bar.update(task, completed=count)
        return count

    target = Target(url, table_prefix=table_prefix, key_prefix=key_prefix, must_exist=True)
    count = on_store(target, work)
    stderr().print(f"exported {count} session(s)", highlight=False)


@contextmanager
def _open_output(path: Path | None) -> Iterator[TextIO]:
    if path is None:
        yield sys.stdout
        sys.stdout.flush()
        return
    with path.open("w", encoding="ascii", newline="\n") as sink:
        yield sink
