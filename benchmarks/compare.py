"""memmark, AgentScope 1.0.21 and the raw driver through the same workloads, in one run.

    python benchmarks/compare.py [sqlite] [postgres] [mysql] [redis]
        [--levels 0 100 1000 10000] [--runs 30] [--out docs]

AgentScope's memory classes need ``agentscope`` importable beside memmark (1.0.21 also
imports ``mcp`` < 2 and ``tqdm`` without declaring them: the ``agentscope`` extra pins all
three). To keep it out of your project's environment, give it a virtual environment of its
own::

    python -m venv .venv-compare
    .venv-compare/bin/pip install -e '.[bench,agentscope]'
    .venv-compare/bin/python benchmarks/compare.py

(``--setup-venv`` runs exactly those two commands and then the benchmark in that venv.)

Each library runs on the path its tutorial shows: on an engine (``create_async_engine``) or
a ``redis.asyncio.ConnectionPool`` the caller created, one per library, each library in a
database of its own on the same server (SQLite: a file of its own in one directory), so all
three share the server's durability settings, which the page records. The raw driver is the
same driver on one connection with one plain table (session, seq, payload, mark) or, on
Redis, one list per session; it serializes each message as the libraries do
(``json.dumps(msg.to_dict())``, the same 286 bytes) and does BEGIN + INSERT + COMMIT /
SELECT + ``json.loads`` (RPUSH / LRANGE + ``json.loads``).

For each backend and each level L it first stores L "other" sessions x 100 messages (one
mark each) with each library, then times, the three libraries alternating run by run: one
``add`` of one message with one mark to a session of its own, and ``get_memory()`` of a
100-message session. The message is built before the clock starts. The other sessions are
loaded by each library's fastest bulk path: memmark's batch ``add`` (100 messages a call),
several sessions at once; the raw driver's ``COPY`` (PostgreSQL), multi-row INSERTs
(MariaDB), ``executemany`` (SQLite) or a pipeline (Redis); AgentScope's own ``add`` on Redis,
and on SQL its tables written directly by the raw driver in the rows its ``add`` writes (its
``add`` with a mark reads the whole mark table, so loading 10,000 sessions through it takes
time quadratic in their number). After loading, every library reads one loaded session back
and must find its 100 messages.

Writes ``benchmarks.md`` and one PNG per backend (p50 against the number of other sessions,
log scales) into ``--out``, stamped with the machine, the date and ``uptime`` before and
after. Databases are created for the run and dropped after it; Redis runs on a private
``redis-server`` on a free port.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime
import gc
import json
import os
import platform
import secrets
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Iterator, Sequence
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

PER_SESSION = 100
MARK = "m"
USER = "u"
TEXT = "x" * 150
WARMUP = 3
MIN_RUNS = 5
CONCURRENCY = {"sqlite": 1, "postgres": 8, "mysql": 8, "redis": 8}
"""Sessions memmark (and AgentScope on Redis) load at once; SQLite has a single writer."""
ROWS_PER_STATEMENT = {"sqlite": 10_000, "postgres": 20_000, "mysql": 1_000, "redis": 5_000}
LIBRARIES = ("memmark", "AgentScope 1.0.21", "raw driver")
NAMES = {"sqlite": "SQLite", "postgres": "PostgreSQL", "mysql": "MariaDB", "redis": "Redis"}
PG = "postgresql+asyncpg://postgres@127.0.0.1:5432/{db}"
MYSQL = "mysql+asyncmy://root@127.0.0.1:3306/{db}?charset=utf8mb4"
OPS = ("add", "get_memory")


def memmark_msg() -> Any:
    from memmark.message import Msg

    return Msg("bench", TEXT, "user")


def agentscope_msg() -> Any:
    from agentscope.message import Msg

    return Msg("bench", TEXT, "user")


def payloads(count: int) -> Iterator[tuple[str, str]]:
    """``count`` (id, JSON) of distinct messages, as ``json.dumps(Msg(...).to_dict())`` is."""
    template = memmark_msg().to_dict()
    for _ in range(count):
        msg_id = secrets.token_urlsafe(16)[:22]  # shortuuid's length
        yield msg_id, json.dumps({**template, "id": msg_id})


class Progress:
    """Prints how far loading has got, about every tenth of the way."""

    def __init__(self, label: str, total: int) -> None:
        self.label, self.total, self.done, self.shown = label, total, 0, 0
        self.start = time.perf_counter()

    def __call__(self, sessions: int) -> None:
        self.done += sessions
        if self.done * 10 // max(self.total, 1) > self.shown or self.done == self.total:
            self.shown = self.done * 10 // max(self.total, 1)
            elapsed = time.perf_counter() - self.start
            rate = self.done * PER_SESSION / max(elapsed, 1e-9)
            print(
                f"  {self.label}: {self.done:,}/{self.total:,} sessions, {elapsed:.0f} s "
                f"({rate:,.0f} messages/s)",
                flush=True,
            )


@dataclass
class Library:
    """One library on one backend: memories by session id, in its own database."""

    name: str
    memory: Callable[[str], Any]
    msg: Callable[[], Any]
    load: Callable[[range, Progress], Awaitable[None]] | None = None
    """Its bulk path for the other sessions; ``None``: batch ``add``, several at once."""
    closes: bool = False
    """Whether a memory is closed after use (AgentScope's SQL memory holds a session)."""
    concurrency: int = 1


@dataclass
class Backend:
    """The three libraries on one backend, and the durability settings they share."""

    libraries: list[Library]
    durability: str
    load_notes: list[str] = field(default_factory=list)


async def load_through_api(library: Library, sessions: range, progress: Progress) -> None:
    """Batch ``add`` of 100 messages per other session, ``library.concurrency`` at once."""
    queue = iter(sessions)

    async def worker() -> None:
        for n in queue:
            memory = library.memory(f"other{n}")
            await memory.add([library.msg() for _ in range(PER_SESSION)], marks=MARK)
            if library.closes:
                await memory.close()
            progress(1)

    await asyncio.gather(*(worker() for _ in range(library.concurrency)))


def chunks(rows: Iterable[tuple[Any, ...]], size: int) -> Iterator[list[tuple[Any, ...]]]:
    chunk: list[tuple[Any, ...]] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


class RawSQL:
    """The driver itself on one connection to one database."""

    def __init__(self, kind: str, conn: Any) -> None:
        self.kind, self.conn, self.seq = kind, conn, 0

    @classmethod
    async def connect(cls, kind: str, target: str) -> RawSQL:
        if kind == "sqlite":
            import aiosqlite

            return cls(kind, await aiosqlite.connect(target))
        if kind == "postgres":
            import asyncpg

            return cls(kind, await asyncpg.connect(target.replace("+asyncpg", "")))
        import asyncmy

        return cls(kind, await asyncmy.connect(host="127.0.0.1", user="root", db=target))

    def q(self, sql: str) -> str:
        """``?`` placeholders in the driver's style."""
        if self.kind == "postgres":
            parts = sql.split("?")
            return "".join(p + (f"${i}" if i < len(parts) else "") for i, p in enumerate(parts, 1))
        return sql if self.kind == "sqlite" else sql.replace("?", "%s")

    def quote(self, name: str) -> str:
        return f"`{name}`" if self.kind == "mysql" else f'"{name}"'

    async def execute(self, sql: str, *args: Any) -> None:
        if self.kind == "postgres":
            await self.conn.execute(self.q(sql), *args)
        elif self.kind == "sqlite":
            await self.conn.execute(sql, args)
        else:
            async with self.conn.cursor() as cursor:
                await cursor.execute(self.q(sql), args)

    async def fetch(self, sql: str, *args: Any) -> list[Any]:
        if self.kind == "postgres":
            return list(await self.conn.fetch(self.q(sql), *args))
        if self.kind == "sqlite":
            return list(await self.conn.execute_fetchall(sql, args))
        async with self.conn.cursor() as cursor:
            await cursor.execute(self.q(sql), args)
            rows = list(await cursor.fetchall())
        await self.conn.commit()
        return rows

    async def commit(self) -> None:
        if self.kind != "postgres":
            await self.conn.commit()

    async def insert(self, table: str, columns: Sequence[str], rows: list[tuple[Any, ...]]) -> None:
        """``rows`` into ``table`` in one bulk statement and one transaction."""
        if self.kind == "postgres":
            await self.conn.copy_records_to_table(table, records=rows, columns=list(columns))
            return
        names = ", ".join(self.quote(c) for c in columns)
        one = "(" + ", ".join("?" * len(columns)) + ")"
        if self.kind == "sqlite":
            await self.conn.executemany(f"INSERT INTO {table} ({names}) VALUES {one}", rows)
        else:
            values = ", ".join([one] * len(rows))
            flat = [value for row in rows for value in row]
            await self.execute(f"INSERT INTO {table} ({names}) VALUES {values}", *flat)
        await self.conn.commit()

    async def bulk(
        self, table: str, columns: Sequence[str], rows: Iterable[tuple[Any, ...]]
    ) -> None:
        for chunk in chunks(rows, ROWS_PER_STATEMENT[self.kind]):
            await self.insert(table, columns, chunk)

    async def durability(self) -> str:
        if self.kind == "sqlite":
            journal = (await self.fetch("PRAGMA journal_mode"))[0][0]
            sync = (await self.fetch("PRAGMA synchronous"))[0][0]
            sync_name = {0: "OFF", 1: "NORMAL", 2: "FULL", 3: "EXTRA"}.get(sync, sync)
            return f"journal_mode={journal}, synchronous={sync_name}"
        if self.kind == "postgres":
            fsync = (await self.fetch("SHOW fsync"))[0][0]
            commit = (await self.fetch("SHOW synchronous_commit"))[0][0]
            return f"fsync={fsync}, synchronous_commit={commit}"
        (flush, binlog), *_ = await self.fetch("SELECT @@innodb_flush_log_at_trx_commit, @@log_bin")
        return f"innodb_flush_log_at_trx_commit={flush}, log_bin={binlog}"

    async def close(self) -> None:
        closing = self.conn.close()
        if closing is not None:
            await closing


class RawTable:
    """The raw driver's store: one plain table, one INSERT per add, one SELECT per read."""

    TABLE = "raw_messages"
    COLUMNS = ("session_id", "seq", "payload", "mark")

    def __init__(self, raw: RawSQL) -> None:
        self.raw = raw

    async def setup(self) -> None:
        await self.raw.execute(
            f"CREATE TABLE {self.TABLE} (session_id VARCHAR(64), seq BIGINT, payload TEXT, "
            "mark VARCHAR(64), PRIMARY KEY (session_id, seq))"
        )
        await self.raw.commit()

    async def add(self, session: str, payloads: list[str], mark: str | None) -> None:
        insert = f"INSERT INTO {self.TABLE} VALUES (?, ?, ?, ?)"
        if self.raw.kind == "postgres":
            async with self.raw.conn.transaction():
                for payload in payloads:
                    self.raw.seq += 1
                    await self.raw.execute(insert, session, self.raw.seq, payload, mark)
            return
        for payload in payloads:
            self.raw.seq += 1
            await self.raw.execute(insert, session, self.raw.seq, payload, mark)
        await self.raw.commit()

    async def read(self, session: str) -> list[Any]:
        rows = await self.raw.fetch(
            f"SELECT payload FROM {self.TABLE} WHERE session_id = ? ORDER BY seq", session
        )
        return [json.loads(row[0]) for row in rows]

    async def load(self, sessions: range, progress: Progress) -> None:
        def rows() -> Iterator[tuple[Any, ...]]:
            for n in sessions:
                for _, payload in payloads(PER_SESSION):
                    self.raw.seq += 1
                    yield f"other{n}", self.raw.seq, payload, MARK
                progress(1)

        await self.raw.bulk(self.TABLE, self.COLUMNS, rows())

    def library(self) -> Library:
        table = self

        class Memory:
            def __init__(self, session: str) -> None:
                self.session = session

            async def add(self, msgs: Any, marks: str | None = None) -> None:
                batch = msgs if isinstance(msgs, list) else [msgs]
                await table.add(self.session, [json.dumps(m.to_dict()) for m in batch], marks)

            async def get_memory(self) -> list[Any]:
                return await table.read(self.session)

        return Library(LIBRARIES[2], Memory, memmark_msg, load=self.load)


class AgentScopeRows:
    """AgentScope's four tables, written by the raw driver in the rows its ``add`` writes."""

    def __init__(self, raw: RawSQL) -> None:
        self.raw = raw

    async def load(self, sessions: range, progress: Progress) -> None:
        await self.raw.bulk("session", ("id", "user_id"), ((f"other{n}", USER) for n in sessions))
        marks: list[tuple[str, str]] = []

        def messages() -> Iterator[tuple[Any, ...]]:
            for n in sessions:
                for index, (msg_id, payload) in enumerate(payloads(PER_SESSION)):
                    row_id = f"{USER}-other{n}-{msg_id}"  # AgentScope's _make_message_id
                    marks.append((row_id, MARK))
                    yield row_id, payload, f"other{n}", index
                progress(1)

        for chunk in chunks(messages(), ROWS_PER_STATEMENT[self.raw.kind]):
            await self.raw.insert("message", ("id", "msg", "session_id", "index"), chunk)
            await self.raw.bulk("message_mark", ("msg_id", "mark"), marks)
            marks.clear()


@asynccontextmanager
async def sql_backend(kind: str) -> AsyncIterator[Backend]:
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
        targets = urls if kind == "postgres" else names
    engines = [create_async_engine(url) for url in urls[:2]]
    raws: list[RawSQL] = []
    try:
        raws = [await RawSQL.connect(kind, target) for target in targets]
        table = RawTable(raws[2])
        await table.setup()
        setup = ASMemory(engines[1], "setup", USER)
        await setup.get_memory()  # AgentScope creates its tables (and its user row)
        await setup.close()
        settings = {await raw.durability() for raw in raws}
        assert len(settings) == 1, f"the three databases differ: {settings}"
        concurrency = CONCURRENCY[kind]
        yield Backend(
            [
                Library(
                    LIBRARIES[0],
                    lambda s: AsyncSQLAlchemyMemory(engines[0], s, USER),
                    memmark_msg,
                    concurrency=concurrency,
                ),
                Library(
                    LIBRARIES[1],
                    lambda s: ASMemory(engines[1], s, USER),
                    agentscope_msg,
                    load=AgentScopeRows(raws[1]).load,
                    closes=True,
                ),
                table.library(),
            ],
            settings.pop(),
        )
    finally:
        for raw in raws:
            await raw.close()
        for engine in engines:
            await engine.dispose()
        if admin is not None:
            async with admin.connect() as conn:
                for name in names:
                    if kind == "postgres":
                        await conn.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
                        continue
                    ids = await conn.execute(
                        text("SELECT id FROM information_schema.processlist WHERE db = :db"),
                        {"db": name},
                    )
                    for (thread,) in ids.all():  # open sessions would make DROP wait
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
async def redis_backend() -> AsyncIterator[Backend]:
    from agentscope.memory import RedisMemory as ASRedisMemory
    from redis.asyncio import ConnectionPool, Redis
    from redis.exceptions import ConnectionError as RedisConnectionError

    from memmark.memory import RedisMemory

    directory = tempfile.mkdtemp(prefix="memmark-compare-redis-")
    server, port = start_redis(directory)
    pools = [ConnectionPool(host="127.0.0.1", port=port, db=db) for db in range(3)]
    raw = Redis(connection_pool=pools[2])
    try:
        for _ in range(100):
            try:
                await raw.ping()
                break
            except (OSError, RedisConnectionError):
                await asyncio.sleep(0.1)
        config = await raw.config_get("appendonly")
        saves = await raw.config_get("save")
        durability = f"appendonly={config['appendonly']}, save='{saves['save']}'"

        class RawList:
            def __init__(self, session: str) -> None:
                self.key = f"raw:{session}"

            async def add(self, msgs: Any, marks: str | None = None) -> None:
                batch = msgs if isinstance(msgs, list) else [msgs]
                await raw.rpush(self.key, *[json.dumps(m.to_dict()) for m in batch])

            async def get_memory(self) -> list[Any]:
                return [json.loads(p) for p in await raw.lrange(self.key, 0, -1)]

        async def load_lists(sessions: range, progress: Progress) -> None:
            per_pipeline = ROWS_PER_STATEMENT["redis"] // PER_SESSION
            for start in range(sessions.start, sessions.stop, per_pipeline):
                block = range(start, min(start + per_pipeline, sessions.stop))
                async with raw.pipeline(transaction=False) as pipe:
                    for n in block:
                        pipe.rpush(f"raw:other{n}", *(p for _, p in payloads(PER_SESSION)))
                    await pipe.execute()
                progress(len(block))

        yield Backend(
            [
                Library(
                    LIBRARIES[0],
                    lambda s: RedisMemory(s, USER, connection_pool=pools[0]),
                    memmark_msg,
                    concurrency=CONCURRENCY["redis"],
                ),
                Library(
                    LIBRARIES[1],
                    lambda s: ASRedisMemory(s, USER, connection_pool=pools[1]),
                    agentscope_msg,
                    concurrency=CONCURRENCY["redis"],
                ),
                Library(LIBRARIES[2], RawList, memmark_msg, load=load_lists),
            ],
            durability,
        )
    finally:
        await raw.aclose()
        for pool in pools:
            await pool.aclose()
        server.terminate()
        server.wait()
        shutil.rmtree(directory, ignore_errors=True)


async def grow(backend: str, libraries: list[Library], stored: int, level: int) -> None:
    """Store the other sessions ``stored .. level - 1`` (100 messages each), each library."""
    if level <= stored:
        return
    sessions = range(stored, level)
    for library in libraries:
        progress = Progress(f"{backend}, {library.name}", len(sessions))
        if library.load is not None:
            await library.load(sessions, progress)
        else:
            await load_through_api(library, sessions, progress)
        memory = library.memory(f"other{level - 1}")
        found = len(await memory.get_memory())
        if library.closes:
            await memory.close()
        assert found == PER_SESSION, f"{library.name} reads {found} messages of a loaded session"


@dataclass
class Figures:
    """p50 (ms) per library and operation, and median per-run ratios, at one level."""

    p50: dict[str, list[float]]
    runs: dict[str, list[int]]
    agentscope_over_memmark: list[float]
    memmark_over_raw: list[float]


def rotated(count: int, run: int) -> list[int]:
    """0 .. count - 1 starting at ``run % count``: no library always follows the same one."""
    return [(run + i) % count for i in range(count)]


async def measure(libraries: list[Library], runs: int, level: int, budget: float) -> Figures:
    """[add, get_memory] per library, the libraries taking turns, in a rotating order.

    The cyclic garbage collector runs before each timed call, not during it: otherwise the
    garbage of AgentScope's calls is collected in whichever call comes next.

    A library whose calls of one operation have taken ``budget`` seconds in all stops making
    them after ``MIN_RUNS`` runs (AgentScope's SQL calls take seconds each at 10,000 other
    sessions); the ratios pair the runs both sides made.
    """
    writers = [lib.memory(f"writer{level}") for lib in libraries]
    readers = [lib.memory(f"reader{level}") for lib in libraries]
    for lib, reader in zip(libraries, readers, strict=True):
        await reader.add([lib.msg() for _ in range(PER_SESSION)], marks=MARK)
    times: list[list[list[float]]] = [[[] for _ in libraries] for _ in OPS]  # [op][library]
    gc.collect()
    gc.freeze()  # what exists now is kept out of the collections between calls
    for run in range(runs + WARMUP):
        for which in range(len(OPS)):
            for i in rotated(len(libraries), run):
                kept = times[which][i]
                if len(kept) >= MIN_RUNS and sum(kept) > budget * 1000:
                    continue
                msg = libraries[i].msg()
                gc.collect()  # the garbage of the call before is not this call's cost
                gc.disable()
                start = time.perf_counter()
                if which == 0:
                    await writers[i].add(msg, marks=MARK)
                else:
                    await readers[i].get_memory()
                elapsed = time.perf_counter() - start
                gc.enable()
                if run >= WARMUP:  # the first calls create tables and warm caches
                    kept.append(elapsed * 1000)
    gc.unfreeze()
    for lib, memory in zip(libraries * 2, writers + readers, strict=True):
        if lib.closes:
            await memory.close()

    def ratio(op: list[list[float]], over: int, under: int) -> float:
        return statistics.median(a / b for a, b in zip(op[over], op[under], strict=False))

    return Figures(
        {lib.name: [statistics.median(times[w][i]) for w in range(2)] for i, lib in
         enumerate(libraries)},
        {lib.name: [len(times[w][i]) for w in range(2)] for i, lib in enumerate(libraries)},
        [ratio(op, 1, 0) for op in times],
        [ratio(op, 0, 2) for op in times],
    )  # fmt: skip


async def bench(
    backend: str, levels: list[int], runs: int, budget: float
) -> tuple[str, dict[int, Figures]]:
    results: dict[int, Figures] = {}
    async with AsyncExitStack() as stack:
        opened = redis_backend() if backend == "redis" else sql_backend(backend)
        setup = await stack.enter_async_context(opened)
        print(f"{backend}: {setup.durability}", flush=True)
        stored = 0
        for level in sorted(levels):
            await grow(backend, setup.libraries, stored, level)
            stored = max(stored, level)
            start = time.perf_counter()
            results[level] = figures = await measure(setup.libraries, runs, level, budget)
            print(
                f"{backend}, {level:,} other sessions ({time.perf_counter() - start:.0f} s): "
                f"p50 {figures.p50}, AgentScope/memmark {figures.agentscope_over_memmark}, "
                f"memmark/raw {figures.memmark_over_raw}",
                flush=True,
            )
    return setup.durability, results


def plot(backend: str, results: dict[int, Figures], out: Path) -> str:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(10, 4))
    levels = sorted(results)
    for which, (ax, title) in enumerate(
        zip(axes, ("add (1 message, 1 mark)", "get_memory (100 messages)"), strict=True)
    ):
        for name in LIBRARIES:
            ax.plot(levels, [results[lv].p50[name][which] for lv in levels], marker="o", label=name)
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


def machine() -> str:
    model = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as cpuinfo:
            model = next(line.split(":", 1)[1].strip() for line in cpuinfo if "model name" in line)
    except (OSError, StopIteration):
        pass
    return (
        f"{platform.system()} {platform.release()}, {os.cpu_count()} cores ({model}), "
        f"Python {platform.python_version()}"
    )


def uptime() -> str:
    return subprocess.run(["uptime"], capture_output=True, text=True, check=False).stdout.strip()


@dataclass
class Run:
    """What the page says about the run itself."""

    command: str
    runs: int
    budget: float
    started: datetime.datetime
    seconds: float
    uptime_before: str
    uptime_after: str


def reach(all_results: dict[str, tuple[str, dict[int, Figures]]], seconds: float) -> list[str]:
    """A note on the levels, when the run stopped short of 10,000 other sessions."""
    top = max(level for _, results in all_results.values() for level in results)
    if top >= 10_000:
        return []
    return [
        f"This run went up to {top:,} other sessions. `--levels 0 100 1000 10000` measures "
        "up to 10,000 (1,000,000 messages per library and backend to load, most of the "
        "time of such a run: about 45 minutes here).",
        "",
    ]


def write_page(all_results: dict[str, tuple[str, dict[int, Figures]]], out: Path, run: Run) -> None:
    minutes = run.seconds / 60
    lines = [
        "# Benchmarks: memmark, AgentScope 1.0.21 and the raw driver",
        "",
        f"Measured {run.started:%Y-%m-%d} (UTC) on {machine()}, with PostgreSQL, MariaDB "
        "and a private Redis on loopback, by",
        "",
        f"    {run.command}",
        "",
        f"which took {minutes:.0f} minutes. The machine was shared with other work, so "
        "absolute times are inflated and noisy; read the ratios, which compare calls made "
        "turn about under the same load. `uptime` before and after:",
        "",
        f"    {run.uptime_before}",
        f"    {run.uptime_after}",
        "",
        "## What is measured",
        "",
        "Each library runs as its tutorial shows, on an engine (`create_async_engine(url)`) "
        "or a `redis.asyncio.ConnectionPool` the caller created, in a database of its own on "
        "the same server; the raw driver is the same driver on one connection, with one "
        "plain table `(session_id, seq, payload, mark)` (BEGIN + INSERT + COMMIT; SELECT + "
        "`json.loads`) or, on Redis, one list per session (RPUSH; LRANGE + `json.loads`). "
        "Every library stores the same 286-byte JSON per message. At each level the "
        "database first holds that many other sessions x 100 messages, each message with "
        "one mark; then, the three libraries taking turns call by call, in an order that "
        "rotates every run, one `add` of one message with one mark and one `get_memory()` "
        "of a 100-message session, "
        f"{run.runs} times each after {WARMUP} warm-up calls, fewer (n, at least {MIN_RUNS}) "
        f"where one library's calls of one operation had taken {run.budget:.0f} s in all. "
        "Python's cyclic garbage collector runs between the timed calls, not in them, so no "
        "library pays for the garbage of the call before it. Figures are p50s in ms; the "
        "ratios are medians of the per-run ratios.",
        "",
        *reach(all_results, run.seconds),
        "The other sessions are loaded by each library's fastest bulk path: memmark's batch "
        f"`add` (100 messages a call, {CONCURRENCY['postgres']} sessions at once; one at a "
        "time on SQLite); the raw "
        "driver's `COPY` (PostgreSQL), multi-row INSERTs (MariaDB), `executemany` (SQLite), "
        f"a pipeline (Redis). AgentScope's own `add` loads Redis ({CONCURRENCY['redis']} "
        "sessions at once); on SQL "
        "the raw driver writes AgentScope's four tables (`users`, `session`, `message`, "
        "`message_mark`) directly, in the rows its `add` writes, because its `add` with a "
        "mark reads the whole `message_mark` table of every session (loading 10,000 "
        "sessions through it is quadratic). Every library then reads one loaded session "
        "back and must find its 100 messages.",
        "",
        "That full read is also what AgentScope's SQL `add` costs at every call: its time "
        "grows with the number of marked messages stored in all sessions, and its "
        "`get_memory` with the size of the `message` table (it has no index on "
        "`session_id`, except on MariaDB, where InnoDB indexes the foreign key).",
        "",
        "Durability, the same for the three libraries on each backend:",
        "",
    ]
    for backend, (durability, _) in all_results.items():
        lines.append(f"- {NAMES[backend]}: {durability}")
    lines += [
        "",
        "On SQLite that is its default rollback journal with a full sync: every commit waits "
        "for the disk (a few fsyncs), which is most of a one-message `add` for all three "
        "libraries and swings with the disk traffic of everything else on the machine. "
        "(`memmark.connect` / `SQLStore(url)` put their own engines in WAL mode; a caller's "
        "engine keeps the file's mode.)",
        "",
        "## Results",
        "",
        "| backend | other sessions | operation | memmark | AgentScope 1.0.21 | raw driver "
        "| AgentScope / memmark | memmark / raw |",
        "| --- | ---: | --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    images = []
    for backend, (_, results) in all_results.items():
        for level in sorted(results):
            figures = results[level]
            for which, op in enumerate(("add", "get_memory, 100 msgs")):
                row = [
                    f"{figures.p50[name][which]:.2f}"
                    + (f" (n={n})" if (n := figures.runs[name][which]) < run.runs else "")
                    for name in LIBRARIES
                ]
                row += [
                    f"{figures.agentscope_over_memmark[which]:.2f}x",
                    f"{figures.memmark_over_raw[which]:.2f}x",
                ]
                lines.append(f"| {NAMES[backend]} | {level:,} | {op} | " + " | ".join(row) + " |")
        images.append((backend, plot(backend, results, out)))
    lines.append("")
    for backend, path in images:
        lines += [f"![{NAMES[backend]}: p50 against other sessions stored]({path})", ""]
    lines += [
        "Reads against the driver in more detail, and the flat-at-scale runs, are in "
        "[performance.md](performance.md).",
        "",
    ]
    (out / "benchmarks.md").write_text("\n".join(lines))


def setup_venv(argv: list[str]) -> None:
    venv = Path(".venv-compare")
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    python = venv / "bin" / "python"
    subprocess.run([str(python), "-m", "pip", "install", "-e", ".[bench,agentscope]"], check=True)
    os.execv(str(python), [str(python), __file__, *argv])


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("backends", nargs="*", default=["sqlite", "postgres", "mysql", "redis"])
    parser.add_argument("--levels", type=int, nargs="+", default=[0, 100, 1000, 10000])
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--budget", type=float, default=60.0)
    parser.add_argument("--save", type=Path, help="also write the figures here as JSON")
    parser.add_argument("--out", type=Path, default=Path("docs"))
    parser.add_argument("--setup-venv", action="store_true")
    args = parser.parse_args()
    if args.setup_venv:
        setup_venv([a for a in sys.argv[1:] if a != "--setup-venv"])
    unknown = sorted(set(args.backends) - set(NAMES))
    if unknown:
        parser.error(f"unknown backend(s) {unknown}; choose from {sorted(NAMES)}")
    started, before, clock = datetime.datetime.now(datetime.timezone.utc), uptime(), time.time()
    print(before, flush=True)
    results = {}
    for backend in args.backends:
        results[backend] = await bench(backend, args.levels, args.runs, args.budget)
        if args.save is not None:  # each backend's figures as soon as it is done
            args.save.write_text(json.dumps(results, default=vars, indent=1))
    after = uptime()
    print(after, flush=True)
    command = " ".join(["python", "benchmarks/compare.py", *sys.argv[1:]])
    write_page(
        results,
        args.out,
        Run(command, args.runs, args.budget, started, time.time() - clock, before, after),
    )
    print(f"wrote {args.out / 'benchmarks.md'}")


if __name__ == "__main__":
    asyncio.run(main())
