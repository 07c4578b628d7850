"""memmark: async conversation memory for LLM agents, with marks, on many backends."""

from __future__ import annotations

from memmark._connect import connect
from memmark.errors import (
    BackendError,
    ContentTooLargeError,
    MemmarkError,
    SchemaVersionError,
    StorageUnavailableError,
)
from memmark.memory import InMemoryMemory, MemoryBase, Snapshot, StoredMessage
from memmark.message import (
    AudioBlock,
    Base64Source,
    ContentBlock,
    ImageBlock,
    Msg,
    Role,
    TextBlock,
    ThinkingBlock,
    ToolResultBlock,
    ToolUseBlock,
    URLSource,
    VideoBlock,
)

__version__ = "0.1.0"

__all__ = [
    "AudioBlock",
    "BackendError",
    "Base64Source",
    "ContentBlock",
    "ContentTooLargeError",
    "ImageBlock",
    "InMemoryMemory",
    "MemmarkError",
    "MemoryBase",
    "Msg",
    "Role",
    "SchemaVersionError",
    "Snapshot",
    "StorageUnavailableError",
    "StoredMessage",
    "TextBlock",
    "ThinkingBlock",
    "ToolResultBlock",
    "ToolUseBlock",
    "URLSource",
    "VideoBlock",
    "connect",
]
