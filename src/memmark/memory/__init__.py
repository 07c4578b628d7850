"""Memory backends behind one interface, :class:`MemoryBase`.

Importing this package imports no database driver; a backend whose driver is missing says
which extra to install when it is constructed.
"""

from __future__ import annotations

from memmark.memory._base import MemoryBase
from memmark.memory._in_memory_memory import InMemoryMemory
from memmark.memory._record import Snapshot, StoredMessage
from memmark.memory._sqlalchemy_memory import AsyncSQLAlchemyMemory

__all__ = ["AsyncSQLAlchemyMemory", "InMemoryMemory", "MemoryBase", "Snapshot", "StoredMessage"]
