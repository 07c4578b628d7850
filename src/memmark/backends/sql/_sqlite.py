"""SQLite's ``add`` in one hop to aiosqlite's worker thread.

aiosqlite runs every sqlite3 call on its own thread; through SQLAlchemy's adapter one ``add``
costs about two dozen thread hops (cursor, execute, fetch, close per statement, commit),
several times the cost of the statements themselves. Here the whole transaction -
``BEGIN IMMEDIATE`` (the database write lock, which also serialises the session's writers
across processes), the session-row upsert reserving sequence numbers, the messages, the marks
of exactly the rows inserted, ``COMMIT`` - is ``_lifecycle``'s ``add`` run on that thread:
one hop. Measured with ``benchmarks/bench_sql.py``, it pays: the portable statements take
1.7x its time on a caller's engine.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.engine import Dialect

from memmark._core import StoredMessage
from memmark.backends.sql import _lifecycle as lifecycle
from memmark.backends.sql._driver import AddTarget

__all__ = ["FAST_ADD"]


class _OneHop:
    """:class:`~memmark.backends.sql._driver.FastAdd` of aiosqlite, on an engine."""

    def serves(self, dialect: Dialect, *, in_session: bool) -> bool:
        return not in_session and dialect.driver == "aiosqlite" and lifecycle.serves(dialect)

    async def add(self, target: AddTarget, records: Sequence[StoredMessage]) -> bool:
        def build(st: lifecycle.Statements, stamp: object) -> lifecycle.Operation[None]:
            return lifecycle.add(st, target.who, records, stamp, None)

        add = lifecycle.DriverOperation(
            "add", target.engine.dialect, target.tables, build, "transaction"
        )
        await target.on_driver(add.driver_work)
        return True


FAST_ADD = _OneHop()
