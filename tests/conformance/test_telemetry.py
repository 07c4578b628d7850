"""OpenTelemetry spans and metrics of every memory operation, on every backend."""

from __future__ import annotations

from typing import Any

import pytest
from opentelemetry.trace import SpanKind, StatusCode

from tests.conformance.helpers import msg
from tests.otel import Telemetry, all_values

BACKEND_NAMES = {
    "inmemory": ("in_memory", None),
    "sqlite": ("sqlite", "sqlite"),
    "postgres": ("postgresql", "postgresql"),
    "mysql": ("mysql", "mysql"),
    "redis": ("redis", "redis"),
    "redis_cluster": ("redis_cluster", "redis"),
    "tablestore": ("tablestore", None),
}
"""Registry id (or its first word: ``postgres_psycopg`` -> ``postgres``) -> expected
(memmark.backend, db.system)."""

SECRET_USER, SECRET_SESSION = "user-secret-3f9", "session-secret-8c1"
SECRET_CONTENT, SECRET_MARK, SECRET_SUMMARY = "content-secret-71a", "mark-secret-0d2", "sum-4be"


def _expected(request: pytest.FixtureRequest) -> tuple[str, str | None]:
    backend_id = request.node.callspec.params["memory_factory"].id
    return BACKEND_NAMES.get(backend_id) or BACKEND_NAMES[backend_id.split("_")[0]]


async def test_every_operation_is_one_client_span_with_counts_and_no_values(
    memory_factory: Any, telemetry: Telemetry, request: pytest.FixtureRequest
) -> None:
    backend, db_system = _expected(request)
    memory = await memory_factory(user_id=SECRET_USER, session_id=SECRET_SESSION)
    telemetry.spans.clear()
    first, second = msg(SECRET_CONTENT), msg("other")
    await memory.add([first, second], marks=[SECRET_MARK, "b"])
    await memory.get_memory(mark=SECRET_MARK)
    await memory.update_compressed_summary(SECRET_SUMMARY)
    await memory.update_messages_mark("c", old_mark="b")
    await memory.delete([first.id])
    state = await memory.export_state()
    await memory.import_state(state)
    assert await memory.size() == 1
    assert await memory.delete_by_mark("c") == 1
    await memory.clear()

    spans = telemetry.finished()
    assert [span.name for span in spans] == [
        "memmark.add",
        "memmark.get_memory",
        "memmark.update_compressed_summary",
        "memmark.update_messages_mark",
        "memmark.delete",
        "memmark.export_state",
        "memmark.import_state",
        "memmark.size",
        "memmark.delete_by_mark",
        "memmark.clear",
    ]
    for span in spans:
        assert span.kind is SpanKind.CLIENT
        assert span.attributes["memmark.backend"] == backend
        assert span.attributes.get("db.system") == db_system
        assert span.status.status_code is StatusCode.UNSET
        values = " ".join(all_values(span))
        for secret in (SECRET_USER, SECRET_SESSION, SECRET_CONTENT, SECRET_MARK, SECRET_SUMMARY):
            assert secret not in values, (span.name, secret)
    by_name = {span.name: span.attributes for span in spans}
    assert by_name["memmark.add"]["memmark.messages"] == 2
    assert by_name["memmark.add"]["memmark.marks"] == 2
    assert by_name["memmark.get_memory"]["memmark.marks"] == 1
    assert by_name["memmark.get_memory"]["memmark.result.count"] == 2
    assert by_name["memmark.update_messages_mark"]["memmark.result.count"] == 2
    assert by_name["memmark.delete"]["memmark.messages"] == 1
    assert by_name["memmark.delete"]["memmark.result.count"] == 1
    assert by_name["memmark.import_state"]["memmark.messages"] == 1
    assert by_name["memmark.size"]["memmark.result.count"] == 1
    assert "memmark.user_id" not in by_name["memmark.add"]

    points = telemetry.durations()
    operations = {
        (p.attributes["memmark.backend"], p.attributes["memmark.operation"]) for p in points
    }
    assert {(backend, "add"), (backend, "get_memory"), (backend, "clear")} <= operations
    assert all(p.count >= 1 and p.sum >= 0 for p in points)


async def test_a_failed_operation_records_its_error_type_only(
    memory_factory: Any, telemetry: Telemetry
) -> None:
    memory = await memory_factory()
    telemetry.spans.clear()
    with pytest.raises(TypeError):
        await memory.add(msg("x"), marks=[SECRET_MARK, 3])  # type: ignore[list-item]
    (span,) = telemetry.finished()
    assert span.name == "memmark.add"
    assert span.status.status_code is StatusCode.ERROR
    assert span.attributes["error.type"] == "TypeError"
    assert [event.attributes["exception.type"] for event in span.events] == ["TypeError"]
    assert SECRET_MARK not in " ".join(all_values(span))
    (point,) = [p for p in telemetry.durations() if p.attributes["memmark.operation"] == "add"]
    assert point.attributes["error.type"] == "TypeError"


@pytest.mark.parametrize("telemetry", [True], indirect=True)
async def test_ids_are_recorded_only_when_asked(memory_factory: Any, telemetry: Telemetry) -> None:
    memory = await memory_factory(user_id=SECRET_USER, session_id=SECRET_SESSION)
    await memory.size()
    span = telemetry.finished()[-1]
    assert span.attributes["memmark.user_id"] == SECRET_USER
    assert span.attributes["memmark.session_id"] == SECRET_SESSION
