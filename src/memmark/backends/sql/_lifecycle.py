"""The session's writes as plain SQL on the driver's connection, written once for every driver.

Through a SQLAlchemy ``Connection`` each statement of a transaction costs several times its
round trip in Python (statement construction, cache keys, result processing): ``pop``,
``rewind``, ``compress`` and ``fork`` cost 3-7 times an ``add`` that way on PostgreSQL and
MariaDB, 1.1-2.6 times this way, 0.6-1.5 times as routines. Here each operation is the
sequence of ``_queries`` (the reference it must match) as plain SQL, written once as a
generator that yields each :class:`Query` and is sent its reply. A runner per driver
family sends the queries on a pooled connection checked out without a SQLAlchemy
``Connection`` (see ``_driver``), inside one transaction: aiosqlite (all of it in one hop to
its thread, after ``BEGIN IMMEDIATE``), asyncpg, and asyncmy / aiomysql on MariaDB >= 10.5
(``RETURNING``).

Every write locks the session's row first, as the reference does, so a session's writers
queue on the database across processes; ``version`` is one read outside any transaction.
The SQL differs per database only where the databases do (``_statements``): MariaDB
has no ``UPDATE ... RETURNING`` and no ``ON CONFLICT``; the rest is shared.

Where the database has their routines (``_routines``), ``pop``, ``rewind``, ``compress``
and ``fork`` are instead one query each, a call (mode ``"call"``): the operation yields it
and decodes its row. Operations run here only on an engine (a caller's ``AsyncSession``
keeps the SQLAlchemy path, in its transaction); any other driver takes the reference path
too. Measured with ``benchmarks/bench_lifecycle.py``.
"""

from __future__ import annotations

import dataclasses
import functools
import inspect
import json
import sqlite3
from collections.abc import Awaitable, Callable, Generator, Sequence
from dataclasses import dataclass
from typing import Any, Generic, Literal, TypeVar

from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncEngine

from memmark._core import CopyOutcome, StoredMessage
from memmark.backends.sql import _routines as routines
from memmark.backends.sql import _statements
from memmark.backends.sql._driver import (
    DriverAdd,
    asyncpg_errors_mappable,
    bound_now,
    raise_as_dbapi_error,
)
from memmark.backends.sql._queries import Identity, check_owner, encode_summary
from memmark.backends.sql._schema import Tables
from memmark.backends.sql._statements import LISTED_IDS, Statements
from memmark.errors import ConflictError, MemmarkError

__all__ = [
    "ROUTINES",
    "Build",
    "DriverOperation",
    "Mode",
    "Operation",
    "Statements",
    "add",
    "clear",
    "compress",
    "copy",
    "pop",
    "relabel",
    "remove",
    "rewind",
    "routines_ready",
    "serves",
    "statements",
    "version",
]

T = TypeVar("T")

Returns = Literal["rows", "count", "many"]

Mode = Literal["transaction", "read", "call"]
"""How a runner sends an operation: in one transaction it begins and commits, as a read
outside any, or as one call of a routine that is a whole transaction by itself."""


@dataclass(frozen=True)
class Query:
    """One statement of an operation, and what the operation wants back from it.

    Attributes:
        sql: The statement, with ``?`` placeholders (each runner converts them once).
        args: Its parameters; for ``returns="many"``, one tuple per execution.
        returns: ``"rows"`` (a list of tuples), ``"count"`` (rows changed) or ``"many"``
            (run once per tuple of ``args``; nothing back).
    """

    sql: str
    args: Sequence[Any]
    returns: Returns = "rows"


Operation = Generator[Query, Any, T]
"""An operation: yields its queries, is sent each reply, returns its result."""

_EVERY_SEQ = 2**63 - 1
"""Above every sequence number: a copy without ``upto`` takes all messages."""


def _expect(expected: int | None, current: int) -> None:
    if expected is not None and current != expected:
        raise ConflictError(expected, current)


def _session(row: Sequence[Any], who: Identity) -> tuple[int, int, int, bool]:
    """``(ref, next_seq, changes, has a summary)`` of a session row, checked to be ``who``'s."""
    ref, user_id, session_id, next_seq, changes, summarised = row
    check_owner(user_id, session_id, who)
    return int(ref), int(next_seq), int(changes), bool(summarised)


@dataclass(frozen=True)
class _Locked:
    """A session row locked by :func:`_lock`."""

    ref: int
    next_seq: int
    summarised: bool
    """Whether it holds a summary."""
    stamped: bool
    """Whether its ``updated_at`` is stamped already (else :func:`_finish` does it)."""


def _lock(
    st: Statements, who: Identity, stamp: Any, *, create: bool, expected: int | None
) -> Operation[_Locked | None]:
    """Lock the session's row (``_queries.lock_session``) and check ``expected``.

    The stamp of ``updated_at`` comes with the lock, except on MariaDB without ``create``
    (no ``UPDATE ... RETURNING``): there :func:`_finish` stamps it with the change count.

    Returns:
        The row, or ``None`` if the session has no row and ``create`` is false.
    """
    if create:
        rows = yield Query(st.lock_or_create, (who.key, who.user_id, who.session_id, stamp))
    elif st.mariadb:
        rows = yield Query(st.lock_existing, (who.key,))
    else:
        rows = yield Query(st.lock_existing, (stamp, who.key))
    if not rows:
        _expect(expected, 0)
        return None
    ref, next_seq, changes, summarised = _session(rows[0], who)
    _expect(expected, next_seq + changes)
    stamped = create or not st.mariadb
    return _Locked(ref, next_seq, summarised, stamped)


def _finish(st: Statements, locked: _Locked, stamp: Any, *, changed: bool) -> Operation[None]:
    """Count the change (if ``changed``) and stamp ``updated_at`` if :func:`_lock` did not."""
    if not locked.stamped:
        yield Query(st.stamp, (stamp, int(changed), locked.ref), "count")
    elif changed:
        yield Query(st.count_change, (locked.ref,), "count")


def _locked(
    st: Statements,
    who: Identity,
    stamp: Any,
    expected: int | None,
    change: Callable[[int], Operation[int]],
) -> Operation[int]:
    """Run ``change(ref)`` with the existing session locked; count it if it changed anything.

    0 when the session has no row, as ``_memory._locked`` does.
    """
    locked = yield from _lock(st, who, stamp, create=False, expected=expected)
    if locked is None:
        return 0
    changed = yield from change(locked.ref)
    yield from _finish(st, locked, stamp, changed=bool(changed))
    return changed


def add(
    st: Statements,
    who: Identity,
    records: Sequence[StoredMessage],
    stamp: Any,
    expected: int | None,
) -> Operation[None]:
    """``add``: reserve sequence numbers, insert the new ids, mark exactly those rows.

    The version is checked after the reservation (in the same locked transaction, which
    rolls the reservation back on a conflict).
    """
    n = len(records)
    rows = yield Query(st.reserve_or_create, (who.key, who.user_id, who.session_id, n, stamp))
    ref, next_seq, changes, _ = _session(rows[0], who)
    first = next_seq - n
    _expect(expected, first + changes)
    for offset, record in enumerate(records):
        seq = first + offset
        inserted = yield Query(st.message, st.message_args(ref, seq, record), "count")
        if inserted == 1 and record.marks:
            yield Query(st.mark, [(ref, mark, seq) for mark in record.marks], "many")


def pop(st: Statements, who: Identity, stamp: Any, expected: int | None) -> Operation[Any]:
    """``pop``: delete the newest message and its marks, and return it."""
    if st.calls:
        rows = yield Query(st.calls.pop, (who.key, who.user_id, who.session_id, stamp, expected))
        msg_id, payload, marks = rows[0]
        if msg_id is None:
            return None
        return StoredMessage(msg_id, payload, tuple(sorted(json.loads(marks or "[]"))))
    locked = yield from _lock(st, who, stamp, create=False, expected=expected)
    if locked is None:
        return None
    ref = locked.ref
    marks = yield Query(st.pop_marks, (ref, ref))
    popped = yield Query(st.pop_message, (ref, ref))
    yield from _finish(st, locked, stamp, changed=bool(popped))
    if not popped:
        return None
    msg_id, payload = popped[0]
    return StoredMessage(msg_id, payload, tuple(sorted(row[0] for row in marks)))


def rewind(
    st: Statements, who: Identity, stamp: Any, msg_id: str, expected: int | None
) -> Operation[int]:
    """``rewind``: delete ``msg_id`` and every later message with their marks; how many."""
    if st.calls:
        args = (who.key, who.user_id, who.session_id, stamp, expected, msg_id)
        rows = yield Query(st.calls.rewind, args)
        return int(rows[0][0])

    def remove_from(ref: int) -> Operation[int]:
        found = yield Query(st.find, (ref, msg_id))
        if not found:
            return 0
        yield Query(st.delete_marks_from, (ref, found[0][0]), "count")
        removed: int = yield Query(st.delete_messages_from, (ref, found[0][0]), "count")
        return removed

    return (yield from _locked(st, who, stamp, expected, remove_from))


def compress(
    st: Statements,
    who: Identity,
    stamp: Any,
    summary: str,
    msg_ids: tuple[str, ...],
    mark: str | None,
    expected: int | None,
) -> Operation[int]:
    """``compress``: store the summary, mark (or delete) ``msg_ids``; how many changed."""
    encoded = encode_summary(summary)
    if st.calls:
        ids = json.dumps(msg_ids) if st.mariadb else list(msg_ids)
        args = (who.key, who.user_id, who.session_id, stamp, expected, encoded, ids, mark)
        rows = yield Query(st.calls.compress, args)
        return int(rows[0][0])
    locked = yield from _lock(st, who, stamp, create=bool(summary), expected=expected)
    if locked is None:
        return 0
    ref = locked.ref
    current = yield Query(st.summary, (ref,))
    summarised = current[0][0] != encoded
    if summarised:
        yield Query(st.set_summary, (encoded, ref), "count")
    changed = (yield from _change(st, ref, msg_ids, mark)) if msg_ids else 0
    yield from _finish(st, locked, stamp, changed=bool(changed or summarised))
    return changed


def _change(st: Statements, ref: int, msg_ids: tuple[str, ...], mark: str | None) -> Operation[int]:
    """Delete the messages ``msg_ids`` with their marks, or give them ``mark``; how many."""
    if mark is None:
        return (yield from _remove(st, ref, msg_ids))
    return (yield from _gain(st, ref, mark, msg_ids))


def _remove(st: Statements, ref: int, msg_ids: tuple[str, ...]) -> Operation[int]:
    """Delete the messages ``msg_ids`` and their marks; how many existed."""
    ids, chosen = st.among(msg_ids)
    yield Query(st.remove_marks_of(ids), (ref, ref, *chosen), "count")
    removed: int = yield Query(st.remove_messages(ids), (ref, *chosen), "count")
    return removed


def _gain(st: Statements, ref: int, mark: str, msg_ids: tuple[str, ...] | None) -> Operation[int]:
    """Give ``mark`` to the messages ``msg_ids`` (``None``: all) lacking it; how many."""
    ids, chosen = ("", ()) if msg_ids is None else st.among(msg_ids)
    gained: int = yield Query(st.gain_mark(ids), (mark, ref, *chosen, ref, mark), "count")
    return gained


def clear(st: Statements, who: Identity, stamp: Any, expected: int | None) -> Operation[None]:
    """``clear``: as ``_queries.clear_session`` without ``drop``; the emptied row stays."""
    locked = yield from _lock(st, who, stamp, create=False, expected=expected)
    if locked is None:
        return
    ref = locked.ref
    held = locked.summarised
    if not held:
        found = yield Query(st.holds_messages, (ref,))
        held = bool(found[0][0])
    if held:
        yield Query(st.set_summary, ("", ref), "count")
        yield Query(st.wipe_marks, (ref,), "count")
        yield Query(st.wipe_messages, (ref,), "count")
    yield from _finish(st, locked, stamp, changed=held)


def remove(
    st: Statements, who: Identity, stamp: Any, msg_ids: tuple[str, ...], expected: int | None
) -> Operation[int]:
    """``delete``: delete the messages ``msg_ids`` and their marks; how many existed."""
    return (yield from _locked(st, who, stamp, expected, lambda ref: _remove(st, ref, msg_ids)))


def relabel(
    st: Statements,
    who: Identity,
    stamp: Any,
    *,
    new_mark: str | None,
    old_mark: str | None,
    msg_ids: tuple[str, ...] | None,
    expected: int | None,
) -> Operation[int]:
    """``update_messages_mark`` as ``_queries.relabel`` does it; how many messages changed."""

    def change(ref: int) -> Operation[int]:
        if old_mark is None:
            assert new_mark is not None
            return (yield from _gain(st, ref, new_mark, msg_ids))
        ids, chosen = ("", ()) if msg_ids is None else st.among(msg_ids)
        scope = (ref, *chosen) if chosen else ()
        if new_mark is not None:
            args = (new_mark, ref, old_mark, *scope, ref, new_mark)
            yield Query(st.move_mark(ids), args, "count")
        dropped: int = yield Query(st.drop_mark(ids), (ref, old_mark, *scope), "count")
        return dropped

    return (yield from _locked(st, who, stamp, expected, change))


def copy(
    st: Statements, who: Identity, target: Identity, stamp: Any, upto: str | None
) -> Operation[CopyOutcome]:
    """``fork``'s copy of the session into ``target`` (on the same tables).

    The same outcome as reading the session, then ``_fill`` of ``target``; the rows are
    copied by the database, without going through Python.
    """
    if st.calls:
        into = (target.key, target.user_id, target.session_id, stamp)
        rows = yield Query(st.calls.fork, (who.key, who.user_id, who.session_id, upto, *into))
        return _FORK_OUTCOMES[rows[0][0]]
    found = yield Query(st.source, (upto, who.key))
    source, summary, last = None, "", _EVERY_SEQ
    if found:
        _, user_id, session_id, summary, upto_seq = found[0]
        check_owner(user_id, session_id, who)
        source = int(found[0][0])
        if upto_seq is not None:
            last = int(upto_seq)
    if upto is not None and last == _EVERY_SEQ:
        return CopyOutcome.UPTO_MISSING
    locked = yield from _lock(st, target, stamp, create=True, expected=None)
    assert locked is not None
    if locked.summarised:
        return CopyOutcome.TARGET_HELD
    if locked.next_seq:  # else no message was ever stored in it
        held = yield Query(st.holds_messages, (locked.ref,))
        if held[0][0]:
            return CopyOutcome.TARGET_HELD
    copied = 0
    if source is not None:
        copied = yield Query(st.copy_messages, (locked.ref, locked.next_seq, source, last), "count")
    yield Query(st.reserve, (copied, summary, int(bool(summary)), locked.ref), "count")
    if copied:
        yield Query(st.copy_marks, (locked.ref, source, last), "count")
    return CopyOutcome.COPIED


_FORK_OUTCOMES = {
    "copied": CopyOutcome.COPIED,
    "upto": CopyOutcome.UPTO_MISSING,
    "held": CopyOutcome.TARGET_HELD,
}
"""The fork routine's outcomes."""


def version(st: Statements, who: Identity) -> Operation[int]:
    """``version``: one read (consistent on its own)."""
    found = yield Query(st.version, (who.key,))
    return int(found[0][0]) if found else 0


Build = Callable[[Statements, Any], Operation[T]]
"""``build(statements, stamp)``: a fresh run of an operation (``stamp``: now, as bound)."""


class DriverOperation(Generic[T]):
    """One operation as one transaction (or one read) on a pooled driver connection.

    Attributes:
        mode: How the runner sends it (:data:`Mode`); ``"call"`` runs the operation's
            routine (see ``_routines``).
        generic_plans: Whether its transaction keeps PostgreSQL's generic plans, as the
            routines do (every statement finds its rows by the session's key). Not when the
            statements bind an array of more than ``LISTED_IDS`` ids (``ids_named``): only a
            custom plan sees its size.
        driver_work: The work :func:`~memmark.backends.sql._driver.on_driver` runs.
        committing: Whether the last run reached its COMMIT (then it may have committed, so
            a lost connection must not repeat it).
        result: What the last run returned.
    """

    def __init__(
        self,
        what: str,
        dialect: Dialect,
        t: Tables,
        build: Build[T],
        mode: Mode,
        *,
        ids_named: int = 0,
    ) -> None:
        self._dialect = dialect
        self._tables = t
        self._statements = statements(dialect, t, calls=mode == "call")
        self._build = build
        self.mode = mode
        self.generic_plans = ids_named <= LISTED_IDS
        self.committing = False
        self.result: T
        self.driver_work = DriverAdd(what, self._run)

    def start(self) -> Operation[T]:
        """A fresh run of the operation (each attempt starts over).

        A call commits as it is sent: from then on it may have committed.
        """
        self.committing = self.mode == "call"
        return self._build(self._statements, bound_now(self._dialect, self._tables))

    def reached_commit(self) -> None:
        """Called by a runner just before it sends COMMIT."""
        self.committing = True

    async def _run(self, driver: Any) -> None:
        self.result = await _RUNNERS[self._dialect.driver](driver, self, self._dialect)


Runner = Callable[[Any, DriverOperation[Any], Dialect], Awaitable[Any]]
"""``runner(driver_connection, operation, dialect)``: drive one run, return its result."""


@functools.cache
def _numbered(sql: str) -> str:
    """``?`` placeholders as asyncpg's ``$1, $2, ...``."""
    parts = sql.split("?")
    return parts[0] + "".join(f"${i}{part}" for i, part in enumerate(parts[1:], 1))


@functools.cache
def _formatted(sql: str) -> str:
    """``?`` placeholders as the MySQL drivers' ``%s``."""
    return sql.replace("?", "%s")


def _on_sqlite(db: sqlite3.Connection, op: DriverOperation[T]) -> T:
    """Drive a run on sqlite3 (on aiosqlite's thread), a write after ``BEGIN IMMEDIATE``."""
    running = op.start()

    def drive() -> T:
        reply: Any = None
        try:
            while True:
                query = running.send(reply)
                if query.returns == "many":
                    db.executemany(query.sql, query.args)
                    reply = None
                    continue
                cursor = db.execute(query.sql, query.args)
                reply = cursor.rowcount if query.returns == "count" else cursor.fetchall()
        except StopIteration as done:
            return done.value  # type: ignore[no-any-return]

    if op.mode == "read":
        return drive()
    db.execute("BEGIN IMMEDIATE")
    try:
        result = drive()
        op.reached_commit()
        db.execute("COMMIT")
    except BaseException:
        if db.in_transaction:
            db.execute("ROLLBACK")
        raise
    return result


_STOPPED = ("connection closed", "no active connection")


async def _run_aiosqlite(driver: Any, op: DriverOperation[T], dialect: Dialect) -> T:
    """Run the whole transaction in one hop to aiosqlite's thread.

    aiosqlite has no public API to run a function on its thread, so this uses its private
    ``Connection._execute`` and ``_conn`` (SQLAlchemy's aiosqlite dialect reaches into the
    same internals); :func:`serves` checks they exist. A stopped thread is raised as
    SQLAlchemy maps it.
    """
    try:
        return await driver._execute(lambda: _on_sqlite(driver._conn, op))  # type: ignore[no-any-return]
    except ValueError as exc:  # aiosqlite's thread has stopped
        if str(exc).lower() not in _STOPPED:
            raise
        raise sqlite3.OperationalError(str(exc)) from exc


def _one_hop_possible() -> bool:
    import aiosqlite

    return callable(getattr(aiosqlite.Connection, "_execute", None)) and hasattr(
        aiosqlite.Connection, "_conn"
    )


_BEGIN_GENERIC = "BEGIN; SET LOCAL plan_cache_mode = force_generic_plan"
"""BEGIN for :attr:`DriverOperation.generic_plans`, in the one round trip BEGIN takes.

Once the tables have statistics, PostgreSQL judged a custom plan cheaper for statements
naming a mark it sees as rare, and planned them again on every call (0.5-0.8 ms of an
``update_messages_mark`` of one message at 10,000,000 messages).
"""


async def _run_asyncpg(driver: Any, op: DriverOperation[T], dialect: Dialect) -> T:
    """Drive a run on asyncpg, its errors raised as the DBAPI's."""
    try:
        if op.mode != "transaction":
            return await _drive(op.start(), _asyncpg_answer(driver))
        await driver.execute(_BEGIN_GENERIC if op.generic_plans else "BEGIN")
        try:
            result = await _drive(op.start(), _asyncpg_answer(driver))
        except BaseException:
            if driver.is_in_transaction():
                await driver.execute("ROLLBACK")
            raise
        op.reached_commit()
        await driver.execute("COMMIT")
        return result
    except MemmarkError:
        raise
    except Exception as exc:
        raise_as_dbapi_error(dialect.loaded_dbapi, exc)


async def _drive(running: Operation[T], answer: Callable[[Query], Awaitable[Any]]) -> T:
    """Send each query's reply (``answer``) back into the operation until it returns.

    A routine's error that is a memmark error (a conflict, a collision) is raised as that.
    """
    reply: Any = None
    try:
        while True:
            query = running.send(reply)
            try:
                reply = await answer(query)
            except Exception as exc:
                raised = routines.signalled(exc)
                if raised is None:
                    raise
                raise raised from exc
    except StopIteration as done:
        return done.value  # type: ignore[no-any-return]


def _asyncpg_answer(driver: Any) -> Callable[[Query], Awaitable[Any]]:
    async def answer(query: Query) -> Any:
        sql = _numbered(query.sql)
        if query.returns == "rows":
            return [tuple(row) for row in await driver.fetch(sql, *query.args)]
        if query.returns == "count":
            status = await driver.execute(sql, *query.args)  # e.g. "DELETE 3"
            return int(status.rsplit(" ", 1)[-1])
        await driver.executemany(sql, query.args)
        return None

    return answer


def _text(value: Any) -> Any:
    """MariaDB's VARBINARY ids and marks as the text memmark stored."""
    return bytes(value).decode("utf-8") if isinstance(value, (bytes, bytearray)) else value


async def _run_mysql(driver: Any, op: DriverOperation[T], dialect: Dialect) -> T:
    """Drive a run on asyncmy or aiomysql (MariaDB >= 10.5)."""
    async with driver.cursor() as cursor:
        if op.mode == "call":  # the procedure begins and commits
            return await _drive(op.start(), _mysql_answer(cursor))
        if op.mode == "read":
            try:
                return await _drive(op.start(), _mysql_answer(cursor))
            finally:
                await driver.rollback()  # ends the snapshot the read opened (see ``_reads``)
        if driver.get_autocommit():  # else the first statement opens the transaction
            await driver.begin()
        try:
            result = await _drive(op.start(), _mysql_answer(cursor))
        except BaseException:
            await driver.rollback()
            raise
        op.reached_commit()
        await driver.commit()
        return result


def _mysql_answer(cursor: Any) -> Callable[[Query], Awaitable[Any]]:
    async def answer(query: Query) -> Any:
        sql = _formatted(query.sql)
        if query.returns == "many":
            await cursor.executemany(sql, query.args)
            return None
        await cursor.execute(sql, query.args)
        if query.returns == "count":
            return cursor.rowcount
        fetched = cursor.fetchall()  # a coroutine on asyncmy, a list on aiomysql
        rows = (await fetched) if inspect.isawaitable(fetched) else fetched
        return [tuple(_text(value) for value in row) for row in rows]

    return answer


_RUNNERS: dict[str, Runner] = {
    "aiosqlite": _run_aiosqlite,
    "asyncpg": _run_asyncpg,
    "asyncmy": _run_mysql,
    "aiomysql": _run_mysql,
}


@functools.cache
def _calling(t: Tables, mariadb: bool) -> Statements:
    base = _statements.statements_of(t, mariadb)
    return dataclasses.replace(base, calls=routines.calls(t, mariadb))


def statements(dialect: Dialect, t: Tables, *, calls: bool = False) -> Statements:
    """The statements of ``dialect`` on ``t``; with ``calls``, those calling the routines."""
    if calls:
        return _calling(t, dialect.name in ("mysql", "mariadb"))
    return _statements.statements(dialect, t)


async def routines_ready(engine: AsyncEngine, t: Tables) -> bool:
    """Whether the engine runs the operations of :data:`ROUTINES` as routines.

    They are created now if need be (see ``_routines``).
    """
    return await routines.ready(engine, _statements.statements(engine.dialect, t))


ROUTINES = routines.OPERATIONS
"""The operations that have a routine."""


def serves(dialect: Dialect) -> bool:
    """Whether operations on an engine of this dialect can run on its driver.

    SQLite's runner relies on aiosqlite's internals, PostgreSQL's on
    SQLAlchemy's asyncpg error helper (see ``_driver``); MySQL has no ``RETURNING``,
    MariaDB has it from 10.5. Connects first: the dialect must know the server.
    """
    driver = dialect.driver
    if driver == "aiosqlite":
        return _one_hop_possible()
    if driver == "asyncpg":
        return asyncpg_errors_mappable()
    if driver in ("asyncmy", "aiomysql"):
        mariadb = bool(getattr(dialect, "is_mariadb", False))
        return mariadb and tuple(dialect.server_version_info or ()) >= (10, 5)
    return False
