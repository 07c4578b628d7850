"""OpenTelemetry spans of the store operations, on every store."""

from __future__ import annotations

from datetime import timedelta

import pytest

from memmark.message import Msg
from tests.otel import Telemetry, all_values
from tests.store.stores import STORE_KINDS, OpenStore

BACKEND_NAMES = {
    "dict": "DictStore",  # a backend that names nothing reports its class
    "sqlite": "sqlite",
    "postgres": "postgresql",
    "mysql": "mysql",
    "redis": "redis",
    "tablestore_emulator": "tablestore",
}


@pytest.mark.parametrize("kind", STORE_KINDS)
async def test_store_operations_are_spans_with_counts(
    kind: str, open_store: OpenStore, telemetry: Telemetry
) -> None:
    async with open_store(kind) as store:
        for session_id in ("a", "b"):
            async with store.memory("user-secret", session_id) as memory:
                await memory.add(Msg("Alice", "content-secret", "user"))
        telemetry.spans.clear()
        assert (await store.list_users()).items == ["user-secret"]
        assert len((await store.list_sessions("user-secret", limit=1)).items) == 1
        assert await store.delete_session("user-secret", "a")
        assert await store.delete_user("user-secret") == 1
    spans = telemetry.finished()
    assert [(span.name, span.attributes.get("memmark.result.count")) for span in spans] == [
        ("memmark.list_users", 1),
        ("memmark.list_sessions", 1),
        ("memmark.delete_session", 1),
        ("memmark.delete_user", 1),
    ]
    for span in spans:
        assert span.attributes["memmark.backend"] == BACKEND_NAMES[kind]
        assert "secret" not in " ".join(all_values(span))
    recorded = {p.attributes["memmark.operation"] for p in telemetry.durations()}
    assert {"list_users", "list_sessions", "delete_session", "delete_user", "add"} <= recorded


@pytest.mark.parametrize("kind", STORE_KINDS)
async def test_prune_is_one_span_over_each_sessions_delete(
    kind: str, open_store: OpenStore, telemetry: Telemetry
) -> None:
    async with open_store(kind) as store:
        for session_id in ("a", "b"):
            async with store.memory("user-secret", session_id) as memory:
                await memory.add(Msg("Alice", "content-secret", "user"), marks="tool-secret")
        telemetry.spans.clear()
        assert await store.prune(["tool-secret", "other"], timedelta(0)) == 2
    spans = {span.name: span for span in telemetry.finished() if "prune" in span.name}
    prune = spans["memmark.prune"]
    assert prune.attributes["memmark.result.count"] == 2
    assert prune.attributes["memmark.marks"] == 2
    deletes = [s for s in telemetry.finished() if s.name == "memmark.delete_by_mark"]
    assert len(deletes) == 2
    assert all(s.parent is not None and s.parent.span_id == prune.context.span_id for s in deletes)
    assert "secret" not in " ".join(all_values(prune))
