"""Stores: one storage backend shared by many users' memories, plus admin operations."""

from __future__ import annotations

from typing import TYPE_CHECKING

from memmark._core import Page, SessionInfo, StoreBase
from memmark._optional import lazy_exports
from memmark.backends.sql import SQLStore
from memmark.store._transfer import (
    ImportReport,
    copy,
    dump_record,
    export_sessions,
    import_sessions,
    load_records,
)

if TYPE_CHECKING:
    from memmark.backends.redis import RedisStore
    from memmark.backends.tablestore import TablestoreStore

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
    "RedisStore": "memmark.backends.redis",
    "TablestoreStore": "memmark.backends.tablestore",
}


__getattr__ = lazy_exports(__name__, _LAZY_EXPORTS)
