"""What memmark's OpenTelemetry instrumentation costs a single ``add``, on SQLite and Redis.

Three modes, interleaved call by call so each sees the same background load (quote the
ratios, not the absolute figures, on a shared machine):

- ``bare``: the uninstrumented method (``MemoryBase.add.__wrapped__``), i.e. memmark before
  the instrumentation;
- ``off``: the instrumented method with no provider configured (the default);
- ``sdk``: an OpenTelemetry SDK tracer provider (simple span processor) and meter provider
  (periodic reader, 60 s) whose exporters drop everything.

    python benchmarks/bench_otel.py [sqlite] [redis] [--runs 2000] [--redis-url URL]

Redis keys go under a random prefix and are deleted afterwards; SQLite uses a temporary file.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import (
    MetricExporter,
    MetricExportResult,
    PeriodicExportingMetricReader,
)
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor, SpanExporter, SpanExportResult

import memmark
import memmark.telemetry
from memmark._core import _telemetry
from memmark.memory import MemoryBase
from memmark.message import Msg

MODES = ("bare", "off", "sdk")


class DropSpans(SpanExporter):
    def export(self, spans: Sequence[Any]) -> SpanExportResult:
        return SpanExportResult.SUCCESS


class DropMetrics(MetricExporter):
    def export(self, metrics_data: Any, timeout_millis: float = 10_000, **kwargs: Any) -> Any:
        return MetricExportResult.SUCCESS

    def force_flush(self, timeout_millis: float = 10_000) -> bool:
        return True

    def shutdown(self, timeout_millis: float = 30_000, **kwargs: Any) -> None:
        return None


def sdk_settings() -> tuple[Any, TracerProvider, MeterProvider]:
    tracer_provider = TracerProvider()
    tracer_provider.add_span_processor(SimpleSpanProcessor(DropSpans()))
    reader = PeriodicExportingMetricReader(DropMetrics(), export_interval_millis=60_000)
    meter_provider = MeterProvider(metric_readers=[reader])
    memmark.telemetry.configure(tracer_provider=tracer_provider, meter_provider=meter_provider)
    settings = _telemetry._settings
    memmark.telemetry.configure()
    return settings, tracer_provider, meter_provider


async def bench(memory: MemoryBase, runs: int) -> dict[str, float]:
    """p50 of one ``add`` in microseconds per mode, the modes rotated call by call."""
    off = _telemetry._settings
    sdk, tracer_provider, meter_provider = sdk_settings()
    bare_add = MemoryBase.add.__wrapped__  # type: ignore[attr-defined]

    async def call(mode: str, i: int) -> float:
        msg = Msg("Alice", f"message {i}: " + "lorem ipsum " * 8, "user")
        _telemetry._settings = sdk if mode == "sdk" else off
        start = time.perf_counter_ns()
        if mode == "bare":
            await bare_add(memory, msg)
        else:
            await memory.add(msg)
        elapsed = (time.perf_counter_ns() - start) / 1000
        _telemetry._settings = off
        return elapsed

    for i in range(50):  # warm up: schema, connections, scripts, the SDK's instruments
        for mode in MODES:
            await call(mode, -1 - i)
    times: dict[str, list[float]] = {mode: [] for mode in MODES}
    for i in range(runs):
        order = MODES[i % 3 :] + MODES[: i % 3]
        for mode in order:
            times[mode].append(await call(mode, i))
    tracer_provider.shutdown()
    meter_provider.shutdown()
    return {mode: statistics.median(values) for mode, values in times.items()}


def report(backend: str, p50: dict[str, float]) -> None:
    bare = p50["bare"]
    print(
        f"{backend:7} add p50: bare {bare:7.1f} us | off {p50['off']:7.1f} us "
        f"(x{p50['off'] / bare:.3f}) | sdk {p50['sdk']:7.1f} us (x{p50['sdk'] / bare:.3f})"
    )


async def run_sqlite(runs: int) -> None:
    with tempfile.TemporaryDirectory() as directory:
        url = f"sqlite+aiosqlite:///{Path(directory) / 'bench.db'}"
        async with memmark.connect(url) as store, store.memory("u", "s") as memory:
            report("sqlite", await bench(memory, runs))


async def run_redis(runs: int, url: str) -> None:
    prefix = f"memmark-bench-otel-{uuid.uuid4().hex[:8]}"
    async with memmark.connect(url, key_prefix=prefix) as store:
        try:
            async with store.memory("u", "s") as memory:
                report("redis", await bench(memory, runs))
        finally:
            client: Any = store.get_client()  # type: ignore[attr-defined]
            keys = [key async for key in client.scan_iter(match=f"{prefix}*")]
            if keys:
                await client.delete(*keys)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("backends", nargs="*", help="sqlite and/or redis (default: both)")
    parser.add_argument("--runs", type=int, default=2000)
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/0")
    args = parser.parse_args()
    for backend in args.backends or ["sqlite", "redis"]:
        if backend not in ("sqlite", "redis"):
            parser.error(f"unknown backend {backend!r}: choose sqlite and/or redis")
        if backend == "sqlite":
            asyncio.run(run_sqlite(args.runs))
        else:
            asyncio.run(run_redis(args.runs, args.redis_url))


if __name__ == "__main__":
    main()
