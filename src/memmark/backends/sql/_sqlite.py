"""SQLite's writes in one hop to aiosqlite's worker thread.

aiosqlite runs every sqlite3 call on its own thread; through SQLAlchemy's adapter one ``add``
costs about two dozen thread hops (cursor, execute, fetch, close per statement, commit),
several times the cost of the statements themselves. Here the whole transaction -
``BEGIN IMMEDIATE`` (the database write lock, which also serialises the session's writers
across processes), the session-row upsert reserving sequence numbers, the messages, the marks
of exactly the rows inserted, ``COMMIT`` - is one plain function run on that thread: one hop.

The session's lifecycle operations (``pop``, ``rewind``, ``compress``, ``fork``'s copy, a
guarded ``add`` and ``version``) take the same path, :class:`OneHop`: each is the portable
statements' sequence of ``_queries`` (the reference they must match), written as plain SQL
run in one transaction on the thread.

aiosqlite has no public API to run a function on its thread, so this uses its private
``Connection._execute`` and ``_conn`` (SQLAlchemy's own aiosqlite dialect reaches into the
same internals to set the isolation level). When they are missing the path does not serve
the engine and the memory takes the portable path. Measured with ``benchmarks/bench_sql.py``, it
pays: the portable statements take 1.7x its time on a caller's engine; with
``benchmarks/bench_lifecycle.py`` the lifecycle operations take 4-8x ``add``'s time through
SQLAlchemy, ~1-1.5x this way.
"""

from __future__ import annotations

import functools
import sqlite3
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from sqlalchemy.engine import Dialect

from memmark._core import CopyOutcome, StoredMessage
from memmark.backends.sql._driver import AddTarget, DriverAdd, bound_now
from memmark.backends.sql._queries import Identity, check_owner, encode_summary
from memmark.backends.sql._schema import Tables
from memmark.errors import ConflictError

__all__ = [
    "FAST_ADD",
    "OneHop",
    "add_expecting",
    "compress",
    "copy",
    "pop",
    "rewind",
    "version",
]

T = TypeVar("T")

_STOPPED = ("connection closed", "no active connection")


@dataclass(frozen=True)
class _Statements:
    lock: str
    message: str
    mark: str
    version: str


@functools.cache
def _statements(t: Tables) -> _Statements:
    sessions, messages, marks = t.sessions.name, t.messages.name, t.marks.name
    return _Statements(
        lock=(
            f"INSERT INTO {sessions} "
            "(session_key, user_id, session_id, summary, next_seq, updated_at) "
            "VALUES (?, ?, ?, '', ?, ?) ON CONFLICT (session_key) DO UPDATE SET "
            f"next_seq = {sessions}.next_seq + excluded.next_seq, "
            "updated_at = excluded.updated_at "
            "RETURNING id, next_seq, user_id, session_id"
        ),
        message=(
            f"INSERT INTO {messages} (session_ref, seq, msg_id, payload) VALUES (?, ?, ?, ?) "
            "ON CONFLICT DO NOTHING"
        ),
        mark=f"INSERT INTO {marks} (session_ref, mark, seq) VALUES (?, ?, ?)",
        version=(
            f"SELECT user_id, session_id, next_seq + changes FROM {sessions} WHERE session_key = ?"
        ),
    )


def _add(
    db: sqlite3.Connection,
    statements: _Statements,
    who: Identity,
    records: Sequence[StoredMessage],
    stamp: Any,
    expected: int | None = None,
) -> None:
    """Run the whole ``add`` transaction on aiosqlite's thread, at version ``expected``."""
    db.execute("BEGIN IMMEDIATE")
    try:
        if expected is not None:
            _check_version(db, statements.version, who, expected)
        session = db.execute(
            statements.lock, (who.key, who.user_id, who.session_id, len(records), stamp)
        ).fetchone()
        ref, next_seq, user_id, session_id = session
        check_owner(user_id, session_id, who)
        first = next_seq - len(records)
        for offset, record in enumerate(records):
            seq = first + offset
            inserted = db.execute(statements.message, (ref, seq, record.msg_id, record.payload))
            if inserted.rowcount == 1 and record.marks:
                db.executemany(statements.mark, [(ref, mark, seq) for mark in record.marks])
        db.execute("COMMIT")
    except BaseException:
        if db.in_transaction:
            db.execute("ROLLBACK")
        raise


async def _on_thread(driver: Any, work: Callable[[], T]) -> T:
    """Run ``work`` on aiosqlite's thread, a stopped thread raised as SQLAlchemy maps it."""
    try:
        return await driver._execute(work)  # type: ignore[no-any-return]
    except ValueError as exc:  # aiosqlite's thread has stopped
        if str(exc).lower() not in _STOPPED:
            raise
        raise sqlite3.OperationalError(str(exc)) from exc


def _one_hop_add(
    dialect: Dialect,
    t: Tables,
    who: Identity,
    records: Sequence[StoredMessage],
    expected: int | None = None,
) -> DriverAdd:
    """The ``add`` of ``records`` as one hop to aiosqlite's thread, a transaction of its own."""
    stamp = bound_now(dialect, t)
    statements = _statements(t)

    async def run(driver: Any) -> None:
        await _on_thread(
            driver, lambda: _add(driver._conn, statements, who, records, stamp, expected)
        )

    return DriverAdd(statements.lock, run)


class _OneHop:
    """:class:`~memmark.backends.sql._driver.FastAdd` of aiosqlite, on an engine."""

    def serves(self, dialect: Dialect, *, in_session: bool) -> bool:
        if in_session or dialect.driver != "aiosqlite":
            return False
        import aiosqlite

        return callable(getattr(aiosqlite.Connection, "_execute", None)) and hasattr(
            aiosqlite.Connection, "_conn"
        )

    async def add(self, target: AddTarget, records: Sequence[StoredMessage]) -> bool:
        dialect = target.engine.dialect
        await target.on_driver(_one_hop_add(dialect, target.tables, target.who, records))
        return True


FAST_ADD = _OneHop()
"""Also tells (``serves``) whether a memory's other writes may take :class:`OneHop`."""


def add_expecting(
    dialect: Dialect,
    t: Tables,
    who: Identity,
    records: Sequence[StoredMessage],
    expected: int,
) -> DriverAdd:
    """The ``add`` of ``records`` if the session is at version ``expected``, in one hop."""
    return _one_hop_add(dialect, t, who, records, expected)


def _expect(expected: int | None, current: int) -> None:
    if expected is not None and current != expected:
        raise ConflictError(expected, current)


def _check_version(db: sqlite3.Connection, sql: str, who: Identity, expected: int) -> None:
    """Raise :class:`ConflictError` unless the session (maybe without a row) is at it.

    Run after ``BEGIN IMMEDIATE``: the write lock keeps every other writer out until COMMIT.
    """
    found = db.execute(sql, (who.key,)).fetchone()
    current = 0
    if found is not None:
        check_owner(found[0], found[1], who)
        current = int(found[2])
    _expect(expected, current)


class OneHop(Generic[T]):
    """One lifecycle operation as one transaction (or one read) on aiosqlite's thread.

    Attributes:
        driver_work: The work :func:`~memmark.backends.sql._driver.on_driver` runs.
        committing: Whether the last run reached its COMMIT (then it may have committed, so
            a lost connection must not repeat it).
        result: What the last run returned.
    """

    def __init__(
        self, statement: str, work: Callable[[sqlite3.Connection], T], *, transaction: bool
    ) -> None:
        self._work = work
        self._transaction = transaction
        self.committing = False
        self.result: T
        self.driver_work = DriverAdd(statement, self._run)

    async def _run(self, driver: Any) -> None:
        self.committing = False
        self.result = await _on_thread(driver, lambda: self._in_transaction(driver._conn))

    def _in_transaction(self, db: sqlite3.Connection) -> T:
        if not self._transaction:
            return self._work(db)
        db.execute("BEGIN IMMEDIATE")
        try:
            result = self._work(db)
            self.committing = True
            db.execute("COMMIT")
        except BaseException:
            if db.in_transaction:
                db.execute("ROLLBACK")
            raise
        return result


@dataclass(frozen=True)
class _Lifecycle:
    """The statements of the lifecycle operations on one table set."""

    lock_existing: str
    lock_or_create: str
    version: str
    count_change: str
    newest: str
    delete_marks_at: str
    delete_message_at: str
    find: str
    delete_marks_from: str
    delete_messages_from: str
    summary: str
    set_summary: str
    holds_anything: str
    reserve: str
    source: str
    count_upto: str
    copy_messages: str
    copy_marks: str


@functools.cache
def _lifecycle(t: Tables) -> _Lifecycle:
    s, m, k = t.sessions.name, t.messages.name, t.marks.name
    returned = "RETURNING id, user_id, session_id, next_seq + changes"
    return _Lifecycle(
        lock_existing=f"UPDATE {s} SET updated_at = ? WHERE session_key = ? {returned}",
        lock_or_create=(
            f"INSERT INTO {s} (session_key, user_id, session_id, summary, next_seq, updated_at) "
            "VALUES (?, ?, ?, '', 0, ?) ON CONFLICT (session_key) DO UPDATE SET "
            f"updated_at = excluded.updated_at {returned}"
        ),
        version=f"SELECT next_seq + changes FROM {s} WHERE session_key = ?",
        count_change=f"UPDATE {s} SET changes = changes + 1 WHERE id = ?",
        newest=(
            "SELECT n.seq, n.msg_id, n.payload, k.mark FROM "
            f"(SELECT seq, msg_id, payload FROM {m} WHERE session_ref = ? "
            "ORDER BY seq DESC LIMIT 1) AS n "
            f"LEFT JOIN {k} AS k ON k.session_ref = ? AND k.seq = n.seq"
        ),
        delete_marks_at=f"DELETE FROM {k} WHERE session_ref = ? AND seq = ?",
        delete_message_at=f"DELETE FROM {m} WHERE session_ref = ? AND seq = ?",
        find=f"SELECT seq FROM {m} WHERE session_ref = ? AND msg_id = ?",
        delete_marks_from=f"DELETE FROM {k} WHERE session_ref = ? AND seq >= ?",
        delete_messages_from=f"DELETE FROM {m} WHERE session_ref = ? AND seq >= ?",
        summary=f"SELECT summary FROM {s} WHERE id = ?",
        set_summary=f"UPDATE {s} SET summary = ? WHERE id = ?",
        holds_anything=(
            f"SELECT summary != '' OR EXISTS (SELECT 1 FROM {m} WHERE session_ref = {s}.id) "
            f"FROM {s} WHERE id = ?"
        ),
        reserve=(
            f"UPDATE {s} SET next_seq = next_seq + ?, summary = ?, updated_at = ? WHERE id = ? "
            "RETURNING next_seq"
        ),
        source=f"SELECT id, user_id, session_id, summary FROM {s} WHERE session_key = ?",
        count_upto=f"SELECT count(*) FROM {m} WHERE session_ref = ? AND seq <= ?",
        copy_messages=(
            f"INSERT INTO {m} (session_ref, seq, msg_id, payload) "
            "SELECT ?, ? + ROW_NUMBER() OVER (ORDER BY seq) - 1, msg_id, payload "
            f"FROM {m} WHERE session_ref = ? AND seq <= ?"
        ),
        copy_marks=(
            f"INSERT INTO {k} (session_ref, mark, seq) "
            f"SELECT copied.session_ref, k.mark, copied.seq FROM {k} AS k "
            f"JOIN {m} AS original ON original.session_ref = k.session_ref "
            "AND original.seq = k.seq "
            f"JOIN {m} AS copied ON copied.session_ref = ? AND copied.msg_id = original.msg_id "
            "WHERE k.session_ref = ? AND k.seq <= ?"
        ),
    )


def _lock(
    db: sqlite3.Connection,
    statements: _Lifecycle,
    who: Identity,
    stamp: Any,
    *,
    create: bool,
    expected: int | None,
) -> int | None:
    """Lock the session's row (see ``_queries.lock_session``) and check ``expected``.

    Returns:
        The session's ref, or ``None`` if it has no row and ``create`` is false.
    """
    if create:
        row = db.execute(
            statements.lock_or_create, (who.key, who.user_id, who.session_id, stamp)
        ).fetchone()
    else:
        row = db.execute(statements.lock_existing, (stamp, who.key)).fetchone()
    if row is None:
        _expect(expected, 0)
        return None
    ref, user_id, session_id, current = row
    check_owner(user_id, session_id, who)
    _expect(expected, int(current))
    return int(ref)


def pop(
    dialect: Dialect, t: Tables, who: Identity, expected: int | None
) -> OneHop[StoredMessage | None]:
    """``pop``: delete the newest message and its marks, and return it."""
    statements, stamp = _lifecycle(t), bound_now(dialect, t)

    def work(db: sqlite3.Connection) -> StoredMessage | None:
        ref = _lock(db, statements, who, stamp, create=False, expected=expected)
        if ref is None:
            return None
        rows = db.execute(statements.newest, (ref, ref)).fetchall()
        if not rows:
            return None
        seq, msg_id, payload, _ = rows[0]
        marks = tuple(sorted(row[3] for row in rows if row[3] is not None))
        if marks:
            db.execute(statements.delete_marks_at, (ref, seq))
        db.execute(statements.delete_message_at, (ref, seq))
        db.execute(statements.count_change, (ref,))
        return StoredMessage(msg_id, payload, marks)

    return OneHop(statements.newest, work, transaction=True)


def rewind(
    dialect: Dialect, t: Tables, who: Identity, msg_id: str, expected: int | None
) -> OneHop[int]:
    """``rewind``: delete ``msg_id`` and every later message with their marks; how many."""
    statements, stamp = _lifecycle(t), bound_now(dialect, t)

    def work(db: sqlite3.Connection) -> int:
        ref = _lock(db, statements, who, stamp, create=False, expected=expected)
        if ref is None:
            return 0
        found = db.execute(statements.find, (ref, msg_id)).fetchone()
        if found is None:
            return 0
        db.execute(statements.delete_marks_from, (ref, found[0]))
        removed = db.execute(statements.delete_messages_from, (ref, found[0])).rowcount
        if removed:
            db.execute(statements.count_change, (ref,))
        return int(removed)

    return OneHop(statements.delete_messages_from, work, transaction=True)


def compress(
    dialect: Dialect,
    t: Tables,
    who: Identity,
    summary: str,
    msg_ids: tuple[str, ...],
    mark: str | None,
    expected: int | None,
) -> OneHop[int]:
    """``compress``: store the summary, mark (or delete) ``msg_ids``; how many changed."""
    statements, stamp = _lifecycle(t), bound_now(dialect, t)
    encoded = encode_summary(summary)
    m, k = t.messages.name, t.marks.name
    chosen = f"session_ref = ? AND msg_id IN ({', '.join('?' * len(msg_ids))})"

    def change(db: sqlite3.Connection, ref: int) -> int:
        """Delete the chosen messages with their marks, or give them ``mark``; how many."""
        if mark is None:
            doomed = f"SELECT seq FROM {m} WHERE {chosen}"
            db.execute(
                f"DELETE FROM {k} WHERE session_ref = ? AND seq IN ({doomed})", (ref, ref, *msg_ids)
            )
            return int(db.execute(f"DELETE FROM {m} WHERE {chosen}", (ref, *msg_ids)).rowcount)
        gain = (
            f"INSERT INTO {k} (session_ref, mark, seq) SELECT session_ref, ?, seq FROM {m} "
            f"WHERE {chosen} AND NOT EXISTS (SELECT 1 FROM {k} AS holder "
            f"WHERE holder.session_ref = ? AND holder.mark = ? AND holder.seq = {m}.seq)"
        )
        return int(db.execute(gain, (mark, ref, *msg_ids, ref, mark)).rowcount)

    def work(db: sqlite3.Connection) -> int:
        ref = _lock(db, statements, who, stamp, create=bool(summary), expected=expected)
        if ref is None:
            return 0
        summarised = db.execute(statements.summary, (ref,)).fetchone()[0] != encoded
        if summarised:
            db.execute(statements.set_summary, (encoded, ref))
        changed = change(db, ref) if msg_ids else 0
        if changed or summarised:
            db.execute(statements.count_change, (ref,))
        return changed

    return OneHop(statements.set_summary, work, transaction=True)


_EVERY_SEQ = 2**63 - 1
"""Above every sequence number: a copy without ``upto`` takes all messages."""


def copy(
    dialect: Dialect, t: Tables, who: Identity, target: Identity, upto: str | None
) -> OneHop[CopyOutcome]:
    """``fork``'s copy of the session into ``target`` (on the same tables), in one hop.

    The same outcome as reading the session, then :func:`fill` of ``target``; the rows are
    copied by the database, without going through Python.
    """
    statements, stamp = _lifecycle(t), bound_now(dialect, t)

    def work(db: sqlite3.Connection) -> CopyOutcome:
        found = db.execute(statements.source, (who.key,)).fetchone()
        source, summary, last = None, "", _EVERY_SEQ
        if found is not None:
            check_owner(found[1], found[2], who)
            source, summary = int(found[0]), found[3]
        if upto is not None:
            at = None if source is None else db.execute(statements.find, (source, upto)).fetchone()
            if at is None:
                return CopyOutcome.UPTO_MISSING
            last = int(at[0])
        ref = _lock(db, statements, target, stamp, create=True, expected=None)
        assert ref is not None
        if db.execute(statements.holds_anything, (ref,)).fetchone()[0]:
            return CopyOutcome.TARGET_HELD
        count = 0
        if source is not None:
            count = int(db.execute(statements.count_upto, (source, last)).fetchone()[0])
        reserved = db.execute(statements.reserve, (count, summary, stamp, ref)).fetchone()[0]
        if count:
            db.execute(statements.copy_messages, (ref, reserved - count, source, last))
            db.execute(statements.copy_marks, (ref, source, last))
        if summary:
            db.execute(statements.count_change, (ref,))
        return CopyOutcome.COPIED

    return OneHop(statements.copy_messages, work, transaction=True)


def version(t: Tables, who: Identity) -> OneHop[int]:
    """``version``: one read, outside any transaction (consistent on its own)."""
    statements = _lifecycle(t)

    def work(db: sqlite3.Connection) -> int:
        found = db.execute(statements.version, (who.key,)).fetchone()
        return 0 if found is None else int(found[0])

    return OneHop(statements.version, work, transaction=False)
