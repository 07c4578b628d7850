"""Stores: one storage backend shared by many users' memories, plus admin operations."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from memmark.store._base import Page, SessionInfo, StoreBase
from memmark.store._sql_store import SQLStore

if TYPE_CHECKING:
    from memmark.store._redis_store import RedisStore

__all__ = ["Page", "RedisStore", "SQLStore", "SessionInfo", "StoreBase"]


def __getattr__(name: str) -> Any:
    """Import a driver-backed store only when it is first used."""
    if name == "RedisStore":
        from memmark.store._redis_store import RedisStore

        return RedisStore
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
