"""Memory backends behind one interface, :class:`MemoryBase`.

Importing this package imports no database driver; a backend whose driver is missing says
which extra to install when it is constructed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from memmark._core import MemoryBase, Snapshot, StoredMessage
from memmark._optional import lazy_exports
from memmark.backends.in_memory import InMemoryMemory
from memmark.backends.sql import AsyncSQLAlchemyMemory

if TYPE_CHECKING:
    from memmark.backends.redis import RedisMemory
    from memmark.backends.tablestore import TablestoreMemory

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
    "RedisMemory": "memmark.backends.redis",
    "TablestoreMemory": "memmark.backends.tablestore",
}


__getattr__ = lazy_exports(__name__, _LAZY_EXPORTS)
