"""memmark, AgentScope 1.0.21 and the raw driver through the same workloads, in one run.

    python benchmarks/compare.py [sqlite] [postgres] [mysql] [redis]
        [--levels 0 100 1000] [--runs 40] [--out docs]

AgentScope's memory classes need ``agentscope`` importable beside memmark. To keep it out
of your project's environment, give it a virtual environment of its own::

    python -m venv .venv-compare
    .venv-compare/bin/pip install 'agentscope==1.0.21' -e '.[bench]'
    .venv-compare/bin/python benchmarks/compare.py

(``--setup-venv`` runs exactly those two commands and then the benchmark in that venv.)

For each backend and each level L of "other sessions" (L sessions x 100 messages already
stored, by each library in its own database) it times, alternating the three libraries run
by run: a single ``add`` of one message with one mark, and ``get_memory()`` of a
100-message session. The raw driver keeps one plain table (session, seq, payload, mark)
or, on Redis, one list per session, and does BEGIN + INSERT + COMMIT / SELECT +
``json.loads`` (RPUSH / LRANGE + ``json.loads``). Writes ``benchmarks.md`` and one PNG per
backend (p50 against the number of other sessions, log scales) into ``--out``, stamped
with the machine and the date. Databases are created for the run and dropped after it;
Redis runs on a private ``redis-server`` on a free port.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime
import json
import os
import platform
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from pathlib import Path
from typing import Any

PER_SESSION = 100
LIBRARIES = ("memmark", "AgentScope 1.0.21", "raw driver")
PG = "postgresql+asyncpg://postgres@127.0.0.1:5432/{db}"
MYSQL = "mysql+asyncmy://root@127.0.0.1:3306/{db}?charset=utf8mb4"
TEXT = "x" * 150


class Library:
    """One library on one backend: memories by session id, in its own database."""

    def __init__(self, memory: Callable[[str], Any], msg: Callable[[], Any]) -> None:
        self.memory, self.msg = memory, msg


def memmark_msg() -> Any:
    from memmark.message import Msg

    return Msg("bench", TEXT, "user")


def agentscope_msg() -> Any:
    from agentscope.message import Msg

    return Msg("bench", TEXT, "user")


class RawSQL:
    """The driver on one connection: a plain table, one INSERT per add, one SELECT per read."""

    def __init__(self, kind: str, conn: Any) -> None:
        self.kind, self.conn, self.seq = kind, conn, 0
        self.p = {"sqlite": "?", "postgres": "$", "mysql": "%s"}[kind]

    def q(self, sql: str) -> str:
        if self.p == "$":
            parts = sql.split("?")
            return "".join(
                p + (f"${i + 1}" if i < len(parts) - 1 else "") for i, p in enumerate(parts)
            )
        return sql.replace("?", self.p)

    async def execute(self, sql: str, *args: Any) -> None:
        if self.kind == "postgres":
            await self.conn.execute(self.q(sql), *args)
        elif self.kind == "sqlite":
            await self.conn.execute(sql, args)
        else:
            async with self.conn.cursor() as cursor:
                await cursor.execute(self.q(sql), args)

    async def setup(self) -> None:
        await self.execute(
            "CREATE TABLE raw_messages (session_id VARCHAR(64), seq BIGINT, payload TEXT, "
            "mark VARCHAR(64), PRIMARY KEY (session_id, seq))"
        )
        await self.commit()

    async def commit(self) -> None:
        if self.kind == "postgres":
            return
        await self.conn.commit()

    async def add(self, session: str, payloads: list[str]) -> None:
        if self.kind == "postgres":
            async with self.conn.transaction():
                for payload in payloads:
                    self.seq += 1
                    await self.execute(
                        "INSERT INTO raw_messages VALUES (?, ?, ?, ?)",
                        session,
                        self.seq,
                        payload,
                        "m",
                    )
            return
        for payload in payloads:
            self.seq += 1
            await self.execute(
                "INSERT INTO raw_messages VALUES (?, ?, ?, ?)", session, self.seq, payload, "m"
            )
        await self.commit()

    async def read(self, session: str) -> list[Any]:
        sql = "SELECT payload FROM raw_messages WHERE session_id = ? ORDER BY seq"
        if self.kind == "postgres":
            rows = await self.conn.fetch(self.q(sql), session)
        elif self.kind == "sqlite":
            rows = await self.conn.execute_fetchall(sql, (session,))
        else:
            async with self.conn.cursor() as cursor:
                await cursor.execute(self.q(sql), (session,))
                rows = await cursor.fetchall()
            await self.conn.commit()
        return [json.loads(row[0]) for row in rows]

    def library(self) -> Library:
        payload = json.dumps(memmark_msg().to_dict())

        class Memory:
            def __init__(self, raw: RawSQL, session: str) -> None:
                self.raw, self.session = raw, session

            async def add(self, msgs: Any, marks: Any = None) -> None:
                count = len(msgs) if isinstance(msgs, list) else 1
                await self.raw.add(self.session, [payload] * count)

            async def get_memory(self) -> list[Any]:
                return await self.raw.read(self.session)

        return Library(lambda session: Memory(self, session), memmark_msg)


async def raw_sql_connection(kind: str, target: str) -> Any:
    if kind == "sqlite":
        import aiosqlite

        return await aiosqlite.connect(target)
    if kind == "postgres":
        import asyncpg

        return await asyncpg.connect(target.replace("+asyncpg", ""))
    import asyncmy

    return await asyncmy.connect(host="127.0.0.1", user="root", db=target)


@asynccontextmanager
async def sql_libraries(kind: str) -> AsyncIterator[list[Library]]:
    from agentscope.memory import AsyncSQLAlchemyMemory as ASMemory
    from sqlalchemy import text
    from sqlalchemy.ext.asyncio import create_async_engine

    from memmark.memory import AsyncSQLAlchemyMemory

    directory = tempfile.mkdtemp(prefix="memmark-compare-")
    names = [f"memmark_cmp_{uuid.uuid4().hex[:8]}" for _ in LIBRARIES]
    admin = None
    if kind == "sqlite":
        urls = [f"sqlite+aiosqlite:///{directory}/{name}.db" for name in names]
        targets = [f"{directory}/{name}.db" for name in names]
    else:
        admin_url = PG.format(db="postgres") if kind == "postgres" else MYSQL.format(db="")
        admin = create_async_engine(admin_url, isolation_level="AUTOCOMMIT")
        async with admin.connect() as conn:
            for name in names:
                quoted = f'"{name}"' if kind == "postgres" else f"`{name}`"
                await conn.execute(text(f"CREATE DATABASE {quoted}"))
        urls = [(PG if kind == "postgres" else MYSQL).format(db=name) for name in names]
        targets = [urls[2] if kind == "postgres" else names[2]] * 3
    engines = [create_async_engine(url) for url in urls[:2]]
    raw_conn = await raw_sql_connection(kind, targets[2])
    raw = RawSQL(kind, raw_conn)
    await raw.setup()
    try:
        yield [
            Library(
                lambda s: AsyncSQLAlchemyMemory(engines[0], user_id="u", session_id=s),
                memmark_msg,
            ),
            Library(lambda s: ASMemory(engines[1], session_id=s, user_id="u"), agentscope_msg),
            raw.library(),
        ]
    finally:
        closing = raw_conn.close()
        if closing is not None:
            await closing
        for engine in engines:
            await engine.dispose()
        if admin is not None:
            async with admin.connect() as conn:
                for name in names:
                    if kind == "postgres":
                        await conn.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
                    else:
                        # AgentScope leaves sessions unreturned: end them, or DROP waits forever.
                        ids = await conn.execute(
                            text("SELECT id FROM information_schema.processlist WHERE db = :db"),
                            {"db": name},
                        )
                        for (thread,) in ids.all():
                            await conn.execute(text(f"KILL {int(thread)}"))
                        await conn.execute(text(f"DROP DATABASE `{name}`"))
            await admin.dispose()
        shutil.rmtree(directory, ignore_errors=True)


def start_redis(directory: str) -> tuple[subprocess.Popen[bytes], int]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = int(sock.getsockname()[1])
    server = subprocess.Popen(
        ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
         "--appendonly", "no", "--dir", directory],
        stdout=subprocess.DEVNULL,
    )  # fmt: skip
    return server, port


@asynccontextmanager
async def redis_libraries() -> AsyncIterator[list[Library]]:
    from agentscope.memory import RedisMemory as ASRedisMemory
    from redis.asyncio import ConnectionPool, Redis
    from redis.exceptions import ConnectionError as RedisConnectionError

    from memmark.memory import RedisMemory

    directory = tempfile.mkdtemp(prefix="memmark-compare-redis-")
    server, port = start_redis(directory)
    pools = [ConnectionPool(host="127.0.0.1", port=port, db=db) for db in range(3)]
    clients = [Redis(connection_pool=pool) for pool in pools]
    try:
        for _ in range(100):
            try:
                await clients[0].ping()
                break
            except (OSError, RedisConnectionError):
                await asyncio.sleep(0.1)
        payload = json.dumps(memmark_msg().to_dict())

        class RawRedis:
            def __init__(self, session: str) -> None:
                self.key = f"raw:{session}"

            async def add(self, msgs: Any, marks: Any = None) -> None:
                count = len(msgs) if isinstance(msgs, list) else 1
                await clients[2].rpush(self.key, *([payload] * count))

            async def get_memory(self) -> list[Any]:
                return [json.loads(p) for p in await clients[2].lrange(self.key, 0, -1)]

        yield [
            Library(
                lambda s: RedisMemory(client=clients[0], user_id="u", session_id=s), memmark_msg
            ),
            Library(
                lambda s: ASRedisMemory(session_id=s, user_id="u", connection_pool=pools[1]),
                agentscope_msg,
            ),
            Library(RawRedis, memmark_msg),
        ]
    finally:
        for client in clients:
            await client.aclose()
        for pool in pools:
            await pool.aclose()
        server.terminate()
        server.wait()
        shutil.rmtree(directory, ignore_errors=True)


async def grow(libraries: list[Library], stored: int, level: int) -> None:
    """Store sessions ``stored .. level - 1`` (100 messages each) with every library."""
    for library in libraries:
        for s in range(stored, level):
            memory = library.memory(f"other{s}")
            await memory.add([library.msg() for _ in range(PER_SESSION)], marks="m")


async def measure(libraries: list[Library], runs: int, level: int) -> dict[str, list[float]]:
    """p50 (ms) of [add, get_memory] per library, the libraries alternating run by run."""
    writers = [lib.memory(f"writer{level}") for lib in libraries]
    readers = [lib.memory(f"reader{level}") for lib in libraries]
    for lib, reader in zip(libraries, readers, strict=True):
        await reader.add([lib.msg() for _ in range(PER_SESSION)], marks="m")
    times: dict[str, list[list[float]]] = {name: [[], []] for name in LIBRARIES}
    ops: list[Callable[[int], Awaitable[Any]]] = [
        lambda i: writers[i].add(libraries[i].msg(), marks="m"),
        lambda i: readers[i].get_memory(),
    ]
    for run in range(runs + 3):
        for which, op in enumerate(ops):
            for i, name in enumerate(LIBRARIES):
                start = time.perf_counter()
                await op(i)
                if run >= 3:
                    times[name][which].append((time.perf_counter() - start) * 1000)
    return {name: [statistics.median(t) for t in pair] for name, pair in times.items()}


async def bench(backend: str, levels: list[int], runs: int) -> dict[int, dict[str, list[float]]]:
    results: dict[int, dict[str, list[float]]] = {}
    async with AsyncExitStack() as stack:
        opened = redis_libraries() if backend == "redis" else sql_libraries(backend)
        libraries = await stack.enter_async_context(opened)
        stored = 0
        for level in sorted(levels):
            await grow(libraries, stored, level)
            stored = level
            results[level] = await measure(libraries, runs, level)
            print(f"{backend}, {level:,} other sessions: {results[level]}", flush=True)
    return results


NAMES = {"sqlite": "SQLite", "postgres": "PostgreSQL", "mysql": "MariaDB", "redis": "Redis"}


def plot(backend: str, results: dict[int, dict[str, list[float]]], out: Path) -> str:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(10, 4))
    levels = sorted(results)
    for which, (ax, title) in enumerate(
        zip(axes, ("add (1 message)", "get_memory (100 messages)"), strict=True)
    ):
        for name in LIBRARIES:
            ax.plot(levels, [results[lv][name][which] for lv in levels], marker="o", label=name)
        ax.set_xscale("symlog", linthresh=max(1, min([lv for lv in levels if lv] or [1])))
        ax.set_yscale("log")
        ax.set_xlabel("other sessions stored (x 100 messages)")
        ax.set_ylabel("p50 latency (ms)")
        ax.set_title(f"{NAMES[backend]}: {title}")
        ax.grid(True, which="both", alpha=0.3)
        ax.legend()
    fig.tight_layout()
    name = f"compare-{backend}.png"
    (out / "img").mkdir(parents=True, exist_ok=True)
    fig.savefig(out / "img" / name, dpi=100)
    plt.close(fig)
    return f"img/{name}"


def write_page(
    all_results: dict[str, dict[int, dict[str, list[float]]]], out: Path, runs: int
) -> None:
    load = os.getloadavg()[0]
    lines = [
        "# Benchmarks: memmark, AgentScope 1.0.21 and the raw driver",
        "",
        f"Measured {datetime.date.today().isoformat()} on {platform.system()}, "
        f"{os.cpu_count()} cores ({platform.processor() or platform.machine()}), Python "
        f"{platform.python_version()}; the machine was shared with other work (load average "
        f"{load:.1f} at the end of the run), so read ratios within a row rather than absolute "
        "times. Every figure is a p50 over "
        f"{runs} runs, the three libraries alternating run by run. Produced by "
        "`python benchmarks/compare.py` (see its docstring for the workloads and for "
        "installing AgentScope into a virtual environment of its own).",
        "",
        "| backend | other sessions | operation | memmark (ms) | AgentScope 1.0.21 (ms) "
        "| raw driver (ms) |",
        "| --- | ---: | --- | ---: | ---: | ---: |",
    ]
    images = []
    for backend, results in all_results.items():
        for level in sorted(results):
            for which, op in enumerate(("add", "get_memory, 100 msgs")):
                row = [f"{results[level][name][which]:.2f}" for name in LIBRARIES]
                lines.append(f"| {NAMES[backend]} | {level:,} | {op} | " + " | ".join(row) + " |")
        images.append((backend, plot(backend, results, out)))
    lines.append("")
    for backend, path in images:
        lines += [f"![{NAMES[backend]}]({path})", ""]
    (out / "benchmarks.md").write_text("\n".join(lines))


def setup_venv(argv: list[str]) -> None:
    venv = Path(".venv-compare")
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    python = venv / "bin" / "python"
    subprocess.run(
        [str(python), "-m", "pip", "install", "agentscope==1.0.21", "-e", ".[bench]"], check=True
    )
    os.execv(str(python), [str(python), __file__, *argv])


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("backends", nargs="*", default=["sqlite", "postgres", "mysql", "redis"])
    parser.add_argument("--levels", type=int, nargs="+", default=[0, 100, 1000])
    parser.add_argument("--runs", type=int, default=40)
    parser.add_argument("--out", type=Path, default=Path("docs"))
    parser.add_argument("--setup-venv", action="store_true")
    args = parser.parse_args()
    if args.setup_venv:
        setup_venv([a for a in sys.argv[1:] if a != "--setup-venv"])
    results = {backend: await bench(backend, args.levels, args.runs) for backend in args.backends}
    write_page(results, args.out, args.runs)
    print(f"wrote {args.out / 'benchmarks.md'}")


if __name__ == "__main__":
    asyncio.run(main())
