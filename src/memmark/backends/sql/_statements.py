"""The SQL of the session's writes, per database, with ``?`` placeholders.

Written once and used twice: sent one by one by ``_lifecycle``'s operations, and composed
into the bodies of the database routines of ``_routines`` (each ``?`` bound to one of the
routine's variables with :func:`bound`). The SQL differs per database only where the
databases do: MariaDB has no ``UPDATE ... RETURNING`` and no ``ON CONFLICT``.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.engine import Dialect

from memmark._core import StoredMessage
from memmark.backends.sql._schema import Tables

__all__ = ["LISTED_IDS", "Calls", "Statements", "bound", "statements", "statements_of"]


LISTED_IDS = 100
"""Most ids a statement names one parameter each where it may bind an array instead.

PostgreSQL sizes an array parameter it cannot see at ten elements, so the generic plan of
a statement naming one message by array looked dearer than a custom one, and it planned
the statement again on every call (0.5-0.8 ms of an ``update_messages_mark`` of one
message once the tables had statistics); one parameter per id keeps the generic plan.
"""


@dataclass(frozen=True)
class Calls:
    """The statements calling the routines of ``_routines``, with ``?`` placeholders."""

    pop: str
    rewind: str
    compress: str
    fork: str


@dataclass(frozen=True)
class Statements:
    """The statements of the operations on one table set, in one database's SQL.

    ``lock_*`` and ``reserve_or_create`` return the session row as
    ``(id, user_id, session_id, next_seq, changes, has a summary)``; MariaDB's
    ``lock_existing`` is a ``SELECT ... FOR UPDATE`` (it cannot ``UPDATE ... RETURNING``),
    and ``stamp`` stamps the row at the end, counting the change. ``upsert`` is MariaDB's
    ``lock_or_create`` without its ``RETURNING`` (a routine cannot take its rows).
    ``message`` inserts one row unless its id is stored (then it counts 0) and takes
    :meth:`message_args`.

    ``source`` reads ``shared``: on MariaDB a locking read, so that ``copy``'s read of the
    source session (before it locks the target) does not open the transaction's REPEATABLE
    READ snapshot: the reads after the lock must see a concurrent fork that committed while
    it waited.

    ``calls`` is set where the operations run as the database's routines (``_routines``);
    ``arrays`` where a long list of ids is bound as one array (PostgreSQL: asyncpg takes at
    most 32,767 parameters), see :meth:`among`. ``fence`` ends a correlated subquery that must run
    once per row of its outer query, never turned into a join its planner may reorder
    (PostgreSQL: ``OFFSET 0``), see :meth:`move_mark`.
    """

    t: Tables
    mariadb: bool
    lock_existing: str
    lock_or_create: str
    reserve_or_create: str
    message: str
    mark: str
    stamp: str = ""
    upsert: str = ""
    shared: str = ""
    calls: Calls | None = None
    arrays: bool = False
    fence: str = ""
    version: str = field(init=False)
    count_change: str = field(init=False)
    pop_marks: str = field(init=False)
    pop_message: str = field(init=False)
    find: str = field(init=False)
    delete_marks_from: str = field(init=False)
    delete_messages_from: str = field(init=False)
    wipe_marks: str = field(init=False)
    wipe_messages: str = field(init=False)
    summary: str = field(init=False)
    set_summary: str = field(init=False)
    holds_messages: str = field(init=False)
    reserve: str = field(init=False)
    source: str = field(init=False)
    copy_messages: str = field(init=False)
    copy_marks: str = field(init=False)

    def __post_init__(self) -> None:
        s, m, k = self.t.sessions.name, self.t.messages.name, self.t.marks.name
        newest = f"(SELECT max(seq) FROM {m} WHERE session_ref = ?)"
        shared = {
            "version": f"SELECT next_seq + changes FROM {s} WHERE session_key = ?",
            "count_change": f"UPDATE {s} SET changes = changes + 1 WHERE id = ?",
            "pop_marks": (
                f"DELETE FROM {k} WHERE session_ref = ? AND seq = {newest} RETURNING mark"
            ),
            "pop_message": (
                f"DELETE FROM {m} WHERE session_ref = ? AND seq = {newest} "
                "RETURNING msg_id, payload"
            ),
            "find": f"SELECT seq FROM {m} WHERE session_ref = ? AND msg_id = ?",
            "delete_marks_from": f"DELETE FROM {k} WHERE session_ref = ? AND seq >= ?",
            "delete_messages_from": f"DELETE FROM {m} WHERE session_ref = ? AND seq >= ?",
            "wipe_marks": f"DELETE FROM {k} WHERE session_ref = ?",
            "wipe_messages": f"DELETE FROM {m} WHERE session_ref = ?",
            "summary": f"SELECT summary FROM {s} WHERE id = ?",
            "set_summary": f"UPDATE {s} SET summary = ? WHERE id = ?",
            "holds_messages": f"SELECT EXISTS (SELECT 1 FROM {m} WHERE session_ref = ?)",
            "reserve": (
                f"UPDATE {s} SET next_seq = next_seq + ?, summary = ?, changes = changes + ? "
                "WHERE id = ?"
            ),
            "source": (
                f"SELECT s.id, s.user_id, s.session_id, s.summary, m.seq FROM {s} AS s "
                f"LEFT JOIN {m} AS m ON m.session_ref = s.id AND m.msg_id = ? "
                f"WHERE s.session_key = ?{self.shared}"
            ),
            "copy_messages": self.copy_messages_as("payload"),
            "copy_marks": (
                f"INSERT INTO {k} (session_ref, mark, seq) "
                f"SELECT copied.session_ref, k.mark, copied.seq FROM {k} AS k "
                f"JOIN {m} AS original ON original.session_ref = k.session_ref "
                "AND original.seq = k.seq "
                f"JOIN {m} AS copied ON copied.session_ref = ? AND copied.msg_id = original.msg_id "
                "WHERE k.session_ref = ? AND k.seq <= ?"
            ),
        }
        for name, sql in shared.items():
            object.__setattr__(self, name, sql)

    def among(self, msg_ids: Sequence[str]) -> tuple[str, tuple[Any, ...]]:
        """The ``ids`` condition of the scoped statements below for ``msg_ids``, and its values.

        One parameter per id, or one array of them where :attr:`arrays` and there are more
        than :data:`LISTED_IDS`.
        """
        if self.arrays and len(msg_ids) > LISTED_IDS:
            return "= ANY(?)", (list(msg_ids),)
        return f"IN ({', '.join('?' * len(msg_ids))})", tuple(msg_ids)

    def message_args(self, ref: int, seq: int, record: StoredMessage) -> tuple[Any, ...]:
        """The parameters of :attr:`message` for ``record`` at ``seq``."""
        if self.mariadb:
            return (ref, seq, record.msg_id, record.payload, ref, record.msg_id)
        return (ref, seq, record.msg_id, record.payload)

    def copy_messages_as(self, payload: str) -> str:
        """Copy the messages up to a seq, each payload read as the SQL ``payload``.

        Takes ``(target ref, its first seq, source ref, last seq)``.
        """
        m = self.t.messages.name
        return (
            f"INSERT INTO {m} (session_ref, seq, msg_id, payload) "
            f"SELECT ?, ? + ROW_NUMBER() OVER (ORDER BY seq) - 1, msg_id, {payload} "
            f"FROM {m} WHERE session_ref = ? AND seq <= ?"
        )

    def remove_marks_of(self, ids: str) -> str:
        """Delete the marks of the messages ``msg_id {ids}``; takes ``(ref, ref)``."""
        m, k = self.t.messages.name, self.t.marks.name
        return (
            f"DELETE FROM {k} WHERE session_ref = ? AND seq IN "
            f"(SELECT seq FROM {m} WHERE session_ref = ? AND msg_id {ids})"
        )

    def remove_messages(self, ids: str) -> str:
        """Delete the messages ``msg_id {ids}``; takes ``(ref,)``."""
        return f"DELETE FROM {self.t.messages.name} WHERE session_ref = ? AND msg_id {ids}"

    def gain_mark(self, ids: str) -> str:
        """Mark the messages ``msg_id {ids}`` not holding the mark; ``(mark, ref, ref, mark)``.

        ``ids`` empty: every message of the session.
        """
        m, k = self.t.messages.name, self.t.marks.name
        chosen = f" AND msg_id {ids}" if ids else ""
        return (
            f"INSERT INTO {k} (session_ref, mark, seq) SELECT session_ref, ?, seq FROM {m} "
            f"WHERE session_ref = ?{chosen} AND NOT EXISTS (SELECT 1 FROM {k} AS holder "
            f"WHERE holder.session_ref = ? AND holder.mark = ? AND holder.seq = {m}.seq)"
        )

    def move_mark(self, ids: str) -> str:
        """Give the holders of a mark another, unless held: ``(new, ref, old, [ref], ref, new)``.

        Only the messages ``msg_id {ids}`` (then ``ref`` once more before the last two);
        ``ids`` empty: every holder. With a :attr:`fence`, the chosen messages are found
        first and each one's two marks looked up by key: PostgreSQL otherwise walked every
        holder of the old mark (a session newer than the table's statistics looks to it as
        if it held none), 1.5 ms for one message of a 1,000-message session.
        """
        m, k = self.t.messages.name, self.t.marks.name
        if ids and self.fence:
            return (
                f"INSERT INTO {k} (session_ref, mark, seq) SELECT session_ref, ?, seq "
                f"FROM {m} AS chosen WHERE session_ref = ? AND EXISTS (SELECT 1 FROM {k} AS "
                "current WHERE current.session_ref = chosen.session_ref AND current.mark = ? "
                f"AND current.seq = chosen.seq{self.fence}) AND session_ref = ? AND msg_id {ids} "
                f"AND NOT EXISTS (SELECT 1 FROM {k} AS holder WHERE holder.session_ref = ? AND "
                f"holder.mark = ? AND holder.seq = chosen.seq{self.fence})"
            )
        return (
            f"INSERT INTO {k} (session_ref, mark, seq) SELECT session_ref, ?, seq FROM {k} AS "
            f"current WHERE session_ref = ? AND mark = ?{self._of_messages(ids)} AND NOT EXISTS "
            f"(SELECT 1 FROM {k} AS holder WHERE holder.session_ref = ? AND holder.mark = ? "
            "AND holder.seq = current.seq)"
        )

    def drop_mark(self, ids: str) -> str:
        """Remove a mark: ``(ref, mark, [ref])``, of the messages ``msg_id {ids}`` if given."""
        return (
            f"DELETE FROM {self.t.marks.name} WHERE session_ref = ? AND mark = ?"
            f"{self._of_messages(ids)}"
        )

    def _of_messages(self, ids: str) -> str:
        """A marks row's condition: its message is one of ``msg_id {ids}`` (takes ``ref``).

        With a :attr:`fence` (PostgreSQL) the messages' sequence numbers are found first,
        once: on tables never analysed its generic plan otherwise looked the messages up
        again for each of the session's marks (1.9 ms for one of 1,000).
        """
        if not ids:
            return ""
        chosen = f"SELECT seq FROM {self.t.messages.name} WHERE session_ref = ? AND msg_id {ids}"
        if self.fence:
            return f" AND seq = ANY(ARRAY({chosen}))"
        return f" AND seq IN ({chosen})"


_ROW = "id, user_id, session_id, next_seq, changes, summary <> ''"
_NEW_ROW = "(session_key, user_id, session_id, summary, next_seq, updated_at)"


@functools.cache
def statements_of(t: Tables, mariadb: bool) -> Statements:
    """The statements on ``t`` in MariaDB's SQL (``mariadb``) or in the others'."""
    s, m, k = t.sessions.name, t.messages.name, t.marks.name
    mark = f"INSERT INTO {k} (session_ref, mark, seq) VALUES (?, ?, ?)"
    if mariadb:
        upsert = (
            f"INSERT INTO {s} {_NEW_ROW} VALUES (?, ?, ?, '', 0, ?) "
            "ON DUPLICATE KEY UPDATE updated_at = VALUES(updated_at)"
        )
        return Statements(
            t,
            mariadb,
            lock_existing=f"SELECT {_ROW} FROM {s} WHERE session_key = ? FOR UPDATE",
            lock_or_create=f"{upsert} RETURNING {_ROW}",
            reserve_or_create=(
                f"INSERT INTO {s} {_NEW_ROW} VALUES (?, ?, ?, '', ?, ?) "
                "ON DUPLICATE KEY UPDATE next_seq = next_seq + VALUES(next_seq), "
                f"updated_at = VALUES(updated_at) RETURNING {_ROW}"
            ),
            # Under the session's lock no other writer inserts here: NOT EXISTS is exact, and
            # unlike INSERT IGNORE it leaves no warning (drivers fetch and log those).
            message=(
                f"INSERT INTO {m} (session_ref, seq, msg_id, payload) SELECT ?, ?, ?, ? "
                f"FROM DUAL WHERE NOT EXISTS (SELECT 1 FROM {m} "
                "WHERE session_ref = ? AND msg_id = ?)"
            ),
            mark=mark,
            stamp=f"UPDATE {s} SET updated_at = ?, changes = changes + ? WHERE id = ?",
            upsert=upsert,
            shared=" LOCK IN SHARE MODE",
        )
    return Statements(
        t,
        mariadb,
        lock_existing=f"UPDATE {s} SET updated_at = ? WHERE session_key = ? RETURNING {_ROW}",
        lock_or_create=(
            f"INSERT INTO {s} {_NEW_ROW} VALUES (?, ?, ?, '', 0, ?) "
            "ON CONFLICT (session_key) DO UPDATE SET updated_at = excluded.updated_at "
            f"RETURNING {_ROW}"
        ),
        reserve_or_create=(
            f"INSERT INTO {s} {_NEW_ROW} VALUES (?, ?, ?, '', ?, ?) "
            f"ON CONFLICT (session_key) DO UPDATE SET next_seq = {s}.next_seq + "
            f"excluded.next_seq, updated_at = excluded.updated_at RETURNING {_ROW}"
        ),
        message=(
            f"INSERT INTO {m} (session_ref, seq, msg_id, payload) VALUES (?, ?, ?, ?) "
            "ON CONFLICT DO NOTHING"
        ),
        mark=mark,
    )


def statements(dialect: Dialect, t: Tables) -> Statements:
    """The statements of ``dialect`` on ``t``."""
    if dialect.name == "postgresql":
        return _postgresql(t)
    return statements_of(t, dialect.name in ("mysql", "mariadb"))


@functools.cache
def _postgresql(t: Tables) -> Statements:
    return dataclasses.replace(statements_of(t, mariadb=False), arrays=True, fence=" OFFSET 0")


def bound(sql: str, *values: str) -> str:
    """``sql`` with its ``?`` placeholders replaced, in order, by the SQL ``values``."""
    parts = sql.split("?")
    if len(parts) != len(values) + 1:
        raise ValueError(f"{len(parts) - 1} placeholders, {len(values)} values: {sql}")
    return parts[0] + "".join(value + part for value, part in zip(values, parts[1:], strict=True))
