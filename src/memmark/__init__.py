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
from memmark.memory import (
    AsyncSQLAlchemyMemory,
    InMemoryMemory,
    MemoryBase,
    Snapshot,
    StoredMessage,
)
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
from memmark.store import SQLStore

if TYPE_CHECKING:
    from memmark.memory import RedisMemory
    from memmark.store import RedisStore

__version__ = "0.1.0"

__all__ = [
    "AsyncSQLAlchemyMemory",
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
    "RedisMemory",
    "RedisStore",
    "Role",
    "SQLStore",
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
]


def __getattr__(name: str) -> Any:
    """Import driver-backed classes only when they are first used."""
    if name == "RedisMemory":
        from memmark.memory import RedisMemory

        return RedisMemory
    if name == "RedisStore":
        from memmark.store import RedisStore

        return RedisStore
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
