"""TablestoreMemory beyond the conformance suite, over the SDK's client and the emulator.

Isolation of hashed session keys, contention, Tablestore's size limits, table creation,
crash recovery, the error boundary and the SDK codec in use.
"""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta

import pytest

from memmark import BackendError, ContentTooLargeError, Msg, StorageUnavailableError
from memmark._core import session_key
from memmark.backends.tablestore import _rows as rows_module
from memmark.memory import TablestoreMemory
from tests.conformance.helpers import contents, msg
from tests.fakes.tablestore_emulator import EmulatedOTSClient, TablestoreEmulator
from tests.waiting import eventually

import tablestore  # isort: skip  (loaded quietly by the emulator)
from tablestore import OTSServiceError  # isort: skip


def _client(**settings: int) -> EmulatedOTSClient:
    return EmulatedOTSClient(TablestoreEmulator(**settings))


def _memory(client: EmulatedOTSClient, user_id: str = "u", session_id: str = "s", **kw):
    return TablestoreMemory(user_id=user_id, session_id=session_id, client=client, **kw)


def _rows(client: EmulatedOTSClient, table: str) -> dict:
    return client.emulator.tables[table].rows


async def test_session_row_of_another_pair_is_refused() -> None:
    client = _client()
    memory = _memory(client)
    await memory.add(msg("a"))
    row = _rows(client, "memmark_session")[(session_key("u", "s"),)]
    row["user_id"] = "intruder"
    with pytest.raises(BackendError, match="belongs to another session"):
        await memory.get_memory()


async def test_a_message_row_without_a_stored_at_time_is_dated_by_retention() -> None:
    client = _client()
    memory = _memory(client)
    await memory.add([msg("stored by an earlier memmark"), msg("new")], marks="tool")
    messages = _rows(client, "memmark_message")
    old, new = (session_key("u", "s"), 0), (session_key("u", "s"), 1)
    del messages[old]["stored_at"]  # as an earlier memmark wrote the row
    version = await memory.version()
    assert await memory.delete_by_mark("tool", older_than=timedelta(days=1)) == 0
    assert await memory.version() == version
    assert messages[old]["stored_at"] >= messages[new]["stored_at"]

    async def both_removed() -> bool:
        return await memory.delete_by_mark("tool", older_than=timedelta(milliseconds=1)) == 2

    await eventually(both_removed, "both messages to be 1 ms old")
    assert await memory.size() == 0


async def test_contention_with_many_coroutines_stores_each_call_once_and_contiguous() -> None:
    client = _client()
    writers = [_memory(client) for _ in range(6)]
    await writers[0].add(msg("first"))
    client.emulator.inject("conflict", at=1, times=40)

    async def write(index: int, memory: TablestoreMemory) -> None:
        for call in range(5):
            await memory.add([msg(f"w{index}-{call}-{j}") for j in range(3)], marks=f"w{index}")

    await asyncio.gather(*(write(i, m) for i, m in enumerate(writers)))
    stored = (await contents(_memory(client)))[1:]
    assert len(stored) == len(set(stored)) == 6 * 5 * 3
    for start in range(0, len(stored), 3):
        assert len({str(c).rsplit("-", 1)[0] for c in stored[start : start + 3]}) == 1
    assert await writers[0].size() == 6 * 5 * 3 + 1
    assert len(await writers[3].get_memory(mark="w3")) == 15
    assert ("UpdateRow", "OTSRowOperationConflict") in client.emulator.errors
    assert ("UpdateRow", "OTSConditionCheckFail") in client.emulator.errors


async def test_too_large_message_is_refused_before_any_write() -> None:
    client = _client()
    memory = _memory(client)
    limit = TablestoreMemory.max_payload_bytes
    assert limit == 3 * 1024 * 1024
    with pytest.raises(ContentTooLargeError, match=str(limit)):
        await memory.add([msg("small"), msg("x" * limit)])
    written = {"PutRow", "UpdateRow", "DeleteRow", "BatchWriteRow"}
    assert not written & set(client.emulator.requests)
    assert await memory.size() == 0


async def test_payload_over_2_mb_is_split_across_columns_and_round_trips() -> None:
    client = _client()
    memory = _memory(client)
    big = Msg("big", "Ω" + "x" * (3 * 1024 * 1024 - 200), "assistant")
    await memory.add([big, msg("after")], marks="m")
    row = _rows(client, "memmark_message")[(session_key("u", "s"), 0)]
    assert row["parts"] == 2
    assert len(row["p0"]) == 2_000_000
    assert await _memory(client).get_memory(mark="m") == [big, (await memory.get_memory())[1]]


async def test_many_messages_span_several_batches_and_range_pages(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(rows_module, "RANGE_PAGE_ROWS", 40)
    client = _client()
    memory = _memory(client)
    count = 450
    await memory.add([msg(str(i)) for i in range(count)], marks=["a", "b"])
    assert await memory.size() == count
    assert await contents(memory, limit=3) == [str(i) for i in range(count - 3, count)]
    assert len(await memory.get_memory(mark="b")) == count
    assert await memory.update_messages_mark("c", old_mark="a") == count
    assert await memory.delete_by_mark("c") == count
    assert await memory.size() == 0


async def test_tables_are_created_on_first_use_with_the_prefix() -> None:
    client = _client()
    memory = _memory(client, table_name="agent_mem")
    assert client.emulator.tables == {}
    await memory.add(msg("a"))
    suffixes = ("session", "message", "mark", "msg_id", "index")
    assert sorted(client.emulator.tables) == sorted(f"agent_mem_{s}" for s in suffixes)
    assert await _memory(client, table_name="other").size() == 0
    with pytest.raises(ValueError, match="table_name"):
        _memory(client, table_name="bad-name")


async def test_denied_table_creation_is_a_clear_error() -> None:
    client = _client()
    client.emulator.deny_table_creation = True
    with pytest.raises(BackendError, match=r"memmark_session.*could not be created") as info:
        await _memory(client).add(msg("a"))
    assert "ots:CreateTable" in str(info.value)
    assert isinstance(info.value.__cause__, OTSServiceError)


async def test_crashed_writer_is_taken_over_after_its_lease() -> None:
    client = _client()
    memory = _memory(client)
    await memory.add([msg("a"), msg("b")], marks="m")
    session = _rows(client, "memmark_session")[(session_key("u", "s"),)]
    orphan = {"msg_id": "ghost", "marks": json.dumps(["m"]), "parts": 1, "p0": "{}"}
    _rows(client, "memmark_message")[(session_key("u", "s"), 2)] = orphan
    session.update(lock_owner="crashed", lock_until=0, count=7)
    assert await contents(memory) == ["a", "b"]
    await memory.add(msg("c"))
    assert await contents(memory, mark="m") == ["a", "b"]
    assert await contents(memory) == ["a", "b", "c"]
    assert await memory.size() == 3


async def test_writer_waits_for_a_live_lock_holder() -> None:
    client = _client()
    memory = _memory(client)
    await memory.add(msg("a"))
    session = _rows(client, "memmark_session")[(session_key("u", "s"),)]
    session.update(lock_owner="another-process", lock_until=2**62)
    waiting = asyncio.create_task(memory.add(msg("b")))
    for _ in range(20):
        await asyncio.sleep(0)
    assert not waiting.done()
    del session["lock_owner"], session["lock_until"]
    await waiting
    assert await contents(memory) == ["a", "b"]


async def test_lost_lock_is_reported_and_its_own_stale_lock_reused(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    client = _client()
    memory = _memory(client)
    await memory.add(msg("a"))
    acquire = memory._session.acquire

    async def acquire_then_lose_the_lock():  # another writer takes over meanwhile
        writer = await acquire()
        _rows(client, "memmark_session")[(session_key("u", "s"),)]["ver"] += 1
        return writer

    monkeypatch.setattr(memory._session, "acquire", acquire_then_lose_the_lock)
    with pytest.raises(BackendError, match="lost the Tablestore writer lock"):
        await memory.update_compressed_summary("lost")
    monkeypatch.undo()
    await memory.update_compressed_summary("kept")
    assert [m.content for m in await memory.get_memory()] == ["kept", "a"]


async def test_longest_marks_and_ids_fit_the_primary_key_limit() -> None:
    memory = _memory(_client())
    mark, msg_id = "😀" * 255, "𝄞" * 255
    await memory.add(msg("a", msg_id=msg_id), marks=mark)
    assert [m.id for m in await memory.get_memory(mark=mark)] == [msg_id]
    assert await memory.delete([msg_id]) == 1


async def test_identity_over_the_primary_key_limit_is_refused() -> None:
    with pytest.raises(ContentTooLargeError, match="1024 bytes"):
        _memory(_client(), user_id="ü" * 600)


async def test_missing_credentials_and_client_ownership() -> None:
    with pytest.raises(ValueError, match="end_point"):
        TablestoreMemory()
    client = _client()
    async with _memory(client) as memory:
        await memory.add(msg("a"))
    assert client.closed_connections == 0
    owned = TablestoreMemory(
        "https://example.cn-hangzhou.ots.aliyuncs.com", "example", "id", "secret", sts_token="t"
    )
    assert type(owned.get_client()).__name__ == "AsyncOTSClient"
    await owned.close()
    await owned.close()


@pytest.mark.parametrize(
    ("failure", "expected"),
    [
        (ConnectionRefusedError("refused"), StorageUnavailableError),
        (TimeoutError(), StorageUnavailableError),
        (OTSServiceError(503, "OTSServerBusy", "busy"), StorageUnavailableError),
        (OTSServiceError(403, "OTSAuthFailed", "bad key"), BackendError),
    ],
)
async def test_errors_are_mapped_at_the_boundary(
    failure: Exception, expected: type[Exception], monkeypatch: pytest.MonkeyPatch
) -> None:
    client = _client()
    memory = _memory(client)
    await memory.add(msg("a"))

    async def broken(*args: object, **kwargs: object) -> None:
        raise failure

    monkeypatch.setattr(client, "get_row", broken)
    with pytest.raises(expected) as info:
        await memory.get_memory()
    assert type(info.value) is expected
    assert info.value.__cause__ is failure


def test_agentscope_search_index_arguments_only_at_their_defaults() -> None:
    client = _client()
    memory = TablestoreMemory(
        None, None, None, None, "u", "s", None, "memmark", "text", "embedding", 0, client=client
    )
    assert (memory.user_id, memory.session_id) == ("u", "s")
    for wrong in ({"text_field": "body"}, {"vector_dimension": 8}, {"max_workers": 2}):
        with pytest.raises(ValueError, match="cannot honour"):
            TablestoreMemory(client=client, **wrong)


@pytest.mark.parametrize("native", [True, False])
async def test_the_sdk_codec_in_use_is_the_one_configured(native: bool) -> None:
    client = EmulatedOTSClient(TablestoreEmulator(), enable_native=native)
    memory = _memory(client)
    await memory.add(msg("a"), marks="m")
    assert await contents(memory, mark="m") == ["a"]
    decoder = client.protocol.decoder
    assert decoder._use_native_parser is (native and tablestore.native.NATIVE_AVAILABLE)


async def test_an_empty_or_inverted_range_is_never_sent() -> None:
    client = _client()
    memory = _memory(client)
    assert await memory.delete_by_mark("x") == 0
    assert await memory.update_messages_mark("y") == 0
    await memory.add(msg("a"))
    session = _rows(client, "memmark_session")[(session_key("u", "s"),)]
    session.update(lock_owner="crashed", lock_until=0, next_seq=0)
    assert await memory.size() == 0
    assert await memory.get_memory() == []
    await memory.clear()
    assert not [code for _, code in client.emulator.errors if code == "OTSParameterInvalid"]


async def test_the_live_provider_shares_tables_and_wipes_rows_between_tests(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from tests.providers import tablestore as providers

    emulator = TablestoreEmulator()
    monkeypatch.setattr(providers, "_live_client", lambda: EmulatedOTSClient(emulator))
    for test in range(2):
        async with providers._open_live("memmark_test_run") as factory:
            memory = await factory()
            assert await memory.size() == 0
            await memory.add([msg(f"{test}-{i}") for i in range(3)], marks="m")
            await memory.update_compressed_summary("s")
        assert all(not table.rows for table in emulator.tables.values())
    assert emulator.requests.count("CreateTable") == 5
    await providers._drop_tables("memmark_test_run")
    assert emulator.tables == {}
