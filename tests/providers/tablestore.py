"""Providers for :class:`TablestoreMemory`: over the in-process emulator, and a live instance.

``tablestore_emulator`` gives each test a fresh :class:`TablestoreEmulator` behind the SDK's
real ``AsyncOTSClient`` with its default codec (the native PlainBuffer parser where the SDK
ships one for this Python), answering range reads in pages of 1 to 3 rows with an empty page
in between, and keeping new tables unusable for their first requests.
``tablestore_emulator_pure`` uses the SDK's pure-Python codec and plain pages.

``tablestore_live`` uses the ``TABLESTORE_*`` credentials with one random table prefix per
run, wipes the rows after each test and deletes the tables at the end; without credentials
it skips with the reason "no Tablestore credentials" (the one documented exception to "no
skips under CI=true": no Tablestore is reachable from CI).
"""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from typing import Any

import pytest

from memmark.backends.tablestore._rows import HIGHEST, LOWEST, RowOp, Rows
from memmark.backends.tablestore._schema import table_names
from memmark.memory import MemoryBase, TablestoreMemory
from tests.fakes.tablestore_emulator import EmulatedOTSClient, TablestoreEmulator
from tests.providers.tablestore_env import NO_CREDENTIALS, live_credentials
from tests.registry import MemoryFactory, Provider

ADVERSARIAL = {"page_rows": 3, "empty_pages": True, "ready_after": 2}
"""The conformance emulator's settings: tiny and empty pages, tables slow to become ready."""


@asynccontextmanager
async def _open_emulated(*, native: bool, **settings: int) -> AsyncIterator[MemoryFactory]:
    client = EmulatedOTSClient(TablestoreEmulator(**settings), enable_native=native)
    memories: list[MemoryBase] = []

    async def factory(
        *, user_id: str = "default_user", session_id: str = "default_session"
    ) -> MemoryBase:
        memory = TablestoreMemory(user_id=user_id, session_id=session_id, client=client)
        memories.append(memory)
        return memory

    try:
        yield factory
    finally:
        for memory in memories:
            await memory.close()
        await client.close()


def _live_client() -> Any:
    from tablestore import AsyncOTSClient

    credentials = live_credentials()
    assert credentials is not None
    return AsyncOTSClient(
        credentials["end_point"],
        credentials["access_key_id"],
        credentials["access_key_secret"],
        credentials["instance_name"],
        sts_token=os.environ.get("TABLESTORE_STS_TOKEN") or None,
    )


async def _wipe_rows(client: Any, prefix: str) -> None:
    """Delete every row of the run's tables (cheaper than new tables for every test)."""
    names = table_names(prefix)
    rows = Rows(client)
    existing = set(await client.list_table())
    for table, schema in names.schemas().items():
        if table not in existing:
            continue
        columns = [column for column, _ in schema]
        keys = [
            [(column, row[column]) for column in columns]
            async for row in rows.scan(
                table,
                [(column, LOWEST) for column in columns],
                [(column, HIGHEST) for column in columns],
                columns=columns,
            )
        ]
        await rows.write([RowOp(table, "delete", key) for key in keys])


@asynccontextmanager
async def _open_live(prefix: str) -> AsyncIterator[MemoryFactory]:
    client = _live_client()

    async def factory(
        *, user_id: str = "default_user", session_id: str = "default_session"
    ) -> MemoryBase:
        return TablestoreMemory(
            user_id=user_id, session_id=session_id, table_name=prefix, client=client
        )

    try:
        yield factory
    finally:
        await _wipe_rows(client, prefix)
        await client.close()


async def _drop_tables(prefix: str) -> None:
    client = _live_client()
    try:
        for name in await client.list_table():
            if name.startswith(f"{prefix}_"):
                await client.delete_table(name)
    finally:
        await client.close()


@pytest.fixture(scope="session")
def tablestore_live_prefix() -> Iterator[str]:
    """One table prefix for the run: its tables are created once and dropped at the end.

    Creating five tables per test would take the run hours (a new table is usable only
    about a minute after CreateTable), so tests share the tables and each wipes its rows.
    """
    if live_credentials() is None:
        pytest.skip(NO_CREDENTIALS)
    prefix = f"memmark_test_{uuid.uuid4().hex[:12]}"
    yield prefix
    asyncio.run(_drop_tables(prefix))


@pytest.fixture
def tablestore_emulator_provider() -> Provider:
    return lambda: _open_emulated(native=True, **ADVERSARIAL)


@pytest.fixture
def tablestore_emulator_pure_provider() -> Provider:
    return lambda: _open_emulated(native=False)


@pytest.fixture
def tablestore_live_provider(request: pytest.FixtureRequest) -> Provider:
    if live_credentials() is None:
        pytest.skip(NO_CREDENTIALS)
    prefix = request.getfixturevalue("tablestore_live_prefix")
    return lambda: _open_live(prefix)
