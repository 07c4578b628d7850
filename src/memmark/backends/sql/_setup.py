"""Create the tables on first use, record and check the schema version.

Many processes may start at once on an empty database: each creates what is missing
(``checkfirst``); one that loses a race ("already exists", a lock) starts over and then finds
the tables. Setup runs once per engine and prefix in a process.
"""

from __future__ import annotations

import asyncio
import weakref
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import Engine
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from memmark._core import retrying
from memmark.backends.sql._schema import SCHEMA_VERSION, Tables
from memmark.errors import SchemaVersionError

__all__ = ["SQLITE_BUSY_TIMEOUT_MS", "enable_sqlite_wal", "ensure_schema"]

SQLITE_BUSY_TIMEOUT_MS = 30_000
"""How long a SQLite writer waits for another process's write lock before failing."""

_ATTEMPTS = 8
_RACE_ERRORS = (sa_exc.ProgrammingError, sa_exc.OperationalError, sa_exc.IntegrityError)
_ready: weakref.WeakKeyDictionary[Engine, set[str]] = weakref.WeakKeyDictionary()
_locks: weakref.WeakKeyDictionary[Engine, asyncio.Lock] = weakref.WeakKeyDictionary()


def _is_sqlite_file(engine: Engine) -> bool:
    database = engine.url.database
    return engine.dialect.name == "sqlite" and bool(database) and database != ":memory:"


def enable_sqlite_wal(engine: AsyncEngine) -> None:
    """Give every new connection of a SQLite file database WAL mode and a busy timeout.

    Only for engines memmark creates itself: WAL lets readers run beside one writer, and the
    busy timeout makes concurrent writers (other processes) wait instead of failing.
    """
    sync_engine = engine.sync_engine
    if not _is_sqlite_file(sync_engine):
        return

    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.close()

    event.listen(sync_engine, "connect", on_connect)


async def ensure_schema(engine: AsyncEngine, tables: Tables) -> None:
    """Create missing tables and check the schema version, once per engine and prefix.

    Raises:
        SchemaVersionError: the database holds another schema version under this prefix.
    """
    sync_engine = engine.sync_engine
    prefix = tables.version.name
    if prefix in _ready.get(sync_engine, ()):
        return
    lock = _locks.setdefault(sync_engine, asyncio.Lock())
    async with lock:
        if prefix in _ready.get(sync_engine, ()):
            return

        async def create() -> int:
            async with engine.begin() as conn:
                return await _create(conn, tables)

        version = await retrying(
            create,  # a loser of a race with another process creating them starts over
            is_retryable=lambda exc: isinstance(exc, _RACE_ERRORS),
            attempts=_ATTEMPTS,
            base_delay=0.05,
        )
        if version != SCHEMA_VERSION:
            raise SchemaVersionError(
                f"tables {tables.sessions.name!r} etc. have schema version {version}; this "
                f"memmark uses version {SCHEMA_VERSION}"
                + (", upgrade memmark" if version > SCHEMA_VERSION else "")
            )
        _ready.setdefault(sync_engine, set()).add(prefix)


async def _create(conn: AsyncConnection, tables: Tables) -> int:
    await conn.run_sync(tables.metadata.create_all, checkfirst=True)
    row = (
        await conn.execute(
            sa.select(tables.version.c.version).where(tables.version.c.singleton == 1)
        )
    ).first()
    if row is not None:
        return int(row[0])
    await conn.execute(sa.insert(tables.version).values(singleton=1, version=SCHEMA_VERSION))
    return SCHEMA_VERSION
