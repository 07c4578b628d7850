"""Messages and their content blocks."""

from __future__ import annotations

from memmark.message._blocks import (
    AudioBlock,
    Base64Source,
    ContentBlock,
    ImageBlock,
    TextBlock,
    ThinkingBlock,
    ToolResultBlock,
    ToolUseBlock,
    URLSource,
    VideoBlock,
)
from memmark.message._msg import Msg, Role
from memmark.message._msg import check_msg_fields as check_msg_fields  # for memmark._core

__all__ = [
    "AudioBlock",
    "Base64Source",
    "ContentBlock",
    "ImageBlock",
    "Msg",
    "Role",
    "TextBlock",
    "ThinkingBlock",
    "ToolResultBlock",
    "ToolUseBlock",
    "URLSource",
    "VideoBlock",
]
