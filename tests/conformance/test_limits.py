"""Documented limits (docs/limits.md) hold on every backend, exactly at the boundary.

A value at a limit is stored and read back; one past it is refused up front with a
``ValueError`` (``ContentTooLargeError`` for sizes) and nothing is written.
"""

from __future__ import annotations

import pytest

from memmark._core._record import encode_payload
from memmark._core._validation import IDENTITY_MAX_LENGTH, MARK_MAX_LENGTH, MSG_ID_MAX_LENGTH
from memmark.errors import ContentTooLargeError
from memmark.message import Msg

WIDE = "😀"
"""Four bytes in UTF-8: the worst case for a database that counts bytes."""
EXACT_BOUNDARY_UP_TO = 8 * 1024 * 1024
"""Payload limits up to this size are tested exactly; larger ones with a message this big."""


def _msg(content: str = "x", msg_id: str | None = None) -> Msg:
    msg = Msg("limits", content, "user")
    if msg_id is not None:
        msg.id = msg_id
    return msg


async def test_marks_up_to_the_maximum_length(memory_factory) -> None:
    memory = await memory_factory()
    longest = WIDE * MARK_MAX_LENGTH
    await memory.add(_msg(), marks=[longest, "a" * MARK_MAX_LENGTH])
    assert len(await memory.get_memory(mark=longest)) == 1
    with pytest.raises(ValueError, match=str(MARK_MAX_LENGTH)):
        await memory.add(_msg(), marks=longest + "a")
    with pytest.raises(ValueError, match=str(MARK_MAX_LENGTH)):
        await memory.update_messages_mark(longest + "a")
    assert await memory.size() == 1


async def test_message_ids_up_to_the_maximum_length(memory_factory) -> None:
    memory = await memory_factory()
    longest = WIDE * MSG_ID_MAX_LENGTH
    await memory.add(_msg(msg_id=longest))
    with pytest.raises(ValueError, match=str(MSG_ID_MAX_LENGTH)):
        await memory.add(_msg(msg_id=longest + "a"))
    assert [m.id for m in await memory.get_memory()] == [longest]
    assert await memory.delete([longest]) == 1


async def test_identities_up_to_the_maximum_length(memory_factory) -> None:
    byte_limit = (await memory_factory()).max_identity_bytes
    if byte_limit is None:
        longest, too_long = WIDE * IDENTITY_MAX_LENGTH, ValueError
        expected_message = f"at most {IDENTITY_MAX_LENGTH} characters"
    else:
        longest, too_long = WIDE * (byte_limit // len(WIDE.encode())), ContentTooLargeError
        expected_message = f"at most {byte_limit} bytes"
    memory = await memory_factory(user_id=longest, session_id=longest)
    other = await memory_factory(user_id=longest, session_id=longest[:-1] + "a")
    await memory.add(_msg())
    assert await memory.size() == 1
    assert await other.size() == 0
    with pytest.raises(too_long, match=expected_message):
        await memory_factory(user_id=longest + "a")
    with pytest.raises(too_long, match=expected_message):
        await memory_factory(session_id=longest + "a")


async def test_payload_up_to_the_backend_maximum(memory_factory) -> None:
    memory = await memory_factory()
    limit = memory.max_payload_bytes
    if limit is None or limit > EXACT_BOUNDARY_UP_TO:
        big = _msg("x" * EXACT_BOUNDARY_UP_TO)
        await memory.add(big)
        assert await memory.get_memory() == [big]
        return
    overhead = len(encode_payload(_msg("")))
    largest = _msg("x" * (limit - overhead))
    assert len(encode_payload(largest)) == limit
    await memory.add(largest)
    with pytest.raises(ContentTooLargeError, match=str(limit)):
        await memory.add(_msg("x" * (limit - overhead + 1)))
    assert await memory.get_memory() == [largest]


async def test_summary_up_to_the_backend_maximum(memory_factory) -> None:
    memory = await memory_factory()
    limits = [lim for lim in (memory.max_payload_bytes, memory.max_summary_bytes) if lim]
    limit = min(limits, default=None)
    if limit is None or limit > EXACT_BOUNDARY_UP_TO:
        size = EXACT_BOUNDARY_UP_TO
    else:
        size = limit
        with pytest.raises(ContentTooLargeError, match=str(limit)):
            await memory.update_compressed_summary("x" * (limit + 1))
    await memory.update_compressed_summary("x" * size)
    assert (await memory.export_state())["_compressed_summary"] == "x" * size


async def test_summary_of_escaped_characters_is_stored_or_refused_up_front(
    memory_factory,
) -> None:
    """Control characters are 1 byte in UTF-8 but 6 where a backend escapes them (SQL's JSON):
    such a summary under the limit in UTF-8 is stored whole or refused, never sent too big."""
    memory = await memory_factory()
    limits = [lim for lim in (memory.max_payload_bytes, memory.max_summary_bytes) if lim]
    summary = "\x01" * (min(limits) // 2 if limits else 1024 * 1024)
    await memory.add(_msg("kept"))
    before = await memory.export_state()
    try:
        await memory.update_compressed_summary(summary)
    except ContentTooLargeError:
        assert await memory.export_state() == before
    else:
        assert (await memory.export_state())["_compressed_summary"] == summary


async def test_summary_just_under_the_limit_as_escaped_is_stored(memory_factory) -> None:
    """An astral character is 4 bytes in UTF-8 and 12 in SQL's JSON; a summary whose escaped
    form is just under the limit is stored, so it must go to the server once per statement."""
    memory = await memory_factory()
    limits = [lim for lim in (memory.max_payload_bytes, memory.max_summary_bytes) if lim]
    summary = "𐀀" * ((min(limits) if limits else 1024 * 1024) // 12)
    await memory.add(_msg("kept"))
    await memory.update_compressed_summary(summary)
    await memory.update_compressed_summary(summary)  # replacing a stored one
    assert (await memory.export_state())["_compressed_summary"] == summary
