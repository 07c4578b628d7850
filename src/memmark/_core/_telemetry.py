"""OpenTelemetry spans and a duration histogram for every public memory and store operation.

:func:`instrument_operations` wraps, once, every public coroutine method that ``MemoryBase``
or ``StoreBase`` defines (``close`` excepted: it releases resources, it is no storage
operation), so every backend is covered without a line of its own, and so is any method
added to the base classes later. A backend only names itself (``_telemetry_backend``).

Each call emits, when ``opentelemetry-api`` is installed (extra ``otel``) and a provider is
configured (globally, or through :func:`configure`):

- a span ``memmark.<operation>`` of kind CLIENT with ``memmark.backend``, ``db.system``
  (where OpenTelemetry's database conventions define one), counts of what was passed in and
  returned (``memmark.messages``, ``memmark.marks``, ``memmark.result.count``) and, on
  failure, an ERROR status and ``error.type``. Never message content, summaries, mark values
  or exception messages (they may quote any of these); ids only with ``record_ids=True``.
- a histogram ``memmark.operation.duration`` in seconds with ``memmark.backend``,
  ``memmark.operation`` and, on failure, ``error.type``.

Without the API or a provider, a call costs one clock read and one extra await; a global
provider set later takes effect within :data:`RECHECK_SECONDS`.
"""

from __future__ import annotations

import functools
import inspect
import time
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any, TypeVar

__all__ = ["configure", "instrument_operations"]

ClassT = TypeVar("ClassT", bound=type)

INSTRUMENTATION_NAME = "memmark"
DURATION_METRIC = "memmark.operation.duration"
RECHECK_SECONDS = 1.0
"""How soon a global provider set after memmark's first call takes effect, at the latest."""
NOT_OPERATIONS = frozenset({"close"})
"""Public coroutine methods that are not storage operations."""

DB_SYSTEMS = {
    "sqlite": "sqlite",
    "postgresql": "postgresql",
    "mysql": "mysql",
    "redis": "redis",
    "redis_cluster": "redis",
}
"""``memmark.backend`` -> OpenTelemetry's ``db.system``; Tablestore and in-memory have none."""

_DURATION_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5)

_MESSAGE_ARGUMENTS = ("memories", "msg_ids")
_MARK_ARGUMENTS = ("marks", "mark")


@dataclass
class _Settings:
    """Where telemetry goes; the tracer and histogram are resolved once a provider is real."""

    tracer_provider: Any = None
    meter_provider: Any = None
    record_ids: bool = False
    api: Any = None
    """The imported API (a namespace), ``False`` when it is not installed, ``None``: not yet."""
    tracer: Any = None
    histogram: Any = None
    settled: bool = False
    """Nothing left to look up: both instruments found, or the API is missing."""
    next_check: float = 0.0
    """``time.monotonic()`` from which missing providers are looked up again."""


_settings = _Settings()


def configure(
    *,
    tracer_provider: Any = None,
    meter_provider: Any = None,
    record_ids: bool = False,
) -> None:
    """Choose where memmark's spans and metrics go, and whether spans carry ids.

    Without a call, memmark uses OpenTelemetry's global providers (``set_tracer_provider``,
    ``set_meter_provider``) and emits nothing until they are set.

    Args:
        tracer_provider: A ``TracerProvider`` for memmark's spans; ``None``: the global one.
        meter_provider: A ``MeterProvider`` for its histogram; ``None``: the global one.
        record_ids: Add ``memmark.user_id`` and ``memmark.session_id`` to spans. Off by
            default: ids are often personal data and make traces high-cardinality.

    Raises:
        TypeError: ``record_ids`` is not a bool.
    """
    if not isinstance(record_ids, bool):
        raise TypeError(f"record_ids must be a bool, got {type(record_ids).__name__}")
    global _settings
    _settings = _Settings(
        tracer_provider=tracer_provider, meter_provider=meter_provider, record_ids=record_ids
    )


def instrument_operations(cls: ClassT) -> ClassT:
    """Wrap every public coroutine method ``cls`` defines (see the module docstring)."""
    for name, value in list(vars(cls).items()):
        if name.startswith("_") or name in NOT_OPERATIONS:
            continue
        if inspect.iscoroutinefunction(value):
            setattr(cls, name, _operation(name, value))
    return cls


def _operation(
    name: str, method: Callable[..., Coroutine[Any, Any, Any]]
) -> Callable[..., Coroutine[Any, Any, Any]]:
    signature = inspect.signature(method)

    @functools.wraps(method)
    async def observed(self: Any, *args: Any, **kwargs: Any) -> Any:
        tracer, histogram = _instruments()
        if tracer is None and histogram is None:
            return await method(self, *args, **kwargs)
        backend = str(self._telemetry_backend)
        start = time.perf_counter()
        error_type: str | None = None
        try:
            if tracer is None:
                return await method(self, *args, **kwargs)
            attributes = _span_attributes(backend, self, signature, args, kwargs)
            with tracer.start_as_current_span(
                f"memmark.{name}",
                kind=_settings.api.SpanKind.CLIENT,
                attributes=attributes,
                record_exception=False,
                set_status_on_exception=False,
            ) as span:
                try:
                    result = await method(self, *args, **kwargs)
                except BaseException as exc:
                    error_type = _error_type(exc)
                    span.set_attribute("error.type", error_type)
                    span.add_event("exception", {"exception.type": error_type})
                    span.set_status(_settings.api.Status(_settings.api.StatusCode.ERROR))
                    raise
                count = _result_count(result)
                if count is not None:
                    span.set_attribute("memmark.result.count", count)
                return result
        except BaseException as exc:
            error_type = error_type or _error_type(exc)
            raise
        finally:
            if histogram is not None:
                point = {"memmark.backend": backend, "memmark.operation": name}
                if error_type is not None:
                    point["error.type"] = error_type
                histogram.record(time.perf_counter() - start, point)

    return observed


def _instruments() -> tuple[Any, Any]:
    """The tracer and histogram to use now; ``None`` for each that has no real provider.

    Looking the global providers up costs microseconds, more than the rest of an off call, so
    while one is missing it is looked up again at most every :data:`RECHECK_SECONDS`.
    """
    settings = _settings
    if settings.settled or time.monotonic() < settings.next_check:
        return settings.tracer, settings.histogram
    settings.next_check = time.monotonic() + RECHECK_SECONDS
    api = settings.api
    if api is None:
        api = settings.api = _load_api()
    if api is False:
        settings.settled = True
        return None, None
    if settings.tracer is None:
        provider = settings.tracer_provider or api.trace.get_tracer_provider()
        if not isinstance(provider, api.placeholder_tracer_providers):
            settings.tracer = provider.get_tracer(INSTRUMENTATION_NAME)
    if settings.histogram is None:
        provider = settings.meter_provider or api.metrics.get_meter_provider()
        if not isinstance(provider, api.placeholder_meter_providers):
            settings.histogram = _duration_histogram(provider.get_meter(INSTRUMENTATION_NAME))
    settings.settled = settings.tracer is not None and settings.histogram is not None
    return settings.tracer, settings.histogram


@dataclass(frozen=True)
class _Api:
    trace: Any
    metrics: Any
    SpanKind: Any
    Status: Any
    StatusCode: Any
    placeholder_tracer_providers: tuple[type, ...]
    placeholder_meter_providers: tuple[type, ...]


def _load_api() -> _Api | bool:
    """Import the OpenTelemetry API, or return ``False`` when it is not installed."""
    try:
        from opentelemetry import metrics, trace
    except ImportError:
        return False
    meter_placeholders: tuple[type, ...] = (metrics.NoOpMeterProvider,)
    try:  # the global provider before one is set; not exported, so found by its module
        from opentelemetry.metrics._internal import _ProxyMeterProvider

        meter_placeholders += (_ProxyMeterProvider,)
    except ImportError:
        pass
    return _Api(
        trace=trace,
        metrics=metrics,
        SpanKind=trace.SpanKind,
        Status=trace.Status,
        StatusCode=trace.StatusCode,
        placeholder_tracer_providers=(trace.ProxyTracerProvider, trace.NoOpTracerProvider),
        placeholder_meter_providers=meter_placeholders,
    )


def _duration_histogram(meter: Any) -> Any:
    options: dict[str, Any] = {
        "unit": "s",
        "description": "Duration of memmark memory and store operations.",
    }
    try:
        return meter.create_histogram(
            DURATION_METRIC, explicit_bucket_boundaries_advisory=_DURATION_BUCKETS, **options
        )
    except TypeError:  # an API older than 1.23 has no bucket advice
        return meter.create_histogram(DURATION_METRIC, **options)


def _span_attributes(
    backend: str,
    target: Any,
    signature: inspect.Signature,
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
) -> dict[str, Any]:
    """Backend, counts of what is passed in, and ids if asked for; never any value."""
    attributes: dict[str, Any] = {"memmark.backend": backend}
    system = DB_SYSTEMS.get(backend)
    if system is not None:
        attributes["db.system"] = system
    try:
        arguments = signature.bind(target, *args, **kwargs).arguments
    except TypeError:  # the call itself is wrong; the method raises that
        return attributes
    messages = _messages_passed(arguments)
    if messages is not None:
        attributes["memmark.messages"] = messages
    for name in _MARK_ARGUMENTS:
        marks = _count_of(arguments.get(name))
        if marks is not None:
            attributes["memmark.marks"] = marks
            break
    if _settings.record_ids:
        for name in ("user_id", "session_id"):
            value = arguments.get(name, getattr(target, name, None))
            if isinstance(value, str):
                attributes[f"memmark.{name}"] = value
    return attributes


def _messages_passed(arguments: dict[str, Any]) -> int | None:
    for name in _MESSAGE_ARGUMENTS:
        count = _count_of(arguments.get(name))
        if count is not None:
            return count
    state = arguments.get("state")
    if isinstance(state, dict) and isinstance(state.get("content"), list):
        return len(state["content"])
    return None


def _count_of(value: Any) -> int | None:
    """How many items an argument holds: one for a single item, ``None`` when absent."""
    if value is None:
        return None
    if isinstance(value, (list, tuple, set, frozenset)):
        return len(value)
    return 1


def _result_count(result: Any) -> int | None:
    """How many things an operation returned or affected, when it says."""
    if isinstance(result, bool):
        return int(result)
    if isinstance(result, int):
        return result
    if isinstance(result, list):
        return len(result)
    items = getattr(result, "items", None)
    if isinstance(items, list):  # a Page
        return len(items)
    if isinstance(result, dict) and isinstance(result.get("content"), list):  # a state
        return len(result["content"])
    return None


def _error_type(exc: BaseException) -> str:
    """The exception's fully qualified class name (``error.type`` in the conventions)."""
    cls = type(exc)
    if cls.__module__ == "builtins":
        return cls.__qualname__
    return f"{cls.__module__}.{cls.__qualname__}"
