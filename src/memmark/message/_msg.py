"""The ``Msg`` class: one message of a conversation."""

from __future__ import annotations

import os
from collections.abc import Mapping
from datetime import datetime
from typing import Any, Literal, get_args

from memmark.message._blocks import ContentBlock, TextBlock

__all__ = ["Msg", "Role", "check_msg_fields", "short_uuid"]

Role = Literal["user", "assistant", "system"]
BlockType = Literal["text", "thinking", "tool_use", "tool_result", "image", "audio", "video"]

_ROLES: frozenset[str] = frozenset(get_args(Role))
_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
_PAIRS = tuple(high + low for high in _ALPHABET for low in _ALPHABET)
"""Every two-digit number in base 57, written in the alphabet, at its own index."""
_PAIR_BASE = len(_PAIRS)
_SHORT_UUID_PAIRS = 11
"""A short UUID is 22 digits: 57**22 > 2**128, so every UUID fits."""
_UUID4_CLEAR = ~((0xC000 << 48) | (0xF000 << 64))
_UUID4_SET = (0x8000 << 48) | (4 << 76)
"""The version (4) and RFC 4122 variant bits, set as ``uuid.UUID(bytes=..., version=4)`` does."""


def short_uuid() -> str:
    """Return a random UUID4 written as 22 characters of an unambiguous base-57 alphabet.

    The same digits as converting ``uuid.uuid4().int`` one base-57 digit at a time, most
    significant first, two digits per step (a new id is made for every message).
    """
    number = int.from_bytes(os.urandom(16), "big") & _UUID4_CLEAR | _UUID4_SET
    pairs = []
    for _ in range(_SHORT_UUID_PAIRS):
        number, pair = divmod(number, _PAIR_BASE)
        pairs.append(_PAIRS[pair])
    pairs.reverse()
    return "".join(pairs)


def _now() -> str:
    """Local time as ``YYYY-MM-DD HH:MM:SS.mmm`` (``%f`` cut to milliseconds, as AgentScope)."""
    return datetime.now().isoformat(" ", "milliseconds")


def _check_optional_str(name: str, value: object) -> None:
    if value is not None and not isinstance(value, str):
        raise TypeError(f"{name} must be a str or None, got {type(value).__name__}")


def _check_fields(
    name: object,
    content: object,
    role: object,
    metadata: object,
    timestamp: object,
    invocation_id: object,
) -> None:
    if not isinstance(name, str):
        raise TypeError(f"name must be a str, got {type(name).__name__}")
    if isinstance(content, list):
        for block in content:
            if not isinstance(block, dict):
                raise TypeError(f"content blocks must be dicts, got {type(block).__name__}")
    elif not isinstance(content, str):
        raise TypeError(f"content must be a str or a list, got {type(content).__name__}")
    if not isinstance(role, str) or role not in _ROLES:
        raise ValueError(f"role must be one of 'user', 'assistant', 'system', got {role!r}")
    if metadata is not None and not isinstance(metadata, dict):
        raise TypeError(f"metadata must be a dict or None, got {type(metadata).__name__}")
    _check_optional_str("timestamp", timestamp)
    _check_optional_str("invocation_id", invocation_id)


def check_msg_fields(msg: Msg) -> None:
    """Raise as ``Msg(...)`` would on fields set to something else after construction.

    Raises:
        TypeError: a field has a type ``Msg`` rejects (``metadata`` and ``timestamp`` may
            not be ``None`` either, as ``Msg`` replaces ``None`` by a value when created).
        ValueError: ``role`` is not one of the three roles.
    """
    _check_fields(msg.name, msg.content, msg.role, msg.metadata, msg.timestamp, msg.invocation_id)
    for field in ("id", "timestamp"):
        value = getattr(msg, field)
        if not isinstance(value, str):
            raise TypeError(f"{field} must be a str, got {type(value).__name__}")
    if msg.metadata is None:
        raise TypeError("metadata must be a dict, got NoneType")


class Msg:
    """One message: who said what, in which role, with optional metadata.

    Two messages are equal when their :meth:`to_dict` are equal.
    """

    id: str
    """22-character short UUID, new per instance unless set."""
    name: str
    """The speaker's name."""
    content: str | list[ContentBlock]
    """Plain text, or a list of content blocks."""
    role: Role
    """``"user"``, ``"assistant"`` or ``"system"``."""
    metadata: dict[str, Any]
    """JSON-serialisable extra data."""
    timestamp: str
    """Creation time, ``"%Y-%m-%d %H:%M:%S.%f"`` cut to milliseconds."""
    invocation_id: str | None
    """The id of the model call that produced this message, if any."""

    def __init__(
        self,
        name: str,
        content: str | list[ContentBlock],
        role: Role,
        metadata: dict[str, Any] | None = None,
        timestamp: str | None = None,
        invocation_id: str | None = None,
    ) -> None:
        """Create a message.

        Raises:
            TypeError: ``name`` is not a str, ``content`` is not a str or a list of dicts,
                ``metadata`` is not a dict, or ``timestamp`` / ``invocation_id`` are not str.
            ValueError: ``role`` is not ``"user"``, ``"assistant"`` or ``"system"``.
        """
        _check_fields(name, content, role, metadata, timestamp, invocation_id)
        self._fill(short_uuid(), name, content, role, metadata, timestamp, invocation_id)

    def _fill(
        self,
        msg_id: str,
        name: str,
        content: str | list[ContentBlock],
        role: Role,
        metadata: dict[str, Any] | None,
        timestamp: str | None,
        invocation_id: str | None,
    ) -> None:
        """Set every field from checked values (``None`` metadata / timestamp defaulted)."""
        self.id = msg_id
        self.name = name
        self.content = content
        self.role = role
        self.metadata = {} if metadata is None else metadata
        self.timestamp = _now() if timestamp is None else timestamp
        self.invocation_id = invocation_id

    def to_dict(self) -> dict[str, Any]:
        """Return the message as a JSON-ready dict (``invocation_id`` only when set)."""
        data: dict[str, Any] = {
            "id": self.id,
            "name": self.name,
            "role": self.role,
            "content": self.content,
            "metadata": self.metadata,
            "timestamp": self.timestamp,
        }
        if self.invocation_id is not None:
            data["invocation_id"] = self.invocation_id
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Msg:
        """Rebuild a message from :meth:`to_dict` output, ``id`` included.

        Raises:
            TypeError: ``data`` is not a mapping, or a field has the wrong type.
            ValueError: a required field is missing, or ``role`` is invalid.
        """
        if type(data) is dict:
            msg = cls._from_plain_dict(data)
            if msg is not None:
                return msg
        if not isinstance(data, Mapping):
            raise TypeError(f"Msg.from_dict expects a mapping, got {type(data).__name__}")
        missing = [key for key in ("id", "name", "role", "content") if key not in data]
        if missing:
            raise ValueError(f"Msg.from_dict: missing field(s) {', '.join(missing)}")
        fields = (
            data["name"],
            data["content"],
            data["role"],
            data.get("metadata"),
            data.get("timestamp"),
            data.get("invocation_id"),
        )
        _check_fields(*fields)
        if not isinstance(data["id"], str):
            raise TypeError(f"id must be a str, got {type(data['id']).__name__}")
        msg = cls.__new__(cls)  # a stored message keeps its id: none is generated
        msg._fill(data["id"], *fields)
        return msg

    @classmethod
    def _from_plain_dict(cls, data: dict[str, Any]) -> Msg | None:
        """:meth:`from_dict` of what ``json.loads`` returns, in exact-type checks only.

        Every message read back from storage comes through here, so it checks each field
        with one ``type(...) is`` test; ``None`` hands anything else (a str subclass, a
        missing field, a wrong type) to the full checks, which accept or name the problem.
        """
        get = data.get
        msg_id = get("id")
        name = get("name")
        role = get("role")
        content = get("content")
        metadata = get("metadata")
        timestamp = get("timestamp")
        invocation_id = get("invocation_id")
        if not (
            type(msg_id) is str
            and type(name) is str
            and type(role) is str
            and role in _ROLES
            and (metadata is None or type(metadata) is dict)
            and (timestamp is None or type(timestamp) is str)
            and (invocation_id is None or type(invocation_id) is str)
        ):
            return None
        if type(content) is not str and not (
            type(content) is list and all(type(block) is dict for block in content)
        ):
            return None
        msg = cls.__new__(cls)
        msg._fill(msg_id, name, content, role, metadata, timestamp, invocation_id)  # type: ignore[arg-type]
        return msg

    def get_text_content(self) -> str | None:
        """Return the text: ``content`` itself, or its text blocks joined by newlines.

        Returns ``None`` when the content has no text block.
        """
        if isinstance(self.content, str):
            return self.content
        texts = [
            str(block.get("text", "")) for block in self.content if block.get("type") == "text"
        ]
        return "\n".join(texts) if texts else None

    def get_content_blocks(self, block_type: BlockType | None = None) -> list[ContentBlock]:
        """Return the content as blocks, only those of ``block_type`` when given.

        String content counts as one text block.
        """
        blocks: list[ContentBlock] = (
            [TextBlock(type="text", text=self.content)]
            if isinstance(self.content, str)
            else list(self.content)
        )
        if block_type is None:
            return blocks
        return [block for block in blocks if block.get("type") == block_type]

    def has_content_blocks(self, block_type: BlockType | None = None) -> bool:
        """Whether the content has at least one block (of ``block_type`` when given)."""
        return bool(self.get_content_blocks(block_type))

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Msg):
            return NotImplemented
        return self.to_dict() == other.to_dict()

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return (
            f"Msg(id='{self.id}', name='{self.name}', content={self.content!r}, "
            f"role='{self.role}', metadata={self.metadata!r}, "
            f"timestamp='{self.timestamp}', invocation_id='{self.invocation_id}')"
        )
