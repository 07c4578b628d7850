"""Soak / load test: many sessions, many writers, several processes, then a full verification.

P processes share S sessions (each process drives S/P of them); every session has M writer
coroutines that add one message per call (and read the newest 20 of their own every
``--read-every`` adds) for T seconds. Afterwards every session is exported and checked: each
add that returned is stored exactly once, each writer's messages are in its order, and every
message carries exactly its writer's marks.

By default the run uses a private, throw-away server (``tests/faults/servers.py``), so it
never loads a shared one; ``--url`` points it at an existing server instead (its tables or
keys, all under a fresh prefix, are removed afterwards). Run from the repository root::

    python benchmarks/load.py --backend postgres --processes 4 --sessions 200 --seconds 60
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import multiprocessing
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "src"), str(ROOT)]

from memmark.memory import MemoryBase  # noqa: E402
from memmark.message import Msg  # noqa: E402

USER = "load-user"
READ_LIMIT = 20


@dataclass(frozen=True)
class Plan:
    """What one run does; picklable, handed to every process."""

    backend: str
    url: str
    prefix: str
    processes: int
    sessions: int
    writers: int
    seconds: float
    read_every: int
    run: str = field(default_factory=lambda: uuid.uuid4().hex[:8])

    def session_ids(self, process: int) -> list[str]:
        """The sessions process ``process`` drives."""
        return [f"{self.run}-s{s}" for s in range(process, self.sessions, self.processes)]


@dataclass
class Tally:
    """What one process did."""

    adds: int = 0
    reads: int = 0
    errors: int = 0
    add_latencies: list[float] = field(default_factory=list)
    read_latencies: list[float] = field(default_factory=list)
    acked: dict[tuple[str, int], int] = field(default_factory=dict)
    """(session, writer) -> number of adds that returned (ids 0..n-1 must be stored)."""
    failed: dict[tuple[str, int], list[int]] = field(default_factory=dict)
    """(session, writer) -> add numbers that raised (stored whole or not at all)."""


class Opener:
    """Opens memories of the plan's backend on one shared engine or client per process."""

    def __init__(self, plan: Plan) -> None:
        self.plan = plan
        self._resource: Any = None

    async def __aenter__(self) -> Opener:
        if self.plan.backend == "redis":
            from redis.asyncio import Redis

            self._resource = Redis.from_url(self.plan.url)
        else:
            from sqlalchemy.ext.asyncio import create_async_engine

            options: dict[str, Any] = {"pool_size": 10, "max_overflow": 5, "pool_timeout": 120}
            if self.plan.backend == "sqlite":
                options = {"connect_args": {"timeout": 120}}
            self._resource = create_async_engine(self.plan.url, **options)
            if self.plan.backend == "sqlite":
                from sqlalchemy import event

                @event.listens_for(self._resource.sync_engine, "connect")
                def _wal(dbapi_connection: Any, _record: Any) -> None:
                    cursor = dbapi_connection.cursor()
                    cursor.execute("PRAGMA journal_mode = WAL")
                    cursor.execute("PRAGMA busy_timeout = 120000")
                    cursor.close()

        return self

    async def __aexit__(self, *_exc: object) -> None:
        if self.plan.backend == "redis":
            await self._resource.aclose()
        else:
            await self._resource.dispose()

    def memory(self, session_id: str) -> MemoryBase:
        """A memory of ``session_id`` on the shared engine or client."""
        if self.plan.backend == "redis":
            from memmark.memory import RedisMemory

            return RedisMemory(
                user_id=USER,
                session_id=session_id,
                client=self._resource,
                key_prefix=self.plan.prefix,
            )
        from memmark.memory import AsyncSQLAlchemyMemory

        return AsyncSQLAlchemyMemory(
            self._resource, user_id=USER, session_id=session_id, table_prefix=self.plan.prefix
        )


def _message(session_id: str, writer: int, i: int) -> Msg:
    msg = Msg(f"writer{writer}", f"{session_id} w{writer} #{i} " + "x" * 200, "assistant")
    msg.id = f"w{writer}-{i}"
    return msg


async def _writer(
    memory: MemoryBase, session_id: str, writer: int, plan: Plan, deadline: float, tally: Tally
) -> None:
    key = (session_id, writer)
    i = 0
    while time.monotonic() < deadline:
        start = time.perf_counter()
        try:
            await memory.add(_message(session_id, writer, i), marks=[f"w{writer}", "load"])
        except Exception:
            tally.errors += 1
            tally.failed.setdefault(key, []).append(i)
        else:
            tally.add_latencies.append(time.perf_counter() - start)
            tally.adds += 1
            tally.acked[key] = i + 1
        i += 1
        if i % plan.read_every == 0:
            start = time.perf_counter()
            try:
                await memory.get_memory(mark=f"w{writer}", limit=READ_LIMIT)
            except Exception:
                tally.errors += 1
            else:
                tally.read_latencies.append(time.perf_counter() - start)
                tally.reads += 1


async def _drive(plan: Plan, process: int, start_at: float) -> Tally:
    tally = Tally()
    async with Opener(plan) as opener:
        memories = {s: opener.memory(s) for s in plan.session_ids(process)}
        await asyncio.sleep(max(0.0, start_at - time.time()))
        deadline = time.monotonic() + plan.seconds
        await asyncio.gather(
            *(
                _writer(memory, session_id, w, plan, deadline, tally)
                for session_id, memory in memories.items()
                for w in range(plan.writers)
            )
        )
    return tally


def _process_main(plan: Plan, process: int, start_at: float) -> Tally:
    return asyncio.run(_drive(plan, process, start_at))


@dataclass
class Verdict:
    """The verification pass over every session."""

    stored: int = 0
    lost: int = 0
    duplicated: int = 0
    misordered: int = 0
    bad_marks: int = 0
    torn: int = 0


async def _verify(plan: Plan, tallies: list[Tally]) -> Verdict:
    acked: dict[tuple[str, int], int] = {}
    failed: dict[tuple[str, int], list[int]] = {}
    for tally in tallies:
        acked.update(tally.acked)
        failed.update(tally.failed)
    verdict = Verdict()
    async with Opener(plan) as opener:
        for process in range(plan.processes):
            for session_id in plan.session_ids(process):
                state = await opener.memory(session_id).export_state()
                ids = [entry[0]["id"] for entry in state["content"]]
                verdict.stored += len(ids)
                verdict.duplicated += len(ids) - len(set(ids))
                present = set(ids)
                for writer in range(plan.writers):
                    own = [int(i.split("-")[1]) for i in ids if i.startswith(f"w{writer}-")]
                    verdict.misordered += sum(a >= b for a, b in itertools.pairwise(own))
                    expected = set(range(acked.get((session_id, writer), 0)))
                    expected -= set(failed.get((session_id, writer), []))
                    verdict.lost += len({f"w{writer}-{i}" for i in expected} - present)
                marks = sorted(["load"])
                for entry in state["content"]:
                    writer_mark = entry[0]["id"].split("-")[0]
                    verdict.bad_marks += entry[1] != sorted([*marks, writer_mark])
    return verdict


def _quantile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def _cleanup(plan: Plan) -> None:
    """Remove what the run created on a server the benchmark did not start."""
    if plan.backend == "redis":
        from redis.asyncio import Redis

        client = Redis.from_url(plan.url)
        async for key in client.scan_iter(match=f"{plan.prefix}*", count=1000):
            await client.delete(key)
        await client.aclose()
        return
    from sqlalchemy import MetaData
    from sqlalchemy.ext.asyncio import create_async_engine

    engine = create_async_engine(plan.url)
    async with engine.begin() as conn:
        metadata = MetaData()
        await conn.run_sync(lambda sync: metadata.reflect(sync))
        doomed = [t for t in metadata.sorted_tables if t.name.startswith(plan.prefix)]
        await conn.run_sync(lambda sync: metadata.drop_all(sync, tables=doomed))
    await engine.dispose()


def _private_server(backend: str) -> Any:
    from tests.faults.servers import PrivateMariaDB, PrivatePostgres, PrivateRedis

    server = {"postgres": PrivatePostgres, "mysql": PrivateMariaDB, "redis": PrivateRedis}[
        backend
    ]()
    server.start()
    return server


def main() -> None:
    """Parse flags, run the load, verify, print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--backend", choices=["sqlite", "postgres", "mysql", "redis"], required=True
    )
    parser.add_argument("--url", help="existing server (default: a private throw-away one)")
    parser.add_argument("--processes", type=int, default=4)
    parser.add_argument("--sessions", type=int, default=200)
    parser.add_argument("--writers", type=int, default=2, help="writer coroutines per session")
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--read-every", type=int, default=4, help="one read per N adds")
    args = parser.parse_args()

    server = None
    url = args.url
    workdir = tempfile.TemporaryDirectory(prefix="memmark-load-")
    if url is None and args.backend == "sqlite":
        url = f"sqlite+aiosqlite:///{workdir.name}/load.db"
    elif url is None:
        server = _private_server(args.backend)
        url = server.url
    plan = Plan(
        backend=args.backend,
        url=url,
        prefix=f"load_{uuid.uuid4().hex[:8]}_",
        processes=args.processes,
        sessions=args.sessions,
        writers=args.writers,
        seconds=args.seconds,
        read_every=args.read_every,
    )
    try:
        spawn = multiprocessing.get_context("spawn")
        start_at = time.time() + 3.0  # let every process import and connect first
        with spawn.Pool(plan.processes) as pool:
            tallies = pool.starmap(
                _process_main, [(plan, p, start_at) for p in range(plan.processes)]
            )
        verify_start = time.monotonic()
        verdict = asyncio.run(_verify(plan, tallies))
        verify_seconds = time.monotonic() - verify_start
        _report(plan, tallies, verdict, verify_seconds)
        if args.url is not None:
            asyncio.run(_cleanup(plan))
    finally:
        if server is not None:
            server.stop()
        workdir.cleanup()
    if verdict.lost or verdict.duplicated or verdict.misordered or verdict.bad_marks:
        sys.exit(1)


def _report(plan: Plan, tallies: list[Tally], verdict: Verdict, verify_seconds: float) -> None:
    adds = sum(t.adds for t in tallies)
    reads = sum(t.reads for t in tallies)
    errors = sum(t.errors for t in tallies)
    add_lat = [x for t in tallies for x in t.add_latencies]
    read_lat = [x for t in tallies for x in t.read_latencies]
    print(
        f"backend: {plan.backend}  processes: {plan.processes}  sessions: {plan.sessions}  "
        f"writers/session: {plan.writers}  seconds: {plan.seconds:g}"
    )
    print(
        f"adds/s: {adds / plan.seconds:.0f}  reads/s: {reads / plan.seconds:.0f}  errors: {errors}"
    )
    print(
        f"add latency p50/p99: {_quantile(add_lat, 0.5) * 1000:.1f}/"
        f"{_quantile(add_lat, 0.99) * 1000:.1f} ms  read latency p50/p99: "
        f"{_quantile(read_lat, 0.5) * 1000:.1f}/{_quantile(read_lat, 0.99) * 1000:.1f} ms"
    )
    print(
        f"verified {verdict.stored} messages in {verify_seconds:.1f}s: lost: {verdict.lost}, "
        f"duplicated: {verdict.duplicated}, misordered: {verdict.misordered}, "
        f"marks wrong: {verdict.bad_marks}"
    )


if __name__ == "__main__":
    main()
