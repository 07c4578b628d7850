"""Provider for :class:`InMemoryMemory`: each memory object is its own storage."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest

from memmark.memory import InMemoryMemory, MemoryBase
from tests.registry import MemoryFactory, Provider


@asynccontextmanager
async def _open() -> AsyncIterator[MemoryFactory]:
    async def factory(
        *, user_id: str = "default_user", session_id: str = "default_session"
    ) -> MemoryBase:
        return InMemoryMemory(user_id=user_id, session_id=session_id)

    yield factory


@pytest.fixture
def inmemory_provider() -> Provider:
    return _open
