"""``get_memory`` against the raw driver reading the same rows, per backend.

    python benchmarks/bench_read.py [sqlite] [postgres] [mysql] [redis] [--runs 60]
        [--big 100000]

memmark runs on an engine / client the caller created (``create_async_engine(url)``,
``redis.asyncio.Redis(...)``), as the tutorial does. For a 100- and a 1,000-message session
(200-byte messages, every other one marked ``even``) it times ``get_memory()``,
``get_memory(mark="even")``, ``get_memory(exclude_mark="even")`` and
``get_memory(limit=20)``; then ``get_memory(limit=20)`` of a ``--big``-message session.

The raw baseline is the same driver on one connection of its own:

* SQL: one SELECT of the same rows from memmark's own tables (the session found by its key,
  the mark joined or excluded, the newest 20 ordered), then ``json.loads`` of each payload.
* Redis: the minimal storage, one list of payloads per selection (``LRANGE``), then
  ``json.loads``; measured with redis-py's pure-Python reply parser and with hiredis.

The rows above repeat reads on one memory object, which on Redis reads by its index of the
session (see ``docs/backends/redis.md``). Two more Redis rows time the other paths a user
takes on a 100-message session: an agent's turn on one memory object (``add`` of one message,
then ``get_memory()``; raw: ``RPUSH``, then ``LRANGE`` + ``json.loads``), and the single
``get_memory()`` of a memory object made for it, as a web request makes one (a read by script).

memmark and raw are timed pair by pair, alternating, so both see the same load; the figures
are p50s and the ratio of the two p50s. Every database is created for the run and dropped
after it (SQLite: a temporary file; Redis: a random key prefix, deleted after).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from sqlalchemy.ext.asyncio import create_async_engine

from memmark.memory import AsyncSQLAlchemyMemory, MemoryBase, RedisMemory
from memmark.message import Msg

PG = "postgresql+asyncpg://postgres@127.0.0.1:5432/{db}"
MYSQL = "mysql+asyncmy://root@127.0.0.1:3306/{db}?charset=utf8mb4"
PREFIX = "memmark_"
SIZES = (100, 1_000)
BATCH = 1_000
Op = Callable[[], Awaitable[Any]]


def messages(n: int) -> list[Msg]:
    return [Msg("bench", f"{i:08d}" + "x" * 192, "user") for i in range(n)]


async def fill(memory: MemoryBase, n: int) -> None:
    """Add ``n`` messages, every other one marked ``even``, in batches."""
    msgs = messages(n)
    even, odd = msgs[0::2], msgs[1::2]
    for start in range(0, len(even), BATCH // 2):
        await memory.add(even[start : start + BATCH // 2], marks="even")
        await memory.add(odd[start : start + BATCH // 2])


async def pair(memmark_op: Op, raw_op: Op, runs: int) -> tuple[float, float]:
    """p50 (ms) of both operations, timed alternately."""
    for _ in range(3):
        await memmark_op()
        await raw_op()
    ours, theirs = [], []
    for _ in range(runs):
        start = time.perf_counter()
        await memmark_op()
        ours.append(time.perf_counter() - start)
        start = time.perf_counter()
        await raw_op()
        theirs.append(time.perf_counter() - start)
    return statistics.median(ours) * 1000, statistics.median(theirs) * 1000


def report(backend: str, what: str, ours: float, theirs: float) -> None:
    print(f"| {backend} | {what} | {ours:.3f} | {theirs:.3f} | {ours / theirs:.2f}x |")
    sys.stdout.flush()


class RawSQL:
    """The driver itself on one connection: one SELECT of the rows, then ``json.loads``."""

    def __init__(self, kind: str, target: str) -> None:
        self.kind, self.target = kind, target
        self.conn: Any = None
        m, s, k = f"{PREFIX}messages", f"{PREFIX}sessions", f"{PREFIX}marks"
        p = {"sqlite": "?", "postgres": "$1", "mysql": "%s"}[kind]
        p2 = {"sqlite": "?", "postgres": "$2", "mysql": "%s"}[kind]
        ref = f"(SELECT id FROM {s} WHERE session_key = {p})"
        self.sql = {
            "all": f"SELECT payload FROM {m} WHERE session_ref = {ref} ORDER BY seq",
            "mark": (
                f"SELECT m.payload FROM {m} m JOIN {k} k ON k.session_ref = m.session_ref "
                f"AND k.seq = m.seq WHERE m.session_ref = {ref} AND k.mark = {p2} ORDER BY m.seq"
            ),
            "exclude_mark": (
                f"SELECT m.payload FROM {m} m WHERE m.session_ref = {ref} AND NOT EXISTS "
                f"(SELECT 1 FROM {k} k WHERE k.session_ref = m.session_ref AND k.mark = {p2} "
                "AND k.seq = m.seq) ORDER BY m.seq"
            ),
            "limit": (
                f"SELECT payload FROM (SELECT seq, payload FROM {m} WHERE session_ref = {ref} "
                "ORDER BY seq DESC LIMIT 20) newest ORDER BY seq"
            ),
        }

    async def open(self) -> None:
        if self.kind == "sqlite":
            import aiosqlite

            self.conn = await aiosqlite.connect(self.target)
        elif self.kind == "postgres":
            import asyncpg

            self.conn = await asyncpg.connect(self.target.replace("+asyncpg", ""))
        else:
            import asyncmy

            self.conn = await asyncmy.connect(host="127.0.0.1", user="root", db=self.target)

    async def close(self) -> None:
        closing = self.conn.close()  # a coroutine on asyncpg and aiosqlite only
        if closing is not None:
            await closing

    def op(self, key: str, query: str) -> Op:
        sql = self.sql[query]
        mark: Any = "even" if self.kind != "mysql" else b"even"
        args = (key, mark) if query in ("mark", "exclude_mark") else (key,)
        if self.kind == "sqlite":

            async def run_sqlite() -> list[Any]:
                async with self.conn.execute(sql, args) as cursor:
                    rows = await cursor.fetchall()
                return [json.loads(payload) for (payload,) in rows]

            return run_sqlite
        if self.kind == "postgres":

            async def run_pg() -> list[Any]:
                rows = await self.conn.fetch(sql, *args)
                return [json.loads(row[0]) for row in rows]

            return run_pg

        async def run_mysql() -> list[Any]:
            async with self.conn.cursor() as cursor:
                await cursor.execute(sql, args)
                rows = await cursor.fetchall()
            await self.conn.commit()  # a new snapshot per read, as memmark's transaction
            return [json.loads(payload) for (payload,) in rows]

        return run_mysql


async def bench_sql(kind: str, runs: int, big: int) -> None:
    from sqlalchemy import text

    from memmark._core import session_key

    admin: Any = None
    database = f"memmark_bench_{uuid.uuid4().hex[:8]}"
    directory = None
    if kind == "sqlite":
        directory = tempfile.mkdtemp(prefix="memmark-bench-")
        target = str(Path(directory) / "bench.db")
        url = f"sqlite+aiosqlite:///{target}"
    else:
        admin_url = PG.format(db="postgres") if kind == "postgres" else MYSQL.format(db="")
        admin = create_async_engine(admin_url, isolation_level="AUTOCOMMIT")
        async with admin.connect() as conn:
            quoted = f'"{database}"' if kind == "postgres" else f"`{database}`"
            await conn.execute(text(f"CREATE DATABASE {quoted}"))
        url = (PG if kind == "postgres" else MYSQL).format(db=database)
        target = url if kind == "postgres" else database
    engine = create_async_engine(url)
    raw = RawSQL(kind, target)
    try:
        sessions = {}
        for n in (*SIZES, big):
            memory = AsyncSQLAlchemyMemory(engine, user_id="bench", session_id=f"s{n}")
            t0 = time.perf_counter()
            await fill(memory, n)
            if n == big:
                print(f"<!-- {kind}: loaded {n:,} messages in {time.perf_counter() - t0:.1f} s -->")
            sessions[n] = (memory, session_key("bench", f"s{n}"))
        await raw.open()
        await run_pairs(kind, sessions, raw.op, runs, big)
    finally:
        if raw.conn is not None:
            await raw.close()
        await engine.dispose()
        if admin is not None:
            async with admin.connect() as conn:
                if kind == "postgres":
                    await conn.execute(text(f'DROP DATABASE "{database}" WITH (FORCE)'))
                else:
                    await conn.execute(text(f"DROP DATABASE `{database}`"))
            await admin.dispose()
        if directory is not None:
            shutil.rmtree(directory, ignore_errors=True)


CALLS: dict[str, Callable[[MemoryBase], Awaitable[Any]]] = {
    "all": lambda memory: memory.get_memory(),
    "mark": lambda memory: memory.get_memory(mark="even"),
    "exclude_mark": lambda memory: memory.get_memory(exclude_mark="even"),
    "limit": lambda memory: memory.get_memory(limit=20),
}
LABELS = {
    "all": "get_memory()",
    "mark": "get_memory(mark=)",
    "exclude_mark": "get_memory(exclude_mark=)",
    "limit": "get_memory(limit=20)",
}


async def run_pairs(
    backend: str,
    sessions: dict[int, tuple[MemoryBase, Any]],
    raw_op: Callable[[Any, str], Op],
    runs: int,
    big: int,
) -> None:
    for n in SIZES:
        memory, key = sessions[n]
        for query, call in CALLS.items():
            ours, theirs = await pair(lambda c=call, m=memory: c(m), raw_op(key, query), runs)
            report(backend, f"{LABELS[query]}, {n:,} msgs", ours, theirs)
    memory, key = sessions[big]
    ours, theirs = await pair(lambda: memory.get_memory(limit=20), raw_op(key, "limit"), runs)
    report(backend, f"get_memory(limit=20), {big:,} msgs", ours, theirs)


async def bench_redis(runs: int, big: int, hiredis: bool) -> None:
    from redis import asyncio as redis_asyncio
    from redis._parsers import _AsyncHiredisParser, _AsyncRESP2Parser

    parser = _AsyncHiredisParser if hiredis else _AsyncRESP2Parser
    pool = redis_asyncio.ConnectionPool(host="127.0.0.1", port=6379, parser_class=parser)
    client = redis_asyncio.Redis(connection_pool=pool)
    prefix = f"bench{uuid.uuid4().hex[:8]}"
    name = "Redis (hiredis)" if hiredis else "Redis (pure-Python parser)"
    try:
        sessions = {}
        for n in (*SIZES, big):
            memory = RedisMemory(
                client=client, key_prefix=prefix, user_id="bench", session_id=f"s{n}"
            )
            await fill(memory, n)
            payloads = [json.dumps(m.to_dict()) for m in messages(n)]
            base = f"{prefix}:raw:{n}:"
            selections = {
                "all": payloads,
                "mark": payloads[0::2],
                "exclude_mark": payloads[1::2],
                "limit": payloads,
            }
            for query, chosen in selections.items():
                for start in range(0, len(chosen), BATCH):
                    await client.rpush(base + query, *chosen[start : start + BATCH])
            sessions[n] = (memory, base)

        def raw_op(base: str, query: str) -> Op:
            first = -20 if query == "limit" else 0

            async def run() -> list[Any]:
                return [json.loads(p) for p in await client.lrange(base + query, first, -1)]

            return run

        await run_pairs(name, sessions, raw_op, runs, big)
        await redis_user_paths(client, prefix, name, runs)
    finally:
        cursor = 0
        while True:
            cursor, keys = await client.scan(cursor, match=f"{prefix}:*", count=1000)
            if keys:
                await client.delete(*keys)
            if cursor == 0:
                break
        await client.aclose()
        await pool.aclose()


async def redis_user_paths(client: Any, prefix: str, name: str, runs: int) -> None:
    """The agent's turn and a new object's one read, on 100-message sessions of their own."""
    turn = RedisMemory(client=client, key_prefix=prefix, user_id="bench", session_id="turn")
    await fill(turn, 100)
    raw = f"{prefix}:raw:turn"
    await client.rpush(raw, *[json.dumps(m.to_dict()) for m in messages(100)])
    said = Msg("bench", "x" * 200, "assistant")

    async def memmark_turn() -> None:
        await turn.add(Msg("bench", said.content, "assistant"))
        await turn.get_memory()

    async def raw_turn() -> None:
        await client.rpush(raw, json.dumps(Msg("bench", said.content, "assistant").to_dict()))
        [json.loads(p) for p in await client.lrange(raw, 0, -1)]

    ours, theirs = await pair(memmark_turn, raw_turn, runs)
    report(name, "add + get_memory() (an agent's turn), 100+ msgs", ours, theirs)

    def new_object() -> RedisMemory:
        return RedisMemory(client=client, key_prefix=prefix, user_id="bench", session_id="s100")

    async def raw_read() -> list[Any]:
        return [json.loads(p) for p in await client.lrange(f"{prefix}:raw:100:all", 0, -1)]

    ours, theirs = await pair(lambda: new_object().get_memory(), raw_read, runs)
    report(name, "get_memory() of a new memory object, 100 msgs", ours, theirs)


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("backends", nargs="*", default=["sqlite", "postgres", "mysql", "redis"])
    parser.add_argument("--runs", type=int, default=60)
    parser.add_argument("--big", type=int, default=100_000)
    args = parser.parse_args()
    print("| backend | operation | memmark (ms) | raw driver (ms) | ratio |")
    print("| --- | --- | ---: | ---: | ---: |")
    for backend in args.backends:
        if backend == "redis":
            await bench_redis(args.runs, args.big, hiredis=False)
            await bench_redis(args.runs, args.big, hiredis=True)
        else:
            await bench_sql(backend, args.runs, args.big)


if __name__ == "__main__":
    asyncio.run(main())
