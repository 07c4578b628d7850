"""The payload codec accepts exactly what reads back as an equal message."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from memmark._core._record import PAYLOAD_MAX_DEPTH, decode_payload, encode_payload
from memmark.message import Msg


def _nested(depth: int) -> object:
    """A list nested ``depth`` levels deep (``depth`` = 1 is ``[]``)."""
    value: object = []
    for _ in range(depth - 1):
        value = [value]
    return value


def test_special_text_round_trips() -> None:
    msg = Msg("\x00\ud800", "NUL \x00, lone \udfff, emoji 😀", "user", metadata={"\x00": "\ud83d"})
    payload = encode_payload(msg)
    assert payload.isascii()
    assert decode_payload(payload) == msg


@pytest.mark.parametrize(
    "where",
    ["content", "name", "invocation_id", "metadata value", "metadata key"],
)
def test_a_surrogate_pair_as_two_code_points_raises_value_error(where: str) -> None:
    pair = "\ud800\udfff"  # JSON would read this back as the one character U+103FF
    msg = Msg("n", "c", "user")
    if where == "content":
        msg.content = f"x{pair}"
    elif where == "name":
        msg.name = pair
    elif where == "invocation_id":
        msg.invocation_id = pair
    elif where == "metadata value":
        msg.metadata = {"k": [pair]}
    else:
        msg.metadata = {pair: 1}
    with pytest.raises(ValueError, match="surrogate"):
        encode_payload(msg)


@pytest.mark.parametrize(
    "metadata",
    [
        {"k": float("nan")},
        {"k": float("inf")},
        {"k": 10**5000},
    ],
    ids=["nan", "inf", "int-over-4300-digits"],
)
def test_values_json_cannot_hold_raise_value_error(metadata) -> None:
    with pytest.raises(ValueError):
        encode_payload(Msg("a", "b", "user", metadata=metadata))


@pytest.mark.parametrize(
    "metadata",
    [
        {1: "int key"},
        {None: "None key"},
        {"k": (1, 2)},
        {"k": b"bytes"},
        {"k": {1, 2}},
    ],
    ids=["int-key", "none-key", "tuple", "bytes", "set"],
)
def test_values_json_would_change_raise_type_error(metadata) -> None:
    with pytest.raises(TypeError):
        encode_payload(Msg("a", "b", "user", metadata=metadata))


def test_huge_ints_within_the_conversion_limit_round_trip() -> None:
    msg = Msg("a", "b", "user", metadata={"big": 10**4000, "neg": -(2**200)})
    assert decode_payload(encode_payload(msg)) == msg


def test_nesting_up_to_the_maximum_round_trips() -> None:
    msg = Msg("a", "b", "user", metadata={"deep": _nested(PAYLOAD_MAX_DEPTH - 2)})
    assert decode_payload(encode_payload(msg)) == msg


def test_nesting_past_the_maximum_raises_value_error() -> None:
    msg = Msg("a", "b", "user", metadata={"deep": _nested(PAYLOAD_MAX_DEPTH - 1)})
    with pytest.raises(ValueError, match="deeper than"):
        encode_payload(msg)


def test_very_deep_nesting_raises_value_error_not_recursion_error() -> None:
    msg = Msg("a", "b", "user", metadata={"deep": _nested(100_000)})
    with pytest.raises(ValueError, match="deeper than"):
        encode_payload(msg)


def test_a_circular_reference_raises_value_error() -> None:
    loop: list[object] = []
    loop.append(loop)
    with pytest.raises(ValueError):
        encode_payload(Msg("a", "b", "user", metadata={"loop": loop}))


@pytest.mark.parametrize(
    ("field", "value", "error"),
    [
        ("content", [1], TypeError),
        ("content", 5, TypeError),
        ("role", "robot", ValueError),
        ("name", None, TypeError),
        ("metadata", "text", TypeError),
        ("metadata", None, TypeError),
        ("timestamp", 5, TypeError),
        ("timestamp", None, TypeError),
        ("invocation_id", 5, TypeError),
        ("id", 5, TypeError),
    ],
)
def test_fields_broken_after_construction_are_rejected(field, value, error) -> None:
    msg = Msg("a", "b", "user")
    setattr(msg, field, value)
    with pytest.raises(error):
        encode_payload(msg)


_LEAVES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(),
    st.text(max_size=5),
    st.binary(max_size=3),
)
_KEYS = st.one_of(st.text(max_size=3), st.integers(), st.none(), st.booleans())
_VALUES = st.recursive(
    _LEAVES,
    lambda children: st.one_of(
        st.lists(children, max_size=3),
        st.tuples(children),
        st.dictionaries(_KEYS, children, max_size=3),
    ),
    max_leaves=8,
)


def _json_keeps(value: object) -> bool:
    """The reference: JSON holds the value and gives back an equal one."""
    try:
        return json.loads(json.dumps(value, allow_nan=False)) == value
    except (TypeError, ValueError):
        return False


@given(_VALUES)
def test_metadata_is_accepted_exactly_when_json_gives_it_back_equal(value: object) -> None:
    msg = Msg("a", "b", "user", metadata={"value": value})
    if _json_keeps(value):
        assert decode_payload(encode_payload(msg)) == msg
    else:
        with pytest.raises((TypeError, ValueError)):
            encode_payload(msg)
