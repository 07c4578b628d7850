"""Stores on private storage for store-level tests, opened by ``memmark.connect``.

The ``open_store`` fixture returns ``open_store(kind)``: an async context manager yielding a
fresh, empty store of that kind (its own SQLite file, table prefix in the run's private
PostgreSQL/MariaDB database, Redis key prefix, or in-process Tablestore emulator) and
cleaning up afterwards.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path
from typing import Any

import pytest

import memmark
from memmark.store import StoreBase
from tests.servers import require_server
from tests.store.dict_store import DictStore

REDIS_URL = "redis://127.0.0.1:6379/0"

STORE_KINDS = [
    pytest.param("dict", id="dict"),
    pytest.param("sqlite", id="sqlite"),
    pytest.param("postgres", id="postgres", marks=pytest.mark.postgres),
    pytest.param("mysql", id="mysql", marks=pytest.mark.mysql),
    pytest.param("redis", id="redis", marks=pytest.mark.redis),
    pytest.param("tablestore_emulator", id="tablestore_emulator"),
]
"""Every kind; ``dict`` is the test-only store over ``InMemoryMemory``."""

OpenStore = Callable[[str], AbstractAsyncContextManager[StoreBase]]


def unique(prefix: str) -> str:
    return f"{prefix}{uuid.uuid4().hex[:10]}"


@asynccontextmanager
async def _redis_store() -> AsyncIterator[StoreBase]:
    require_server("redis", "127.0.0.1", 6379)
    prefix = unique("memmark-test-cli-")
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
async def _sql_store(url: str) -> AsyncIterator[StoreBase]:
    async with memmark.connect(url, table_prefix=unique("c") + "_") as store:
        yield store


@asynccontextmanager
async def _tablestore_emulator_store() -> AsyncIterator[StoreBase]:
    from memmark.store import TablestoreStore
    from tests.fakes.tablestore_emulator import EmulatedOTSClient, TablestoreEmulator

    client = EmulatedOTSClient(TablestoreEmulator(page_rows=7, empty_pages=True))
    async with TablestoreStore(client=client) as store:
        yield store
    await client.close()


@pytest.fixture
def open_store(request: pytest.FixtureRequest, tmp_path: Path) -> OpenStore:
    """``open_store(kind)``: a fresh store of ``kind``; the SQL databases are the run's own."""

    def opener(kind: str) -> AbstractAsyncContextManager[StoreBase]:
        if kind == "dict":

            @asynccontextmanager
            async def dict_store() -> AsyncIterator[StoreBase]:
                yield DictStore()

            return dict_store()
        if kind == "sqlite":
            return _sql_store(f"sqlite+aiosqlite:///{tmp_path / unique('store-')}.db")
        if kind == "postgres":
            return _sql_store(request.getfixturevalue("postgres_url_for_test"))
        if kind == "mysql":
            return _sql_store(request.getfixturevalue("mysql_url_for_test"))
        if kind == "redis":
            return _redis_store()
        if kind == "tablestore_emulator":
            return _tablestore_emulator_store()
        raise ValueError(f"unknown store kind {kind!r}")

    return opener
