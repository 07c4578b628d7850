"""RedisMemory against a raw redis-py baseline, on an empty and on a populated server.

The baseline stores the same data the minimal way: per message one pipelined ``RPUSH`` of
the id onto a session list and one ``SET`` of the payload (no dedup, no marks, no atomicity);
it reads with ``LRANGE`` then ``MGET``. Populated means 2,000 other sessions x 100 messages
under the same key prefix. Everything is written under a random prefix and deleted after.

    python benchmarks/bench_redis.py [--host 127.0.0.1] [--port 6379] [--runs 300]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
import uuid
from collections.abc import Awaitable, Callable

from redis.asyncio import Redis

from memmark._core._record import encode_payload
from memmark.memory import RedisMemory
from memmark.message import Msg

OTHER_SESSIONS = 2_000
MESSAGES_PER_SESSION = 100


def message(i: int) -> Msg:
    return Msg("Alice", f"message {i}: " + "lorem ipsum " * 8, "user")


async def measure(
    operations: dict[str, Callable[[int], Awaitable[object]]], runs: int
) -> dict[str, tuple[float, float]]:
    """p50 and p95 in microseconds of each operation, the operations interleaved per run.

    Interleaving exposes every operation to the same background load, so their ratio holds
    even on a busy machine.
    """
    for i in range(min(20, runs)):
        for operation in operations.values():
            await operation(-1 - i)
    times: dict[str, list[float]] = {name: [] for name in operations}
    for i in range(runs):
        for name, operation in operations.items():
            start = time.perf_counter_ns()
            await operation(i)
            times[name].append((time.perf_counter_ns() - start) / 1000)
    result = {}
    for name, values in times.items():
        values.sort()
        result[name] = (statistics.median(values), values[int(len(values) * 0.95) - 1])
    return result


class Bench:
    def __init__(self, client: Redis, prefix: str, runs: int) -> None:
        self.client = client
        self.prefix = prefix
        self.runs = runs
        self.rows: list[tuple[str, str, float, float]] = []

    async def record(
        self,
        phase: str,
        operations: dict[str, Callable[[int], Awaitable[object]]],
        runs: int | None = None,
    ) -> None:
        for name, (p50, p95) in (await measure(operations, runs or self.runs)).items():
            self.rows.append((phase, name, p50, p95))

    def memory(self, session: str) -> RedisMemory:
        return RedisMemory(
            user_id="bench", session_id=session, client=self.client, key_prefix=self.prefix
        )

    async def raw_add(self, session: str, msgs: list[Msg], prefix: str | None = None) -> None:
        base = f"{prefix or self.prefix}:raw:{session}"
        pipe = self.client.pipeline(transaction=False)
        for msg in msgs:
            pipe.rpush(f"{base}:list", msg.id)
            pipe.set(f"{base}:msg:{msg.id}", encode_payload(msg))
        await pipe.execute()

    async def raw_get(self, session: str) -> list[object]:
        ids = await self.client.lrange(f"{self.prefix}:raw:{session}:list", 0, -1)
        if not ids:
            return []
        keys = [f"{self.prefix}:raw:{session}:msg:{i.decode()}" for i in ids]
        return list(await self.client.mget(keys))

    async def phase(self, phase: str) -> None:
        tag = f"{phase}-{uuid.uuid4().hex[:6]}"
        single = self.memory(f"single-{tag}")
        await self.record(
            phase,
            {
                "add 1 (memmark)": lambda i: single.add(message(i)),
                "add 1 (raw RPUSH+SET)": lambda i: self.raw_add(f"single-{tag}", [message(i)]),
                "add 1, new memory object (memmark)": lambda i: self.memory(f"fresh-{tag}").add(
                    message(i)
                ),
            },
        )
        batch = self.memory(f"batch-{tag}")
        await self.record(
            phase,
            {
                "add 100 (memmark)": lambda i: batch.add(
                    [message(i * 100 + j) for j in range(100)]
                ),
                "add 100 (raw)": lambda i: self.raw_add(
                    f"batch-{tag}", [message(i * 100 + j) for j in range(100)]
                ),
            },
            runs=max(20, self.runs // 5),
        )
        reader = self.memory(f"read-{tag}")
        msgs = [message(i) for i in range(100)]
        await reader.add(msgs[:90])
        await reader.add(msgs[90:], marks="hint")
        await self.raw_add(f"read-{tag}", msgs)
        await self.record(
            phase,
            {
                "get_memory, 100 msgs (memmark)": lambda i: reader.get_memory(),
                "get_memory, 100 msgs (raw LRANGE+MGET)": lambda i: self.raw_get(f"read-{tag}"),
                "get_memory(mark), 10 of 100 (memmark)": lambda i: reader.get_memory(mark="hint"),
            },
            runs=max(20, self.runs // 2),
        )

    async def large_session(self) -> None:
        memory = self.memory(f"large-{uuid.uuid4().hex[:6]}")
        for start in range(0, 10_000, 1_000):
            batch = [message(i) for i in range(start, start + 1_000)]
            await memory.add([m for k, m in enumerate(batch) if k % 100])
            await memory.add([m for k, m in enumerate(batch) if not k % 100], marks="hot")
        assert len(await memory.get_memory(mark="hot")) == 100
        await self.record(
            "10k session",
            {
                "get_memory(mark), 100 of 10,000": lambda i: memory.get_memory(mark="hot"),
                "get_memory(mark, limit=10), of 10,000": lambda i: memory.get_memory(
                    mark="hot", limit=10
                ),
            },
            runs=max(20, self.runs // 5),
        )
        await self.record(
            "10k session", {"get_memory(), 10,000": lambda i: memory.get_memory()}, runs=5
        )

    async def populate(self) -> None:
        async def fill(session: int) -> None:
            memory = RedisMemory(
                user_id=f"other{session % 50}",
                session_id=f"s{session}",
                client=self.client,
                key_prefix=self.prefix,
            )
            await memory.add(
                [message(i) for i in range(MESSAGES_PER_SESSION)],
                marks=["hint"] if session % 3 == 0 else None,
            )
            raw = [message(i) for i in range(MESSAGES_PER_SESSION)]
            await self.raw_add(f"other{session}", raw, prefix=self.prefix + "-others")

        for start in range(0, OTHER_SESSIONS, 50):
            await asyncio.gather(*(fill(s) for s in range(start, start + 50)))


async def cleanup(client: Redis, prefix: str) -> None:
    batch = []
    async for key in client.scan_iter(match=f"{prefix}:*", count=5000):
        batch.append(key)
        if len(batch) >= 5000:
            await client.delete(*batch)
            batch = []
    if batch:
        await client.delete(*batch)


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=6379)
    parser.add_argument("--runs", type=int, default=300)
    args = parser.parse_args()
    client = Redis(host=args.host, port=args.port)
    prefix = f"memmark-bench-{uuid.uuid4().hex[:10]}"
    bench = Bench(client, prefix, args.runs)
    others = prefix + "-others"
    try:
        await bench.phase("empty")
        await bench.large_session()
        started = time.perf_counter()
        await bench.populate()
        print(
            f"populated {OTHER_SESSIONS} sessions x {MESSAGES_PER_SESSION} messages (memmark "
            f"and raw) in {time.perf_counter() - started:.1f}s"
        )
        await bench.phase("populated")
        await cleanup(client, others)
        await bench.phase("empty again")
    finally:
        await cleanup(client, prefix)
        await cleanup(client, others)
        await client.aclose()
    p50s: dict[tuple[str, str], list[float]] = {}
    for phase, name, p50, _ in bench.rows:
        p50s.setdefault(("empty" if phase == "empty again" else phase, name), []).append(p50)
    by_key = {key: statistics.mean(values) for key, values in p50s.items()}
    print(f"{'phase':<12} {'operation':<42} {'p50 us':>9} {'p95 us':>9}")
    for phase, name, p50, p95 in bench.rows:
        print(f"{phase:<12} {name:<42} {p50:>9.0f} {p95:>9.0f}")
    for phase in ("empty", "populated"):
        ratio = by_key[(phase, "add 1 (memmark)")] / by_key[(phase, "add 1 (raw RPUSH+SET)")]
        print(f"{phase}: single add memmark / raw p50 = {ratio:.2f}")
    print("populated / empty p50 (empty: mean of the phases before and after):")
    for name in (
        "add 1 (memmark)",
        "add 1 (raw RPUSH+SET)",
        "add 100 (memmark)",
        "get_memory, 100 msgs (memmark)",
        "get_memory(mark), 10 of 100 (memmark)",
    ):
        print(f"  {name:<42} {by_key[('populated', name)] / by_key[('empty', name)]:.2f}")
    drift = {
        name: by_key[("populated", name)] / by_key[("empty", name)]
        for name in ("add 1 (memmark)", "add 1 (raw RPUSH+SET)")
    }
    relative = drift["add 1 (memmark)"] / drift["add 1 (raw RPUSH+SET)"]
    print(f"  single add drift relative to the raw baseline's drift: {relative:.2f}")


if __name__ == "__main__":
    asyncio.run(main())
