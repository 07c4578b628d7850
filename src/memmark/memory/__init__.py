"""Memory backends behind one interface, :class:`MemoryBase`.

Importing this package imports no database driver; a backend whose driver is missing says
which extra to install when it is constructed.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from memmark.memory._base import MemoryBase
from memmark.memory._in_memory_memory import InMemoryMemory
from memmark.memory._record import Snapshot, StoredMessage
from memmark.memory._sqlalchemy_memory import AsyncSQLAlchemyMemory

if TYPE_CHECKING:
    from memmark.memory._redis_memory import RedisMemory
    from memmark.memory._tablestore_memory import TablestoreMemory

__all__ = [
    "AsyncSQLAlchemyMemory",
    "InMemoryMemory",
    "MemoryBase",
    "RedisMemory",
    "Snapshot",
    "StoredMessage",
    "TablestoreMemory",
]

_LAZY_EXPORTS = {
    "RedisMemory": "memmark.memory._redis_memory",
    "TablestoreMemory": "memmark.memory._tablestore_memory",
}


def __getattr__(name: str) -> Any:
    """Import backends whose modules pull in a driver only when they are asked for."""
    if name in _LAZY_EXPORTS:
        return getattr(importlib.import_module(_LAZY_EXPORTS[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
