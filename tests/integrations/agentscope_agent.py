"""A ReActAgent with a scripted model (no network), for the AgentScope integration tests."""

from __future__ import annotations

from typing import Any

from agentscope.agent import ReActAgent
from agentscope.formatter import OpenAIChatFormatter
from agentscope.memory import MemoryBase
from agentscope.message import TextBlock, ToolUseBlock
from agentscope.model import ChatModelBase, ChatResponse
from agentscope.plan import PlanNotebook
from agentscope.token import CharTokenCounter
from agentscope.tool import Toolkit, ToolResponse

HINT_START = "<system-hint>"


def lookup(city: str) -> ToolResponse:
    """Look up the weather of a city.

    Args:
        city (str): The city.
    """
    return ToolResponse(content=[TextBlock(type="text", text=f"sunny in {city}")])


class ScriptedModel(ChatModelBase):
    """Calls ``lookup`` once per turn, then answers; summarises when asked for a summary."""

    def __init__(self) -> None:
        super().__init__("scripted", stream=False)
        self.prompts: list[list[dict[str, Any]]] = []
        self.calls = 0

    async def __call__(
        self,
        messages: list[dict[str, Any]],
        tools: list[dict[str, Any]] | None = None,
        tool_choice: str | None = None,
        structured_model: Any = None,
        **kwargs: Any,
    ) -> ChatResponse:
        self.prompts.append(messages)
        if structured_model is not None:
            fields = {name: f"{name} so far" for name in structured_model.model_fields}
            return ChatResponse(content=[TextBlock(type="text", text="summary")], metadata=fields)
        self.calls += 1
        conversation = [m for m in messages if HINT_START not in repr(m.get("content"))]
        if conversation[-1]["role"] != "tool":
            return ChatResponse(
                content=[
                    ToolUseBlock(
                        type="tool_use",
                        id=f"call-{self.calls}",
                        name="lookup",
                        input={"city": f"city {self.calls}"},
                    )
                ]
            )
        return ChatResponse(content=[TextBlock(type="text", text=f"answer {self.calls}")])


def make_agent(
    memory: MemoryBase, *, model: ScriptedModel | None = None, compress_above: int | None = None
) -> ReActAgent:
    """A ReActAgent on ``memory``; with ``compress_above`` tokens it compresses its memory."""
    toolkit = Toolkit()
    toolkit.register_tool_function(lookup)
    compression = None
    if compress_above is not None:
        compression = ReActAgent.CompressionConfig(
            enable=True,
            agent_token_counter=CharTokenCounter(),
            trigger_threshold=compress_above,
            keep_recent=2,
        )
    agent = ReActAgent(
        name="Friday",
        sys_prompt="You are a helpful assistant.",
        model=model or ScriptedModel(),
        formatter=OpenAIChatFormatter(),
        toolkit=toolkit,
        memory=memory,
        plan_notebook=PlanNotebook(),
        compression_config=compression,
    )
    agent.set_console_output_enabled(False)
    return agent


def prompt_text(prompt: list[dict[str, Any]]) -> str:
    """Everything the model was shown, as one string."""
    return repr(prompt)
