"""What a backend stores per message, and the one codec between ``Msg`` and its payload."""

from __future__ import annotations

import json
import json.scanner
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

from memmark.message import Msg, check_msg_fields

__all__ = [
    "PAYLOAD_MAX_DEPTH",
    "Snapshot",
    "StoredMessage",
    "decode_payload",
    "decode_payloads",
    "encode_payload",
    "epoch_ms",
]

PAYLOAD_MAX_DEPTH = 64
"""Deepest nesting of lists and dicts in a serialised message; the message dict itself is 1."""

_COMPACT = (",", ":")
"""JSON separators without spaces: a dozen bytes less per stored message."""

_SURROGATE_PAIR = re.compile("[\ud800-\udbff][\udc00-\udfff]")
"""A high then a low surrogate code point: JSON reads them back as one character."""


@dataclass(frozen=True, slots=True)
class StoredMessage:
    """One message as a backend stores it.

    Attributes:
        msg_id: The message id, unique within its session.
        payload: ``msg.to_dict()`` as compact JSON (no spaces after separators); ASCII-only,
            so its length is its size in bytes and any database text type holds it (NUL and
            lone surrogates come escaped). Payloads an earlier memmark stored with spaces
            read back the same.
        marks: The message's marks, distinct. Backends may return them in any order.
    """

    msg_id: str
    payload: str
    marks: tuple[str, ...] = ()


@dataclass(frozen=True)
class Snapshot:
    """A consistent read of one session: its summary and the selected messages, oldest first."""

    summary: str
    messages: list[StoredMessage] = field(default_factory=list)
    updated_at: datetime | None = None
    """On a write (``_replace``): the last-update time to record instead of now (UTC)."""


_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


def epoch_ms(moment: datetime) -> int:
    """Whole milliseconds since the Unix epoch of an aware datetime, for backends storing ints."""
    return (moment - _EPOCH) // timedelta(milliseconds=1)


def encode_payload(msg: Msg) -> str:
    """Serialise a message for storage, accepting only what reads back as an equal message.

    JSON silently turns tuples into lists and non-str dict keys into strings; those are
    refused, as are fields ``Msg`` itself would refuse. Everything else JSON either holds
    exactly or cannot hold at all.

    Raises:
        TypeError: content or metadata holds something JSON cannot represent exactly (bytes,
            tuples, non-str dict keys, ...), or a field was set to a type ``Msg`` rejects.
        ValueError: it holds NaN, infinity, an int too long to convert, a circular reference
            or nesting deeper than :data:`PAYLOAD_MAX_DEPTH`, or an invalid ``role``.
    """
    check_msg_fields(msg)
    data = msg.to_dict()
    _check_json_exact(msg.id, data)
    try:
        return json.dumps(data, ensure_ascii=True, allow_nan=False, separators=_COMPACT)
    except TypeError as exc:
        raise TypeError(f"message {msg.id!r} is not JSON-serialisable: {exc}") from exc
    except ValueError as exc:
        raise ValueError(f"message {msg.id!r} is not JSON-serialisable: {exc}") from exc


def _check_json_exact(msg_id: str, data: dict[str, Any]) -> None:
    """Refuse what JSON would change (tuples, non-str keys, surrogate pairs) and deep nesting.

    Iterative, so neither a deep nor a circular structure can exhaust the stack.

    Raises:
        TypeError: a tuple, or a dict key that is not a str.
        ValueError: lists/dicts nest deeper than :data:`PAYLOAD_MAX_DEPTH`, or a str holds a
            high surrogate followed by a low one (JSON would read back one character).
    """
    pending: list[tuple[object, int]] = [(data, 1)]
    while pending:
        value, depth = pending.pop()
        if depth > PAYLOAD_MAX_DEPTH:
            raise ValueError(
                f"message {msg_id!r} nests lists/dicts deeper than {PAYLOAD_MAX_DEPTH} levels"
            )
        if isinstance(value, str):
            _check_no_surrogate_pair(msg_id, value)
        elif isinstance(value, dict):
            for key, child in value.items():
                if not isinstance(key, str):
                    raise TypeError(
                        f"message {msg_id!r} has the dict key {key!r}, which JSON would turn "
                        "into a str: use str keys"
                    )
                _check_no_surrogate_pair(msg_id, key)
                pending.append((child, depth + 1))
        elif isinstance(value, list):
            pending.extend((child, depth + 1) for child in value)
        elif isinstance(value, tuple):
            raise TypeError(
                f"message {msg_id!r} holds a tuple, which JSON would turn into a list: use a list"
            )


def _check_no_surrogate_pair(msg_id: str, text: str) -> None:
    """Refuse a str holding a surrogate pair as two code points; JSON would join them."""
    if not text.isascii() and _SURROGATE_PAIR.search(text):
        raise ValueError(
            f"message {msg_id!r} holds a high surrogate followed by a low one, which JSON "
            "reads back as a single character: decode the pair into that character first"
        )


_DECODER = json.JSONDecoder()
_scan = json.scanner.make_scanner(_DECODER)  # type: ignore[arg-type]  # typeshed: a decoder
"""The scanner ``json.loads`` ends in: one JSON value read from an index, no whitespace."""


def decode_payload(payload: str) -> Msg:
    """Rebuild the message stored by :func:`encode_payload`."""
    return decode_payloads((payload,))[0]


def decode_payloads(payloads: Iterable[str]) -> list[Msg]:
    """Rebuild the messages stored by :func:`encode_payload`, in order.

    The same as ``Msg.from_dict(json.loads(payload))`` for each, in fewer steps: a payload
    :func:`encode_payload` wrote has no surrounding whitespace, so the scanner ``json.loads``
    ends in reads it whole; any other payload takes ``json.loads``'s own path, which accepts or
    refuses it as it always does.
    """
    msgs = []
    for payload in payloads:
        try:
            data, end = _scan(payload, 0)
        except StopIteration:
            end = -1
        if end != len(payload):
            data = _DECODER.decode(payload)
        msgs.append(Msg.from_dict(data))
    return msgs
