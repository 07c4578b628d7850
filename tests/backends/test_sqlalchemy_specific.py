"""What only the SQL backend has: tables, schema version, caller sessions, processes, crashes."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import threading
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, create_async_engine

from memmark import AsyncSQLAlchemyMemory, Msg, SchemaVersionError, StorageUnavailableError
from memmark.backends.sql import _queries as queries
from memmark.backends.sql._schema import SCHEMA_VERSION, tables
from memmark.store import SQLStore
from tests.providers.sql import fresh_prefix

ROOT = Path(__file__).resolve().parents[2]
WRITER = ROOT / "tests" / "backends" / "sql_writer.py"


@pytest.fixture
async def engine(sql_url: str) -> AsyncIterator[AsyncEngine]:
    created = create_async_engine(sql_url)
    yield created
    await created.dispose()


async def _table_names(engine: AsyncEngine) -> set[str]:
    async with engine.connect() as conn:
        return set(await conn.run_sync(lambda sync: sa.inspect(sync).get_table_names()))


async def test_tables_carry_the_prefix_and_are_created_on_first_use(engine: AsyncEngine) -> None:
    prefix = fresh_prefix()
    memory = AsyncSQLAlchemyMemory(engine, user_id="u", session_id="s", table_prefix=prefix)
    assert await memory.size() == 0
    mine = {name for name in await _table_names(engine) if name.startswith(prefix)}
    assert mine == {f"{prefix}{t}" for t in ("sessions", "messages", "marks", "schema_version")}
    async with engine.connect() as conn:
        version = (await conn.execute(sa.select(tables(prefix).version.c.version))).all()
    assert version == [(SCHEMA_VERSION,)]


@pytest.mark.parametrize("prefix", ["", "1abc", "bad-prefix", "x" * 31, "drop table;"])
def test_malformed_prefix_is_refused(prefix: str) -> None:
    engine = create_async_engine("sqlite+aiosqlite://")
    with pytest.raises(ValueError, match="table_prefix"):
        AsyncSQLAlchemyMemory(engine, table_prefix=prefix)
    with pytest.raises(TypeError, match="AsyncEngine or AsyncSession"):
        AsyncSQLAlchemyMemory("sqlite+aiosqlite://")  # type: ignore[arg-type]


async def test_newer_schema_version_is_refused(sql_url: str) -> None:
    prefix = fresh_prefix()
    first = create_async_engine(sql_url)
    try:
        await AsyncSQLAlchemyMemory(first, table_prefix=prefix).add(Msg("a", "old", "user"))
        async with first.begin() as conn:
            await conn.execute(sa.update(tables(prefix).version).values(version=SCHEMA_VERSION + 1))
    finally:
        await first.dispose()
    second = create_async_engine(sql_url)
    try:
        with pytest.raises(SchemaVersionError, match=f"version {SCHEMA_VERSION + 1}"):
            await AsyncSQLAlchemyMemory(second, table_prefix=prefix).size()
    finally:
        await second.dispose()


async def test_marks_and_ids_differing_in_case_or_trailing_space_are_distinct(
    engine: AsyncEngine,
) -> None:
    memory = AsyncSQLAlchemyMemory(engine, table_prefix=fresh_prefix())
    for msg_id, mark in (("a", "a"), ("A", "A"), ("a ", "a "), ("ä", "ä")):
        message = Msg("n", msg_id, "user")
        message.id = msg_id
        await memory.add(message, marks=mark)
    assert await memory.size() == 4
    for mark in ("a", "A", "a ", "ä"):
        assert [m.content for m in await memory.get_memory(mark=mark)] == [mark]
    assert await memory.update_messages_mark("b", old_mark="a ") == 1
    assert await memory.delete(["A"]) == 1
    assert [m.content for m in await memory.get_memory(mark="b")] == ["a "]


async def test_reads_by_many_marks_each_find_their_own_messages(engine: AsyncEngine) -> None:
    """On asyncpg short marks are written into the read statement, up to a number of
    statements: quotes and backslashes stay data, and reads past that number still match."""
    memory = AsyncSQLAlchemyMemory(engine, table_prefix=fresh_prefix())
    marks = ["it's", "back\\slash", "\\'", "' OR '1'='1", "x" * 64, "y" * 65]
    marks += [f"mark {i}" for i in range(80)]
    for mark in marks:
        await memory.add(Msg("n", mark, "user"), marks=mark)
    for mark in marks:
        assert [m.content for m in await memory.get_memory(mark=mark, limit=5)] == [mark]
        excluded = await memory.get_memory(exclude_mark=mark, prepend_summary=False)
        assert mark not in [m.content for m in excluded] and len(excluded) == len(marks) - 1


async def test_writes_that_remove_messages_leave_no_marks_rows_of_them(engine: AsyncEngine) -> None:
    """A marks row without its message is invisible to reads: count them in the tables."""
    prefix = fresh_prefix()
    t = tables(prefix)
    memory = AsyncSQLAlchemyMemory(engine, user_id="u", session_id="s", table_prefix=prefix)
    other = AsyncSQLAlchemyMemory(engine, user_id="u", session_id="other", table_prefix=prefix)
    await other.add(Msg("n", "kept", "user"), marks=["a", "b"])

    async def orphans() -> int:
        message = sa.exists().where(
            t.messages.c.session_ref == t.marks.c.session_ref, t.messages.c.seq == t.marks.c.seq
        )
        query = sa.select(sa.func.count()).select_from(t.marks).where(~message)
        async with engine.connect() as conn:
            return int((await conn.execute(query)).scalar_one())

    removals = {
        "delete": lambda ids: memory.delete([ids[0]]),
        "delete_by_mark": lambda ids: memory.delete_by_mark("a"),
        "pop": lambda ids: memory.pop(),
        "rewind": lambda ids: memory.rewind(ids[1]),
        "compress": lambda ids: memory.compress("summary", ids[:2], mark=None),
        "clear": lambda ids: memory.clear(),
    }
    for name, remove in removals.items():
        added = [Msg("n", f"{name} {i}", "user") for i in range(3)]
        await memory.add(added, marks=["a", "b"])
        await remove([m.id for m in added])
        assert await orphans() == 0, name
        await memory.clear()
    for mark in ("a", "b"):
        assert [m.content for m in await other.get_memory(mark=mark)] == ["kept"]


async def test_a_write_may_name_more_ids_than_asyncpg_binds(engine: AsyncEngine) -> None:
    """On an engine the ids go in one statement: on PostgreSQL as one array parameter."""
    memory = AsyncSQLAlchemyMemory(engine, table_prefix=fresh_prefix())
    added = [Msg("n", str(i), "user") for i in range(33_000)]
    for start in range(0, len(added), 5_000):
        await memory.add(added[start : start + 5_000])
    ids = [m.id for m in added]
    assert await memory.update_messages_mark("a", msg_ids=ids) == len(ids)
    assert await memory.delete(ids[1:]) == len(ids) - 1
    assert [m.content for m in await memory.get_memory(mark="a")] == ["0"]


@pytest.mark.postgres
async def test_writes_naming_few_ids_keep_postgresqls_generic_plans(
    postgres_url_for_test: str,
) -> None:
    """PostgreSQL re-planned a write naming its ids by array on every call once the tables
    had statistics; a write naming up to ``LISTED_IDS`` binds them one by one and keeps the
    generic plan (``pg_prepared_statements`` of the engine's one connection)."""
    engine = create_async_engine(postgres_url_for_test, pool_size=1, max_overflow=0)
    try:
        prefix = fresh_prefix()
        memory = AsyncSQLAlchemyMemory(engine, table_prefix=prefix)
        added = [Msg("n", str(i), "user") for i in range(3)]
        await memory.add(added, marks="old")
        for turn in range(8):
            old, new = ("old", "new") if turn % 2 == 0 else ("new", "old")
            assert await memory.update_messages_mark(new, old, msg_ids=[added[0].id]) == 1
        assert await memory.delete([added[1].id]) == 1
        async with engine.connect() as conn:
            marks = tables(prefix).marks.name
            plans = (
                await conn.execute(
                    sa.text(
                        "SELECT generic_plans, custom_plans FROM pg_prepared_statements "
                        "WHERE statement LIKE :removal OR statement LIKE :move"
                    ),
                    {"removal": f"DELETE FROM {marks} %", "move": f"INSERT INTO {marks} %chosen%"},
                )
            ).all()
        assert len(plans) == 3  # the move, the drop and the delete's
        assert all(generic >= 1 and custom == 0 for generic, custom in plans), plans
    finally:
        await engine.dispose()


async def test_ids_past_one_statement_are_sent_in_several(
    engine: AsyncEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """In a caller's session a write names its ids a chunk per statement (asyncpg binds at
    most 32,767 parameters); here two per statement, so that five take three."""
    monkeypatch.setattr(queries, "_IDS_PER_STATEMENT", 2)
    async with AsyncSession(engine) as session:
        memory = AsyncSQLAlchemyMemory(session, table_prefix=fresh_prefix())
        added = [Msg("n", str(i), "user") for i in range(6)]
        await memory.add(added)
        ids = [m.id for m in added[:5]]
        assert await memory.update_messages_mark("a", msg_ids=ids) == 5
        assert await memory.update_messages_mark("b", old_mark="a", msg_ids=ids) == 5
        assert await memory.update_messages_mark(None, old_mark="b", msg_ids=ids[:3]) == 3
        assert [m.content for m in await memory.get_memory(mark="b")] == ["3", "4"]
        assert await memory.delete(ids) == 5
        assert [m.content for m in await memory.get_memory()] == ["5"]
        await session.commit()


async def test_caller_session_is_never_committed_or_closed(engine: AsyncEngine) -> None:
    prefix = fresh_prefix()
    observer = AsyncSQLAlchemyMemory(engine, "s", "u", table_prefix=prefix)
    assert await observer.size() == 0  # tables exist before the caller's transaction
    async with AsyncSession(engine) as session:
        memory = AsyncSQLAlchemyMemory(session, "s", "u", table_prefix=prefix)
        await asyncio.gather(*(memory.add(Msg("a", f"m{i}", "user")) for i in range(5)))
        await memory.update_compressed_summary("draft")
        assert await memory.size() == 5
        await memory.close()
        assert session.in_transaction()
        await session.rollback()
    assert await observer.get_memory() == []
    async with AsyncSession(engine) as session:
        memory = AsyncSQLAlchemyMemory(session, "s", "u", table_prefix=prefix)
        await memory.add(Msg("a", "committed", "user"))
        await session.commit()
    assert [m.content for m in await observer.get_memory()] == ["committed"]


def _writer_env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT / "src"), str(ROOT)])
    return env


async def _spawn(
    sql_url: str, prefix: str, writer: int, adds: int, batch: int
) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable,
        str(WRITER),
        sql_url,
        prefix,
        str(writer),
        str(adds),
        str(batch),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=_writer_env(),
    )


@pytest.mark.slow
async def test_eight_processes_add_to_one_session(sql_url: str) -> None:
    processes, adds = 8, 200
    prefix = fresh_prefix()  # the processes also race to create the tables
    writers = [await _spawn(sql_url, prefix, w, adds, 1) for w in range(processes)]
    results = await asyncio.gather(*(w.communicate() for w in writers))
    for writer, (_, stderr) in zip(writers, results, strict=True):
        assert writer.returncode == 0, stderr.decode()
    engine = create_async_engine(sql_url)
    try:
        memory = AsyncSQLAlchemyMemory(engine, "shared", "shared", table_prefix=prefix)
        stored = [m.content for m in await memory.get_memory()]
        assert len(stored) == len(set(stored)) == processes * adds
        for w in range(processes):
            assert [c for c in stored if c.startswith(f"w{w}-")] == [
                f"w{w}-{i}-0" for i in range(adds)
            ]
            assert len(await memory.get_memory(mark=f"w{w}")) == adds
    finally:
        await engine.dispose()


@pytest.mark.slow
async def test_killed_writer_leaves_no_half_written_message(sql_url: str) -> None:
    prefix = fresh_prefix()
    writer = await _spawn(sql_url, prefix, 0, 100_000, 5)
    assert writer.stdout is not None
    for _ in range(30):  # let it commit some batches, then kill it mid-run
        await writer.stdout.readline()
    writer.send_signal(signal.SIGKILL)
    await writer.wait()
    t = tables(prefix)
    m, k = t.messages, t.marks
    engine = create_async_engine(sql_url)
    try:
        async with engine.connect() as conn:
            messages = (await conn.execute(sa.select(sa.func.count()).select_from(m))).scalar()
            marks_per_message = (
                sa.select(sa.func.count())
                .where(k.c.session_ref == m.c.session_ref, k.c.seq == m.c.seq)
                .scalar_subquery()
            )
            unmarked = sa.select(sa.func.count()).select_from(m).where(marks_per_message != 2)
            orphan = (
                sa.select(sa.func.count())
                .select_from(k)
                .where(~sa.exists().where(m.c.session_ref == k.c.session_ref, m.c.seq == k.c.seq))
            )
            assert (await conn.execute(unmarked)).scalar() == 0
            assert (await conn.execute(orphan)).scalar() == 0
        assert messages is not None and messages >= 150 and messages % 5 == 0
        memory = AsyncSQLAlchemyMemory(engine, "shared", "shared", table_prefix=prefix)
        await memory.add(Msg("a", "after the crash", "user"), marks="all")
        assert await memory.size() == messages + 1
    finally:
        await engine.dispose()


async def test_store_gives_sqlite_files_wal_and_concurrent_writers(tmp_path: Path) -> None:
    sql_url = f"sqlite+aiosqlite:///{tmp_path / 'wal.db'}"
    async with SQLStore(sql_url) as store:
        memories = [store.memory("u", "s") for _ in range(4)]
        await asyncio.gather(
            *(
                memory.add(Msg("a", f"{w}-{i}", "user"))
                for i in range(10)
                for w, memory in enumerate(memories)
            )
        )
        assert await memories[0].size() == 40
        async with store.engine.connect() as conn:
            mode = (await conn.exec_driver_sql("PRAGMA journal_mode")).scalar()
        assert mode == "wal"
        assert (tmp_path / "wal.db-wal").exists()


@pytest.mark.parametrize(
    "unreachable",
    [
        "sqlite+aiosqlite:////nonexistent-dir/memmark.db",
        "postgresql+asyncpg://postgres@127.0.0.1:1/none",
        "mysql+asyncmy://root@127.0.0.1:1/none",
    ],
    ids=["sqlite", "postgres", "mysql"],
)
async def test_unreachable_database_raises_storage_unavailable(unreachable: str) -> None:
    threads_before = set(threading.enumerate())
    engine = create_async_engine(unreachable)
    try:
        memory = AsyncSQLAlchemyMemory(engine, table_prefix=fresh_prefix())
        with pytest.raises(StorageUnavailableError) as caught:
            await memory.add(Msg("a", "lost", "user"))
        assert caught.value.__cause__ is not None
    finally:
        await engine.dispose()
        _join_aiosqlite_workers(started_since=threads_before)


def _join_aiosqlite_workers(started_since: set[threading.Thread]) -> None:
    """Wait for the aiosqlite worker threads this test started, which are all stopping.

    After a failed connect, aiosqlite queues its thread's stop without awaiting it; if the
    test's loop closes first, the thread fails reporting back to it. Joining the threads here
    (they only need the loop object, not a running loop) makes the test independent of that.
    """
    for thread in set(threading.enumerate()) - started_since:
        if "_connection_worker_thread" in thread.name:
            thread.join(timeout=10)


async def test_longest_multibyte_ids_are_stored_and_listed(sql_url: str) -> None:
    user_id, session_id = "😀" * 1024, "会" * 1023 + "a"
    async with SQLStore(sql_url, table_prefix=fresh_prefix()) as store:
        memory = store.memory(user_id, session_id)
        await memory.add(Msg("a", "long ids", "user"))
        await store.memory(user_id, "会" * 1023 + "b").add(Msg("a", "sibling", "user"))
        assert [m.content for m in await memory.get_memory()] == ["long ids"]
        first = await store.list_sessions(user_id, limit=1)
        assert [(i.user_id, i.session_id) for i in first.items] == [(user_id, session_id)]
        rest = await store.list_sessions(user_id, limit=1, cursor=first.next_cursor)
        assert [i.session_id for i in rest.items] == ["会" * 1023 + "b"]
        assert (await store.list_users()).items == [user_id]


async def test_agentscope_positional_order_session_then_user(engine: AsyncEngine) -> None:
    prefix = fresh_prefix()
    memory = AsyncSQLAlchemyMemory(engine, "session_1", "user_1", table_prefix=prefix)
    assert (memory.session_id, memory.user_id) == ("session_1", "user_1")
    defaults = AsyncSQLAlchemyMemory(engine, None, None, table_prefix=prefix)
    assert (defaults.session_id, defaults.user_id) == ("default_session", "default_user")
