"""Stores: one storage backend shared by many users' memories, plus admin operations."""

from __future__ import annotations

import importlib
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

_LAZY_EXPORTS = {
    "RedisStore": "memmark.store._redis_store",
    "TablestoreStore": "memmark.store._tablestore_store",
}


def __getattr__(name: str) -> Any:
    """Import backends whose modules pull in a driver only when they are asked for."""
    if name in _LAZY_EXPORTS:
        return getattr(importlib.import_module(_LAZY_EXPORTS[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
