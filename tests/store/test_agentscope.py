"""Import from AgentScope 1.x storage, on fixtures built from its documented table/key layout."""

from __future__ import annotations

import json
import sqlite3
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from memmark._agentscope_import import agentscope_records, import_agentscope
from memmark.errors import StorageUnavailableError
from memmark.store._transfer import ImportReport
from tests.servers import require_server
from tests.store.dict_store import DictStore

REDIS_DB = 9


def msg(msg_id: str, text: str, role: str = "user") -> dict[str, Any]:
    return {
        "id": msg_id,
        "name": "Alice" if role == "user" else "bot",
        "role": role,
        "content": text,
        "metadata": {},
        "timestamp": "2026-04-15 04:19:06.878",
    }


# (user, session) -> messages in order, each with its marks; ids with '-' and ':' on purpose.
SESSIONS: dict[tuple[str, str], list[tuple[dict[str, Any], list[str]]]] = {
    ("user-1", "sess:a"): [
        (msg("m-1", "Generate a report"), []),
        (msg("m:2", "Create a plan first", "system"), ["hint"]),
        (msg("m-3", "ünïcødé ☃", "assistant"), ["hint", "a:b-c"]),
    ],
    ("user:2", "sess-b"): [(msg("x", "only one"), ["solo"])],
}


def create_agentscope_sqlite(path: Path) -> None:
    with sqlite3.connect(path) as db:
        db.executescript(
            """
            CREATE TABLE users (id VARCHAR(255) PRIMARY KEY);
            CREATE TABLE session (id VARCHAR(255) PRIMARY KEY,
                                  user_id VARCHAR(255) NOT NULL REFERENCES users(id));
            CREATE TABLE message (id VARCHAR(255) PRIMARY KEY, msg JSON NOT NULL,
                                  session_id VARCHAR(255) NOT NULL REFERENCES session(id),
                                  "index" BIGINT NOT NULL);
            CREATE TABLE message_mark (msg_id VARCHAR(255) REFERENCES message(id),
                                       mark VARCHAR(255), PRIMARY KEY (msg_id, mark));
            """
        )
        for (user_id, session_id), messages in SESSIONS.items():
            db.execute("INSERT OR IGNORE INTO users VALUES (?)", (user_id,))
            db.execute("INSERT INTO session VALUES (?, ?)", (session_id, user_id))
            # inserted newest first: the import must order by "index", not by rowid
            for index, (message, marks) in reversed(list(enumerate(messages))):
                row_id = f"{user_id}-{session_id}-{message['id']}"
                db.execute(
                    'INSERT INTO message (id, msg, session_id, "index") VALUES (?, ?, ?, ?)',
                    (row_id, json.dumps(message), session_id, index),
                )
                db.executemany(
                    "INSERT INTO message_mark VALUES (?, ?)", [(row_id, m) for m in marks]
                )
        db.execute("INSERT INTO users VALUES ('idle')")
        db.execute("INSERT INTO session VALUES ('empty', 'idle')")


def expected_records(sessions: dict[tuple[str, str], Any]) -> list[dict[str, Any]]:
    return [
        {
            "user_id": user_id,
            "session_id": session_id,
            "state": {
                "_compressed_summary": "",
                "content": [[m, sorted(marks)] for m, marks in messages],
            },
        }
        for (user_id, session_id), messages in sorted(sessions.items())
    ]


async def test_sql_import_keeps_order_marks_and_content(tmp_path: Path) -> None:
    path = tmp_path / "agentscope.db"
    create_agentscope_sqlite(path)
    url = f"sqlite+aiosqlite:///{path}"
    records = [record async for record in agentscope_records(url, page_size=1)]
    assert records == expected_records(SESSIONS)

    dst = DictStore()
    assert await import_agentscope(url, dst) == ImportReport(imported=2, skipped=0)
    assert await import_agentscope(url, dst) == ImportReport(imported=0, skipped=2)
    async with dst.memory("user-1", "sess:a") as memory:
        assert [m.id for m in await memory.get_memory(mark="hint")] == ["m:2", "m-3"]
        assert (await memory.get_memory())[2].content == "ünïcødé ☃"


async def test_sql_source_without_agentscope_tables_is_a_backend_error(tmp_path: Path) -> None:
    from memmark.errors import BackendError

    url = f"sqlite+aiosqlite:///{tmp_path / 'empty.db'}"
    with pytest.raises(BackendError, match="reading the AgentScope database failed"):
        await import_agentscope(url, DictStore())


async def test_unreachable_sql_source_is_storage_unavailable() -> None:
    with pytest.raises(StorageUnavailableError):
        await import_agentscope("postgresql+asyncpg://postgres@127.0.0.1:1/x", DictStore())


async def test_cluster_and_tablestore_sources_are_refused() -> None:
    with pytest.raises(ValueError, match="SQLAlchemy async URL or redis"):
        await import_agentscope("redis+cluster://127.0.0.1:7000", DictStore())


@pytest.fixture
async def agentscope_redis() -> AsyncIterator[tuple[str, dict[tuple[str, str], Any]]]:
    require_server("redis", "127.0.0.1", 6379)
    import redis.asyncio as redis

    run = uuid.uuid4().hex[:8]
    sessions = {(f"{u}:{run}", s): messages for (u, s), messages in SESSIONS.items()}
    client = redis.Redis(host="127.0.0.1", port=6379, db=REDIS_DB, decode_responses=True)
    keys: list[str] = []
    for index, ((user_id, session_id), messages) in enumerate(sessions.items()):
        base = f"user_id:{user_id}:session:{session_id}:"
        keys.append(base + "messages")
        await client.rpush(base + "messages", *[m["id"] for m, _ in messages])
        for message, marks in messages:
            keys.append(f"{base}msg:{message['id']}")
            await client.set(keys[-1], json.dumps(message, ensure_ascii=False))
            for mark in marks:
                keys.append(f"{base}mark:{mark}")
                # AgentScope uses lists; accept sets too
                if index == 0:
                    await client.rpush(keys[-1], message["id"])
                else:
                    await client.sadd(keys[-1], message["id"])
    try:
        yield f"redis://127.0.0.1:6379/{REDIS_DB}", sessions
    finally:
        await client.delete(*keys)
        await client.aclose()


async def test_redis_import_keeps_order_marks_and_content(
    agentscope_redis: tuple[str, dict[tuple[str, str], Any]],
) -> None:
    url, sessions = agentscope_redis
    mine = {user for user, _ in sessions}
    records = [r async for r in agentscope_records(url) if r["user_id"] in mine]
    assert records == expected_records(sessions)

    dst = DictStore()
    await import_agentscope(url, dst)
    for (user_id, session_id), messages in sessions.items():
        async with dst.memory(user_id, session_id) as memory:
            state = await memory.export_state()
        assert state["content"] == [[m, sorted(marks)] for m, marks in messages]


async def test_unreachable_redis_source_is_storage_unavailable() -> None:
    with pytest.raises(StorageUnavailableError):
        await import_agentscope("redis://127.0.0.1:1/0", DictStore())
