"""Stores: one storage backend shared by many users' memories, plus admin operations."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from memmark.store._base import Page, SessionInfo, StoreBase

if TYPE_CHECKING:
    from memmark.store._tablestore_store import TablestoreStore

__all__ = ["Page", "SessionInfo", "StoreBase", "TablestoreStore"]


def __getattr__(name: str) -> Any:
    """Import stores whose modules pull in a driver only when they are asked for."""
    if name == "TablestoreStore":
        from memmark.store._tablestore_store import TablestoreStore

        return TablestoreStore
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
