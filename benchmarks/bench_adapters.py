"""Cost of the framework adapters on top of the bare memmark call, on SQLite and Redis.

p50 of one ``aadd_messages`` (LangChain) / ``add_items`` (Agents SDK) of one message, and of
``aget_messages`` / ``get_items(limit=20)``, each against the bare memmark call on the same
bytes: a write against ``memory.add(Msg(...))`` of the very ``Msg`` the adapter stores for that
message (name, content, role and metadata: the same payload), built in the call as a memmark
user builds it; a read against ``get_memory(limit=20)`` on the adapter's own session. The
framework's message exists before the call, as the framework hands it over (its construction is
the framework's cost, not the adapter's), so each ratio is the conversion alone. Reads are also
shown against a session of plain ``Msg``: the difference is what the adapter's metadata adds to
the stored bytes. ``InMemoryMemory`` comes first: without I/O, its differences are the
adapters' CPU cost in microseconds. Each run executes every operation once, in an order that
rotates from run to run, so a shared machine's background load hits them alike: quote the
ratios. Target (issue #19): each adapter operation <= 1.2x its bare call on SQLite and Redis.

    python benchmarks/bench_adapters.py [--runs 300] [--redis-host 127.0.0.1] [--redis-port 6379]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from langchain_core.messages import AIMessage, HumanMessage
from sqlalchemy.ext.asyncio import create_async_engine

from memmark.integrations import langchain, openai_agents
from memmark.integrations.langchain import MemmarkChatMessageHistory
from memmark.integrations.openai_agents import MemmarkSession
from memmark.memory import AsyncSQLAlchemyMemory, InMemoryMemory, MemoryBase, RedisMemory
from memmark.message import Msg

PREFILL = 100
WARMUP = 20
TEXT = "lorem ipsum " * 8
Operation = Callable[[int], Awaitable[object]]
Factory = Callable[[str], MemoryBase]


def agents_item(i: int) -> Any:
    if i % 2 == 0:
        return {"role": "user", "content": f"message {i}: {TEXT}"}
    part = {
        "type": "output_text",
        "text": f"message {i}: {TEXT}",
        "annotations": [],
        "logprobs": [],
    }
    return {
        "id": f"msg_{i}",
        "type": "message",
        "role": "assistant",
        "status": "completed",
        "content": [part],
    }


def lc_message(i: int) -> Any:
    cls = HumanMessage if i % 2 == 0 else AIMessage
    return cls(f"message {i}: {TEXT}")


async def measure(operations: dict[str, Operation], runs: int) -> dict[str, float]:
    """p50 in microseconds of each operation, the order rotating from run to run.

    Each operation is called with ``-WARMUP`` .. ``-1`` first (unmeasured), then ``0`` ..
    ``runs - 1``.
    """
    names = list(operations)
    for i in range(min(WARMUP, runs)):
        for name in names:
            await operations[name](-1 - i)
    times: dict[str, list[float]] = {name: [] for name in names}
    for i in range(runs):
        shift = i % len(names)
        for name in names[shift:] + names[:shift]:
            start = time.perf_counter_ns()
            await operations[name](i)
            times[name].append((time.perf_counter_ns() - start) / 1000)
    return {name: statistics.median(values) for name, values in times.items()}


async def bench(label: str, factory: Factory, runs: int) -> None:
    bare, lc, agents = factory("bare"), factory("langchain"), factory("agents")
    history, session = MemmarkChatMessageHistory(lc, limit=20), MemmarkSession(agents)
    await bare.add([Msg("user", f"message {i}: {TEXT}", "user") for i in range(PREFILL)])
    await history.aadd_messages([lc_message(i) for i in range(PREFILL)])
    await session.add_items([agents_item(i) for i in range(PREFILL)])
    reads = await measure(
        {
            "bare get_memory(limit=20), plain Msg": lambda i: bare.get_memory(limit=20),
            "bare get_memory(limit=20), LangChain's session": lambda i: lc.get_memory(limit=20),
            "LangChain aget_messages (limit=20)": lambda i: history.aget_messages(),
            "bare get_memory(limit=20), Agents SDK's session": lambda i: agents.get_memory(
                limit=20
            ),
            "Agents SDK get_items(limit=20)": lambda i: session.get_items(limit=20),
        },
        runs,
    )
    bare_lc, bare_agents = factory("w-bare-lc"), factory("w-bare-agents")
    write_history = MemmarkChatMessageHistory(factory("w-lc"))
    write_session = MemmarkSession(factory("w-agents"))
    indexes = range(-WARMUP, runs)
    lc_messages = {i: lc_message(i) for i in indexes}
    items = {i: agents_item(i) for i in indexes}
    lc_fields = {i: msg_fields(langchain.to_msg(lc_messages[i])) for i in indexes}
    agents_fields = {i: msg_fields(openai_agents.to_msg(items[i])) for i in indexes}
    writes = await measure(
        {
            "bare add, LangChain's Msg": lambda i: bare_lc.add(Msg(*lc_fields[i])),
            "LangChain aadd_messages (one message)": lambda i: write_history.aadd_messages(
                [lc_messages[i]]
            ),
            "bare add, Agents SDK's Msg": lambda i: bare_agents.add(Msg(*agents_fields[i])),
            "Agents SDK add_items (one item)": lambda i: write_session.add_items([items[i]]),
        },
        runs,
    )
    print(f"\n{label} (p50, us; {runs} runs)")
    ratios = {
        "LangChain aget_messages (limit=20)": (
            "bare get_memory(limit=20), plain Msg",
            "bare get_memory(limit=20), LangChain's session",
        ),
        "Agents SDK get_items(limit=20)": (
            "bare get_memory(limit=20), plain Msg",
            "bare get_memory(limit=20), Agents SDK's session",
        ),
    }
    for name, value in reads.items():
        line = f"  {name:<50} {value:9.1f}"
        if name in ratios:
            plain, same = ratios[name]
            line += (
                f"   x{value / reads[same]:.2f} vs same bytes, x{value / reads[plain]:.2f} vs plain"
            )
        print(line)
    bare_writes = {
        "LangChain aadd_messages (one message)": "bare add, LangChain's Msg",
        "Agents SDK add_items (one item)": "bare add, Agents SDK's Msg",
    }
    for name, value in writes.items():
        line = f"  {name:<50} {value:9.1f}"
        if name in bare_writes:
            bare_add = writes[bare_writes[name]]
            line += f"   x{value / bare_add:.2f} vs same bytes (+{value - bare_add:.0f} us)"
        print(line)


def msg_fields(msg: Msg) -> tuple[str, Any, Any, dict[str, Any]]:
    """The arguments that build ``msg`` again (with a new id and timestamp)."""
    return msg.name, msg.content, msg.role, msg.metadata


def memory_factory(session_id: str) -> MemoryBase:
    return InMemoryMemory(session_id=session_id)


@asynccontextmanager
async def sqlite_factory() -> AsyncIterator[Factory]:
    with tempfile.TemporaryDirectory() as directory:
        engine = create_async_engine(f"sqlite+aiosqlite:///{Path(directory) / 'bench.db'}")
        try:
            yield lambda session_id: AsyncSQLAlchemyMemory(engine, session_id=session_id)
        finally:
            await engine.dispose()


@asynccontextmanager
async def redis_factory(host: str, port: int) -> AsyncIterator[Factory]:
    from redis.asyncio import Redis

    client = Redis(host=host, port=port)
    prefix = f"memmark-bench-{uuid.uuid4().hex[:12]}"
    try:
        yield lambda session_id: RedisMemory(
            session_id=session_id, client=client, key_prefix=prefix
        )
    finally:
        keys = [key async for key in client.scan_iter(match=f"{prefix}:*", count=1000)]
        for key in keys:
            await client.delete(key)
        await client.aclose()


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=300)
    parser.add_argument("--redis-host", default="127.0.0.1")
    parser.add_argument("--redis-port", type=int, default=6379)
    args = parser.parse_args()
    await bench("InMemoryMemory (no I/O: the adapters' CPU cost alone)", memory_factory, args.runs)
    async with sqlite_factory() as factory:
        await bench("SQLite (file, aiosqlite)", factory, args.runs)
    async with redis_factory(args.redis_host, args.redis_port) as factory:
        await bench(f"Redis {args.redis_host}:{args.redis_port}", factory, args.runs)


if __name__ == "__main__":
    asyncio.run(main())
