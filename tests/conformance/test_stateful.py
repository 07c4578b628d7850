"""Random operation sequences on each backend, compared step by step with a tiny model."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Coroutine
from datetime import timedelta
from typing import Any, TypeVar

import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, rule, run_state_machine_as_test

from memmark.errors import ConflictError
from memmark.memory import MemoryBase
from memmark.message import Msg
from tests.registry import Backend, Provider

T = TypeVar("T")
IDS = [f"id{i}" for i in range(8)]
MARKS = ["a", "b", "c"]
marks_or_none = st.none() | st.sampled_from(MARKS)


class Model:
    """What a memory should hold: ordered (id, content, marks) plus the summary."""

    def __init__(self) -> None:
        self.rows: list[tuple[str, str, set[str]]] = []
        self.summary = ""

    def add(self, batch: list[tuple[str, str]], marks: list[str]) -> None:
        for msg_id, content in batch:
            if all(row[0] != msg_id for row in self.rows):
                self.rows.append((msg_id, content, set(marks)))

    def delete(self, ids: list[str]) -> int:
        before = len(self.rows)
        self.rows = [row for row in self.rows if row[0] not in ids]
        return before - len(self.rows)

    def delete_by_mark(self, marks: list[str]) -> int:
        before = len(self.rows)
        self.rows = [row for row in self.rows if row[2].isdisjoint(marks)]
        return before - len(self.rows)

    def relabel(self, new: str | None, old: str | None, ids: list[str] | None) -> int:
        changed = 0
        for msg_id, _, marks in self.rows:
            if (ids is not None and msg_id not in ids) or (old is not None and old not in marks):
                continue
            before = set(marks)
            marks.discard(old or "")
            if new is not None:
                marks.add(new)
            changed += marks != before
        return changed

    def pop(self) -> str | None:
        return self.rows.pop()[1] if self.rows else None

    def rewind(self, msg_id: str) -> int:
        ids = [row[0] for row in self.rows]
        if msg_id not in ids:
            return 0
        kept = ids.index(msg_id)
        removed = len(self.rows) - kept
        self.rows = self.rows[:kept]
        return removed

    def compress(self, summary: str, ids: list[str], mark: str | None) -> int:
        self.summary = summary
        if mark is None:
            return self.delete(ids)
        return self.relabel(mark, None, ids)

    def select(self, mark: str | None, exclude: str | None, limit: int | None) -> list[str]:
        rows = [r[1] for r in self.rows if (mark is None or mark in r[2]) and exclude not in r[2]]
        return rows[max(0, len(rows) - limit) :] if limit else ([] if limit == 0 else rows)


def _machine(run: Any, factory: Any) -> type[RuleBasedStateMachine]:
    class MemoryMachine(RuleBasedStateMachine):
        memory: MemoryBase

        @initialize()
        def open_memory(self) -> None:
            self.model = Model()
            self.counter = 0
            self.seen_version = 0
            self.memory = run(factory(session_id=str(uuid.uuid4())))

        @rule(
            ids=st.lists(st.sampled_from(IDS), max_size=4),
            marks=st.lists(st.sampled_from(MARKS), max_size=2),
        )
        def add(self, ids: list[str], marks: list[str]) -> None:
            batch = []
            for msg_id in ids:
                self.counter += 1
                batch.append((msg_id, f"c{self.counter}"))
            msgs = []
            for msg_id, content in batch:
                message = Msg("n", content, "user")
                message.id = msg_id
                msgs.append(message)
            run(self.memory.add(msgs, marks=marks))
            self.model.add(batch, marks)

        @rule(ids=st.lists(st.sampled_from(IDS), max_size=3))
        def delete(self, ids: list[str]) -> None:
            assert run(self.memory.delete(ids)) == self.model.delete(ids)

        @rule(marks=st.lists(st.sampled_from(MARKS), min_size=1, max_size=2))
        def delete_by_mark(self, marks: list[str]) -> None:
            assert run(self.memory.delete_by_mark(marks)) == self.model.delete_by_mark(marks)

        @rule(
            marks=st.lists(st.sampled_from(MARKS), min_size=1, max_size=2),
            keep_all=st.booleans(),
        )
        def delete_by_mark_older_than(self, marks: list[str], keep_all: bool) -> None:
            """An age no message reaches removes nothing; age zero is ``delete_by_mark``."""
            age = timedelta(days=3650) if keep_all else timedelta(0)
            removed = run(self.memory.delete_by_mark(marks, older_than=age))
            assert removed == (0 if keep_all else self.model.delete_by_mark(marks))

        @rule(
            new=marks_or_none,
            old=marks_or_none,
            ids=st.none() | st.lists(st.sampled_from(IDS), max_size=3),
        )
        def relabel(self, new: str | None, old: str | None, ids: list[str] | None) -> None:
            expected = self.model.relabel(new, old, ids)
            assert run(self.memory.update_messages_mark(new, old, ids)) == expected

        @rule(summary=st.sampled_from(["", "short", "another summary"]))
        def summarise(self, summary: str) -> None:
            run(self.memory.update_compressed_summary(summary))
            self.model.summary = summary

        @rule()
        def pop(self) -> None:
            popped = run(self.memory.pop())
            assert (None if popped is None else popped.content) == self.model.pop()

        @rule(msg_id=st.sampled_from(IDS))
        def rewind(self, msg_id: str) -> None:
            assert run(self.memory.rewind(msg_id)) == self.model.rewind(msg_id)

        @rule(
            summary=st.sampled_from(["", "compressed so far"]),
            ids=st.lists(st.sampled_from(IDS), max_size=4, unique=True),
            mark=marks_or_none,
        )
        def compress(self, summary: str, ids: list[str], mark: str | None) -> None:
            expected = self.model.compress(summary, ids, mark)
            assert run(self.memory.compress(summary, ids, mark=mark)) == expected

        @rule(upto=st.none() | st.sampled_from(IDS))
        def fork(self, upto: str | None) -> None:
            ids = [row[0] for row in self.model.rows]
            if upto is not None and upto not in ids:
                return
            fork = run(self.memory.fork(str(uuid.uuid4()), upto=upto))
            rows = self.model.rows if upto is None else self.model.rows[: ids.index(upto) + 1]
            state = run(fork.export_state())
            assert state["_compressed_summary"] == self.model.summary
            assert [(e[0]["id"], e[0]["content"], e[1]) for e in state["content"]] == [
                (msg_id, content, sorted(marks)) for msg_id, content, marks in rows
            ]
            run(fork.clear())

        @rule(summary=st.sampled_from(["", "short", "guarded summary"]))
        def guarded_summarise(self, summary: str) -> None:
            version = run(self.memory.version())
            assert version >= self.seen_version
            run(self.memory.update_compressed_summary(summary, expected_version=version))
            changed = summary != self.model.summary
            self.model.summary = summary
            self.seen_version = run(self.memory.version())
            assert (self.seen_version > version) == changed
            if changed:
                with pytest.raises(ConflictError):
                    run(self.memory.clear(expected_version=version))

        @rule()
        def clear(self) -> None:
            run(self.memory.clear())
            self.model = Model()

        @rule(
            mark=marks_or_none,
            exclude=marks_or_none,
            limit=st.none() | st.integers(0, 5),
            prepend=st.booleans(),
        )
        def get_memory(
            self, mark: str | None, exclude: str | None, limit: int | None, prepend: bool
        ) -> None:
            got = run(self.memory.get_memory(mark, exclude, prepend, limit=limit))
            expected = self.model.select(mark, exclude, limit)
            if prepend and self.model.summary:
                expected.insert(0, self.model.summary)
            assert [m.content for m in got] == expected

        @rule()
        def export(self) -> None:
            state = run(self.memory.export_state())
            assert state["_compressed_summary"] == self.model.summary
            assert [(e[0]["id"], e[0]["content"], e[1]) for e in state["content"]] == [
                (msg_id, content, sorted(marks)) for msg_id, content, marks in self.model.rows
            ]
            assert run(self.memory.size()) == len(self.model.rows)

    return MemoryMachine


def test_random_operation_sequences_match_the_model(
    backend_provider: Provider, request: pytest.FixtureRequest
) -> None:
    backend: Backend = request.node.callspec.params["backend_provider"]
    examples = max(10, round(settings.default.max_examples * backend.repeat_share))
    with asyncio.Runner() as runner:

        def run(coro: Coroutine[Any, Any, T]) -> T:
            return runner.run(coro)

        context = backend_provider()
        factory = run(context.__aenter__())
        try:
            machine = _machine(run, factory)
            run_state_machine_as_test(
                machine,
                settings=settings(settings.default, max_examples=examples, stateful_step_count=30),
            )
        finally:
            run(context.__aexit__(None, None, None))
