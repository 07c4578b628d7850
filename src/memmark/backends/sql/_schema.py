"""The tables of the SQL backend, named with a configurable prefix, and the schema version.

``{prefix}sessions``  one row per (user_id, session_id): a surrogate ``id``, the unique
                      ``session_key`` (:func:`memmark._core.session_key`), the ids
                      themselves (checked on every read, so a digest collision cannot leak),
                      the summary, the per-session sequence counter ``next_seq`` and
                      ``changes``, counting the writes other than ``add`` that changed the
                      session: its version is ``next_seq + changes`` (both only grow).
``{prefix}messages``  primary key (session_ref, seq); UNIQUE(session_ref, msg_id);
                      ``stored_at``: milliseconds since the epoch by the database's clock
                      (:class:`StorageNowMs`, the column's default), for retention.
``{prefix}marks``     primary key (session_ref, mark, seq); index (session_ref, seq).
``{prefix}schema_version``  one row holding :data:`SCHEMA_VERSION`.
``{prefix}add_v{SCHEMA_VERSION}_{revision}``  MariaDB only: a procedure doing one ``add``
                      (see ``_mysql``), created on first use; it changes no table, so the
                      schema version stays.
``{prefix}{pop,rewind,compress,fork}_v{SCHEMA_VERSION}_{revision}``  PostgreSQL functions,
                      MariaDB procedures: those writes in one call each (see ``_routines``),
                      created on first use, likewise outside the schema version.

Ids and marks compare byte for byte on every database: TEXT on SQLite, ``COLLATE "C"`` on
PostgreSQL, VARBINARY on MySQL/MariaDB (whose text collations fold case and trailing spaces).
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import mysql, postgresql
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler

__all__ = [
    "SCHEMA_VERSION",
    "ExactText",
    "StorageNowMs",
    "Tables",
    "UTCDateTime",
    "check_prefix",
    "id_prefix",
    "tables",
    "telemetry_backend",
]

SCHEMA_VERSION = 3
"""Bumped with a migration whenever a table changes (see ``_setup``).

1: the first release. 2: ``sessions.changes``, for :meth:`MemoryBase.version`.
3: ``messages.stored_at``, for ``delete_by_mark(..., older_than=...)``.
"""

_PREFIX = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,29}")
_MYSQL = ("mysql", "mariadb")


def check_prefix(prefix: object) -> str:
    """Check ``table_prefix``: a short SQL identifier, so table names need no quoting.

    Raises:
        TypeError: not a str.
        ValueError: not 1-30 ASCII letters, digits or underscores, starting with no digit.
    """
    if not isinstance(prefix, str):
        raise TypeError(f"table_prefix must be a str, got {type(prefix).__name__}")
    if not _PREFIX.fullmatch(prefix):
        raise ValueError(
            "table_prefix must be 1-30 ASCII letters, digits or underscores, not starting "
            f"with a digit; got {prefix!r}"
        )
    return prefix


class _TextInBytes(mysql.VARBINARY):
    """VARBINARY whose parameters are sent as text (see :class:`ExactText`)."""

    def bind_processor(self, dialect: Dialect) -> None:
        return None


class ExactText(sa.types.TypeDecorator[str]):
    """A string compared byte for byte: VARBINARY holding UTF-8 on MySQL/MariaDB.

    It is bound as ``str`` on every driver: the server converts it from the connection's
    utf8mb4 to the column's bytes, and a comparison with a binary column is byte-wise. (A
    ``bytes`` parameter breaks aiomysql 0.3.2 with PyMySQL >= 1.2.)
    """

    impl = sa.String
    cache_ok = True

    def __init__(self, chars: int) -> None:
        super().__init__(chars)
        self.chars = chars

    def load_dialect_impl(self, dialect: Dialect) -> sa.types.TypeEngine[Any]:
        if dialect.name in _MYSQL:
            return dialect.type_descriptor(_TextInBytes(4 * self.chars))
        if dialect.name == "postgresql":
            return dialect.type_descriptor(postgresql.VARCHAR(self.chars, collation="C"))
        return dialect.type_descriptor(sa.String(self.chars))

    def process_result_value(self, value: Any, dialect: Dialect) -> str | None:
        if isinstance(value, (bytes, bytearray)):
            return bytes(value).decode("utf-8")
        return value  # type: ignore[no-any-return]


class UTCDateTime(sa.types.TypeDecorator[datetime]):
    """A UTC timestamp, stored naive (portable), returned timezone-aware."""

    impl = sa.DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> Any:
        if value is not None and value.tzinfo is not None:
            return value.astimezone(timezone.utc).replace(tzinfo=None)
        return value

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if isinstance(value, datetime):
            return value.replace(tzinfo=timezone.utc)
        return None


class StorageNowMs(sa.sql.expression.FunctionElement[int]):
    """The database's current time in whole milliseconds since the Unix epoch.

    The time of the statement by the database server's clock; on SQLite, which has no
    server, by the clock of the process running the statement.
    """

    type = sa.BigInteger()
    inherit_cache = True


@compiles(StorageNowMs, "sqlite")
def _sqlite_now_ms(element: StorageNowMs, compiler: SQLCompiler, **kw: Any) -> str:
    return "(CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER))"


@compiles(StorageNowMs, "postgresql")
def _postgresql_now_ms(element: StorageNowMs, compiler: SQLCompiler, **kw: Any) -> str:
    return "(CAST(floor(EXTRACT(EPOCH FROM statement_timestamp()) * 1000) AS BIGINT))"


@compiles(StorageNowMs, "mysql")
@compiles(StorageNowMs, "mariadb")
def _mysql_now_ms(element: StorageNowMs, compiler: SQLCompiler, **kw: Any) -> str:
    return "(CAST(floor(UNIX_TIMESTAMP(CURRENT_TIMESTAMP(3)) * 1000) AS SIGNED))"


def _long_text() -> sa.types.TypeEngine[str]:
    return sa.Text().with_variant(mysql.LONGTEXT(), *_MYSQL)


ID_PREFIX_CHARS = 200
"""Characters of each id in PostgreSQL's (user_id, session_id) index."""


def id_prefix(column: Any) -> Any:
    """Return the indexed leading part of an id on PostgreSQL.

    Ordering by it, then by the whole id, is the same as ordering by the id (byte-wise).
    """
    return sa.func.substr(column, 1, ID_PREFIX_CHARS)


def _not_postgresql(
    ddl: Any,
    target: Any,
    bind: Any,
    tables: Any = None,
    state: Any = None,
    *,
    dialect: Dialect,
    compiler: Any = None,
    checkfirst: bool = False,
) -> bool:
    return dialect.name != "postgresql"


@dataclass(frozen=True)
class Tables:
    """The four tables of one prefix."""

    metadata: sa.MetaData
    sessions: sa.Table
    messages: sa.Table
    marks: sa.Table
    version: sa.Table


@functools.cache
def tables(prefix: str) -> Tables:
    """Return the tables named with ``prefix`` (built once per prefix)."""
    metadata = sa.MetaData()
    big_int = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
    sessions = sa.Table(
        f"{prefix}sessions",
        metadata,
        sa.Column("id", big_int, primary_key=True, autoincrement=True),
        sa.Column("session_key", sa.String(64), nullable=False),
        sa.Column("user_id", ExactText(1024), nullable=False),
        sa.Column("session_id", ExactText(1024), nullable=False),
        sa.Column("summary", _long_text(), nullable=False),
        sa.Column("next_seq", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.Column("changes", sa.BigInteger(), nullable=False, server_default="0"),
        sa.UniqueConstraint("session_key", name=f"{prefix}sessions_key"),
        mysql_charset="utf8mb4",
        mariadb_charset="utf8mb4",
    )
    sa.Index(
        f"{prefix}sessions_user_session",
        sessions.c.user_id,
        sessions.c.session_id,
        mysql_length={"user_id": 255, "session_id": 255},
        mariadb_length={"user_id": 255, "session_id": 255},
    ).ddl_if(callable_=_not_postgresql)
    # A PostgreSQL btree entry holds at most 2,704 bytes, less than two 1,024-character ids.
    sa.Index(
        f"{prefix}sessions_user_session_prefix",
        id_prefix(sessions.c.user_id),
        id_prefix(sessions.c.session_id),
    ).ddl_if(dialect="postgresql")
    messages = sa.Table(
        f"{prefix}messages",
        metadata,
        sa.Column("session_ref", sa.BigInteger(), primary_key=True, autoincrement=False),
        sa.Column("seq", sa.BigInteger(), primary_key=True, autoincrement=False),
        sa.Column("msg_id", ExactText(255), nullable=False),
        sa.Column("payload", _long_text(), nullable=False),
        sa.Column("stored_at", sa.BigInteger(), nullable=False, server_default=StorageNowMs()),
        sa.UniqueConstraint("session_ref", "msg_id", name=f"{prefix}messages_msg_id"),
        mysql_charset="utf8mb4",
        mariadb_charset="utf8mb4",
    )
    marks = sa.Table(
        f"{prefix}marks",
        metadata,
        sa.Column("session_ref", sa.BigInteger(), primary_key=True, autoincrement=False),
        sa.Column("mark", ExactText(255), primary_key=True),
        sa.Column("seq", sa.BigInteger(), primary_key=True, autoincrement=False),
        sa.Index(f"{prefix}marks_by_seq", "session_ref", "seq"),
        mysql_charset="utf8mb4",
        mariadb_charset="utf8mb4",
    )
    version = sa.Table(
        f"{prefix}schema_version",
        metadata,
        sa.Column("singleton", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("version", sa.Integer(), nullable=False),
    )
    return Tables(metadata, sessions, messages, marks, version)


def telemetry_backend(dialect_name: str) -> str:
    """The ``memmark.backend`` of a SQL dialect in telemetry (MariaDB counts as ``mysql``)."""
    return "mysql" if dialect_name == "mariadb" else dialect_name
