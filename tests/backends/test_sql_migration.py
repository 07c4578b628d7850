"""Tables written by the first release (schema version 1) are migrated in place on first use."""

from __future__ import annotations

import asyncio
import hashlib
import json
from datetime import datetime, timedelta, timezone

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from memmark import AsyncSQLAlchemyMemory, Msg
from memmark._core import encode_payload, session_key
from memmark.backends.sql._schema import SCHEMA_VERSION, StorageNowMs, tables
from tests.providers.sql import fresh_prefix
from tests.waiting import eventually


def _release_1_session_key(user_id: str, session_id: str) -> str:
    """The key release 1 stored: SHA-256 of the pair's JSON in UTF-8 (not ASCII-escaped)."""
    pair = json.dumps([user_id, session_id], ensure_ascii=False)
    return hashlib.sha256(pair.encode("utf-8")).hexdigest()


async def _write_version_1(engine: AsyncEngine, prefix: str, user: str, session: str) -> list[Msg]:
    """Tables and rows as release 1 left them: no ``changes``, no ``stored_at``, version 1."""
    t = tables(prefix)
    msgs = [Msg("Alice", f"m{i}", "user") for i in range(3)]
    async with engine.begin() as conn:
        await conn.run_sync(t.metadata.create_all)
        await conn.execute(sa.text(f"ALTER TABLE {t.sessions.name} DROP COLUMN changes"))
        await conn.execute(sa.text(f"ALTER TABLE {t.messages.name} DROP COLUMN stored_at"))
        await conn.execute(sa.insert(t.version).values(singleton=1, version=1))
        await conn.execute(
            sa.text(
                f"INSERT INTO {t.sessions.name} "
                "(id, session_key, user_id, session_id, summary, next_seq, updated_at) "
                "VALUES (1, :key, :user, :session, :summary, 3, :now)"
            ).bindparams(
                sa.bindparam("user", type_=t.sessions.c.user_id.type),
                sa.bindparam("session", type_=t.sessions.c.session_id.type),
                sa.bindparam("now", type_=t.sessions.c.updated_at.type),
            ),
            {
                "key": _release_1_session_key(user, session),
                "user": user,
                "session": session,
                "summary": '"old summary"',
                "now": datetime.now(timezone.utc),
            },
        )
        for seq, msg in enumerate(msgs):
            await conn.execute(
                sa.insert(t.messages).values(
                    session_ref=1, seq=seq, msg_id=msg.id, payload=encode_payload(msg)
                )
            )
        await conn.execute(sa.insert(t.marks).values(session_ref=1, mark="old", seq=0))
    return msgs


@pytest.mark.parametrize(("user", "session"), [("u", "s"), ("ünïcode", "séssion ☀")])
async def test_a_version_1_database_is_migrated_and_keeps_its_data(
    sql_url: str, user: str, session: str
) -> None:
    prefix = fresh_prefix()
    engine = create_async_engine(sql_url)
    try:
        msgs = await _write_version_1(engine, prefix, user, session)
        memories = [
            AsyncSQLAlchemyMemory(engine, user_id=user, session_id=session, table_prefix=prefix)
            for _ in range(3)
        ]
        sizes = await asyncio.gather(*(m.size() for m in memories))  # racing to migrate
        assert sizes == [3, 3, 3]
        memory = memories[0]
        got = await memory.get_memory()
        assert got[0].content == "old summary"
        assert got[1:] == msgs
        assert [m.id for m in await memory.get_memory(mark="old", prepend_summary=False)] == [
            msgs[0].id
        ]
        version = await memory.version()
        assert version == 3
        await memory.add(Msg("Bob", "new", "user"), expected_version=version)
        assert await memory.pop(expected_version=await memory.version()) is not None
        assert await memory.version() > version
        async with engine.connect() as conn:
            stored = (await conn.execute(sa.select(tables(prefix).version.c.version))).all()
        assert stored == [(SCHEMA_VERSION,)]
    finally:
        await engine.dispose()


async def _write_version_2(engine: AsyncEngine, prefix: str) -> list[Msg]:
    """Tables and rows as schema version 2 left them: no ``messages.stored_at``."""
    t = tables(prefix)
    msgs = [Msg("Alice", f"m{i}", "user") for i in range(3)]
    async with engine.begin() as conn:
        await conn.run_sync(t.metadata.create_all)
        await conn.execute(sa.text(f"ALTER TABLE {t.messages.name} DROP COLUMN stored_at"))
        await conn.execute(sa.insert(t.version).values(singleton=1, version=2))
        await conn.execute(
            sa.insert(t.sessions).values(
                id=1,
                session_key=session_key("u", "s"),
                user_id="u",
                session_id="s",
                summary="",
                next_seq=3,
                updated_at=datetime.now(timezone.utc),
                changes=4,
            )
        )
        for seq, msg in enumerate(msgs):
            await conn.execute(
                sa.text(
                    f"INSERT INTO {t.messages.name} (session_ref, seq, msg_id, payload) "
                    "VALUES (1, :seq, :msg_id, :payload)"
                ).bindparams(sa.bindparam("msg_id", type_=t.messages.c.msg_id.type)),
                {"seq": seq, "msg_id": msg.id, "payload": encode_payload(msg)},
            )
            await conn.execute(sa.insert(t.marks).values(session_ref=1, mark="tool", seq=seq))
    return msgs


async def _database_now_ms(engine: AsyncEngine) -> int:
    async with engine.connect() as conn:
        return int((await conn.execute(sa.select(StorageNowMs()))).scalar_one())


async def test_a_version_2_database_gets_stored_at_times_from_the_migration(
    sql_url: str,
) -> None:
    prefix = fresh_prefix()
    engine = create_async_engine(sql_url)
    try:
        msgs = await _write_version_2(engine, prefix)
        before = await _database_now_ms(engine)
        memories = [
            AsyncSQLAlchemyMemory(engine, user_id="u", session_id="s", table_prefix=prefix)
            for _ in range(3)
        ]
        sizes = await asyncio.gather(*(m.size() for m in memories))  # racing to migrate
        assert sizes == [3, 3, 3]
        after = await _database_now_ms(engine)
        memory = memories[0]
        assert await memory.get_memory() == msgs
        assert await memory.version() == 7
        t = tables(prefix)
        async with engine.connect() as conn:
            stored_at = (await conn.execute(sa.select(t.messages.c.stored_at))).scalars().all()
            version = (await conn.execute(sa.select(t.version.c.version))).all()
        assert len(stored_at) == 3
        assert all(before <= at <= after for at in stored_at), (before, stored_at, after)
        assert version == [(SCHEMA_VERSION,)] == [(3,)]
        assert await memory.delete_by_mark("tool", older_than=timedelta(days=1)) == 0
        await memory.add([msgs[0], Msg("Bob", "new", "user")], marks="tool")  # unique id kept
        assert await memory.size() == 4
        assert await memory.delete_by_mark("tool", older_than=timedelta(days=1)) == 0

        async def all_removed() -> bool:
            return await memory.delete_by_mark("tool", older_than=timedelta(milliseconds=1)) == 4

        await eventually(all_removed, "the migrated and the new messages to be 1 ms old")
        assert await memory.size() == 0
    finally:
        await engine.dispose()
