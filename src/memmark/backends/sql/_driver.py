"""Work done on the driver's own connection, beneath SQLAlchemy, reported as SQLAlchemy would.

The hot ``add`` paths of SQLite and MariaDB (see ``_sqlite`` and ``_mysql``) send their whole
transaction, BEGIN to COMMIT, straight through the driver on a pooled connection checked out
without a SQLAlchemy ``Connection`` (whose set-up and tear-down cost more Python than the add
itself). A driver error is wrapped into the SQLAlchemy exception the same error would have
raised through SQLAlchemy, and a lost connection is invalidated, so the pool, the retries and
the one error boundary (``_errors``) treat both paths alike.

Every fast path of ``add`` implements :class:`FastAdd`; the portable statements of
``_queries`` are the reference they must match, and the path every other driver takes.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, NoReturn, Protocol

from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine
from sqlalchemy.util import greenlet_spawn

from memmark._core import StoredMessage
from memmark.backends.sql._queries import Identity
from memmark.backends.sql._schema import Tables
from memmark.errors import MemmarkError

__all__ = [
    "AddTarget",
    "DriverAdd",
    "FastAdd",
    "asyncpg_errors_mappable",
    "bound_now",
    "on_driver",
    "raise_as_dbapi_error",
]


@dataclass(frozen=True)
class DriverAdd:
    """One whole ``add`` transaction, run by ``run(driver_connection)``.

    Attributes:
        statement: The SQL it sends, named in a wrapped error.
        run: Begins, writes and commits (or rolls back) on the driver's connection.
    """

    statement: str
    run: Callable[[Any], Awaitable[None]]


@dataclass(frozen=True)
class AddTarget:
    """Where a fast ``add`` writes, and the memory's two ways of running it.

    Attributes:
        engine: The memory's engine (its dialect knows the server once connected).
        tables: The memory's tables.
        who: The memory's session.
        in_one_statement: Runs SQLAlchemy work that is one atomic statement, in the memory's
            mode (autocommit on the engine, a SAVEPOINT in the caller's session), retried as
            every call is.
        on_driver: Runs a :class:`DriverAdd` on a pooled driver connection, retried.
    """

    engine: AsyncEngine
    tables: Tables
    who: Identity
    in_one_statement: Callable[[Callable[[AsyncConnection], Awaitable[None]]], Awaitable[None]]
    on_driver: Callable[[DriverAdd], Awaitable[None]]


class FastAdd(Protocol):
    """A dialect's ``add`` in fewer round trips, with the portable statements' exact effect."""

    def serves(self, dialect: Dialect, *, in_session: bool) -> bool:
        """Whether this path can serve the dialect, in the caller's session or on an engine."""
        ...

    async def add(self, target: AddTarget, records: Sequence[StoredMessage]) -> bool:
        """Append ``records`` as one transaction; false if this batch must go the portable way.

        Raises:
            memmark.errors.BackendError: the session key is taken by other ids.
        """
        ...


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
    ended = False
    try:
        await add.run(pooled.driver_connection)
        ended = True
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
        await greenlet_spawn(_give_back, pooled, ended)


def _give_back(pooled: Any, ended: bool) -> None:
    """Return the connection to its pool, skipping the reset if ``run`` ended its transaction.

    After ``run`` committed, a pool's rollback-on-return (the default of
    ``create_async_engine``) would cost one more round trip (a thread hop on SQLite) for
    nothing. SQLAlchemy's own ``Connection`` skips it the same way after a commit, through the
    pooled connection's ``_close_special``; without that method the pool resets as usual.
    """
    close_after_commit = getattr(pooled, "_close_special", None)
    if ended and callable(close_after_commit):
        close_after_commit(transaction_reset=True)
    else:
        pooled.close()


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


def _asyncpg_adapter() -> Any:
    """SQLAlchemy's asyncpg connection adapter, which translates asyncpg's exceptions."""
    from sqlalchemy.dialects.postgresql import asyncpg

    return asyncpg.AsyncAdapt_asyncpg_connection


def asyncpg_errors_mappable() -> bool:
    """Whether :func:`raise_as_dbapi_error` can map asyncpg's errors.

    It uses a private helper of SQLAlchemy's: work on asyncpg's own connection is done only
    if that helper is present.
    """
    return callable(getattr(_asyncpg_adapter(), "_handle_exception_no_connection", None))


def raise_as_dbapi_error(dbapi: Any, error: Exception) -> NoReturn:
    """Raise asyncpg's ``error`` as the DBAPI error SQLAlchemy raises for it."""
    if isinstance(error, dbapi.Error):
        raise error
    _asyncpg_adapter()._handle_exception_no_connection(dbapi, error)
    raise error  # not reached: the helper raises
