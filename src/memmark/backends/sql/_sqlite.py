"""SQLite's ``add`` in one hop to aiosqlite's worker thread.

aiosqlite runs every sqlite3 call on its own thread; through SQLAlchemy's adapter one ``add``
costs about two dozen thread hops (cursor, execute, fetch, close per statement, commit),
several times the cost of the statements themselves. Here the whole transaction -
``BEGIN IMMEDIATE`` (the database write lock, which also serialises the session's writers
across processes), the session-row upsert reserving sequence numbers, the messages, the marks
of exactly the rows inserted, ``COMMIT`` - is one plain function run on that thread: one hop.

aiosqlite has no public API to run a function on its thread, so this uses its private
``Connection._execute`` and ``_conn`` (SQLAlchemy's own aiosqlite dialect reaches into the
same internals to set the isolation level). When they are missing the path does not serve
the engine and the memory takes the portable path. Measured with ``benchmarks/bench_sql.py``, it
pays: the portable statements take 1.7x its time on a caller's engine.
"""

from __future__ import annotations

import functools
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.engine import Dialect

from memmark._core import StoredMessage
from memmark.backends.sql._driver import AddTarget, DriverAdd, bound_now
from memmark.backends.sql._queries import Identity, check_owner
from memmark.backends.sql._schema import Tables

__all__ = ["FAST_ADD"]

_STOPPED = ("connection closed", "no active connection")


@dataclass(frozen=True)
class _Statements:
    lock: str
    message: str
    mark: str


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
    )


def _add(
    db: sqlite3.Connection,
    statements: _Statements,
    who: Identity,
    records: Sequence[StoredMessage],
    stamp: Any,
) -> None:
    """Run the whole ``add`` transaction on aiosqlite's thread."""
    db.execute("BEGIN IMMEDIATE")
    try:
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


def _one_hop_add(
    dialect: Dialect, t: Tables, who: Identity, records: Sequence[StoredMessage]
) -> DriverAdd:
    """The ``add`` of ``records`` as one hop to aiosqlite's thread, a transaction of its own."""
    stamp = bound_now(dialect, t)
    statements = _statements(t)

    async def run(driver: Any) -> None:
        try:
            await driver._execute(lambda: _add(driver._conn, statements, who, records, stamp))
        except ValueError as exc:  # aiosqlite's thread has stopped (as SQLAlchemy maps it)
            if str(exc).lower() not in _STOPPED:
                raise
            raise sqlite3.OperationalError(str(exc)) from exc

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
