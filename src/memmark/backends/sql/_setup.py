"""Create the tables on first use, record and check the schema version, migrate older ones.

Many processes may start at once on an empty database: each creates what is missing
(``checkfirst``); one that loses a race ("already exists", a lock) starts over and then finds
the tables. Setup runs once per engine and prefix in a process.

Tables of an older schema version are migrated in place, one step per version, each step
idempotent (it checks what already exists), so processes racing to migrate, or one that
died half way on a database whose DDL is not transactional, converge:

* 1 -> 2: add ``sessions.changes`` (BIGINT NOT NULL DEFAULT 0), and re-derive the
  ``session_key`` of sessions whose ids hold non-ASCII characters (release 1 hashed the ids'
  JSON in UTF-8; :func:`memmark._core.session_key` hashes it ASCII-escaped).
* 2 -> 3: add ``messages.stored_at`` (BIGINT NOT NULL, defaulting to the database's now in
  milliseconds, :class:`~memmark.backends.sql._schema.StorageNowMs`). Messages stored before
  get the time of the migration: retention counts their age from the upgrade. SQLite cannot
  add a column with such a default: there the table is copied into a new one, swapped in
  in one transaction.
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

from memmark._core import retrying, session_key
from memmark.backends.sql._schema import SCHEMA_VERSION, StorageNowMs, Tables
from memmark.errors import SchemaVersionError

__all__ = ["SQLITE_BUSY_TIMEOUT_MS", "enable_sqlite_wal", "ensure_schema"]

_REKEY_PAGE_ROWS = 1000

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
    if row is None:
        await conn.execute(sa.insert(tables.version).values(singleton=1, version=SCHEMA_VERSION))
        return SCHEMA_VERSION
    version = int(row[0])
    if version == 1:
        await _add_changes_column(conn, tables)
        await _rekey_non_ascii_sessions(conn, tables)
        version = await _record_version(conn, tables, 1, 2)
    if version == 2:
        await _add_stored_at_column(conn, tables)
        version = await _record_version(conn, tables, 2, 3)
    return version


async def _record_version(conn: AsyncConnection, tables: Tables, done: int, reached: int) -> int:
    """Record that the schema went from ``done`` to ``reached``; return ``reached``."""
    await conn.execute(
        sa.update(tables.version)
        .where(tables.version.c.singleton == 1, tables.version.c.version == done)
        .values(version=reached)
    )
    return reached


async def _add_stored_at_column(conn: AsyncConnection, tables: Tables) -> None:
    """Migration 2 -> 3: every message's stored-at time, the migration's for existing ones."""
    messages = tables.messages.name

    def has_stored_at(sync_conn: Any) -> bool:
        columns = sa.inspect(sync_conn).get_columns(messages)
        return any(column["name"] == "stored_at" for column in columns)

    if await conn.run_sync(has_stored_at):
        return
    now = StorageNowMs().compile(dialect=conn.dialect)
    if conn.dialect.name != "sqlite":
        await conn.execute(
            sa.text(f"ALTER TABLE {messages} ADD COLUMN stored_at BIGINT NOT NULL DEFAULT {now}")
        )
        return
    # pysqlite runs DDL outside a transaction until a DML statement opened one: the new
    # table is built beside the old one, and the swap comes after the INSERT that opens it.
    building = f"{messages}_v3"
    await conn.execute(sa.text(f"DROP TABLE IF EXISTS {building}"))  # an interrupted try
    await conn.run_sync(tables.messages.to_metadata(sa.MetaData(), name=building).create)
    await conn.execute(
        sa.text(
            f"INSERT INTO {building} (session_ref, seq, msg_id, payload, stored_at) "
            f"SELECT session_ref, seq, msg_id, payload, {now} FROM {messages}"
        )
    )
    await conn.execute(sa.text(f"DROP TABLE {messages}"))
    await conn.execute(sa.text(f"ALTER TABLE {building} RENAME TO {messages}"))


async def _rekey_non_ascii_sessions(conn: AsyncConnection, tables: Tables) -> None:
    """Migration 1 -> 2: give sessions with non-ASCII ids the key of today's ``session_key``.

    Only such sessions' keys changed; the others hash to the same text. Reads the sessions
    a page at a time, so the cost is one pass over the table, once.
    """
    s = tables.sessions
    after = -1
    while True:
        page = (
            await conn.execute(
                sa.select(s.c.id, s.c.user_id, s.c.session_id)
                .where(s.c.id > after)
                .order_by(s.c.id)
                .limit(_REKEY_PAGE_ROWS)
            )
        ).all()
        if not page:
            return
        for ref, user_id, session_id in page:
            if not (user_id.isascii() and session_id.isascii()):
                await conn.execute(
                    sa.update(s)
                    .where(s.c.id == ref)
                    .values(session_key=session_key(user_id, session_id))
                )
        after = page[-1][0]


async def _add_changes_column(conn: AsyncConnection, tables: Tables) -> None:
    """Migration 1 -> 2: the ``changes`` counter of every session, 0 for existing ones."""
    sessions = tables.sessions.name

    def has_changes(sync_conn: Any) -> bool:
        columns = sa.inspect(sync_conn).get_columns(sessions)
        return any(column["name"] == "changes" for column in columns)

    if not await conn.run_sync(has_changes):
        await conn.execute(
            sa.text(f"ALTER TABLE {sessions} ADD COLUMN changes BIGINT NOT NULL DEFAULT 0")
        )
