"""The one place where driver exceptions of the SQL backend become memmark errors.

Connection failures map to :class:`StorageUnavailableError`: refused, lost or timed out,
a connection SQLAlchemy invalidated, and the driver's OperationalError / InterfaceError (server
gone, lock held too long). Every other SQLAlchemy error maps to :class:`BackendError`, wrong
credentials and an unknown database too (on MariaDB as on PostgreSQL: the server answered). The
driver exception is always kept as ``__cause__``.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import exc as sa_exc

from memmark.errors import BackendError, MemmarkError, StorageUnavailableError

__all__ = ["is_retryable", "map_errors"]

_RETRYABLE_SQLSTATES = {"40001", "40P01"}  # serialization failure, deadlock (PostgreSQL)
_RETRYABLE_MYSQL_CODES = {1205, 1213}  # lock wait timeout, deadlock
_UNAVAILABLE_SQLSTATES = {"57P01", "57P02", "57P03"}  # shut down, crashed, starting up
_UNAVAILABLE_MYSQL_CODES = {2002, 2003, 2006, 2013, 2055}  # cannot connect, server gone
_REFUSED_MYSQL_CODES = {1044, 1045, 1049, 1698}  # access denied, unknown database: not transient
_SQLITE_SQL_ERROR = 1  # SQLITE_ERROR: a statement SQLite rejects (no such table, ...)


def _mysql_code(error: BaseException) -> int | None:
    orig = getattr(error, "orig", None)
    args = getattr(orig, "args", ())
    return args[0] if args and isinstance(args[0], int) else None


def _sqlite_rejected(error: sa_exc.DBAPIError) -> bool:
    orig = error.orig
    if not isinstance(orig, sqlite3.Error):
        return False
    code = getattr(orig, "sqlite_errorcode", None)  # Python >= 3.11
    if code is not None:
        return bool(code == _SQLITE_SQL_ERROR)
    return str(orig).startswith("no such ")


def is_retryable(error: BaseException) -> bool:
    """Whether a whole transaction may be repeated after ``error`` (deadlock, busy, ...)."""
    if not isinstance(error, sa_exc.DBAPIError) or error.connection_invalidated:
        return False
    orig = error.orig
    state = getattr(orig, "sqlstate", None) or getattr(orig, "pgcode", None)
    if state in _RETRYABLE_SQLSTATES:
        return True
    if _mysql_code(error) in _RETRYABLE_MYSQL_CODES:
        return True
    return "database is locked" in str(orig)


def _unavailable(error: BaseException) -> bool:
    if isinstance(error, (OSError, ConnectionError, asyncio.TimeoutError)):
        return True
    if isinstance(error, sa_exc.DBAPIError):
        if error.connection_invalidated:
            return True
        if _mysql_code(error) in _REFUSED_MYSQL_CODES:
            return False  # the server answered: wrong account or database, as on PostgreSQL
        if _sqlite_rejected(error):
            return False  # a wrong statement or a missing table, as on PostgreSQL
        if isinstance(error, (sa_exc.OperationalError, sa_exc.InterfaceError)):
            return True
        if _mysql_code(error) in _UNAVAILABLE_MYSQL_CODES:
            return True
        state = getattr(error.orig, "sqlstate", None) or getattr(error.orig, "pgcode", None)
        if isinstance(state, str) and (state[:2] == "08" or state in _UNAVAILABLE_SQLSTATES):
            return True
        cause = error.orig
        return isinstance(cause, (OSError, ConnectionError)) or isinstance(
            getattr(cause, "__cause__", None), (OSError, ConnectionError)
        )
    return isinstance(error, sa_exc.TimeoutError)


@contextmanager
def map_errors(what: str) -> Iterator[None]:
    """Translate driver errors raised inside the block; ``what`` names the operation."""
    try:
        yield
    except MemmarkError:
        raise
    except (sa_exc.SQLAlchemyError, OSError, asyncio.TimeoutError) as exc:
        if _unavailable(exc):
            raise StorageUnavailableError(f"{what}: database unavailable: {exc}") from exc
        raise BackendError(f"{what} failed: {exc}") from exc
