"""Memory backends behind one interface, :class:`MemoryBase`.

Importing this package imports no database driver; a backend whose driver is missing says
which extra to install when it is constructed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from memmark._optional import lazy_exports
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


__getattr__ = lazy_exports(__name__, _LAZY_EXPORTS)
