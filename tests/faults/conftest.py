"""Fixtures for fault tests: private servers, started once per run and running at each test.

Each test may kill or restart its server; the next test finds it running again. The servers
are deleted with their data at the end of the run, and the shared servers are never touched.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.faults.servers import (
    PrivateMariaDB,
    PrivatePostgres,
    PrivateRedis,
    PrivateServer,
    ServerUnavailable,
)
from tests.faults.targets import Target
from tests.servers import unavailable


def _session_server(factory: type[PrivateServer]) -> Iterator[PrivateServer | str]:
    try:
        server = factory()
        server.start()
    except ServerUnavailable as exc:
        yield f"private {factory.name} unavailable: {exc}"
        return
    try:
        yield server
    finally:
        server.stop()


def _running(server: PrivateServer | str) -> PrivateServer:
    if isinstance(server, str):
        unavailable(server)
        raise AssertionError("unreachable")
    server.start()
    return server


@pytest.fixture(scope="session")
def _private_postgres() -> Iterator[PrivateServer | str]:
    yield from _session_server(PrivatePostgres)


@pytest.fixture(scope="session")
def _private_redis() -> Iterator[PrivateServer | str]:
    yield from _session_server(PrivateRedis)


@pytest.fixture(scope="session")
def _private_mariadb() -> Iterator[PrivateServer | str]:
    yield from _session_server(PrivateMariaDB)


@pytest.fixture
def private_postgres(_private_postgres: PrivateServer | str) -> PrivatePostgres:
    """A throw-away PostgreSQL cluster, running."""
    server = _running(_private_postgres)
    assert isinstance(server, PrivatePostgres)
    return server


@pytest.fixture
def private_redis(_private_redis: PrivateServer | str) -> PrivateRedis:
    """A throw-away redis-server with ``appendfsync always``, running."""
    server = _running(_private_redis)
    assert isinstance(server, PrivateRedis)
    return server


@pytest.fixture
def private_mariadb(_private_mariadb: PrivateServer | str) -> PrivateMariaDB:
    """A throw-away MariaDB, running."""
    server = _running(_private_mariadb)
    assert isinstance(server, PrivateMariaDB)
    return server


_BACKEND_CLASSES = {kind: "AsyncSQLAlchemyMemory" for kind in ("postgres", "mysql", "sqlite")}
_SERVER_FIXTURES = {
    "postgres": "private_postgres",
    "mysql": "private_mariadb",
    "redis": "private_redis",
}


def require_backend(kind: str) -> None:
    """Skip unless this checkout has the memory class of ``kind``."""
    import memmark.memory

    name = _BACKEND_CLASSES.get(kind, "RedisMemory")
    if not hasattr(memmark.memory, name):
        pytest.skip(f"{name} is not in this checkout")


@pytest.fixture
def server_target(request: pytest.FixtureRequest) -> tuple[PrivateServer, Target]:
    """A running private server of the kind in ``request.param`` and a fresh target on it."""
    kind: str = request.param
    require_backend(kind)
    server: PrivateServer = request.getfixturevalue(_SERVER_FIXTURES[kind])
    return server, Target(kind, server.url)  # type: ignore[attr-defined]


@pytest.fixture
def fault_target(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Target:
    """A fresh target of the kind in ``request.param``: a private server's, or a SQLite file."""
    kind: str = request.param
    require_backend(kind)
    if kind == "sqlite":
        path = tmp_path_factory.mktemp("sqlite") / "faults.db"
        return Target(kind, f"sqlite+aiosqlite:///{path}")
    server: PrivateServer = request.getfixturevalue(_SERVER_FIXTURES[kind])
    return Target(kind, server.url)  # type: ignore[attr-defined]
