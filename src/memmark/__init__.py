"""memmark: async conversation memory for LLM agents, with marks, on many backends."""

from __future__ import annotations

from typing import TYPE_CHECKING

from memmark._connect import connect
from memmark._optional import lazy_exports
from memmark.errors import (
    BackendError,
    ConflictError,
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
    "ConflictError",
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


__getattr__ = lazy_exports(__name__, _LAZY_EXPORTS)
