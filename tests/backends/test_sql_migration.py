"""Tables written by the first release (schema version 1) are migrated in place on first use."""

from __future__ import annotations

import asyncio
import hashlib
import json
from datetime import datetime, timezone

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from memmark import AsyncSQLAlchemyMemory, Msg
from memmark._core import encode_payload
from memmark.backends.sql._schema import SCHEMA_VERSION, tables
from tests.providers.sql import fresh_prefix


def _release_1_session_key(user_id: str, session_id: str) -> str:
    """The key release 1 stored: SHA-256 of the pair's JSON in UTF-8 (not ASCII-escaped)."""
    pair = json.dumps([user_id, session_id], ensure_ascii=False)
    return hashlib.sha256(pair.encode("utf-8")).hexdigest()


async def _write_version_1(engine: AsyncEngine, prefix: str, user: str, session: str) -> list[Msg]:
    """Tables and rows as release 1 left them: no ``sessions.changes``, version row 1."""
    t = tables(prefix)
    msgs = [Msg("Alice", f"m{i}", "user") for i in range(3)]
    async with engine.begin() as conn:
        await conn.run_sync(t.metadata.create_all)
        await conn.execute(sa.text(f"ALTER TABLE {t.sessions.name} DROP COLUMN changes"))
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
