"""Stores: one storage backend shared by many users' memories, plus admin operations."""

from __future__ import annotations

from memmark.store._base import Page, SessionInfo, StoreBase
from memmark.store._transfer import (
    ImportReport,
    copy,
    dump_record,
    export_sessions,
    import_sessions,
    load_records,
)

__all__ = [
    "ImportReport",
    "Page",
    "SessionInfo",
    "StoreBase",
    "copy",
    "dump_record",
    "export_sessions",
    "import_sessions",
    "load_records",
]
