"""The arguments and options several ``memmark`` commands take, with their help texts."""

from __future__ import annotations

from typing import Annotated

import typer

__all__ = [
    "Cursor",
    "KeyPrefix",
    "Limit",
    "Session",
    "SessionsFilter",
    "TablePrefix",
    "Url",
    "User",
    "UsersFilter",
    "Yes",
]

Url = Annotated[str, typer.Argument(help="Storage URL, e.g. sqlite+aiosqlite:///memory.db")]
User = Annotated[str, typer.Option("--user", "-u", help="The user id.")]
Session = Annotated[str, typer.Option("--session", "-s", help="The session id.")]
UsersFilter = Annotated[
    list[str] | None, typer.Option("--user", "-u", help="Only this user (repeatable).")
]
SessionsFilter = Annotated[
    list[str] | None, typer.Option("--session", "-s", help="Only this session id (repeatable).")
]
Limit = Annotated[int, typer.Option("--limit", "-n", help="Rows per page.", min=1, max=10_000)]
Cursor = Annotated[str | None, typer.Option("--cursor", help="Page to show, from a hint.")]
Yes = Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")]
TablePrefix = Annotated[
    str | None,
    typer.Option(help="Table prefix of a SQL store (default memmark_) or Tablestore's (memmark)."),
]
KeyPrefix = Annotated[str | None, typer.Option(help="Key prefix of a Redis store (memmark).")]
