"""Every framework adapter, as one entry each, for the tests that cross frameworks.

A conversation is written in a framework-neutral form (:data:`Turn`); each
:class:`Framework` writes it through its adapter as that framework's own objects, and reads a
memory back into turns, checking on the way that each one is the framework's type for it
(``HumanMessage`` for a user turn, a ``function_call`` item for a tool call, ...).
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

from agentscope.message import Msg as AgentScopeMsg
from agentscope.message import TextBlock as AgentScopeTextBlock
from agentscope.message import ToolResultBlock as AgentScopeToolResultBlock
from agentscope.message import ToolUseBlock as AgentScopeToolUseBlock
from langchain_core.messages import (
    AIMessage,
    BaseMessage,
    HumanMessage,
    SystemMessage,
    ToolMessage,
)

from memmark.integrations.agentscope import AgentScopeMemory
from memmark.integrations.langchain import MemmarkChatMessageHistory
from memmark.integrations.openai_agents import MemmarkSession
from memmark.memory import MemoryBase
from memmark.message import Msg, ToolResultBlock, ToolUseBlock

Turn = tuple[Any, ...]
"""``("user" | "assistant" | "system", text)``, ``("call", call_id, name, args)`` or
``("result", call_id, name, output)``."""

CONVERSATION: list[Turn] = [
    ("system", "You are terse."),
    ("user", "Weather in Paris? ☀ «quoted»\nsecond line"),
    ("call", "call-1", "get_weather", {"city": "Paris"}),
    ("result", "call-1", "get_weather", "sunny, 21 °C"),
    ("assistant", "Sunny, 21 °C."),
    ("user", "Thanks!"),
]


@dataclass(frozen=True)
class Framework:
    """One framework's adapter: write turns through it, read a memory back as turns."""

    id: str
    write: Callable[[MemoryBase, Sequence[Turn]], Awaitable[None]]
    read: Callable[[MemoryBase], Awaitable[list[Turn]]]
    names_tool_results: bool = True
    """Whether its tool results carry the tool's name (the Agents SDK's do not; written
    through it, a result takes its name from the call in the same ``add_items``)."""


# memmark itself: Msg with ToolUseBlock / ToolResultBlock, tool results as AgentScope stores them


async def _memmark_write(memory: MemoryBase, turns: Sequence[Turn]) -> None:
    msgs = []
    for turn in turns:
        if turn[0] == "call":
            block = ToolUseBlock(type="tool_use", id=turn[1], name=turn[2], input=turn[3])
            msgs.append(Msg("assistant", [block], "assistant"))
        elif turn[0] == "result":
            result = ToolResultBlock(type="tool_result", id=turn[1], name=turn[2], output=turn[3])
            msgs.append(Msg("system", [result], "system"))
        else:
            msgs.append(Msg(turn[0], turn[1], turn[0]))
    await memory.add(msgs)


async def _memmark_read(memory: MemoryBase) -> list[Turn]:
    turns: list[Turn] = []
    for msg in await memory.get_memory():
        calls = msg.get_content_blocks("tool_use")
        results = msg.get_content_blocks("tool_result")
        text = msg.get_text_content()
        if text:
            turns.append((msg.role, text))
        turns.extend(("call", c["id"], c["name"], c["input"]) for c in calls)  # type: ignore[typeddict-item]
        turns.extend(("result", r["id"], r["name"], r["output"]) for r in results)  # type: ignore[typeddict-item]
    return turns


# LangChain

_LC_TYPES: dict[str, type[BaseMessage]] = {
    "user": HumanMessage,
    "assistant": AIMessage,
    "system": SystemMessage,
}


async def _langchain_write(memory: MemoryBase, turns: Sequence[Turn]) -> None:
    messages: list[BaseMessage] = []
    for turn in turns:
        if turn[0] == "call":
            call = {"name": turn[2], "args": turn[3], "id": turn[1]}
            messages.append(AIMessage("", tool_calls=[call]))
        elif turn[0] == "result":
            messages.append(ToolMessage(turn[3], tool_call_id=turn[1], name=turn[2]))
        else:
            messages.append(_LC_TYPES[turn[0]](turn[1]))
    await MemmarkChatMessageHistory(memory).aadd_messages(messages)


async def _langchain_read(memory: MemoryBase) -> list[Turn]:
    turns: list[Turn] = []
    for message in await MemmarkChatMessageHistory(memory).aget_messages():
        if isinstance(message, ToolMessage):
            turns.append(("result", message.tool_call_id, message.name, message.content))
            continue
        role = next(role for role, cls in _LC_TYPES.items() if type(message) is cls)
        if message.text:
            turns.append((role, message.text))
        if isinstance(message, AIMessage):
            turns.extend(("call", c["id"], c["name"], c["args"]) for c in message.tool_calls)
    return turns


# OpenAI Agents SDK


async def _agents_write(memory: MemoryBase, turns: Sequence[Turn]) -> None:
    items: list[Any] = []
    for number, turn in enumerate(turns):
        if turn[0] == "call":
            items.append(
                {
                    "type": "function_call",
                    "id": f"fc_{number}",
                    "call_id": turn[1],
                    "name": turn[2],
                    "arguments": json.dumps(turn[3]),
                }
            )
        elif turn[0] == "result":
            items.append({"type": "function_call_output", "call_id": turn[1], "output": turn[3]})
        elif turn[0] == "assistant":
            part = {"type": "output_text", "text": turn[1], "annotations": [], "logprobs": []}
            items.append(
                {
                    "id": f"msg_{number}",
                    "type": "message",
                    "role": "assistant",
                    "status": "completed",
                    "content": [part],
                }
            )
        else:
            items.append({"role": turn[0], "content": turn[1]})
    await MemmarkSession(memory).add_items(items)


async def _agents_read(memory: MemoryBase) -> list[Turn]:
    turns: list[Turn] = []
    for item in await MemmarkSession(memory).get_items():
        data: dict[str, Any] = dict(item)
        if data.get("type") == "function_call":
            turns.append(("call", data["call_id"], data["name"], json.loads(data["arguments"])))
        elif data.get("type") == "function_call_output":
            turns.append(("result", data["call_id"], None, data["output"]))
        else:
            content = data["content"]
            text = (
                content
                if isinstance(content, str)
                else "".join(part["text"] for part in content if "text" in part)
            )
            turns.append((data["role"], text))
    return turns


# AgentScope: its own Msg and content blocks, through AgentScopeMemory


async def _agentscope_write(memory: MemoryBase, turns: Sequence[Turn]) -> None:
    msgs = []
    for turn in turns:
        if turn[0] == "call":
            call = AgentScopeToolUseBlock(type="tool_use", id=turn[1], name=turn[2], input=turn[3])
            msgs.append(AgentScopeMsg("assistant", [call], "assistant"))
        elif turn[0] == "result":
            result = AgentScopeToolResultBlock(
                type="tool_result", id=turn[1], name=turn[2], output=turn[3]
            )
            msgs.append(AgentScopeMsg("system", [result], "system"))
        else:
            text = AgentScopeTextBlock(type="text", text=turn[1])
            msgs.append(AgentScopeMsg(turn[0], [text], turn[0]))
    await AgentScopeMemory(memory).add(msgs)


async def _agentscope_read(memory: MemoryBase) -> list[Turn]:
    turns: list[Turn] = []
    for msg in await AgentScopeMemory(memory).get_memory():
        assert isinstance(msg, AgentScopeMsg)
        text = msg.get_text_content()
        if text:
            turns.append((msg.role, text))
        for call in msg.get_content_blocks("tool_use"):
            turns.append(("call", call["id"], call["name"], call["input"]))
        for result in msg.get_content_blocks("tool_result"):
            turns.append(("result", result["id"], result["name"], result["output"]))
    return turns


FRAMEWORKS: tuple[Framework, ...] = (
    Framework("memmark", _memmark_write, _memmark_read),
    Framework("agentscope", _agentscope_write, _agentscope_read),
    Framework("langchain", _langchain_write, _langchain_read),
    Framework("openai_agents", _agents_write, _agents_read, names_tool_results=False),
)
