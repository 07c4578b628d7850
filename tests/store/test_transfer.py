from __future__ import annotations

from datetime import datetime, timezone

import pytest

from memmark.message import Msg
from memmark.store import StoreBase
from memmark.store._transfer import (
    ImportReport,
    copy,
    dump_record,
    export_sessions,
    import_sessions,
    load_records,
)
from tests.store.dict_store import DictStore

LONG_AGO = datetime(2020, 2, 3, 4, 5, 6, tzinfo=timezone.utc)
"""The last-update time of ``fill``'s session ("alice", "s:2"), kept by every copy."""


async def fill(store: StoreBase) -> None:
    """Three users, unicode and ids with '-' and ':', marks and a summary."""
    async with store.memory("alice", "s-1") as memory:
        await memory.add(Msg("Alice", "Hello ☃ \x00 end", "user"), marks=["b", "a"])
        await memory.add(Msg("bot", [{"type": "text", "text": "hi"}], "assistant"))
        await memory.update_compressed_summary("we said hello")
    async with store.memory("alice", "s:2") as memory:
        await memory.add(Msg("Alice", "second", "user"), marks="hint")
        await memory.import_state(await memory.export_state(), updated_at=LONG_AGO)
    async with store.memory("bob:x-y", "only") as memory:
        await memory.update_compressed_summary("summary only")


async def export_lines(store: StoreBase, **filters: object) -> list[str]:
    return [dump_record(record) async for record in export_sessions(store, **filters)]  # type: ignore[arg-type]


async def test_export_streams_one_record_per_session_in_id_order() -> None:
    store = DictStore()
    await fill(store)
    records = [record async for record in export_sessions(store, page_size=1)]
    assert [(r["user_id"], r["session_id"]) for r in records] == [
        ("alice", "s-1"),
        ("alice", "s:2"),
        ("bob:x-y", "only"),
    ]
    assert records[0]["state"]["_compressed_summary"] == "we said hello"
    assert records[0]["state"]["content"][0][1] == ["a", "b"]


async def test_export_filters_by_users_and_sessions() -> None:
    store = DictStore()
    await fill(store)
    only_alice = [r["session_id"] async for r in export_sessions(store, users=["alice"])]
    assert only_alice == ["s-1", "s:2"]
    by_session = [r["user_id"] async for r in export_sessions(store, sessions=["only"])]
    assert by_session == ["bob:x-y"]
    assert [r async for r in export_sessions(store, users=["nobody"])] == []


async def test_export_import_export_is_byte_identical() -> None:
    src, dst = DictStore(), DictStore()
    await fill(src)
    first = await export_lines(src)
    assert all(line.isascii() and "\n" not in line for line in first)
    report = await import_sessions(dst, load_records(line + "\n" for line in first))
    assert report == ImportReport(imported=3, skipped=0)
    assert await export_lines(dst) == first


async def test_reimport_skips_sessions_already_equal_and_replaces_changed_ones() -> None:
    src, dst = DictStore(), DictStore()
    await fill(src)
    records = [r async for r in export_sessions(src)]
    await import_sessions(dst, records)
    async with dst.memory("alice", "s:2") as memory:
        await memory.add(Msg("x", "extra", "user"))
    progress: list[ImportReport] = []
    report = await import_sessions(dst, records, on_progress=progress.append)
    assert report == ImportReport(imported=1, skipped=2)
    assert progress[-1] == report and len(progress) == 3
    assert await export_lines(dst) == await export_lines(src)


async def test_copy_is_resumable_and_filtered() -> None:
    src, dst = DictStore(), DictStore()
    await fill(src)
    assert await copy(src, dst, users=["alice"], sessions=["s-1"]) == ImportReport(1, 0)
    assert await copy(src, dst) == ImportReport(imported=2, skipped=1)
    assert await copy(src, dst) == ImportReport(imported=0, skipped=3)
    assert await export_lines(dst) == await export_lines(src)


@pytest.mark.parametrize(
    ("record", "error", "message"),
    [
        ([], TypeError, "record 1: a record must be a dict"),
        ({"user_id": "u", "session_id": "s"}, ValueError, "exactly the keys"),
        ({"user_id": "", "session_id": "s", "state": {}}, ValueError, "user_id must not be"),
        ({"user_id": "u", "session_id": "s", "state": {"content": []}}, ValueError, "missing"),
        (
            {"user_id": "u", "session_id": "s", "state": {"_compressed_summary": 1, "content": []}},
            TypeError,
            "record 1",
        ),
    ],
)
async def test_import_rejects_malformed_records(
    record: object, error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message):
        await import_sessions(DictStore(), [record])  # type: ignore[list-item]


def test_load_records_names_the_bad_line() -> None:
    lines = ['{"a": 1}\n', "\n", "not json\n"]
    with pytest.raises(ValueError, match="line 3: not valid JSON"):
        list(load_records(lines))
    with pytest.raises(ValueError, match="line 1: expected a JSON object"):
        list(load_records(["[1]"]))


async def test_filters_must_be_lists_of_valid_ids() -> None:
    store = DictStore()
    with pytest.raises(TypeError, match="user_id filter must be a list of ids"):
        [r async for r in export_sessions(store, users="alice")]
    with pytest.raises(ValueError, match="session_id must not be empty"):
        await copy(store, DictStore(), sessions=[""])
