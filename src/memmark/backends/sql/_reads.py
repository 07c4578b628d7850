"""Reads on the driver's own connection: one compiled statement, one round trip, no SQLAlchemy rows.

A ``get_memory`` through a SQLAlchemy ``Connection`` costs several times the query itself in
Python: the connection's set-up and tear-down, BEGIN and COMMIT round trips, the statement's
cache key, result-row processing. A read is one statement (see
:func:`~memmark.backends.sql._queries.snapshot_statement`), consistent on its own on every
database, so in engine mode it needs no transaction: its SQL is compiled once per dialect,
table set and shape, and sent straight through the driver on a pooled connection (one
round trip; one hop to aiosqlite's thread on SQLite). Errors are reported as through
SQLAlchemy (see ``_driver``). Drivers not listed here take the SQLAlchemy path.
"""

from __future__ import annotations

import inspect
import weakref
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.engine import Dialect

from memmark._core import Snapshot
from memmark.backends.sql._driver import DriverAdd, asyncpg_errors_mappable, raise_as_dbapi_error
from memmark.backends.sql._queries import (
    BOUND,
    Identity,
    ReadShape,
    Written,
    read_params,
    snapshot_of,
    snapshot_statement,
)
from memmark.backends.sql._schema import Tables

__all__ = ["driver_read", "has_driver_read"]

Fetch = Callable[[Any, Any, str, Sequence[Any]], Awaitable[Sequence[Any]]]
"""``fetch(dbapi, driver_connection, sql, args)``: the rows; errors as the DBAPI's."""


async def _fetch_asyncpg(dbapi: Any, conn: Any, sql: str, args: Sequence[Any]) -> Sequence[Any]:
    """Fetch on asyncpg, whose own exceptions become the DBAPI errors SQLAlchemy raises."""
    try:
        return await conn.fetch(sql, *args)  # type: ignore[no-any-return]
    except Exception as exc:
        raise_as_dbapi_error(dbapi, exc)


async def _fetch_aiosqlite(dbapi: Any, conn: Any, sql: str, args: Sequence[Any]) -> Sequence[Any]:
    return await conn.execute_fetchall(sql, args)  # type: ignore[no-any-return]


async def _fetch_cursor(dbapi: Any, conn: Any, sql: str, args: Sequence[Any]) -> Sequence[Any]:
    """Asyncmy / aiomysql: fetch, then end the transaction the SELECT opened.

    With autocommit off a SELECT starts a REPEATABLE READ transaction. The connection goes
    back to the pool without a reset (memmark's engines skip it, and ``on_driver`` skips it
    after work that ended its transaction), so a snapshot left open here would be the one
    its next user reads: a version or a count from before the latest writes.
    """
    async with conn.cursor() as cursor:
        await cursor.execute(sql, args)
        fetched = cursor.fetchall()  # a coroutine on asyncmy, a list on aiomysql
        rows = (await fetched) if inspect.isawaitable(fetched) else fetched
    await conn.rollback()
    return rows  # type: ignore[no-any-return]


_FETCHES: dict[str, Fetch] = {
    "asyncpg": _fetch_asyncpg,
    "aiosqlite": _fetch_aiosqlite,
    "asyncmy": _fetch_cursor,
    "aiomysql": _fetch_cursor,
}


@dataclass(frozen=True)
class _Compiled:
    """A read statement as its driver takes it."""

    sql: str
    names: tuple[str, ...]
    """The bound parameters' names, in the positional order of ``sql``."""
    constants: dict[str, Any]
    """Values of the statement's own bound literals."""
    processors: dict[str, Callable[[Any], Any]]
    """SQLAlchemy's bind processing per parameter (ids and marks to bytes on MySQL)."""


_Key = tuple[Tables, ReadShape, Written]
_compiled: weakref.WeakKeyDictionary[Dialect, dict[_Key, _Compiled]] = weakref.WeakKeyDictionary()

_WRITTEN_LIMIT_MAX = 100
"""On asyncpg, limits up to this one are written into the statement; larger ones are bound
(their rows cost more than the planning)."""
_WRITTEN_MARK_MAX = 64
"""On asyncpg, marks up to this many characters are written into the statement."""
_COMPILED_MAX = 64
"""Statements compiled per engine beyond which a read's values are all bound: each one is
prepared once per connection, in asyncpg's cache of 100."""


def _written(
    dialect: Dialect, t: Tables, limit: int | None, mark: str | None, exclude_mark: str | None
) -> Written:
    """What asyncpg's read writes into its statement: one statement per value.

    asyncpg prepares each statement once per connection, and PostgreSQL plans it again on
    every execution while its custom plans, which see the values, are estimated cheaper
    than its generic plan, which does not: always for ``LIMIT $n``, and for a rare mark once
    the statistics show the marks' frequencies. That planning cost more than the read
    (``bench_scale.py`` at 10 million messages: ``get_memory(limit=20)`` 1.25-1.36x the empty
    database's, ``get_memory(mark=)`` 1.62x). With the value written, the generic plan is
    the value's own plan, and PostgreSQL keeps it. (Hiding the mark from the planner
    instead gives every mark one plan: a rare mark then walks the whole session.)
    """
    if dialect.driver != "asyncpg":
        return BOUND
    # The column type's own literal rendering, escaping as the connected server reads it.
    literal = t.marks.c.mark.type.literal_processor(dialect)
    assert literal is not None
    return Written(
        limit if limit is not None and limit <= _WRITTEN_LIMIT_MAX else None,
        literal(mark) if mark is not None and len(mark) <= _WRITTEN_MARK_MAX else None,
        literal(exclude_mark)
        if exclude_mark is not None and len(exclude_mark) <= _WRITTEN_MARK_MAX
        else None,
    )


def has_driver_read(dialect: Dialect) -> bool:
    """Whether reads on this dialect can bypass SQLAlchemy's statement layer."""
    if dialect.driver not in _FETCHES or not dialect.positional:
        return False
    if dialect.driver == "asyncpg":
        return asyncpg_errors_mappable()
    return True


def _compile(dialect: Dialect, t: Tables, shape: ReadShape, written: Written) -> _Compiled:
    by_shape = _compiled.setdefault(dialect, {})
    found = by_shape.get((t, shape, written))
    if found is None and written != BOUND and len(by_shape) >= _COMPILED_MAX:
        written = BOUND
        found = by_shape.get((t, shape, written))
    if found is None:
        compiled = snapshot_statement(t, shape, written).compile(dialect=dialect)
        processors = {}
        for name, bind in compiled.binds.items():
            process = bind.type.bind_processor(dialect)
            if process is not None:
                processors[name] = process
        found = by_shape[(t, shape, written)] = _Compiled(
            sql=compiled.string,
            names=tuple(compiled.positiontup or ()),
            constants={name: bind.value for name, bind in compiled.binds.items()},
            processors=processors,
        )
    return found


def driver_read(
    dialect: Dialect,
    t: Tables,
    who: Identity,
    shape: ReadShape,
    result: list[Snapshot],
    *,
    mark: str | None,
    exclude_mark: str | None,
    limit: int | None,
) -> DriverAdd:
    """The read as one piece of driver work, which appends its snapshot to ``result``."""
    compiled = _compile(dialect, t, shape, _written(dialect, t, limit, mark, exclude_mark))
    values = {
        **compiled.constants,
        **read_params(who, mark=mark, exclude_mark=exclude_mark, limit=limit),
    }
    for name, process in compiled.processors.items():
        values[name] = process(values[name])
    args = [values[name] for name in compiled.names]
    fetch = _FETCHES[dialect.driver]
    dbapi = dialect.loaded_dbapi

    async def run(conn: Any) -> None:
        result.append(snapshot_of(await fetch(dbapi, conn, compiled.sql, args)))

    return DriverAdd(compiled.sql, run)
