"""The LangChain adapter's fast construction equals pydantic's validated one, or steps aside."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from langchain_core.messages import (
    AIMessage,
    BaseMessage,
    ChatMessage,
    FunctionMessage,
    HumanMessage,
    SystemMessage,
    ToolMessage,
)
from pydantic import BaseModel, model_validator

from memmark.integrations._langchain_messages import BUILDERS, build, builder
from memmark.integrations.langchain import METADATA_KEY, from_msg, to_msg
from memmark.message import Msg

IMAGE = {"type": "image_url", "image_url": {"url": "https://example.com/cat.png"}}

SAMPLES: list[BaseMessage] = [
    HumanMessage("plain"),
    HumanMessage(
        [{"type": "text", "text": "look"}, IMAGE, {"type": "file", "file_id": "f-1"}, "tail"],
        name="alice",
        id="h-1",
        additional_kwargs={"lang": "en", "nested": {"a": [1]}},
        response_metadata={"r": 1},
    ),
    AIMessage("plain"),
    AIMessage(
        "calling",
        id="lc_run--1",
        tool_calls=[
            {"name": "lookup", "args": {"q": "cat", "n": [1, 2.5, None]}, "id": "call-1"},
            {"name": "count", "args": {}, "id": None},
        ],
        response_metadata={"model_name": "fake", "finish_reason": "tool_calls"},
        usage_metadata={
            "input_tokens": 3,
            "output_tokens": 4,
            "total_tokens": 7,
            "input_token_details": {"cache_read": 1, "audio": 0},
            "output_token_details": {"reasoning": 2},
        },
    ),
    AIMessage(  # a provider's raw tool calls next to the parsed ones: nothing to parse
        "",
        additional_kwargs={"tool_calls": [{"id": "c", "function": {"name": "f"}}]},
        tool_calls=[{"name": "f", "args": {}, "id": "c"}],
    ),
    AIMessage([{"type": "reasoning", "reasoning": "hm"}, {"type": "text", "text": "Two."}]),
    SystemMessage("Be terse.", id="sys-1"),
    ToolMessage("a cat", tool_call_id="call-1", name="lookup", artifact={"raw": [1]}),
    ToolMessage([{"type": "text", "text": "2"}], tool_call_id="call-2", status="error"),
    ChatMessage("A note", role="critic", id="c-1"),
    FunctionMessage("42", name="answer"),
]


def stored(message: BaseMessage) -> tuple[dict[str, Any], Any]:
    """The ``metadata["langchain"]`` and content a backend reads back (through JSON)."""
    msg = to_msg(message)
    data = json.loads(json.dumps({"kept": msg.metadata[METADATA_KEY], "content": msg.content}))
    return data["kept"], data["content"]


CLASSES: dict[str, type[BaseMessage]] = {
    type(message).model_fields["type"].default: type(message) for message in SAMPLES
}


def validated(kept: dict[str, Any], content: Any) -> BaseMessage:
    return CLASSES[kept["type"]](**{"content": content, **kept})


def assert_same(fast: BaseMessage, slow: BaseMessage) -> None:
    assert type(fast) is type(slow)
    assert fast == slow
    for slot in BaseModel.__slots__:  # every piece of a pydantic instance's state
        assert getattr(fast, slot) == getattr(slow, slot), slot
    assert list(fast.__dict__) == list(slow.__dict__)
    assert repr(fast) == repr(slow)
    assert json.dumps(fast.model_dump()) == json.dumps(slow.model_dump())
    assert fast.type == slow.type and fast.id == slow.id and fast.text == slow.text
    if isinstance(fast, AIMessage):
        assert isinstance(slow, AIMessage)
        assert fast.tool_calls == slow.tool_calls and fast.usage_metadata == slow.usage_metadata


def test_the_samples_cover_every_built_type() -> None:
    assert {message.type for message in SAMPLES} == set(BUILDERS)


@pytest.mark.parametrize("message", SAMPLES, ids=lambda m: type(m).__name__)
def test_fast_construction_equals_the_validated_one(message: BaseMessage) -> None:
    kept, content = stored(message)
    fast = build(kept, content)
    assert fast is not None
    assert_same(fast, validated(kept, content))
    assert fast == message and fast.model_dump() == message.model_dump()  # the round trip


def test_hand_written_fields_come_in_validation_order() -> None:
    kept = {
        "type": "ai",
        "usage_metadata": {
            "output_token_details": {"reasoning": 1, "audio": 0},
            "total_tokens": 3,
            "input_token_details": {"cache_read": 1, "audio": 0, "cache_creation": 2},
            "output_tokens": 1,
            "input_tokens": 2,
        },
        "tool_calls": [{"id": "c", "type": "tool_call", "args": {"b": 1, "a": 2}, "name": "f"}],
        "id": "a-1",
    }
    fast = build(kept, "text")
    assert fast is not None
    assert_same(fast, validated(kept, "text"))


def test_fast_construction_copies_containers_as_validation_does() -> None:
    kept, content = stored(SAMPLES[1])
    fast = build(kept, content)
    assert fast is not None
    assert fast.additional_kwargs is not kept["additional_kwargs"]
    assert isinstance(fast.content, list) and fast.content[0] is not kept["content"][0]
    fast.additional_kwargs["lang"] = "fr"
    fast.id = "changed"
    assert kept["additional_kwargs"]["lang"] == "en" and "id" in fast.model_fields_set
    other = build(*stored(HumanMessage("x")))
    assert other is not None and other.additional_kwargs == {}  # no shared default


@pytest.mark.parametrize(
    "kept",
    [
        {"type": "human", "id": 5},  # validation makes it "5"
        {"type": "human", "unknown_field": 1},  # an extra field
        {"type": "ai", "additional_kwargs": {"tool_calls": [{"id": "c", "function": {}}]}},
        {
            "type": "ai",
            "additional_kwargs": {
                "tool_calls": [
                    {"id": "c", "type": "function", "function": {"name": "f", "arguments": "{}"}}
                ]
            },
        },  # validation parses the raw tool calls
        {
            "type": "ai",
            "usage_metadata": {"input_tokens": 1.0, "output_tokens": 0, "total_tokens": 1},
        },
        {
            "type": "ai",
            "invalid_tool_calls": [{"name": "f", "args": "{", "id": "c", "error": None}],
        },
        {"type": "tool", "tool_call_id": 7},
        {"type": "human", "name": ["not", "a", "str"]},
    ],
)
def test_what_it_does_not_know_is_validated(kept: dict[str, Any]) -> None:
    assert build(kept, "text") is None
    msg = Msg("user", "text", "user", metadata={METADATA_KEY: kept})
    try:
        expected = [validated(kept, "text")]
    except ValueError:  # pydantic's ValidationError
        with pytest.raises(ValueError):
            from_msg(msg)
    else:
        assert [m.model_dump() for m in from_msg(msg)] == [m.model_dump() for m in expected]


def test_required_fields_and_unbuilt_types_are_left_to_validation() -> None:
    assert build({"type": "tool"}, "no tool_call_id") is None
    assert build({"type": "AIMessageChunk"}, "a chunk") is None
    assert build({"type": ["human"]}, "a type that is no str") is None
    assert build(None, "written by another framework") is None
    assert build({"type": "ai", "tool_calls": [{"name": "f", "args": {}}]}, "no id") is None


def test_a_builder_checks_every_field_but_the_type() -> None:
    built = BUILDERS["human"]({"id": "h-1"}, "no type stored")
    assert built is not None and built.id == "h-1" and built.model_fields_set == {"id", "content"}
    assert BUILDERS["human"]({"id": 5}, "a number for an id") is None
    only_type = BUILDERS["human"]({"type": "human"}, "just text")
    assert only_type is not None and only_type.model_fields_set == {"type", "content"}


class _Checked(HumanMessage):
    @model_validator(mode="after")
    def _no_op(self) -> _Checked:
        return self


def test_a_class_with_validators_it_does_not_know_gets_no_builder() -> None:
    assert builder(HumanMessage) is not None
    assert builder(_Checked) is None


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=3),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=3), inner),
    max_leaves=6,
)
TEXT = st.text(max_size=3)
PART = st.fixed_dictionaries({"type": st.just("text"), "text": TEXT}) | st.dictionaries(TEXT, JSON)
DETAILS = {
    "input_token_details": ["audio", "cache_creation", "cache_read"],
    "output_token_details": ["audio", "reasoning"],
}
VALID: dict[str, Any] = {
    "content": TEXT | st.lists(TEXT | PART, max_size=3),
    "id": st.none() | TEXT,
    "name": st.none() | TEXT,
    "additional_kwargs": st.dictionaries(TEXT.filter(lambda key: key != "tool_calls"), JSON),
    "response_metadata": st.dictionaries(TEXT, JSON),
    "tool_calls": st.lists(
        st.fixed_dictionaries(
            {
                "name": TEXT,
                "args": st.dictionaries(TEXT, JSON),
                "id": st.none() | TEXT,
                "type": st.just("tool_call"),
            }
        ),
        max_size=2,
    ),
    "usage_metadata": st.none()
    | st.fixed_dictionaries(
        {
            "input_tokens": st.integers(),
            "output_tokens": st.integers(),
            "total_tokens": st.integers(),
        },
        optional={
            key: st.permutations(keys).flatmap(
                lambda order: st.fixed_dictionaries(
                    {}, optional=dict.fromkeys(order, st.integers())
                )
            )
            for key, keys in DETAILS.items()
        },
    ),
    "tool_call_id": TEXT,
    "status": st.sampled_from(["success", "error"]),
    "artifact": JSON,
    "role": TEXT,
}
"""Stored values of each field that validation leaves as they are."""
REQUIRED = {"tool": {"tool_call_id"}, "chat": {"role"}, "function": {"name"}}


@st.composite
def stored_fields(draw: st.DrawFn) -> dict[str, Any]:
    """What ``to_msg`` stores for a message of some built type (``content`` or not)."""
    kind = draw(st.sampled_from(sorted(BUILDERS)))
    fields = sorted(CLASSES[kind].model_fields.keys() & VALID.keys())
    names = draw(st.sets(st.sampled_from(fields))) | REQUIRED.get(kind, set())
    kept = {"type": kind, **{name: draw(VALID[name]) for name in sorted(names)}}
    if kind == "function" and kept["name"] is None:
        kept["name"] = ""
    return kept


@given(kept=stored_fields(), content=VALID["content"])
def test_valid_stored_fields_are_built_fast_and_equal(kept: dict[str, Any], content: Any) -> None:
    fast = build(kept, content)
    assert fast is not None
    assert_same(fast, validated(kept, content))


@given(
    kept=stored_fields(),
    content=VALID["content"] | JSON,
    name=st.sampled_from(sorted(VALID)) | TEXT,
    value=JSON | st.sampled_from(list(VALID.values())).flatmap(lambda values: values),
)
def test_whatever_is_stored_fast_construction_equals_validation(
    kept: dict[str, Any], content: Any, name: str, value: Any
) -> None:
    kept[name] = value
    fast = build(kept, content)
    if fast is not None:
        assert_same(fast, validated(kept, content))
