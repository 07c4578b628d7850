"""The statements of the SQL backend, each run on a connection inside one transaction.

Every write first locks the session's row (:func:`lock_session`), so writers of one session
queue on the database, across processes, while other sessions are untouched. Every statement
is bounded by the session's surrogate key, so its cost depends on this session only.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import mysql, postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from memmark._core import Snapshot, StoredMessage
from memmark.backends.sql._schema import ExactText, StorageNowMs, Tables
from memmark.errors import BackendError, ConflictError

__all__ = [
    "BOUND",
    "Identity",
    "ReadShape",
    "Written",
    "add_marks",
    "check_owner",
    "check_version",
    "clear_session",
    "collision",
    "count",
    "count_change",
    "decode_summary",
    "encode_summary",
    "holds_anything",
    "holds_something",
    "insert_messages",
    "lock_session",
    "pop_newest",
    "read_params",
    "read_shape",
    "relabel",
    "remove_ids",
    "remove_marked",
    "rewind",
    "select_snapshot",
    "session_version",
    "snapshot_of",
    "snapshot_statement",
    "stored_summary",
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


async def _changed(conn: AsyncConnection, statement: Any, rows: Any = None) -> int:
    """Run a write and return how many rows it changed.

    The count is kept before SQLAlchemy closes the cursor (``preserve_rowcount``): psycopg
    reports -1 for an ``INSERT ... SELECT`` read after that.
    """
    result = await conn.execute(statement.execution_options(preserve_rowcount=True), rows)
    return int(result.rowcount)


def collision() -> BackendError:
    """The error of a session key held by other ids (a digest collision), on every path."""
    return BackendError("session key collision: the stored ids differ from this memory's")


def check_owner(user_id: str, session_id: str, who: Identity) -> None:
    """Raise :func:`collision` unless the session row read holds ``who``'s ids."""
    if user_id != who.user_id or session_id != who.session_id:
        raise collision()


def _check_owner(row: Any, who: Identity) -> int:
    check_owner(row.user_id, row.session_id, who)
    return int(row.id)


async def lock_session(
    conn: AsyncConnection,
    t: Tables,
    who: Identity,
    *,
    create: bool,
    allocate: int = 0,
    summary: str | None = None,
    updated_at: datetime | None = None,
) -> tuple[int, int] | None:
    """Lock the session's row for this transaction, creating it if ``create``.

    Also reserves ``allocate`` sequence numbers, stamps ``updated_at`` (now, unless given)
    and sets ``summary`` (already encoded) when given.

    Returns:
        ``(session_ref, first reserved seq)``, or ``None`` if the session has no row and
        ``create`` is false.
    """
    s = t.sessions
    stamp = datetime.now(timezone.utc) if updated_at is None else updated_at
    changes: dict[str, Any] = {"next_seq": s.c.next_seq + allocate, "updated_at": stamp}

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
        "updated_at": stamp,
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
                updated_at=stamp,
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
    inserted = await _changed(conn, _ignore_duplicates(conn, t.messages, "msg_id"), rows)
    return -1 if conn.dialect.name in _MYSQL else inserted


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


@dataclass(frozen=True)
class ReadShape:
    """Which filters a read applies: each shape is one statement, built once per table set."""

    mark: bool
    exclude_mark: bool
    limit: bool
    with_marks: bool


def read_shape(
    *, mark: str | None, exclude_mark: str | None, limit: int | None, with_marks: bool
) -> ReadShape:
    """The shape of a read with these arguments."""
    return ReadShape(mark is not None, exclude_mark is not None, limit is not None, with_marks)


def read_params(
    who: Identity, *, mark: str | None, exclude_mark: str | None, limit: int | None
) -> dict[str, Any]:
    """The bound values of :func:`snapshot_statement` (those its shape does not use too)."""
    return {"key": who.key, "mark": mark, "exclude_mark": exclude_mark, "limit": limit}


@dataclass(frozen=True)
class Written:
    """Values written into a read statement instead of bound (see ``_reads``).

    Attributes:
        limit: The limit.
        mark: The mark, as a SQL literal of the dialect.
        exclude_mark: The excluded mark, as a SQL literal of the dialect.
    """

    limit: int | None = None
    mark: str | None = None
    exclude_mark: str | None = None


BOUND = Written()
"""Every value bound."""


@functools.cache
def snapshot_statement(t: Tables, shape: ReadShape, written: Written = BOUND) -> Any:
    """The one statement (UNION ALL) that reads the summary and the selected messages.

    Its rows are ``(kind, seq, msg_id, payload, mark)``: kind 0 is the summary row (its text
    in ``payload``), kind 1 a message, once per mark when ``with_marks`` (``mark`` NULL for
    none). Values are bound by name (``key``, ``mark``, ``exclude_mark``, ``limit``), so the
    statement is built, and compiled, once per table set and shape instead of per call;
    ``written`` writes some of them into the statement instead (see ``_reads``).
    """
    s, m, k = t.sessions, t.messages, t.marks
    key = sa.bindparam("key", type_=s.c.session_key.type)
    ref = sa.select(s.c.id).where(s.c.session_key == key).scalar_subquery()
    picked = sa.select(m.c.session_ref, m.c.seq, m.c.msg_id, m.c.payload).where(
        m.c.session_ref == ref
    )

    def mark_value(name: str, literal: str | None) -> Any:
        if literal is None:
            return sa.bindparam(name, type_=k.c.mark.type)
        return sa.literal_column(literal, k.c.mark.type)

    if shape.mark:
        having = k.alias("having_mark")
        picked = picked.join(
            having,
            sa.and_(
                having.c.session_ref == m.c.session_ref,
                having.c.mark == mark_value("mark", written.mark),
                having.c.seq == m.c.seq,
            ),
        )
    if shape.exclude_mark:
        excluded = k.alias("excluded")
        picked = picked.where(
            ~sa.exists().where(
                excluded.c.session_ref == m.c.session_ref,
                excluded.c.mark == mark_value("exclude_mark", written.exclude_mark),
                excluded.c.seq == m.c.seq,
            )
        )
    # In order, though the rows are sorted again once read: ordered, the planners pick a
    # merge or index join for the mark filters whatever their row estimates (a fresh table
    # has none), where unordered they may pick a nested loop over every pair of rows.
    if shape.limit:
        count = (
            sa.bindparam("limit", type_=sa.Integer())
            if written.limit is None
            else sa.literal_column(str(int(written.limit)), sa.Integer())
        )
        picked = picked.order_by(m.c.seq.desc()).limit(count)
    else:
        picked = picked.order_by(m.c.seq)
    msgs = picked.subquery("msgs")
    message_kind = sa.literal_column("1", sa.Integer()).label("kind")
    if shape.with_marks:
        labels = k.alias("labels")
        messages_part = sa.select(
            message_kind, msgs.c.seq, msgs.c.msg_id, msgs.c.payload, labels.c.mark
        ).select_from(
            msgs.outerjoin(
                labels,
                sa.and_(labels.c.session_ref == msgs.c.session_ref, labels.c.seq == msgs.c.seq),
            )
        )
    else:
        messages_part = sa.select(
            message_kind, msgs.c.seq, msgs.c.msg_id, msgs.c.payload, sa.null()
        )
    summary_part = sa.select(
        sa.literal_column("0", sa.Integer()),
        sa.cast(sa.null(), sa.BigInteger),
        sa.null(),
        s.c.summary,
        sa.null(),
    ).where(s.c.session_key == key)
    return sa.union_all(messages_part, summary_part)


def _text(value: Any) -> Any:
    """A text value as ``str`` (VARBINARY columns come back as bytes on MySQL/MariaDB)."""
    return value.decode("utf-8") if isinstance(value, (bytes, bytearray)) else value


def snapshot_of(rows: Sequence[Any]) -> Snapshot:
    """Assemble the rows of :func:`snapshot_statement` into a snapshot, oldest first."""
    summary = ""
    body = []
    for row in rows:
        if row[0] == 0:
            summary = decode_summary(_text(row[3]))
        else:
            body.append(row)
    body.sort(key=_by_seq)  # stable: the rows of one message stay together
    messages: list[StoredMessage] = []
    last_seq: Any = None
    labels: list[str] = []
    for _, seq, msg_id, payload, label in body:
        if seq != last_seq:
            if last_seq is not None:
                messages[-1] = _with_marks(messages[-1], labels)
            last_seq, labels = seq, []
            messages.append(StoredMessage(_text(msg_id), _text(payload)))
        if label is not None:
            labels.append(_text(label))
    if messages:
        messages[-1] = _with_marks(messages[-1], labels)
    return Snapshot(summary, messages)


def _by_seq(row: Any) -> Any:
    return row[1]


def _with_marks(stored: StoredMessage, labels: list[str]) -> StoredMessage:
    return StoredMessage(stored.msg_id, stored.payload, tuple(labels)) if labels else stored


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
    shape = read_shape(mark=mark, exclude_mark=exclude_mark, limit=limit, with_marks=with_marks)
    params = read_params(who, mark=mark, exclude_mark=exclude_mark, limit=limit)
    rows = (await conn.execute(snapshot_statement(t, shape), params)).all()
    return snapshot_of(rows)


async def count(conn: AsyncConnection, t: Tables, who: Identity) -> int:
    """Return the number of messages of the session."""
    m = t.messages
    stmt = sa.select(sa.func.count()).select_from(m).where(m.c.session_ref == _session_ref(t, who))
    return int((await conn.execute(stmt)).scalar_one())


_IDS_PER_STATEMENT = 10_000
"""Most ids one statement names: asyncpg binds at most 32,767 parameters."""


def _id_chunks(msg_ids: Sequence[str]) -> list[Sequence[str]]:
    return [msg_ids[i : i + _IDS_PER_STATEMENT] for i in range(0, len(msg_ids), _IDS_PER_STATEMENT)]


async def remove_ids(conn: AsyncConnection, t: Tables, ref: int, msg_ids: Sequence[str]) -> int:
    """Delete these messages and their marks; return how many existed."""
    removed = 0
    for chunk in _id_chunks(msg_ids):
        removed += await _remove_some(conn, t, ref, chunk)
    return removed


async def _remove_some(conn: AsyncConnection, t: Tables, ref: int, msg_ids: Sequence[str]) -> int:
    m, k = t.messages, t.marks
    doomed = sa.select(m.c.seq).where(m.c.session_ref == ref, m.c.msg_id.in_(msg_ids))
    await conn.execute(sa.delete(k).where(k.c.session_ref == ref, k.c.seq.in_(doomed)))
    return await _changed(conn, sa.delete(m).where(m.c.session_ref == ref, m.c.msg_id.in_(msg_ids)))


async def remove_marked(
    conn: AsyncConnection,
    t: Tables,
    ref: int,
    marks: Sequence[str],
    older_than_ms: int | None,
) -> int:
    """Delete every message carrying any of ``marks``, then their marks; return how many.

    With ``older_than_ms``, only the messages stored at least that many milliseconds ago
    by the database's clock.
    """
    m, k = t.messages, t.marks
    marked = sa.select(k.c.seq).where(k.c.session_ref == ref, k.c.mark.in_(marks))
    doomed = [m.c.session_ref == ref, m.c.seq.in_(marked)]
    if older_than_ms is not None:
        doomed.append(m.c.stored_at <= StorageNowMs() - older_than_ms)
    deleted = await _changed(conn, sa.delete(m).where(*doomed))
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
    scopes: list[Sequence[str] | None] = [None] if msg_ids is None else [*_id_chunks(msg_ids)]
    changed = 0
    for scope in scopes:
        changed += await _relabel_some(conn, t, ref, (new_mark, old_mark), scope)
    return changed


async def _relabel_some(
    conn: AsyncConnection,
    t: Tables,
    ref: int,
    marks: tuple[str | None, str | None],
    msg_ids: Sequence[str] | None,
) -> int:
    """:func:`relabel` of the messages ``msg_ids`` (``None``: all); ``marks``: new, old."""
    new_mark, old_mark = marks
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
        return await _changed(
            conn, sa.insert(k).from_select(["session_ref", "mark", "seq"], source)
        )
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
    return await _changed(conn, sa.delete(k).where(*old_rows))


async def wipe(conn: AsyncConnection, t: Tables, ref: int) -> None:
    """Delete every message and mark of the session (the caller resets the summary)."""
    await conn.execute(sa.delete(t.marks).where(t.marks.c.session_ref == ref))
    await conn.execute(sa.delete(t.messages).where(t.messages.c.session_ref == ref))


def holds_something(t: Tables) -> Any:
    """Whether a row of ``t.sessions`` is a session that exists: a summary or a message."""
    s, m = t.sessions, t.messages
    return sa.or_(s.c.summary != "", sa.exists().where(m.c.session_ref == s.c.id))


async def clear_session(
    conn: AsyncConnection, t: Tables, who: Identity, *, drop: bool, expected: int | None = None
) -> bool:
    """Delete every message, mark and the summary of the session, under its row lock.

    ``clear()`` keeps the emptied session row, so its version goes on increasing (a cleared
    session counts as one change); with ``drop`` (a store's ``delete_session``) the row goes
    too. ``expected`` is checked as :func:`check_version` does, before anything changes.

    Returns:
        Whether the session held a message or a summary.
    """
    locked = await lock_session(conn, t, who, create=False)
    ref = None if locked is None else locked[0]
    await check_version(conn, t, ref, expected)
    if ref is None:
        return False
    held = await holds_anything(conn, t, ref)
    if drop:
        await wipe(conn, t, ref)
        await conn.execute(sa.delete(t.sessions).where(t.sessions.c.id == ref))
    elif held:
        await lock_session(conn, t, who, create=False, summary="")
        await wipe(conn, t, ref)
        await count_change(conn, t, ref)
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


async def rewind(conn: AsyncConnection, t: Tables, ref: int, msg_id: str) -> int:
    """Delete ``msg_id`` and every later message of the session with their marks."""
    m, k = t.messages, t.marks
    found = sa.select(m.c.seq).where(m.c.session_ref == ref, m.c.msg_id == msg_id)
    first = (await conn.execute(found)).scalar()
    if first is None:
        return 0
    await conn.execute(sa.delete(k).where(k.c.session_ref == ref, k.c.seq >= first))
    result = await conn.execute(sa.delete(m).where(m.c.session_ref == ref, m.c.seq >= first))
    return int(result.rowcount)


async def holds_anything(conn: AsyncConnection, t: Tables, ref: int) -> bool:
    """Whether the session ``ref`` has a message or a summary (:func:`holds_something`)."""
    held = sa.select(holds_something(t)).where(t.sessions.c.id == ref)
    return bool((await conn.execute(held)).scalar())


def _version_of(t: Tables) -> Any:
    return t.sessions.c.next_seq + t.sessions.c.changes


async def session_version(conn: AsyncConnection, t: Tables, who: Identity) -> int:
    """The session's version: ``next_seq + changes`` (0 when it has no row)."""
    s = t.sessions
    found = sa.select(_version_of(t)).where(s.c.session_key == who.key)
    return int((await conn.execute(found)).scalar() or 0)


async def check_version(
    conn: AsyncConnection, t: Tables, ref: int | None, expected: int | None
) -> None:
    """Raise :class:`ConflictError` unless the locked session ``ref`` is at ``expected``.

    ``ref`` is ``None`` for a session without a row (version 0); ``expected`` ``None``
    checks nothing.
    """
    if expected is None:
        return
    current = 0
    if ref is not None:
        found = sa.select(_version_of(t)).where(t.sessions.c.id == ref)
        current = int((await conn.execute(found)).scalar_one())
    if current != expected:
        raise ConflictError(expected, current)


async def count_change(conn: AsyncConnection, t: Tables, ref: int) -> None:
    """Count one write (other than ``add``) that changed the locked session."""
    s = t.sessions
    await conn.execute(sa.update(s).where(s.c.id == ref).values(changes=s.c.changes + 1))


async def stored_summary(conn: AsyncConnection, t: Tables, ref: int) -> str:
    """The session's summary as stored (encoded, see :func:`encode_summary`)."""
    s = t.sessions
    return str((await conn.execute(sa.select(s.c.summary).where(s.c.id == ref))).scalar_one())
