"""What a backend stores per message, and the one codec between ``Msg`` and its payload."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from memmark.message import Msg

__all__ = ["Snapshot", "StoredMessage", "decode_payload", "encode_payload"]


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
    """Serialise a message for storage.

    Raises:
        TypeError: content or metadata holds something JSON cannot represent.
        ValueError: it holds NaN or infinity, which JSON cannot represent either.
    """
    try:
        return json.dumps(msg.to_dict(), ensure_ascii=True, allow_nan=False)
    except TypeError as exc:
        raise TypeError(f"message {msg.id!r} is not JSON-serialisable: {exc}") from exc
    except ValueError as exc:
        raise ValueError(f"message {msg.id!r} is not JSON-serialisable: {exc}") from exc


def decode_payload(payload: str) -> Msg:
    """Rebuild the message stored by :func:`encode_payload`."""
    data: dict[str, Any] = json.loads(payload)
    return Msg.from_dict(data)
