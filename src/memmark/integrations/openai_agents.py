"""OpenAI Agents SDK session over any memmark memory (extra ``openai-agents``).

:class:`MemmarkSession` implements the SDK's ``Session`` protocol, so
``Runner.run(agent, input, session=MemmarkSession(memory))`` keeps the conversation in memmark,
on whichever backend the memory uses, readable by memmark's other adapters and CLI.

Each item the SDK stores becomes one :class:`~memmark.message.Msg`: messages by their role and
text / media, ``function_call`` as a ``tool_use`` block, ``function_call_output`` as a
``tool_result`` block, ``reasoning`` as a ``thinking`` block, and any other item as an
assistant message without content; ``metadata["openai_agents"]`` keeps the item itself (but a
string content, which is the ``Msg``'s), so it comes back exactly. Messages written by other
frameworks are converted from their blocks. See ``docs/integrations.md`` for the mapping table.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any, cast

from memmark._optional import require
from memmark.integrations._media import media_block, media_source, source_url
from memmark.memory import MemoryBase
from memmark.message import (
    AudioBlock,
    Base64Source,
    ContentBlock,
    Msg,
    Role,
    TextBlock,
    ThinkingBlock,
    ToolResultBlock,
    ToolUseBlock,
)

require("agents", extra="openai-agents", feature="memmark.integrations.openai_agents")

from agents.items import TResponseInputItem  # noqa: E402
from agents.memory import SessionSettings  # noqa: E402

__all__ = ["METADATA_KEY", "MemmarkSession", "from_msg", "to_msg"]

METADATA_KEY = "openai_agents"
"""The key of ``Msg.metadata`` that keeps the SDK's item."""

_ROLES: dict[str, Role] = {
    "user": "user",
    "assistant": "assistant",
    "system": "system",
    "developer": "system",
}
_TEXT_PARTS = ("input_text", "output_text")


class MemmarkSession:
    """An Agents SDK session stored in a memmark memory (one user's session).

    Items come back exactly as added (equal dicts), in order. ``pop_item`` is the memory's
    atomic :meth:`~memmark.memory.MemoryBase.pop`: two callers never pop the same item. The
    memory's compressed summary is not shown as an item. Everything stored must be
    JSON-serialisable.

    Args:
        memory: Any memmark memory; the session neither opens nor closes it.
        session_settings: The SDK's settings; its ``limit`` applies when ``get_items`` gets
            none.

    Raises:
        TypeError: ``memory`` is not a memmark memory.
    """

    def __init__(
        self, memory: MemoryBase, *, session_settings: SessionSettings | None = None
    ) -> None:
        if not isinstance(memory, MemoryBase):
            raise TypeError(f"memory must be a memmark MemoryBase, got {type(memory).__name__}")
        self.memory = memory
        self.session_id = memory.session_id
        self.session_settings = session_settings or SessionSettings()

    async def get_items(self, limit: int | None = None) -> list[TResponseInputItem]:
        """Return the newest ``limit`` items (all when ``None``), oldest first.

        Raises:
            TypeError: ``limit`` is not an int.
            ValueError: ``limit`` is negative.
        """
        if limit is None:
            limit = self.session_settings.limit
        msgs = await self.memory.get_memory(prepend_summary=False, limit=limit)
        items = [item for msg in msgs for item in from_msg(msg)]
        return items if limit is None else items[len(items) - limit :] if limit else []

    async def add_items(self, items: list[TResponseInputItem]) -> None:
        """Append ``items`` in one atomic write.

        Raises:
            TypeError: an item is not a dict or holds something not JSON-serialisable.
        """
        tool_names = _function_names(cast("list[Any]", items))
        await self.memory.add([to_msg(item, tool_names) for item in items])

    async def pop_item(self) -> TResponseInputItem | None:
        """Remove and return the newest item, atomically; ``None`` when the session is empty.

        A message another framework wrote that maps to several items (text and tool calls,
        say) is removed whole; its last item is returned.
        """
        msg = await self.memory.pop()
        if msg is None:
            return None
        return from_msg(msg)[-1]

    async def clear_session(self) -> None:
        """Delete every item of this session, and the memory's summary."""
        await self.memory.clear()


def to_msg(item: TResponseInputItem, tool_names: Mapping[str, str] | None = None) -> Msg:
    """Convert one SDK item to the memmark message it is stored as.

    Args:
        item: The item.
        tool_names: Function names by ``call_id``, to name the ``tool_result`` of a
            ``function_call_output`` (the output item does not carry it).

    Raises:
        TypeError: ``item`` is not a dict.
    """
    if not isinstance(item, Mapping):
        raise TypeError(f"items must be dicts, got {type(item).__name__}")
    data = cast("dict[str, Any]", item)
    kind = data.get("type", "message" if "role" in data else None)
    role: Role
    if kind == "message":
        role = _ROLES.get(str(data.get("role")), "user")
        content = _message_content(data.get("content"))
    else:
        role = "system" if isinstance(kind, str) and kind.endswith("_output") else "assistant"
        content = _item_blocks(data, kind, tool_names or {})
    kept = data
    if isinstance(content, str):  # the Msg's own content is the item's: not stored twice
        kept = {key: value for key, value in data.items() if key != "content"}
    return Msg(role, content, role, metadata={METADATA_KEY: {"item": kept}})


def _function_names(items: list[Any]) -> dict[str, str]:
    """The function name of each ``function_call`` item, by its ``call_id``."""
    return {
        item["call_id"]: item["name"]
        for item in items
        if isinstance(item, Mapping)
        and item.get("type") == "function_call"
        and isinstance(item.get("call_id"), str)
        and isinstance(item.get("name"), str)
    }


def from_msg(msg: Msg) -> list[TResponseInputItem]:
    """Convert a stored memmark message back to SDK items (at least one).

    An item the SDK wrote comes back exactly. A message another framework wrote becomes a
    message item of its role for its text and media, then one ``function_call`` per tool
    call and one ``function_call_output`` per tool result; thinking is left out (the model
    API accepts reasoning items only with the ids it issued).
    """
    kept = msg.metadata.get(METADATA_KEY)
    if isinstance(kept, dict) and isinstance(kept.get("item"), dict):
        item = kept["item"]
        if "content" not in item and isinstance(msg.content, str):
            item = {**item, "content": msg.content}
        return [cast("TResponseInputItem", item)]
    return _from_foreign_msg(msg)


def _message_content(content: object) -> str | list[ContentBlock]:
    if isinstance(content, str):
        return content
    if not isinstance(content, list):
        return []
    return [block for part in content if (block := _part_block(part)) is not None]


def _part_block(part: object) -> ContentBlock | None:
    """The memmark block of one content part of a message item, if it has one."""
    if not isinstance(part, dict):
        return None
    kind = part.get("type")
    if kind in _TEXT_PARTS and isinstance(part.get("text"), str):
        return TextBlock(type="text", text=part["text"])
    if kind == "refusal" and isinstance(part.get("refusal"), str):
        return TextBlock(type="text", text=part["refusal"])
    if kind == "input_image" and isinstance(part.get("image_url"), str):
        return media_block("image", media_source(part["image_url"]))
    audio = part.get("input_audio")
    if kind == "input_audio" and isinstance(audio, dict):
        data, audio_format = audio.get("data"), audio.get("format")
        if isinstance(data, str) and isinstance(audio_format, str):
            source = Base64Source(type="base64", media_type=f"audio/{audio_format}", data=data)
            return AudioBlock(type="audio", source=source)
    return None


def _item_blocks(
    data: dict[str, Any], kind: object, tool_names: Mapping[str, str]
) -> list[ContentBlock]:
    """The blocks of an item that is not a message: tool calls, their results, reasoning."""
    call_id = data.get("call_id")
    if kind == "function_call":
        return [
            ToolUseBlock(
                type="tool_use",
                id=str(call_id),
                name=str(data.get("name", "")),
                input=_arguments(data.get("arguments")),
            )
        ]
    if kind == "function_call_output":
        output = data.get("output")
        return [
            ToolResultBlock(
                type="tool_result",
                id=str(call_id),
                name=tool_names.get(str(call_id), ""),
                output=output if isinstance(output, str) else _output_blocks(output),
            )
        ]
    if kind == "reasoning":
        texts = [
            part["text"]
            for key in ("summary", "content")
            for part in data.get(key) or []
            if isinstance(part, dict) and isinstance(part.get("text"), str)
        ]
        return [ThinkingBlock(type="thinking", thinking="\n".join(texts))] if texts else []
    return []


def _arguments(arguments: object) -> dict[str, Any]:
    """A function call's JSON arguments as a dict (``{}`` when they are not a JSON object)."""
    if isinstance(arguments, str):
        try:
            parsed = json.loads(arguments)
        except ValueError:
            return {}
        if isinstance(parsed, dict):
            return parsed
    return {}


def _output_blocks(output: object) -> list[Any]:
    blocks = _message_content(output)
    return [] if isinstance(blocks, str) else blocks


def _from_foreign_msg(msg: Msg) -> list[TResponseInputItem]:
    blocks = msg.get_content_blocks()
    parts = [part for block in blocks if (part := _sdk_part(block, msg.role)) is not None]
    items: list[dict[str, Any]] = []
    calls = [block for block in blocks if block.get("type") == "tool_use"]
    results = [block for block in blocks if block.get("type") == "tool_result"]
    if parts or not (calls or results):
        text_only = all(part["type"] in _TEXT_PARTS for part in parts)
        content: Any = (
            "\n".join(part["text"] for part in parts) if text_only and len(parts) <= 1 else parts
        )
        items.append({"role": msg.role, "content": content})
    for call in cast("list[ToolUseBlock]", calls):
        items.append(
            {
                "type": "function_call",
                "call_id": call["id"],
                "name": call["name"],
                "arguments": json.dumps(call["input"], ensure_ascii=False),
            }
        )
    for result in cast("list[ToolResultBlock]", results):
        output = result["output"]
        items.append(
            {
                "type": "function_call_output",
                "call_id": result["id"],
                "output": output if isinstance(output, str) else _sdk_output(output),
            }
        )
    return cast("list[TResponseInputItem]", items)


def _sdk_part(block: ContentBlock, role: Role) -> dict[str, Any] | None:
    """The SDK content part of a memmark text or media block another framework wrote."""
    kind = block.get("type")
    if kind == "text":
        text_type = "output_text" if role == "assistant" else "input_text"
        part: dict[str, Any] = {"type": text_type, "text": block.get("text", "")}
        if role == "assistant":
            part["annotations"] = []
        return part
    if role != "user":
        return None  # the model API takes media in user messages only
    source = block.get("source")
    if kind == "image":
        url = source_url(source)
        return None if url is None else {"type": "input_image", "image_url": url, "detail": "auto"}
    if kind == "audio" and isinstance(source, dict) and source.get("type") == "base64":
        audio_format = str(source.get("media_type", "")).removeprefix("audio/")
        return {
            "type": "input_audio",
            "input_audio": {"data": source.get("data"), "format": audio_format},
        }
    return None


def _sdk_output(blocks: Sequence[Any]) -> list[dict[str, Any]]:
    return [part for block in blocks if (part := _sdk_part(block, "user")) is not None]
