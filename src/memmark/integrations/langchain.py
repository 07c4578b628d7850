"""LangChain chat message history over any memmark memory (extra ``langchain``).

:class:`MemmarkChatMessageHistory` is a ``BaseChatMessageHistory``: give it to
``RunnableWithMessageHistory`` (or use it directly) and a LangChain conversation lives in
memmark, on whichever backend the memory uses, readable by memmark's other adapters and CLI.

Each LangChain message is stored as one :class:`~memmark.message.Msg` whose role, name and
content blocks say what any framework can read (text, media, ``tool_use`` for tool calls,
``tool_result`` for tool messages), and whose ``metadata["langchain"]`` keeps what only
LangChain needs to rebuild the message exactly: its type and every field not at its default
(id, ``additional_kwargs``, ``response_metadata``, ...). Messages written by other
frameworks are converted from their blocks. See ``docs/integrations.md`` for the mapping table.
Reading back what this module stored builds the messages without pydantic validation when
every stored field already has the type validation wants (the result is the same message);
anything else is validated as ``HumanMessage(**fields)`` would.

The async methods are native. The sync ones (``messages``, ``add_messages``, ``clear``) run
the same coroutines on one event loop that this module keeps in a background thread for the
whole process, so a memory whose driver binds to the loop it first ran on (asyncpg, redis,
aiosqlite pools) keeps working across calls. Use a memory either from sync code or from your
own event loop, not both; from inside a running loop, the sync methods raise at once.
"""

from __future__ import annotations

import asyncio
import atexit
import os
import threading
from collections.abc import Awaitable, Sequence
from typing import Any, TypeVar

from memmark._core import check_limit, check_marks, check_optional_mark
from memmark._optional import require
from memmark.integrations._media import MediaKind, media_block, media_source, source_url
from memmark.memory import MemoryBase
from memmark.message import (
    Base64Source,
    ContentBlock,
    Msg,
    Role,
    TextBlock,
    ThinkingBlock,
    ToolResultBlock,
    ToolUseBlock,
)

require("langchain_core", extra="langchain", feature="memmark.integrations.langchain")

from langchain_core.chat_history import BaseChatMessageHistory  # noqa: E402
from langchain_core.messages import (  # noqa: E402
    AIMessage,
    BaseMessage,
    ChatMessage,
    FunctionMessage,
    HumanMessage,
    SystemMessage,
    ToolMessage,
    messages_from_dict,
)
from langchain_core.messages.tool import tool_call  # noqa: E402

from memmark.integrations._langchain_messages import build  # noqa: E402

__all__ = ["METADATA_KEY", "MemmarkChatMessageHistory", "from_msg", "run_sync", "to_msg"]

METADATA_KEY = "langchain"
"""The key of ``Msg.metadata`` that keeps what only LangChain reads back."""

T = TypeVar("T")

_ROLE_OF_TYPE: dict[str, Role] = {
    "human": "user",
    "ai": "assistant",
    "AIMessageChunk": "assistant",
    "HumanMessageChunk": "user",
    "system": "system",
    "SystemMessageChunk": "system",
    "tool": "system",
    "ToolMessageChunk": "system",
    "function": "system",
    "FunctionMessageChunk": "system",
}
_ROLE_OF_CHAT_ROLE: dict[str, Role] = {
    "user": "user",
    "human": "user",
    "assistant": "assistant",
    "ai": "assistant",
    "system": "system",
}
_MEDIA_KINDS: tuple[MediaKind, ...] = ("image", "audio", "video")
_CALL_TYPES = ("tool_use", "tool_result")
_COMMON_TYPES: dict[str, type[BaseMessage]] = {
    "human": HumanMessage,
    "ai": AIMessage,
    "system": SystemMessage,
    "tool": ToolMessage,
}
"""Types built directly on reading; the rarer ones go through ``messages_from_dict``."""


class MemmarkChatMessageHistory(BaseChatMessageHistory):
    """A LangChain chat history stored in a memmark memory (one user's session).

    Reading returns the memory's messages (those with ``mark``, without ``exclude_mark``, the
    newest ``limit`` of them) as LangChain messages; writing appends to the memory, every
    message carrying ``mark`` (so the history reads back what it wrote) and the call's
    ``marks``. A LangChain message read back is equal to the one written: type, content
    (multimodal lists included), id, name, tool calls, ``tool_call_id``, ``additional_kwargs``
    and ``response_metadata``. Everything stored must be JSON-serialisable.

    Args:
        memory: Any memmark memory; the history neither opens nor closes it.
        mark: Read only messages with this mark; every write carries it too.
        exclude_mark: Do not read messages with this mark.
        limit: Read only the newest ``limit`` stored messages (a message another framework
            wrote may become more than one LangChain message, e.g. one per tool result).
        prepend_summary: Put the memory's compressed summary, if set, first as a
            ``HumanMessage`` (it does not count towards ``limit``).

    Raises:
        TypeError: ``memory`` is not a memmark memory, a mark is not a str, or ``limit`` is
            not an int.
        ValueError: a mark is empty or contains NUL, or ``limit`` is negative.
    """

    def __init__(
        self,
        memory: MemoryBase,
        *,
        mark: str | None = None,
        exclude_mark: str | None = None,
        limit: int | None = None,
        prepend_summary: bool = True,
    ) -> None:
        if not isinstance(memory, MemoryBase):
            raise TypeError(f"memory must be a memmark MemoryBase, got {type(memory).__name__}")
        super().__init__()
        self.memory = memory
        self.mark = check_optional_mark("mark", mark)
        self.exclude_mark = check_optional_mark("exclude_mark", exclude_mark)
        self.limit = check_limit(limit)
        self.prepend_summary = prepend_summary

    async def aget_messages(self) -> list[BaseMessage]:
        """Return the history's messages, oldest first."""
        msgs = await self.memory.get_memory(
            self.mark, self.exclude_mark, self.prepend_summary, limit=self.limit
        )
        messages: list[BaseMessage] = []
        for msg in msgs:
            message = build(msg.metadata.get(METADATA_KEY), msg.content)
            if message is None:
                messages.extend(from_msg(msg))
            else:
                messages.append(message)
        return messages

    async def aadd_messages(
        self, messages: Sequence[BaseMessage], *, marks: str | list[str] | None = None
    ) -> None:
        """Append ``messages`` in one atomic write, each carrying the history's mark and ``marks``.

        Raises:
            TypeError: an item is not a LangChain ``BaseMessage``, a field is not
                JSON-serialisable, or ``marks`` is not a str / list of str.
            ValueError: a mark is empty or contains NUL.
        """
        all_marks = list(check_marks("marks", marks))
        if self.mark is not None:
            all_marks.insert(0, self.mark)
        await self.memory.add([to_msg(message) for message in messages], all_marks)

    async def aclear(self) -> None:
        """Delete the messages this history reads (``limit`` aside).

        Without ``mark`` / ``exclude_mark`` that is the whole session, its summary included;
        with ``mark`` only, the messages carrying it; with ``exclude_mark``, the matching
        messages as read just before.
        """
        if self.exclude_mark is not None:
            msgs = await self.memory.get_memory(self.mark, self.exclude_mark, False)
            await self.memory.delete([msg.id for msg in msgs])
        elif self.mark is not None:
            await self.memory.delete_by_mark(self.mark)
        else:
            await self.memory.clear()

    @property
    def messages(self) -> list[BaseMessage]:  # type: ignore[override]
        """The history's messages (sync: see :func:`run_sync` for where this may be called)."""
        return run_sync(self.aget_messages())

    def add_messages(
        self, messages: Sequence[BaseMessage], *, marks: str | list[str] | None = None
    ) -> None:
        """Sync :meth:`aadd_messages` (see :func:`run_sync` for where this may be called)."""
        run_sync(self.aadd_messages(messages, marks=marks))

    def clear(self) -> None:
        """Sync :meth:`aclear` (see :func:`run_sync` for where this may be called)."""
        run_sync(self.aclear())


def to_msg(message: BaseMessage) -> Msg:
    """Convert a LangChain message to the memmark message it is stored as.

    Raises:
        TypeError: ``message`` is not a LangChain ``BaseMessage``.
    """
    if not isinstance(message, BaseMessage):
        raise TypeError(f"messages must be LangChain BaseMessage, got {type(message).__name__}")
    # Fields at their default come back as defaults: storing them would only cost bytes. The
    # type is always at its default (each class has its own), so it is added back.
    kept = message.model_dump(exclude_defaults=True)
    kept["type"] = message.type
    content = _msg_content(message)
    if isinstance(content, str):
        del kept["content"]  # the Msg's own content is the message's
    role = _role_of(message)
    name = message.name if isinstance(message.name, str) and message.name else role
    return Msg(name, content, role, metadata={METADATA_KEY: kept})


def from_msg(msg: Msg) -> list[BaseMessage]:
    """Convert a stored memmark message back to LangChain.

    A message LangChain wrote comes back exactly as written. One another framework wrote
    becomes a message of its role (``HumanMessage`` / ``AIMessage`` with its tool calls /
    ``SystemMessage``) for its text and media, then one ``ToolMessage`` per tool result.
    """
    kept = msg.metadata.get(METADATA_KEY)
    message = build(kept, msg.content)
    if message is not None:
        return [message]
    if isinstance(kept, dict) and isinstance(kept.get("type"), str):
        data = dict(kept)
        data.setdefault("content", msg.content)
        cls = _COMMON_TYPES.get(data["type"])
        if cls is not None:
            return [cls(**data)]
        return messages_from_dict([{"type": data["type"], "data": data}])
    return _from_foreign_msg(msg)


def _role_of(message: BaseMessage) -> Role:
    if isinstance(message, ChatMessage):
        return _ROLE_OF_CHAT_ROLE.get(message.role, "user")
    return _ROLE_OF_TYPE.get(message.type, "user")


def _msg_content(message: BaseMessage) -> str | list[ContentBlock]:
    """The message's content as memmark reads it: its text, or blocks for everything else."""
    if isinstance(message, (ToolMessage, FunctionMessage)):
        output: str | list[Any] = (
            message.content
            if isinstance(message.content, str)
            else [block for part in message.content if (block := _block_of(part)) is not None]
        )
        return [
            ToolResultBlock(
                type="tool_result",
                id=message.tool_call_id if isinstance(message, ToolMessage) else "",
                name=message.name or "",
                output=output,
            )
        ]
    tool_calls = message.tool_calls if isinstance(message, AIMessage) else []
    if isinstance(message.content, str) and not tool_calls:
        return message.content
    parts = [message.content] if isinstance(message.content, str) else message.content
    blocks = [block for part in parts if part != "" and (block := _block_of(part)) is not None]
    blocks.extend(
        ToolUseBlock(
            type="tool_use", id=call.get("id") or "", name=call["name"], input=call["args"]
        )
        for call in tool_calls
    )
    return blocks


def _block_of(part: str | dict[Any, Any]) -> ContentBlock | None:
    """The memmark block of one LangChain content part, or ``None`` for parts it has none for."""
    if isinstance(part, str):
        return TextBlock(type="text", text=part)
    kind = part.get("type")
    if kind == "text" and isinstance(part.get("text"), str):
        return TextBlock(type="text", text=part["text"])
    if kind in ("reasoning", "thinking") and isinstance(part.get(kind), str):
        return ThinkingBlock(type="thinking", thinking=part[kind])
    if kind == "image_url":
        image_url = part.get("image_url")
        url = image_url.get("url") if isinstance(image_url, dict) else image_url
        return media_block("image", media_source(url)) if isinstance(url, str) else None
    for media in _MEDIA_KINDS:
        if kind == media:
            return _media_part_block(media, part)
    return None


def _media_part_block(kind: MediaKind, part: dict[Any, Any]) -> ContentBlock | None:
    """An image / audio / video part in LangChain's standard form (``url`` or base64 data)."""
    if isinstance(part.get("url"), str):
        return media_block(kind, media_source(part["url"]))
    data = part.get("base64", part.get("data"))
    mime_type = part.get("mime_type")
    if isinstance(data, str) and isinstance(mime_type, str):
        return media_block(kind, Base64Source(type="base64", media_type=mime_type, data=data))
    return None


def _lc_part(block: ContentBlock, role: Role) -> dict[str, Any] | None:
    """The LangChain standard content part of a memmark block another framework wrote."""
    kind = block.get("type")
    if kind == "text":
        return {"type": "text", "text": block.get("text", "")}
    if kind == "thinking" and role == "assistant":
        return {"type": "reasoning", "reasoning": block.get("thinking", "")}
    if kind in _MEDIA_KINDS:
        source = block.get("source")
        if isinstance(source, dict) and source.get("type") == "base64":
            return {
                "type": kind,
                "base64": source.get("data"),
                "mime_type": source.get("media_type"),
            }
        url = source_url(source)
        return None if url is None else {"type": kind, "url": url}
    return None


def _lc_content(blocks: Sequence[ContentBlock], role: Role) -> str | list[str | dict[str, Any]]:
    parts = [part for block in blocks if (part := _lc_part(block, role)) is not None]
    if not parts:
        return ""
    if len(parts) == 1 and parts[0]["type"] == "text":
        return str(parts[0]["text"])
    return list(parts)


def _from_foreign_msg(msg: Msg) -> list[BaseMessage]:
    blocks = msg.get_content_blocks()
    results = [block for block in blocks if block.get("type") == "tool_result"]
    calls = [block for block in blocks if block.get("type") == "tool_use"]
    content = (
        msg.content
        if isinstance(msg.content, str)
        else _lc_content([b for b in blocks if b.get("type") not in _CALL_TYPES], msg.role)
    )
    out: list[BaseMessage] = []
    if content != "" or calls or not results:
        out.append(_role_message(msg, content, calls))
    for result in results:
        output: Any = result.get("output", "")
        out.append(
            ToolMessage(
                content=output if isinstance(output, str) else _lc_content(output, msg.role),
                tool_call_id=str(result.get("id", "")),
                name=result.get("name") or None,
                id=msg.id if not out else f"{msg.id}-{len(out)}",
            )
        )
    return out


def _role_message(
    msg: Msg, content: str | list[str | dict[str, Any]], calls: Sequence[Any]
) -> BaseMessage:
    if msg.role == "assistant":
        tool_calls = [
            tool_call(
                name=str(call.get("name", "")),
                args=dict(call.get("input", {})),
                id=str(call.get("id", "")),
            )
            for call in calls
        ]
        return AIMessage(content=content, name=msg.name, id=msg.id, tool_calls=tool_calls)
    if msg.role == "system":
        return SystemMessage(content=content, name=msg.name, id=msg.id)
    return HumanMessage(content=content, name=msg.name, id=msg.id)


class _SyncLoop:
    """One event loop in a daemon thread, for every sync call of this process."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._pid = 0

    def get(self) -> asyncio.AbstractEventLoop:
        with self._lock:
            if self._loop is None or self._pid != os.getpid():  # a forked child starts anew
                self._loop = asyncio.new_event_loop()
                self._thread = threading.Thread(
                    target=self._loop.run_forever, name="memmark-langchain-sync", daemon=True
                )
                self._thread.start()
                self._pid = os.getpid()
            return self._loop

    def stop(self) -> None:
        with self._lock:
            loop, thread, self._loop = self._loop, self._thread, None
        if loop is None or thread is None or self._pid != os.getpid():
            return
        loop.call_soon_threadsafe(loop.stop)
        thread.join()
        loop.close()


_SYNC_LOOP = _SyncLoop()
atexit.register(_SYNC_LOOP.stop)


def run_sync(awaitable: Awaitable[T]) -> T:
    """Run ``awaitable`` on the event loop the sync history methods use, and return its result.

    The sync methods of :class:`MemmarkChatMessageHistory` go through here. Sync code also
    uses it to close what those calls used, on the loop they ran on:
    ``run_sync(memory.close())``, ``run_sync(engine.dispose())``.

    Raises:
        RuntimeError: called from a thread whose event loop is running (a coroutine, an
            async framework callback): use the async methods (``await history.aget_messages()``,
            ``aadd_messages``, ``aclear``) there instead; blocking that loop could deadlock
            a driver bound to it.
    """
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        pass
    else:
        if asyncio.iscoroutine(awaitable):
            awaitable.close()  # never awaited: no "coroutine was never awaited" warning
        raise RuntimeError(
            "the sync methods of MemmarkChatMessageHistory cannot run inside a running event "
            "loop; await its async methods instead: aget_messages(), aadd_messages(), aclear()"
        )
    future = asyncio.run_coroutine_threadsafe(_as_coroutine(awaitable), _SYNC_LOOP.get())
    try:
        return future.result()
    except BaseException:
        future.cancel()  # e.g. KeyboardInterrupt: do not leave the call running
        raise


async def _as_coroutine(awaitable: Awaitable[T]) -> T:
    return await awaitable
