"""``TablestoreStore``: many users' Tablestore memories on one client, plus admin listings.

Usage::

    async with TablestoreStore.from_env() as store:
        memory = store.memory("user_1", "session_1")
        page = await store.list_sessions("user_1")

Listings page through the ``<table_name>_index`` table (primary key user_id, session_id) by
range reads, and read the counts from the session rows; sessions without a message or a
summary are skipped.
"""

from __future__ import annotations

import os
from contextlib import aclosing
from datetime import datetime, timezone
from typing import Any

from typing_extensions import Self

from memmark._core import ClientOwner, SessionInfo, StoreBase
from memmark.backends.tablestore._memory import TablestoreMemory, drop_session
from memmark.backends.tablestore._rows import HIGHEST, LOWEST, Rows
from memmark.backends.tablestore._schema import ensure_tables, table_names
from memmark.backends.tablestore._sdk import open_client
from memmark.backends.tablestore._session import SessionRow

__all__ = ["TablestoreStore"]

_INDEX_PAGE_ROWS = 100
"""Index rows read per request: one BatchGetRow of session rows per page."""


class TablestoreStore(ClientOwner[Any], StoreBase):
    """Tablestore sessions of every user, on one shared ``AsyncOTSClient``."""

    def __init__(
        self,
        end_point: str | None = None,
        instance_name: str | None = None,
        access_key_id: str | None = None,
        access_key_secret: str | None = None,
        *,
        sts_token: str | None = None,
        table_name: str = "memmark",
        client: Any = None,
    ) -> None:
        """Connect to a Tablestore instance, or use ``client`` (which then stays open).

        Raises:
            ImportError: the ``tablestore`` SDK is not installed.
            ValueError: credentials are missing (without ``client``), or ``table_name`` is
                not a valid table name.
        """
        self._names = table_names(table_name)
        self._table_name = table_name
        self._client, self._endpoint = open_client(
            "TablestoreStore",
            client,
            end_point,
            instance_name,
            access_key_id,
            access_key_secret,
            sts_token,
        )
        self._adopt(self._client, owned=self._endpoint is not None)
        self._rows = Rows(self._client)

    @classmethod
    def from_env(cls, *, table_name: str = "memmark") -> Self:
        """Build from the ``TABLESTORE_*`` environment variables.

        Reads ``TABLESTORE_ENDPOINT``, ``TABLESTORE_INSTANCE_NAME``,
        ``TABLESTORE_ACCESS_KEY_ID``, ``TABLESTORE_ACCESS_KEY_SECRET`` and optionally
        ``TABLESTORE_STS_TOKEN``.

        Raises:
            ValueError: a required variable is unset or empty.
        """
        names = (
            "TABLESTORE_ENDPOINT",
            "TABLESTORE_INSTANCE_NAME",
            "TABLESTORE_ACCESS_KEY_ID",
            "TABLESTORE_ACCESS_KEY_SECRET",
        )
        missing = [name for name in names if not os.environ.get(name)]
        if missing:
            raise ValueError(f"environment variables not set: {', '.join(missing)}")
        end_point, instance_name, key_id, key_secret = (os.environ[name] for name in names)
        return cls(
            end_point,
            instance_name,
            key_id,
            key_secret,
            sts_token=os.environ.get("TABLESTORE_STS_TOKEN") or None,
            table_name=table_name,
        )

    def _open_memory(self, user_id: str, session_id: str) -> TablestoreMemory:
        return TablestoreMemory(
            user_id=user_id, session_id=session_id, table_name=self._table_name, client=self._client
        )

    async def _sessions(
        self,
        start: list[tuple[str, Any]],
        end: list[tuple[str, Any]],
        *,
        skip: tuple[str, str] | None,
        limit: int,
        distinct_users: bool,
    ) -> list[SessionInfo]:
        """Sessions holding something, in index order from ``start``, up to ``limit``."""
        await ensure_tables(self._client, self._names, self._endpoint)
        found: list[SessionInfo] = []
        page: list[dict[str, Any]] = []
        scan = self._rows.scan(self._names.index, start, end, page_rows=_INDEX_PAGE_ROWS)
        async with aclosing(scan) as rows:
            async for row in rows:
                if (row["user_id"], row["session_id"]) == skip:
                    continue
                page.append(row)
                if len(page) == _INDEX_PAGE_ROWS:
                    await self._add_live(page, found, distinct_users=distinct_users)
                    page = []
                    if len(found) >= limit:
                        return found[:limit]
        await self._add_live(page, found, distinct_users=distinct_users)
        return found[:limit]

    async def _add_live(
        self, page: list[dict[str, Any]], found: list[SessionInfo], *, distinct_users: bool
    ) -> None:
        keys = [[("session_key", row["session_key"])] for row in page]
        for index_row, columns in zip(
            page, await self._rows.get_many(self._names.session, keys), strict=True
        ):
            if columns is None:
                continue
            if (columns.get("user_id"), columns.get("session_id")) != (
                index_row["user_id"],
                index_row["session_id"],
            ):
                continue
            session = SessionRow.from_columns(columns)
            if session.count == 0 and not session.summary:
                continue
            if distinct_users and found and found[-1].user_id == index_row["user_id"]:
                continue
            updated = session.updated_at
            found.append(
                SessionInfo(
                    user_id=index_row["user_id"],
                    session_id=index_row["session_id"],
                    message_count=session.count,
                    updated_at=None
                    if updated is None
                    else datetime.fromtimestamp(updated / 1000, tz=timezone.utc),
                    has_summary=bool(session.summary),
                )
            )

    async def _user_page(self, *, after: str | None, limit: int) -> list[str]:
        start: list[tuple[str, Any]] = [("user_id", LOWEST), ("session_id", LOWEST)]
        if after is not None:
            start = [("user_id", after), ("session_id", HIGHEST)]
        end = [("user_id", HIGHEST), ("session_id", HIGHEST)]
        sessions = await self._sessions(start, end, skip=None, limit=limit, distinct_users=True)
        return [info.user_id for info in sessions]

    async def _session_page(
        self, *, user_id: str | None, after: tuple[str, str] | None, limit: int
    ) -> list[SessionInfo]:
        low: Any = LOWEST if user_id is None else user_id
        high: Any = HIGHEST if user_id is None else user_id
        start: list[tuple[str, Any]] = [("user_id", low), ("session_id", LOWEST)]
        if after is not None:
            start = [("user_id", after[0]), ("session_id", after[1])]
        end = [("user_id", high), ("session_id", HIGHEST)]
        return await self._sessions(start, end, skip=after, limit=limit, distinct_users=False)

    async def _drop_session(self, user_id: str, session_id: str) -> bool:
        return await drop_session(self._open_memory(user_id, session_id))

    async def _release(self, client: Any) -> None:
        await client.close()
