"""The session lifecycle operations against ``add`` of one message, empty and populated.

For each storage URL: p50 of ``add`` (one message) and of ``pop``, ``rewind``, ``compress``,
``version``, a guarded ``add`` (``expected_version=``), ``fork`` (of a 20-message
session), ``update_messages_mark`` and ``delete`` of one message,
``update_compressed_summary`` and ``clear`` (of a 5-message session), on two stores side by
side: an empty one, and one holding 200,000 messages in 200
other sessions (on PostgreSQL followed by what autovacuum and the checkpointer would do after
them, ``VACUUM (ANALYZE)`` of memmark's tables and a ``CHECKPOINT``, so that they do not run
during the measurement). The operations are interleaved run by run, and the runs alternate
between the two stores (which one goes first alternating too), so that every figure shares
the machine's background load and its drift. Targets: each operation's p50 <= 2x
``add``'s, and populated <= 1.2x empty.

    python benchmarks/bench_lifecycle.py [--runs 200] [URL ...]

Default URLs: a temporary SQLite file and ``redis://127.0.0.1:6379/0`` (under a random key
prefix; the populated store in database 1). A SQL store runs on an engine made here with
``create_async_engine(url)``, as a caller makes theirs (its default pool), not on one memmark
tunes. Everything written is deleted at the end (on PostgreSQL and MariaDB the run's tables
and routines are dropped; the populated store's SQLite file is removed).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

import memmark
from memmark.memory import MemoryBase
from memmark.message import Msg
from memmark.store import StoreBase

OTHER_SESSIONS = 200
MESSAGES_PER_SESSION = 1_000
SESSION_MESSAGES = 20
USER = "bench"
OTHERS = "bench-others"


def message(i: int) -> Msg:
    return Msg("Alice", f"message {i}: " + "lorem ipsum " * 8, "user")


class Bench:
    """The timed operations on one store, each keeping the session at its size."""

    def __init__(self, store: StoreBase) -> None:
        self.store = store
        self.memory: MemoryBase = store.memory(USER, "main")
        self.side: MemoryBase = store.memory(USER, "side")
        self.counter = 0

    async def prepare(self) -> None:
        await self.memory.add([message(i) for i in range(SESSION_MESSAGES)])

    def next_message(self) -> Msg:
        self.counter += 1
        return message(self.counter)

    async def timed(self, work: Callable[[], Awaitable[object]]) -> float:
        start = time.perf_counter()
        await work()
        return (time.perf_counter() - start) * 1e6

    async def round(self) -> dict[str, float]:
        """One run of every operation; untimed steps restore the session's size."""
        memory = self.memory
        times = {"add": await self.timed(lambda: memory.add(self.next_message()))}
        times["pop"] = await self.timed(memory.pop)
        newest = self.next_message()
        await memory.add(newest)
        times["rewind"] = await self.timed(lambda: memory.rewind(newest.id))
        marked = self.next_message()
        await memory.add(marked)
        times["compress"] = await self.timed(
            lambda: memory.compress(f"summary {self.counter}", [marked.id])
        )
        await memory.delete([marked.id])
        times["version"] = await self.timed(memory.version)
        version = await memory.version()
        guarded = self.next_message()
        times["add expecting"] = await self.timed(
            lambda: memory.add(guarded, expected_version=version)
        )
        await memory.pop()
        target = f"fork-{self.counter}"
        times["fork"] = await self.timed(lambda: memory.fork(target))
        await self.store.delete_session(USER, target)
        relabelled = self.next_message()
        await memory.add(relabelled)
        times["update mark"] = await self.timed(
            lambda: memory.update_messages_mark("seen", msg_ids=[relabelled.id])
        )
        times["delete"] = await self.timed(lambda: memory.delete([relabelled.id]))
        times["summary"] = await self.timed(
            lambda: memory.update_compressed_summary(f"summary {self.counter}")
        )
        await self.side.add([self.next_message() for _ in range(5)])
        times["clear"] = await self.timed(self.side.clear)
        return times

    async def populate(self) -> None:
        for session in range(OTHER_SESSIONS):
            memory = self.store.memory(OTHERS, f"s{session}")
            for first in range(0, MESSAGES_PER_SESSION, 100):
                await memory.add([message(i) for i in range(first, first + 100)])


def report(url: str, empty: dict[str, float], full: dict[str, float]) -> None:
    print(f"\n{url}")
    print(
        f"{'operation':<15}{'p50 empty µs':>14}{'x add':>8}{'p50 200k µs':>14}{'x add':>8}"
        f"{'full/empty':>12}"
    )
    for name in empty:
        print(
            f"{name:<15}{empty[name]:>14.0f}{empty[name] / empty['add']:>8.2f}"
            f"{full[name]:>14.0f}{full[name] / full['add']:>8.2f}"
            f"{full[name] / empty[name]:>12.2f}"
        )


def options(url: str) -> dict[str, Any]:
    suffix = uuid.uuid4().hex[:8]
    if url.startswith(("redis", "rediss")):
        return {"key_prefix": f"bench-lifecycle-{suffix}"}
    return {"table_prefix": f"bench_{suffix}_"}


ROUTINES = {
    "postgresql": (
        "SELECT p.oid::regprocedure::text FROM pg_proc AS p "
        "JOIN pg_namespace AS n ON n.oid = p.pronamespace "
        "WHERE n.nspname = current_schema() AND p.proname LIKE :names",
        "DROP FUNCTION IF EXISTS",
    ),
    "mysql": (
        "SELECT routine_name FROM information_schema.routines "
        "WHERE routine_schema = DATABASE() AND routine_name LIKE :names",
        "DROP PROCEDURE IF EXISTS",
    ),
}
"""Per database: how to list the routines memmark made beside the run's tables, and drop one."""


async def drop_tables(url: str, table_prefix: str) -> None:
    """Drop the run's tables and routines: emptied tables would leave dead rows for the next
    run's autovacuum to work through while it measures."""
    if not table_prefix or url.startswith("sqlite"):
        return
    engine = create_async_engine(url)
    listing, drop = ROUTINES[engine.dialect.name]
    try:
        async with engine.begin() as conn:
            for table in ("marks", "messages", "sessions", "schema_version"):
                await conn.execute(text(f"DROP TABLE IF EXISTS {table_prefix}{table}"))
            prefix = table_prefix.replace("_", "\\_")
            routines = await conn.execute(text(listing), {"names": f"{prefix}%"})
            for (name,) in routines.all():
                await conn.execute(text(f"{drop} {name}"))
    finally:
        await engine.dispose()


async def settle(url: str, table_prefix: str) -> None:
    """On PostgreSQL, vacuum memmark's tables and checkpoint: the populate's aftermath."""
    if not url.startswith("postgresql"):
        return
    engine = create_async_engine(url, isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as conn:
            tables = ", ".join(f"{table_prefix}{t}" for t in ("sessions", "messages", "marks"))
            await conn.execute(text(f"VACUUM (ANALYZE) {tables}"))
            await conn.execute(text("CHECKPOINT"))
    finally:
        await engine.dispose()


def populated_url(url: str) -> str:
    """Where the populated store lives: a second SQLite file, Redis database 1, else the same
    database (under another table prefix)."""
    if url.startswith("sqlite"):
        path = Path(url.partition(":///")[2])
        return url.replace(str(path), str(path.with_stem(f"{path.stem}-populated")))
    if url.startswith(("redis://", "rediss://")):
        parts = urlsplit(url)
        return urlunsplit(parts._replace(path="/1"))
    return url


async def measure(benches: list[Bench], runs: int) -> list[dict[str, float]]:
    """Each bench's p50 per operation, their rounds alternating (who goes first, too)."""
    samples: list[dict[str, list[float]]] = [{} for _ in benches]
    for run in range(runs):
        order = list(range(len(benches)))
        if run % 2:
            order.reverse()
        for index in order:
            for name, micros in (await benches[index].round()).items():
                samples[index].setdefault(name, []).append(micros)
    return [{name: statistics.median(v) for name, v in each.items()} for each in samples]


def open_store(url: str, settings: dict[str, Any]) -> StoreBase:
    """The store of ``url``; a SQL one on an engine created as a caller creates theirs."""
    if url.startswith(("redis", "rediss")):
        return memmark.connect(url, **settings)
    return memmark.SQLStore(create_async_engine(url), **settings)


async def run(url: str, runs: int) -> None:
    urls = [url, populated_url(url)]
    settings = [options(url), options(url)]
    stores = [open_store(where, how) for where, how in zip(urls, settings, strict=True)]
    try:
        empty, full = Bench(stores[0]), Bench(stores[1])
        for bench in (empty, full):
            await bench.prepare()
        await full.populate()
        await settle(urls[1], settings[1].get("table_prefix", ""))
        report(url, *await measure([empty, full], runs))
    finally:
        for store, where, how in zip(stores, urls, settings, strict=True):
            await store.delete_user(USER)
            await store.delete_user(OTHERS)
            await store.close()
            if isinstance(store, memmark.SQLStore):
                await store.engine.dispose()
            await drop_tables(where, how.get("table_prefix", ""))
        if url.startswith("sqlite"):
            populated = Path(urls[1].partition(":///")[2])
            for suffix in ("", "-wal", "-shm", "-journal"):
                populated.with_name(populated.name + suffix).unlink(missing_ok=True)


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("urls", nargs="*")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as directory:
        urls = args.urls or [
            f"sqlite+aiosqlite:///{Path(directory) / 'bench.db'}",
            "redis://127.0.0.1:6379/0",
        ]
        for url in urls:
            await run(url, args.runs)


if __name__ == "__main__":
    asyncio.run(main())
