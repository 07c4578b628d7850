"""``MemoryBase``'s own semantics, proven on a minimal dict-backed subclass, apart from any backend.

The subclass stores exactly what its primitives receive and logs every primitive call, so a
test can say both what the base class hands to a backend and what it never hands over.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

import pytest

from memmark.errors import ConflictError
from memmark.memory import MemoryBase, Snapshot, StoredMessage
from memmark.message import Msg


class DictMemory(MemoryBase):
    """The smallest backend: an ordered dict of records, a summary and a version counter."""

    def __init__(self, **ids: str) -> None:
        super().__init__(**ids)
        self.records: dict[str, StoredMessage] = {}
        self.summary = ""
        self.version_number = 0
        self.calls: list[tuple[str, object]] = []

    def _write(self, expected: int | None) -> None:
        """Check ``expected`` as every write primitive must, then count the write."""
        if expected is not None and expected != self.version_number:
            raise ConflictError(expected, self.version_number)
        self.version_number += 1

    async def _insert(self, records: Sequence[StoredMessage], *, expected: int | None) -> None:
        self.calls.append(("insert", [r.msg_id for r in records]))
        self._write(expected)
        for record in records:
            self.records.setdefault(record.msg_id, record)

    async def _select(
        self, *, mark: str | None, exclude_mark: str | None, limit: int | None, with_marks: bool
    ) -> Snapshot:
        self.calls.append(("select", limit))
        assert limit is None or limit >= 1
        found = [
            r
            for r in self.records.values()
            if (mark is None or mark in r.marks) and exclude_mark not in r.marks
        ]
        if limit is not None:
            found = found[-limit:]
        return Snapshot(self.summary, found)

    async def _count(self) -> int:
        self.calls.append(("count", None))
        return len(self.records)

    async def _remove_ids(self, msg_ids: tuple[str, ...], *, expected: int | None) -> int:
        self.calls.append(("remove_ids", msg_ids))
        self._write(expected)
        return sum(self.records.pop(i, None) is not None for i in msg_ids)

    async def _remove_marked(
        self, marks: tuple[str, ...], *, older_than_ms: int | None, expected: int | None
    ) -> int:
        self.calls.append(("remove_marked", (marks, older_than_ms)))
        self._write(expected)
        doomed = [i for i, r in self.records.items() if set(r.marks) & set(marks)]
        for msg_id in doomed:
            del self.records[msg_id]
        return len(doomed)

    async def _relabel(
        self,
        *,
        new_mark: str | None,
        old_mark: str | None,
        msg_ids: tuple[str, ...] | None,
        expected: int | None,
    ) -> int:
        self.calls.append(("relabel", (new_mark, old_mark, msg_ids)))
        self._write(expected)
        changed = 0
        for msg_id, record in list(self.records.items()):
            if msg_ids is not None and msg_id not in msg_ids:
                continue
            if old_mark is not None and old_mark not in record.marks:
                continue
            marks = [m for m in record.marks if m != old_mark]
            if new_mark is not None and new_mark not in marks:
                marks.append(new_mark)
            if set(marks) != set(record.marks):
                self.records[msg_id] = StoredMessage(msg_id, record.payload, tuple(marks))
                changed += 1
        return changed

    async def _pop(self, *, expected: int | None) -> StoredMessage | None:
        self.calls.append(("pop", None))
        self._write(expected)
        if not self.records:
            return None
        return self.records.pop(next(reversed(self.records)))

    async def _rewind(self, msg_id: str, *, expected: int | None) -> int:
        self.calls.append(("rewind", msg_id))
        self._write(expected)
        ids = list(self.records)
        if msg_id not in ids:
            return 0
        doomed = ids[ids.index(msg_id) :]
        for doomed_id in doomed:
            del self.records[doomed_id]
        return len(doomed)

    async def _compress(
        self, summary: str, msg_ids: tuple[str, ...], mark: str | None, *, expected: int | None
    ) -> int:
        self.calls.append(("compress", (summary, msg_ids, mark)))
        self._write(expected)
        self.summary = summary
        changed = 0
        for msg_id in msg_ids:
            record = self.records.get(msg_id)
            if record is None:
                continue
            if mark is None:
                del self.records[msg_id]
                changed += 1
            elif mark not in record.marks:
                self.records[msg_id] = StoredMessage(msg_id, record.payload, (*record.marks, mark))
                changed += 1
        return changed

    async def _fill(self, snapshot: Snapshot) -> bool:
        self.calls.append(("fill", len(snapshot.messages)))
        if self.records or self.summary:
            return False
        self.records = {r.msg_id: r for r in snapshot.messages}
        self.summary = snapshot.summary
        self.version_number += 1
        return True

    def _sibling(self, session_id: str) -> DictMemory:
        return DictMemory(user_id=self.user_id, session_id=session_id)

    async def _version(self) -> int:
        return self.version_number

    async def _set_summary(self, summary: str, *, expected: int | None) -> None:
        self.calls.append(("set_summary", summary))
        self._write(expected)
        self.summary = summary

    async def _wipe(self, *, expected: int | None) -> None:
        self.calls.append(("wipe", None))
        self._write(expected)
        self.records.clear()
        self.summary = ""


def msg(text: str, msg_id: str | None = None) -> Msg:
    message = Msg("Alice", text, "user")
    if msg_id is not None:
        message.id = msg_id
    return message


async def test_add_hands_over_each_id_once_with_the_calls_marks() -> None:
    memory = DictMemory()
    first = msg("a", "1")
    await memory.add([first, msg("b", "2"), msg("again", "1")], marks=["x", "y", "x"])
    assert memory.calls == [("insert", ["1", "2"])]
    assert [r.marks for r in memory.records.values()] == [("x", "y"), ("x", "y")]
    first.content = "changed later"
    assert [m.content for m in await memory.get_memory()] == ["a", "b"]


async def test_nothing_to_do_reaches_no_primitive() -> None:
    memory = DictMemory()
    await memory.add(None)
    await memory.add([])
    assert await memory.delete([]) == 0
    assert await memory.delete_by_mark([]) == 0
    assert await memory.update_messages_mark("m", "m") == 0
    assert await memory.update_messages_mark("m", msg_ids=[]) == 0
    assert memory.calls == []


async def test_bad_arguments_are_refused_before_any_primitive() -> None:
    memory = DictMemory()
    with pytest.raises(TypeError):
        await memory.add(["not a Msg"])  # type: ignore[list-item]
    with pytest.raises(ValueError):
        await memory.add(msg("a"), marks="")
    with pytest.raises(TypeError):
        await memory.delete_by_mark(None)  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        await memory.get_memory(limit=-1)
    with pytest.raises(TypeError):
        await memory.update_compressed_summary(3)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        await memory.import_state({"_compressed_summary": "", "content": [["not a msg", []]]})
    assert memory.calls == []
    with pytest.raises(ValueError):
        DictMemory(user_id="")


@pytest.mark.parametrize(
    ("older_than", "error", "words"),
    [
        (7, TypeError, "older_than must be a datetime.timedelta or None, got int"),
        ("7d", TypeError, "older_than must be a datetime.timedelta or None, got str"),
        (timedelta(seconds=-1), ValueError, "older_than must not be negative"),
    ],
)
async def test_a_bad_older_than_is_refused_before_any_primitive(
    older_than: object, error: type[Exception], words: str
) -> None:
    memory = DictMemory()
    with pytest.raises(error, match=words):
        await memory.delete_by_mark("m", older_than=older_than)  # type: ignore[arg-type]
    assert memory.calls == []


@pytest.mark.parametrize(
    ("older_than", "handed_over"),
    [
        (None, None),
        (timedelta(0), None),  # zero: every marked message, exactly as without an age
        (timedelta(microseconds=1), 1),  # rounded up: never taken for older than it is
        (timedelta(milliseconds=1500), 1500),
        (timedelta(days=7), 7 * 86_400_000),
    ],
)
async def test_older_than_reaches_the_primitive_in_whole_milliseconds(
    older_than: timedelta | None, handed_over: int | None
) -> None:
    memory = DictMemory()
    await memory.delete_by_mark(["m", "n"], older_than=older_than)
    assert memory.calls == [("remove_marked", (("m", "n"), handed_over))]


async def test_limit_zero_reads_only_the_summary() -> None:
    memory = DictMemory()
    await memory.add([msg("a"), msg("b")])
    await memory.update_compressed_summary("gist")
    memory.calls.clear()
    assert [m.content for m in await memory.get_memory(limit=0)] == ["gist"]
    assert await memory.get_memory(limit=0, prepend_summary=False) == []
    assert memory.calls == [("select", 1), ("select", 1)]


async def test_the_summary_is_prepended_as_a_user_message_unless_asked_not_to() -> None:
    memory = DictMemory()
    await memory.add([msg("a"), msg("b"), msg("c")])
    await memory.update_compressed_summary("gist")
    newest = await memory.get_memory(limit=2)
    assert [(m.role, m.content) for m in newest] == [("user", "gist"), ("user", "b"), ("user", "c")]
    assert [m.content for m in await memory.get_memory(prepend_summary=False)] == ["a", "b", "c"]


async def test_the_default_replace_wipes_inserts_then_sets_the_summary() -> None:
    source = DictMemory()
    await source.add(msg("a", "1"), marks="x")
    await source.update_compressed_summary("gist")
    state = await source.export_state()
    target = DictMemory()
    await target.add(msg("old", "9"))
    target.calls.clear()
    await target.import_state(state)
    assert target.calls == [("wipe", None), ("insert", ["1"]), ("set_summary", "gist")]
    assert await target.export_state() == state


async def test_size_pop_and_clear_are_their_primitives() -> None:
    memory = DictMemory()
    await memory.add([msg("a"), msg("b"), msg("c")])
    popped = await memory.pop()
    assert popped is not None and popped.content == "c"
    assert await memory.size() == 2
    await memory.clear()
    assert await memory.size() == 0
    assert ("wipe", None) in memory.calls


async def test_a_payload_over_the_backends_limit_is_refused_before_insert() -> None:
    from memmark.errors import ContentTooLargeError

    class Tiny(DictMemory):
        max_payload_bytes = 64

    memory = Tiny()
    with pytest.raises(ContentTooLargeError):
        await memory.add([msg("small"), msg("x" * 100)])
    assert memory.calls == []
