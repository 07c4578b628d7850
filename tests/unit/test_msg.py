from __future__ import annotations

import os
import re
import uuid
from datetime import datetime

import pytest

from memmark.message import Msg, _msg

ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"


def test_defaults_id_and_timestamp() -> None:
    first, second = Msg("a", "x", "user"), Msg("a", "x", "user")
    assert re.fullmatch(r"[2-9A-HJ-NP-Za-km-z]{22}", first.id)
    assert first.id != second.id
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}", first.timestamp)
    assert first.metadata == {}
    assert first.invocation_id is None


@pytest.mark.parametrize(
    "random_bytes",
    [bytes(16), b"\xff" * 16, bytes(range(16)), bytes(range(200, 216))],
    ids=["zeros", "ones", "ascending", "high"],
)
def test_id_is_uuid4_of_the_random_bytes_in_base57(monkeypatch, random_bytes) -> None:
    expected = uuid.UUID(bytes=random_bytes, version=4).int
    digits = []
    for _ in range(22):  # one digit at a time, the plain conversion
        expected, digit = divmod(expected, len(ALPHABET))
        digits.append(ALPHABET[digit])
    monkeypatch.setattr(os, "urandom", lambda size: random_bytes[:size])
    assert Msg("a", "x", "user").id == "".join(reversed(digits))


@pytest.mark.parametrize("microsecond", [0, 999, 1000, 123456, 999999])
def test_timestamp_is_local_time_cut_to_milliseconds(monkeypatch, microsecond) -> None:
    moment = datetime(2026, 4, 5, 6, 7, 8, microsecond)

    class Clock(datetime):
        @classmethod
        def now(cls, tz=None):
            return moment

    monkeypatch.setattr(_msg, "datetime", Clock)
    expected = moment.strftime("%Y-%m-%d %H:%M:%S.%f")[:-3]  # AgentScope's own format
    assert Msg("a", "x", "user").timestamp == expected


def test_to_dict_order_and_invocation_id() -> None:
    message = Msg("a", "x", "assistant", metadata={"k": 1}, timestamp="t")
    assert list(message.to_dict()) == ["id", "name", "role", "content", "metadata", "timestamp"]
    message.invocation_id = "inv"
    assert message.to_dict()["invocation_id"] == "inv"


def test_from_dict_restores_every_field() -> None:
    message = Msg("a", [{"type": "text", "text": "t"}], "system", {"m": [1]}, "ts", "inv")
    message.id = "custom"
    restored = Msg.from_dict(message.to_dict())
    assert restored == message
    assert (restored.id, restored.timestamp, restored.invocation_id) == ("custom", "ts", "inv")


def test_repr_matches_the_tutorial() -> None:
    message = Msg("system", "Create a plan.", "system", timestamp="2026-04-15 04:19:06.878")
    message.id = "cFEd8GDzB5BAMqRLiinh8c"
    assert repr(message) == (
        "Msg(id='cFEd8GDzB5BAMqRLiinh8c', name='system', content='Create a plan.', "
        "role='system', metadata={}, timestamp='2026-04-15 04:19:06.878', invocation_id='None')"
    )


def test_equality_follows_to_dict() -> None:
    a = Msg("a", "x", "user", timestamp="t")
    b = Msg("a", "x", "user", timestamp="t")
    assert a != b
    b.id = a.id
    assert a == b
    b.metadata["k"] = 1
    assert a != b
    assert a != "not a message"


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"role": "robot"}, ValueError),
        ({"role": None}, ValueError),
        ({"content": 3}, TypeError),
        ({"content": None}, TypeError),
        ({"content": ["not a block"]}, TypeError),
        ({"metadata": []}, TypeError),
        ({"name": 1}, TypeError),
        ({"timestamp": 1}, TypeError),
        ({"invocation_id": 1}, TypeError),
    ],
)
def test_bad_input_raises(kwargs, error) -> None:
    arguments = {"name": "a", "content": "x", "role": "user", **kwargs}
    with pytest.raises(error):
        Msg(**arguments)


@pytest.mark.parametrize("data", [{"name": "a"}, {"id": "i", "name": "a", "role": "user"}])
def test_from_dict_missing_fields(data) -> None:
    with pytest.raises(ValueError, match="missing"):
        Msg.from_dict(data)


def test_from_dict_rejects_non_mappings_and_bad_ids() -> None:
    with pytest.raises(TypeError):
        Msg.from_dict([])  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        Msg.from_dict({"id": 1, "name": "a", "role": "user", "content": "x"})


def test_text_and_blocks() -> None:
    plain = Msg("a", "hello", "user")
    assert plain.get_text_content() == "hello"
    assert plain.get_content_blocks() == [{"type": "text", "text": "hello"}]
    assert plain.has_content_blocks("text")
    assert not plain.has_content_blocks("image")
    blocks = Msg(
        "a",
        [
            {"type": "text", "text": "one"},
            {"type": "image", "source": {"type": "url", "url": "http://x"}},
            {"type": "text", "text": "two"},
        ],
        "assistant",
    )
    assert blocks.get_text_content() == "one\ntwo"
    assert len(blocks.get_content_blocks("image")) == 1
    assert blocks.has_content_blocks()
    assert Msg("a", [{"type": "thinking", "thinking": "t"}], "user").get_text_content() is None
    assert Msg("a", [], "user").has_content_blocks() is False
