"""AsyncSQLAlchemyMemory against each driver's raw statements, on empty and populated databases.

    python benchmarks/bench_sql.py [sqlite] [asyncpg] [psycopg] [asyncmy] [aiomysql]

For each (database, driver) pair: single add (one mark), batch add of 100 and get_memory() of
a 100-message session, for memmark and for the same driver doing the minimal equivalent
(BEGIN + INSERT + COMMIT; one SELECT and ``json.loads`` of the payloads). Each memmark call is
followed by its raw counterpart, so the machine's load hits both alike; the figure quoted is
the median of the per-pair ratios memmark / raw, beside both p50s (ms).

Headline: memmark on an engine the caller made with ``create_async_engine(url)`` (default pool,
which rolls back on return), as the tutorial does. Also on the engine ``SQLStore(url)`` makes
(as ``memmark.connect`` does, no rollback on return). Each is measured on an empty database
and on one holding 2,000 other sessions x 100 messages (200,000), targets: single add <= 2x
raw, populated <= 1.2x empty. Last, per pair: single add with the dialect's fast path
(``FastAdd``) against the portable statements, alternated; a fast path stays only if it pays.
"""

from __future__ import annotations

import asyncio
import json
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from memmark.backends.sql import _memory
from memmark.backends.sql._schema import session_key, tables
from memmark.memory import AsyncSQLAlchemyMemory
from memmark.message import Msg
from memmark.store import SQLStore

OTHER_SESSIONS, PER_SESSION = 2_000, 100
RUNS = {"single add": 150, "batch 100": 15, "get_memory": 60}
WARMUP = 3
PAYLOAD = Msg("bench", "x" * 200, "user")
PAIRS = {  # driver -> database
    "sqlite": "sqlite",
    "asyncpg": "postgres",
    "psycopg": "postgres",
    "asyncmy": "mysql",
    "aiomysql": "mysql",
}
Op = Callable[[], Awaitable[Any]]


def msgs(n: int) -> list[Msg]:
    return [Msg("bench", "x" * 200, "user") for _ in range(n)]


class Raw:
    """One driver, used directly: a plain table, BEGIN + INSERT + COMMIT per add."""

    def __init__(self, driver: str, target: str, table: str) -> None:
        self.driver, self.target, self.table = driver, target, table
        self.seq = uuid.uuid4().int % 10**12  # several drivers append to one table
        self.conn: Any = None

    async def open(self, *, create: bool) -> None:
        if self.driver == "sqlite":
            import aiosqlite

            self.conn = await aiosqlite.connect(self.target)
        elif self.driver == "asyncpg":
            import asyncpg

            self.conn = await asyncpg.connect(self.target)
        elif self.driver == "psycopg":
            import psycopg

            self.conn = await psycopg.AsyncConnection.connect(self.target)
        else:
            module = __import__(self.driver)
            self.conn = await module.connect(host="127.0.0.1", user="root", db=self.target)
        if create:
            await self.write(
                f"CREATE TABLE {self.table} (session_ref BIGINT, seq BIGINT, "
                "msg_id VARCHAR(64), payload TEXT, PRIMARY KEY (session_ref, seq))",
                [],
            )

    def sql(self, statement: str) -> str:
        if self.driver == "asyncpg":
            count = 0
            while "?" in statement:
                count += 1
                statement = statement.replace("?", f"${count}", 1)
        elif self.driver != "sqlite":
            statement = statement.replace("?", "%s")
        return statement

    async def write(self, statement: str, rows: list[tuple[Any, ...]]) -> None:
        """One transaction: BEGIN, the statement (once per row; once if no rows), COMMIT."""
        sql = self.sql(statement)
        if self.driver == "asyncpg":
            async with self.conn.transaction():
                await (self.conn.executemany(sql, rows) if rows else self.conn.execute(sql))
        elif self.driver == "psycopg":
            async with self.conn.transaction(), self.conn.cursor() as cursor:
                await (cursor.executemany(sql, rows) if rows else cursor.execute(sql))
        elif self.driver == "sqlite":
            await (self.conn.executemany(sql, rows) if rows else self.conn.execute(sql))
            await self.conn.commit()
        else:
            async with self.conn.cursor() as cursor:
                await (cursor.executemany(sql, rows) if rows else cursor.execute(sql))
            await self.conn.commit()

    async def add(self, session: int, n: int) -> None:
        rows = []
        for _ in range(n):
            self.seq += 1
            rows.append((session, self.seq, uuid.uuid4().hex, json.dumps(PAYLOAD.to_dict())))
        await self.write(f"INSERT INTO {self.table} VALUES (?, ?, ?, ?)", rows)

    async def read(self, session: int) -> list[Any]:
        sql = self.sql(f"SELECT payload FROM {self.table} WHERE session_ref = ? ORDER BY seq")
        if self.driver == "asyncpg":
            rows = list(await self.conn.fetch(sql, session))
        elif self.driver == "psycopg":
            async with self.conn.cursor() as cursor:
                await cursor.execute(sql, (session,))
                rows = list(await cursor.fetchall())
            await self.conn.commit()
        elif self.driver == "sqlite":
            async with self.conn.execute(sql, (session,)) as cursor:
                rows = list(await cursor.fetchall())
        else:
            async with self.conn.cursor() as cursor:
                await cursor.execute(sql, (session,))
                rows = list(await cursor.fetchall())
            await self.conn.commit()
        return [json.loads(row[0]) for row in rows]

    async def close(self) -> None:
        if self.driver in ("asyncmy", "aiomysql"):
            self.conn.close()
        else:
            await self.conn.close()


async def populate(engine: AsyncEngine, prefix: str, raw: Raw) -> None:
    """2,000 other sessions x 100 messages (every 10th marked), in memmark's and the raw table."""
    await AsyncSQLAlchemyMemory(engine, "warm", "up", table_prefix=prefix).size()  # the tables
    t = tables(prefix)
    now = datetime.now(timezone.utc)
    rows = [
        {
            "session_key": session_key("other", f"s{n}"),
            "user_id": "other",
            "session_id": f"s{n}",
            "summary": "",
            "next_seq": PER_SESSION,
            "updated_at": now,
        }
        for n in range(OTHER_SESSIONS)
    ]
    async with engine.begin() as conn:
        await conn.execute(sa.insert(t.sessions), rows)
        refs = dict((await conn.execute(sa.select(t.sessions.c.session_id, t.sessions.c.id))).all())
    payload = json.dumps(PAYLOAD.to_dict())
    messages: list[dict[str, Any]] = []
    marks: list[dict[str, Any]] = []
    raw_rows: list[tuple[Any, ...]] = []

    async def flush() -> None:
        async with engine.begin() as conn:
            await conn.execute(sa.insert(t.messages), messages)
            await conn.execute(sa.insert(t.marks), marks)
        await raw.write(f"INSERT INTO {raw.table} VALUES (?, ?, ?, ?)", raw_rows)
        messages.clear()
        marks.clear()
        raw_rows.clear()

    for n in range(OTHER_SESSIONS):
        ref = refs[f"s{n}"]
        for seq in range(PER_SESSION):
            msg_id = f"o{n}-{seq}"
            messages.append({"session_ref": ref, "seq": seq, "msg_id": msg_id, "payload": payload})
            if seq % 10 == 0:
                marks.append({"session_ref": ref, "mark": "hint", "seq": seq})
            raw_rows.append((10_000 + n, seq, msg_id, payload))
        if len(messages) >= 10_000:
            await flush()
    if messages:
        await flush()


async def paired(ours: Op, theirs: Op, runs: int) -> tuple[float, float, float]:
    """p50 (ms) of each, and the median ratio ours / theirs, run turn about."""
    times: tuple[list[float], list[float]] = ([], [])
    for run in range(runs + WARMUP):
        for op, kept in ((ours, times[0]), (theirs, times[1])):
            start = time.perf_counter()
            await op()
            if run >= WARMUP:  # the first runs warm caches and prepared statements
                kept.append(time.perf_counter() - start)
    ratio = statistics.median(a / b for a, b in zip(*times, strict=True))
    return statistics.median(times[0]) * 1000, statistics.median(times[1]) * 1000, ratio


async def against_raw(engine: AsyncEngine, prefix: str, raw: Raw) -> dict[str, tuple[float, ...]]:
    """Each operation on memmark's tables under ``prefix`` against ``raw``, alternated."""
    tag = uuid.uuid4().hex[:8]

    def memory(name: str) -> AsyncSQLAlchemyMemory:
        return AsyncSQLAlchemyMemory(engine, "bench", f"{name}-{tag}", table_prefix=prefix)

    single, batch, reads = memory("single"), memory("batch"), memory("reads")
    for i in range(PER_SESSION):
        await reads.add(msgs(1), marks="hint" if i % 5 == 0 else None)
    read_session = 1_000 + int(tag, 16) % 1_000
    await raw.add(read_session, PER_SESSION)
    await single.add(msgs(1), marks="hint")  # the session row exists, as in steady use
    await batch.add(msgs(1), marks="hint")
    ops: dict[str, tuple[Op, Op]] = {
        "single add": (lambda: single.add(msgs(1), marks="hint"), lambda: raw.add(2, 1)),
        "batch 100": (lambda: batch.add(msgs(100), marks="hint"), lambda: raw.add(3, 100)),
        "get_memory": (reads.get_memory, lambda: raw.read(read_session)),
    }
    return {name: await paired(*pair, RUNS[name]) for name, pair in ops.items()}


async def fast_against_portable(engine: AsyncEngine, prefix: str) -> tuple[float, float, float]:
    """Single add with the dialect's fast path, and by the portable statements, alternated."""
    memory = AsyncSQLAlchemyMemory(
        engine, "bench", f"paths-{uuid.uuid4().hex[:8]}", table_prefix=prefix
    )
    fast_adds = _memory._FAST_ADDS

    async def portable() -> None:
        _memory._FAST_ADDS = ()
        try:
            await memory.add(msgs(1), marks="hint")
        finally:
            _memory._FAST_ADDS = fast_adds

    return await paired(lambda: memory.add(msgs(1), marks="hint"), portable, RUNS["single add"])


def url_of(driver: str, database: str, tmp: Path) -> tuple[str, str]:
    """The SQLAlchemy URL and the raw driver's target for ``driver`` on ``database``."""
    if driver == "sqlite":
        return f"sqlite+aiosqlite:///{tmp / 'bench.db'}", str(tmp / "bench.db")
    if driver in ("asyncpg", "psycopg"):
        return (
            f"postgresql+{driver}://postgres@127.0.0.1:5432/{database}",
            f"postgresql://postgres@127.0.0.1:5432/{database}",
        )
    return f"mysql+{driver}://root@127.0.0.1:3306/{database}?charset=utf8mb4", database


async def bench_database(kind: str, drivers: list[str]) -> None:
    """Populate one database once, then measure every requested driver on it."""
    from tests.providers.sql import _admin

    database = f"memmark_bench_{uuid.uuid4().hex[:8]}"
    tmp = Path(tempfile.mkdtemp())
    if kind == "postgres":
        _admin("postgres", f'CREATE DATABASE "{database}"')
    elif kind == "mysql":
        _admin("mysql", f"CREATE DATABASE `{database}` CHARACTER SET utf8mb4")
    empty, full, tag = (
        f"e{uuid.uuid4().hex[:6]}_",
        f"f{uuid.uuid4().hex[:6]}_",
        uuid.uuid4().hex[:6],
    )
    try:
        url, target = url_of(drivers[0], database, tmp)
        loader = create_async_engine(url)
        raw_full = Raw(drivers[0], target, f"raw_f_{tag}")
        await raw_full.open(create=True)
        try:
            await populate(loader, full, raw_full)
        finally:
            await raw_full.close()
            await loader.dispose()
        for number, driver in enumerate(drivers):
            url, target = url_of(driver, database, tmp)
            raws = [Raw(driver, target, f"raw_{side}_{tag}") for side in "ef"]
            await raws[0].open(create=number == 0)
            await raws[1].open(create=False)
            results: dict[str, dict[str, tuple[float, ...]]] = {}
            try:
                yours = create_async_engine(url)
                try:
                    results["your engine, empty"] = await against_raw(yours, empty, raws[0])
                    results["your engine, populated"] = await against_raw(yours, full, raws[1])
                    paths = await fast_against_portable(yours, empty)
                finally:
                    await yours.dispose()
                async with SQLStore(url, table_prefix=empty) as store:
                    results["SQLStore engine, empty"] = await against_raw(
                        store.engine, empty, raws[0]
                    )
                    results["SQLStore engine, populated"] = await against_raw(
                        store.engine, full, raws[1]
                    )
            finally:
                for raw in raws:
                    await raw.close()
            print_table(f"{kind}/{driver}", results, paths)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
        if kind == "postgres":
            _admin("postgres", f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        elif kind == "mysql":
            _admin("mysql", f"DROP DATABASE IF EXISTS `{database}`")


def print_table(
    pair: str, results: dict[str, dict[str, tuple[float, ...]]], paths: tuple[float, ...]
) -> None:
    print(f"\n{pair}: p50 ms; x raw = median of per-call ratios memmark / raw driver")
    header = ("engine, database", "operation", "memmark", "raw", "x raw", "pop/empty")
    print(
        f"{header[0]:<28}{header[1]:<13}{header[2]:>9}{header[3]:>8}{header[4]:>7}{header[5]:>11}"
    )
    for label, ops in results.items():
        empty = results[label.replace("populated", "empty")]
        for op, (ours, raw, ratio) in ops.items():
            growth = f"{ours / empty[op][0]:.2f}" if "populated" in label else ""
            print(f"{label:<28}{op:<13}{ours:>9.2f}{raw:>8.2f}{ratio:>7.2f}{growth:>11}")
    fast, portable, ratio = paths
    print(
        f"single add, your engine: fast path {fast:.2f} ms, portable statements {portable:.2f} ms"
        f" (median ratio fast / portable {ratio:.2f})"
    )


async def main(drivers: list[str]) -> None:
    by_database: dict[str, list[str]] = {}
    for driver in drivers:
        by_database.setdefault(PAIRS[driver], []).append(driver)
    for kind, of_kind in by_database.items():
        await bench_database(kind, of_kind)


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    chosen = sys.argv[1:] or list(PAIRS)
    unknown = [name for name in chosen if name not in PAIRS]
    if unknown:
        sys.exit(f"unknown driver(s) {unknown}; choose from {list(PAIRS)}")
    asyncio.run(main(chosen))
