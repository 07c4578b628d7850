"""The five tables behind ``TablestoreMemory``, named from one prefix, created on first use.

=====================  ===============================  =====================================
table                  primary key                      attributes
=====================  ===============================  =====================================
``<prefix>_session``   session_key                      user_id, session_id, summary,
                                                        next_seq, count, ver, lock_owner,
                                                        lock_until, updated_at
``<prefix>_message``   session_key, seq                 msg_id, marks (JSON), parts, p0, p1..
``<prefix>_mark``      session_key, mark, seq           msg_id
``<prefix>_msg_id``    session_key, msg_id              seq
``<prefix>_index``     user_id, session_id              session_key
=====================  ===============================  =====================================

``session_key`` is the SHA-256 of (user_id, session_id), so every table's partition key has
a fixed size and one session's rows sit together. The ``_index`` table lists sessions in
(user_id, session_id) order for :class:`~memmark.store.TablestoreStore`.
"""

from __future__ import annotations

import asyncio
import re
import time
import weakref
from dataclasses import dataclass
from typing import Any

from memmark._core import backoff_delay
from memmark.backends.tablestore._errors import TABLE_NOT_READY, sdk_errors
from memmark.backends.tablestore._sdk import load_sdk
from memmark.errors import BackendError, StorageUnavailableError

__all__ = ["TABLE_READY_SECONDS", "TableNames", "ensure_tables", "table_names"]

TABLE_READY_SECONDS = 180.0
"""How long :func:`ensure_tables` waits for new tables to become usable.

Tablestore loads a new table within about a minute; until then every request to it fails
with ``OTSTableNotReady``.
"""

_PREFIX = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,200}")


@dataclass(frozen=True)
class TableNames:
    """The table names derived from one prefix."""

    session: str
    message: str
    mark: str
    msg_id: str
    index: str

    def schemas(self) -> dict[str, list[tuple[str, str]]]:
        """Primary-key schema of every table."""
        return {
            self.session: [("session_key", "STRING")],
            self.message: [("session_key", "STRING"), ("seq", "INTEGER")],
            self.mark: [("session_key", "STRING"), ("mark", "STRING"), ("seq", "INTEGER")],
            self.msg_id: [("session_key", "STRING"), ("msg_id", "STRING")],
            self.index: [("user_id", "STRING"), ("session_id", "STRING")],
        }


def table_names(prefix: str) -> TableNames:
    """Names for ``prefix`` (Tablestore table names: letters, digits, ``_``).

    Raises:
        ValueError: ``prefix`` cannot start a Tablestore table name.
    """
    if not isinstance(prefix, str) or not _PREFIX.fullmatch(prefix):
        raise ValueError(
            "table_name must start with a letter or '_' and hold only letters, digits and '_' "
            f"(at most 201 characters), got {prefix!r}"
        )
    return TableNames(
        *(f"{prefix}_{part}" for part in ("session", "message", "mark", "msg_id", "index"))
    )


_ready_by_client: weakref.WeakKeyDictionary[Any, set[TableNames]] = weakref.WeakKeyDictionary()
_ready_by_endpoint: set[tuple[str, str, TableNames]] = set()


async def ensure_tables(client: Any, names: TableNames, endpoint: tuple[str, str] | None) -> None:
    """Create the missing tables and wait until they are usable, once per client and prefix.

    Table operations are rate-limited by Tablestore (10 per second per instance), so the
    check runs once per process for each endpoint, instance and prefix, or once per client
    passed in and prefix. A table it creates (or finds just created by another process) is
    read until it stops answering ``OTSTableNotReady``, for at most
    :data:`TABLE_READY_SECONDS`.

    Raises:
        BackendError: a table is missing and cannot be created (e.g. the credentials lack
            the permission); the message names the table.
        StorageUnavailableError: a new table is still not usable after
            :data:`TABLE_READY_SECONDS`; the message names it.
    """
    if endpoint is None:
        ready = _ready_by_client.setdefault(client, set())
        if names in ready:
            return
    elif (*endpoint, names) in _ready_by_endpoint:
        return
    sdk = load_sdk()
    with sdk_errors("listing tables"):
        existing = set(await client.list_table())
    created = []
    for name, schema in names.schemas().items():
        if name in existing:
            continue
        created.append(name)
        try:
            await client.create_table(
                sdk.TableMeta(name, schema),
                sdk.TableOptions(time_to_live=-1, max_version=1),
                sdk.ReservedThroughput(sdk.CapacityUnit(0, 0)),
            )
        except sdk.OTSServiceError as exc:
            if exc.code != "OTSObjectAlreadyExist":
                raise BackendError(
                    f"Tablestore table {name!r} does not exist and could not be created "
                    f"({exc.code}: {exc.message}); create it or grant the credentials "
                    "ots:CreateTable"
                ) from exc
        except Exception:
            with sdk_errors(f"creating table {name!r}"):
                raise
    for name in created:
        await _wait_until_ready(client, name, names.schemas()[name])
    if endpoint is None:
        _ready_by_client.setdefault(client, set()).add(names)
    else:
        _ready_by_endpoint.add((*endpoint, names))


async def _wait_until_ready(client: Any, name: str, schema: list[tuple[str, str]]) -> None:
    """Read one row of table ``name`` until it answers, for at most TABLE_READY_SECONDS."""
    sdk = load_sdk()
    start = [(column, sdk.INF_MIN) for column, _ in schema]
    end = [(column, sdk.INF_MAX) for column, _ in schema]
    deadline = time.monotonic() + TABLE_READY_SECONDS
    failures = 0
    while True:
        try:
            with sdk_errors(f"reading the new table {name!r}"):
                await client.get_range(name, "FORWARD", start, end, [], 1, None, 1)
            return
        except StorageUnavailableError as error:
            cause = error.__cause__
            if not isinstance(cause, sdk.OTSServiceError) or cause.code != TABLE_NOT_READY:
                raise
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise StorageUnavailableError(
                    f"Tablestore table {name!r} was created but is still not usable after "
                    f"{TABLE_READY_SECONDS:.0f} s ({TABLE_NOT_READY}); try again later"
                ) from cause
            failures += 1
            await asyncio.sleep(min(backoff_delay(failures, max_delay=2.0), remaining))
