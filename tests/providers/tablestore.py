"""Providers for :class:`TablestoreMemory`: over the in-process emulator, and a live instance.

``tablestore_emulator`` gives each test a fresh :class:`TablestoreEmulator` behind the SDK's
real ``AsyncOTSClient`` with its default codec (the native PlainBuffer parser where the SDK
ships one for this Python), answering range reads in pages of 1 to 3 rows with an empty page
in between, and keeping new tables unusable for their first requests.
``tablestore_emulator_pure`` uses the SDK's pure-Python codec and plain pages. ``tablestore_live``
uses the ``TABLESTORE_*`` credentials with a random table prefix and deletes its tables
afterwards; without credentials it skips with the reason "no Tablestore credentials" (the
one documented exception to "no skips under CI=true": no Tablestore is reachable from CI).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest

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


@asynccontextmanager
async def _open_live() -> AsyncIterator[MemoryFactory]:
    credentials = live_credentials()
    if credentials is None:
        pytest.skip(NO_CREDENTIALS)
    from tablestore import AsyncOTSClient

    client = AsyncOTSClient(
        credentials["end_point"],
        credentials["access_key_id"],
        credentials["access_key_secret"],
        credentials["instance_name"],
        sts_token=os.environ.get("TABLESTORE_STS_TOKEN") or None,
    )
    prefix = f"memmark_test_{uuid.uuid4().hex[:12]}"

    async def factory(
        *, user_id: str = "default_user", session_id: str = "default_session"
    ) -> MemoryBase:
        return TablestoreMemory(
            user_id=user_id, session_id=session_id, table_name=prefix, client=client
        )

    try:
        yield factory
    finally:
        for name in await client.list_table():
            if name.startswith(f"{prefix}_"):
                await client.delete_table(name)
        await client.close()


@pytest.fixture
def tablestore_emulator_provider() -> Provider:
    return lambda: _open_emulated(native=True, **ADVERSARIAL)


@pytest.fixture
def tablestore_emulator_pure_provider() -> Provider:
    return lambda: _open_emulated(native=False)


@pytest.fixture
def tablestore_live_provider() -> Provider:
    return _open_live
