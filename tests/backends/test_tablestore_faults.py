"""A failure at every request of every TablestoreMemory write leaves the session usable.

Each write operation runs once cleanly to learn how many requests it makes; then, for every
k, a fresh session runs it with the k-th request failing (the connection breaks before the
request arrives, after it was applied, or one row of a batch is refused). Whatever the
operation raised, the session must be unlocked, its stored count must match its messages,
and repeating the operation must reach the state of the clean run.
"""

from __future__ import annotations

import contextlib
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from memmark import BackendError, MemmarkError, StorageUnavailableError
from memmark.backends.tablestore import _schema
from memmark.backends.tablestore._session import session_key
from memmark.memory import TablestoreMemory
from tests.conformance.helpers import marks_by_content, msg
from tests.fakes.tablestore_emulator import EmulatedOTSClient, TablestoreEmulator

from tablestore import OTSServiceError  # isort: skip  (loaded quietly by the emulator)

Operation = Callable[[TablestoreMemory], Awaitable[Any]]

STATE = {
    "content": [[msg("imported", msg_id="imported-0").to_dict(), ["m"]]],
    "_compressed_summary": "imported",
}


async def _fill(memory: TablestoreMemory) -> None:
    await memory.add(
        [msg(f"m{i}", msg_id=f"id-{i}") for i in range(5)],
        marks=None,
    )
    await memory.update_messages_mark("odd", msg_ids=["id-1", "id-3"])
    await memory.update_messages_mark("even", msg_ids=["id-0", "id-2", "id-4"])
    await memory.update_compressed_summary("summary")


OPERATIONS: dict[str, tuple[bool, Operation]] = {
    "add to a new session": (
        False,
        lambda m: m.add([msg("n1", msg_id="n1"), msg("n2", msg_id="n2")], marks="m"),
    ),
    "add": (
        True,
        lambda m: m.add([msg("n1", msg_id="n1"), msg("n2", msg_id="n2")], marks=["m", "k"]),
    ),
    "delete": (True, lambda m: m.delete(["id-0", "id-3"])),
    "delete_by_mark": (True, lambda m: m.delete_by_mark("odd")),
    "delete_by_mark on a new session": (False, lambda m: m.delete_by_mark("odd")),
    "update_messages_mark by mark": (
        True,
        lambda m: m.update_messages_mark("new", old_mark="odd"),
    ),
    "update_messages_mark of all": (True, lambda m: m.update_messages_mark("all")),
    "update_compressed_summary": (True, lambda m: m.update_compressed_summary("changed")),
    "clear": (True, lambda m: m.clear()),
    "import_state": (True, lambda m: m.import_state(STATE)),
}


async def _session(
    filled: bool,
) -> tuple[TablestoreEmulator, EmulatedOTSClient, TablestoreMemory]:
    emulator = TablestoreEmulator()
    client = EmulatedOTSClient(emulator)
    if filled:
        await _fill(TablestoreMemory(user_id="u", session_id="s", client=client))
    memory = TablestoreMemory(user_id="u", session_id="s", client=client)
    await memory.size()  # the tables exist: the requests counted below are the operation's
    return emulator, client, memory


async def _state(memory: TablestoreMemory) -> tuple[Any, ...]:
    messages = await memory.get_memory(prepend_summary=False)
    full = await memory.get_memory()
    summary = full[0].content if len(full) > len(messages) else None
    return (await marks_by_content(memory), summary, await memory.size())


def _assert_unlocked(emulator: TablestoreEmulator) -> None:
    row = emulator.tables["memmark_session"].rows.get((session_key("u", "s"),))
    assert row is None or ("lock_owner" not in row and "lock_until" not in row), row


async def _assert_count_matches(memory: TablestoreMemory) -> None:
    assert await memory.size() == len(await memory.get_memory(prepend_summary=False))


@pytest.mark.parametrize("kind", ["drop", "lost", "row_invalid"])
@pytest.mark.parametrize("name", list(OPERATIONS))
async def test_a_failure_at_any_request_leaves_the_session_unlocked_and_repairable(
    name: str, kind: str
) -> None:
    filled, operation = OPERATIONS[name]
    emulator, client, memory = await _session(filled)
    before = len(emulator.requests)
    await operation(memory)
    requests = len(emulator.requests) - before
    expected = await _state(memory)
    await client.close()
    assert requests > 0
    for k in range(1, requests + 1):
        emulator, client, memory = await _session(filled)
        emulator.inject(kind, at=k)
        with contextlib.suppress(MemmarkError):
            await operation(memory)
        emulator.clear_injections()
        _assert_unlocked(emulator)
        await _assert_count_matches(memory)
        other = TablestoreMemory(user_id="u", session_id="s", client=client)
        await operation(other)
        _assert_unlocked(emulator)
        assert await _state(other) == expected, (name, kind, k)
        await client.close()


@pytest.mark.parametrize("name", ["add", "delete_by_mark", "update_messages_mark by mark"])
async def test_an_outage_through_the_clean_up_is_raised_and_the_lease_repaired(
    name: str,
) -> None:
    filled, operation = OPERATIONS[name]
    emulator, client, memory = await _session(filled)
    emulator.inject("drop", at=4, times=100)
    with pytest.raises(StorageUnavailableError) as info:
        await operation(memory)
    assert info.value.__cause__ is not None
    emulator.clear_injections()
    row = emulator.tables["memmark_session"].rows[(session_key("u", "s"),)]
    assert "lock_owner" in row  # left to its lease, the failure raised, not swallowed
    row["lock_until"] = 0  # the lease runs out
    other = TablestoreMemory(user_id="u", session_id="s", client=client)
    await _assert_count_matches(other)
    await operation(other)
    _assert_unlocked(emulator)
    await _assert_count_matches(other)


async def test_row_conflicts_and_throttling_are_retried_then_mapped() -> None:
    emulator, _, memory = await _session(True)
    emulator.inject("conflict", at=1, times=3)
    emulator.inject("throttled", at=4, times=3)
    emulator.inject("busy", at=7, times=3)
    await memory.add(msg("after contention"))
    codes = {code for _, code in emulator.errors}
    assert {"OTSRowOperationConflict", "OTSNotEnoughCapacityUnit", "OTSServerBusy"} <= codes
    emulator.inject("conflict", at=1, times=50)
    with pytest.raises(StorageUnavailableError) as info:
        await memory.get_memory()
    assert isinstance(info.value.__cause__, OTSServiceError)
    assert info.value.__cause__.code == "OTSRowOperationConflict"
    emulator.clear_injections()
    assert len(await memory.get_memory(prepend_summary=False)) == 6


async def test_rows_failing_inside_batches_are_retried_then_mapped() -> None:
    emulator, _, memory = await _session(True)
    emulator.inject("row_busy", api="BatchGetRow", times=2)
    assert await memory.delete(["id-0"]) == 1
    emulator.inject("row_busy", api="BatchWriteRow", times=2)
    assert await memory.delete(["id-1"]) == 1
    assert ("BatchGetRow", "OTSServerBusy") in emulator.errors
    assert ("BatchWriteRow", "OTSServerBusy") in emulator.errors
    emulator.inject("row_busy", api="BatchGetRow", times=50)
    with pytest.raises(StorageUnavailableError, match="OTSServerBusy"):
        await memory.delete(["id-2"])
    emulator.clear_injections()
    emulator.inject("row_invalid", api="BatchGetRow")
    with pytest.raises(BackendError, match="OTSParameterInvalid") as info:
        await memory.delete(["id-2"])
    assert type(info.value) is BackendError
    _assert_unlocked(emulator)
    assert await memory.delete(["id-2"]) == 1


async def test_new_tables_are_waited_for_once_per_client_and_prefix() -> None:
    emulator = TablestoreEmulator(ready_after=3)
    client = EmulatedOTSClient(emulator)
    await TablestoreMemory(user_id="u", session_id="s", client=client).add(msg("a"))
    first_row_request = emulator.requests.index("GetRow")
    not_ready = [api for api, code in emulator.errors if code == "OTSTableNotReady"]
    assert not_ready == ["GetRange"] * 5 * 3
    assert emulator.requests[:first_row_request].count("GetRange") == 5 * 4
    await TablestoreMemory(user_id="u", session_id="t", client=client).add(msg("b"))
    await TablestoreMemory(user_id="u", session_id="t", client=client, table_name="other").size()
    assert emulator.requests.count("ListTable") == 2


async def test_a_table_that_never_becomes_ready_is_a_clear_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(_schema, "TABLE_READY_SECONDS", 0.0)
    emulator = TablestoreEmulator(ready_after=10**9)
    memory = TablestoreMemory(user_id="u", session_id="s", client=EmulatedOTSClient(emulator))
    with pytest.raises(StorageUnavailableError, match=r"'memmark_session'.*not usable"):
        await memory.add(msg("a"))
    assert all(not table.rows for table in emulator.tables.values())
    emulator.make_ready()
    await memory.add(msg("a"))
    assert await memory.size() == 1
