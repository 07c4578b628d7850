"""Work done on the driver's own connection, beneath SQLAlchemy, reported as SQLAlchemy would.

The hot ``add`` paths of SQLite and MariaDB (see ``_sqlite`` and ``_mysql``) send their whole
transaction, BEGIN to COMMIT, straight through the driver on a pooled connection that holds no
SQLAlchemy transaction. A driver error is wrapped into the SQLAlchemy exception the same error
would have raised through SQLAlchemy, and a lost connection is invalidated, so the pool, the
retries and the one error boundary (``_errors``) treat both paths alike.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime, timezone
from typing import Any, TypeVar

from sqlalchemy import exc as sa_exc
from sqlalchemy.ext.asyncio import AsyncConnection

from memmark.memory._sqlalchemy_memory._schema import Tables

__all__ = ["bound_now", "on_driver"]

T = TypeVar("T")


async def on_driver(
    conn: AsyncConnection, statement: str, work: Callable[[Any], Awaitable[T]]
) -> T:
    """Run ``work(driver_connection)``; ``statement`` names the SQL in a wrapped error."""
    raw = await conn.get_raw_connection()
    dbapi_error = conn.dialect.loaded_dbapi.Error
    try:
        return await work(raw.driver_connection)
    except dbapi_error as exc:
        lost = conn.dialect.is_disconnect(exc, raw.dbapi_connection, None)
        if lost:
            await conn.invalidate(exc)
        raise sa_exc.DBAPIError.instance(
            statement,
            None,
            exc,
            dbapi_error,
            connection_invalidated=lost,
            dialect=conn.dialect,
        ) from exc


def bound_now(conn: AsyncConnection, t: Tables) -> Any:
    """Now, as SQLAlchemy binds ``updated_at`` on this dialect (its own type processing)."""
    now = datetime.now(timezone.utc)
    process = t.sessions.c.updated_at.type.bind_processor(conn.dialect)
    return now if process is None else process(now)
