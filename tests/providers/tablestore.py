"""Providers for :class:`TablestoreMemory`: over the in-process fake, and over a live instance.

``tablestore_fake`` gives each test a fresh :class:`FakeTablestoreClient`. ``tablestore_live``
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
from tests.fakes.tablestore import FakeTablestoreClient
from tests.providers.tablestore_env import NO_CREDENTIALS, live_credentials
from tests.registry import MemoryFactory, Provider


@asynccontextmanager
async def _open_fake() -> AsyncIterator[MemoryFactory]:
    client = FakeTablestoreClient()
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
def tablestore_fake_provider() -> Provider:
    return _open_fake


@pytest.fixture
def tablestore_live_provider() -> Provider:
    return _open_live
