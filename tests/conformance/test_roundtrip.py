"""Content, names and metadata round-trip exactly on every backend."""

from __future__ import annotations

import uuid

import pytest
from hypothesis import given
from hypothesis import strategies as st

from memmark.errors import ContentTooLargeError
from memmark.message import Msg

json_scalars = (
    st.none()
    | st.booleans()
    | st.integers(-(2**53), 2**53)
    | st.text()
    | st.floats(allow_nan=False, allow_infinity=False)
)
json_values = st.recursive(
    json_scalars,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(), children, max_size=4)
    ),
    max_leaves=12,
)
text_blocks = st.builds(lambda t: {"type": "text", "text": t}, st.text())
messages = st.builds(
    Msg,
    name=st.text(),
    content=st.text() | st.lists(text_blocks, max_size=3),
    role=st.sampled_from(["user", "assistant", "system"]),
    metadata=st.dictionaries(st.text(), json_values, max_size=4),
    timestamp=st.none() | st.text(),
    invocation_id=st.none() | st.text(),
)


@given(
    batch=st.lists(messages, min_size=1, max_size=4),
    marks=st.lists(st.text(min_size=1, max_size=20).filter(lambda m: "\x00" not in m), max_size=3),
)
async def test_messages_round_trip_exactly(memory_factory, batch, marks) -> None:
    memory = await memory_factory(session_id=str(uuid.uuid4()))
    await memory.add(batch, marks=marks)
    loaded = await memory.get_memory()
    unique = list({m.id: m for m in reversed(batch)}.values())[::-1]
    assert [m.to_dict() for m in loaded] == [m.to_dict() for m in unique]
    if marks:
        assert await memory.get_memory(mark=marks[-1]) == loaded


async def test_special_characters(memory_factory) -> None:
    special = Msg(
        "名前\x00",
        "NUL\x00inside, emoji 😀, newline\n, quotes \"'\\ and \u2028",
        "user",
        metadata={"\x00k": "v\x00", "nested": {"list": ["ü", 1.5, None, -(2**53)]}},
    )
    memory = await memory_factory()
    await memory.add(special, marks="ü😀 mark")
    assert await memory.get_memory(mark="ü😀 mark") == [special]


async def test_multi_megabyte_content(memory_factory) -> None:
    """Stored whole, or refused up front by a backend with a hard limit that it names."""
    big = Msg("big", "Ω😀\x00" + "x" * (3 * 1024 * 1024), "assistant")
    memory = await memory_factory()
    limit = memory.max_payload_bytes
    if limit is not None and limit < 4 * 1024 * 1024:
        with pytest.raises(ContentTooLargeError, match=str(limit)):
            await memory.add(big)
        assert await memory.size() == 0
    else:
        await memory.add(big)
        assert await memory.get_memory() == [big]
