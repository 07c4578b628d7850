"""memmark: async conversation memory for LLM agents, with marks, on many backends."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from memmark._connect import connect
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
    from memmark.memory import RedisMemory, TablestoreMemory
    from memmark.store import RedisStore, TablestoreStore

__version__ = "0.1.0"

_LAZY_EXPORTS = {
    "RedisMemory": "memmark.memory",
    "RedisStore": "memmark.store",
    "TablestoreMemory": "memmark.memory",
    "TablestoreStore": "memmark.store",
}

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
    "TablestoreMemory",
    "TablestoreStore",
    "TextBlock",
    "ThinkingBlock",
    "ToolResultBlock",
    "ToolUseBlock",
    "URLSource",
    "VideoBlock",
    "connect",
]


def __getattr__(name: str) -> Any:
    """Import backends whose modules pull in a driver only when they are asked for."""
    if name in _LAZY_EXPORTS:
        return getattr(importlib.import_module(_LAZY_EXPORTS[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
