"""What a :class:`RedisMemory` last saw of its session: its ids in order and its marks.

A read through a Lua script pays for every payload twice on the server (the reply of the
script's ``HMGET`` becomes a Lua table, and the table becomes the script's reply), which
costs more than the payloads themselves take to send. Knowing the session's ids and marks,
a memory picks the ids a read wants itself and fetches them with one plain ``HMGET`` of the
``payloads`` hash, whose first field is the session's state stamp (``STATE_FIELD``; every
write sets a new one, see ``stamp()`` in ``_common.lua``). The payloads are the session's
only if that stamp is still the one the index was taken at; otherwise the memory drops the
index and reads through the script, which can hand back a fresh one in the same reply.

A memory object holds at most :data:`INDEX_LIMIT` ids: of a longer session it keeps only the
newest ones, without marks, which still serve ``get_memory(limit=)`` up to that many.

An index costs a read by script the session's ids on top, and a stale one costs a wasted
``HMGET``, so :class:`IndexKeeper` takes one only from a read that finds the session as this
object last saw it: an object made for a single read (a web request's) never pays for one,
and one that found its index stale needs twice as many such looks before the next (up to
:data:`MOST_LOOKS`), so objects sharing a busy session soon stop taking indexes at all.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from memmark._core import StoredMessage
from memmark.backends.redis._scripts import as_text

__all__ = ["INDEX_LIMIT", "MOST_LOOKS", "STATE_FIELD", "IndexKeeper", "SessionIndex"]

STATE_FIELD = "\x00"
"""The ``payloads`` field holding the state stamp; no message id contains NUL."""

INDEX_LIMIT = 2_000
"""The most ids a memory object keeps of its session."""

MOST_LOOKS = 64
"""The most looks at an unchanged session an object needs before it takes an index."""


class SessionIndex:
    """A session's ids (oldest first) and marked ids per mark, and its summary, at ``stamp``.

    ``whole`` is ``False`` for an index of only the newest :data:`INDEX_LIMIT` ids of a
    longer session, which knows no marks. The ids are kept as the client replies them
    (``bytes``, or ``str`` for a client that decodes), so a read sends them back without
    encoding each again.
    """

    __slots__ = ("ids", "marked", "stamp", "stamp_field", "summary", "whole")

    def __init__(
        self,
        stamp: bytes | str,
        summary: str,
        ids: list[bytes | str],
        marked: dict[str, set[bytes | str]],
        *,
        whole: bool,
    ) -> None:
        self.stamp = stamp
        self.summary = summary
        self.ids = ids
        self.marked = marked
        self.whole = whole
        self.stamp_field: bytes | str = (
            STATE_FIELD.encode() if isinstance(stamp, bytes) else STATE_FIELD
        )
        """``STATE_FIELD`` as the client replies fields."""

    @classmethod
    def from_reply(
        cls, stamp: bytes | str, summary: str, reply: Sequence[Any], *, whole: bool
    ) -> SessionIndex:
        """Build the index ``read.lua`` returned: the ids, then each mark and its ids."""
        marked = {as_text(reply[at]): set(reply[at + 1]) for at in range(1, len(reply), 2)}
        return cls(stamp, summary, list(reply[0]), marked, whole=whole)

    def select(
        self, mark: str | None, exclude_mark: str | None, limit: int | None
    ) -> list[bytes | str] | None:
        """The ids ``get_memory(mark=, exclude_mark=, limit=)`` returns, oldest first.

        ``None`` when this index of the newest ids alone cannot tell.
        """
        ids = self.ids
        if not self.whole and (
            mark is not None or exclude_mark is not None or limit is None or limit > len(ids)
        ):
            return None
        if mark is not None:
            chosen = self.marked.get(mark, ())
            ids = [msg_id for msg_id in ids if msg_id in chosen]
        excluded = self.marked.get(exclude_mark) if exclude_mark is not None else None
        if excluded:
            ids = [msg_id for msg_id in ids if msg_id not in excluded]
        if limit is not None and limit < len(ids):
            ids = ids[len(ids) - limit :]
        return ids

    def extend(self, records: Sequence[StoredMessage], stamp: bytes | str) -> None:
        """Append messages an ``add`` just stored right after the state this index describes.

        Past :data:`INDEX_LIMIT` ids the index keeps only the newest, and no marks.
        """
        as_bytes = isinstance(self.stamp, bytes)
        for record in records:
            msg_id = record.msg_id.encode() if as_bytes else record.msg_id
            self.ids.append(msg_id)
            for mark in record.marks:
                self.marked.setdefault(mark, set()).add(msg_id)
        if len(self.ids) > INDEX_LIMIT:
            del self.ids[: len(self.ids) - INDEX_LIMIT]
            self.marked.clear()
            self.whole = False
        self.stamp = stamp


Taken = tuple[SessionIndex | None, bytes | str | None, int]
"""What :meth:`IndexKeeper.take_for_add` hands an add: index, quiet stamp, quiet looks."""


class IndexKeeper:
    """A memory object's index of its session, and when to take one (see the module).

    A *look* is a read by script or an add of this object that found the session at the
    stamp this object last saw (the *quiet stamp*): no one else changed it in between.
    """

    __slots__ = ("_looks_needed", "_quiet_looks", "_quiet_stamp", "index")

    def __init__(self) -> None:
        self.index: SessionIndex | None = None
        self._quiet_stamp: bytes | str | None = None
        self._quiet_looks = 0
        self._looks_needed = 1

    def forget(self) -> None:
        """Drop the index: this object changed the session in a way it does not follow."""
        self.index = self._quiet_stamp = None
        self._quiet_looks = 0

    def wanted_stamp(self) -> bytes | str | None:
        """The stamp at which the next read by script should hand back an index, if any."""
        if (
            self.index is None
            and self._quiet_stamp is not None
            and self._quiet_looks + 1 >= self._looks_needed
        ):
            return self._quiet_stamp
        return None

    def read_by_script(
        self,
        held: SessionIndex | None,
        stamp: bytes | str | None,
        summary: str,
        reply_index: Sequence[Any] | None,
        *,
        whole: bool,
    ) -> None:
        """Record a read by script: the session's ``stamp``, and the index it handed back.

        ``held`` is the index this object held when it sent the read; it is dropped unless
        the session is still at its stamp.
        """
        if stamp is not None and stamp == self._quiet_stamp:
            self._quiet_looks += 1
        else:
            self._quiet_looks = 0
        self._quiet_stamp = stamp
        if reply_index is not None and stamp is not None:
            self.index = SessionIndex.from_reply(stamp, summary, reply_index, whole=whole)
        elif held is not None and stamp != held.stamp and self.index is held:
            self.index = None

    def found_stale(self, index: SessionIndex) -> None:
        """Record that the session changed since ``index`` was taken."""
        if self.index is index:
            self.index = None
        self._quiet_stamp = None
        self._quiet_looks = 0
        self._looks_needed = min(self._looks_needed * 2, MOST_LOOKS)

    def take_for_add(self) -> Taken:
        """Hand the index over to an add about to run, forgetting it meanwhile."""
        taken = (self.index, self._quiet_stamp, self._quiet_looks)
        self.forget()
        return taken

    def added(
        self,
        taken: Taken,
        records: Sequence[StoredMessage],
        stored: int,
        before: bytes | str | None,
        after: bytes | str | None,
    ) -> None:
        """Take back what :meth:`take_for_add` handed over, after the add.

        Only if the add found the session as this object last saw it (``before``): then the
        session is at ``after``, and the index, if every record was stored (none was a
        duplicate), is followed by them.
        """
        index, quiet, looks = taken
        if before is None or after is None or before != (quiet if index is None else index.stamp):
            return
        self._quiet_stamp, self._quiet_looks = after, looks + 1
        if index is not None and stored == len(records):
            index.extend(records, after)
            self.index = index
