"""How the CLI shows stores, sessions and messages, and its progress display (rich)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from rich.console import Console, Group, RenderableType
from rich.padding import Padding
from rich.panel import Panel
from rich.progress import (
    Progress,
    ProgressColumn,
    SpinnerColumn,
    Task,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table
from rich.text import Text

from memmark.message import Msg
from memmark.store import SessionInfo

__all__ = ["message_view", "progress", "sessions_table", "users_table"]

_ROLE_STYLES = {"user": "bold cyan", "assistant": "bold green", "system": "bold magenta"}


def users_table(users: Sequence[str]) -> Table:
    """A one-column table of user ids."""
    table = Table("user_id", title=f"{len(users)} user(s)", title_justify="left")
    for user_id in users:
        table.add_row(Text(user_id))
    return table


def sessions_table(sessions: Sequence[SessionInfo]) -> Table:
    """Sessions with their message count, last update (UTC) and whether a summary is set."""
    table = Table(title=f"{len(sessions)} session(s)", title_justify="left")
    table.add_column("user_id")
    table.add_column("session_id")
    table.add_column("messages", justify="right")
    table.add_column("updated (UTC)")
    table.add_column("summary")
    for info in sessions:
        updated = "" if info.updated_at is None else info.updated_at.strftime("%Y-%m-%d %H:%M:%S")
        table.add_row(
            Text(info.user_id),
            Text(info.session_id),
            str(info.message_count),
            updated,
            "yes" if info.has_summary else "",
        )
    return table


def _block_text(block: Any) -> Text:
    kind = block.get("type") if isinstance(block, dict) else None
    if kind == "text":
        return Text(str(block.get("text", "")))
    if kind == "thinking":
        return Text(str(block.get("thinking", "")), style="italic dim")
    if kind == "tool_use":
        call = json.dumps(block.get("input", {}), ensure_ascii=False)
        return Text(f"→ {block.get('name', '?')}({call})", style="yellow")
    if kind == "tool_result":
        output = block.get("output", "")
        shown = output if isinstance(output, str) else json.dumps(output, ensure_ascii=False)
        return Text(f"← {block.get('name', '?')}: {shown}", style="yellow")
    source = block.get("source", {}) if isinstance(block, dict) else {}
    where = source.get("url") or source.get("media_type") or "inline data"
    return Text(f"[{kind or 'block'}: {where}]", style="blue")


def message_view(msg: Msg, marks: Sequence[str]) -> RenderableType:
    """One message: time, role and name, its marks, then its content wrapped to the terminal."""
    header = Text()
    header.append(msg.timestamp, style="dim")
    header.append("  ")
    header.append(msg.role, style=_ROLE_STYLES.get(msg.role, "bold"))
    header.append(f" {msg.name}", style="bold")
    for mark in marks:
        header.append("  ")
        header.append(f"#{mark}", style="reverse yellow")
    header.append(f"  {msg.id}", style="dim")
    if isinstance(msg.content, str):
        body: list[Text] = [Text(msg.content)]
    else:
        body = [_block_text(block) for block in msg.content]
    return Group(header, Padding(Group(*body), (0, 0, 1, 2)))


def summary_view(summary: str) -> Panel:
    """The compressed summary, boxed."""
    return Panel(Text(summary), title="summary", title_align="left", border_style="magenta")


class _RateColumn(ProgressColumn):
    """Items per second."""

    def render(self, task: Task) -> Text:
        speed = task.finished_speed or task.speed
        return Text("" if speed is None else f"{speed:,.1f} sessions/s", style="cyan")


def progress(console: Console) -> Progress:
    """A live display for an unknown number of sessions: count, totals, rate, elapsed time.

    It disappears when done; the caller prints the final totals.
    """
    return Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        TextColumn("[bold]{task.completed}[/] sessions"),
        TextColumn("{task.fields[detail]}"),
        _RateColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    )
