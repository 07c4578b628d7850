"""AsyncSQLAlchemyMemory against the raw driver, on empty and populated databases.

    python benchmarks/bench_sql.py [sqlite] [postgres] [mysql]

For each database: p50 latency (ms) of a single add (one mark), a batch add of 100,
get_memory() and get_memory(mark=) on a 100-message session, for memmark and for the raw
driver doing the minimal equivalent (one INSERT + COMMIT per message; one SELECT). Measured
on an empty database, then with 2,000 other sessions x 100 messages present. Also
get_memory(mark=) on a 10,000-message session where 100 carry the mark.

memmark runs on the engine ``SQLStore`` creates from a URL (as ``memmark.connect`` does),
whose pool skips the rollback-on-return. The single add is also shown on an engine of the
caller's (``create_async_engine(url)``, default pool), where that rollback costs one more
round trip (a thread hop on SQLite) per call.
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
from sqlalchemy.ext.asyncio import create_async_engine

from memmark._core import session_key
from memmark.backends.sql._schema import tables
from memmark.memory import AsyncSQLAlchemyMemory
from memmark.message import Msg
from memmark.store import SQLStore

OTHER_SESSIONS, PER_SESSION = 2_000, 100
SINGLE_RUNS, BATCH_RUNS, READ_RUNS = 150, 15, 60
PAYLOAD = Msg("bench", "x" * 200, "user")


async def p50(op: Callable[[], Awaitable[Any]], runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        await op()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def msgs(n: int) -> list[Msg]:
    return [Msg("bench", "x" * 200, "user") for _ in range(n)]


class Raw:
    """The raw driver: a plain table, one INSERT + COMMIT per message."""

    def __init__(self, kind: str, target: str, table: str) -> None:
        self.kind, self.target, self.table, self.seq = kind, target, table, 0
        self.conn: Any = None

    async def open(self) -> None:
        if self.kind == "sqlite":
            import aiosqlite

            self.conn = await aiosqlite.connect(self.target)
        elif self.kind == "postgres":
            import asyncpg

            self.conn = await asyncpg.connect(self.target)
        else:
            import asyncmy

            self.conn = await asyncmy.connect(host="127.0.0.1", user="root", db=self.target)
        await self.run(
            f"CREATE TABLE {self.table} (session_ref BIGINT, seq BIGINT, "
            "msg_id VARCHAR(64), payload TEXT, PRIMARY KEY (session_ref, seq))"
        )

    def sql(self, statement: str) -> str:
        if self.kind == "postgres":
            count = 0
            while "?" in statement:
                count += 1
                statement = statement.replace("?", f"${count}", 1)
        elif self.kind == "mysql":
            statement = statement.replace("?", "%s")
        return statement

    async def run(self, statement: str, *args: Any) -> None:
        if self.kind == "postgres":
            await self.conn.execute(self.sql(statement), *args)
        elif self.kind == "sqlite":
            await self.conn.execute(statement, args)
            await self.conn.commit()
        else:
            async with self.conn.cursor() as cursor:
                await cursor.execute(self.sql(statement), args)
            await self.conn.commit()

    async def insert(self, rows: list[tuple[int, int, str, str]]) -> None:
        statement = f"INSERT INTO {self.table} VALUES (?, ?, ?, ?)"
        if self.kind == "postgres":
            async with self.conn.transaction():
                await self.conn.executemany(self.sql(statement), rows)
        elif self.kind == "sqlite":
            await self.conn.executemany(statement, rows)
            await self.conn.commit()
        else:
            async with self.conn.cursor() as cursor:
                await cursor.executemany(self.sql(statement), rows)
            await self.conn.commit()

    async def add(self, session: int, n: int) -> None:
        rows = []
        for _ in range(n):
            self.seq += 1
            rows.append((session, self.seq, uuid.uuid4().hex, json.dumps(PAYLOAD.to_dict())))
        await self.insert(rows)

    async def read(self, session: int) -> list[Any]:
        statement = f"SELECT payload FROM {self.table} WHERE session_ref = ? ORDER BY seq"
        if self.kind == "postgres":
            return list(await self.conn.fetch(self.sql(statement), session))
        if self.kind == "sqlite":
            async with self.conn.execute(statement, (session,)) as cursor:
                return list(await cursor.fetchall())
        async with self.conn.cursor() as cursor:
            await cursor.execute(self.sql(statement), (session,))
            rows = list(await cursor.fetchall())
        await self.conn.commit()
        return rows

    async def close(self) -> None:
        if self.kind == "mysql":
            self.conn.close()
        else:
            await self.conn.close()


async def populate(store: SQLStore, prefix: str, raw: Raw) -> None:
    """2,000 other sessions x 100 messages (every 10th marked), in memmark's and the raw table."""
    await store.memory("warm", "up").size()  # creates the tables
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
    async with store.engine.begin() as conn:
        await conn.execute(sa.insert(t.sessions), rows)
        refs = dict((await conn.execute(sa.select(t.sessions.c.session_id, t.sessions.c.id))).all())
    payload = json.dumps(PAYLOAD.to_dict())
    messages: list[dict[str, Any]] = []
    marks: list[dict[str, Any]] = []
    raw_rows: list[tuple[int, int, str, str]] = []

    async def flush() -> None:
        async with store.engine.begin() as conn:
            await conn.execute(sa.insert(t.messages), messages)
            await conn.execute(sa.insert(t.marks), marks)
        await raw.insert(raw_rows)
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


class Env:
    """One side of the comparison: memmark's tables and the raw table, empty or populated."""

    def __init__(self, store: SQLStore, raw: Raw) -> None:
        self.store, self.raw = store, raw
        tag = uuid.uuid4().hex[:8]
        self.single = store.memory("bench", f"single-{tag}")
        self.batch = store.memory("bench", f"batch-{tag}")
        self.reads = store.memory("bench", f"reads-{tag}")

    async def prepare(self) -> None:
        for i in range(PER_SESSION):
            await self.reads.add(msgs(1), marks="hint" if i % 5 == 0 else None)
        await self.raw.add(1, PER_SESSION)
        await self.single.add(msgs(1), marks="hint")  # the session row exists, as in steady use
        await self.batch.add(msgs(1), marks="hint")

    def ops(self) -> dict[str, Callable[[], Awaitable[Any]]]:
        return {
            "single add": lambda: self.single.add(msgs(1), marks="hint"),
            "single add raw": lambda: self.raw.add(2, 1),
            "batch 100": lambda: self.batch.add(msgs(100), marks="hint"),
            "batch 100 raw": lambda: self.raw.add(3, 100),
            "get_memory": self.reads.get_memory,
            "get_memory raw": lambda: self.raw.read(1),
            "get_memory(mark)": lambda: self.reads.get_memory(mark="hint"),
        }


async def interleaved(envs: dict[str, Env]) -> dict[str, dict[str, float]]:
    """p50 of every operation in every env, run round-robin so machine load hits all alike."""
    ops = {label: env.ops() for label, env in envs.items()}
    results: dict[str, dict[str, float]] = {label: {} for label in envs}
    for name in ops["empty"]:
        runs = SINGLE_RUNS if name.startswith("single") else READ_RUNS
        runs = BATCH_RUNS if name.startswith("batch") else runs
        times: dict[str, list[float]] = {label: [] for label in envs}
        for run in range(runs + 3):
            for label in envs:
                start = time.perf_counter()
                await ops[label][name]()
                if run >= 3:  # the first runs warm caches and prepared statements
                    times[label].append(time.perf_counter() - start)
        for label in envs:
            results[label][name] = statistics.median(times[label]) * 1000
    return results


async def alternated(
    first: Callable[[], Awaitable[Any]], second: Callable[[], Awaitable[Any]], runs: int
) -> tuple[float, float]:
    """p50 (ms) of two operations run turn about, so machine load hits both alike."""
    times: tuple[list[float], list[float]] = ([], [])
    for run in range(runs + 3):
        for op, kept in ((first, times[0]), (second, times[1])):
            start = time.perf_counter()
            await op()
            if run >= 3:
                kept.append(time.perf_counter() - start)
    return statistics.median(times[0]) * 1000, statistics.median(times[1]) * 1000


async def on_callers_engine(url: str, raw: Raw) -> tuple[float, float]:
    """Single add on an engine made with ``create_async_engine(url)``, and the raw one."""
    engine = create_async_engine(url)
    try:
        memory = AsyncSQLAlchemyMemory(engine, "bench", "yours", table_prefix="yours_")
        return await alternated(
            lambda: memory.add(msgs(1), marks="hint"), lambda: raw.add(2, 1), SINGLE_RUNS
        )
    finally:
        await engine.dispose()


async def big_session(store: SQLStore) -> tuple[float, float]:
    """get_memory(mark) on 10,000 messages with 100 marked vs a session of just those 100."""
    big, small = store.memory("bench", "big"), store.memory("bench", "small")
    for _ in range(100):
        await big.add(msgs(99))
        await big.add(msgs(1), marks="needle")
        await small.add(msgs(1), marks="needle")
    return (
        await p50(lambda: big.get_memory(mark="needle"), READ_RUNS),
        await p50(lambda: small.get_memory(mark="needle"), READ_RUNS),
    )


async def bench(kind: str) -> None:
    from tests.providers.sql import _admin, mysql_url, postgres_url

    database = f"memmark_bench_{uuid.uuid4().hex[:8]}"
    tmp = Path(tempfile.mkdtemp())
    if kind == "sqlite":
        url, raw_target = f"sqlite+aiosqlite:///{tmp / 'bench.db'}", str(tmp / "bench.db")
    elif kind == "postgres":
        _admin("postgres", f'CREATE DATABASE "{database}"')
        url = postgres_url(database)
        raw_target = f"postgresql://postgres@127.0.0.1:5432/{database}"
    else:
        _admin("mysql", f"CREATE DATABASE `{database}` CHARACTER SET utf8mb4")
        url, raw_target = mysql_url(database), database
    try:
        async with (
            SQLStore(url, table_prefix=f"e{uuid.uuid4().hex[:6]}_") as empty_store,
            SQLStore(url, table_prefix=(full_prefix := f"f{uuid.uuid4().hex[:6]}_")) as full_store,
        ):
            raws = [Raw(kind, raw_target, f"raw_{side}_{uuid.uuid4().hex[:6]}") for side in "ef"]
            for raw in raws:
                await raw.open()
            try:
                await populate(full_store, full_prefix, raws[1])
                envs = {"empty": Env(empty_store, raws[0]), "populated": Env(full_store, raws[1])}
                for env in envs.values():
                    await env.prepare()
                results = await interleaved(envs)
                yours, raw_alongside = await on_callers_engine(url, raws[0])
                results["yours"] = {"single add": yours, "single add raw": raw_alongside}
                big, small = await big_session(full_store)
                results["needle"] = {"10k": big, "100": small}
            finally:
                for raw in raws:
                    await raw.close()
        print_table(kind, results)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
        if kind == "postgres":
            _admin("postgres", f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        elif kind == "mysql":
            _admin("mysql", f"DROP DATABASE IF EXISTS `{database}`")


def print_table(kind: str, results: dict[str, dict[str, float]]) -> None:
    empty, full = results["empty"], results["populated"]
    print(f"\n{kind}: p50 ms (2,000 x 100 other messages in 'populated')")
    print(f"{'operation':<18}{'empty':>9}{'populated':>11}{'pop/empty':>11}{'vs raw e/p':>14}")
    for op in ("single add", "batch 100", "get_memory", "get_memory(mark)"):
        ratio = full[op] / empty[op]
        raw = f"{op} raw"
        vs_raw = f"{empty[op] / empty[raw]:.2f}/{full[op] / full[raw]:.2f}" if raw in empty else "-"
        print(f"{op:<18}{empty[op]:>9.2f}{full[op]:>11.2f}{ratio:>11.2f}{vs_raw:>14}")
        if raw in empty:
            print(f"{'  raw driver':<18}{empty[raw]:>9.2f}{full[raw]:>11.2f}")
    yours = results["yours"]
    print(
        f"single add on an engine of yours (default pool): {yours['single add']:.2f} ms, "
        f"{yours['single add'] / yours['single add raw']:.2f}x raw"
    )
    needle = results["needle"]
    print(
        f"get_memory(mark) on 10,000 msgs / 100 marked: {needle['10k']:.2f} ms; "
        f"on a 100-message session: {needle['100']:.2f} ms"
    )


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    for kind in sys.argv[1:] or ["sqlite", "postgres", "mysql"]:
        asyncio.run(bench(kind))
