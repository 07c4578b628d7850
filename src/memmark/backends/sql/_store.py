"""``SQLStore``: many users' SQL memories on one engine, with paged listings and deletion.

Usage::

    async with SQLStore("postgresql+asyncpg://app@db/app", pool_size=10) as store:
        memory = store.memory("user_1", "session_1")
        page = await store.list_sessions("user_1", limit=50)
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from memmark._core import ResourceOwner, SessionInfo, StoreBase
from memmark.backends.sql._errors import map_errors
from memmark.backends.sql._memory import AsyncSQLAlchemyMemory
from memmark.backends.sql._queries import Identity, clear_session, holds_something
from memmark.backends.sql._schema import (
    ExactText,
    Tables,
    check_prefix,
    id_prefix,
    session_key,
    tables,
)
from memmark.backends.sql._setup import enable_sqlite_wal, ensure_schema

__all__ = ["SQLStore"]


class SQLStore(ResourceOwner[AsyncEngine], StoreBase):
    """Sessions of every user in one SQL database, sharing one engine (connection pool).

    Given a URL the store creates the engine and disposes it on :meth:`close`; an engine
    passed in stays the caller's. An engine the store creates is tuned for memmark: SQLite
    files get WAL and a busy timeout, and its pool does not roll back connections it takes
    back (``pool_reset_on_return=None``), since every memmark call ends its own transaction
    and that rollback would be one more round trip (a thread hop on SQLite) per call. Code
    of yours that uses :attr:`engine` must end its transactions too, as SQLAlchemy's
    ``Connection`` and ``Session`` always do.
    """

    def __init__(
        self,
        engine_or_url: AsyncEngine | str,
        *,
        table_prefix: str = "memmark_",
        **engine_options: Any,
    ) -> None:
        """Open the store on an engine or on a database URL.

        Args:
            engine_or_url: An ``AsyncEngine``, or a URL such as
                ``"sqlite+aiosqlite:///./memory.db"`` to create one from.
            table_prefix: Prefix of memmark's table names.
            **engine_options: Passed to ``create_async_engine`` when given a URL (yours
                win over the store's defaults).

        Raises:
            TypeError: ``engine_or_url`` is neither, or options come with an engine.
        """
        self._prefix = check_prefix(table_prefix)
        self._tables: Tables = tables(self._prefix)
        if isinstance(engine_or_url, AsyncEngine):
            if engine_options:
                raise TypeError("engine options apply only when SQLStore creates the engine")
            self._engine = engine_or_url
        elif isinstance(engine_or_url, str):
            engine_options.setdefault("pool_reset_on_return", None)
            self._engine = create_async_engine(engine_or_url, **engine_options)
            enable_sqlite_wal(self._engine)
        else:
            raise TypeError(
                f"engine_or_url must be an AsyncEngine or str, got {type(engine_or_url).__name__}"
            )

        self._adopt(self._engine, owned=isinstance(engine_or_url, str))

    @property
    def engine(self) -> AsyncEngine:
        """The engine every memory of this store uses."""
        return self._engine

    def _open_memory(self, user_id: str, session_id: str) -> AsyncSQLAlchemyMemory:
        return AsyncSQLAlchemyMemory(
            self._engine, user_id=user_id, session_id=session_id, table_prefix=self._prefix
        )

    def _sort_keys(self, column: Any) -> list[Any]:
        """Order by ``column``; on PostgreSQL via its indexed prefix first (same order)."""
        if self._engine.dialect.name == "postgresql":
            return [id_prefix(column), column]
        return [column]

    def _from(self, column: Any, value: str) -> list[Any]:
        """Where the index scan may start for ``column >= value`` (PostgreSQL's prefix)."""
        if self._engine.dialect.name == "postgresql":
            return [id_prefix(column) >= id_prefix(sa.literal(value, ExactText(1024)))]
        return []

    async def _user_page(self, *, after: str | None, limit: int) -> list[str]:
        s = self._tables.sessions
        keys = self._sort_keys(s.c.user_id)
        stmt = sa.select(s.c.user_id).where(holds_something(self._tables)).group_by(*keys)
        if after is not None:
            stmt = stmt.where(s.c.user_id > after, *self._from(s.c.user_id, after))
        stmt = stmt.order_by(*keys).limit(limit)
        with map_errors("list_users"):
            await ensure_schema(self._engine, self._tables)
            async with self._engine.connect() as conn:
                return list((await conn.execute(stmt)).scalars())

    async def _session_page(
        self, *, user_id: str | None, after: tuple[str, str] | None, limit: int
    ) -> list[SessionInfo]:
        s, m = self._tables.sessions, self._tables.messages
        message_count = (
            sa.select(sa.func.count())
            .where(m.c.session_ref == s.c.id)
            .correlate(s)
            .scalar_subquery()
            .label("message_count")
        )
        stmt = sa.select(s.c.user_id, s.c.session_id, message_count, s.c.updated_at, s.c.summary)
        stmt = stmt.where(holds_something(self._tables))
        if user_id is not None:
            stmt = stmt.where(s.c.user_id == user_id, *self._from(s.c.user_id, user_id))
        if after is not None:
            stmt = stmt.where(
                sa.or_(
                    s.c.user_id > after[0],
                    sa.and_(s.c.user_id == after[0], s.c.session_id > after[1]),
                ),
                *self._from(s.c.user_id, after[0]),
            )
        order = [*self._sort_keys(s.c.user_id), *self._sort_keys(s.c.session_id)]
        stmt = stmt.order_by(*order).limit(limit)
        with map_errors("list_sessions"):
            await ensure_schema(self._engine, self._tables)
            async with self._engine.connect() as conn:
                rows = (await conn.execute(stmt)).all()
        return [
            SessionInfo(
                user_id=row.user_id,
                session_id=row.session_id,
                message_count=int(row.message_count),
                updated_at=row.updated_at,
                has_summary=bool(row.summary),
            )
            for row in rows
        ]

    async def _drop_session(self, user_id: str, session_id: str) -> bool:
        who = Identity(user_id, session_id, session_key(user_id, session_id))
        with map_errors("delete_session"):
            await ensure_schema(self._engine, self._tables)
            async with self._engine.begin() as conn:
                return await clear_session(conn, self._tables, who, drop=True)

    async def _release(self, engine: AsyncEngine) -> None:
        await engine.dispose()
