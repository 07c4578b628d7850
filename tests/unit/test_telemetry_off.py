"""Without the OpenTelemetry API or a provider, memmark emits nothing and works as before."""

from __future__ import annotations

import inspect
import sys
from collections.abc import Iterator

import pytest
from opentelemetry import metrics, trace

import memmark.telemetry
from memmark._core import _telemetry
from memmark.memory import InMemoryMemory, MemoryBase
from memmark.message import Msg
from memmark.store import StoreBase


@pytest.fixture(autouse=True)
def reset() -> Iterator[None]:
    memmark.telemetry.configure()
    yield
    memmark.telemetry.configure()


async def test_placeholder_providers_mean_no_instruments() -> None:
    memmark.telemetry.configure(
        tracer_provider=trace.NoOpTracerProvider(), meter_provider=metrics.NoOpMeterProvider()
    )
    assert _telemetry._instruments() == (None, None)
    memory = InMemoryMemory()
    await memory.add(Msg("a", "x", "user"))
    assert await memory.size() == 1


async def test_a_missing_api_is_nothing_at_all(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "opentelemetry", None)
    assert _telemetry._instruments() == (None, None)
    assert _telemetry._settings.api is False
    memory = InMemoryMemory()
    await memory.add(Msg("a", "x", "user"), marks="m")
    assert [m.content for m in await memory.get_memory(mark="m")] == ["x"]


def test_every_public_coroutine_but_close_is_instrumented() -> None:
    for cls in (MemoryBase, StoreBase):
        for name, value in vars(cls).items():
            if name.startswith("_") or not callable(value):
                continue
            wrapped = hasattr(value, "__wrapped__")
            assert wrapped == (name != "close" and inspect.iscoroutinefunction(value))


def test_record_ids_must_be_a_bool() -> None:
    with pytest.raises(TypeError, match="record_ids must be a bool"):
        memmark.telemetry.configure(record_ids="yes")  # type: ignore[arg-type]
