"""Stores: one storage backend shared by many users' memories, plus admin operations."""

from __future__ import annotations

from memmark.store._base import Page, SessionInfo, StoreBase

__all__ = ["Page", "SessionInfo", "StoreBase"]
