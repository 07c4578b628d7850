"""Stores: one storage backend shared by many users' memories, plus admin operations."""

from __future__ import annotations

from memmark.store._base import Page, SessionInfo, StoreBase
from memmark.store._sql_store import SQLStore

__all__ = ["Page", "SQLStore", "SessionInfo", "StoreBase"]
