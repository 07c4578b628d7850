"""``FakeTablestoreClient``: an in-process fake of the part of ``AsyncOTSClient`` memmark uses.

It is a fake, not Tablestore: it keeps tables in dicts of this process. It takes and returns
the official SDK's own objects (``Row``, ``Condition``, ``BatchWriteRowRequest`` ...) and
raises the SDK's own ``OTSServiceError`` codes, with the documented semantics memmark relies on
(https://www.alibabacloud.com/help/en/tablestore/limits-on-widecolumn-model):

- rows are ordered by primary key; ``INF_MIN`` / ``INF_MAX`` bound ranges;
- ``get_range`` returns at most ``limit``, 5,000 rows or about 4 MB per response, plus
  ``next_start_primary_key`` when rows remain (``None`` when the range is exhausted);
- row-existence and single-column conditions fail with ``OTSConditionCheckFail``;
- ``create_table`` of an existing table fails with ``OTSObjectAlreadyExist``, any use of a
  missing table with ``OTSObjectNotExist``;
- a string primary-key value holds at most 1 KB, an attribute value at most 2 MB, a
  ``PutRow`` / ``UpdateRow`` at most 4 MB, a ``BatchWriteRow`` at most 200 rows and 4 MB, a
  ``BatchGetRow`` at most 100 rows, ``columns_to_get`` at most 128 names;
- ``BatchWriteRow`` is not atomic: each row succeeds or fails on its own; a batch that
  names one row twice is refused whole.

Every call's arguments also go through the SDK's own request encoder (its Python codec), so
a call the real client would refuse (wrong argument shapes or types) fails here too.

Test hooks: :meth:`fail_next_conditional_writes` forces conflicts, ``deny_table_creation``
simulates credentials without the right to create tables, ``write_calls`` counts writes.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

from memmark.backends.tablestore._sdk import load_sdk

load_sdk()  # imports the SDK quietly; the names below then come from the loaded module

from tablestore import (  # noqa: E402
    INF_MAX,
    INF_MIN,
    BatchGetRowResponse,
    BatchWriteRowResponse,
    BatchWriteRowResponseItem,
    CapacityUnit,
    ComparatorType,
    Condition,
    DescribeTableResponse,
    OTSServiceError,
    ReservedThroughputDetails,
    Row,
    RowDataItem,
    RowExistenceExpectation,
    SingleColumnCondition,
    TableMeta,
    TableOptions,
)
from tablestore.encoder import OTSProtoBufferEncoder  # noqa: E402

PK_VALUE_MAX_BYTES = 1024
ATTRIBUTE_VALUE_MAX_BYTES = 2 * 1024 * 1024
ROW_WRITE_MAX_BYTES = 4 * 1024 * 1024
BATCH_WRITE_MAX_ROWS = 200
BATCH_WRITE_MAX_BYTES = 4 * 1024 * 1024
BATCH_GET_MAX_ROWS = 100
RANGE_MAX_ROWS = 5000
RANGE_MAX_BYTES = 4 * 1024 * 1024
COLUMNS_TO_GET_MAX = 128

Key = tuple[Any, ...]


def _error(code: str, message: str, status: int = 400) -> OTSServiceError:
    return OTSServiceError(status, code, message, "fake-request")


def _size(value: Any) -> int:
    if isinstance(value, str):
        return len(value.encode("utf-8"))
    if isinstance(value, (bytes, bytearray)):
        return len(value)
    if isinstance(value, bool):
        return 1
    return 8


@dataclass
class _Table:
    name: str
    pk_schema: list[tuple[str, str]]
    rows: dict[Key, dict[str, Any]] = field(default_factory=dict)

    def key(self, primary_key: list[tuple[str, Any]], *, bounds: bool = False) -> Key:
        names = [name for name, _ in self.pk_schema]
        if [column[0] for column in primary_key] != names:
            raise _error("OTSParameterInvalid", f"primary key must be the columns {names}")
        values = []
        for (_, kind), column in zip(self.pk_schema, primary_key, strict=True):
            value = column[1]
            if bounds and value in (INF_MIN, INF_MAX):
                values.append(value)
            elif kind == "STRING" and isinstance(value, str):
                if _size(value) > PK_VALUE_MAX_BYTES:
                    raise _error("OTSParameterInvalid", "primary key value exceeds 1 KB")
                values.append(value)
            elif kind == "INTEGER" and isinstance(value, int) and not isinstance(value, bool):
                values.append(value)
            else:
                raise _error("OTSParameterInvalid", f"primary key {column[0]} must be {kind}")
        return tuple(values)

    def primary_key(self, key: Key) -> list[tuple[str, Any]]:
        return [(name, value) for (name, _), value in zip(self.pk_schema, key, strict=True)]


def _order(key: Key) -> tuple[Any, ...]:
    """Sort key in which INF_MIN precedes and INF_MAX follows every value."""
    return tuple(
        (0, 0) if v is INF_MIN else (2, 0) if v is INF_MAX else (1, _component(v)) for v in key
    )


def _component(value: Any) -> Any:
    return value.encode("utf-8") if isinstance(value, str) else value


class FakeTablestoreClient:
    """In-process fake of ``tablestore.AsyncOTSClient`` (only what memmark calls)."""

    def __init__(self) -> None:
        self.tables: dict[str, _Table] = {}
        self.deny_table_creation = False
        self.write_calls = 0
        self.closed = False
        self._forced_conflicts = 0
        self._encoder = OTSProtoBufferEncoder("utf8", enable_native=False)

    def fail_next_conditional_writes(self, count: int) -> None:
        """Make the next ``count`` single-row writes that carry a condition fail it."""
        self._forced_conflicts = count

    async def close(self) -> None:
        self.closed = True

    async def _io(self, api: str, *args: Any) -> None:
        """Encode the request as the SDK would (raising its ``OTSClientError``), then yield."""
        self._encoder.encode_request(api, *args)
        if self.closed:
            raise RuntimeError("FakeTablestoreClient used after close()")
        await asyncio.sleep(0)

    def _table(self, name: str) -> _Table:
        table = self.tables.get(name)
        if table is None:
            raise _error("OTSObjectNotExist", "Requested table does not exist.", 404)
        return table

    async def create_table(
        self,
        table_meta: Any,
        table_options: Any,
        reserved_throughput: Any,
        secondary_indexes: Any = None,
        sse_spec: Any = None,
    ) -> None:
        await self._io(
            "CreateTable",
            table_meta,
            table_options,
            reserved_throughput,
            sse_spec,
            secondary_indexes or [],
        )
        if self.deny_table_creation:
            raise _error("OTSNoPermissionAccess", "You have no permission to create tables.", 403)
        if table_meta.table_name in self.tables:
            raise _error("OTSObjectAlreadyExist", "Requested table already exists.", 409)
        schema = [(name, kind) for name, kind in table_meta.schema_of_primary_key]
        if not 1 <= len(schema) <= 4:
            raise _error("OTSParameterInvalid", "a table has 1 to 4 primary key columns")
        self.tables[table_meta.table_name] = _Table(table_meta.table_name, schema)

    async def list_table(self) -> tuple[str, ...]:
        await self._io("ListTable")
        return tuple(self.tables)

    async def describe_table(self, table_name: str) -> DescribeTableResponse:
        await self._io("DescribeTable", table_name)
        table = self._table(table_name)
        return DescribeTableResponse(
            TableMeta(table.name, list(table.pk_schema)),
            TableOptions(),
            ReservedThroughputDetails(CapacityUnit(0, 0), None, None),
        )

    async def delete_table(self, table_name: str) -> None:
        await self._io("DeleteTable", table_name)
        self._table(table_name)
        del self.tables[table_name]

    async def get_row(
        self,
        table_name: str,
        primary_key: list[tuple[str, Any]],
        columns_to_get: list[str] | None = None,
        column_filter: Any = None,
        max_version: int = 1,
        *_: Any,
        **__: Any,
    ) -> tuple[CapacityUnit, Row | None, None]:
        await self._io(
            "GetRow",
            table_name,
            primary_key,
            columns_to_get,
            column_filter,
            max_version,
            None,
            None,
            None,
            None,
            None,
        )
        table = self._table(table_name)
        return CapacityUnit(1, 0), self._read(table, table.key(primary_key), columns_to_get), None

    async def put_row(
        self,
        table_name: str,
        row: Row,
        condition: Condition | None = None,
        return_type: Any = None,
        transaction_id: Any = None,
    ) -> tuple[CapacityUnit, None]:
        await self._io("PutRow", table_name, row, condition, return_type, transaction_id)
        self._check_write_size([row])
        self._put(self._table(table_name), row, condition, single=True)
        return CapacityUnit(0, 1), None

    async def update_row(
        self,
        table_name: str,
        row: Row,
        condition: Condition,
        return_type: Any = None,
        transaction_id: Any = None,
    ) -> tuple[CapacityUnit, None]:
        await self._io("UpdateRow", table_name, row, condition, return_type, transaction_id)
        self._check_write_size([row])
        self._update(self._table(table_name), row, condition, single=True)
        return CapacityUnit(0, 1), None

    async def delete_row(
        self,
        table_name: str,
        row: Any = None,
        condition: Condition | None = None,
        return_type: Any = None,
        transaction_id: Any = None,
        **kwargs: Any,
    ) -> tuple[CapacityUnit, None]:
        primary_key = row.primary_key if isinstance(row, Row) else row
        await self._io("DeleteRow", table_name, primary_key, condition, return_type, transaction_id)
        self._delete(self._table(table_name), primary_key, condition, single=True)
        return CapacityUnit(0, 1), None

    async def batch_get_row(self, request: Any) -> BatchGetRowResponse:
        await self._io("BatchGetRow", request)
        total = sum(len(item.primary_keys) for item in request.items.values())
        if total > BATCH_GET_MAX_ROWS:
            raise _error("OTSParameterInvalid", "BatchGetRow reads at most 100 rows")
        result: dict[str, list[RowDataItem]] = {}
        for name, item in request.items.items():
            table = self._table(name)
            keys = [table.key(primary_key) for primary_key in item.primary_keys]
            if len(set(keys)) != len(keys):
                raise _error("OTSParameterInvalid", "BatchGetRow holds a primary key twice")
            rows = []
            for primary_key in item.primary_keys:
                found = self._read(table, table.key(primary_key), item.columns_to_get)
                rows.append(
                    RowDataItem(
                        True,
                        None,
                        None,
                        name,
                        CapacityUnit(1, 0),
                        None if found is None else found.primary_key,
                        None if found is None else found.attribute_columns,
                    )
                )
            result[name] = rows
        return BatchGetRowResponse(result)

    async def batch_write_row(self, request: Any) -> BatchWriteRowResponse:
        await self._io("BatchWriteRow", request)
        items = [
            (name, entry) for name, table in request.items.items() for entry in table.row_items
        ]
        if len(items) > BATCH_WRITE_MAX_ROWS:
            raise _error("OTSParameterInvalid", "BatchWriteRow writes at most 200 rows")
        self._check_write_size([entry.row for _, entry in items], limit=BATCH_WRITE_MAX_BYTES)
        for name, table_item in request.items.items():
            table = self._table(name)
            keys = [table.key(entry.row.primary_key) for entry in table_item.row_items]
            if len(set(keys)) != len(keys):
                raise _error("OTSParameterInvalid", "BatchWriteRow holds a primary key twice")
        self.write_calls += 1
        response: dict[str, list[BatchWriteRowResponseItem]] = {}
        for name, entry in items:
            table = self.tables[name]
            try:
                if entry.type == "put":
                    self._put(table, entry.row, entry.condition, single=False)
                elif entry.type == "update":
                    self._update(table, entry.row, entry.condition, single=False)
                else:
                    self._delete(table, entry.row.primary_key, entry.condition, single=False)
                outcome = BatchWriteRowResponseItem(True, None, None, CapacityUnit(0, 1), None)
            except OTSServiceError as exc:
                outcome = BatchWriteRowResponseItem(False, exc.code, exc.message, None, None)
            response.setdefault(name, []).append(outcome)
        return BatchWriteRowResponse(request, response)

    async def get_range(
        self,
        table_name: str,
        direction: str,
        inclusive_start_primary_key: list[tuple[str, Any]],
        exclusive_end_primary_key: list[tuple[str, Any]],
        columns_to_get: list[str] | None = None,
        limit: int | None = None,
        column_filter: Any = None,
        max_version: int = 1,
        *_: Any,
        **__: Any,
    ) -> tuple[CapacityUnit, list[tuple[str, Any]] | None, list[Row], None]:
        await self._io(
            "GetRange",
            table_name,
            direction,
            inclusive_start_primary_key,
            exclusive_end_primary_key,
            columns_to_get,
            limit,
            column_filter,
            max_version,
            None,
            None,
            None,
            None,
            None,
        )
        table = self._table(table_name)
        if limit is not None and limit <= 0:
            raise _error("OTSParameterInvalid", "limit must be positive")
        start = _order(table.key(inclusive_start_primary_key, bounds=True))
        end = _order(table.key(exclusive_end_primary_key, bounds=True))
        forward = direction == "FORWARD"
        if (forward and start > end) or (not forward and start < end):
            raise _error("OTSParameterInvalid", "start and end do not match the direction")
        keys = sorted(
            (
                k
                for k in table.rows
                if (start <= _order(k) < end if forward else end < _order(k) <= start)
            ),
            key=_order,
            reverse=not forward,
        )
        cap = min(limit or RANGE_MAX_ROWS, RANGE_MAX_ROWS)
        rows: list[Row] = []
        size = 0
        for index, key in enumerate(keys):
            if len(rows) == cap or (rows and size >= RANGE_MAX_BYTES):
                return CapacityUnit(len(rows), 0), table.primary_key(keys[index]), rows, None
            row = self._read(table, key, columns_to_get)
            if row is not None:
                rows.append(row)
                size += self._row_size(row)
        return CapacityUnit(max(1, len(rows)), 0), None, rows, None

    def _read(self, table: _Table, key: Key, columns_to_get: list[str] | None) -> Row | None:
        if columns_to_get and len(columns_to_get) > COLUMNS_TO_GET_MAX:
            raise _error("OTSParameterInvalid", "columns_to_get holds at most 128 names")
        stored = table.rows.get(key)
        if stored is None:
            return None
        primary_key = table.primary_key(key)
        if not columns_to_get:
            return Row(primary_key, [(n, v, 0) for n, v in sorted(stored.items())])
        pk_names = {name for name, _ in table.pk_schema}
        wanted = [(n, v, 0) for n, v in sorted(stored.items()) if n in columns_to_get]
        if not wanted and pk_names.isdisjoint(columns_to_get):
            return None
        return Row(
            [(n, v) for n, v in primary_key if n in columns_to_get or not columns_to_get], wanted
        )

    @staticmethod
    def _row_size(row: Row) -> int:
        columns = list(row.primary_key or []) + [(c[0], c[1]) for c in row.attribute_columns or []]
        return sum(len(name) + _size(value) for name, value in columns)

    def _check_write_size(self, rows: list[Row], limit: int = ROW_WRITE_MAX_BYTES) -> None:
        total = 0
        for row in rows:
            columns = row.attribute_columns or []
            values = columns.get("put", []) if isinstance(columns, dict) else columns
            for column in values:
                if _size(column[1]) > ATTRIBUTE_VALUE_MAX_BYTES:
                    raise _error("OTSParameterInvalid", "an attribute value exceeds 2 MB")
            total += sum(len(c[0]) + _size(c[1]) for c in list(row.primary_key) + list(values))
        if total > limit:
            raise _error("OTSParameterInvalid", "the request data size exceeds 4 MB")

    def _check_condition(self, table: _Table, key: Key, condition: Condition | None) -> None:
        if condition is None:
            return
        expectation = condition.row_existence_expectation
        column_condition = condition.column_condition
        if (
            expectation != RowExistenceExpectation.IGNORE or column_condition is not None
        ) and self._forced_conflicts:
            self._forced_conflicts -= 1
            raise _error("OTSConditionCheckFail", "Condition check failed (forced).", 403)
        current = table.rows.get(key)
        if expectation == RowExistenceExpectation.EXPECT_EXIST and current is None:
            raise _error("OTSConditionCheckFail", "Condition check failed.", 403)
        if expectation == RowExistenceExpectation.EXPECT_NOT_EXIST and current is not None:
            raise _error("OTSConditionCheckFail", "Condition check failed.", 403)
        if column_condition is not None and not _passes(column_condition, current or {}):
            raise _error("OTSConditionCheckFail", "Condition check failed.", 403)

    def _put(self, table: _Table, row: Row, condition: Condition | None, *, single: bool) -> None:
        key = table.key(row.primary_key)
        self._check_condition(table, key, condition)
        self.write_calls += single
        table.rows[key] = {column[0]: column[1] for column in row.attribute_columns or []}

    def _update(self, table: _Table, row: Row, condition: Condition, *, single: bool) -> None:
        key = table.key(row.primary_key)
        self._check_condition(table, key, condition)
        self.write_calls += single
        stored = dict(table.rows.get(key, {}))
        changes = row.attribute_columns or {}
        for kind, columns in changes.items():
            kind = kind.lower()
            for column in columns:
                name = column if isinstance(column, str) else column[0]
                if kind == "put":
                    stored[name] = column[1]
                elif kind == "delete_all":
                    stored.pop(name, None)
                elif kind == "increment":
                    stored[name] = stored.get(name, 0) + column[1]
                else:
                    raise NotImplementedError(f"the fake does not support {kind!r} updates")
        table.rows[key] = stored

    def _delete(
        self,
        table: _Table,
        primary_key: list[tuple[str, Any]],
        condition: Condition | None,
        *,
        single: bool,
    ) -> None:
        key = table.key(primary_key)
        self._check_condition(table, key, condition)
        self.write_calls += single
        table.rows.pop(key, None)


def _passes(condition: Any, stored: dict[str, Any]) -> bool:
    if not isinstance(condition, SingleColumnCondition):
        raise NotImplementedError("the fake supports SingleColumnCondition only")
    if condition.column_name not in stored:
        return bool(condition.pass_if_missing)
    value = stored[condition.column_name]
    expected = condition.column_value
    comparisons = {
        ComparatorType.EQUAL: value == expected,
        ComparatorType.NOT_EQUAL: value != expected,
        ComparatorType.GREATER_THAN: value > expected,
        ComparatorType.GREATER_EQUAL: value >= expected,
        ComparatorType.LESS_THAN: value < expected,
        ComparatorType.LESS_EQUAL: value <= expected,
    }
    return comparisons[condition.comparator]
