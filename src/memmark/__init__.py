"""memmark: async conversation memory for LLM agents, with marks, on many backends."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

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

if TYPE_CHECKING:
    from memmark.memory import TablestoreMemory
    from memmark.store import TablestoreStore

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
    "TablestoreMemory",
    "TablestoreStore",
    "TextBlock",
    "ThinkingBlock",
    "ToolResultBlock",
    "ToolUseBlock",
    "URLSource",
    "VideoBlock",
]


def __getattr__(name: str) -> Any:
    """Import backends whose modules pull in a driver only when they are asked for."""
    if name == "TablestoreMemory":
        from memmark.memory import TablestoreMemory

        return TablestoreMemory
    if name == "TablestoreStore":
        from memmark.store import TablestoreStore

        return TablestoreStore
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
