"""Stores on private storage for store-level tests: opened by ``memmark.connect`` and dropped.

``open_store(kind)`` yields a fresh, empty store of that kind (its own key prefix, table
prefix or database) and deletes what it wrote when the test ends.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest

import memmark
from memmark.store import StoreBase
from tests.servers import require_server
from tests.store.dict_store import DictStore

REDIS_URL = "redis://127.0.0.1:6379/0"

STORE_KINDS = [
    pytest.param("dict", id="dict"),
    pytest.param("redis", id="redis", marks=pytest.mark.redis),
]


def unique(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4().hex[:10]}"


@asynccontextmanager
async def _redis_store() -> AsyncIterator[StoreBase]:
    require_server("redis", "127.0.0.1", 6379)
    prefix = unique("memmark-test-cli")
    store = memmark.connect(REDIS_URL, key_prefix=prefix)
    try:
        yield store
    finally:
        client: Any = store.get_client()  # type: ignore[attr-defined]
        keys = [key async for key in client.scan_iter(match=f"{prefix}*", count=1000)]
        if keys:
            await client.delete(*keys)
        await store.close()


@asynccontextmanager
async def open_store(kind: str) -> AsyncIterator[StoreBase]:
    """A fresh store of ``kind``, emptied and closed afterwards."""
    if kind == "dict":
        yield DictStore()
    elif kind == "redis":
        async with _redis_store() as store:
            yield store
    else:
        raise ValueError(f"unknown store kind {kind!r}")
