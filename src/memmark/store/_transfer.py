"""Move whole sessions between stores: export, import and copy, streamed one session at a time.

A *record* is one session: ``{"user_id": ..., "session_id": ..., "state": ...}`` where
``state`` is the tutorial's ``state_dict`` format (``MemoryBase.export_state``), plus
``"updated_at"`` (ISO 8601 in UTC, whole seconds) when the source store records when the
session last changed; an import keeps that time, so a copy lists the same "updated" column as
its source. Records are read from a store page by page, so memory use stays at one session
whatever the store holds.

Usage::

    async with memmark.connect("sqlite+aiosqlite:///a.db") as src, memmark.connect(url) as dst:
        report = await copy(src, dst)  # re-running it skips what is already there

As JSON Lines, :func:`dump_record` writes a record on one line with sorted keys and only ASCII,
so exporting, importing elsewhere and exporting again gives the same bytes.
"""

from __future__ import annotations

import json
from collections.abc import (
    AsyncGenerator,
    AsyncIterable,
    AsyncIterator,
    Callable,
    Iterable,
    Iterator,
)
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from memmark._core import StoreBase, check_identity, decode_state, encode_state

__all__ = [
    "ImportReport",
    "copy",
    "dump_record",
    "export_sessions",
    "import_sessions",
    "load_records",
]

_RECORD_KEYS = frozenset({"user_id", "session_id", "state"})
_OPTIONAL_KEYS = frozenset({"updated_at"})

ProgressCallback = Callable[["ImportReport"], None]


@dataclass(frozen=True)
class ImportReport:
    """How many sessions an import wrote, and how many it found already in place."""

    imported: int = 0
    skipped: int = 0

    @property
    def total(self) -> int:
        """Sessions looked at."""
        return self.imported + self.skipped


def check_record(record: object) -> tuple[str, str, dict[str, Any], datetime | None]:
    """Return ``(user_id, session_id, state, updated_at)`` of a record, the state canonical.

    The canonical form is what ``export_state`` returns for that content (marks sorted,
    message dicts as ``Msg.to_dict`` writes them), so it compares equal to an export.

    Raises:
        TypeError: the record or a part of it has the wrong type.
        ValueError: a key is missing or unknown, or an id, message, mark or time is invalid.
    """
    if not isinstance(record, dict):
        raise TypeError(f"a record must be a dict, got {type(record).__name__}")
    if not _RECORD_KEYS <= record.keys() <= _RECORD_KEYS | _OPTIONAL_KEYS:
        raise ValueError(
            f"a record must have exactly the keys {sorted(_RECORD_KEYS)} "
            f"(and optionally {sorted(_OPTIONAL_KEYS)}), got {sorted(map(str, record.keys()))}"
        )
    user_id = check_identity("user_id", record["user_id"])
    session_id = check_identity("session_id", record["session_id"])
    state = encode_state(decode_state(record["state"], strict=True))
    return user_id, session_id, state, _parse_time(record.get("updated_at"))


def _format_time(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).replace(microsecond=0).isoformat()


def _parse_time(value: object) -> datetime | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise TypeError(f"updated_at must be an ISO 8601 str, got {type(value).__name__}")
    try:
        moment = datetime.fromisoformat(value)
    except ValueError as exc:
        raise ValueError(f"updated_at is not an ISO 8601 time: {value!r}") from exc
    if moment.utcoffset() is None:
        raise ValueError(f"updated_at must carry its UTC offset: {value!r}")
    return moment


async def export_sessions(
    store: StoreBase,
    users: Iterable[str] | None = None,
    sessions: Iterable[str] | None = None,
    *,
    page_size: int = 100,
) -> AsyncIterator[dict[str, Any]]:
    """Yield one record per stored session, ordered by (user_id, session_id).

    Args:
        store: Where to read from.
        users: Only these users' sessions (in the order given); all users when ``None``.
        sessions: Only sessions with these ids; all when ``None``.
        page_size: Sessions listed per round trip.
    """
    wanted_sessions = None if sessions is None else frozenset(_id_filter("session_id", sessions))
    user_ids: Iterable[str | None] = [None] if users is None else _id_filter("user_id", users)
    for user_id in user_ids:
        cursor: str | None = None
        while True:
            page = await store.list_sessions(user_id, limit=page_size, cursor=cursor)
            for info in page.items:
                if wanted_sessions is not None and info.session_id not in wanted_sessions:
                    continue
                async with store.memory(info.user_id, info.session_id) as memory:
                    state = await memory.export_state()
                if state["content"] or state["_compressed_summary"]:
                    record = {"user_id": info.user_id, "session_id": info.session_id}
                    if info.updated_at is not None:
                        record["updated_at"] = _format_time(info.updated_at)
                    yield {**record, "state": state}
            if page.next_cursor is None:
                break
            cursor = page.next_cursor


async def import_sessions(
    store: StoreBase,
    records: Iterable[dict[str, Any]] | AsyncIterable[dict[str, Any]],
    *,
    on_progress: ProgressCallback | None = None,
) -> ImportReport:
    """Write each record's session into ``store``, replacing what that session held.

    Each session is written with ``import_state`` (one transaction on SQL backends), so an
    interrupted import leaves whole sessions only. A record's ``updated_at`` becomes the
    session's last-update time (to the store's precision), so a copy keeps its source's. A
    session whose stored state already equals the record is skipped, which makes re-running
    an import cheap and harmless.

    Args:
        store: Where to write.
        records: Records as :func:`export_sessions` yields them, sync or async.
        on_progress: Called with the running totals after each session.

    Raises:
        TypeError, ValueError: a record is malformed; the message says which one (counting
            from 1). Sessions before it are already imported.
    """
    imported = skipped = 0
    async for number, record in _numbered(records):
        try:
            user_id, session_id, state, updated_at = check_record(record)
        except TypeError as exc:
            raise TypeError(f"record {number}: {exc}") from exc
        except ValueError as exc:
            raise ValueError(f"record {number}: {exc}") from exc
        async with store.memory(user_id, session_id) as memory:
            if await memory.export_state() == state:
                skipped += 1
            else:
                await memory.import_state(state, updated_at=updated_at)
                imported += 1
        if on_progress is not None:
            on_progress(ImportReport(imported, skipped))
    return ImportReport(imported, skipped)


async def copy(
    src: StoreBase,
    dst: StoreBase,
    users: Iterable[str] | None = None,
    sessions: Iterable[str] | None = None,
    on_progress: ProgressCallback | None = None,
) -> ImportReport:
    """Copy sessions from ``src`` to ``dst`` one at a time; re-running skips copied ones.

    Args:
        src: Store to read.
        dst: Store to write; a session present in both is overwritten by ``src``'s.
        users: Only these users; all when ``None``.
        sessions: Only these session ids; all when ``None``.
        on_progress: Called with the running totals after each session.
    """
    return await import_sessions(
        dst, export_sessions(src, users, sessions), on_progress=on_progress
    )


def _id_filter(name: str, ids: Iterable[str]) -> list[str]:
    """Check a ``users=`` / ``sessions=`` filter: an iterable of ids (not one bare str)."""
    if isinstance(ids, str):
        raise TypeError(f"{name} filter must be a list of ids, not a str")
    return list(dict.fromkeys(check_identity(name, value) for value in ids))


def dump_record(record: dict[str, Any]) -> str:
    """Return a record as one JSON line (no newline): sorted keys, ASCII only, compact."""
    return json.dumps(
        record, sort_keys=True, ensure_ascii=True, allow_nan=False, separators=(",", ":")
    )


def load_records(lines: Iterable[str]) -> Iterator[dict[str, Any]]:
    """Parse JSON Lines lazily; blank lines are ignored.

    Raises:
        ValueError: a line is not JSON, or not a JSON object; the message names the line.
    """
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except ValueError as exc:
            raise ValueError(f"line {number}: not valid JSON ({exc})") from exc
        if not isinstance(record, dict):
            raise ValueError(f"line {number}: expected a JSON object per line")
        yield record


async def _numbered(
    records: Iterable[dict[str, Any]] | AsyncIterable[dict[str, Any]],
) -> AsyncIterator[tuple[int, dict[str, Any]]]:
    number = 0
    if isinstance(records, AsyncIterable):
        try:
            async for record in records:
                number += 1
                yield number, record
        finally:
            if isinstance(records, AsyncGenerator):
                await records.aclose()
    else:
        for record in records:
            number += 1
            yield number, record
