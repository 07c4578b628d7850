"""The statements of the SQL backend, each run on a connection inside one transaction.

Every write first locks the session's row (:func:`lock_session`), so writers of one session
queue on the database, across processes, while other sessions are untouched. Every statement
is bounded by the session's surrogate key, so its cost depends on this session only.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import mysql, postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from memmark._core import Snapshot, StoredMessage
from memmark.backends.sql._schema import ExactText, Tables
from memmark.errors import BackendError

__all__ = [
    "Identity",
    "add_marks",
    "clear_session",
    "count",
    "decode_summary",
    "encode_summary",
    "holds_something",
    "insert_messages",
    "lock_session",
    "pop_newest",
    "relabel",
    "remove_ids",
    "remove_marked",
    "select_snapshot",
    "wipe",
]

_MYSQL = ("mysql", "mariadb")


@dataclass(frozen=True)
class Identity:
    """The session a memory is bound to: its ids and their digest."""

    user_id: str
    session_id: str
    key: str


def encode_summary(summary: str) -> str:
    """Store a summary as ASCII JSON (PostgreSQL TEXT cannot hold NUL); ``""`` stays ``""``."""
    return json.dumps(summary) if summary else ""


def decode_summary(stored: str | None) -> str:
    """Invert :func:`encode_summary`."""
    return str(json.loads(stored)) if stored else ""


def _ignore_duplicates(conn: AsyncConnection, table: sa.Table, unique: str) -> Any:
    """An INSERT that skips rows whose unique key (here ``unique``) is already taken.

    On MySQL/MariaDB a no-op ``ON DUPLICATE KEY UPDATE``: ``INSERT IGNORE`` would leave a
    warning per skipped row, which asyncmy fetches in another round trip and logs. Its row
    count then also counts the rows skipped (SQLAlchemy connects with ``FOUND_ROWS``).
    """
    name = conn.dialect.name
    if name == "postgresql":
        return postgresql.insert(table).on_conflict_do_nothing()
    if name == "sqlite":
        return sqlite.insert(table).on_conflict_do_nothing()
    return mysql.insert(table).on_duplicate_key_update({unique: table.c[unique]})


def _check_owner(row: Any, who: Identity) -> int:
    if row.user_id != who.user_id or row.session_id != who.session_id:
        raise BackendError("session key collision: the stored ids differ from this memory's")
    return int(row.id)


async def lock_session(
    conn: AsyncConnection,
    t: Tables,
    who: Identity,
    *,
    create: bool,
    allocate: int = 0,
    summary: str | None = None,
) -> tuple[int, int] | None:
    """Lock the session's row for this transaction, creating it if ``create``.

    Also reserves ``allocate`` sequence numbers, stamps ``updated_at`` and sets ``summary``
    (already encoded) when given.

    Returns:
        ``(session_ref, first reserved seq)``, or ``None`` if the session has no row and
        ``create`` is false.
    """
    s = t.sessions
    now = datetime.now(timezone.utc)
    changes: dict[str, Any] = {"next_seq": s.c.next_seq + allocate, "updated_at": now}

    def and_summary(value: Any) -> dict[str, Any]:
        """``changes``, plus the summary (``value``: its bind, or the upsert's VALUES)."""
        return changes if summary is None else {**changes, "summary": value}

    returned = (s.c.id, s.c.next_seq, s.c.user_id, s.c.session_id)
    name = conn.dialect.name
    new_row = {
        "session_key": who.key,
        "user_id": who.user_id,
        "session_id": who.session_id,
        "summary": summary or "",
        "next_seq": allocate,
        "updated_at": now,
    }
    # An upsert takes the summary from its VALUES, so a big summary is sent once, not twice
    # (on MySQL/MariaDB a statement must fit max_allowed_packet).
    if create and name in _MYSQL and conn.dialect.insert_returning:  # MariaDB >= 10.5
        stmt: Any = mysql.insert(s).values(new_row)
        stmt = stmt.on_duplicate_key_update(and_summary(stmt.inserted.summary))
        upserted = (await conn.execute(stmt.returning(*returned))).one()
        return _check_owner(upserted, who), int(upserted.next_seq) - allocate
    if name in ("postgresql", "sqlite"):
        if create:
            upsert = postgresql.insert(s) if name == "postgresql" else sqlite.insert(s)
            upsert = upsert.values(new_row)
            stmt = upsert.on_conflict_do_update(
                index_elements=[s.c.session_key], set_=and_summary(upsert.excluded.summary)
            ).returning(*returned)
        else:
            stmt = sa.update(s).where(s.c.session_key == who.key).values(and_summary(summary))
            stmt = stmt.returning(*returned)
        row: Any = (await conn.execute(stmt)).first()
        if row is None:
            return None
        return _check_owner(row, who), int(row.next_seq) - allocate
    locking = sa.select(*returned).where(s.c.session_key == who.key).with_for_update()
    row = (await conn.execute(locking)).first()
    if row is None:
        if not create:
            return None
        await conn.execute(
            _ignore_duplicates(conn, s, "session_key").values(
                session_key=who.key,
                user_id=who.user_id,
                session_id=who.session_id,
                summary="",
                next_seq=0,
                updated_at=now,
            )
        )
        row = (await conn.execute(locking)).one()
    ref = _check_owner(row, who)
    await conn.execute(sa.update(s).where(s.c.id == ref).values(and_summary(summary)))
    return ref, int(row.next_seq)


async def insert_messages(
    conn: AsyncConnection, t: Tables, ref: int, first_seq: int, records: Sequence[StoredMessage]
) -> int:
    """Insert ``records`` at ``first_seq, first_seq + 1, ...``, skipping stored ids.

    Returns:
        How many rows were inserted, as the driver reports it (-1 if it cannot tell).
    """
    rows = [
        {"session_ref": ref, "seq": first_seq + i, "msg_id": r.msg_id, "payload": r.payload}
        for i, r in enumerate(records)
    ]
    result = await conn.execute(_ignore_duplicates(conn, t.messages, "msg_id"), rows)
    return -1 if conn.dialect.name in _MYSQL else int(result.rowcount)


async def add_marks(
    conn: AsyncConnection,
    t: Tables,
    ref: int,
    first_seq: int,
    records: Sequence[StoredMessage],
    inserted_count: int,
) -> None:
    """Give the messages just inserted at ``first_seq...`` their marks (skipped ones none).

    ``inserted_count`` is what :func:`insert_messages` returned: when every record was
    inserted the mark rows are known and written directly; otherwise the inserted rows are
    found by their sequence numbers.
    """
    m, k = t.messages, t.marks
    if inserted_count == 0:
        return
    if inserted_count == len(records):
        rows = [
            {"session_ref": ref, "mark": mark, "seq": first_seq + i}
            for i, r in enumerate(records)
            for mark in r.marks
        ]
        if rows:
            await conn.execute(sa.insert(k), rows)
        return
    in_range = (m.c.session_ref == ref, m.c.seq >= first_seq, m.c.seq < first_seq + len(records))
    shared = records[0].marks
    if all(r.marks == shared for r in records):
        if not shared:
            return
        labels = [sa.select(sa.literal(mark, ExactText(255)).label("mark")) for mark in shared]
        chosen = (labels[0] if len(labels) == 1 else sa.union_all(*labels)).subquery("chosen")
        source = (
            sa.select(m.c.session_ref, chosen.c.mark, m.c.seq)
            .select_from(m.join(chosen, sa.true()))
            .where(*in_range)
        )
        await conn.execute(sa.insert(k).from_select(["session_ref", "mark", "seq"], source))
        return
    inserted = set((await conn.execute(sa.select(m.c.seq).where(*in_range))).scalars())
    rows = [
        {"session_ref": ref, "mark": mark, "seq": first_seq + i}
        for i, r in enumerate(records)
        if first_seq + i in inserted
        for mark in r.marks
    ]
    if rows:
        await conn.execute(sa.insert(k), rows)


def _session_ref(t: Tables, who: Identity) -> Any:
    return sa.select(t.sessions.c.id).where(t.sessions.c.session_key == who.key).scalar_subquery()


async def select_snapshot(
    conn: AsyncConnection,
    t: Tables,
    who: Identity,
    *,
    mark: str | None,
    exclude_mark: str | None,
    limit: int | None,
    with_marks: bool,
) -> Snapshot:
    """Read the summary and the matching messages in one statement (UNION ALL)."""
    s, m, k = t.sessions, t.messages, t.marks
    ref = _session_ref(t, who)
    picked = sa.select(m.c.session_ref, m.c.seq, m.c.msg_id, m.c.payload).where(
        m.c.session_ref == ref
    )
    if mark is not None:
        having = k.alias("having_mark")
        picked = picked.join(
            having,
            sa.and_(having.c.session_ref == ref, having.c.mark == mark, having.c.seq == m.c.seq),
        )
    if exclude_mark is not None:
        excluded = k.alias("excluded")
        picked = picked.where(
            ~sa.exists().where(
                excluded.c.session_ref == m.c.session_ref,
                excluded.c.mark == exclude_mark,
                excluded.c.seq == m.c.seq,
            )
        )
    if limit is not None:
        picked = picked.order_by(m.c.seq.desc()).limit(limit)
    msgs = picked.subquery("msgs")
    if with_marks:
        labels = k.alias("labels")
        messages_part = sa.select(
            sa.literal(1).label("kind"), msgs.c.seq, msgs.c.msg_id, msgs.c.payload, labels.c.mark
        ).select_from(
            msgs.outerjoin(
                labels,
                sa.and_(labels.c.session_ref == msgs.c.session_ref, labels.c.seq == msgs.c.seq),
            )
        )
    else:
        messages_part = sa.select(
            sa.literal(1).label("kind"), msgs.c.seq, msgs.c.msg_id, msgs.c.payload, sa.null()
        )
    summary_part = sa.select(
        sa.literal(0), sa.cast(sa.null(), sa.BigInteger), sa.null(), s.c.summary, sa.null()
    ).where(s.c.session_key == who.key)
    rows = (await conn.execute(sa.union_all(messages_part, summary_part))).all()
    summary = ""
    found: dict[int, tuple[str, str, list[str]]] = {}
    for kind, seq, msg_id, payload, label in rows:
        if kind == 0:
            summary = decode_summary(payload)
            continue
        entry = found.setdefault(int(seq), (msg_id, payload, []))
        if label is not None:
            entry[2].append(label)
    messages = [
        StoredMessage(msg_id, payload, tuple(labels_))
        for _, (msg_id, payload, labels_) in sorted(found.items())
    ]
    return Snapshot(summary, messages)


async def count(conn: AsyncConnection, t: Tables, who: Identity) -> int:
    """Return the number of messages of the session."""
    m = t.messages
    stmt = sa.select(sa.func.count()).select_from(m).where(m.c.session_ref == _session_ref(t, who))
    return int((await conn.execute(stmt)).scalar_one())


async def remove_ids(conn: AsyncConnection, t: Tables, ref: int, msg_ids: Sequence[str]) -> int:
    """Delete these messages and their marks; return how many existed."""
    m, k = t.messages, t.marks
    doomed = sa.select(m.c.seq).where(m.c.session_ref == ref, m.c.msg_id.in_(msg_ids))
    await conn.execute(sa.delete(k).where(k.c.session_ref == ref, k.c.seq.in_(doomed)))
    result = await conn.execute(sa.delete(m).where(m.c.session_ref == ref, m.c.msg_id.in_(msg_ids)))
    return int(result.rowcount)


async def remove_marked(conn: AsyncConnection, t: Tables, ref: int, marks: Sequence[str]) -> int:
    """Delete every message carrying any of ``marks``, then their marks; return how many."""
    m, k = t.messages, t.marks
    marked = sa.select(k.c.seq).where(k.c.session_ref == ref, k.c.mark.in_(marks))
    result = await conn.execute(sa.delete(m).where(m.c.session_ref == ref, m.c.seq.in_(marked)))
    deleted = int(result.rowcount)
    if deleted:
        orphan = ~sa.exists().where(m.c.session_ref == ref, m.c.seq == k.c.seq)
        await conn.execute(sa.delete(k).where(k.c.session_ref == ref, orphan))
    return deleted


async def relabel(
    conn: AsyncConnection,
    t: Tables,
    ref: int,
    *,
    new_mark: str | None,
    old_mark: str | None,
    msg_ids: Sequence[str] | None,
) -> int:
    """Apply :meth:`MemoryBase.update_messages_mark`; return how many messages changed."""
    m, k = t.messages, t.marks
    scope = (
        None
        if msg_ids is None
        else sa.select(m.c.seq).where(m.c.session_ref == ref, m.c.msg_id.in_(msg_ids))
    )
    if old_mark is None:
        assert new_mark is not None
        holder = k.alias("holder")
        source = sa.select(m.c.session_ref, sa.literal(new_mark, ExactText(255)), m.c.seq).where(
            m.c.session_ref == ref,
            ~sa.exists().where(
                holder.c.session_ref == ref, holder.c.mark == new_mark, holder.c.seq == m.c.seq
            ),
        )
        if msg_ids is not None:
            source = source.where(m.c.msg_id.in_(msg_ids))
        result = await conn.execute(
            sa.insert(k).from_select(["session_ref", "mark", "seq"], source)
        )
        return int(result.rowcount)
    old_rows = [k.c.session_ref == ref, k.c.mark == old_mark]
    if scope is not None:
        old_rows.append(k.c.seq.in_(scope))
    if new_mark is not None:
        current = k.alias("current_marks")
        holder = k.alias("holder")
        source = sa.select(
            current.c.session_ref, sa.literal(new_mark, ExactText(255)), current.c.seq
        ).where(
            current.c.session_ref == ref,
            current.c.mark == old_mark,
            ~sa.exists().where(
                holder.c.session_ref == ref,
                holder.c.mark == new_mark,
                holder.c.seq == current.c.seq,
            ),
        )
        if scope is not None:
            source = source.where(current.c.seq.in_(scope))
        await conn.execute(sa.insert(k).from_select(["session_ref", "mark", "seq"], source))
    result = await conn.execute(sa.delete(k).where(*old_rows))
    return int(result.rowcount)


async def wipe(conn: AsyncConnection, t: Tables, ref: int) -> None:
    """Delete every message and mark of the session (the caller resets the summary)."""
    await conn.execute(sa.delete(t.marks).where(t.marks.c.session_ref == ref))
    await conn.execute(sa.delete(t.messages).where(t.messages.c.session_ref == ref))


def holds_something(t: Tables) -> Any:
    """Whether a row of ``t.sessions`` is a session that exists: a summary or a message."""
    s, m = t.sessions, t.messages
    return sa.or_(s.c.summary != "", sa.exists().where(m.c.session_ref == s.c.id))


async def clear_session(conn: AsyncConnection, t: Tables, who: Identity, *, drop: bool) -> bool:
    """Delete every message, mark and the summary of the session, under its row lock.

    ``clear()`` keeps the emptied session row; with ``drop`` (a store's ``delete_session``)
    the row goes too.

    Returns:
        Whether the session held a message or a summary (computed only with ``drop``).
    """
    locked = await lock_session(conn, t, who, create=False, summary=None if drop else "")
    if locked is None:
        return False
    ref = locked[0]
    held = False
    if drop:
        held = bool(
            (
                await conn.execute(sa.select(holds_something(t)).where(t.sessions.c.id == ref))
            ).scalar_one()
        )
    await wipe(conn, t, ref)
    if drop:
        await conn.execute(sa.delete(t.sessions).where(t.sessions.c.id == ref))
    return held


async def pop_newest(conn: AsyncConnection, t: Tables, ref: int) -> StoredMessage | None:
    """Delete the session's newest message and its marks; return it (``None``: empty).

    The caller holds the session's row lock, so no other writer runs in between.
    """
    m, k = t.messages, t.marks
    newest = (
        sa.select(m.c.seq, m.c.msg_id, m.c.payload)
        .where(m.c.session_ref == ref)
        .order_by(m.c.seq.desc())
        .limit(1)
        .subquery("newest")
    )
    labelled = sa.select(newest.c.seq, newest.c.msg_id, newest.c.payload, k.c.mark).select_from(
        newest.outerjoin(k, sa.and_(k.c.session_ref == ref, k.c.seq == newest.c.seq))
    )
    rows = (await conn.execute(labelled)).all()
    if not rows:
        return None
    seq, msg_id, payload = rows[0].seq, rows[0].msg_id, rows[0].payload
    marks = tuple(sorted(row.mark for row in rows if row.mark is not None))
    if marks:
        await conn.execute(sa.delete(k).where(k.c.session_ref == ref, k.c.seq == seq))
    await conn.execute(sa.delete(m).where(m.c.session_ref == ref, m.c.seq == seq))
    return StoredMessage(msg_id, payload, marks)
