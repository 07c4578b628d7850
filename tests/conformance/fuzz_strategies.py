"""Hypothesis strategies for fuzzing: hostile text, JSON-ish values, blocks, ids and marks.

Every strategy also produces values memmark must refuse (NUL in a mark, lone surrogates in an
id, NaN, tuples, non-str keys, nesting past the limit, ...), so tests check both outcomes.
"""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

from memmark._core._record import PAYLOAD_MAX_DEPTH
from memmark.message import Msg

SPECIAL_CHARACTERS = (
    "\x00",
    "\ud800",
    "\udfff",
    "\ud83d",
    "\x7f",
    "\u2028",
    "\ufeff",
    "\uffff",
    "\U0010ffff",
    "😀",
    " ",
    "\\",
    '"',
    "'",
    "%",
    "_",
    "*",
    "{",
    ":",
)
"""Characters that break naive storage: NUL, lone surrogates, SQL/Redis/JSON specials."""

characters = st.characters(exclude_categories=()) | st.sampled_from(SPECIAL_CHARACTERS)
"""Any code point, surrogates included, with the special ones often."""

any_text = st.text(characters, max_size=40)
"""Short text over all of unicode."""

long_text = st.builds(
    lambda head, unit, repeat: head + unit * repeat,
    any_text,
    st.text(characters, min_size=1, max_size=3),
    st.integers(1_000, 200_000),
)
"""Text of up to ~600,000 characters."""

text = any_text | long_text

label_text = st.text(characters, max_size=300) | st.builds(
    lambda unit, repeat: unit * repeat,
    st.sampled_from(["a", "ü", "😀", "\x00", "\ud800"]),
    st.sampled_from([254, 255, 256, 1023, 1024, 1025]),
)
"""Ids and marks: empty, NUL, surrogates, and lengths either side of the limits."""

json_scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.integers(-(10**4400), 10**4400)
    | st.floats()
    | any_text
)
"""Scalars incl. huge ints (some past the 4,300-digit limit), NaN and infinities."""


def _nest(value: object, depth: int, as_dict: bool) -> object:
    for _ in range(depth):
        value = {"k": value} if as_dict else [value]
    return value


deeply_nested = st.builds(
    _nest,
    json_scalars,
    st.integers(PAYLOAD_MAX_DEPTH - 4, PAYLOAD_MAX_DEPTH + 4) | st.integers(0, 5_000),
    st.booleans(),
)
"""Nesting either side of the documented maximum, and far past it."""

json_values: st.SearchStrategy[Any] = st.recursive(
    json_scalars | deeply_nested,
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(any_text, children, max_size=4)
        | st.tuples(children)
        | st.dictionaries(st.integers() | st.none() | st.booleans(), children, max_size=2)
    ),
    max_leaves=10,
)
"""JSON-ish values, plus what JSON would alter (tuples, non-str keys)."""

metadata = st.dictionaries(any_text, json_values, max_size=4)

sources = st.fixed_dictionaries(
    {"type": st.just("base64"), "media_type": any_text, "data": text}
) | st.fixed_dictionaries({"type": st.just("url"), "url": any_text})

content_blocks = st.one_of(
    st.fixed_dictionaries({"type": st.just("text"), "text": text}),
    st.fixed_dictionaries({"type": st.just("thinking"), "thinking": any_text}),
    st.fixed_dictionaries(
        {"type": st.just("tool_use"), "id": any_text, "name": any_text, "input": metadata}
    ),
    st.fixed_dictionaries(
        {
            "type": st.just("tool_result"),
            "id": any_text,
            "name": any_text,
            "output": any_text | st.lists(st.fixed_dictionaries({"type": st.just("text")})),
        }
    ),
    st.fixed_dictionaries(
        {"type": st.sampled_from(["image", "audio", "video"]), "source": sources}
    ),
    st.dictionaries(any_text, json_values, max_size=3),
)
"""Every block type, plus arbitrary dicts (blocks are not schema-checked)."""


def _message(
    name: str,
    content: object,
    role: str,
    metadata: dict[str, Any],
    timestamp: str | None,
    invocation_id: str | None,
    msg_id: str | None,
) -> Msg:
    msg = Msg(name, content, role, metadata, timestamp, invocation_id)  # type: ignore[arg-type]
    if msg_id is not None:
        msg.id = msg_id
    return msg


messages = st.builds(
    _message,
    name=any_text,
    content=text | st.lists(content_blocks, max_size=3),
    role=st.sampled_from(["user", "assistant", "system"]),
    metadata=metadata,
    timestamp=st.none() | any_text,
    invocation_id=st.none() | any_text,
    msg_id=st.none() | label_text,
)
"""Messages with hostile content, metadata and (sometimes) ids."""

marks_argument = st.none() | label_text | st.lists(label_text, max_size=4)
"""What ``add(..., marks=)`` may be given."""
