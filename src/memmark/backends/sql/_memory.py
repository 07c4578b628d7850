"""``AsyncSQLAlchemyMemory``: memory in SQLite, PostgreSQL or MySQL/MariaDB via SQLAlchemy.

Usage::

    engine = create_async_engine("sqlite+aiosqlite:///./memory.db")
    async with AsyncSQLAlchemyMemory(engine, user_id="u1", session_id="s1") as memory:
        await memory.add(Msg("Alice", "Hi", "user"), marks="greeting")
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import TypeVar

from sqlalchemy import exc as sa_exc
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession

from memmark._core import MemoryBase, Snapshot, StoredMessage, retrying
from memmark.backends.sql import _mysql as mysql
from memmark.backends.sql import _queries as q
from memmark.backends.sql import _sqlite as sqlite
from memmark.backends.sql._driver import DriverAdd, on_driver
from memmark.backends.sql._errors import is_retryable, map_errors
from memmark.backends.sql._postgres import add_in_one_statement
from memmark.backends.sql._schema import check_prefix, session_key, tables
from memmark.backends.sql._setup import ensure_schema

__all__ = ["AsyncSQLAlchemyMemory"]

T = TypeVar("T")
Work = Callable[[AsyncConnection], Awaitable[T]]

MYSQL_MAX_PAYLOAD_BYTES = 8_000_000
"""Largest message on MySQL/MariaDB: a statement must fit the server's ``max_allowed_packet``
(16 MiB by default) and SQL escaping can double a payload, so half of it, with room to spare."""
_ATTEMPTS = 6
"""How often a transaction that hit a deadlock or a busy database is tried in engine mode."""


class AsyncSQLAlchemyMemory(MemoryBase):
    """Memory of one user's session in a SQL database (SQLite, PostgreSQL, MySQL/MariaDB).

    With an ``AsyncEngine`` each call is one short transaction that memmark commits (repeated
    on a deadlock or a busy SQLite database). With the caller's ``AsyncSession`` each call
    runs inside the caller's transaction (in a SAVEPOINT where the database supports one),
    and the caller commits or rolls back: memmark never commits or closes that session.

    Tables are created on first use under ``table_prefix`` and carry a schema version.
    Writers of one session are serialised by a lock on the session's row in the database, so
    several processes may write the same session at once. An ``add`` is one round trip on
    PostgreSQL (one statement) and, in engine mode, on MariaDB >= 10.6 with asyncmy (one
    ``CALL`` of a procedure memmark creates beside its tables, if the account may) and one
    hop to aiosqlite's thread on SQLite; these paths run beneath SQLAlchemy's statement
    layer, so its statement events and echo do not see them.

    SQLite: every write transaction starts with a write (the session-row upsert), so it takes
    the database's write lock at once and concurrent writers queue on the busy timeout
    instead of failing. For several processes on one file, put the database in WAL mode
    (``SQLStore`` does it, with a 30 s busy timeout, for the engines it creates; an engine you
    pass in is left as you configured it). ``:memory:`` databases suit one coroutine at a time.
    """

    def __init__(
        self,
        engine_or_session: AsyncEngine | AsyncSession,
        user_id: str = "default_user",
        session_id: str = "default_session",
        *,
        table_prefix: str = "memmark_",
    ) -> None:
        """Bind the memory to one user's session on an engine or on the caller's session.

        Args:
            engine_or_session: An ``AsyncEngine`` (memmark opens and commits short
                transactions) or an ``AsyncSession`` (memmark works in its transaction).
            user_id: The user the session belongs to.
            session_id: The session, unique per user.
            table_prefix: Prefix of memmark's table names, so they never clash with yours.

        Raises:
            TypeError: ``engine_or_session`` is neither, or an argument has a wrong type.
            ValueError: an id or the prefix is malformed.
        """
        super().__init__(user_id=user_id, session_id=session_id)
        self._tables = tables(check_prefix(table_prefix))
        self._who = q.Identity(self.user_id, self.session_id, session_key(user_id, session_id))
        self._session: AsyncSession | None = None
        if isinstance(engine_or_session, AsyncEngine):
            self._engine = engine_or_session
        elif isinstance(engine_or_session, AsyncSession):
            self._session = engine_or_session
            self._engine = _engine_of(engine_or_session)
        else:
            raise TypeError(
                "engine_or_session must be an AsyncEngine or AsyncSession, got "
                f"{type(engine_or_session).__name__}"
            )
        self._session_lock = asyncio.Lock()
        self._savepoints = self._engine.dialect.name != "sqlite"
        if self._engine.dialect.name in ("mysql", "mariadb"):
            self.max_payload_bytes = MYSQL_MAX_PAYLOAD_BYTES

    def _stored_summary_bytes(self, summary: str) -> int:
        # Stored as ASCII JSON: escapes count (a control character takes 6 bytes), quotes not.
        return len(q.encode_summary(summary)) - 2 if summary else 0

    @property
    def engine(self) -> AsyncEngine:
        """The engine the memory runs on (the caller's; memmark never disposes it)."""
        return self._engine

    async def _run(self, what: str, work: Work[T], *, one_statement: bool = False) -> T:
        """Run ``work`` in one transaction, on the engine or in the caller's session.

        In engine mode ``one_statement`` work runs in autocommit mode (atomic on its own: no
        BEGIN / COMMIT round trips).
        """
        with map_errors(what):
            await ensure_schema(self._engine, self._tables)
            if self._session is not None:
                return await self._run_in_session(self._session, work)
            committing = False

            async def attempt() -> T:
                nonlocal committing
                committing = False
                async with self._engine.connect() as conn:
                    if one_statement:
                        conn = await conn.execution_options(isolation_level="AUTOCOMMIT")
                        return await work(conn)
                    async with conn.begin():
                        result = await work(conn)
                        committing = True
                    return result

            return await _with_retries(attempt, lambda: not committing)

    async def _run_in_session(self, session: AsyncSession, work: Work[T]) -> T:
        # SQLite's Python driver cannot nest a SAVEPOINT in its implicit transaction without
        # committing it, so there memmark works straight in the caller's transaction.
        async with self._session_lock:
            if not self._savepoints:
                return await work(await session.connection())
            async with session.begin_nested():
                return await work(await session.connection())

    async def _insert(self, records: Sequence[StoredMessage]) -> None:
        if self._engine.dialect.name == "postgresql" and _same_marks(records):

            async def one_statement(conn: AsyncConnection) -> None:
                await add_in_one_statement(conn, self._tables, self._who, records)

            await self._run("add", one_statement, one_statement=True)
            return

        if self._session is None and await self._add_on_driver(records):
            return

        async def work(conn: AsyncConnection) -> None:
            locked = await q.lock_session(
                conn, self._tables, self._who, create=True, allocate=len(records)
            )
            assert locked is not None
            ref, first = locked
            inserted = await q.insert_messages(conn, self._tables, ref, first, records)
            await q.add_marks(conn, self._tables, ref, first, records, inserted)

        await self._run("add", work)

    async def _add_on_driver(self, records: Sequence[StoredMessage]) -> bool:
        """Add in one call to the driver (engine mode); false if the engine has no such path."""
        dialect = self._engine.dialect
        with map_errors("add"):
            # Connects on first use: then the dialect knows the server (MariaDB's version).
            await ensure_schema(self._engine, self._tables)
            add: DriverAdd | None = None
            if sqlite.has_fast_path(dialect):
                add = sqlite.one_hop_add(dialect, self._tables, self._who, records)
            elif mysql.has_fast_path(dialect) and await mysql.procedure_ready(
                self._engine, self._tables
            ):
                add = mysql.procedure_add(
                    dialect, self._tables, self._who, records, MYSQL_MAX_PAYLOAD_BYTES
                )
            if add is None:
                return False
            await _with_retries(lambda: on_driver(self._engine, add), lambda: True)
        return True

    async def _select(
        self,
        *,
        mark: str | None,
        exclude_mark: str | None,
        limit: int | None,
        with_marks: bool,
    ) -> Snapshot:
        async def work(conn: AsyncConnection) -> Snapshot:
            return await q.select_snapshot(
                conn,
                self._tables,
                self._who,
                mark=mark,
                exclude_mark=exclude_mark,
                limit=limit,
                with_marks=with_marks,
            )

        return await self._run("get_memory", work)

    async def _count(self) -> int:
        async def work(conn: AsyncConnection) -> int:
            return await q.count(conn, self._tables, self._who)

        return await self._run("size", work)

    async def _locked(
        self, what: str, action: Callable[[AsyncConnection, int], Awaitable[int]]
    ) -> int:
        """Run ``action(conn, session_ref)`` with the session locked; 0 if it has no row."""

        async def work(conn: AsyncConnection) -> int:
            locked = await q.lock_session(conn, self._tables, self._who, create=False)
            return 0 if locked is None else await action(conn, locked[0])

        return await self._run(what, work)

    async def _remove_ids(self, msg_ids: tuple[str, ...]) -> int:
        return await self._locked(
            "delete", lambda conn, ref: q.remove_ids(conn, self._tables, ref, msg_ids)
        )

    async def _remove_marked(self, marks: tuple[str, ...]) -> int:
        return await self._locked(
            "delete_by_mark", lambda conn, ref: q.remove_marked(conn, self._tables, ref, marks)
        )

    async def _relabel(
        self,
        *,
        new_mark: str | None,
        old_mark: str | None,
        msg_ids: tuple[str, ...] | None,
    ) -> int:
        return await self._locked(
            "update_messages_mark",
            lambda conn, ref: q.relabel(
                conn, self._tables, ref, new_mark=new_mark, old_mark=old_mark, msg_ids=msg_ids
            ),
        )

    async def _set_summary(self, summary: str) -> None:
        async def work(conn: AsyncConnection) -> None:
            await q.lock_session(
                conn,
                self._tables,
                self._who,
                create=bool(summary),
                summary=q.encode_summary(summary),
            )

        await self._run("update_compressed_summary", work)

    async def _wipe(self) -> None:
        async def work(conn: AsyncConnection) -> None:
            await q.clear_session(conn, self._tables, self._who, drop=False)

        await self._run("clear", work)

    async def _pop(self) -> StoredMessage | None:
        async def work(conn: AsyncConnection) -> StoredMessage | None:
            locked = await q.lock_session(conn, self._tables, self._who, create=False)
            return None if locked is None else await q.pop_newest(conn, self._tables, locked[0])

        return await self._run("pop", work)

    async def _replace(self, snapshot: Snapshot) -> None:
        records = snapshot.messages

        async def work(conn: AsyncConnection) -> None:
            locked = await q.lock_session(
                conn,
                self._tables,
                self._who,
                create=True,
                allocate=len(records),
                summary=q.encode_summary(snapshot.summary),
            )
            assert locked is not None
            ref, first = locked
            await q.wipe(conn, self._tables, ref)
            if records:
                inserted = await q.insert_messages(conn, self._tables, ref, first, records)
                await q.add_marks(conn, self._tables, ref, first, records, inserted)

        await self._run("import_state", work)


async def _with_retries(attempt: Callable[[], Awaitable[T]], repeatable: Callable[[], bool]) -> T:
    """Run ``attempt`` (one whole transaction) until it succeeds or may not be repeated.

    A deadlock or a busy database repeats it, up to :data:`_ATTEMPTS` times. A connection
    dropped before COMMIT was sent (a pooled connection the server closed, say) rolled the
    transaction back, so it is repeated once more on a new connection; one lost while
    ``repeatable()`` is false (during COMMIT) may have committed, and is raised. A repeated
    ``add`` skips the ids already stored.
    """
    reconnected = False

    def is_repeatable(exc: BaseException) -> bool:
        nonlocal reconnected
        if not isinstance(exc, sa_exc.DBAPIError):
            return False
        if exc.connection_invalidated and repeatable() and not reconnected:
            reconnected = True
            return True
        return is_retryable(exc)

    return await retrying(attempt, is_retryable=is_repeatable, attempts=_ATTEMPTS + 1)


def _same_marks(records: Sequence[StoredMessage]) -> bool:
    return all(r.marks == records[0].marks for r in records)


def _engine_of(session: AsyncSession) -> AsyncEngine:
    bind = session.bind
    if isinstance(bind, AsyncEngine):
        return bind
    if isinstance(bind, AsyncConnection):
        return bind.engine
    raise TypeError("the AsyncSession must be bound to an AsyncEngine or AsyncConnection")
