"""``AsyncSQLAlchemyMemory``: memory in SQLite, PostgreSQL or MySQL/MariaDB via SQLAlchemy.

Usage::

    engine = create_async_engine("sqlite+aiosqlite:///./memory.db")
    async with AsyncSQLAlchemyMemory(engine, user_id="u1", session_id="s1") as memory:
        await memory.add(Msg("Alice", "Hi", "user"), marks="greeting")
"""

from __future__ import annotations

import asyncio
import functools
import weakref
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, TypeVar

from sqlalchemy import exc as sa_exc
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession

from memmark._core import (
    CopyOutcome,
    MemoryBase,
    Snapshot,
    StoredMessage,
    retrying,
    session_key,
)
from memmark.backends.sql import _lifecycle as lifecycle
from memmark.backends.sql import _mysql as mysql
from memmark.backends.sql import _postgres as postgres
from memmark.backends.sql import _queries as q
from memmark.backends.sql import _reads as reads
from memmark.backends.sql import _sqlite as sqlite
from memmark.backends.sql._driver import AddTarget, DriverAdd, FastAdd, on_driver
from memmark.backends.sql._errors import is_retryable, map_errors
from memmark.backends.sql._schema import check_prefix, tables, telemetry_backend
from memmark.backends.sql._setup import ensure_schema
from memmark.message import Msg

__all__ = ["AsyncSQLAlchemyMemory"]

T = TypeVar("T")
Work = Callable[[AsyncConnection], Awaitable[T]]

MYSQL_MAX_PAYLOAD_BYTES = 8_000_000
"""Largest message on MySQL/MariaDB: a statement must fit the server's ``max_allowed_packet``
(16 MiB by default) and SQL escaping can double a payload, so half of it, with room to spare."""
_FAST_ADDS: tuple[FastAdd, ...] = (postgres.FAST_ADD, sqlite.FAST_ADD, mysql.FAST_ADD)
"""The dialects' shortcuts for ``add``, each kept because it measurably pays; any other
driver (and any batch a shortcut declines) takes the portable statements of ``_queries``."""
_ATTEMPTS = 6
"""How often a transaction that hit a deadlock or a busy database is tried in engine mode."""
_session_locks: weakref.WeakKeyDictionary[AsyncSession, asyncio.Lock] = weakref.WeakKeyDictionary()
"""One lock per caller's ``AsyncSession``: every memory working in it takes turns, since a
session runs one operation at a time."""


class AsyncSQLAlchemyMemory(MemoryBase):
    """Memory of one user's session in a SQL database (SQLite, PostgreSQL, MySQL/MariaDB).

    With an ``AsyncEngine`` each call is one short transaction that memmark commits (repeated
    on a deadlock or a busy SQLite database). With the caller's ``AsyncSession`` each call
    runs inside the caller's transaction (in a SAVEPOINT where the database supports one),
    and the caller commits or rolls back: memmark never commits or closes that session.

    Tables are created on first use under ``table_prefix`` and carry a schema version.
    Writers of one session are serialised by a lock on the session's row in the database, so
    several processes may write the same session at once. An ``add`` is one round trip on
    PostgreSQL (one statement) and, in engine mode, on MariaDB >= 10.6 with asyncmy or
    aiomysql (one ``CALL`` of a procedure memmark creates beside its tables, if the account
    may) and one hop to aiosqlite's thread on SQLite. In engine mode a read (``get_memory``,
    ``export_state``) is one statement sent straight through asyncpg, aiosqlite, asyncmy or
    aiomysql, outside any transaction. These paths run beneath SQLAlchemy's statement
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
        session_id: str | None = None,
        user_id: str | None = None,
        *,
        table_prefix: str = "memmark_",
    ) -> None:
        """Bind the memory to one user's session on an engine or on the caller's session.

        The positional order is AgentScope's: ``(engine_or_session, session_id, user_id)``.

        Args:
            engine_or_session: An ``AsyncEngine`` (memmark opens and commits short
                transactions) or an ``AsyncSession`` (memmark works in its transaction).
            session_id: The session, unique per user; ``None`` means ``"default_session"``.
            user_id: The user the session belongs to; ``None`` means ``"default_user"``.
            table_prefix: Prefix of memmark's table names, so they never clash with yours.

        Raises:
            TypeError: ``engine_or_session`` is neither, or an argument has a wrong type.
            ValueError: an id or the prefix is malformed.
        """
        super().__init__(user_id=user_id, session_id=session_id)
        self._table_prefix = check_prefix(table_prefix)
        self._tables = tables(self._table_prefix)
        self._who = q.Identity(
            self.user_id, self.session_id, session_key(self.user_id, self.session_id)
        )
        self._session: AsyncSession | None = None
        if isinstance(engine_or_session, AsyncEngine):
            self._engine = engine_or_session
        elif isinstance(engine_or_session, AsyncSession):
            self._session = engine_or_session
            self._engine = _engine_of(engine_or_session)
            self._session_lock = _session_locks.setdefault(engine_or_session, asyncio.Lock())
        else:
            raise TypeError(
                "engine_or_session must be an AsyncEngine or AsyncSession, got "
                f"{type(engine_or_session).__name__}"
            )
        self._savepoints = self._engine.dialect.name != "sqlite"
        if self._engine.dialect.name in ("mysql", "mariadb"):
            self.max_payload_bytes = MYSQL_MAX_PAYLOAD_BYTES

    @property
    def _telemetry_backend(self) -> str:
        return telemetry_backend(self._engine.dialect.name)

    async def add(  # type: ignore[override]  # AgentScope's third parameter here: skip_duplicated
        self,
        memories: Msg | list[Msg] | None,
        marks: str | list[str] | None = None,
        skip_duplicated: bool = True,
        *,
        expected_version: int | None = None,
        **kwargs: Any,
    ) -> None:
        """Append messages as :meth:`MemoryBase.add` does, with AgentScope's SQL signature.

        Its third parameter is ``skip_duplicated``: ``True`` (the default) skips ids already
        stored, as memmark always does; ``False`` raises ``ValueError`` (memmark stores an id
        once).
        """
        await self._add_flagged(
            "skip_duplicated", skip_duplicated, False, memories, marks, expected_version, kwargs
        )

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

    async def _insert(self, records: Sequence[StoredMessage], *, expected: int | None) -> None:
        if expected is not None:
            await self._insert_expecting(records, expected)
            return
        with map_errors("add"):
            # Connects on first use: then the dialect knows the server (MariaDB's version).
            await ensure_schema(self._engine, self._tables)
            dialect, in_session = self._engine.dialect, self._session is not None
            for fast in _FAST_ADDS:
                if fast.serves(dialect, in_session=in_session) and await fast.add(
                    self._add_target, records
                ):
                    return

        async def work(conn: AsyncConnection) -> None:
            await self._append(conn, records)

        await self._run("add", work)

    async def _insert_expecting(self, records: Sequence[StoredMessage], expected: int) -> None:
        """``add`` with ``expected_version``: check it under the lock, then insert."""
        if await self._driver_serves("add"):
            await self._on_driver(
                "add", lambda st, stamp: lifecycle.add(st, self._who, records, stamp, expected)
            )
            return

        async def work(conn: AsyncConnection) -> None:
            locked = await q.lock_session(conn, self._tables, self._who, create=True)
            assert locked is not None
            await q.check_version(conn, self._tables, locked[0], expected)
            await self._append(conn, records)

        await self._run("add", work)

    async def _append(self, conn: AsyncConnection, records: Sequence[StoredMessage]) -> None:
        """Insert ``records`` after the stored messages (the transaction locks the session)."""
        locked = await q.lock_session(
            conn, self._tables, self._who, create=True, allocate=len(records)
        )
        assert locked is not None
        ref, first = locked
        inserted = await q.insert_messages(conn, self._tables, ref, first, records)
        await q.add_marks(conn, self._tables, ref, first, records, inserted)

    async def _version(self) -> int:
        if await self._driver_serves("version"):
            return await self._on_driver(
                "version", lambda st, stamp: lifecycle.version(st, self._who), transaction=False
            )

        async def work(conn: AsyncConnection) -> int:
            return await q.session_version(conn, self._tables, self._who)

        return await self._run("version", work)

    async def _driver_serves(self, what: str) -> bool:
        """Whether ``what`` runs as ``_lifecycle``'s plain SQL on the engine's driver."""
        if self._session is not None:
            return False
        with map_errors(what):  # connects on first use: then the dialect knows the server
            await ensure_schema(self._engine, self._tables)
        return lifecycle.serves(self._engine.dialect)

    async def _on_driver(
        self,
        what: str,
        build: lifecycle.Build[T],
        *,
        transaction: bool = True,
        ids_named: int = 0,
    ) -> T:
        """Run ``build``'s operation on a pooled connection, retried as a transaction is.

        A write of :data:`~memmark.backends.sql._lifecycle.ROUTINES` is one call of its
        routine where the database has it (created on first use, if allowed). ``ids_named``:
        how many message ids the operation's statements name (see ``DriverOperation``).
        """
        mode: lifecycle.Mode = "transaction" if transaction else "read"
        with map_errors(what):
            if transaction and what in lifecycle.ROUTINES:
                if await lifecycle.routines_ready(self._engine, self._tables):
                    mode = "call"
            op = lifecycle.DriverOperation(
                what, self._engine.dialect, self._tables, build, mode, ids_named=ids_named
            )
            await _with_retries(
                lambda: on_driver(self._engine, op.driver_work), lambda: not op.committing
            )
        return op.result

    @functools.cached_property
    def _add_target(self) -> AddTarget:
        async def in_one_statement(work: Work[None]) -> None:
            await self._run("add", work, one_statement=True)

        async def driver_add(add: DriverAdd) -> None:
            await _with_retries(lambda: on_driver(self._engine, add), lambda: True)

        return AddTarget(self._engine, self._tables, self._who, in_one_statement, driver_add)

    async def _select(
        self,
        *,
        mark: str | None,
        exclude_mark: str | None,
        limit: int | None,
        with_marks: bool,
    ) -> Snapshot:
        if self._session is None and reads.has_driver_read(self._engine.dialect):
            return await self._select_on_driver(
                mark=mark, exclude_mark=exclude_mark, limit=limit, with_marks=with_marks
            )

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

    async def _select_on_driver(
        self,
        *,
        mark: str | None,
        exclude_mark: str | None,
        limit: int | None,
        with_marks: bool,
    ) -> Snapshot:
        """Read in one statement sent through the driver, outside any transaction."""
        shape = q.read_shape(
            mark=mark, exclude_mark=exclude_mark, limit=limit, with_marks=with_marks
        )
        with map_errors("get_memory"):
            await ensure_schema(self._engine, self._tables)
            result: list[Snapshot] = []
            read = reads.driver_read(
                self._engine.dialect,
                self._tables,
                self._who,
                shape,
                result,
                mark=mark,
                exclude_mark=exclude_mark,
                limit=limit,
            )

            async def attempt() -> None:
                result.clear()
                await on_driver(self._engine, read)

            await _with_retries(attempt, lambda: True)
        return result[0]

    async def _count(self) -> int:
        async def work(conn: AsyncConnection) -> int:
            return await q.count(conn, self._tables, self._who)

        return await self._run("size", work)

    async def _locked(
        self,
        what: str,
        action: Callable[[AsyncConnection, int], Awaitable[int]],
        expected: int | None,
    ) -> int:
        """Run ``action(conn, session_ref)`` with the session locked; 0 if it has no row.

        Checks ``expected`` first, and counts a change when ``action`` returns non-zero.
        """

        async def work(conn: AsyncConnection) -> int:
            locked = await q.lock_session(conn, self._tables, self._who, create=False)
            ref = None if locked is None else locked[0]
            await q.check_version(conn, self._tables, ref, expected)
            if ref is None:
                return 0
            changed = await action(conn, ref)
            if changed:
                await q.count_change(conn, self._tables, ref)
            return changed

        return await self._run(what, work)

    async def _remove_ids(self, msg_ids: tuple[str, ...], *, expected: int | None) -> int:
        if await self._driver_serves("delete"):
            return await self._on_driver(
                "delete",
                lambda st, stamp: lifecycle.remove(st, self._who, stamp, msg_ids, expected),
                ids_named=len(msg_ids),
            )
        return await self._locked(
            "delete", lambda conn, ref: q.remove_ids(conn, self._tables, ref, msg_ids), expected
        )

    async def _remove_marked(
        self, marks: tuple[str, ...], *, older_than_ms: int | None, expected: int | None
    ) -> int:
        return await self._locked(
            "delete_by_mark",
            lambda conn, ref: q.remove_marked(conn, self._tables, ref, marks, older_than_ms),
            expected,
        )

    async def _relabel(
        self,
        *,
        new_mark: str | None,
        old_mark: str | None,
        msg_ids: tuple[str, ...] | None,
        expected: int | None,
    ) -> int:
        if await self._driver_serves("update_messages_mark"):

            def build(st: lifecycle.Statements, stamp: Any) -> lifecycle.Operation[int]:
                return lifecycle.relabel(
                    st,
                    self._who,
                    stamp,
                    new_mark=new_mark,
                    old_mark=old_mark,
                    msg_ids=msg_ids,
                    expected=expected,
                )

            return await self._on_driver(
                "update_messages_mark", build, ids_named=len(msg_ids or ())
            )
        return await self._locked(
            "update_messages_mark",
            lambda conn, ref: q.relabel(
                conn, self._tables, ref, new_mark=new_mark, old_mark=old_mark, msg_ids=msg_ids
            ),
            expected,
        )

    async def _set_summary(self, summary: str, *, expected: int | None) -> None:
        if await self._driver_serves("update_compressed_summary"):

            def build(st: lifecycle.Statements, stamp: Any) -> lifecycle.Operation[int]:
                return lifecycle.compress(st, self._who, stamp, summary, (), None, expected)

            await self._on_driver("update_compressed_summary", build)
            return

        async def work(conn: AsyncConnection) -> None:
            locked = await q.lock_session(conn, self._tables, self._who, create=bool(summary))
            ref = None if locked is None else locked[0]
            await q.check_version(conn, self._tables, ref, expected)
            if ref is not None and await self._store_summary(conn, ref, summary):
                await q.count_change(conn, self._tables, ref)

        await self._run("update_compressed_summary", work)

    async def _store_summary(self, conn: AsyncConnection, ref: int, summary: str) -> bool:
        """Set the summary of the locked session ``ref``; return whether it changed."""
        encoded = q.encode_summary(summary)
        if await q.stored_summary(conn, self._tables, ref) == encoded:
            return False
        await q.lock_session(conn, self._tables, self._who, create=False, summary=encoded)
        return True

    async def _wipe(self, *, expected: int | None) -> None:
        if await self._driver_serves("clear"):
            await self._on_driver(
                "clear", lambda st, stamp: lifecycle.clear(st, self._who, stamp, expected)
            )
            return

        async def work(conn: AsyncConnection) -> None:
            await q.clear_session(conn, self._tables, self._who, drop=False, expected=expected)

        await self._run("clear", work)

    async def _pop(self, *, expected: int | None) -> StoredMessage | None:
        if await self._driver_serves("pop"):
            return await self._on_driver(
                "pop", lambda st, stamp: lifecycle.pop(st, self._who, stamp, expected)
            )

        async def work(conn: AsyncConnection) -> StoredMessage | None:
            locked = await q.lock_session(conn, self._tables, self._who, create=False)
            ref = None if locked is None else locked[0]
            await q.check_version(conn, self._tables, ref, expected)
            popped = None if ref is None else await q.pop_newest(conn, self._tables, ref)
            if ref is not None and popped is not None:
                await q.count_change(conn, self._tables, ref)
            return popped

        return await self._run("pop", work)

    async def _rewind(self, msg_id: str, *, expected: int | None) -> int:
        if await self._driver_serves("rewind"):
            return await self._on_driver(
                "rewind", lambda st, stamp: lifecycle.rewind(st, self._who, stamp, msg_id, expected)
            )
        return await self._locked(
            "rewind", lambda conn, ref: q.rewind(conn, self._tables, ref, msg_id), expected
        )

    async def _compress(
        self, summary: str, msg_ids: tuple[str, ...], mark: str | None, *, expected: int | None
    ) -> int:
        if await self._driver_serves("compress"):

            def build(st: lifecycle.Statements, stamp: Any) -> lifecycle.Operation[int]:
                return lifecycle.compress(st, self._who, stamp, summary, msg_ids, mark, expected)

            return await self._on_driver("compress", build, ids_named=len(msg_ids))

        async def work(conn: AsyncConnection) -> int:
            locked = await q.lock_session(conn, self._tables, self._who, create=bool(summary))
            ref = None if locked is None else locked[0]
            await q.check_version(conn, self._tables, ref, expected)
            if ref is None:
                return 0
            summarised = await self._store_summary(conn, ref, summary)
            changed = 0
            if msg_ids and mark is None:
                changed = await q.remove_ids(conn, self._tables, ref, msg_ids)
            elif msg_ids:
                changed = await q.relabel(
                    conn, self._tables, ref, new_mark=mark, old_mark=None, msg_ids=msg_ids
                )
            if changed or summarised:
                await q.count_change(conn, self._tables, ref)
            return changed

        return await self._run("compress", work)

    async def _fill(self, snapshot: Snapshot) -> bool:
        async def work(conn: AsyncConnection) -> bool:
            locked = await q.lock_session(conn, self._tables, self._who, create=True)
            assert locked is not None
            if await q.holds_anything(conn, self._tables, locked[0]):
                return False
            await self._write_snapshot(conn, snapshot)
            if snapshot.summary:
                await q.count_change(conn, self._tables, locked[0])
            return True

        return await self._run("fork", work)

    async def _write_snapshot(self, conn: AsyncConnection, snapshot: Snapshot) -> None:
        """Set the summary and append the snapshot's messages (the session is locked)."""
        records = snapshot.messages
        locked = await q.lock_session(
            conn,
            self._tables,
            self._who,
            create=True,
            allocate=len(records),
            summary=q.encode_summary(snapshot.summary),
            updated_at=snapshot.updated_at,
        )
        assert locked is not None
        ref, first = locked
        if records:
            inserted = await q.insert_messages(conn, self._tables, ref, first, records)
            await q.add_marks(conn, self._tables, ref, first, records, inserted)

    async def _copy_to(self, target: MemoryBase, upto: str | None) -> CopyOutcome:
        if isinstance(target, AsyncSQLAlchemyMemory) and await self._driver_serves("fork"):
            return await self._on_driver(
                "fork", lambda st, stamp: lifecycle.copy(st, self._who, target._who, stamp, upto)
            )
        return await super()._copy_to(target, upto)

    def _sibling(self, session_id: str) -> AsyncSQLAlchemyMemory:
        return AsyncSQLAlchemyMemory(
            self._engine if self._session is None else self._session,
            user_id=self.user_id,
            session_id=session_id,
            table_prefix=self._table_prefix,
        )

    async def _replace(self, snapshot: Snapshot, *, expected: int | None) -> None:
        async def work(conn: AsyncConnection) -> None:
            locked = await q.lock_session(conn, self._tables, self._who, create=True)
            assert locked is not None
            await q.check_version(conn, self._tables, locked[0], expected)
            await q.wipe(conn, self._tables, locked[0])
            await self._write_snapshot(conn, snapshot)
            await q.count_change(conn, self._tables, locked[0])

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


def _engine_of(session: AsyncSession) -> AsyncEngine:
    bind = session.bind
    if isinstance(bind, AsyncEngine):
        return bind
    if isinstance(bind, AsyncConnection):
        return bind.engine
    raise TypeError("the AsyncSession must be bound to an AsyncEngine or AsyncConnection")
