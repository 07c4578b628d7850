"""Read an AgentScope 1.x deployment's memories as memmark records, to import them anywhere.

Two sources are understood, read-only:

* **SQL** (AgentScope's ``AsyncSQLAlchemyMemory``), any SQLAlchemy async URL: tables ``users``
  (``id``), ``session`` (``id``, ``user_id``), ``message`` (``id`` = ``"{user}-{session}-{msg}"``,
  ``msg`` JSON of ``Msg.to_dict()``, ``session_id``, ``index``) and ``message_mark``
  (``msg_id`` -> ``message.id``, ``mark``). Sessions are read page by page in (user, session)
  order; messages in ``index`` order.
* **Redis** (AgentScope's ``RedisMemory``), a ``redis://`` or ``rediss://`` URL: per session a
  list ``user_id:{u}:session:{s}:messages`` of message ids, a JSON string per message at
  ``user_id:{u}:session:{s}:msg:{id}`` and a list (or set) of message ids per mark at
  ``user_id:{u}:session:{s}:mark:{m}``. Sessions are found with ``SCAN MATCH
  user_id:*:session:*:messages`` and mark keys with one more ``SCAN``: each walks the whole
  keyspace once, which is fine for a one-off migration, and the key *names* found are held in
  memory (not the values). Because AgentScope joins ids with ``:`` unescaped, a key whose ids
  themselves contain ``:session:`` is split at the first occurrence, and a mark key belongs to
  the session with the longest matching prefix.

AgentScope keeps the compressed summary in process memory only, so imported sessions have none.

Usage::

    async with memmark.connect("postgresql+asyncpg://…/memmark") as dst:
        report = await import_agentscope("sqlite+aiosqlite:///agentscope.db", dst)
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from typing import Any

from memmark._connect import storage_kind
from memmark._core import StoreBase
from memmark._optional import require
from memmark.store import ImportReport, import_sessions

__all__ = ["agentscope_records", "import_agentscope"]

_SESSION_PATTERN = "user_id:*:session:*:messages"
_MARK_PATTERN = "user_id:*:session:*:mark:*"
_MGET_BATCH = 500
_SQL_SOURCE = "reading the AgentScope database"
"""Names the operation in the SQL backend's error messages (``... failed: <cause>``)."""


async def import_agentscope(
    src_url: str,
    dst: StoreBase,
    *,
    on_progress: Callable[[ImportReport], None] | None = None,
) -> ImportReport:
    """Import every session of an AgentScope deployment into ``dst``; re-running skips done ones.

    Args:
        src_url: The AgentScope storage: a SQLAlchemy async URL or ``redis(s)://``.
        dst: Any memmark store.
        on_progress: Called with the running totals after each session.
    """
    return await import_sessions(dst, agentscope_records(src_url), on_progress=on_progress)


async def agentscope_records(
    src_url: str, *, page_size: int = 100
) -> AsyncIterator[dict[str, Any]]:
    """Yield one memmark record per non-empty AgentScope session, as ``export_sessions`` does.

    Raises:
        ValueError: the URL is not a SQL or plain Redis URL.
        ImportError: its driver is missing.
        StorageUnavailableError: the source cannot be reached.
        BackendError: the source failed, or does not hold AgentScope's layout.
    """
    kind, url = storage_kind(src_url)
    if kind == "sql":
        reader = _sql_records(url, page_size)
    elif kind == "redis":
        reader = _redis_records(url)
    else:
        raise ValueError(
            "AgentScope memories are read from a SQLAlchemy async URL or redis(s)://, "
            f"not {src_url.partition('://')[0]}://"
        )
    async for record in reader:
        yield record


def _record(user_id: str, session_id: str, entries: list[list[Any]]) -> dict[str, Any]:
    return {
        "user_id": user_id,
        "session_id": session_id,
        "state": {"_compressed_summary": "", "content": entries},
    }


def _as_dict(value: Any) -> Any:
    """A message as the driver returns it: already a dict (JSON column) or its JSON text."""
    if isinstance(value, (str, bytes, bytearray)):
        return json.loads(value)
    return value


async def _sql_records(url: str, page_size: int) -> AsyncIterator[dict[str, Any]]:
    from sqlalchemy import JSON, BigInteger, Column, MetaData, String, Table, and_, or_, select
    from sqlalchemy.ext.asyncio import create_async_engine

    from memmark.backends.sql import map_errors

    metadata = MetaData()
    session = Table("session", metadata, Column("id", String(255)), Column("user_id", String(255)))
    message = Table(
        "message",
        metadata,
        Column("id", String(255)),
        Column("msg", JSON),
        Column("session_id", String(255)),
        Column("index", BigInteger),
    )
    message_mark = Table(
        "message_mark", metadata, Column("msg_id", String(255)), Column("mark", String(255))
    )
    engine = create_async_engine(url)
    try:
        after: tuple[str, str] | None = None
        while True:
            query = select(session.c.user_id, session.c.id).order_by(
                session.c.user_id, session.c.id
            )
            if after is not None:
                query = query.where(
                    or_(
                        session.c.user_id > after[0],
                        and_(session.c.user_id == after[0], session.c.id > after[1]),
                    )
                )
            with map_errors(_SQL_SOURCE):
                async with engine.connect() as conn:
                    sessions = (await conn.execute(query.limit(page_size))).all()
            for user_id, session_id in sessions:
                with map_errors(_SQL_SOURCE):
                    async with engine.connect() as conn:
                        rows = (
                            await conn.execute(
                                select(message.c.id, message.c.msg)
                                .where(message.c.session_id == session_id)
                                .order_by(message.c["index"], message.c.id)
                            )
                        ).all()
                        marks = (
                            await conn.execute(
                                select(message_mark.c.msg_id, message_mark.c.mark)
                                .join(message, message.c.id == message_mark.c.msg_id)
                                .where(message.c.session_id == session_id)
                            )
                        ).all()
                marks_of: dict[str, set[str]] = {}
                for row_id, mark in marks:
                    marks_of.setdefault(row_id, set()).add(mark)
                entries = [
                    [_as_dict(msg), sorted(marks_of.get(row_id, ()))] for row_id, msg in rows
                ]
                if entries:
                    yield _record(user_id, session_id, entries)
            if len(sessions) < page_size:
                return
            after = (sessions[-1][0], sessions[-1][1])
    finally:
        await engine.dispose()


def _split_session_key(key: str) -> tuple[str, str] | None:
    """``user_id:{u}:session:{s}:messages`` -> (u, s), split at the first ``:session:``."""
    prefix, suffix = "user_id:", ":messages"
    user_and_session = key[len(prefix) : -len(suffix)]
    user_id, separator, session_id = user_and_session.partition(":session:")
    if not (separator and user_id and session_id):
        return None
    return user_id, session_id


async def _redis_records(url: str) -> AsyncIterator[dict[str, Any]]:
    redis = require("redis.asyncio", extra="redis", feature="Importing from AgentScope's Redis")
    from memmark.backends.redis import driver_errors

    client = redis.from_url(url, decode_responses=True)
    try:
        with driver_errors():
            session_keys = sorted(
                {key async for key in client.scan_iter(match=_SESSION_PATTERN, count=1000)}
            )
            mark_prefixes = {key[: -len("messages")] + "mark:" for key in session_keys}
            mark_keys_of: dict[str, list[str]] = {}
            async for key in client.scan_iter(match=_MARK_PATTERN, count=1000):
                owner = _mark_owner(key, mark_prefixes)
                if owner is not None:
                    mark_keys_of.setdefault(owner, []).append(key)
        for session_key in session_keys:
            ids = _split_session_key(session_key)
            if ids is None:
                continue
            mark_keys = mark_keys_of.get(session_key[: -len("messages")] + "mark:", [])
            with driver_errors():
                entries = await _redis_session(client, session_key, mark_keys)
            if entries:
                yield _record(ids[0], ids[1], entries)
    finally:
        await client.aclose()


def _mark_owner(key: str, mark_prefixes: set[str]) -> str | None:
    """The longest session mark prefix ``key`` starts with, if any."""
    owner = None
    start = 0
    while (found := key.find(":mark:", start)) != -1:
        candidate = key[: found + len(":mark:")]
        if candidate in mark_prefixes and len(key) > len(candidate):
            owner = candidate
        start = found + 1
    return owner


async def _redis_session(client: Any, session_key: str, mark_keys: list[str]) -> list[list[Any]]:
    base = session_key[: -len("messages")]
    msg_ids = list(dict.fromkeys(await client.lrange(session_key, 0, -1)))
    marks_of: dict[str, set[str]] = {}
    for mark_key in mark_keys:
        mark = mark_key[len(base) + len("mark:") :]
        key_type = await client.type(mark_key)
        if key_type == "list":
            members = await client.lrange(mark_key, 0, -1)
        elif key_type == "set":
            members = await client.smembers(mark_key)
        else:
            continue
        for msg_id in members:
            marks_of.setdefault(msg_id, set()).add(mark)
    entries: list[list[Any]] = []
    for start in range(0, len(msg_ids), _MGET_BATCH):
        batch = msg_ids[start : start + _MGET_BATCH]
        payloads = await client.mget([f"{base}msg:{msg_id}" for msg_id in batch])
        entries.extend(
            [json.loads(payload), sorted(marks_of.get(msg_id, ()))]
            for msg_id, payload in zip(batch, payloads, strict=True)
            if payload is not None
        )
    return entries
