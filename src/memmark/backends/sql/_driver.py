"""Work done on the driver's own connection, beneath SQLAlchemy, reported as SQLAlchemy would.

The hot ``add`` paths of SQLite and MariaDB (see ``_sqlite`` and ``_mysql``) send their whole
transaction, BEGIN to COMMIT, straight through the driver on a pooled connection checked out
without a SQLAlchemy ``Connection`` (whose set-up and tear-down cost more Python than the add
itself). A driver error is wrapped into the SQLAlchemy exception the same error would have
raised through SQLAlchemy, and a lost connection is invalidated, so the pool, the retries and
the one error boundary (``_errors``) treat both paths alike.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.util import greenlet_spawn

from memmark.backends.sql._schema import Tables
from memmark.errors import MemmarkError

__all__ = ["DriverAdd", "bound_now", "on_driver"]


@dataclass(frozen=True)
class DriverAdd:
    """One whole ``add`` transaction, run by ``run(driver_connection)``.

    Attributes:
        statement: The SQL it sends, named in a wrapped error.
        run: Begins, writes and commits (or rolls back) on the driver's connection.
    """

    statement: str
    run: Callable[[Any], Awaitable[None]]


async def on_driver(engine: AsyncEngine, add: DriverAdd) -> None:
    """Run ``add`` on a connection of the engine's pool, outside any SQLAlchemy transaction.

    Raises:
        sqlalchemy.exc.DBAPIError: the driver failed; ``connection_invalidated`` tells
            whether the connection was lost (and has been discarded).
    """
    dialect = engine.dialect
    dbapi_error = dialect.loaded_dbapi.Error
    try:
        pooled = await engine.raw_connection()
    except dbapi_error as exc:  # the pool could not connect
        raise _wrapped(dialect, None, exc, dialect.is_disconnect(exc, None, None)) from exc
    try:
        await add.run(pooled.driver_connection)
    except dbapi_error as exc:
        lost = dialect.is_disconnect(exc, pooled.dbapi_connection, None)
        if lost:
            await greenlet_spawn(pooled.invalidate, exc)
        raise _wrapped(dialect, add.statement, exc, lost) from exc
    except MemmarkError:
        raise  # raised by ``run`` once the driver had answered: the connection is sound
    except BaseException:
        # Cancelled, say, halfway through a reply: the pool replaces it on its next checkout.
        pooled.invalidate(soft=True)
        raise
    finally:
        await greenlet_spawn(pooled.close)


def _wrapped(
    dialect: Dialect, statement: str | None, error: Exception, lost: bool
) -> sa_exc.StatementError:
    """The SQLAlchemy exception a ``Connection`` would raise for this driver ``error``."""
    return sa_exc.DBAPIError.instance(
        statement,
        None,
        error,
        dialect.loaded_dbapi.Error,
        connection_invalidated=lost,
        dialect=dialect,
    )


def bound_now(dialect: Dialect, t: Tables) -> Any:
    """Now, as SQLAlchemy binds ``updated_at`` on this dialect (its own type processing)."""
    now = datetime.now(timezone.utc)
    process = t.sessions.c.updated_at.type.bind_processor(dialect)
    return now if process is None else process(now)
