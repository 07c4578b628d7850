"""The backend registry every conformance test is parametrized over.

A backend joins the suite with one :class:`Backend` entry in :data:`BACKENDS` plus a fixture
(named by ``provider_fixture``, defined in a module of ``tests/providers`` listed in
``tests/conftest.py``) that returns a :data:`Provider`.

A provider is called once per test. Entering it yields a :data:`MemoryFactory` over storage
that is fresh and private to that test (its own database tables, key prefix, ...), so tests
may use fixed ids such as ``"default"``. Leaving it closes every memory the factory made and
drops what the test created.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from typing import Any, Protocol

import pytest

from memmark.memory import MemoryBase
from tests.providers.tablestore_env import live_credentials


class MemoryFactory(Protocol):
    """Open a memory on the test's private storage."""

    def __call__(self, *, user_id: str = ..., session_id: str = ...) -> Awaitable[MemoryBase]: ...


Provider = Callable[[], AbstractAsyncContextManager[MemoryFactory]]


@dataclass(frozen=True)
class Backend:
    """One entry of the registry."""

    id: str
    provider_fixture: str
    persistent: bool
    """Whether two memory objects on the same (user, session) share their data."""
    marks: tuple[Any, ...] = field(default=())
    repeat_share: float = 1.0
    """Share of the randomised scenarios' examples (the stateful test) it runs: another
    driver or mode of a database already in the suite runs every test, with fewer random
    sequences, so the matrix stays affordable."""


EXTRA = 0.25
"""``repeat_share`` of each storage's other drivers, modes and codecs beyond its first."""

BACKENDS: tuple[Backend, ...] = (
    Backend("inmemory", "inmemory_provider", persistent=False),
    # SQL: every (database, driver) pair, on memmark's engine and in the caller's AsyncSession
    Backend("sqlite", "sqlite_provider", persistent=True),
    Backend("sqlite_session", "sqlite_session_provider", persistent=True, repeat_share=EXTRA),
    Backend("postgres", "postgres_provider", persistent=True, marks=(pytest.mark.postgres,)),
    Backend(
        "postgres_session",
        "postgres_session_provider",
        persistent=True,
        marks=(pytest.mark.postgres,),
        repeat_share=EXTRA,
    ),
    Backend(
        "postgres_psycopg",
        "postgres_psycopg_provider",
        persistent=True,
        marks=(pytest.mark.postgres,),
        repeat_share=EXTRA,
    ),
    Backend(
        "postgres_psycopg_session",
        "postgres_psycopg_session_provider",
        persistent=True,
        marks=(pytest.mark.postgres,),
        repeat_share=EXTRA,
    ),
    Backend("mysql", "mysql_provider", persistent=True, marks=(pytest.mark.mysql,)),
    Backend(
        "mysql_session",
        "mysql_session_provider",
        persistent=True,
        marks=(pytest.mark.mysql,),
        repeat_share=EXTRA,
    ),
    Backend(
        "mysql_aiomysql",
        "mysql_aiomysql_provider",
        persistent=True,
        marks=(pytest.mark.mysql,),
        repeat_share=EXTRA,
    ),
    Backend(
        "mysql_aiomysql_session",
        "mysql_aiomysql_session_provider",
        persistent=True,
        marks=(pytest.mark.mysql,),
        repeat_share=EXTRA,
    ),
    Backend(  # an account without CREATE ROUTINE: add by statements, not the procedure
        "mysql_statements",
        "mysql_statements_provider",
        persistent=True,
        marks=(pytest.mark.mysql,),
        repeat_share=EXTRA,
    ),
    Backend("redis", "redis_provider", persistent=True, marks=(pytest.mark.redis,)),
    Backend("redis_fake", "redis_fake_provider", persistent=True),
    Backend(
        "redis_cluster",
        "redis_cluster_provider",
        persistent=True,
        marks=(pytest.mark.redis_cluster,),
    ),
    Backend("tablestore_emulator", "tablestore_emulator_provider", persistent=True),
    Backend(  # the SDK's pure-Python codec: the same storage code, another wire encoding
        "tablestore_emulator_pure",
        "tablestore_emulator_pure_provider",
        persistent=True,
        repeat_share=EXTRA,
    ),
)
if live_credentials() is not None:  # otherwise one explicit test reports the skip
    BACKENDS += (
        Backend(
            "tablestore_live",
            "tablestore_live_provider",
            persistent=True,
            marks=(pytest.mark.tablestore_live,),
        ),
    )


def backend_params(*, persistent_only: bool = False) -> list[Any]:
    """``pytest.param`` per backend, with its id and markers."""
    return [
        pytest.param(backend, id=backend.id, marks=backend.marks)
        for backend in BACKENDS
        if backend.persistent or not persistent_only
    ]
