"""Row access through the SDK client, within Tablestore's request limits.

Single-row conditional writes, range reads paged by ``next_start_primary_key``, and batch
reads and writes split by Tablestore's limits. Nothing is sent that the service refuses: a
range that holds no key (start not strictly before end in the direction of the read) is
answered here, empty, and rows that fail inside a batch for a transient reason are sent again.

Rows come back as one dict of primary-key and attribute columns. Every SDK call runs inside
:func:`sdk_errors`, the backend's one error boundary.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Sequence
from dataclasses import dataclass, field
from typing import Any

from memmark._core import retrying
from memmark.backends.tablestore._errors import (
    CONDITION_FAILED,
    TRANSIENT_CODES,
    row_error,
    sdk_errors,
)
from memmark.backends.tablestore._sdk import load_sdk

__all__ = ["HIGHEST", "LOWEST", "RowOp", "Rows", "is_empty_range"]

BATCH_WRITE_MAX_ROWS = 200
"""Tablestore: a BatchWriteRow request holds at most 200 rows ..."""
BATCH_WRITE_MAX_BYTES = 4_000_000
"""... and at most 4 MB (counted conservatively, in decimal megabytes)."""
BATCH_GET_MAX_ROWS = 100
"""Tablestore: a BatchGetRow request reads at most 100 rows."""
RANGE_PAGE_ROWS = 5000
"""Tablestore: a GetRange response holds at most 5,000 rows (or 4 MB)."""
_ROW_OVERHEAD_BYTES = 64


class _RowsFailed(Exception):
    """Rows of one batch request that failed: (row, error code, error message) each."""

    def __init__(self, failed: list[tuple[Any, str, str]]) -> None:
        super().__init__(failed)
        self.failed = failed

    @staticmethod
    def is_transient(exc: BaseException) -> bool:
        """Whether every row failed for a reason a later attempt may not meet."""
        return isinstance(exc, _RowsFailed) and all(
            code in TRANSIENT_CODES for _, code, _ in exc.failed
        )


class _Infinity:
    """A range-key placeholder for the SDK's INF_MIN / INF_MAX."""

    def __init__(self, name: str) -> None:
        self.name = name


LOWEST = _Infinity("INF_MIN")
"""Below every value of a primary-key column, in a range bound."""
HIGHEST = _Infinity("INF_MAX")
"""Above every value of a primary-key column, in a range bound."""


@dataclass(frozen=True)
class RowOp:
    """One row of a batch write: ``put`` replaces the row, ``update`` puts these columns."""

    table: str
    kind: str
    key: list[tuple[str, Any]]
    columns: dict[str, Any] = field(default_factory=dict)

    def size(self) -> int:
        """Conservative size of the row in the request, in bytes."""
        columns = [*self.key, *self.columns.items()]
        return _ROW_OVERHEAD_BYTES + sum(len(name) + _value_size(value) for name, value in columns)


def _value_size(value: Any) -> int:
    if isinstance(value, str):
        return len(value.encode("utf-8"))
    return 8


def _position(value: Any) -> tuple[int, Any]:
    """Where a range-bound value sorts: LOWEST, then values (strings as UTF-8), then HIGHEST."""
    if value is LOWEST:
        return (0, 0)
    if value is HIGHEST:
        return (2, 0)
    return (1, value.encode("utf-8") if isinstance(value, str) else value)


def is_empty_range(
    start: list[tuple[str, Any]], end: list[tuple[str, Any]], *, backward: bool = False
) -> bool:
    """Whether no key lies in [start, end) (the service refuses such a range)."""
    low = [_position(value) for _, value in start]
    high = [_position(value) for _, value in end]
    return low <= high if backward else low >= high


def _as_dict(row: Any) -> dict[str, Any]:
    columns = {name: value for name, value in row.primary_key or []}
    columns.update({column[0]: column[1] for column in row.attribute_columns or []})
    return columns


class Rows:
    """The tables' rows, through one SDK client."""

    def __init__(self, client: Any) -> None:
        self._client = client
        self._sdk = load_sdk()

    def _bound(self, key: list[tuple[str, Any]]) -> list[tuple[str, Any]]:
        return [
            (name, getattr(self._sdk, value.name) if isinstance(value, _Infinity) else value)
            for name, value in key
        ]

    async def get(
        self, table: str, key: list[tuple[str, Any]], columns: list[str] | None = None
    ) -> dict[str, Any] | None:
        """Read one row, or ``None`` when it does not exist."""
        with sdk_errors(f"reading {table}"):
            _, row, _ = await self._client.get_row(table, key, columns, None, 1)
        return None if row is None else _as_dict(row)

    async def get_many(
        self, table: str, keys: Sequence[list[tuple[str, Any]]], columns: list[str] | None = None
    ) -> list[dict[str, Any] | None]:
        """Read rows by key (``None`` for a missing one), in the order of ``keys``.

        Rows that fail inside the batch for a transient reason are read again.

        Raises:
            StorageUnavailableError: rows still fail so after the retries.
            BackendError: a row failed for another reason.
        """
        found: dict[int, dict[str, Any] | None] = {}
        for start in range(0, len(keys), BATCH_GET_MAX_ROWS):
            pending = list(range(start, min(start + BATCH_GET_MAX_ROWS, len(keys))))

            async def read_pending() -> None:
                nonlocal pending
                request = self._sdk.BatchGetRowRequest()
                chunk = [keys[index] for index in pending]
                request.add(self._sdk.TableInBatchGetRowItem(table, chunk, columns, None, 1))
                with sdk_errors(f"reading {table}"):
                    response = await self._client.batch_get_row(request)
                failed = []
                items = response.get_result_by_table(table)
                for index, item in zip(pending, items, strict=True):
                    if item.is_ok:
                        found[index] = None if item.row is None else _as_dict(item.row)
                    else:
                        failed.append((index, item.error_code, item.error_message))
                if failed:
                    pending = [index for index, _, _ in failed]
                    raise _RowsFailed(failed)

            try:
                await retrying(read_pending, is_retryable=_RowsFailed.is_transient)
            except _RowsFailed as exc:
                _, code, message = exc.failed[0]
                raise row_error(f"reading {table}", len(exc.failed), code, message) from None
        return [found[index] for index in range(len(keys))]

    async def scan(
        self,
        table: str,
        start: list[tuple[str, Any]],
        end: list[tuple[str, Any]],
        *,
        backward: bool = False,
        columns: list[str] | None = None,
        page_rows: int | None = None,
    ) -> AsyncGenerator[dict[str, Any], None]:
        """Yield the rows from ``start`` (inclusive) to ``end`` (exclusive), page by page.

        :data:`LOWEST` / :data:`HIGHEST` in a bound stand for INF_MIN / INF_MAX. Each
        request asks for ``page_rows`` rows (at most, and by default, :data:`RANGE_PAGE_ROWS`);
        the service may return fewer, even none, with the key to go on from.
        """
        if is_empty_range(start, end, backward=backward):
            return
        direction = "BACKWARD" if backward else "FORWARD"
        next_key: list[tuple[str, Any]] | None = self._bound(start)
        end_key = self._bound(end)
        while next_key is not None:
            with sdk_errors(f"reading {table}"):
                _, next_key, rows, _ = await self._client.get_range(
                    table,
                    direction,
                    next_key,
                    end_key,
                    columns,
                    min(page_rows or RANGE_PAGE_ROWS, RANGE_PAGE_ROWS),
                    None,
                    1,
                )
            for row in rows:
                yield _as_dict(row)

    async def put_if_absent(
        self, table: str, key: list[tuple[str, Any]], columns: dict[str, Any]
    ) -> bool:
        """Create the row unless it exists; return whether it was created."""
        condition = self._sdk.Condition(self._sdk.RowExistenceExpectation.EXPECT_NOT_EXIST)
        row = self._sdk.Row(key, list(columns.items()))
        return await self._conditional(table, self._client.put_row, row, condition)

    async def update_if(
        self,
        table: str,
        key: list[tuple[str, Any]],
        *,
        expect: tuple[str, Any],
        put: dict[str, Any],
        delete: Sequence[str] = (),
    ) -> bool:
        """Update the row if it exists and column ``expect[0]`` equals ``expect[1]``."""
        changes: dict[str, list[Any]] = {"put": list(put.items())}
        if delete:
            changes["delete_all"] = list(delete)
        return await self._conditional(
            table, self._client.update_row, self._sdk.Row(key, changes), self._expect(expect)
        )

    async def delete_if(
        self, table: str, key: list[tuple[str, Any]], *, expect: tuple[str, Any]
    ) -> bool:
        """Delete the row if it exists and column ``expect[0]`` equals ``expect[1]``."""
        return await self._conditional(
            table, self._client.delete_row, self._sdk.Row(key), self._expect(expect)
        )

    def _expect(self, expect: tuple[str, Any]) -> Any:
        sdk = self._sdk
        column = sdk.SingleColumnCondition(
            expect[0], expect[1], sdk.ComparatorType.EQUAL, pass_if_missing=False
        )
        return sdk.Condition(sdk.RowExistenceExpectation.EXPECT_EXIST, column)

    async def _conditional(self, table: str, call: Any, row: Any, condition: Any) -> bool:
        with sdk_errors(f"writing {table}"):
            try:
                await call(table, row, condition)
            except self._sdk.OTSServiceError as exc:
                if exc.code == CONDITION_FAILED:
                    return False
                raise
        return True

    async def write(self, ops: Sequence[RowOp]) -> None:
        """Apply ``ops`` in order, in as few BatchWriteRow requests as the limits allow.

        Requests run one after another, so an op never lands before an earlier one.

        Raises:
            StorageUnavailableError: rows still fail for a transient reason after the
                retries (the others of the batch are written).
            BackendError: a row failed for another reason.
        """
        batch: list[RowOp] = []
        size = 0
        for op in ops:
            op_size = op.size()
            if batch and (
                len(batch) == BATCH_WRITE_MAX_ROWS or size + op_size > BATCH_WRITE_MAX_BYTES
            ):
                await self._write_batch(batch)
                batch, size = [], 0
            batch.append(op)
            size += op_size
        if batch:
            await self._write_batch(batch)

    async def _write_batch(self, batch: list[RowOp]) -> None:
        """Send ``batch``, then again only the rows the service throttled, with backoff."""
        pending = batch

        async def send_pending() -> None:
            nonlocal pending
            failed = await self._send(pending)
            if failed:
                pending = [op for op, _, _ in failed]
                raise _RowsFailed(failed)

        try:
            await retrying(send_pending, is_retryable=_RowsFailed.is_transient)
        except _RowsFailed as exc:
            _, code, message = exc.failed[0]
            raise row_error("writing rows", len(exc.failed), code, message) from None

    async def _send(self, batch: list[RowOp]) -> list[tuple[RowOp, str, str]]:
        sdk = self._sdk
        ignore = sdk.Condition(sdk.RowExistenceExpectation.IGNORE)
        by_table: dict[str, list[RowOp]] = {}
        for op in batch:
            by_table.setdefault(op.table, []).append(op)
        request = sdk.BatchWriteRowRequest()
        for table, ops in by_table.items():
            items = []
            for op in ops:
                if op.kind == "put":
                    items.append(sdk.PutRowItem(sdk.Row(op.key, list(op.columns.items())), ignore))
                elif op.kind == "update":
                    row = sdk.Row(op.key, {"put": list(op.columns.items())})
                    items.append(sdk.UpdateRowItem(row, ignore))
                else:
                    items.append(sdk.DeleteRowItem(sdk.Row(op.key), ignore))
            request.add(sdk.TableInBatchWriteRowItem(table, items))
        with sdk_errors("writing rows"):
            response = await self._client.batch_write_row(request)
        failed = []
        for table, ops in by_table.items():
            results = [
                *response.table_of_put.get(table, []),
                *response.table_of_update.get(table, []),
                *response.table_of_delete.get(table, []),
            ]
            for item in results:
                if not item.is_ok:
                    failed.append((ops[item.index], item.error_code, item.error_message))
        return failed
