"""Memory backends behind one interface, :class:`MemoryBase`.

Importing this package imports no database driver; a backend whose driver is missing says
which extra to install when it is constructed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from memmark.memory._base import MemoryBase
from memmark.memory._in_memory_memory import InMemoryMemory
from memmark.memory._record import Snapshot, StoredMessage
from memmark.memory._sqlalchemy_memory import AsyncSQLAlchemyMemory

if TYPE_CHECKING:
    from memmark.memory._redis_memory import RedisMemory

__all__ = [
    "AsyncSQLAlchemyMemory",
    "InMemoryMemory",
    "MemoryBase",
    "RedisMemory",
    "Snapshot",
    "StoredMessage",
]


def __getattr__(name: str) -> Any:
    """Import a driver-backed memory only when it is first used."""
    if name == "RedisMemory":
        from memmark.memory._redis_memory import RedisMemory

        return RedisMemory
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
