"""Stores: one storage backend shared by many users' memories, plus admin operations."""

from __future__ import annotations

from typing import TYPE_CHECKING

from memmark._optional import lazy_exports
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


__getattr__ = lazy_exports(__name__, _LAZY_EXPORTS)
