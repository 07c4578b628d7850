"""The session row: identity, summary, sequence counter, message count and the writer lock.

Every change to a session runs under its writer lock, a lease on the session row taken and
released by conditional updates (expected ``ver``, retried on ``OTSConditionCheckFail``), so
writers in any number of processes take turns. A writer that crashes leaves the lock to
expire after :data:`LEASE_SECONDS`; the next writer then recounts the messages (and a reader
asking for the count recounts them too, until then).

A conditional write whose answer is lost (the connection broke) may have been applied: the
lock is then read back to learn whether it was. Taking the lock is retried through such
failures; releasing it is retried and checked, and what still fails is raised, with the
lock left to expire into the state above.

Readers take no lock: they read the session row, then only rows with ``seq < next_seq``. An
insert writes its rows above ``next_seq`` and publishes them all at once when the release
advances ``next_seq``, so a reader sees all of an insert or none of it, and the rows of a
crashed insert stay invisible until a later insert overwrites them.

An operation that rewrites published rows as one step (``compress``, ``rewind``) first flags
the row ``rewriting`` and counts it in ``rewrites`` (:meth:`Session.begin_rewrite`); the
release clears the flag. A reader waits while the flag is up under a live lease, and reads
again when ``rewrites`` moved during its read, so it sees such an operation whole or not at
all (a crashed one, whose lease expired, may show half done until it is repeated).
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from memmark._core import retrying, session_key
from memmark.backends.tablestore._errors import is_transient
from memmark.backends.tablestore._rows import RowOp, Rows
from memmark.backends.tablestore._schema import TableNames
from memmark.errors import BackendError

__all__ = ["LEASE_SECONDS", "Session", "SessionRow", "Writer", "now_ms"]

T = TypeVar("T")

LEASE_SECONDS = 30.0
"""How long a writer may hold a session before another writer may take it over."""
_MAX_BACKOFF_SECONDS = 0.05
TRANSIENT_ATTEMPTS = 6
"""Attempts at taking the lock through transient failures before one is raised."""


class _RewriteInFlight(Exception):
    """A rewrite was in flight, or ran, while a read was taken: read again."""


class _LockBusy(Exception):
    """Another writer holds the session, or won the race for it."""


def now_ms() -> int:
    """This client's clock in ms since the epoch (Tablestore gives no server time)."""
    return int(time.time() * 1000)


@dataclass
class SessionRow:
    """What the session row holds (defaults describe a session never written)."""

    summary: str = ""
    next_seq: int = 0
    count: int = 0
    ver: int = 0
    lock_owner: str | None = None
    lock_until: int = 0
    updated_at: int | None = None
    rewriting: bool = False
    rewrites: int = 0
    version: int = 0
    """The session's version (``MemoryBase.version``); ``ver`` is the lock's own counter."""

    def rewrite_in_flight(self) -> bool:
        """Whether a live writer is rewriting published rows right now."""
        return self.rewriting and self.lock_until > now_ms()

    @classmethod
    def from_columns(cls, columns: dict[str, Any]) -> SessionRow:
        """Build from the row's columns."""
        return cls(
            summary=columns.get("summary", ""),
            next_seq=columns.get("next_seq", 0),
            count=columns.get("count", 0),
            ver=columns.get("ver", 0),
            lock_owner=columns.get("lock_owner"),
            lock_until=columns.get("lock_until", 0),
            updated_at=columns.get("updated_at"),
            rewriting=bool(columns.get("rewriting", 0)),
            rewrites=columns.get("rewrites", 0),
            version=columns.get("version", 0),
        )

    def abandoned(self) -> bool:
        """Whether a writer holds the lock past its lease: its last change may be half done."""
        return self.lock_owner is not None and self.lock_until <= now_ms()


@dataclass
class Writer:
    """The session as its lock holder sees it; set fields to change them on release."""

    row: SessionRow
    took_over: bool
    """The previous holder's lease expired: its last operation may be half done."""
    summary: str
    next_seq: int
    count: int
    dropped: bool = False
    """The session row was deleted: there is no lock left to release."""
    updated_at: int | None = None
    """The last-update time (ms) to publish instead of now."""
    marks_changed: bool = False
    """Set by an operation that changed marks only: the release counts a new version."""

    def changed(self) -> bool:
        """Whether the session changed under this writer (so its version increases)."""
        row = self.row
        return self.marks_changed or (self.summary, self.next_seq, self.count) != (
            row.summary,
            row.next_seq,
            row.count,
        )


class Session:
    """Reads and locked writes of one session row."""

    def __init__(self, rows: Rows, names: TableNames, user_id: str, session_id: str) -> None:
        self._rows = rows
        self._names = names
        self.user_id = user_id
        self.session_id = session_id
        self.key = session_key(user_id, session_id)
        self._pk = [("session_key", self.key)]
        self._owner = uuid.uuid4().hex

    async def read(self) -> SessionRow | None:
        """The session row, or ``None`` if the session was never written.

        Raises:
            BackendError: the row belongs to another (user_id, session_id).
        """
        columns = await self._rows.get(self._names.session, self._pk)
        if columns is None:
            return None
        if (columns.get("user_id"), columns.get("session_id")) != (self.user_id, self.session_id):
            raise BackendError(
                f"Tablestore session row {self.key} belongs to another session; "
                "refusing to mix their data"
            )
        return SessionRow.from_columns(columns)

    async def acquire(self) -> Writer:
        """Take the writer lock, waiting while another live writer holds it.

        A lock under this object's own owner token is left over from one of its operations
        that failed before releasing (callers serialise their operations), so it is taken
        over at once, as is a lock whose lease expired. A transient failure is retried: the
        next round reads the row again, so a lock taken by a write whose answer was lost is
        found under this owner and taken over.

        Raises:
            StorageUnavailableError: the session stays unreachable after the retries.
        """
        transient_failures = 0

        def worth_retrying(exc: BaseException) -> bool:
            nonlocal transient_failures
            if isinstance(exc, _LockBusy):
                return True  # a live holder releases, or its lease expires
            if is_transient(exc):
                transient_failures += 1
                return transient_failures < TRANSIENT_ATTEMPTS
            return False

        return await retrying(
            self._try_acquire,
            is_retryable=worth_retrying,
            attempts=None,
            base_delay=0.001,
            max_delay=_MAX_BACKOFF_SECONDS,
        )

    async def _try_acquire(self) -> Writer:
        """Take the writer lock in one conditional write, or raise :class:`_LockBusy`."""
        row = await self.read()
        now = now_ms()
        lease = {"lock_owner": self._owner, "lock_until": now + int(LEASE_SECONDS * 1000)}
        if row is None:
            await self._register()
            created = SessionRow(ver=1)
            columns = {
                "user_id": self.user_id,
                "session_id": self.session_id,
                "summary": "",
                "next_seq": 0,
                "count": 0,
                "ver": 1,
                "updated_at": now,
                **lease,
            }
            if await self._rows.put_if_absent(self._names.session, self._pk, columns):
                return Writer(created, False, "", 0, 0)
        elif row.lock_owner in (None, self._owner) or row.lock_until <= now:
            acquired = await self._rows.update_if(
                self._names.session,
                self._pk,
                expect=("ver", row.ver),
                put={**lease, "ver": row.ver + 1},
            )
            if acquired:
                row.ver += 1
                took_over = row.lock_owner is not None
                return Writer(row, took_over, row.summary, row.next_seq, row.count)
        raise _LockBusy

    async def begin_rewrite(self, writer: Writer) -> None:
        """Flag the session as being rewritten, before the writer touches published rows.

        Raises:
            BackendError: the lease expired and another writer took the session over.
        """
        flagged = await self._rows.update_if(
            self._names.session,
            self._pk,
            expect=("ver", writer.row.ver),
            put={"ver": writer.row.ver + 1, "rewriting": 1, "rewrites": writer.row.rewrites + 1},
        )
        if not flagged:
            raise BackendError(f"lost the Tablestore writer lock of session {self.key}")
        writer.row.ver += 1
        writer.row.rewrites += 1

    async def read_stable(
        self, read: Callable[[SessionRow], Awaitable[T]]
    ) -> tuple[SessionRow | None, T | None]:
        """Run ``read(row)`` on a state no rewrite is changing; ``(None, None)``: no session.

        Waits while a rewrite is in flight and repeats ``read`` when one ran meanwhile.
        """

        async def attempt() -> tuple[SessionRow | None, T | None]:
            row = await self.read()
            if row is None:
                return None, None
            if not row.rewrite_in_flight():
                result = await read(row)
                after = await self.read()
                if after is not None and after.rewrites == row.rewrites:
                    if not after.rewrite_in_flight():
                        return row, result
            raise _RewriteInFlight

        return await retrying(
            attempt,
            is_retryable=lambda exc: isinstance(exc, _RewriteInFlight),
            attempts=None,  # a rewrite finishes, or its writer's lease expires
            base_delay=0.001,
            max_delay=_MAX_BACKOFF_SECONDS,
        )

    async def release(self, writer: Writer) -> None:
        """Publish the writer's fields and drop the lock, in one conditional update.

        Retried through transient failures; after one, the row is read back, and a release
        already applied (its answer lost) counts as done.

        Raises:
            StorageUnavailableError: the session stays unreachable after the retries (the
                lock then expires after its lease).
            BackendError: the lease expired and another writer took the session over.
        """
        put: dict[str, Any] = {
            "ver": writer.row.ver + 1,
            "summary": writer.summary,
            "next_seq": writer.next_seq,
            "count": writer.count,
            "updated_at": now_ms() if writer.updated_at is None else writer.updated_at,
            "version": writer.row.version + writer.changed(),
        }
        interrupted = False

        async def attempt() -> bool:
            nonlocal interrupted
            if interrupted:
                row = await self.read()
                if row is not None and row.ver == writer.row.ver + 1 and row.lock_owner is None:
                    return True  # only this writer's release makes that version unlocked
            try:
                return await self._rows.update_if(
                    self._names.session,
                    self._pk,
                    expect=("ver", writer.row.ver),
                    put=put,
                    delete=("lock_owner", "lock_until", "rewriting"),
                )
            except Exception as exc:
                interrupted = interrupted or is_transient(exc)
                raise

        if not await retrying(attempt, is_retryable=is_transient):
            raise BackendError(
                f"lost the Tablestore writer lock of session {self.key}: the operation took "
                f"longer than the {LEASE_SECONDS:.0f} s lease and another writer took over"
            )

    async def drop(self, writer: Writer) -> None:
        """Delete the index entry, then the session row (held by ``writer``).

        In this order a writer waiting for the lock registers the session again only after
        the old entry is gone.
        """
        await self._rows.write([RowOp(self._names.index, "delete", self._index_pk())])
        if not await self._rows.delete_if(
            self._names.session, self._pk, expect=("ver", writer.row.ver)
        ):
            raise BackendError(f"lost the Tablestore writer lock of session {self.key}")
        writer.dropped = True

    def _index_pk(self) -> list[tuple[str, Any]]:
        return [("user_id", self.user_id), ("session_id", self.session_id)]

    async def _register(self) -> None:
        """Put the session in the index before its row exists (listings skip empty ones)."""
        await self._rows.write(
            [RowOp(self._names.index, "put", self._index_pk(), {"session_key": self.key})]
        )
