"""Shared fixtures: the backend registry as ``memory_factory`` and friends."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from hypothesis import HealthCheck, settings

from tests.registry import Backend, MemoryFactory, Provider, backend_params
from tests.servers import IN_CI

pytest_plugins = [
    "tests.providers.inmemory",
    "tests.providers.sql",
    "tests.providers.redis",
    "tests.providers.tablestore",
    "tests.otel",
]

settings.register_profile(
    "default",
    max_examples=50,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
settings.register_profile(
    "ci",
    max_examples=100,  # x 17 backends: the matrix, not the examples, is the coverage
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
settings.load_profile("ci" if IN_CI else "default")


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Parametrize the registry fixtures over the registered backends."""
    for name, persistent_only in (
        ("memory_factory", False),
        ("persistent_memory_factory", True),
        ("backend_provider", False),
    ):
        if name in metafunc.fixturenames:
            metafunc.parametrize(
                name, backend_params(persistent_only=persistent_only), indirect=True
            )


def _provider(request: pytest.FixtureRequest) -> Provider:
    backend: Backend = request.param
    provider: Provider = request.getfixturevalue(backend.provider_fixture)
    return provider


@pytest.fixture
def backend_provider(request: pytest.FixtureRequest) -> Provider:
    """The provider of the backend under test, for tests that run their own event loop."""
    return _provider(request)


@pytest.fixture
async def memory_factory(request: pytest.FixtureRequest) -> AsyncIterator[MemoryFactory]:
    """Opens memories of the backend under test on storage private to this test."""
    async with _provider(request)() as factory:
        yield factory


@pytest.fixture
async def persistent_memory_factory(
    request: pytest.FixtureRequest,
) -> AsyncIterator[MemoryFactory]:
    """Like ``memory_factory``, over the backends whose memory objects share storage."""
    async with _provider(request)() as factory:
        yield factory
