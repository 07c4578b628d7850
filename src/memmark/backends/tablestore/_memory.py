"""``TablestoreMemory``: memory in Alibaba Cloud Tablestore tables, via the official SDK.

Usage::

    async with TablestoreMemory(
        end_point="https://my-instance.cn-hangzhou.ots.aliyuncs.com",
        instance_name="my-instance",
        access_key_id="...",
        access_key_secret="...",
        user_id="user_1",
        session_id="session_1",
    ) as memory:
        await memory.add(Msg("Alice", "Hi", "user"), marks="greeting")

Only primary-key tables and range reads are used (never a search index, which lags behind),
so every read sees every finished write.

Every change runs under the session's writer lock (see ``_session``). An insert is published
all at once by advancing ``next_seq``. Other changes touch rows one batch after another and
are ordered so a crash mid-way never shows a message without its marks: mark index rows are
written before and deleted after the message rows they point to, and the message row's own
``marks`` column is what counts, so a stale index row is filtered out. A reader running
during a delete, relabel, clear or import may see part of it (Tablestore has no multi-row
transactions here); a crash leaves that part done, and repeating the call completes it.
``compress`` and ``rewind`` are the exception: they flag the session row while they rewrite
rows, and readers wait for them (see ``_session``), so a reader sees them whole or not at all.
A session's version (``version()``) is a column of the session row, checked and advanced
under the writer lock.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from memmark._core import ClientOwner, MemoryBase, Snapshot, StoredMessage, epoch_ms, retrying
from memmark.backends.tablestore._errors import is_transient
from memmark.backends.tablestore._rows import (
    BATCH_GET_MAX_ROWS,
    HIGHEST,
    LOWEST,
    RowOp,
    Rows,
)
from memmark.backends.tablestore._schema import ensure_tables, table_names
from memmark.backends.tablestore._sdk import open_client
from memmark.backends.tablestore._session import (
    LEASE_SECONDS,
    Session,
    SessionRow,
    Writer,
    now_ms,
)
from memmark.errors import ConflictError, MemmarkError
from memmark.message import Msg

__all__ = ["TablestoreMemory", "drop_session"]

PAYLOAD_COLUMN_BYTES = 2_000_000
"""Tablestore holds at most 2 MB in one attribute value: longer payloads span p0, p1, ..."""
PRIMARY_KEY_VALUE_BYTES = 1024
"""Tablestore holds at most 1 KB in one primary-key string.

User and session ids are index keys, so they are checked against it. Marks and message ids
(at most 255 characters, so at most 1,020 bytes in UTF-8) always fit and are keys as they are.
"""
_META = ["seq", "msg_id", "marks", "stored_at"]


@dataclass(frozen=True)
class _Entry:
    seq: int
    msg_id: str
    marks: frozenset[str]
    payload: str = ""
    stored_at: int | None = None
    """Ms since the epoch by the writer's clock; ``None`` on rows of an earlier memmark."""


def _entry(columns: dict[str, Any]) -> _Entry:
    parts = columns.get("parts", 0)
    payload = "".join(columns[f"p{index}"] for index in range(parts)) if "p0" in columns else ""
    return _Entry(
        columns["seq"],
        columns["msg_id"],
        frozenset(json.loads(columns["marks"])),
        payload,
        columns.get("stored_at"),
    )


def _refuse_search_index(
    text_field: object, embedding_field: object, vector_dimension: object, kwargs: dict[str, Any]
) -> None:
    """Raise if AgentScope's search-index arguments ask for anything but their defaults."""
    asked = {
        name: value
        for name, value, default in (
            ("text_field", text_field, "text"),
            ("embedding_field", embedding_field, "embedding"),
            ("vector_dimension", vector_dimension, 0),
        )
        if value != default
    }
    asked.update(kwargs)
    if asked:
        raise ValueError(
            f"TablestoreMemory cannot honour {sorted(asked)}: memmark keeps messages in "
            "primary-key tables and builds no search index or vector field"
        )


class TablestoreMemory(ClientOwner[Any], MemoryBase):
    """Memory of one (user_id, session_id) in Tablestore, shared by every process using it.

    Tables named ``<table_name>_session``, ``_message``, ``_mark``, ``_msg_id`` and ``_index``
    are created on first use. The client is the SDK's ``AsyncOTSClient`` (its I/O runs on
    aiohttp, so nothing blocks the event loop).
    """

    max_payload_bytes = 3 * 1024 * 1024
    """A message row must fit one 4 MB PutRow request, keys and marks included."""

    max_summary_bytes = PAYLOAD_COLUMN_BYTES
    """The summary is one attribute of the session row."""

    max_identity_bytes = PRIMARY_KEY_VALUE_BYTES
    """Both ids are primary-key columns of the index table."""

    def __init__(
        self,
        end_point: str | None = None,
        instance_name: str | None = None,
        access_key_id: str | None = None,
        access_key_secret: str | None = None,
        user_id: str | None = "default_user",
        session_id: str | None = "default_session",
        sts_token: str | None = None,
        table_name: str = "memmark",
        text_field: str = "text",
        embedding_field: str = "embedding",
        vector_dimension: int = 0,
        *,
        client: Any = None,
        **kwargs: Any,
    ) -> None:
        """Connect to a Tablestore instance (or use ``client``) for one user's session.

        The positional order is AgentScope's. memmark reads only primary-key tables (never a
        search index, which lags behind writes), so AgentScope's search-index arguments
        ``text_field``, ``embedding_field`` and ``vector_dimension`` are accepted at their
        defaults only, and ``kwargs`` (options of AgentScope's knowledge store) not at all.

        Args:
            end_point: The instance endpoint, e.g. ``https://x.cn-hangzhou.ots.aliyuncs.com``.
            instance_name: The instance name.
            access_key_id: AccessKey id.
            access_key_secret: AccessKey secret.
            user_id: Whose memory this is; ``None`` means ``"default_user"``.
            session_id: Which of the user's sessions; ``None`` means ``"default_session"``.
            sts_token: STS security token, for temporary credentials.
            table_name: Prefix of the tables' names.
            text_field: AgentScope's search-index text field; only ``"text"``.
            embedding_field: AgentScope's search-index vector field; only ``"embedding"``.
            vector_dimension: AgentScope's vector size; only ``0`` (no vector search).
            client: An ``AsyncOTSClient`` to use instead of creating one; it stays open
                when this memory closes.
            **kwargs: AgentScope's knowledge-store options; none can be honoured.

        Raises:
            ImportError: the ``tablestore`` SDK is not installed.
            ValueError: credentials are missing (without ``client``), ``table_name`` is
                not a valid table name, or a search-index argument or ``kwargs`` asks for
                what memmark does not do.
            ContentTooLargeError: ``user_id`` or ``session_id`` exceeds 1 KB in UTF-8.
        """
        _refuse_search_index(text_field, embedding_field, vector_dimension, kwargs)
        super().__init__(user_id=user_id, session_id=session_id)
        names = table_names(table_name)
        self._client, self._endpoint = open_client(
            "TablestoreMemory",
            client,
            end_point,
            instance_name,
            access_key_id,
            access_key_secret,
            sts_token,
        )
        self._adopt(self._client, owned=self._endpoint is not None)
        self._names = names
        self._table_name = table_name
        self._rows = Rows(self._client)
        self._session = Session(self._rows, names, self.user_id, self.session_id)
        self._lock = asyncio.Lock()

    @property
    def _telemetry_backend(self) -> str:
        return "tablestore"

    async def add(
        self,
        memories: Msg | list[Msg] | None,
        marks: str | list[str] | None = None,
        allow_duplicates: bool = True,
        *,
        expected_version: int | None = None,
        **kwargs: Any,
    ) -> None:
        """Append messages as :meth:`MemoryBase.add` does, with AgentScope's Tablestore signature.

        Its third parameter is ``allow_duplicates``, accepted for that signature, where it
        defaults to ``True``; a documented no-op: memmark stores each message id once per
        session and skips an id already stored, whatever this says (AgentScope's Tablestore
        overwrote the stored message instead).
        """
        await self._add_flagged(
            "allow_duplicates", allow_duplicates, None, memories, marks, expected_version, kwargs
        )

    async def _release(self, client: Any) -> None:
        await client.close()

    def _key(self, *columns: tuple[str, Any]) -> list[tuple[str, Any]]:
        return [("session_key", self._session.key), *columns]

    @contextlib.asynccontextmanager
    async def _writing(
        self, *, rewrite: bool = False, expected: int | None = None
    ) -> AsyncIterator[Writer]:
        """Hold the session's writer lock; publish the writer's fields on a clean exit.

        With ``rewrite`` readers wait until the release (see ``_session``): for operations
        that change published rows and must appear as one step. With ``expected`` a session
        at another version raises ``ConflictError`` before anything is written.

        If the change fails, the lock is released with the summary and ``next_seq`` it
        found and a recounted count (a delete may be half done), retried through transient
        failures. If even that fails, that failure is raised (``from`` the change's error,
        which an interrupt or cancellation keeps instead) and the lock expires after its
        lease; the next writer then recounts.
        """
        await ensure_tables(self._client, self._names, self._endpoint)
        async with self._lock:
            writer = await self._session.acquire()
            try:
                if writer.took_over:
                    writer.count = await self._recount(writer.next_seq)
                if expected is not None and writer.row.version != expected:
                    raise ConflictError(expected, writer.row.version)
                if rewrite:
                    await self._session.begin_rewrite(writer)
                yield writer
            except BaseException as error:
                if not writer.dropped:
                    await self._abort(writer, error)
                raise
            if not writer.dropped:
                await self._session.release(writer)

    async def _abort(self, writer: Writer, error: BaseException) -> None:
        """Release the lock of a failed change, leaving the session as its rows say."""
        writer.summary, writer.next_seq = writer.row.summary, writer.row.next_seq

        async def recount_and_release() -> None:
            writer.count = await self._recount(writer.next_seq)
            await self._session.release(writer)

        try:
            await retrying(recount_and_release, is_retryable=is_transient)
        except MemmarkError as cleanup_error:
            if not isinstance(error, Exception):
                return
            raise type(cleanup_error)(
                f"{error}; then the session's writer lock could not be released "
                f"({cleanup_error}): it expires after {LEASE_SECONDS:.0f} s, and the next "
                "writer repairs the message count"
            ) from error

    async def _recount(self, next_seq: int) -> int:
        rows = self._rows.scan(
            self._names.message,
            self._key(("seq", 0)),
            self._key(("seq", next_seq)),
            columns=["seq"],
        )
        return sum([1 async for _ in rows])

    async def _visible_limit(self) -> tuple[str, int] | None:
        await ensure_tables(self._client, self._names, self._endpoint)
        row = await self._session.read()
        return None if row is None else (row.summary, row.next_seq)

    async def _by_ids(self, msg_ids: Iterable[str], next_seq: int) -> list[_Entry]:
        """The stored messages with these ids (an id row must point at its own message)."""
        ids = list(msg_ids)
        pointers = await self._rows.get_many(
            self._names.msg_id, [self._key(("msg_id", i)) for i in ids], ["seq"]
        )
        seqs = {
            msg_id: row["seq"]
            for msg_id, row in zip(ids, pointers, strict=True)
            if row is not None and row["seq"] < next_seq
        }
        found = await self._by_seqs(seqs.values(), _META)
        return [entry for entry in found if seqs.get(entry.msg_id) == entry.seq]

    async def _by_seqs(self, seqs: Iterable[int], columns: list[str] | None) -> list[_Entry]:
        keys = [self._key(("seq", seq)) for seq in sorted(set(seqs))]
        rows = await self._rows.get_many(self._names.message, keys, columns)
        return [_entry(row) for row in rows if row is not None]

    async def _seqs_with_mark(self, mark: str, next_seq: int) -> list[int]:
        rows = self._rows.scan(
            self._names.mark,
            self._key(("mark", mark), ("seq", 0)),
            self._key(("mark", mark), ("seq", next_seq)),
            columns=["seq"],
        )
        return [row["seq"] async for row in rows]

    async def _by_marks(self, marks: Iterable[str], next_seq: int) -> list[_Entry]:
        wanted = set(marks)
        seqs: set[int] = set()
        for mark in wanted:
            seqs.update(await self._seqs_with_mark(mark, next_seq))
        return [entry for entry in await self._by_seqs(seqs, _META) if entry.marks & wanted]

    async def _all(self, next_seq: int, columns: list[str] | None) -> list[_Entry]:
        rows = self._rows.scan(
            self._names.message,
            self._key(("seq", 0)),
            self._key(("seq", next_seq)),
            columns=columns,
        )
        return [_entry(row) async for row in rows]

    async def _version(self) -> int:
        await ensure_tables(self._client, self._names, self._endpoint)
        row = await self._session.read()
        return 0 if row is None else row.version

    async def _insert(self, records: Sequence[StoredMessage], *, expected: int | None) -> None:
        async with self._writing(expected=expected) as writer:
            await self._append(writer, records)

    async def _append(self, writer: Writer, records: Sequence[StoredMessage]) -> None:
        """Write the new messages above ``next_seq``; the release publishes them at once."""
        stored = {
            entry.msg_id
            for entry in await self._by_ids((r.msg_id for r in records), writer.next_seq)
        }
        fresh = [record for record in records if record.msg_id not in stored]
        index_ops: list[RowOp] = []
        message_ops: list[RowOp] = []
        stored_at = now_ms()
        for seq, record in enumerate(fresh, start=writer.next_seq):
            index_ops.append(
                RowOp(self._names.msg_id, "put", self._key(("msg_id", record.msg_id)), {"seq": seq})
            )
            for mark in record.marks:
                index_ops.append(
                    RowOp(
                        self._names.mark,
                        "put",
                        self._key(("mark", mark), ("seq", seq)),
                        {"msg_id": record.msg_id},
                    )
                )
            parts = [
                record.payload[start : start + PAYLOAD_COLUMN_BYTES]
                for start in range(0, len(record.payload), PAYLOAD_COLUMN_BYTES)
            ] or [""]
            columns: dict[str, Any] = {
                "msg_id": record.msg_id,
                "marks": json.dumps(sorted(record.marks)),
                "parts": len(parts),
                "stored_at": stored_at,
            }
            columns.update({f"p{index}": part for index, part in enumerate(parts)})
            message_ops.append(RowOp(self._names.message, "put", self._key(("seq", seq)), columns))
        await self._rows.write(index_ops + message_ops)
        writer.next_seq += len(fresh)
        writer.count += len(fresh)

    async def _select(
        self,
        *,
        mark: str | None,
        exclude_mark: str | None,
        limit: int | None,
        with_marks: bool,
    ) -> Snapshot:
        await ensure_tables(self._client, self._names, self._endpoint)

        async def read(row: SessionRow) -> Snapshot:
            summary, next_seq = row.summary, row.next_seq
            if next_seq == 0:
                return Snapshot(summary)
            if mark is None:
                newest = await self._newest(next_seq, exclude_mark, limit)
            else:
                newest = await self._newest_marked(mark, next_seq, exclude_mark, limit)
            messages = [
                StoredMessage(e.msg_id, e.payload, tuple(sorted(e.marks)) if with_marks else ())
                for e in reversed(newest)
            ]
            return Snapshot(summary, messages)

        _, snapshot = await self._session.read_stable(read)
        return Snapshot("") if snapshot is None else snapshot

    async def _newest(self, next_seq: int, exclude: str | None, limit: int | None) -> list[_Entry]:
        """Whole messages below ``next_seq`` without ``exclude``, newest first, up to ``limit``."""
        found: list[_Entry] = []
        scan = self._rows.scan(
            self._names.message,
            self._key(("seq", next_seq - 1)),
            self._key(("seq", LOWEST)),
            backward=True,
            page_rows=limit,
        )
        async with contextlib.aclosing(scan) as rows:
            async for row in rows:
                entry = _entry(row)
                if exclude not in entry.marks:
                    found.append(entry)
                    if len(found) == limit:
                        break
        return found

    async def _newest_marked(
        self, mark: str, next_seq: int, exclude: str | None, limit: int | None
    ) -> list[_Entry]:
        """Like :meth:`_newest`, for messages with ``mark``: index first, then the messages."""
        found: list[_Entry] = []
        scan = self._rows.scan(
            self._names.mark,
            self._key(("mark", mark), ("seq", next_seq - 1)),
            self._key(("mark", mark), ("seq", LOWEST)),
            backward=True,
            columns=["seq"],
        )
        chunk: list[int] = []
        async with contextlib.aclosing(scan) as rows:
            async for row in rows:
                chunk.append(row["seq"])
                if len(chunk) == BATCH_GET_MAX_ROWS:
                    found += await self._matching(chunk, mark, exclude)
                    chunk = []
                    if limit is not None and len(found) >= limit:
                        return found[:limit]
        found += await self._matching(chunk, mark, exclude)
        return found if limit is None else found[:limit]

    async def _matching(self, seqs: list[int], mark: str, exclude: str | None) -> list[_Entry]:
        """The whole messages at ``seqs`` that carry ``mark`` and not ``exclude``, newest first."""
        entries = await self._by_seqs(seqs, None)
        kept = [e for e in entries if mark in e.marks and exclude not in e.marks]
        return sorted(kept, key=lambda e: e.seq, reverse=True)

    async def _count(self) -> int:
        await ensure_tables(self._client, self._names, self._endpoint)
        row = await self._session.read()
        if row is None:
            return 0
        if row.abandoned():  # the stored count may predate a half-done change
            return await self._recount(row.next_seq)
        return row.count

    async def _remove_ids(self, msg_ids: tuple[str, ...], *, expected: int | None) -> int:
        async with self._writing(expected=expected) as writer:
            return await self._remove(writer, await self._by_ids(msg_ids, writer.next_seq))

    async def _remove_marked(
        self, marks: tuple[str, ...], *, older_than_ms: int | None, expected: int | None
    ) -> int:
        async with self._writing(expected=expected) as writer:
            entries = await self._by_marks(marks, writer.next_seq)
            if older_than_ms is not None:
                entries = await self._stored_before(entries, now_ms() - older_than_ms)
            return await self._remove(writer, entries)

    async def _stored_before(self, entries: list[_Entry], latest: int) -> list[_Entry]:
        """The entries stored at ``latest`` or earlier (ms, by this client's clock).

        A message of an earlier memmark has no stored-at time: it gets now as its own.
        """
        undated = [e for e in entries if e.stored_at is None]
        now = now_ms()
        await self._rows.write(
            [
                RowOp(self._names.message, "update", self._key(("seq", e.seq)), {"stored_at": now})
                for e in undated
            ]
        )
        return [e for e in entries if e.stored_at is not None and e.stored_at <= latest]

    async def _remove(self, writer: Writer, entries: list[_Entry]) -> int:
        """Delete message rows first, then their index rows (a stale index row is harmless)."""
        await self._rows.write(
            [RowOp(self._names.message, "delete", self._key(("seq", e.seq))) for e in entries]
        )
        index_ops = [
            RowOp(self._names.msg_id, "delete", self._key(("msg_id", e.msg_id))) for e in entries
        ]
        index_ops += [
            RowOp(self._names.mark, "delete", self._key(("mark", mark), ("seq", e.seq)))
            for e in entries
            for mark in e.marks
        ]
        await self._rows.write(index_ops)
        writer.count -= len(entries)
        return len(entries)

    async def _relabel(
        self,
        *,
        new_mark: str | None,
        old_mark: str | None,
        msg_ids: tuple[str, ...] | None,
        expected: int | None,
    ) -> int:
        async with self._writing(expected=expected) as writer:
            if msg_ids is not None:
                scope = await self._by_ids(msg_ids, writer.next_seq)
            elif old_mark is not None:
                scope = await self._by_marks([old_mark], writer.next_seq)
            else:
                scope = await self._all(writer.next_seq, _META)
            changes: list[tuple[_Entry, frozenset[str]]] = []
            for entry in scope:
                if old_mark is not None and old_mark not in entry.marks:
                    continue
                marks = entry.marks - {old_mark} | ({new_mark} if new_mark is not None else set())
                if marks != entry.marks:
                    changes.append((entry, frozenset(marks)))
            await self._apply_marks(writer, changes)
            return len(changes)

    async def _apply_marks(
        self, writer: Writer, changes: list[tuple[_Entry, frozenset[str]]]
    ) -> None:
        """Add index rows, then rewrite the messages' marks, then drop stale index rows."""
        writer.marks_changed = writer.marks_changed or bool(changes)

        def index(mark: str, entry: _Entry, kind: str) -> RowOp:
            columns = {"msg_id": entry.msg_id} if kind == "put" else {}
            return RowOp(
                self._names.mark, kind, self._key(("mark", mark), ("seq", entry.seq)), columns
            )

        await self._rows.write(
            [index(m, e, "put") for e, marks in changes for m in marks - e.marks]
        )
        await self._rows.write(
            [
                RowOp(
                    self._names.message,
                    "update",
                    self._key(("seq", e.seq)),
                    {"marks": json.dumps(sorted(marks))},
                )
                for e, marks in changes
            ]
        )
        await self._rows.write(
            [index(m, e, "delete") for e, marks in changes for m in e.marks - marks]
        )

    async def _set_summary(self, summary: str, *, expected: int | None) -> None:
        async with self._writing(expected=expected) as writer:
            writer.summary = summary

    async def _wipe(self, *, expected: int | None) -> None:
        async with self._writing(expected=expected) as writer:
            await self._delete_rows(writer)

    async def _replace(self, snapshot: Snapshot, *, expected: int | None) -> None:
        async with self._writing(expected=expected) as writer:
            writer.marks_changed = True
            await self._delete_rows(writer)
            await self._append(writer, snapshot.messages)
            writer.summary = snapshot.summary
            if snapshot.updated_at is not None:
                writer.updated_at = epoch_ms(snapshot.updated_at)

    async def _pop(self, *, expected: int | None) -> StoredMessage | None:
        if await self._visible_limit() is None:
            await self._check_unchanged(expected)
            return None  # never written: taking the lock would create the session
        async with self._writing(expected=expected) as writer:
            if writer.next_seq == 0:
                return None
            newest = await self._newest(writer.next_seq, None, 1)
            if not newest:
                return None
            await self._remove(writer, newest)
            entry = newest[0]
            return StoredMessage(entry.msg_id, entry.payload, tuple(sorted(entry.marks)))

    async def _rewind(self, msg_id: str, *, expected: int | None) -> int:
        if await self._visible_limit() is None:
            await self._check_unchanged(expected)
            return 0
        async with self._writing(rewrite=True, expected=expected) as writer:
            found = await self._by_ids([msg_id], writer.next_seq)
            if not found:
                return 0
            rows = self._rows.scan(
                self._names.message,
                self._key(("seq", found[0].seq)),
                self._key(("seq", writer.next_seq)),
                columns=_META,
            )
            return await self._remove(writer, [_entry(row) async for row in rows])

    async def _compress(
        self, summary: str, msg_ids: tuple[str, ...], mark: str | None, *, expected: int | None
    ) -> int:
        async with self._writing(rewrite=True, expected=expected) as writer:
            writer.summary = summary
            scope = await self._by_ids(msg_ids, writer.next_seq) if msg_ids else []
            if mark is None:
                return await self._remove(writer, scope)
            changes = [(e, e.marks | {mark}) for e in scope if mark not in e.marks]
            await self._apply_marks(writer, changes)
            return len(changes)

    async def _fill(self, snapshot: Snapshot) -> bool:
        async with self._writing() as writer:
            if writer.count or writer.summary:
                return False
            await self._append(writer, snapshot.messages)
            writer.summary = snapshot.summary
            return True

    def _sibling(self, session_id: str) -> TablestoreMemory:
        return TablestoreMemory(
            user_id=self.user_id,
            session_id=session_id,
            table_name=self._table_name,
            client=self._client,
        )

    async def _delete_rows(self, writer: Writer) -> None:
        """Delete every row of the session (message rows first), visible or not."""
        for table, key_columns in (
            (self._names.message, ["seq"]),
            (self._names.mark, ["mark", "seq"]),
            (self._names.msg_id, ["msg_id"]),
        ):
            low = self._key(*((name, LOWEST) for name in key_columns))
            high = self._key(*((name, HIGHEST) for name in key_columns))
            columns = ["session_key", *key_columns]
            keys = [
                [(name, row[name]) for name in columns]
                async for row in self._rows.scan(table, low, high, columns=columns)
            ]
            await self._rows.write([RowOp(table, "delete", key) for key in keys])
        writer.summary = ""
        writer.count = 0


async def drop_session(memory: TablestoreMemory) -> bool:
    """Delete ``memory``'s session entirely, its session row and index entry included.

    What :class:`~memmark.store.TablestoreStore` does for ``delete_session``: unlike
    ``clear()`` it also removes the session from the listings.

    Returns:
        Whether it held a message or a summary.
    """
    if await memory._visible_limit() is None:
        return False
    async with memory._writing() as writer:
        held = writer.count > 0 or bool(writer.summary)
        await memory._delete_rows(writer)
        await memory._session.drop(writer)
    return held
