"""Content blocks: the typed dicts a multi-part ``Msg.content`` is made of."""

from __future__ import annotations

from typing import Any, Literal, TypeAlias

from typing_extensions import Required, TypedDict

__all__ = [
    "AudioBlock",
    "Base64Source",
    "ContentBlock",
    "ImageBlock",
    "TextBlock",
    "ThinkingBlock",
    "ToolResultBlock",
    "ToolUseBlock",
    "URLSource",
    "VideoBlock",
]


class Base64Source(TypedDict, total=False):
    """Inline media data, base64 encoded."""

    type: Required[Literal["base64"]]
    media_type: Required[str]
    """MIME type, e.g. ``"image/png"``."""
    data: Required[str]
    """The base64 text."""


class URLSource(TypedDict, total=False):
    """Media referenced by URL."""

    type: Required[Literal["url"]]
    url: Required[str]


class TextBlock(TypedDict, total=False):
    """Plain text."""

    type: Required[Literal["text"]]
    text: str


class ThinkingBlock(TypedDict, total=False):
    """A model's reasoning text."""

    type: Required[Literal["thinking"]]
    thinking: str


class ImageBlock(TypedDict, total=False):
    """An image."""

    type: Required[Literal["image"]]
    source: Required[Base64Source | URLSource]


class AudioBlock(TypedDict, total=False):
    """An audio clip."""

    type: Required[Literal["audio"]]
    source: Required[Base64Source | URLSource]


class VideoBlock(TypedDict, total=False):
    """A video clip."""

    type: Required[Literal["video"]]
    source: Required[Base64Source | URLSource]


class ToolUseBlock(TypedDict, total=False):
    """A tool call requested by the model."""

    type: Required[Literal["tool_use"]]
    id: Required[str]
    name: Required[str]
    input: Required[dict[str, Any]]


class ToolResultBlock(TypedDict, total=False):
    """The result of a tool call."""

    type: Required[Literal["tool_result"]]
    id: Required[str]
    output: Required[str | list[TextBlock | ImageBlock | AudioBlock | VideoBlock]]
    name: Required[str]


ContentBlock: TypeAlias = (
    TextBlock
    | ThinkingBlock
    | ToolUseBlock
    | ToolResultBlock
    | ImageBlock
    | AudioBlock
    | VideoBlock
)
"""Any one content block."""
