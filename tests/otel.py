"""The ``telemetry`` fixture: memmark's spans and metrics into the SDK's in-memory exporters.

A pytest plugin (listed in ``tests/conftest.py``). memmark is pointed at private SDK providers
with ``memmark.telemetry.configure`` and back at the (unset) global ones afterwards, so no
other test runs instrumented. ``@pytest.mark.parametrize("telemetry", [True], indirect=True)``
turns on ``record_ids``.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

import memmark.telemetry


@dataclass
class Telemetry:
    spans: InMemorySpanExporter
    metrics: InMemoryMetricReader

    def finished(self) -> list[Any]:
        return list(self.spans.get_finished_spans())

    def durations(self) -> list[Any]:
        data = self.metrics.get_metrics_data()
        points = []
        for resource in data.resource_metrics if data else []:
            for scope in resource.scope_metrics:
                for metric in scope.metrics:
                    if metric.name == "memmark.operation.duration":
                        assert metric.unit == "s"
                        points += metric.data.data_points
        return points


@pytest.fixture
def telemetry(request: pytest.FixtureRequest) -> Iterator[Telemetry]:
    record_ids = bool(getattr(request, "param", False))
    spans = InMemorySpanExporter()
    tracer_provider = TracerProvider()
    tracer_provider.add_span_processor(SimpleSpanProcessor(spans))
    reader = InMemoryMetricReader()
    meter_provider = MeterProvider(metric_readers=[reader])
    memmark.telemetry.configure(
        tracer_provider=tracer_provider, meter_provider=meter_provider, record_ids=record_ids
    )
    try:
        yield Telemetry(spans, reader)
    finally:
        memmark.telemetry.configure()
        tracer_provider.shutdown()
        meter_provider.shutdown()


def all_values(span: Any) -> list[str]:
    """Every string a span carries: name, attribute and event values, status description."""
    values = [str(v) for v in span.attributes.values()]
    for event in span.events:
        values += [str(v) for v in event.attributes.values()]
    return [*values, span.name, span.status.description or ""]
