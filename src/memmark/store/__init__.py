"""Stores: one storage backend shared by many users' memories, plus admin operations."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from memmark.store._base import Page, SessionInfo, StoreBase
from memmark.store._sql_store import SQLStore
from memmark.store._transfer import (
    ImportReport,
    copy,
    dump_record,
    export_sessions,
    import_sessions,
    load_records,
)

if TYPE_CHECKING:
    from memmark.store._redis_store import RedisStore
    from memmark.store._tablestore_store import TablestoreStore

__all__ = [
    "ImportReport",
    "Page",
    "RedisStore",
    "SQLStore",
    "SessionInfo",
    "StoreBase",
    "TablestoreStore",
    "copy",
    "dump_record",
    "export_sessions",
    "import_sessions",
    "load_records",
]


def __getattr__(name: str) -> Any:
    """Import a driver-backed store only when it is first used."""
    if name == "RedisStore":
        from memmark.store._redis_store import RedisStore

        return RedisStore
    if name == "TablestoreStore":
        from memmark.store._tablestore_store import TablestoreStore

        return TablestoreStore
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
