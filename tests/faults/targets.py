"""Where a fault test's memories live: a picklable description that any process can open.

A :class:`Target` names a backend kind, its server URL and a prefix private to one test, so
writer processes started with ``spawn`` open memories on the same storage as the test.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from memmark.memory import MemoryBase

SQL_KINDS = ("postgres", "mysql", "sqlite")


@dataclass(frozen=True)
class Target:
    """One backend's storage for one test."""

    kind: str
    """``postgres``, ``mysql``, ``sqlite`` or ``redis``."""
    url: str
    """SQLAlchemy URL (SQL kinds) or ``redis://`` URL."""
    prefix: str = field(default_factory=lambda: f"mmf_{uuid.uuid4().hex[:10]}_")
    """Table prefix or key prefix private to the test."""
    engine_options: tuple[tuple[str, Any], ...] = ()
    """Extra ``create_async_engine`` options, e.g. ``(("pool_pre_ping", True),)``."""

    @property
    def is_sql(self) -> bool:
        """Whether the target is a SQLAlchemy backend."""
        return self.kind in SQL_KINDS


def make_engine(target: Target) -> Any:
    """A new ``AsyncEngine`` for a SQL target (SQLite files in WAL mode, as recommended)."""
    from sqlalchemy import event
    from sqlalchemy.ext.asyncio import create_async_engine

    engine = create_async_engine(target.url, **dict(target.engine_options))
    if target.kind == "sqlite":

        @event.listens_for(engine.sync_engine, "connect")
        def _wal(dbapi_connection: Any, _record: Any) -> None:
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode = WAL")
            cursor.execute("PRAGMA busy_timeout = 30000")
            cursor.close()

    return engine


@asynccontextmanager
async def opened(
    target: Target, *, user_id: str = "faults", session_id: str = "shared", engine: Any = None
) -> AsyncIterator[MemoryBase]:
    """Open a memory on ``target``; its engine or client is disposed on exit.

    Args:
        target: Where the memory lives.
        user_id: The user.
        session_id: The session.
        engine: An ``AsyncEngine`` to use instead of a new one (SQL targets; not disposed).
    """
    if target.is_sql:
        from memmark.memory import AsyncSQLAlchemyMemory  # type: ignore[attr-defined]

        own = engine is None
        engine = make_engine(target) if own else engine
        memory = AsyncSQLAlchemyMemory(
            engine, user_id=user_id, session_id=session_id, table_prefix=target.prefix
        )
        try:
            yield memory
        finally:
            await memory.close()
            if own:
                await engine.dispose()
        return
    from memmark.memory import RedisMemory  # type: ignore[attr-defined]

    memory = RedisMemory(
        user_id=user_id,
        session_id=session_id,
        url=target.url,
        key_prefix=target.prefix,
        socket_timeout=5,
        socket_connect_timeout=5,
    )
    try:
        yield memory
    finally:
        await memory.close()
