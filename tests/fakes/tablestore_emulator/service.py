"""An in-process emulator of the Tablestore service, spoken to over its wire protocol.

The SDK's ``AsyncOTSClient`` encodes, signs and sends every request as it would to
Tablestore; :class:`TablestoreEmulator` checks the signature, decodes the protobuf body and
its PlainBuffer rows, applies the operation to tables held in this process, and answers with
a signed protobuf response (or a Tablestore error), which the SDK decodes, checks and retries
with its own code. The documented rules and limits it enforces
(https://www.alibabacloud.com/help/en/tablestore/limits-on-widecolumn-model, the API
reference of each operation):

- a range's start must be strictly before its end in the direction of the read (an equal pair
  is ``OTSParameterInvalid`` "Begin key must less than end key"); a GetRange returns at most
  ``limit``, 5,000 rows or 4 MB, with the key to go on from;
- primary keys match the table's schema column by column (no ``INF_MIN`` / ``INF_MAX`` in a
  row key), a string or binary key value holds at most 1 KB, an attribute value 2 MB, a column
  name 255 characters; a row write carries at most 1,024 columns and 4 MB;
- a BatchWriteRow holds 1 to 200 rows and at most 4 MB, a BatchGetRow at most 100 rows, neither
  names a row twice; each row of either succeeds or fails on its own;
- row-existence and single-column conditions fail with ``OTSConditionCheckFail``;
- a table is not usable (``OTSTableNotReady``) for its first :attr:`ready_after` requests
  after ``CreateTable``; a request that writes a row another request is still writing fails
  with ``OTSRowOperationConflict``.

Test hooks: :meth:`inject` fails the k-th request from now (before or after applying it,
or one row of a batch), :attr:`page_rows` / :attr:`empty_pages` make range reads page
adversarially, ``deny_table_creation`` refuses ``CreateTable``, :attr:`requests` logs every
request by API name, and ``tables[name].rows`` is the storage itself.
"""

from __future__ import annotations

import asyncio
import base64
import datetime
import hashlib
import hmac
import itertools
import random
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from memmark.backends.tablestore._sdk import load_sdk
from tests.fakes.tablestore_emulator.plainbuffer import (
    AUTO_INCREMENT,
    INF_MAX,
    INF_MIN,
    OP_DELETE_ALL_VERSIONS,
    OP_DELETE_ONE_VERSION,
    OP_INCREMENT,
    DecodedRow,
    Infinity,
    PlainBufferError,
    decode_row,
    decode_value,
    encode_rows,
)

load_sdk()  # imports the SDK quietly; its protobuf modules below are the service's schema

from tablestore.protobuf import table_store_filter_pb2 as filter_pb  # noqa: E402
from tablestore.protobuf import table_store_pb2 as pb  # noqa: E402

PK_VALUE_MAX_BYTES = 1024
ATTRIBUTE_VALUE_MAX_BYTES = 2 * 1024 * 1024
COLUMN_NAME_MAX_LENGTH = 255
COLUMNS_PER_WRITE_MAX = 1024
ROW_WRITE_MAX_BYTES = 4 * 1024 * 1024
BATCH_WRITE_MAX_ROWS = 200
BATCH_WRITE_MAX_BYTES = 4 * 1024 * 1024
BATCH_GET_MAX_ROWS = 100
RANGE_MAX_ROWS = 5000
RANGE_MAX_BYTES = 4 * 1024 * 1024
COLUMNS_TO_GET_MAX = 128
INT32_MAX = 2**31 - 1

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_KINDS = {pb.INTEGER: "INTEGER", pb.STRING: "STRING", pb.BINARY: "BINARY"}

Key = tuple[Any, ...]


class ServiceError(Exception):
    """A Tablestore error answer: HTTP status, error code and message."""

    def __init__(self, code: str, message: str, status: int = 400) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.status = status


def _invalid(message: str) -> ServiceError:
    return ServiceError("OTSParameterInvalid", message)


FAILURE_KINDS = ("busy", "throttled", "conflict", "drop", "lost", "row_busy", "row_invalid")
"""What :meth:`TablestoreEmulator.inject` can do to a request:

``busy``       ``OTSServerBusy`` (503), nothing applied;
``throttled``  ``OTSNotEnoughCapacityUnit`` (403, as the service answers it), nothing applied;
``conflict``   ``OTSRowOperationConflict`` (409), nothing applied;
``drop``       the connection breaks before the request arrives (nothing applied);
``lost``       the request is applied, then the connection breaks before the answer;
``row_busy``   in a batch, the first row fails with ``OTSServerBusy``, the others apply;
``row_invalid`` in a batch, the first row fails with ``OTSParameterInvalid``.
"""


@dataclass
class Table:
    """One table: its primary-key schema and its rows (one version per column)."""

    name: str
    pk_schema: list[tuple[str, str]]
    requests_until_ready: int = 0
    rows: dict[Key, dict[str, Any]] = field(default_factory=dict)
    written_at: dict[Key, int] = field(default_factory=dict)
    """When each row was last written (ms): the cells' version in answers."""

    def key(self, primary_key: list[tuple[str, Any]], *, bound: bool = False) -> Key:
        """The storage key of a request's primary key, checked against the schema."""
        names = [name for name, _ in self.pk_schema]
        if [name for name, _ in primary_key] != names:
            raise _invalid(
                f"Validate PK name fail. Input: {[n for n, _ in primary_key]}, Meta: {names}."
            )
        values: list[Any] = []
        for (name, kind), (_, value) in zip(self.pk_schema, primary_key, strict=True):
            if isinstance(value, Infinity):
                if not bound or value is AUTO_INCREMENT:
                    raise _invalid(f"INF_MIN/INF_MAX is not allowed in the row key ({name}).")
                values.append(value)
            elif kind == "STRING" and isinstance(value, str):
                if len(value.encode("utf-8")) > PK_VALUE_MAX_BYTES:
                    raise _invalid(f"The length of primary key column: '{name}' exceeds 1024.")
                values.append(value)
            elif kind == "BINARY" and isinstance(value, bytearray):
                if len(value) > PK_VALUE_MAX_BYTES:
                    raise _invalid(f"The length of primary key column: '{name}' exceeds 1024.")
                values.append(bytes(value))
            elif kind == "INTEGER" and isinstance(value, int) and not isinstance(value, bool):
                values.append(value)
            else:
                raise _invalid(f"Validate PK type fail. Column: {name}, expected {kind}.")
        return tuple(values)

    def primary_key(self, key: Key) -> list[tuple[str, Any]]:
        """The primary-key columns of a storage key."""
        return [
            (name, bytearray(value) if isinstance(value, bytes) else value)
            for (name, _), value in zip(self.pk_schema, key, strict=True)
        ]


def _order(key: Key) -> tuple[tuple[int, Any], ...]:
    """Sort key in which INF_MIN precedes and INF_MAX follows every value (strings as bytes)."""
    return tuple(
        (0, 0)
        if value is INF_MIN
        else (2, 0)
        if value is INF_MAX
        else (1, value.encode("utf-8") if isinstance(value, str) else value)
        for value in key
    )


def _value_size(value: Any) -> int:
    if isinstance(value, str):
        return len(value.encode("utf-8"))
    if isinstance(value, (bytes, bytearray)):
        return len(value)
    return 1 if isinstance(value, bool) else 8


def _row_size(row: DecodedRow) -> int:
    columns = [*row.primary_key, *((cell.name, cell.value) for cell in row.cells)]
    return sum(len(name) + _value_size(value) for name, value in columns if value is not None)


class TablestoreEmulator:
    """One Tablestore instance in this process, reached through :meth:`handle`."""

    def __init__(
        self,
        *,
        instance_name: str = "emulated",
        access_key_id: str = "emulator-key-id",
        access_key_secret: str = "emulator-key-secret",
        ready_after: int = 0,
        page_rows: int | None = None,
        empty_pages: bool = False,
        seed: int = 0,
    ) -> None:
        """Start with no tables.

        Args:
            instance_name: What requests must name in ``x-ots-instancename``.
            access_key_id: The one valid AccessKey id ...
            access_key_secret: ... and its secret (requests are signed with it).
            ready_after: A new table answers ``OTSTableNotReady`` to this many requests.
            page_rows: At most this many rows per GetRange answer (before the 5,000 cap);
                with ``seed``, each answer takes a random size from 1 to it.
            empty_pages: Answer every other GetRange that has rows left with no rows and
                only the key to go on from (the service may do so at partition ends).
            seed: Seed of the page sizes.
        """
        self.instance_name = instance_name
        self.access_key_id = access_key_id
        self.access_key_secret = access_key_secret
        self.ready_after = ready_after
        self.page_rows = page_rows
        self.empty_pages = empty_pages
        self.deny_table_creation = False
        self.tables: dict[str, Table] = {}
        self.requests: list[str] = []
        self.errors: list[tuple[str, str]] = []
        """(API, error code) of every error answer, per-row errors of batches included."""
        self._random = random.Random(seed)
        self._pending: dict[tuple[str | None, int], str] = {}
        self._counts: dict[str | None, int] = {}
        self._row_fault: str | None = None
        self._writing: set[tuple[str, Key]] = set()
        self._request_ids = itertools.count(1)
        self._empty_toggle = False
        self._handlers: dict[str, Callable[[bytes], Any]] = {
            "CreateTable": self._create_table,
            "ListTable": self._list_table,
            "DeleteTable": self._delete_table,
            "DescribeTable": self._describe_table,
            "GetRow": self._get_row,
            "PutRow": self._put_row,
            "UpdateRow": self._update_row,
            "DeleteRow": self._delete_row,
            "BatchGetRow": self._batch_get_row,
            "BatchWriteRow": self._batch_write_row,
            "GetRange": self._get_range,
        }

    # --- test hooks ---------------------------------------------------------------------

    def inject(self, kind: str, *, at: int = 1, times: int = 1, api: str | None = None) -> None:
        """Make ``times`` requests from the ``at``-th from now (counting retries) fail as ``kind``.

        With ``api``, only requests of that API count.
        """
        if kind not in FAILURE_KINDS:
            raise ValueError(f"unknown failure {kind!r}; one of {FAILURE_KINDS}")
        for offset in range(times):
            self._pending[(api, self._counts.get(api, 0) + at + offset)] = kind

    def clear_injections(self) -> None:
        """Cancel the failures not yet delivered."""
        self._pending.clear()

    def make_ready(self) -> None:
        """Make every table usable now."""
        for table in self.tables.values():
            table.requests_until_ready = 0

    # --- the wire ------------------------------------------------------------------------

    async def handle(
        self, query: str, headers: dict[str, str], body: bytes
    ) -> tuple[int, str, dict[str, str], bytes]:
        """Answer one HTTP request: (status, reason, headers, body), or raise a network error.

        The request waits once on the event loop while it holds the rows it writes, so
        concurrent writers of one row meet ``OTSRowOperationConflict`` as on the service.
        """
        api = query.lstrip("/")
        self.requests.append(api)
        injected = self._due(api)
        if injected == "drop":
            raise ConnectionResetError("emulated connection reset before the request arrived")
        try:
            self._authenticate(query, headers, body)
            if injected in ("busy", "throttled", "conflict"):
                raise {
                    "busy": ServiceError("OTSServerBusy", "Server is busy.", 503),
                    "throttled": ServiceError(
                        "OTSNotEnoughCapacityUnit", "Remaining capacity unit is not enough.", 403
                    ),
                    "conflict": ServiceError(
                        "OTSRowOperationConflict",
                        "Data is being modified by the other request.",
                        409,
                    ),
                }[injected]
            handler = self._handlers.get(api)
            if handler is None:
                raise ServiceError("OTSUnsupportOperation", f"Unsupported operation: {api}.")
            self._row_fault = injected
            rows = self._rows_written(api, body)
            self._claim(rows)
            try:
                await asyncio.sleep(0)
                response = handler(body)
            finally:
                self._writing.difference_update(rows)
            status, answer = 200, response.SerializeToString()
        except ServiceError as error:
            self.errors.append((api, error.code))
            status = error.status
            answer = pb.Error(code=error.code, message=error.message).SerializeToString()
        if injected == "lost":
            raise ConnectionResetError("emulated connection reset after the request was applied")
        return status, "OK" if status == 200 else "Error", self._sign(query, answer), answer

    def _due(self, api: str) -> str | None:
        due = None
        for counter in (None, api):
            self._counts[counter] = self._counts.get(counter, 0) + 1
            due = self._pending.pop((counter, self._counts[counter]), None) or due
        return due

    def _authenticate(self, query: str, headers: dict[str, str], body: bytes) -> None:
        lowered = {name.lower(): value for name, value in headers.items()}
        md5 = base64.b64encode(hashlib.md5(body).digest()).decode()
        if lowered.get("x-ots-contentmd5") != md5:
            raise ServiceError("OTSAuthFailed", "Content MD5 mismatch.", 403)
        if lowered.get("x-ots-instancename") != self.instance_name:
            raise ServiceError("OTSAuthFailed", "The instance does not exist.", 403)
        if lowered.get("x-ots-accesskeyid") != self.access_key_id:
            raise ServiceError("OTSAuthFailed", "The AccessKeyID does not exist.", 403)
        signed = "\n".join(
            sorted(
                f"{name}:{value.strip()}"
                for name, value in lowered.items()
                if name.startswith("x-ots-") and name != "x-ots-signature"
            )
        )
        expected = self._hmac(f"{query}\nPOST\n\n{signed}\n")
        if lowered.get("x-ots-signature") != expected:
            raise ServiceError("OTSAuthFailed", "Signature mismatch.", 403)

    def _hmac(self, text: str) -> str:
        digest = hmac.new(self.access_key_secret.encode(), text.encode(), hashlib.sha1).digest()
        return base64.b64encode(digest).decode()

    def _sign(self, query: str, body: bytes) -> dict[str, str]:
        headers = {
            "x-ots-contentmd5": base64.b64encode(hashlib.md5(body).digest()).decode(),
            "x-ots-requestid": f"emulated-{next(self._request_ids):08d}",
            "x-ots-date": datetime.datetime.now(datetime.timezone.utc).strftime(
                "%Y-%m-%dT%H:%M:%S.000Z"
            ),
            "x-ots-contenttype": "protocol buffer",
        }
        signed = "\n".join(sorted(f"{name}:{value}" for name, value in headers.items()))
        signature = self._hmac(signed + "\n" + query)
        headers["Authorization"] = f"OTS {self.access_key_id}:{signature}"
        return headers

    # --- row-operation conflicts -----------------------------------------------------------

    def _rows_written(self, api: str, body: bytes) -> set[tuple[str, Key]]:
        """The (table, key) pairs a write request changes, for conflict detection."""
        changes: list[tuple[str, bytes]] = []
        if api in ("PutRow", "UpdateRow", "DeleteRow"):
            message = {"PutRow": pb.PutRowRequest, "UpdateRow": pb.UpdateRowRequest}.get(
                api, pb.DeleteRowRequest
            )()
            message.ParseFromString(body)
            row = {
                "PutRow": lambda: message.row,
                "UpdateRow": lambda: message.row_change,
            }.get(api, lambda: message.primary_key)()
            changes.append((message.table_name, row))
        elif api == "BatchWriteRow":
            batch = pb.BatchWriteRowRequest()
            batch.ParseFromString(body)
            changes += [(t.table_name, r.row_change) for t in batch.tables for r in t.rows]
        keys = set()
        for table_name, data in changes:
            try:
                key = tuple(str(value) for _, value in decode_row(data).primary_key)
            except PlainBufferError:
                continue  # the handler reports it
            keys.add((table_name, key))
        return keys

    def _claim(self, rows: set[tuple[str, Key]]) -> None:
        if rows & self._writing:
            raise ServiceError(
                "OTSRowOperationConflict", "Data is being modified by the other request.", 409
            )
        self._writing.update(rows)

    # --- tables ---------------------------------------------------------------------------

    def _table(self, name: str) -> Table:
        table = self.tables.get(name)
        if table is None:
            raise ServiceError("OTSObjectNotExist", "Requested table does not exist.", 404)
        if table.requests_until_ready > 0:
            table.requests_until_ready -= 1
            raise ServiceError("OTSTableNotReady", "The table is not ready.", 503)
        return table

    def _create_table(self, body: bytes) -> Any:
        request = pb.CreateTableRequest()
        request.ParseFromString(body)
        name = request.table_meta.table_name
        if not _NAME.fullmatch(name) or len(name) > 255:
            raise _invalid(f"Invalid table name: '{name}'.")
        if self.deny_table_creation:
            raise ServiceError(
                "OTSNoPermissionAccess", "You have no permission to access the resource.", 403
            )
        if name in self.tables:
            raise ServiceError("OTSObjectAlreadyExist", "Requested table already exists.", 409)
        schema = [(c.name, _KINDS[c.type]) for c in request.table_meta.primary_key]
        if not 1 <= len(schema) <= 4:
            raise _invalid("The number of primary key columns must be in range: [1, 4].")
        for column, _ in schema:
            self._check_column_name(column)
        self.tables[name] = Table(name, schema, requests_until_ready=self.ready_after)
        return pb.CreateTableResponse()

    def _list_table(self, body: bytes) -> Any:
        return pb.ListTableResponse(table_names=sorted(self.tables))

    def _delete_table(self, body: bytes) -> Any:
        request = pb.DeleteTableRequest()
        request.ParseFromString(body)
        if request.table_name not in self.tables:
            raise ServiceError("OTSObjectNotExist", "Requested table does not exist.", 404)
        del self.tables[request.table_name]
        return pb.DeleteTableResponse()

    def _describe_table(self, body: bytes) -> Any:
        request = pb.DescribeTableRequest()
        request.ParseFromString(body)
        table = self._table(request.table_name)
        response = pb.DescribeTableResponse()
        response.table_meta.table_name = table.name
        kinds = {kind: code for code, kind in _KINDS.items()}
        for column, kind in table.pk_schema:
            response.table_meta.primary_key.add(name=column, type=kinds[kind])
        details = response.reserved_throughput_details
        details.capacity_unit.read = details.capacity_unit.write = 0
        details.last_increase_time = 0
        response.table_options.time_to_live = -1
        response.table_options.max_versions = 1
        return response

    # --- reads -------------------------------------------------------------------------------

    @staticmethod
    def _check_column_name(name: str) -> None:
        if not _NAME.fullmatch(name) or len(name) > COLUMN_NAME_MAX_LENGTH:
            raise _invalid(f"Invalid column name: '{name}'.")

    def _check_read(self, columns_to_get: Any, max_versions: int, has_max_versions: bool) -> None:
        if len(columns_to_get) > COLUMNS_TO_GET_MAX:
            raise _invalid("The number of columns from the request exceeds the limit (128).")
        for name in columns_to_get:
            self._check_column_name(name)
        if not has_max_versions or max_versions <= 0:
            raise _invalid("max_versions must be positive (or give a time range).")

    @staticmethod
    def _decode(data: bytes) -> DecodedRow:
        try:
            return decode_row(data)
        except PlainBufferError as exc:
            raise _invalid(f"Invalid PlainBuffer: {exc}.") from exc

    def _read(
        self, table: Table, key: Key, columns_to_get: list[str]
    ) -> tuple[list[tuple[str, Any]], list[tuple[str, Any, int]]] | None:
        stored = table.rows.get(key)
        if stored is None:
            return None
        primary_key = table.primary_key(key)
        stamp = table.written_at.get(key, 0)
        columns = [(name, value, stamp) for name, value in sorted(stored.items())]
        if not columns_to_get:
            return primary_key, columns
        wanted = [column for column in columns if column[0] in columns_to_get]
        shown_key = [(n, v) for n, v in primary_key if n in columns_to_get]
        if not wanted and not shown_key:
            return None
        return shown_key, wanted

    def _get_row(self, body: bytes) -> Any:
        request = pb.GetRowRequest()
        request.ParseFromString(body)
        self._check_read(
            request.columns_to_get, request.max_versions, request.HasField("max_versions")
        )
        table = self._table(request.table_name)
        key = table.key(self._decode(request.primary_key).primary_key)
        found = self._read(table, key, list(request.columns_to_get))
        response = pb.GetRowResponse(row=encode_rows([] if found is None else [found]))
        response.consumed.capacity_unit.read = 1
        return response

    def _batch_get_row(self, body: bytes) -> Any:
        request = pb.BatchGetRowRequest()
        request.ParseFromString(body)
        total = sum(len(item.primary_key) for item in request.tables)
        if total == 0:
            raise _invalid("No row specified in the request of BatchGetRow.")
        if total > BATCH_GET_MAX_ROWS:
            raise _invalid("Rows count exceeds the upper limit: 100.")
        response = pb.BatchGetRowResponse()
        fault = self._row_fault
        for item in request.tables:
            self._check_read(item.columns_to_get, item.max_versions, item.HasField("max_versions"))
            table = self._table(item.table_name)
            keys = [table.key(self._decode(data).primary_key) for data in item.primary_key]
            if len(set(keys)) != len(keys):
                raise _invalid("Duplicated primary key in the request of BatchGetRow.")
            answer = response.tables.add(table_name=item.table_name)
            for key in keys:
                row = answer.rows.add()
                if fault in ("row_busy", "row_invalid"):
                    row.is_ok = False
                    row.error.code, row.error.message = self._row_error(fault)
                    self.errors.append(("BatchGetRow", row.error.code))
                    fault = None
                    continue
                found = self._read(table, key, list(item.columns_to_get))
                row.is_ok = True
                row.consumed.capacity_unit.read = 1
                row.row = encode_rows([] if found is None else [found])
        return response

    @staticmethod
    def _row_error(fault: str) -> tuple[str, str]:
        if fault == "row_busy":
            return "OTSServerBusy", "Server is busy."
        return "OTSParameterInvalid", "Emulated invalid row."

    def _get_range(self, body: bytes) -> Any:
        request = pb.GetRangeRequest()
        request.ParseFromString(body)
        self._check_read(
            request.columns_to_get, request.max_versions, request.HasField("max_versions")
        )
        if request.HasField("limit") and request.limit <= 0:
            raise _invalid("The limit must be greater than 0.")
        table = self._table(request.table_name)
        start = _order(
            table.key(self._decode(request.inclusive_start_primary_key).primary_key, bound=True)
        )
        end = _order(
            table.key(self._decode(request.exclusive_end_primary_key).primary_key, bound=True)
        )
        forward = request.direction == pb.FORWARD
        if forward and not start < end:
            raise _invalid("Begin key must less than end key in FORWARD")
        if not forward and not start > end:
            raise _invalid("Begin key must more than end key in BACKWARD")
        keys = sorted(
            (
                k
                for k in table.rows
                if (start <= _order(k) < end if forward else end < _order(k) <= start)
            ),
            key=_order,
            reverse=not forward,
        )
        cap = min(request.limit if request.HasField("limit") else RANGE_MAX_ROWS, RANGE_MAX_ROWS)
        if self.page_rows is not None:
            cap = min(cap, self._random.randint(1, self.page_rows))
        if self.empty_pages and keys:
            self._empty_toggle = not self._empty_toggle
            if self._empty_toggle:
                cap = 0
        rows = []
        size = 0
        next_key: Key | None = None
        for index, key in enumerate(keys):
            if len(rows) >= cap or (rows and size >= RANGE_MAX_BYTES) or (cap == 0 and index == 0):
                next_key = keys[index]
                break
            found = self._read(table, key, list(request.columns_to_get))
            if found is not None:
                rows.append(found)
                size += sum(len(n) + _value_size(v) for n, v in found[0])
                size += sum(len(n) + _value_size(v) for n, v, _ in found[1])
        response = pb.GetRangeResponse(rows=encode_rows(rows))
        response.consumed.capacity_unit.read = max(1, len(rows))
        if next_key is not None:
            response.next_start_primary_key = encode_rows([(table.primary_key(next_key), [])])
        return response

    # --- writes ------------------------------------------------------------------------------

    def _check_condition(self, table: Table, key: Key, condition: Any) -> None:
        current = table.rows.get(key)
        if condition.row_existence == pb.EXPECT_EXIST and current is None:
            raise ServiceError("OTSConditionCheckFail", "Condition check failed.", 403)
        if condition.row_existence == pb.EXPECT_NOT_EXIST and current is not None:
            raise ServiceError("OTSConditionCheckFail", "Condition check failed.", 403)
        if condition.HasField("column_condition") and condition.column_condition:
            wrapper = filter_pb.Filter()
            wrapper.ParseFromString(condition.column_condition)
            if wrapper.type != filter_pb.FT_SINGLE_COLUMN_VALUE:
                raise _invalid("The emulator supports single-column conditions only.")
            single = filter_pb.SingleColumnValueFilter()
            single.ParseFromString(wrapper.filter)
            if not _passes(single, current or {}):
                raise ServiceError("OTSConditionCheckFail", "Condition check failed.", 403)

    def _check_write(self, row: DecodedRow, *, single: bool) -> None:
        if len(row.cells) > COLUMNS_PER_WRITE_MAX:
            raise _invalid("The number of attribute columns exceeds the limit (1024).")
        for cell in row.cells:
            self._check_column_name(cell.name)
            if cell.has_value and _value_size(cell.value) > ATTRIBUTE_VALUE_MAX_BYTES:
                raise _invalid(f"The length of attribute column: '{cell.name}' exceeds 2MB.")
        if single and _row_size(row) > ROW_WRITE_MAX_BYTES:
            raise _invalid("The total data size of single row exceeds the limit (4MB).")

    def _apply(self, table: Table, kind: str, row: DecodedRow, condition: Any) -> None:
        key = table.key(row.primary_key)
        self._check_condition(table, key, condition)
        now = int(time.time() * 1000)
        if kind == "put":
            if any(cell.op is not None or not cell.has_value for cell in row.cells):
                raise _invalid("A PutRow cell carries an update operation or no value.")
            table.rows[key] = {cell.name: cell.value for cell in row.cells}
            table.written_at[key] = now
        elif kind == "update":
            if not row.cells:
                raise _invalid("No attribute column in the UpdateRow request.")
            stored = dict(table.rows.get(key, {}))
            for cell in row.cells:
                if cell.op is None:
                    stored[cell.name] = cell.value
                elif cell.op in (OP_DELETE_ALL_VERSIONS, OP_DELETE_ONE_VERSION):
                    stored.pop(cell.name, None)
                elif cell.op == OP_INCREMENT:
                    stored[cell.name] = stored.get(cell.name, 0) + cell.value
                else:
                    raise _invalid(f"Unknown cell operation {cell.op}.")
            table.rows[key] = stored
            table.written_at[key] = now
        else:
            table.rows.pop(key, None)
            table.written_at.pop(key, None)

    def _single_write(self, table_name: str, kind: str, data: bytes, condition: Any) -> Any:
        row = self._decode(data)
        self._check_write(row, single=True)
        self._apply(self._table(table_name), kind, row, condition)

    def _put_row(self, body: bytes) -> Any:
        request = pb.PutRowRequest()
        request.ParseFromString(body)
        self._single_write(request.table_name, "put", request.row, request.condition)
        response = pb.PutRowResponse()
        response.consumed.capacity_unit.write = 1
        return response

    def _update_row(self, body: bytes) -> Any:
        request = pb.UpdateRowRequest()
        request.ParseFromString(body)
        self._single_write(request.table_name, "update", request.row_change, request.condition)
        response = pb.UpdateRowResponse()
        response.consumed.capacity_unit.write = 1
        return response

    def _delete_row(self, body: bytes) -> Any:
        request = pb.DeleteRowRequest()
        request.ParseFromString(body)
        self._single_write(request.table_name, "delete", request.primary_key, request.condition)
        response = pb.DeleteRowResponse()
        response.consumed.capacity_unit.write = 1
        return response

    def _batch_write_row(self, body: bytes) -> Any:
        request = pb.BatchWriteRowRequest()
        request.ParseFromString(body)
        kinds = {pb.PUT: "put", pb.UPDATE: "update", pb.DELETE: "delete"}
        items = [
            (item.table_name, kinds[row.type], self._decode(row.row_change), row.condition)
            for item in request.tables
            for row in item.rows
        ]
        if not items:
            raise _invalid("No row specified in the request of BatchWriteRow.")
        if len(items) > BATCH_WRITE_MAX_ROWS:
            raise _invalid("Rows count exceeds the upper limit: 200.")
        if sum(_row_size(row) for _, _, row, _ in items) > BATCH_WRITE_MAX_BYTES:
            raise _invalid("The total data size of BatchWriteRow request exceeds the limit (4MB).")
        seen: set[tuple[str, Key]] = set()
        for table_name, _, row, _ in items:
            entry = (table_name, self._table(table_name).key(row.primary_key))
            if entry in seen:
                raise _invalid("Duplicated primary key in the request of BatchWriteRow.")
            seen.add(entry)
        response = pb.BatchWriteRowResponse()
        answers = {
            item.table_name: response.tables.add(table_name=item.table_name)
            for item in request.tables
        }
        fault = self._row_fault
        for table_name, kind, row, condition in items:
            answer = answers[table_name].rows.add()
            try:
                if fault in ("row_busy", "row_invalid"):
                    code, message = self._row_error(fault)
                    fault = None
                    raise ServiceError(code, message)
                self._check_write(row, single=False)
                self._apply(self.tables[table_name], kind, row, condition)
            except ServiceError as error:
                self.errors.append(("BatchWriteRow", error.code))
                answer.is_ok = False
                answer.error.code, answer.error.message = error.code, error.message
            else:
                answer.is_ok = True
                answer.consumed.capacity_unit.write = 1
        return response


def _passes(condition: Any, stored: dict[str, Any]) -> bool:
    if condition.column_name not in stored:
        return not condition.filter_if_missing
    value = stored[condition.column_name]
    if condition.comparator == filter_pb.CT_EXIST:
        return True
    if condition.comparator == filter_pb.CT_NOT_EXIST:
        return False
    expected = decode_value(condition.column_value)
    if type(value) is not type(expected):
        return condition.comparator == filter_pb.CT_NOT_EQUAL
    return {
        filter_pb.CT_EQUAL: value == expected,
        filter_pb.CT_NOT_EQUAL: value != expected,
        filter_pb.CT_GREATER_THAN: value > expected,
        filter_pb.CT_GREATER_EQUAL: value >= expected,
        filter_pb.CT_LESS_THAN: value < expected,
        filter_pb.CT_LESS_EQUAL: value <= expected,
    }[condition.comparator]
