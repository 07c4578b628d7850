"""Small helpers for conformance tests: ids, message builders, readable snapshots."""

from __future__ import annotations

from memmark.memory import MemoryBase
from memmark.message import Msg


def msg(text: str, *, role: str = "user", name: str = "Alice", msg_id: str | None = None) -> Msg:
    """A message whose content is ``text`` (and whose id is ``msg_id`` when given)."""
    message = Msg(name, text, role)  # type: ignore[arg-type]
    if msg_id is not None:
        message.id = msg_id
    return message


async def contents(memory: MemoryBase, **kwargs: object) -> list[object]:
    """The contents of ``get_memory(**kwargs)`` without the summary."""
    return [m.content for m in await memory.get_memory(prepend_summary=False, **kwargs)]  # type: ignore[arg-type]


async def marks_by_content(memory: MemoryBase) -> list[tuple[object, list[str]]]:
    """``(content, sorted marks)`` per message, oldest first, from ``export_state``."""
    state = await memory.export_state()
    return [(entry[0]["content"], entry[1]) for entry in state["content"]]
