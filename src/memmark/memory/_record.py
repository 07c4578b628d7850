"""What a backend stores per message, and the one codec between ``Msg`` and its payload."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from memmark.message import Msg

__all__ = [
    "PAYLOAD_MAX_DEPTH",
    "Snapshot",
    "StoredMessage",
    "decode_payload",
    "encode_payload",
]

PAYLOAD_MAX_DEPTH = 64
"""Deepest nesting of lists and dicts in a serialised message; the message dict itself is 1."""


@dataclass(frozen=True)
class StoredMessage:
    """One message as a backend stores it.

    Attributes:
        msg_id: The message id, unique within its session.
        payload: ``json.dumps(msg.to_dict())``; ASCII-only, so its length is its size in bytes
            and any database text type holds it (NUL and lone surrogates come escaped).
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


def encode_payload(msg: Msg) -> str:
    """Serialise a message for storage, accepting only what reads back as an equal message.

    Raises:
        TypeError: content or metadata holds something JSON cannot represent exactly (bytes,
            tuples, non-str dict keys, ...), or a field was set to a type ``Msg`` rejects.
        ValueError: it holds NaN, infinity, an int too long to convert, a circular reference
            or nesting deeper than :data:`PAYLOAD_MAX_DEPTH`, or an invalid ``role``.
    """
    data = msg.to_dict()
    _check_depth(msg.id, data)
    try:
        payload = json.dumps(data, ensure_ascii=True, allow_nan=False)
    except TypeError as exc:
        raise TypeError(f"message {msg.id!r} is not JSON-serialisable: {exc}") from exc
    except ValueError as exc:
        raise ValueError(f"message {msg.id!r} is not JSON-serialisable: {exc}") from exc
    if Msg.from_dict(json.loads(payload)).to_dict() != data:
        raise TypeError(
            f"message {msg.id!r} does not survive JSON unchanged: use str dict keys, lists "
            "rather than tuples, and plain JSON values"
        )
    return payload


def _check_depth(msg_id: str, data: dict[str, Any]) -> None:
    """Raise ``ValueError`` if lists/dicts nest deeper than :data:`PAYLOAD_MAX_DEPTH`.

    Iterative, so neither a deep nor a circular structure can exhaust the stack.
    """
    pending: list[tuple[object, int]] = [(data, 1)]
    while pending:
        value, depth = pending.pop()
        if depth > PAYLOAD_MAX_DEPTH:
            raise ValueError(
                f"message {msg_id!r} nests lists/dicts deeper than {PAYLOAD_MAX_DEPTH} levels"
            )
        if isinstance(value, dict):
            pending.extend((child, depth + 1) for child in value.values())
        elif isinstance(value, (list, tuple)):
            pending.extend((child, depth + 1) for child in value)


def decode_payload(payload: str) -> Msg:
    """Rebuild the message stored by :func:`encode_payload`."""
    data: dict[str, Any] = json.loads(payload)
    return Msg.from_dict(data)
