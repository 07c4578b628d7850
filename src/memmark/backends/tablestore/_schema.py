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

import re
import weakref
from dataclasses import dataclass
from typing import Any

from memmark.backends.tablestore._errors import sdk_errors
from memmark.backends.tablestore._sdk import load_sdk
from memmark.errors import BackendError

__all__ = ["TableNames", "ensure_tables", "table_names"]

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
    """Create the missing tables once per client (or endpoint and instance).

    Table operations are rate-limited by Tablestore (10 per second per instance), so the
    check runs once per process for each endpoint, or once per client passed in.

    Raises:
        BackendError: a table is missing and cannot be created (e.g. the credentials lack
            the permission); the message names the table.
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
    for name, schema in names.schemas().items():
        if name in existing:
            continue
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
    if endpoint is None:
        _ready_by_client.setdefault(client, set()).add(names)
    else:
        _ready_by_endpoint.add((*endpoint, names))
