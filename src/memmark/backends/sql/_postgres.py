"""PostgreSQL's ``add`` in one statement: lock/create the session row, insert, mark.

Data-modifying CTEs let one INSERT ... ON CONFLICT DO UPDATE lock the session row and reserve
sequence numbers, insert the messages (skipping stored ids) and mark exactly the rows inserted.
A single statement is atomic by itself, so it needs no BEGIN/COMMIT round trips: one ``add``
is one round trip, on an engine or in a caller's session (in its SAVEPOINT), on any driver.
Measured with ``benchmarks/bench_sql.py``, it pays: the portable statements take 3x its time.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from datetime import datetime, timezone

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncConnection

from memmark._core import StoredMessage
from memmark.backends.sql._driver import AddTarget
from memmark.backends.sql._queries import Identity, collision
from memmark.backends.sql._schema import Tables, UTCDateTime

__all__ = ["FAST_ADD"]

_TEXT_ARRAY = postgresql.ARRAY(sa.Text())


@functools.cache
def _statement(t: Tables) -> sa.TextClause:
    sessions, messages, marks = t.sessions.name, t.messages.name, t.marks.name
    return sa.text(
        f"""
        WITH locked AS (
            INSERT INTO {sessions} AS s
                (session_key, user_id, session_id, summary, next_seq, updated_at)
            VALUES (:key, :user_id, :session_id, '', :n, :now)
            ON CONFLICT (session_key)
            DO UPDATE SET next_seq = s.next_seq + :n, updated_at = :now
            RETURNING s.id, s.next_seq - :n AS first_seq, s.user_id, s.session_id
        ), owned AS (
            SELECT id, first_seq FROM locked
            WHERE user_id = :user_id AND session_id = :session_id
        ), inserted AS (
            INSERT INTO {messages} (session_ref, seq, msg_id, payload)
            SELECT owned.id, owned.first_seq + v.ord - 1, v.msg_id, v.payload
            FROM owned, unnest(:msg_ids, :payloads) WITH ORDINALITY AS v(msg_id, payload, ord)
            ON CONFLICT DO NOTHING
            RETURNING session_ref, seq
        ), marked AS (
            INSERT INTO {marks} (session_ref, mark, seq)
            SELECT inserted.session_ref, m.mark, inserted.seq
            FROM inserted, unnest(:marks) AS m(mark)
        )
        SELECT count(*) FROM owned
        """
    ).bindparams(
        sa.bindparam("key", type_=sa.Text()),
        sa.bindparam("user_id", type_=sa.Text()),
        sa.bindparam("session_id", type_=sa.Text()),
        sa.bindparam("n", type_=sa.BigInteger()),
        sa.bindparam("now", type_=UTCDateTime()),
        sa.bindparam("msg_ids", type_=_TEXT_ARRAY),
        sa.bindparam("payloads", type_=_TEXT_ARRAY),
        sa.bindparam("marks", type_=_TEXT_ARRAY),
    )


async def _add_in_one_statement(
    conn: AsyncConnection, t: Tables, who: Identity, records: Sequence[StoredMessage]
) -> None:
    """Append ``records`` (all carrying the same marks) to the session in one statement."""
    owned = await conn.scalar(
        _statement(t),
        {
            "key": who.key,
            "user_id": who.user_id,
            "session_id": who.session_id,
            "n": len(records),
            "now": datetime.now(timezone.utc),
            "msg_ids": [r.msg_id for r in records],
            "payloads": [r.payload for r in records],
            "marks": list(records[0].marks),
        },
    )
    if owned != 1:
        raise collision()


class _OneStatement:
    """:class:`~memmark.backends.sql._driver.FastAdd` of PostgreSQL, for a batch of one mark set."""

    def serves(self, dialect: Dialect, *, in_session: bool) -> bool:
        return dialect.name == "postgresql"

    async def add(self, target: AddTarget, records: Sequence[StoredMessage]) -> bool:
        if any(r.marks != records[0].marks for r in records):
            return False

        async def one_statement(conn: AsyncConnection) -> None:
            await _add_in_one_statement(conn, target.tables, target.who, records)

        await target.in_one_statement(one_statement)
        return True


FAST_ADD = _OneStatement()
