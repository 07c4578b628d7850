"""Providers for :class:`AsyncSQLAlchemyMemory` on SQLite, PostgreSQL and MariaDB/MySQL.

Each server gets one private database per test run (``memmark_t_<random>``), created on first
use and dropped at the end. Each test gets its own engine (engines are bound to the event
loop of the test) and a table prefix no other running test uses, whose tables are empty, so
tests never see each other's rows.
"""

from __future__ import annotations

import asyncio
import uuid
from collections import defaultdict
from collections.abc import AsyncIterator, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, create_async_engine

from memmark.backends.sql._schema import tables
from memmark.memory import AsyncSQLAlchemyMemory, MemoryBase
from memmark.store import SQLStore
from tests.registry import MemoryFactory, Provider
from tests.servers import port_open, require_server

PG_HOST, PG_PORT = "127.0.0.1", 5432
MYSQL_HOST, MYSQL_PORT = "127.0.0.1", 3306


def postgres_url(database: str, driver: str = "asyncpg", user: str = "postgres") -> str:
    return f"postgresql+{driver}://{user}@{PG_HOST}:{PG_PORT}/{database}"


def mysql_url(database: str, user: str = "root", driver: str = "asyncmy") -> str:
    return f"mysql+{driver}://{user}@{MYSQL_HOST}:{MYSQL_PORT}/{database}?charset=utf8mb4"


def fresh_prefix() -> str:
    return f"t{uuid.uuid4().hex[:10]}_"


class _EmptiedPrefixes:
    """Table prefixes whose tables exist and hold no row, handed from one test to the next.

    Creating memmark's tables (and MariaDB's procedure) costs a provider 50-150 ms, more than
    most tests take; deleting a test's rows costs a few. A prefix is handed on only after every
    row of it is deleted, so each test still starts on empty storage of its own.
    """

    def __init__(self) -> None:
        self._free: defaultdict[str, list[str]] = defaultdict(list)

    def take(self, url: str) -> str:
        """An emptied prefix of the database at ``url``, or a fresh one."""
        free = self._free[url]
        return free.pop() if free else fresh_prefix()

    async def give_back(self, engine: AsyncEngine, url: str, prefix: str) -> None:
        """Delete every row of ``prefix``; hand it on unless that fails (it had no tables)."""
        t = tables(prefix)
        try:
            async with engine.begin() as conn:
                for table in (t.marks, t.messages, t.sessions):
                    await conn.execute(table.delete())
        except SQLAlchemyError:
            return
        self._free[url].append(prefix)


_emptied = _EmptiedPrefixes()


async def _postgres_admin(statement: str, database: str = "postgres") -> None:
    import asyncpg

    conn = await asyncpg.connect(host=PG_HOST, port=PG_PORT, user="postgres", database=database)
    try:
        await conn.execute(statement)
    finally:
        await conn.close()


async def _mysql_admin(statement: str) -> None:
    from asyncmy import connect

    conn = await connect(host=MYSQL_HOST, port=MYSQL_PORT, user="root")
    try:
        async with conn.cursor() as cursor:
            await cursor.execute(statement)
    finally:
        conn.close()


def _admin(kind: str, statement: str, database: str = "") -> None:
    """Run one statement on the server (in ``database`` on PostgreSQL), in a thread: the
    caller may be inside an event loop."""
    if kind == "postgres":
        work = _postgres_admin(statement, database or "postgres")
    else:
        work = _mysql_admin(statement)
    with ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, work).result()


class _ServerDatabase:
    """A database on a shared server, created on first use and dropped at the end of the run."""

    def __init__(self, name: str, host: str, port: int, kind: str) -> None:
        self.name, self.host, self.port, self.kind = name, host, port, kind
        self.database: str | None = None
        self.user_without_routines: str | None = None

    def require(self) -> str:
        require_server(self.name, self.host, self.port)
        if self.database is None:
            database = f"memmark_t_{uuid.uuid4().hex[:12]}"
            if self.kind == "postgres":
                _admin(self.kind, f'CREATE DATABASE "{database}"')
            else:
                _admin(self.kind, f"CREATE DATABASE `{database}` CHARACTER SET utf8mb4")
            self.database = database
        return self.database

    def require_user_without_routines(self) -> str:
        """An account that may read and write the database's tables but create no routine.

        On MariaDB it may create tables but has no CREATE ROUTINE. On PostgreSQL, whose
        CREATE on a schema covers tables and functions alike, it may create nothing: it
        reads and writes the tables the administrator creates (a default privilege).
        """
        database = self.require()
        if self.user_without_routines is None:
            user = f"memmark_t_{uuid.uuid4().hex[:12]}"
            if self.kind == "postgres":
                _admin(self.kind, f'CREATE ROLE "{user}" LOGIN')
                for grant in ("SELECT, INSERT, UPDATE, DELETE ON TABLES", "USAGE ON SEQUENCES"):
                    _admin(
                        self.kind,
                        f'ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT {grant} TO "{user}"',
                        database,
                    )
            else:
                _admin(self.kind, f"CREATE USER '{user}'@'%'")
                _admin(
                    self.kind,
                    "GRANT SELECT, INSERT, UPDATE, DELETE, CREATE, DROP, INDEX, ALTER "
                    f"ON `{database}`.* TO '{user}'@'%'",
                )
            self.user_without_routines = user
        return self.user_without_routines

    def drop(self) -> None:
        """Drop the database, then the account (a PostgreSQL role with privileges in a
        database cannot be dropped before it)."""
        if self.database is not None:
            if self.kind == "postgres":
                _admin(self.kind, f'DROP DATABASE IF EXISTS "{self.database}" WITH (FORCE)')
            else:
                _admin(self.kind, f"DROP DATABASE IF EXISTS `{self.database}`")
        if self.user_without_routines is None:
            return
        if self.kind == "postgres":
            _admin(self.kind, f'DROP ROLE IF EXISTS "{self.user_without_routines}"')
        else:
            _admin(self.kind, f"DROP USER IF EXISTS '{self.user_without_routines}'@'%'")


@pytest.fixture(scope="session")
def postgres_database() -> Iterator[_ServerDatabase]:
    database = _ServerDatabase("PostgreSQL", PG_HOST, PG_PORT, "postgres")
    yield database
    if port_open(PG_HOST, PG_PORT):
        database.drop()


@pytest.fixture(scope="session")
def mysql_database() -> Iterator[_ServerDatabase]:
    database = _ServerDatabase("MariaDB", MYSQL_HOST, MYSQL_PORT, "mysql")
    yield database
    if port_open(MYSQL_HOST, MYSQL_PORT):
        database.drop()


def _provider(url: str) -> Provider:
    """Memories on an engine ``SQLStore`` creates, tuned as ``memmark.connect`` gives it.

    Its pool takes connections back without a rollback, so a transaction memmark left open
    would show.
    """

    @asynccontextmanager
    async def open_storage() -> AsyncIterator[MemoryFactory]:
        prefix = _emptied.take(url)
        store = SQLStore(url, table_prefix=prefix)
        memories: list[MemoryBase] = []

        async def factory(
            *, user_id: str = "default_user", session_id: str = "default_session"
        ) -> MemoryBase:
            memory = store.memory(user_id, session_id)
            memories.append(memory)
            return memory

        try:
            yield factory
        finally:
            for memory in memories:
                await memory.close()
            await _emptied.give_back(store.engine, url, prefix)
            await store.close()

    return open_storage


def _session_provider(url: str) -> Provider:
    """Memories in the caller's ``AsyncSession``, on an engine made as the tutorial makes it.

    The engine is ``create_async_engine(url)`` (default pool, rollback on return). Every
    memory of a test works in one ``AsyncSession``, one transaction the caller commits at
    the end: memory objects share it as a request handler's memories would, so they see
    each other's writes and take turns on it.
    """

    @asynccontextmanager
    async def open_storage() -> AsyncIterator[MemoryFactory]:
        engine = create_async_engine(url)
        session = AsyncSession(engine)
        prefix = _emptied.take(url)
        memories: list[MemoryBase] = []

        async def factory(
            *, user_id: str = "default_user", session_id: str = "default_session"
        ) -> MemoryBase:
            memory = AsyncSQLAlchemyMemory(
                session, user_id=user_id, session_id=session_id, table_prefix=prefix
            )
            memories.append(memory)
            return memory

        try:
            yield factory
            await session.commit()
        finally:
            for memory in memories:
                await memory.close()
            await session.close()
            await _emptied.give_back(engine, url, prefix)
            await engine.dispose()

    return open_storage


# One URL fixture per (database, driver) pair; each pair runs in both modes.
@pytest.fixture
def sqlite_url_for_test(tmp_path: Path) -> str:
    return f"sqlite+aiosqlite:///{tmp_path / 'memmark.db'}"


@pytest.fixture(scope="session")
def sqlite_shared_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    """One SQLite file for the providers: a test's prefix, not its file, keeps it apart."""
    return f"sqlite+aiosqlite:///{tmp_path_factory.mktemp('sqlite') / 'memmark.db'}"


@pytest.fixture
def postgres_url_for_test(postgres_database: _ServerDatabase) -> str:
    return postgres_url(postgres_database.require())


@pytest.fixture
def postgres_psycopg_url_for_test(postgres_database: _ServerDatabase) -> str:
    return postgres_url(postgres_database.require(), driver="psycopg")


@pytest.fixture
def mysql_url_for_test(mysql_database: _ServerDatabase) -> str:
    return mysql_url(mysql_database.require())


@pytest.fixture
def mysql_aiomysql_url_for_test(mysql_database: _ServerDatabase) -> str:
    return mysql_url(mysql_database.require(), driver="aiomysql")


@pytest.fixture
def postgres_statements_url_for_test(postgres_database: _ServerDatabase) -> str:
    """PostgreSQL through a role that may create nothing (neither tables nor functions).

    The tables it uses must exist: create them through an administrator's engine first.
    """
    user = postgres_database.require_user_without_routines()
    return postgres_url(postgres_database.require(), user=user)


@pytest.fixture
def mysql_statements_url_for_test(mysql_database: _ServerDatabase) -> str:
    """MariaDB through an account without CREATE ROUTINE: ``add`` takes plain statements."""
    user = mysql_database.require_user_without_routines()
    return mysql_url(mysql_database.require(), user)


def _engine_and_session_providers(pair: str, url_fixture: str = "") -> tuple[Any, Any]:
    """The two provider fixtures of a pair: ``<pair>_provider``, ``<pair>_session_provider``.

    The database is the one ``url_fixture`` names (``<pair>_url_for_test`` by default).
    """
    url_fixture = url_fixture or f"{pair}_url_for_test"

    def engine_mode(request: pytest.FixtureRequest) -> Provider:
        return _provider(str(request.getfixturevalue(url_fixture)))

    def session_mode(request: pytest.FixtureRequest) -> Provider:
        return _session_provider(str(request.getfixturevalue(url_fixture)))

    return (
        pytest.fixture(name=f"{pair}_provider")(engine_mode),
        pytest.fixture(name=f"{pair}_session_provider")(session_mode),
    )


sqlite_provider, sqlite_session_provider = _engine_and_session_providers(
    "sqlite", "sqlite_shared_url"
)
postgres_provider, postgres_session_provider = _engine_and_session_providers("postgres")
postgres_psycopg_provider, postgres_psycopg_session_provider = _engine_and_session_providers(
    "postgres_psycopg"
)
mysql_provider, mysql_session_provider = _engine_and_session_providers("mysql")
mysql_aiomysql_provider, mysql_aiomysql_session_provider = _engine_and_session_providers(
    "mysql_aiomysql"
)
mysql_statements_provider = _engine_and_session_providers("mysql_statements")[0]


@pytest.fixture(
    params=[
        pytest.param("sqlite_url_for_test", id="sqlite"),
        pytest.param("postgres_url_for_test", id="postgres", marks=pytest.mark.postgres),
        pytest.param("mysql_url_for_test", id="mysql", marks=pytest.mark.mysql),
    ]
)
def sql_url(request: pytest.FixtureRequest) -> str:
    """URL of a private database of this test, on each of SQLite, PostgreSQL and MariaDB."""
    return str(request.getfixturevalue(request.param))
