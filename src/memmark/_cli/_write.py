"""The ``memmark`` commands that write: the demo, imports, copies, deletions, prune and fork."""

from __future__ import annotations

import json
import sys
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Annotated, Any

import typer

from memmark._agentscope_import import agentscope_records
from memmark._cli import _options as opt
from memmark._cli import _render
from memmark._cli._common import (
    DEMO_SESSION,
    DEMO_URL,
    DEMO_USER,
    Failure,
    Target,
    fail,
    on_store,
    stderr,
    transfer,
)
from memmark._cli._lifecycle import PruneTally, fork_session, parse_duration, prune_store
from memmark._connect import sqlite_path
from memmark.message import Msg
from memmark.store import StoreBase, export_sessions, load_records

__all__ = [
    "copy_command",
    "delete_session",
    "demo",
    "forget_user",
    "fork",
    "import_agentscope_command",
    "import_command",
    "prune",
]


def demo(
    url: Annotated[
        str, typer.Argument(help="Storage URL; default: memmark-demo.db in this directory.")
    ] = DEMO_URL,
    table_prefix: opt.TablePrefix = None,
    key_prefix: opt.KeyPrefix = None,
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
        stderr().print(
            f"Stored in {url}; see it with: memmark show {url} "
            f"--user {DEMO_USER} --session {DEMO_SESSION}",
            highlight=False,
            soft_wrap=True,
        )

    on_store(Target(url, table_prefix=table_prefix, key_prefix=key_prefix), work)


def import_command(
    url: opt.Url,
    file: Annotated[Path, typer.Argument(help="JSON Lines from `memmark export`; - for stdin.")],
    table_prefix: opt.TablePrefix = None,
    key_prefix: opt.KeyPrefix = None,
) -> None:
    """Import sessions from JSON Lines; sessions already equal are skipped, so re-runs resume."""

    async def work(store: StoreBase) -> None:
        if str(file) == "-":
            await transfer("importing", store, lambda: _aiter(load_records(sys.stdin)))
            return
        with file.open(encoding="utf-8") as lines:
            await transfer("importing", store, lambda: _aiter(load_records(lines)))

    on_store(Target(url, table_prefix=table_prefix, key_prefix=key_prefix), work)


async def _aiter(records: Iterator[dict[str, Any]]) -> AsyncIterator[dict[str, Any]]:
    for record in records:
        yield record


def copy_command(
    src: Annotated[str, typer.Argument(help="Storage URL to read.")],
    dst: Annotated[str, typer.Argument(help="Storage URL to write.")],
    user: opt.UsersFilter = None,
    session: opt.SessionsFilter = None,
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
    destination = Target(dst, table_prefix=to_table_prefix, key_prefix=to_key_prefix)

    async def work(source: StoreBase) -> None:
        async with destination.open() as target:
            await transfer(
                "copying", target, lambda: export_sessions(source, user, session), done="copied"
            )

    on_store(Target(src, table_prefix=table_prefix, key_prefix=key_prefix, must_exist=True), work)


def import_agentscope_command(
    src: Annotated[str, typer.Argument(help="AgentScope's SQLAlchemy async URL or redis://.")],
    dst: Annotated[str, typer.Argument(help="Storage URL to write.")],
    table_prefix: opt.TablePrefix = None,
    key_prefix: opt.KeyPrefix = None,
) -> None:
    """Import an AgentScope 1.x deployment's memories (SQL tables or Redis keys).

    SQL is read page by page; Redis sessions are found by SCAN (fine for a one-off migration).
    Re-running skips sessions already imported.
    """
    source = sqlite_path(src)
    if source is not None and not source.is_file():
        fail(f"{source}: no such SQLite database (the AgentScope source is only read)")

    async def work(target: StoreBase) -> None:
        await transfer("importing from AgentScope", target, lambda: agentscope_records(src))

    on_store(Target(dst, table_prefix=table_prefix, key_prefix=key_prefix), work)


def delete_session(
    url: opt.Url,
    user: opt.User,
    session: opt.Session,
    yes: opt.Yes = False,
    table_prefix: opt.TablePrefix = None,
    key_prefix: opt.KeyPrefix = None,
) -> None:
    """Delete one session: its messages, marks and summary."""
    if not yes:
        typer.confirm(f"Delete session {session!r} of user {user!r}?", abort=True, err=True)
    target = Target(url, table_prefix=table_prefix, key_prefix=key_prefix, must_exist=True)
    existed = on_store(target, lambda store: store.delete_session(user, session))
    stderr().print(
        f"deleted session {session!r} of {user!r}" if existed else "no such session",
        highlight=False,
    )


def forget_user(
    url: opt.Url,
    user: opt.User,
    yes: opt.Yes = False,
    table_prefix: opt.TablePrefix = None,
    key_prefix: opt.KeyPrefix = None,
) -> None:
    """Delete every session of a user (a "forget me" request)."""
    if not yes:
        typer.confirm(f"Delete every session of user {user!r}?", abort=True, err=True)
    target = Target(url, table_prefix=table_prefix, key_prefix=key_prefix, must_exist=True)
    count = on_store(target, lambda store: store.delete_user(user))
    stderr().print(f"deleted {count} session(s) of {user!r}", highlight=False)


def prune(
    url: opt.Url,
    mark: Annotated[
        list[str], typer.Option("--mark", "-m", help="Mark of the messages to delete (repeatable).")
    ],
    older_than: Annotated[
        str, typer.Option(help="Delete those stored at least this long ago: 30s, 15m, 12h, 7d.")
    ],
    table_prefix: opt.TablePrefix = None,
    key_prefix: opt.KeyPrefix = None,
) -> None:
    """Delete, in every session, the messages with a mark stored longer ago than an age.

    Ages count from when memmark stored each message, by the storage's clock.
    Meant for a scheduled retention job, so it asks nothing; other marks and summaries stay.
    """
    try:
        age = parse_duration(older_than)
    except ValueError as exc:
        fail(str(exc))
    err = stderr()

    async def work(store: StoreBase) -> PruneTally:
        with _render.progress(err) as bar:
            task = bar.add_task("pruning", total=None, detail="")

            def advance(tally: PruneTally) -> None:
                bar.update(task, completed=tally.sessions, detail=f"{tally.removed} removed")

            return await prune_store(store, mark, age, advance)

    target = Target(url, table_prefix=table_prefix, key_prefix=key_prefix, must_exist=True)
    tally = on_store(target, work)
    marks = ", ".join(repr(m) for m in mark)
    err.print(
        f"removed {tally.removed} message(s) marked {marks} older than {older_than} from "
        f"{tally.touched} of {tally.sessions} session(s)",
        highlight=False,
        soft_wrap=True,
    )


def fork(
    url: opt.Url,
    user: opt.User,
    session: opt.Session,
    to: Annotated[str, typer.Option("--to", help="The new session id (must be empty).")],
    upto: Annotated[
        str | None, typer.Option(help="Copy up to and including this message id.")
    ] = None,
    table_prefix: opt.TablePrefix = None,
    key_prefix: opt.KeyPrefix = None,
) -> None:
    """Copy a session (summary, messages, marks) into a new session of the same user."""

    async def work(store: StoreBase) -> int:
        try:
            return await fork_session(store, user, session, to, upto)
        except LookupError as exc:
            raise Failure(str(exc)) from None

    target = Target(url, table_prefix=table_prefix, key_prefix=key_prefix, must_exist=True)
    count = on_store(target, work)
    stderr().print(
        f"forked session {session!r} of {user!r} into {to!r} ({count} message(s))",
        highlight=False,
        soft_wrap=True,
    )
