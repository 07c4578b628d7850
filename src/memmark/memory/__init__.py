"""Memory backends behind one interface, :class:`MemoryBase`.

Importing this package imports no database driver; a backend whose driver is missing says
which extra to install when it is constructed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from memmark.memory._base import MemoryBase
from memmark.memory._in_memory_memory import InMemoryMemory
from memmark.memory._record import Snapshot, StoredMessage

if TYPE_CHECKING:
    from memmark.memory._tablestore_memory import TablestoreMemory

__all__ = ["InMemoryMemory", "MemoryBase", "Snapshot", "StoredMessage", "TablestoreMemory"]


def __getattr__(name: str) -> Any:
    """Import backends whose modules pull in a driver only when they are asked for."""
    if name == "TablestoreMemory":
        from memmark.memory._tablestore_memory import TablestoreMemory

        return TablestoreMemory
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
