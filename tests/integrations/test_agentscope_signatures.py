"""memmark's memories accept every call AgentScope 1.0.21's accept: compared by inspect.signature.

Both memmark.memory's classes and memmark.integrations.agentscope's are checked against
agentscope.memory's, parameter by parameter: same names, order and kinds; same defaults except
the few listed in DEFAULTS_THAT_DIFFER (each with its reason, all in the migration guide);
memmark's additions keyword-only.
"""

from __future__ import annotations

import inspect
from typing import Any

import pytest

agentscope_memory = pytest.importorskip("agentscope.memory")

import memmark.memory  # noqa: E402
from memmark.integrations import agentscope as integration  # noqa: E402

CLASSES = ["InMemoryMemory", "AsyncSQLAlchemyMemory", "RedisMemory", "TablestoreMemory"]
METHODS = [
    "__init__",
    "add",
    "get_memory",
    "delete",
    "delete_by_mark",
    "update_messages_mark",
    "update_compressed_summary",
    "size",
    "clear",
    "state_dict",
    "load_state_dict",
    "close",
    "get_client",
]
DEFAULTS_THAT_DIFFER = {
    # memmark's key layout is its own (escaped ids, hash tags): its keys live under "memmark"
    # unless told otherwise, and never mix with AgentScope's un-prefixed ones.
    ("RedisMemory", "__init__", "key_prefix"),
    # One default session for every backend ("default_user" / "default_session"), so a store,
    # the CLI and memmark.connect name the same session; AgentScope's Tablestore said "default".
    ("TablestoreMemory", "__init__", "user_id"),
    ("TablestoreMemory", "__init__", "session_id"),
    # memmark creates its own five tables named after this prefix; AgentScope's single table
    # "agentscope_memory" has another layout (read it with `memmark import-agentscope`).
    ("TablestoreMemory", "__init__", "table_name"),
}
OPTIONAL_IN_MEMMARK = {
    # Optional because memmark also takes a ready client= instead of credentials.
    ("TablestoreMemory", "__init__", name)
    for name in ("end_point", "instance_name", "access_key_id", "access_key_secret")
}
MEMMARK_ONLY_KINDS = (inspect.Parameter.KEYWORD_ONLY, inspect.Parameter.VAR_KEYWORD)


def _parameters(func: Any) -> list[inspect.Parameter]:
    return list(inspect.signature(func).parameters.values())


def _check(cls_name: str, method: str, ours: Any, theirs: Any) -> None:
    mine = {p.name: p for p in _parameters(ours)}
    agentscope_params = _parameters(theirs)
    positional = [
        p.name
        for p in agentscope_params
        if p.kind in (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
    ]
    our_positional = [
        p.name
        for p in _parameters(ours)
        if p.kind in (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
    ]
    where = f"{cls_name}.{method}"
    assert our_positional == positional, f"{where}: positional order differs"
    for param in agentscope_params:
        if param.kind is inspect.Parameter.VAR_KEYWORD:
            assert any(p.kind is inspect.Parameter.VAR_KEYWORD for p in mine.values()), (
                f"{where} must take **kwargs as AgentScope's does"
            )
            continue
        assert param.name in mine, f"{where} lacks {param.name}"
        our = mine[param.name]
        assert our.kind == param.kind, f"{where}({param.name}): kind differs"
        key = (cls_name, method, param.name)
        if key in DEFAULTS_THAT_DIFFER:
            assert our.default != param.default, f"{key} now matches: drop it from the list"
        elif key in OPTIONAL_IN_MEMMARK:
            assert param.default is inspect.Parameter.empty
        else:
            assert our.default == param.default, f"{where}({param.name}): default differs"
    theirs_names = {p.name for p in agentscope_params}
    for name, param in mine.items():
        if name not in theirs_names:
            assert param.kind in MEMMARK_ONLY_KINDS, f"{where}({name}) must be keyword-only"


def _pairs() -> list[tuple[str, str, str, Any, Any]]:
    pairs = []
    for cls_name in CLASSES:
        theirs = getattr(agentscope_memory, cls_name)
        for module in (memmark.memory, integration):
            ours = getattr(module, cls_name)
            for method in METHODS:
                if hasattr(theirs, method):
                    pairs.append((module.__name__, cls_name, method, ours, theirs))
    return pairs


@pytest.mark.parametrize(
    ("module", "cls_name", "method", "ours", "theirs"),
    _pairs(),
    ids=lambda value: value if isinstance(value, str) else "",
)
def test_signature_matches_agentscope(
    module: str, cls_name: str, method: str, ours: type, theirs: type
) -> None:
    assert hasattr(ours, method), f"{module}.{cls_name} lacks {method}"
    _check(cls_name, method, getattr(ours, method), getattr(theirs, method))


def test_every_memmark_memory_is_compared() -> None:
    assert {name for name in memmark.memory.__all__ if name.endswith("Memory")} == {
        *CLASSES,
    }


async def test_memmark_memory_handed_an_agentscope_msg_points_to_the_integration() -> None:
    from agentscope.message import Msg as AgentScopeMsg

    memory = memmark.memory.InMemoryMemory()
    for given in (AgentScopeMsg("u", "hi", "user"), [AgentScopeMsg("u", "hi", "user")]):
        with pytest.raises(TypeError, match=r"agentscope\.message\..*Msg from AgentScope") as info:
            await memory.add(given)  # type: ignore[arg-type]
        assert "memmark.integrations.agentscope" in str(info.value)
    assert await memory.size() == 0


async def test_conversion_is_lossless_both_ways() -> None:
    from agentscope.message import Msg as AgentScopeMsg

    original = AgentScopeMsg(
        "Friday",
        [{"type": "text", "text": "hi"}, {"type": "tool_use", "id": "1", "name": "f", "input": {}}],
        "assistant",
        metadata={"k": [1, "ü"]},
        timestamp="2020-01-02 03:04:05.678",
        invocation_id="call-9",
    )
    converted = integration.from_agentscope(original)
    assert converted.to_dict() == {**original.to_dict(), "invocation_id": "call-9"}
    back = integration.to_agentscope(converted)
    assert isinstance(back, AgentScopeMsg)
    assert (back.to_dict(), back.invocation_id) == (original.to_dict(), "call-9")
    with pytest.raises(TypeError):
        integration.from_agentscope("text")  # type: ignore[arg-type]


def test_integration_classes_are_agentscope_memories() -> None:
    assert integration.__all__ == sorted(integration.__all__)
    for name in [*CLASSES, "AgentScopeMemory"]:
        assert issubclass(getattr(integration, name), agentscope_memory.MemoryBase), name
    wrapped = integration.AgentScopeMemory(memmark.memory.InMemoryMemory())
    assert isinstance(wrapped, agentscope_memory.MemoryBase)
    with pytest.raises(TypeError, match="memmark MemoryBase"):
        integration.AgentScopeMemory(agentscope_memory.InMemoryMemory())  # type: ignore[arg-type]
