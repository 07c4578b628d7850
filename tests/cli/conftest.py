"""Store-level fixtures."""

from __future__ import annotations

from tests.store.stores import open_store

__all__ = ["open_store"]
