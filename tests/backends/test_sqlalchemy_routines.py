"""``pop``, ``rewind``, ``compress`` and ``fork`` as database routines, and without them.

Where memmark may create routines (PostgreSQL functions, MariaDB procedures) each of these
writes is one call; an account that may not falls back to sending the statements. The
conformance suite runs the routines (and MariaDB's statements); these check the two paths
give the same results on both databases, that the routines are where the path says, and
that the errors a routine raises come back as memmark's.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from memmark import AsyncSQLAlchemyMemory, BackendError, ConflictError, Msg
from memmark.backends.sql import _routines
from memmark.backends.sql._routines import routine_names
from memmark.backends.sql._schema import tables
from tests.providers.sql import fresh_prefix


@dataclass
class Database:
    """An engine on a test database, the administrator's one, and whether routines serve."""

    engine: AsyncEngine
    admin: AsyncEngine
    routines: bool


ACCOUNTS = [
    pytest.param(
        ("postgres_url_for_test", "postgres_url_for_test", True),
        id="postgres-routines",
        marks=pytest.mark.postgres,
    ),
    pytest.param(
        ("postgres_statements_url_for_test", "postgres_url_for_test", False),
        id="postgres-statements",
        marks=pytest.mark.postgres,
    ),
    pytest.param(
        ("mysql_url_for_test", "mysql_url_for_test", True),
        id="mysql-routines",
        marks=pytest.mark.mysql,
    ),
    pytest.param(
        ("mysql_aiomysql_url_for_test", "mysql_url_for_test", True),
        id="aiomysql-routines",
        marks=pytest.mark.mysql,
    ),
    pytest.param(
        ("mysql_statements_url_for_test", "mysql_url_for_test", False),
        id="mysql-statements",
        marks=pytest.mark.mysql,
    ),
]


@pytest.fixture(params=ACCOUNTS)
async def database(request: pytest.FixtureRequest) -> AsyncIterator[Database]:
    url, admin_url, routines = request.param
    engine = create_async_engine(str(request.getfixturevalue(url)))
    admin = create_async_engine(str(request.getfixturevalue(admin_url)))
    yield Database(engine, admin, routines)
    await engine.dispose()
    await admin.dispose()


def _message(msg_id: str) -> Msg:
    message = Msg("n", f"text of {msg_id}", "user")
    message.id = msg_id
    return message


async def _memory(database: Database, prefix: str, session: str = "s") -> AsyncSQLAlchemyMemory:
    """A memory on ``prefix``, whose tables the administrator creates (a role that may
    create nothing cannot)."""
    await AsyncSQLAlchemyMemory(database.admin, "u", session, table_prefix=prefix).version()
    return AsyncSQLAlchemyMemory(database.engine, "u", session, table_prefix=prefix)


async def _routines_of(admin: AsyncEngine, prefix: str) -> set[str]:
    async with admin.connect() as conn:
        if conn.dialect.name == "postgresql":
            listing = "SELECT proname FROM pg_proc WHERE proname LIKE :names"
        else:
            listing = (
                "SELECT routine_name FROM information_schema.routines "
                "WHERE routine_schema = DATABASE() AND routine_name LIKE :names"
            )
        names = await conn.scalars(sa.text(listing), {"names": f"{prefix}%"})
        return set(names)


async def test_each_path_gives_the_same_results(database: Database) -> None:
    prefix = fresh_prefix()
    memory = await _memory(database, prefix)
    await memory.add(_message("a"), marks="x")
    await memory.add(_message("b"), marks=["x", "y"])
    await memory.add([_message("c"), _message("d")])
    await memory.add(_message("e"), marks=["z", "y"])

    popped = await memory.pop()
    assert popped is not None and (popped.id, popped.content) == ("e", "text of e")
    assert await memory.rewind("d") == 1
    assert await memory.rewind("unknown") == 0
    assert await memory.compress("first summary", ["a", "b"], mark="x") == 0  # both hold it
    assert await memory.compress("first summary", ["a", "unknown"], mark="old") == 1
    assert await memory.compress("second summary", ["c"], mark=None) == 1
    assert [m.id for m in await memory.get_memory(prepend_summary=False)] == ["a", "b"]
    assert [m.id for m in await memory.get_memory(mark="old", prepend_summary=False)] == ["a"]

    fork = await memory.fork("f", upto="a")
    assert [m.id for m in await fork.get_memory(prepend_summary=False)] == ["a"]
    assert [m.id for m in await fork.get_memory(mark="x", prepend_summary=False)] == ["a"]
    assert (await fork.get_memory())[0].content == "second summary"
    with pytest.raises(ValueError, match="already holds"):
        await memory.fork("f")
    with pytest.raises(ValueError, match="not a message"):
        await memory.fork("g", upto="c")

    last = await memory.pop()
    assert last is not None and last.id == "b"
    version = await memory.version()
    assert version > 0
    with pytest.raises(ConflictError) as conflict:
        await memory.pop(expected_version=version - 1)
    assert (conflict.value.expected, conflict.value.current) == (version - 1, version)
    assert [m.id for m in await memory.get_memory(prepend_summary=False)] == ["a"]
    assert await memory.pop(expected_version=version) is not None
    assert await memory.pop() is None

    lifecycle = set(routine_names(tables(prefix)).values())
    created = await _routines_of(database.admin, prefix) & lifecycle  # MariaDB's add has one too
    assert created == (lifecycle if database.routines else set())


async def test_a_session_row_holding_other_ids_is_refused(database: Database) -> None:
    prefix = fresh_prefix()
    memory = await _memory(database, prefix)
    await memory.add([_message("a"), _message("b")], marks="x")
    async with database.admin.begin() as conn:  # as if another pair of ids had the same digest
        await conn.execute(sa.update(tables(prefix).sessions).values(user_id="someone else"))
    for write in (
        memory.pop(),
        memory.rewind("a"),
        memory.compress("summary", ["a"], mark=None),
        memory.fork("f"),
    ):
        with pytest.raises(BackendError, match="collision"):
            await write
    messages = tables(prefix).messages
    async with database.admin.connect() as conn:
        assert await conn.scalar(sa.select(sa.func.count()).select_from(messages)) == 2


async def test_routines_leave_no_driver_warnings(
    database: Database, caplog: pytest.LogCaptureFixture
) -> None:
    """asyncmy fetches a statement's warnings in another round trip and logs them."""
    prefix = fresh_prefix()
    memory = await _memory(database, prefix)
    _routines._created.clear()  # as a second process would, create the routines again
    with caplog.at_level(logging.WARNING, logger="asyncmy"):
        assert await memory.pop() is None  # no session row: reads of no row
        assert await memory.rewind("unknown") == 0
        await memory.add([_message("a"), _message("b")], marks="m")
        assert await memory.rewind("unknown") == 0
        assert await memory.compress("summary", ["a"], mark="n") == 1
        await memory.fork("f")
        await memory.fork("g", upto="a")
        popped = await memory.pop()
    assert [r.getMessage() for r in caplog.records if r.name.startswith("asyncmy")] == []
    assert popped is not None and popped.id == "b"
