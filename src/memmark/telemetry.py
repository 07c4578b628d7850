"""OpenTelemetry for memmark: spans and a duration histogram for every memory and store call.

Install the API (``pip install 'memmark[otel]'``) and configure an SDK as usual; memmark uses
the global tracer and meter providers and emits nothing until they are set::

    from opentelemetry import trace
    from opentelemetry.sdk.trace import TracerProvider

    trace.set_tracer_provider(TracerProvider())  # plus your exporter

Every public operation (``add``, ``get_memory``, ``list_sessions``, ...) becomes a CLIENT span
``memmark.<operation>`` with ``memmark.backend`` (``sqlite``, ``postgresql``, ``mysql``,
``redis``, ``redis_cluster``, ``tablestore``, ``in_memory``), ``db.system`` where
OpenTelemetry defines one, ``memmark.messages`` / ``memmark.marks`` (how many were passed in),
``memmark.result.count`` (how many were returned or affected) and, on failure, an ERROR status
with ``error.type``. The histogram ``memmark.operation.duration`` (seconds) carries
``memmark.backend``, ``memmark.operation`` and ``error.type``. Message content, summaries,
mark values and exception messages are never recorded; user and session ids only after
``configure(record_ids=True)``.
"""

from __future__ import annotations

from memmark._core import configure_telemetry as configure

__all__ = ["configure"]
