"""MariaDB's ``add`` in three statements sent straight through the driver (asyncmy).

Through SQLAlchemy each statement of an ``add`` costs several times its round trip in
compilation, parameter processing and result wrapping. Here the same transaction is built
from prebuilt SQL strings and sent on the driver's connection: the session-row upsert
(``INSERT ... ON DUPLICATE KEY UPDATE ... RETURNING``, MariaDB >= 10.5) locks the row and
reserves sequence numbers, one multi-row ``INSERT IGNORE`` stores the messages (skipping
stored ids by the unique key), one multi-row INSERT stores the marks; the surrounding
SQLAlchemy transaction then commits. Ids and marks are VARBINARY, so they travel as UTF-8.
"""

from __future__ import annotations

import functools
from collections.abc import Container, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncConnection

from memmark.errors import BackendError
from memmark.memory._record import StoredMessage
from memmark.memory._sqlalchemy_memory._driver import bound_now, on_driver
from memmark.memory._sqlalchemy_memory._queries import Identity
from memmark.memory._sqlalchemy_memory._schema import Tables

__all__ = ["add_with_driver", "has_fast_path"]


@dataclass(frozen=True)
class _Statements:
    lock: str
    messages: str
    marks: str
    inserted: str


@functools.cache
def _statements(t: Tables) -> _Statements:
    sessions, messages, marks = t.sessions.name, t.messages.name, t.marks.name
    return _Statements(
        lock=(
            f"INSERT INTO {sessions} "
            "(session_key, user_id, session_id, summary, next_seq, updated_at) "
            "VALUES (%s, %s, %s, '', %s, %s) ON DUPLICATE KEY UPDATE "
            "next_seq = next_seq + VALUES(next_seq), updated_at = VALUES(updated_at) "
            "RETURNING id, next_seq, user_id, session_id"
        ),
        messages=f"INSERT IGNORE INTO {messages} (session_ref, seq, msg_id, payload) VALUES ",
        marks=f"INSERT INTO {marks} (session_ref, mark, seq) VALUES ",
        inserted=f"SELECT seq FROM {messages} WHERE session_ref = %s AND seq BETWEEN %s AND %s",
    )


def has_fast_path(dialect: Dialect) -> bool:
    """Whether the driver is asyncmy, on a server with INSERT ... RETURNING (MariaDB)."""
    return dialect.driver == "asyncmy" and bool(dialect.insert_returning)


def _values(template: str, rows: int) -> str:
    return ", ".join([template] * rows)


async def add_with_driver(
    conn: AsyncConnection, t: Tables, who: Identity, records: Sequence[StoredMessage]
) -> None:
    """Append ``records`` to the session; the caller's transaction commits it."""
    stamp = bound_now(conn, t)
    statements = _statements(t)
    user_id, session_id = who.user_id.encode(), who.session_id.encode()

    async def work(driver: Any) -> None:
        async with driver.cursor() as cursor:
            await cursor.execute(
                statements.lock, (who.key, user_id, session_id, len(records), stamp)
            )
            ref, next_seq, stored_user, stored_session = await cursor.fetchone()
            if bytes(stored_user) != user_id or bytes(stored_session) != session_id:
                raise BackendError(
                    "session key collision: the stored ids differ from this memory's"
                )
            first = next_seq - len(records)
            rows: list[Any] = []
            for offset, record in enumerate(records):
                rows += (ref, first + offset, record.msg_id.encode(), record.payload)
            await cursor.execute(
                statements.messages + _values("(%s, %s, %s, %s)", len(records)), rows
            )
            stored: Container[int] = range(first, next_seq)
            if cursor.rowcount != len(records):
                await cursor.execute(statements.inserted, (ref, first, next_seq - 1))
                stored = {int(seq) for (seq,) in await cursor.fetchall()}
            marks: list[Any] = []
            for offset, record in enumerate(records):
                if first + offset in stored:
                    for mark in record.marks:
                        marks += (ref, mark.encode(), first + offset)
            if marks:
                await cursor.execute(
                    statements.marks + _values("(%s, %s, %s)", len(marks) // 3), marks
                )

    await on_driver(conn, statements.lock, work)
