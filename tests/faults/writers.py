"""Writer processes for fault tests, and the check of what survived them.

Writer ``w`` adds batches ``w{w}-{i}-a`` / ``w{w}-{i}-b`` with marks ``w{w}`` and ``all``,
``i`` counting up, and records per batch whether ``add`` returned (``"ok"``) or which
exception it raised. :func:`check_survivors` then asserts exactly what must have survived.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from dataclasses import dataclass
from multiprocessing.sharedctypes import Synchronized
from multiprocessing.synchronize import Event
from typing import Any

from memmark.message import Msg
from tests.faults.targets import Target, make_engine, opened

PARTS = ("a", "b")
UNAVAILABLE = "memmark.errors.StorageUnavailableError"
BACKOFF_SECONDS = 0.02
"""Pause after a failed add, so a writer does not spin while the server is down."""

Outcome = tuple[int, str]
"""``(batch number, "ok" or the qualified name of the exception add raised)``."""


def batch(writer: int, i: int, size: int = len(PARTS)) -> list[Msg]:
    """The messages of batch ``i`` of ``writer``; each message's content is its id."""
    msgs = []
    for part in (PARTS + tuple(f"p{n}" for n in range(size)))[:size]:
        msg_id = f"w{writer}-{i}-{part}"
        msg = Msg(f"writer{writer}", msg_id, "user")
        msg.id = msg_id
        msgs.append(msg)
    return msgs


def marks_of(writer: int) -> list[str]:
    """The marks every message of ``writer`` carries."""
    return [f"w{writer}", "all"]


def _describe(exc: BaseException) -> str:
    """The exception and its chain of causes, one per line."""
    chain = []
    seen: BaseException | None = exc
    while seen is not None and len(chain) < 5:
        chain.append(f"{type(seen).__qualname__}: {seen}"[:300])
        seen = seen.__cause__ or getattr(seen, "orig", None)
    return " <- ".join(chain)


def _bump(counter: Synchronized[int]) -> None:
    with counter.get_lock():
        counter.value += 1


def run_writer(
    target: Target,
    writer: int,
    oks: Synchronized[int],
    errors: Synchronized[int],
    stop: Event,
    results: Any,
    batch_size: int = len(PARTS),
) -> None:
    """Process entry: add batches until ``stop``, then put on ``results``.

    What it puts is ``(writer, outcomes, details)``; ``details`` maps each exception name to
    the first such exception's message and its cause, for a failing test to show.
    """
    details: dict[str, str] = {}
    outcomes = asyncio.run(_write(target, writer, oks, errors, stop, batch_size, details))
    results.put((writer, outcomes, details))


async def _write(
    target: Target,
    writer: int,
    oks: Synchronized[int],
    errors: Synchronized[int],
    stop: Event,
    batch_size: int,
    details: dict[str, str],
) -> list[Outcome]:
    outcomes: list[Outcome] = []
    async with opened(target) as memory:
        i = 0
        while not stop.is_set():
            try:
                await memory.add(batch(writer, i, batch_size), marks=marks_of(writer))
            except Exception as exc:
                name = f"{type(exc).__module__}.{type(exc).__qualname__}"
                details.setdefault(name, _describe(exc))
                outcomes.append((i, name))
                _bump(errors)
                await asyncio.sleep(BACKOFF_SECONDS)
            else:
                outcomes.append((i, "ok"))
                _bump(oks)
            i += 1
    return outcomes


def run_writer_blocked_at_commit(target: Target, committed: int, in_transaction: Event) -> None:
    """Process entry: commit ``committed`` batches, then block inside the next COMMIT.

    The last write is an ``import_state`` replacing the session with other messages. The
    process signals ``in_transaction`` once every statement of it has run and the commit is
    about to be sent, then sleeps until the test SIGKILLs it.
    """
    asyncio.run(_write_then_block(target, committed, in_transaction))


async def _write_then_block(target: Target, committed: int, in_transaction: Event) -> None:
    from sqlalchemy import event

    engine = make_engine(target)
    async with opened(target, engine=engine) as memory:
        for i in range(committed):
            await memory.add(batch(0, i), marks=marks_of(0))

        def block(_connection: Any) -> None:
            in_transaction.set()
            time.sleep(3600)

        event.listen(engine.sync_engine, "commit", block)
        replacement = [[m.to_dict(), marks_of(1)] for m in batch(1, 0)]
        await memory.import_state({"_compressed_summary": "new", "content": replacement})


@dataclass(frozen=True)
class Survivors:
    """What a fault test's writers left behind."""

    stored: int
    """Messages stored."""
    failed_adds: int
    """Adds that raised."""
    failed_but_stored: int
    """Adds that raised although their batch was stored (the commit reply was lost)."""


def check_survivors(
    state: dict[str, Any], outcomes: dict[int, Sequence[Outcome]], batch_size: int = len(PARTS)
) -> Survivors:
    """Assert exactly what must have survived, from an ``export_state`` and the outcomes.

    Every batch whose add returned is stored once, each writer's messages are in the order
    it added them, a batch whose add raised is stored whole or not at all, every stored
    message carries exactly its writer's marks, and nothing else is stored.
    """
    ids = [entry[0]["id"] for entry in state["content"]]
    assert len(ids) == len(set(ids)), "a message is stored twice"
    marks = {entry[0]["id"]: entry[1] for entry in state["content"]}
    assert all(entry[0]["content"] == entry[0]["id"] for entry in state["content"])
    failed = failed_but_stored = 0
    attempted: set[str] = set()
    for writer, writer_outcomes in outcomes.items():
        order = {
            msg.id: n
            for n, msg in enumerate(
                m for i, _ in writer_outcomes for m in batch(writer, i, batch_size)
            )
        }
        attempted |= order.keys()
        own = [msg_id for msg_id in ids if msg_id.startswith(f"w{writer}-")]
        assert own == sorted(own, key=order.__getitem__), f"writer {writer} is out of order"
        present = set(own)
        for i, outcome in writer_outcomes:
            members = {msg.id for msg in batch(writer, i, batch_size)}
            if outcome == "ok":
                assert members <= present, f"batch {i} of writer {writer} returned but is lost"
                continue
            failed += 1
            assert members <= present or not members & present, f"batch {i} is partial"
            failed_but_stored += members <= present
        for msg_id in own:
            assert marks[msg_id] == sorted(marks_of(writer)), f"{msg_id} has marks {marks[msg_id]}"
    assert set(ids) <= attempted, "a message nobody added is stored"
    return Survivors(len(ids), failed, failed_but_stored)
