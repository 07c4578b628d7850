"""The driver-level ``add`` paths (SQLite one hop, MariaDB procedure, PostgreSQL statement).

They bypass SQLAlchemy's statement layer, so these check what it would otherwise guarantee:
the ownership check of the session row, idempotency with marks only on the rows inserted,
driver errors becoming memmark errors, and MariaDB's fallback when no procedure may be created.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator

import aiosqlite
import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from memmark import AsyncSQLAlchemyMemory, BackendError, Msg
from memmark.backends.sql import SCHEMA_VERSION, _mysql, _routines
from memmark.backends.sql._schema import tables
from memmark.store import SQLStore
from tests.providers.sql import fresh_prefix

DATABASES = [
    pytest.param("sqlite_url_for_test", id="sqlite"),
    pytest.param("postgres_url_for_test", id="postgres", marks=pytest.mark.postgres),
    pytest.param("postgres_psycopg_url_for_test", id="psycopg", marks=pytest.mark.postgres),
    pytest.param("mysql_url_for_test", id="mysql", marks=pytest.mark.mysql),
    pytest.param("mysql_aiomysql_url_for_test", id="aiomysql", marks=pytest.mark.mysql),
]


@pytest.fixture(params=DATABASES)
async def engine(request: pytest.FixtureRequest) -> AsyncIterator[AsyncEngine]:
    created = create_async_engine(str(request.getfixturevalue(request.param)))
    yield created
    await created.dispose()


@pytest.fixture(
    params=[
        pytest.param("mysql_url_for_test", id="procedure", marks=pytest.mark.mysql),
        pytest.param(
            "mysql_aiomysql_url_for_test", id="procedure_aiomysql", marks=pytest.mark.mysql
        ),
        pytest.param("mysql_statements_url_for_test", id="statements", marks=pytest.mark.mysql),
    ]
)
async def mariadb_engine(request: pytest.FixtureRequest) -> AsyncIterator[AsyncEngine]:
    """MariaDB through an account that may create the add procedure, and one that may not."""
    created = create_async_engine(str(request.getfixturevalue(request.param)))
    yield created
    await created.dispose()


def _message(msg_id: str) -> Msg:
    message = Msg("n", msg_id, "user")
    message.id = msg_id
    return message


async def test_add_refuses_a_session_row_holding_other_ids(engine: AsyncEngine) -> None:
    prefix = fresh_prefix()
    memory = AsyncSQLAlchemyMemory(engine, "s", "u", table_prefix=prefix)
    await memory.add(_message("first"))
    sessions = tables(prefix).sessions
    async with engine.begin() as conn:  # as if another pair of ids had the same digest
        await conn.execute(sa.update(sessions).values(user_id="someone else"))
    with pytest.raises(BackendError, match="collision"):
        await memory.add(_message("second"), marks="m")
    messages, marks = tables(prefix).messages, tables(prefix).marks
    async with engine.connect() as conn:
        assert await conn.scalar(sa.select(sa.func.count()).select_from(messages)) == 1
        assert await conn.scalar(sa.select(sa.func.count()).select_from(marks)) == 0


async def test_batch_marks_only_the_messages_it_stored(engine: AsyncEngine) -> None:
    memory = AsyncSQLAlchemyMemory(engine, "s", "u", table_prefix=fresh_prefix())
    await memory.add(_message("old"), marks="kept")
    await memory.add([_message("old"), _message("new"), _message("new")], marks=["a", "b"])
    await memory.add(_message("other"))
    assert [m.id for m in await memory.get_memory()] == ["old", "new", "other"]
    assert [m.id for m in await memory.get_memory(mark="a")] == ["new"]
    assert [m.id for m in await memory.get_memory(mark="kept")] == ["old"]


async def test_driver_errors_become_memmark_errors(engine: AsyncEngine) -> None:
    prefix = fresh_prefix()
    memory = AsyncSQLAlchemyMemory(engine, "s", "u", table_prefix=prefix)
    await memory.add(_message("first"), marks="m")
    async with engine.begin() as conn:
        await conn.execute(sa.text(f"DROP TABLE {tables(prefix).marks.name}"))
    with pytest.raises(BackendError) as raised:
        await memory.add(_message("second"), marks="m")
    assert isinstance(raised.value.__cause__, sa.exc.DBAPIError)


@pytest.mark.mysql
async def test_mariadb_add_runs_one_procedure(mysql_url_for_test: str) -> None:
    engine = create_async_engine(mysql_url_for_test)
    try:
        prefix = fresh_prefix()
        memory = AsyncSQLAlchemyMemory(engine, "s", "u", table_prefix=prefix)
        await memory.add(_message("first"), marks="m")
        async with engine.connect() as conn:
            if not _mysql.FAST_ADD.serves(conn.dialect, in_session=False):
                pytest.skip("needs asyncmy on MariaDB >= 10.6")
            routines = await conn.scalars(
                sa.text(
                    "SELECT routine_name FROM information_schema.routines "
                    "WHERE routine_schema = DATABASE() AND routine_name LIKE :prefix"
                ),
                {"prefix": f"{prefix}%"},
            )
            assert list(routines) == [f"{prefix}add_v{SCHEMA_VERSION}_4"]
    finally:
        await engine.dispose()


@pytest.mark.mysql
async def test_mariadb_account_without_create_routine_adds_by_statements(
    mysql_statements_url_for_test: str,
) -> None:
    engine = create_async_engine(mysql_statements_url_for_test)
    try:  # CREATE PROCEDURE is refused: add falls back instead of failing
        memory = AsyncSQLAlchemyMemory(engine, "s", "u", table_prefix=fresh_prefix())
        await memory.add([_message("a"), _message("b")], marks="m")
        await memory.add(_message("a"))
        assert [m.id for m in await memory.get_memory(mark="m")] == ["a", "b"]
    finally:
        await engine.dispose()


async def test_sqlite_add_after_its_driver_stopped_reconnects(sqlite_url_for_test: str) -> None:
    engine = create_async_engine(sqlite_url_for_test)
    try:
        memory = AsyncSQLAlchemyMemory(engine, "s", "u", table_prefix=fresh_prefix())
        await memory.add(_message("first"))
        async with engine.connect() as conn:  # its thread stops; the pool keeps it
            await (await conn.get_raw_connection()).driver_connection.close()
        await memory.add(_message("second"))  # the fast path reported the dead connection
        assert [m.id for m in await memory.get_memory()] == ["first", "second"]
    finally:
        await engine.dispose()


@pytest.mark.mysql
async def test_mariadb_add_after_a_dropped_connection_reconnects(mysql_url_for_test: str) -> None:
    engine = create_async_engine(mysql_url_for_test)
    try:
        memory = AsyncSQLAlchemyMemory(engine, "s", "u", table_prefix=fresh_prefix())
        await memory.add(_message("first"))
        async with engine.connect() as conn:
            victim = await conn.scalar(sa.text("SELECT CONNECTION_ID()"))
        killer = create_async_engine(mysql_url_for_test)
        try:  # the server drops the connection waiting in the pool
            async with killer.connect() as conn:
                await conn.execute(sa.text(f"KILL {int(victim)}"))
        finally:
            await killer.dispose()
        await memory.add(_message("second"))  # the procedure call reported the dead connection
        assert [m.id for m in await memory.get_memory()] == ["first", "second"]
    finally:
        await engine.dispose()


async def test_mariadb_add_of_stored_ids_leaves_no_driver_warnings(
    mariadb_engine: AsyncEngine, caplog: pytest.LogCaptureFixture
) -> None:
    prefix = fresh_prefix()
    memory = AsyncSQLAlchemyMemory(mariadb_engine, "s", "u", table_prefix=prefix)
    await memory.add(_message("a"), marks="m")
    again = AsyncSQLAlchemyMemory(mariadb_engine, "s", "u", table_prefix=prefix)
    _routines._created.clear()  # as a second process would, create the procedure again
    with caplog.at_level(logging.WARNING, logger="asyncmy"):
        await again.add(_message("a"), marks="m")  # one message, stored
        await again.add([_message("a"), _message("b")], marks="m")  # a batch, partly
        await again.add([_message("a"), _message("b")], marks="m")  # a batch, wholly
    assert [r.getMessage() for r in caplog.records if r.name.startswith("asyncmy")] == []
    assert [m.id for m in await memory.get_memory(mark="m")] == ["a", "b"]


async def test_store_engines_take_connections_back_without_a_rollback(
    sqlite_url_for_test: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    rollbacks = 0
    rollback = aiosqlite.Connection.rollback

    async def counted(self: aiosqlite.Connection) -> None:
        nonlocal rollbacks
        rollbacks += 1
        await rollback(self)

    monkeypatch.setattr(aiosqlite.Connection, "rollback", counted)

    async def rollbacks_per_add_and_read(store: SQLStore) -> int:
        nonlocal rollbacks
        memory = store.memory("u", fresh_prefix())
        await memory.add(_message("first"))  # tables exist, the connection is pooled
        rollbacks = 0
        await memory.add(_message("second"))
        await memory.get_memory()
        return rollbacks

    async with SQLStore(sqlite_url_for_test) as store:
        assert await rollbacks_per_add_and_read(store) == 0
    async with SQLStore(sqlite_url_for_test, pool_reset_on_return="rollback") as store:
        # the add committed and the read (a SELECT, which opens no SQLite transaction) ran on
        # the driver, so their connection goes back without a rollback that would only cost
        # a thread hop
        assert await rollbacks_per_add_and_read(store) == 0


@pytest.mark.mysql
async def test_mariadb_add_cancelled_while_waiting_leaves_the_pool_usable(
    mysql_url_for_test: str,
) -> None:
    engine = create_async_engine(mysql_url_for_test, pool_size=1, max_overflow=0, pool_timeout=5)
    blocker = create_async_engine(mysql_url_for_test)
    try:
        prefix = fresh_prefix()
        memory = AsyncSQLAlchemyMemory(engine, "s", "u", table_prefix=prefix)
        await memory.add(_message("first"), marks="m")
        sessions = tables(prefix).sessions.name
        async with blocker.connect() as holder, blocker.connect() as watcher:
            await holder.execute(sa.text(f"SELECT id FROM {sessions} FOR UPDATE"))
            blocked = asyncio.create_task(memory.add(_message("blocked"), marks="m"))
            waiting = sa.text(
                "SELECT count(*) FROM information_schema.processlist "
                "WHERE command = 'Query' AND info LIKE :table AND id <> CONNECTION_ID()"
            )
            deadline = asyncio.get_running_loop().time() + 30
            while not await watcher.scalar(waiting, {"table": f"%{sessions}%"}):
                # until the add's CALL waits on the session row's lock
                assert asyncio.get_running_loop().time() < deadline, "the add never arrived"
            blocked.cancel()
            with pytest.raises(asyncio.CancelledError):
                await blocked
            await holder.rollback()  # the lock is released; the CALL may still complete
        await memory.add(_message("after"), marks="m")  # on the one pooled connection
        stored = [m.id for m in await memory.get_memory(mark="m")]
        assert stored in (["first", "after"], ["first", "blocked", "after"])
    finally:
        await engine.dispose()
        await blocker.dispose()


async def test_mariadb_batch_bigger_than_one_packet_is_stored(
    mariadb_engine: AsyncEngine,
) -> None:
    # three 6 MB messages: 18 MB, over MariaDB's 16 MiB max_allowed_packet
    memory = AsyncSQLAlchemyMemory(mariadb_engine, "s", "u", table_prefix=fresh_prefix())
    big = [_message(msg_id) for msg_id in ("a", "b", "c")]
    for message in big:
        message.content = message.id * 6_000_000
    await memory.add(big, marks="m")
    assert await memory.get_memory(mark="m") == big
