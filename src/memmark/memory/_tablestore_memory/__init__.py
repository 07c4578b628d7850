"""``TablestoreMemory`` and its parts: schema, session row and lock, row access, errors."""

from __future__ import annotations

from memmark.memory._tablestore_memory._memory import TablestoreMemory

__all__ = ["TablestoreMemory"]
