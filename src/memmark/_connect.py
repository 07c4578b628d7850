"""``memmark.connect(url)``: one entry point from a storage URL to a store.

==================================  =========================================================
URL                                 store
==================================  =========================================================
``sqlite+aiosqlite:///file.db``     ``SQLStore`` (SQLite, the embedded default)
``postgresql+asyncpg://u@h/db``     ``SQLStore`` (extra ``postgres``)
``mysql+asyncmy://u@h/db``          ``SQLStore`` (extra ``mysql``; also MariaDB)
any other ``dialect+asyncdriver``   ``SQLStore``, if SQLAlchemy knows the async driver
``redis://h:6379/0``, ``rediss://``  ``RedisStore`` (extra ``redis``)
``redis+cluster://h:7000``          ``RedisStore(cluster=True)``, seeded from that node;
                                    ``rediss+cluster://`` for TLS
``tablestore://``                   ``TablestoreStore.from_env()``: endpoint, instance and
                                    credentials from the ``TABLESTORE_*`` variables
==================================  =========================================================

Stores are imported only when their scheme is used, so a missing driver is reported as
``ImportError`` with the ``pip install`` command, and only for the backend asked for. A URL
memmark cannot parse (a port that is not a number, say) is a ``ValueError`` starting
"cannot open storage URL", and a SQLite file in a directory that does not exist is a
``FileNotFoundError`` naming that path, raised before any connection is tried.
"""

from __future__ import annotations

import errno
import importlib.util
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from memmark._optional import require
from memmark.store import StoreBase

__all__ = ["ACCEPTED_SCHEMES", "connect", "sqlite_path", "storage_kind"]

ACCEPTED_SCHEMES = (
    "sqlite+aiosqlite://",
    "postgresql+asyncpg://",
    "mysql+asyncmy://",
    "redis://",
    "rediss://",
    "redis+cluster://",
    "rediss+cluster://",
    "tablestore://",
)

_SQL_DRIVERS: dict[str, tuple[str, str]] = {
    "asyncpg": ("asyncpg", "postgres"),
    "asyncmy": ("asyncmy", "mysql"),
}
"""SQLAlchemy driver name -> (module to import, memmark extra that installs it)."""

_SYNC_HINTS = {
    "sqlite": "sqlite+aiosqlite",
    "postgresql": "postgresql+asyncpg",
    "postgres": "postgresql+asyncpg",
    "mysql": "mysql+asyncmy",
    "mariadb": "mysql+asyncmy",
}


def connect(url: str, **options: Any) -> StoreBase:
    """Return the store for a storage URL; close it (or ``async with`` it) when done.

    Args:
        url: A storage URL; the module docstring lists the accepted forms.
        **options: Passed to the store's constructor, e.g. ``table_prefix=`` for SQL,
            ``key_prefix=`` / ``key_ttl=`` for Redis, engine options such as ``pool_size=``.

    Raises:
        TypeError: ``url`` is not a str.
        ValueError: the URL's scheme is not one memmark accepts; the message lists them.
        ImportError: the backend's driver is missing; the message has the ``pip install``.
        FileNotFoundError: a SQLite file's directory does not exist (``filename`` names it).
    """
    kind, url = storage_kind(url)
    if kind == "redis":
        return _store("RedisStore")(url, **options)  # type: ignore[no-any-return]
    if kind == "redis-cluster":
        return _store("RedisStore")(url, cluster=True, **options)  # type: ignore[no-any-return]
    if kind == "tablestore":
        return _store("TablestoreStore").from_env(**options)  # type: ignore[no-any-return]
    path = sqlite_path(url)
    if path is not None and not path.parent.is_dir():
        raise FileNotFoundError(
            errno.ENOENT, "the directory of this SQLite file does not exist", str(path)
        )
    from sqlalchemy.exc import ArgumentError, InvalidRequestError

    try:
        return _store("SQLStore")(url, **options)  # type: ignore[no-any-return]
    except (ArgumentError, InvalidRequestError) as exc:
        raise _unknown_scheme(f"SQLAlchemy cannot use it ({exc})") from exc


def storage_kind(url: str) -> tuple[str, str]:
    """Classify a storage URL and check its driver is installed.

    Returns:
        ``(kind, url)`` with kind one of ``"sql"``, ``"redis"``, ``"redis-cluster"``,
        ``"tablestore"``; for a cluster the URL is rewritten to the plain ``redis(s)://`` form.

    Raises:
        TypeError, ValueError, ImportError: as :func:`connect` does.
    """
    if not isinstance(url, str):
        raise TypeError(f"url must be a str, got {type(url).__name__}")
    scheme, separator, rest = url.partition("://")
    scheme = scheme.lower()
    if not separator or not scheme:
        raise _unknown_scheme(f"{url!r} has no scheme")
    if scheme in {"redis", "rediss"}:
        _require_installed("redis", extra="redis", feature=f"A {scheme}:// URL")
        _check_port(url)
        return "redis", url
    if scheme in {"redis+cluster", "rediss+cluster"}:
        _require_installed("redis", extra="redis", feature=f"A {scheme}:// URL")
        _check_port(url)
        return "redis-cluster", f"{scheme.partition('+')[0]}://{rest}"
    if scheme == "tablestore":
        _require_installed("tablestore", extra="tablestore", feature="A tablestore:// URL")
        return "tablestore", url
    if scheme in _SYNC_HINTS:
        raise _unknown_scheme(
            f"{scheme}:// has no async driver; write {_SYNC_HINTS[scheme]}:// instead"
        )
    if "+" not in scheme:
        raise _unknown_scheme(f"unknown scheme {scheme}://")
    driver = scheme.partition("+")[2]
    if driver in _SQL_DRIVERS:
        module, extra = _SQL_DRIVERS[driver]
        _require_installed(module, extra=extra, feature=f"A {scheme}:// URL")
    return "sql", url


def sqlite_path(url: str) -> Path | None:
    """The database file of a SQLite URL, or ``None`` (another backend, in-memory, a URI)."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        parsed = make_url(url)
    except (ArgumentError, ValueError):  # not a URL SQLAlchemy parses, so no SQLite file
        return None
    database = parsed.database
    if parsed.get_backend_name() != "sqlite" or not database or database == ":memory:":
        return None
    if parsed.query.get("uri") == "true":
        return None
    return Path(database)


def _check_port(url: str) -> None:
    """Reject a port that is not a number before redis-py words it its own way."""
    try:
        urlsplit(url).port  # noqa: B018 (parsing the port is the check)
    except ValueError:
        raise _bad_url("its port is not a number from 0 to 65535") from None


def _require_installed(module: str, *, extra: str, feature: str) -> None:
    """Check a top-level driver module is installed without importing it (the store will)."""
    try:
        found = importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):
        found = False
    if not found:
        require(module, extra=extra, feature=feature)


def _store(name: str) -> Any:
    """The store class ``name``, imported only now."""
    from memmark import store

    try:
        return getattr(store, name)
    except AttributeError:
        raise ImportError(f"{name} is not available in this memmark build") from None


def _bad_url(reason: str) -> ValueError:
    """The error for a URL memmark cannot parse; never echoes the URL's credentials."""
    return ValueError(f"cannot open storage URL: {reason}")


def _unknown_scheme(reason: str) -> ValueError:
    """The error for a URL whose scheme memmark cannot open; lists the accepted ones."""
    return _bad_url(
        f"{reason}. Accepted: {', '.join(ACCEPTED_SCHEMES)} or another SQLAlchemy async URL"
    )
