"""Flat at scale: memory operations on a loaded database against the same on an empty one.

    python benchmarks/bench_scale.py BACKEND --messages N [--runs 50]

BACKEND is sqlite, postgres, mysql or redis. Two stores are set up side by side: an empty
one and one bulk-loaded with N messages (200 bytes, one mark each) over N / 100 sessions
through memmark's own batch ``add``, LOAD_CONCURRENCY sessions at a time, on an engine of
its own (the load rate is printed); on PostgreSQL the load ends with what autovacuum would
do after it, a ``VACUUM (ANALYZE)``, so that it does not run during the measurement. Then
each operation runs alternately on both, pair by pair, so both see the same machine load,
on a fresh session (a new one per ``add``, a 20-message one for the rest) and on a
1,000-message session: single add, batch add of 100, ``get_memory(limit=20)``,
``get_memory(mark=)``, ``update_messages_mark`` of one message. Printed: p50 on each store
and their ratio (the target is <= 1.2x), the ratio at p10, and storage per message against
the payload size (on Redis: what the server's ``used_memory`` grew by).

Nothing shared is touched: PostgreSQL and MariaDB get two databases created for the run
and dropped after it, SQLite two temporary files, Redis a private ``redis-server`` on a free
loopback port (databases 0 and 1), shut down after.

The issue's full sizes (on 2 shared cores, 15-25 minutes to load 10 million messages on
PostgreSQL or Redis, 2-3 minutes for 1 million on SQLite or MariaDB; disk: about 550 bytes
per message on SQL)::

    python benchmarks/bench_scale.py postgres --messages 10000000
    python benchmarks/bench_scale.py redis --messages 10000000   # needs ~5 GB of RAM
    python benchmarks/bench_scale.py sqlite --messages 1000000
    python benchmarks/bench_scale.py mysql --messages 1000000
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import socket
import statistics
import subprocess
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path
from typing import Any

from memmark.memory import AsyncSQLAlchemyMemory, MemoryBase, RedisMemory
from memmark.message import Msg

PER_SESSION = 100
LOAD_CONCURRENCY = 8
PG = "postgresql+asyncpg://postgres@127.0.0.1:5432/{db}"
MYSQL = "mysql+asyncmy://root@127.0.0.1:3306/{db}?charset=utf8mb4"


def message(i: int) -> Msg:
    """A message whose serialised payload is about 200 bytes."""
    return Msg("bench", f"{i:010d} " + "x" * 53, "user")


PAYLOAD_BYTES = len(json.dumps(message(0).to_dict()))


class Store:
    """One database of the run: memories on it, the bulk load's, and its size."""

    def __init__(
        self,
        open_memory: Callable[[str], MemoryBase],
        size: Callable[[], Any],
        loading: Callable[[], AbstractAsyncContextManager[Callable[[str], MemoryBase]]],
    ):
        self.open_memory, self.size, self.loading = open_memory, size, loading


@asynccontextmanager
async def sql_stores(kind: str) -> AsyncIterator[tuple[Store, Store]]:
    from sqlalchemy import event, text
    from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

    directory = tempfile.mkdtemp(prefix="memmark-scale-")
    names = [f"memmark_scale_{uuid.uuid4().hex[:8]}" for _ in range(2)]
    admin: AsyncEngine | None = None
    if kind == "sqlite":
        urls = [f"sqlite+aiosqlite:///{directory}/{name}.db" for name in names]
    else:
        admin_url = PG.format(db="postgres") if kind == "postgres" else MYSQL.format(db="")
        admin = create_async_engine(admin_url, isolation_level="AUTOCOMMIT")
        async with admin.connect() as conn:
            for name in names:
                quoted = f'"{name}"' if kind == "postgres" else f"`{name}`"
                await conn.execute(text(f"CREATE DATABASE {quoted}"))
        urls = [(PG if kind == "postgres" else MYSQL).format(db=name) for name in names]
    engines = [create_async_engine(url) for url in urls]

    def store(engine: AsyncEngine, url: str, name: str) -> Store:
        @asynccontextmanager
        async def loading() -> AsyncIterator[Callable[[str], MemoryBase]]:
            # Its own engine, disposed after: the measured engines' pools then hold the
            # same connections on both stores (a pool left with LOAD_CONCURRENCY backends,
            # each planning the measured statements anew, slowed the loaded side's reads).
            # Its commits skip the wait for the disk, as a bulk load may (PostgreSQL's
            # synchronous_commit, SQLite's synchronous; per connection): the rows written
            # are the same. MariaDB's equivalent is server-wide: left alone.
            settings = {"server_settings": {"synchronous_commit": "off"}}
            load_engine = create_async_engine(
                url,
                pool_size=LOAD_CONCURRENCY,
                connect_args=settings if kind == "postgres" else {},
            )
            if kind == "sqlite":
                event.listen(load_engine.sync_engine, "connect", sqlite_without_sync)
            try:
                yield lambda session: sql_memory(load_engine, session)
            finally:
                await load_engine.dispose()
            if kind == "sqlite":
                # The load's writes reach the disk now, not in the fsync of a measured write.
                await asyncio.to_thread(sync_to_disk, f"{directory}/{name}.db")
            if kind == "postgres":
                # What autovacuum does after a bulk load, done before measuring rather
                # than during it: planner statistics, visibility map, hint bits.
                start = time.perf_counter()
                vacuum_engine = create_async_engine(url, isolation_level="AUTOCOMMIT")
                async with vacuum_engine.connect() as conn:
                    await conn.execute(text("VACUUM (ANALYZE)"))
                await vacuum_engine.dispose()
                print(f"  VACUUM (ANALYZE): {time.perf_counter() - start:.0f} s", flush=True)

        async def size() -> int:
            if kind == "sqlite":
                return files_size(directory, f"{name}.db*")
            async with engine.connect() as conn:
                if kind == "postgres":
                    await conn.execute(text("CHECKPOINT"))
                    query = (
                        "SELECT sum(pg_total_relation_size(c.oid)) FROM pg_class c "
                        "WHERE c.relname LIKE 'memmark\\_%' AND c.relkind = 'r'"
                    )
                else:
                    for table in ("sessions", "messages", "marks"):
                        await conn.execute(text(f"ANALYZE TABLE memmark_{table}"))
                    query = (
                        "SELECT sum(data_length + index_length) FROM information_schema.tables "
                        f"WHERE table_schema = '{name}'"
                    )
                return int((await conn.execute(text(query))).scalar_one())

        return Store(lambda session: sql_memory(engine, session), size, loading)

    try:
        yield store(engines[0], urls[0], names[0]), store(engines[1], urls[1], names[1])
    finally:
        for engine in engines:
            await engine.dispose()
        if admin is not None:
            async with admin.connect() as conn:
                for name in names:
                    if kind == "postgres":
                        await conn.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
                    else:
                        await conn.execute(text(f"DROP DATABASE `{name}`"))
            await admin.dispose()
        shutil.rmtree(directory, ignore_errors=True)


def sql_memory(engine: Any, session: str) -> MemoryBase:
    return AsyncSQLAlchemyMemory(engine, session_id=session, user_id="u")


def sync_to_disk(path: str) -> None:
    with open(path, "rb+") as file:
        os.fsync(file.fileno())


def sqlite_without_sync(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA synchronous = OFF")
    cursor.close()


def files_size(directory: str, pattern: str) -> int:
    return sum(f.stat().st_size for f in Path(directory).glob(pattern))


def start_redis(port: int, directory: str) -> subprocess.Popen[bytes]:
    """A private ``redis-server`` without persistence, on loopback ``port``."""
    return subprocess.Popen(
        ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
         "--appendonly", "no", "--dir", directory],
        stdout=subprocess.DEVNULL,
    )  # fmt: skip


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@asynccontextmanager
async def redis_stores() -> AsyncIterator[tuple[Store, Store]]:
    from redis.asyncio import Redis
    from redis.exceptions import ConnectionError as RedisConnectionError

    directory = tempfile.mkdtemp(prefix="memmark-scale-redis-")
    port = free_port()
    server = start_redis(port, directory)
    clients = [Redis(host="127.0.0.1", port=port, db=db) for db in (0, 1)]
    try:
        for _ in range(100):
            try:
                await clients[0].ping()
                break
            except (OSError, RedisConnectionError):
                await asyncio.sleep(0.1)

        async def used_memory() -> int:
            return int((await clients[0].info("memory"))["used_memory"])

        before = await used_memory()

        def store(client: Redis) -> Store:
            async def size() -> int:
                # What the server's used_memory grew by (a private server: nothing else is
                # stored, and the empty store's database is untouched until measured);
                # MEMORY USAGE of each key would take a round trip per key.
                return await used_memory() - before

            def open_memory(session: str) -> MemoryBase:
                return RedisMemory(client=client, user_id="u", session_id=session)

            @asynccontextmanager
            async def loading() -> AsyncIterator[Callable[[str], MemoryBase]]:
                yield open_memory

            return Store(open_memory, size, loading)

        yield store(clients[0]), store(clients[1])
    finally:
        for client in clients:
            await client.aclose()
        server.terminate()
        server.wait()
        shutil.rmtree(directory, ignore_errors=True)


async def bulk_load(store: Store, total: int) -> float:
    """Load ``total`` messages, 100 per session, one batch add each; return messages/s."""
    sessions = total // PER_SESSION
    queue = iter(range(sessions))
    # The same 100 messages in every session (ids are unique per session): building a
    # Msg costs more Python time than adding it, and would set the load rate instead.
    batch = [message(i) for i in range(PER_SESSION)]
    start = time.perf_counter()
    async with store.loading() as open_memory:

        async def loader() -> None:
            for s in queue:
                await open_memory(f"load{s}").add(batch, marks="loaded")
                if s and s % max(1, sessions // 10) == 0:
                    print(f"  loaded {s * PER_SESSION:,} messages", flush=True)

        await asyncio.gather(*(loader() for _ in range(LOAD_CONCURRENCY)))
        return sessions * PER_SESSION / (time.perf_counter() - start)


async def prepared(store: Store, tag: str, n: int) -> MemoryBase:
    """A session of ``n`` messages, every other one marked ``even``, the rest ``todo``."""
    memory = store.open_memory(f"{tag}-{uuid.uuid4().hex[:8]}")
    msgs = [message(i) for i in range(n)]
    for start in range(0, n, 500):
        chunk = msgs[start : start + 500]
        await memory.add(chunk[0::2], marks="even")
        await memory.add(chunk[1::2], marks="todo")
    return memory


Op = Callable[[int], Awaitable[Any]]


async def operations(store: Store, n: int) -> dict[str, Op]:
    """The measured operations on a session of ``n`` messages (0: a fresh one per add)."""
    reader = await prepared(store, "read", n or 20)
    target = (await reader.get_memory(mark="todo"))[-1].id
    adder = await prepared(store, "add", n) if n else None

    def add_to() -> MemoryBase:
        return adder if adder is not None else store.open_memory(f"fresh-{uuid.uuid4().hex}")

    async def relabel(i: int) -> int:
        old, new = ("todo", "done") if i % 2 == 0 else ("done", "todo")
        return await reader.update_messages_mark(new, old, msg_ids=[target])

    return {
        "single add": lambda i: add_to().add(message(i), marks="m"),
        "batch add (100)": lambda i: add_to().add([message(j) for j in range(100)], marks="m"),
        "get_memory(limit=20)": lambda i: reader.get_memory(limit=20),
        "get_memory(mark=)": lambda i: reader.get_memory(mark="even"),
        "update_messages_mark": relabel,
    }


WARMUP = 10
"""Unmeasured runs first: PostgreSQL plans a prepared statement anew for its first five."""


def quantile(samples: list[float], fraction: float) -> float:
    return sorted(samples)[int(fraction * (len(samples) - 1))]


async def compare(empty: Store, loaded: Store, runs: int) -> None:
    """Print p50 of each operation on both stores, their ratio, and the ratio at p10.

    On a loaded machine a fast operation's p50 can fall on either side of a wait for the
    CPU; the p10 is the operation's own cost, with the fewest such waits.
    """
    print(
        "| session | operation | empty p50 (ms) | loaded p50 (ms) | loaded / empty "
        "| loaded / empty at p10 |"
    )
    print("| --- | --- | ---: | ---: | ---: | ---: |")
    for n, label in ((0, "fresh"), (1_000, "1,000 msgs")):
        ops = [await operations(empty, n), await operations(loaded, n)]
        for name in ops[0]:
            times: list[list[float]] = [[], []]
            for i in range(runs + WARMUP):
                for side in (0, 1) if i % 2 == 0 else (1, 0):
                    start = time.perf_counter()
                    await ops[side][name](i)
                    if i >= WARMUP:
                        times[side].append(time.perf_counter() - start)
            a, b = (statistics.median(t) * 1000 for t in times)
            low = quantile(times[1], 0.1) / quantile(times[0], 0.1)
            print(
                f"| {label} | {name} | {a:.3f} | {b:.3f} | {b / a:.2f}x | {low:.2f}x |",
                flush=True,
            )


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("backend", choices=["sqlite", "postgres", "mysql", "redis"])
    parser.add_argument("--messages", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=50)
    args = parser.parse_args()
    stores = redis_stores() if args.backend == "redis" else sql_stores(args.backend)
    async with stores as (empty, loaded):
        print(f"{args.backend}: loading {args.messages:,} messages over "
              f"{args.messages // PER_SESSION:,} sessions", flush=True)  # fmt: skip
        rate = await bulk_load(loaded, args.messages)
        print(f"load rate: {rate:,.0f} messages/s (batch add of {PER_SESSION})\n")
        size = await loaded.size()
        print(
            f"storage: {size / args.messages:,.0f} bytes per message for a "
            f"{PAYLOAD_BYTES}-byte payload with one mark "
            f"({size / args.messages / PAYLOAD_BYTES:.2f}x)\n"
        )
        await compare(empty, loaded, args.runs)
    print(f"\n(machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f})")


if __name__ == "__main__":
    asyncio.run(main())
