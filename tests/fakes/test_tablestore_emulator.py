"""The emulator keeps the documented Tablestore rules, seen through the SDK's real client.

Each test names the behaviour from Tablestore's documentation ("Limits on the Wide Column
model", the API reference of each operation) that it checks; every call is the SDK's own
``AsyncOTSClient`` method, encoded, signed and decoded by the SDK.
"""

from __future__ import annotations

import pytest

from tests.fakes.tablestore_emulator import EmulatedOTSClient, TablestoreEmulator

from tablestore import (  # isort: skip  (loaded quietly by the emulator)
    INF_MAX,
    INF_MIN,
    BatchGetRowRequest,
    BatchWriteRowRequest,
    CapacityUnit,
    ComparatorType,
    Condition,
    OTSServiceError,
    NoRetryPolicy,
    PutRowItem,
    ReservedThroughput,
    Row,
    RowExistenceExpectation,
    SingleColumnCondition,
    TableInBatchGetRowItem,
    TableInBatchWriteRowItem,
    TableMeta,
    TableOptions,
)


def _bare(**settings: object) -> EmulatedOTSClient:
    return EmulatedOTSClient(TablestoreEmulator(**settings))  # type: ignore[arg-type]


def _writes(client: EmulatedOTSClient) -> int:
    """Write requests the emulator answered without an error."""
    writes = {"PutRow", "UpdateRow", "DeleteRow", "BatchWriteRow"}
    failed = len([api for api, _ in client.emulator.errors if api in writes])
    return len([api for api in client.emulator.requests if api in writes]) - failed


async def _client(*schema: tuple[str, str], **settings: object) -> EmulatedOTSClient:
    client = _bare(**settings)
    await client.create_table(
        TableMeta("t", list(schema) or [("k", "STRING"), ("n", "INTEGER")]),
        TableOptions(),
        ReservedThroughput(CapacityUnit(0, 0)),
    )
    return client


def _pk(k: str, n: int) -> list[tuple[str, object]]:
    return [("k", k), ("n", n)]


async def _code(awaitable: object) -> str:
    with pytest.raises(OTSServiceError) as info:
        await awaitable  # type: ignore[misc]
    return str(info.value.code)


async def test_create_existing_table_fails_with_object_already_exist() -> None:
    client = await _client()
    meta = TableMeta("t", [("k", "STRING")])
    options, throughput = TableOptions(), ReservedThroughput(CapacityUnit(0, 0))
    assert await _code(client.create_table(meta, options, throughput)) == "OTSObjectAlreadyExist"
    assert await client.list_table() == ("t",)
    described = await client.describe_table("t")
    assert described.table_meta.schema_of_primary_key == [("k", "STRING"), ("n", "INTEGER")]


async def test_missing_table_fails_with_object_not_exist() -> None:
    client = _bare()
    assert await _code(client.get_row("nope", [("k", "a")])) == "OTSObjectNotExist"
    assert await _code(client.describe_table("nope")) == "OTSObjectNotExist"


async def test_denied_table_creation_fails_with_a_permission_code() -> None:
    client = _bare()
    client.emulator.deny_table_creation = True
    meta = TableMeta("t", [("k", "STRING")])
    code = await _code(
        client.create_table(meta, TableOptions(), ReservedThroughput(CapacityUnit(0, 0)))
    )
    assert code == "OTSNoPermissionAccess"


async def test_put_get_and_update_row() -> None:
    client = await _client()
    await client.put_row("t", Row(_pk("a", 1), [("x", "1"), ("y", 2)]))
    _, row, _ = await client.get_row("t", _pk("a", 1), None, None, 1)
    assert row.primary_key == _pk("a", 1)
    assert [(c[0], c[1]) for c in row.attribute_columns] == [("x", "1"), ("y", 2)]
    await client.update_row(
        "t", Row(_pk("a", 1), {"put": [("x", "2")], "delete_all": ["y"]}), Condition("IGNORE")
    )
    _, row, _ = await client.get_row("t", _pk("a", 1), ["x"], None, 1)
    assert [(c[0], c[1]) for c in row.attribute_columns] == [("x", "2")]
    _, missing, _ = await client.get_row("t", _pk("b", 1), None, None, 1)
    assert missing is None


async def test_row_existence_conditions() -> None:
    client = await _client()
    absent = Condition(RowExistenceExpectation.EXPECT_NOT_EXIST)
    await client.put_row("t", Row(_pk("a", 1), [("x", "1")]), absent)
    assert await _code(client.put_row("t", Row(_pk("a", 1), [("x", "2")]), absent)) == (
        "OTSConditionCheckFail"
    )
    present = Condition(RowExistenceExpectation.EXPECT_EXIST)
    row = Row(_pk("b", 1), {"put": [("x", "1")]})
    assert await _code(client.update_row("t", row, present)) == "OTSConditionCheckFail"


async def test_column_condition_with_pass_if_missing() -> None:
    client = await _client()
    await client.put_row("t", Row(_pk("a", 1), [("ver", 3)]))
    exact = SingleColumnCondition("ver", 3, ComparatorType.EQUAL, pass_if_missing=False)
    stale = SingleColumnCondition("ver", 2, ComparatorType.EQUAL, pass_if_missing=False)
    missing = SingleColumnCondition("other", 1, ComparatorType.EQUAL, pass_if_missing=False)
    bump = Row(_pk("a", 1), {"put": [("ver", 4)]})
    for condition in (stale, missing):
        wrapped = Condition(RowExistenceExpectation.EXPECT_EXIST, condition)
        assert await _code(client.update_row("t", bump, wrapped)) == "OTSConditionCheckFail"
    await client.update_row("t", bump, Condition(RowExistenceExpectation.EXPECT_EXIST, exact))
    _, row, _ = await client.get_row("t", _pk("a", 1), None, None, 1)
    assert row.attribute_columns[0][1] == 4


async def test_equal_or_inverted_range_bounds_are_refused() -> None:
    client = await _client()
    await client.put_row("t", Row(_pk("a", 1), [("x", "1")]))
    for direction, start, end in [
        ("FORWARD", _pk("a", 1), _pk("a", 1)),
        ("FORWARD", _pk("b", 0), _pk("a", 0)),
        ("BACKWARD", _pk("a", 1), _pk("a", 1)),
        ("BACKWARD", _pk("a", 0), _pk("b", 0)),
    ]:
        with pytest.raises(OTSServiceError, match="Begin key must") as info:
            await client.get_range("t", direction, start, end, None, 10)
        assert (info.value.code, info.value.http_status) == ("OTSParameterInvalid", 400)


async def test_adversarial_pages_are_tiny_or_empty_and_still_cover_the_range() -> None:
    client = await _client(page_rows=2, empty_pages=True)
    for n in range(9):
        await client.put_row("t", Row(_pk("a", n), [("v", n)]))
    start, end = [("k", INF_MIN), ("n", INF_MIN)], [("k", INF_MAX), ("n", INF_MAX)]
    pages = []
    next_key = start
    while next_key is not None:
        _, next_key, rows, _ = await client.get_range("t", "FORWARD", next_key, end, None, 100)
        pages.append([row.primary_key[1][1] for row in rows])
    assert [n for page in pages for n in page] == list(range(9))
    assert [] in pages
    assert max(len(page) for page in pages) <= 2


async def test_a_new_table_is_not_ready_for_a_while() -> None:
    client = _bare(ready_after=2)
    meta = TableMeta("t", [("k", "STRING")])
    await client.create_table(meta, TableOptions(), ReservedThroughput(CapacityUnit(0, 0)))
    client.retry_policy = NoRetryPolicy()
    for _ in range(2):
        assert await _code(client.get_row("t", [("k", "a")], None, None, 1)) == "OTSTableNotReady"
    _, row, _ = await client.get_row("t", [("k", "a")], None, None, 1)
    assert row is None


async def test_a_request_signed_with_another_secret_is_refused() -> None:
    emulator = TablestoreEmulator()
    client = EmulatedOTSClient(emulator)
    emulator.access_key_secret = "another-secret"
    with pytest.raises(OTSServiceError) as info:
        await client.list_table()
    assert info.value.code == "OTSAuthFailed"


async def test_injected_failures_reach_the_sdk_as_the_service_sends_them() -> None:
    client = await _client()
    client.retry_policy = NoRetryPolicy()
    client.emulator.inject("busy")
    assert await _code(client.get_row("t", _pk("a", 1), None, None, 1)) == "OTSServerBusy"
    client.emulator.inject("drop")
    with pytest.raises(ConnectionResetError):
        await client.put_row("t", Row(_pk("a", 1), [("x", "1")]))
    client.emulator.inject("lost")
    with pytest.raises(ConnectionResetError):
        await client.put_row("t", Row(_pk("a", 2), [("x", "1")]))
    _, row, _ = await client.get_row("t", _pk("a", 2), None, None, 1)
    assert row is not None  # applied before the answer was lost
    _, row, _ = await client.get_row("t", _pk("a", 1), None, None, 1)
    assert row is None


async def test_range_reads_in_primary_key_order_with_limit_and_next_start_key() -> None:
    client = await _client()
    for k in ("b", "a", "é", "B"):
        for n in (2, 0, 1):
            await client.put_row("t", Row(_pk(k, n), [("v", f"{k}{n}")]))
    start, end = [("k", INF_MIN), ("n", INF_MIN)], [("k", INF_MAX), ("n", INF_MAX)]
    keys = []
    next_key = start
    while next_key is not None:
        _, next_key, rows, _ = await client.get_range("t", "FORWARD", next_key, end, None, 5)
        assert len(rows) <= 5
        keys += [tuple(v for _, v in row.primary_key) for row in rows]
    expected = [(k, n) for k in ("B", "a", "b", "é") for n in (0, 1, 2)]
    assert keys == expected
    _, next_key, rows, _ = await client.get_range(
        "t", "BACKWARD", [("k", "b"), ("n", 1)], [("k", "a"), ("n", 1)], None, None
    )
    assert [tuple(v for _, v in r.primary_key) for r in rows] == [("b", 1), ("b", 0), ("a", 2)]
    assert next_key is None


async def test_range_read_stops_near_4_mb_and_returns_the_next_key() -> None:
    client = await _client()
    for n in range(4):
        await client.put_row("t", Row(_pk("a", n), [("v", "x" * 1_500_000)]))
    end = [("k", "a"), ("n", INF_MAX)]
    _, next_key, rows, _ = await client.get_range("t", "FORWARD", _pk("a", 0), end, None, None)
    assert len(rows) == 3
    assert next_key == _pk("a", 3)


async def test_size_limits() -> None:
    client = await _client()
    too_long_key = _pk("ü" * 513, 1)
    assert await _code(client.put_row("t", Row(too_long_key, [("x", "1")]))) == (
        "OTSParameterInvalid"
    )
    await client.put_row("t", Row(_pk("ü" * 512, 1), [("x", "1")]))
    big = Row(_pk("a", 1), [("x", "x" * (2 * 1024 * 1024 + 1))])
    assert await _code(client.put_row("t", big)) == "OTSParameterInvalid"
    split = Row(_pk("a", 1), [("p0", "x" * 2_000_000), ("p1", "x" * 2_000_000)])
    await client.put_row("t", split)
    over = Row(_pk("a", 2), [(f"p{i}", "x" * 2_000_000) for i in range(3)])
    assert await _code(client.put_row("t", over)) == "OTSParameterInvalid"
    assert _writes(client) == 2


async def test_batch_write_limits_and_per_row_outcomes() -> None:
    client = await _client()
    too_many = BatchWriteRowRequest()
    ignore = Condition(RowExistenceExpectation.IGNORE)
    items = [PutRowItem(Row(_pk("a", n), [("x", "1")]), ignore) for n in range(201)]
    too_many.add(TableInBatchWriteRowItem("t", items))
    assert await _code(client.batch_write_row(too_many)) == "OTSParameterInvalid"
    too_big = BatchWriteRowRequest()
    rows = [PutRowItem(Row(_pk("a", n), [("x", "x" * 1_500_000)]), ignore) for n in range(3)]
    too_big.add(TableInBatchWriteRowItem("t", rows))
    assert await _code(client.batch_write_row(too_big)) == "OTSParameterInvalid"
    await client.put_row("t", Row(_pk("a", 0), [("x", "old")]))
    mixed = BatchWriteRowRequest()
    absent = Condition(RowExistenceExpectation.EXPECT_NOT_EXIST)
    mixed.add(
        TableInBatchWriteRowItem(
            "t",
            [
                PutRowItem(Row(_pk("a", 0), [("x", "new")]), absent),
                PutRowItem(Row(_pk("a", 1), [("x", "new")]), absent),
            ],
        )
    )
    twice = BatchWriteRowRequest()
    twice.add(TableInBatchWriteRowItem("t", [PutRowItem(Row(_pk("a", 5), []), ignore)] * 2))
    assert await _code(client.batch_write_row(twice)) == "OTSParameterInvalid"
    response = await client.batch_write_row(mixed)
    assert not response.is_all_succeed()
    outcomes = response.get_put_by_table("t")
    assert [item.is_ok for item in outcomes] == [False, True]
    assert outcomes[0].error_code == "OTSConditionCheckFail"


async def test_batch_get_returns_none_rows_for_missing_keys_and_caps_at_100() -> None:
    client = await _client()
    await client.put_row("t", Row(_pk("a", 1), [("x", "1")]))
    request = BatchGetRowRequest()
    request.add(TableInBatchGetRowItem("t", [_pk("a", 1), _pk("a", 2)], None, None, 1))
    result = (await client.batch_get_row(request)).get_result_by_table("t")
    assert [item.is_ok for item in result] == [True, True]
    assert result[0].row.primary_key == _pk("a", 1)
    assert result[1].row is None
    too_many = BatchGetRowRequest()
    too_many.add(TableInBatchGetRowItem("t", [_pk("a", n) for n in range(101)], None, None, 1))
    assert await _code(client.batch_get_row(too_many)) == "OTSParameterInvalid"
