"""Pure argument checks shared by every memory: each returns the normalised value or raises.

Everything here runs before any I/O, so a bad argument never leaves partial state behind.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta, timezone

from memmark.message import Msg

__all__ = [
    "IDENTITY_MAX_LENGTH",
    "LIMIT_MAX",
    "MARK_MAX_LENGTH",
    "MSG_ID_MAX_LENGTH",
    "check_age",
    "check_identity",
    "check_limit",
    "check_marks",
    "check_msg_ids",
    "check_msgs",
    "check_optional_mark",
    "check_summary",
    "check_text",
    "check_timestamp",
    "refuse_duplicates",
]

IDENTITY_MAX_LENGTH = 1024
"""Longest ``user_id`` / ``session_id``, in characters."""
MARK_MAX_LENGTH = 255
"""Longest mark, in characters (SQL indexes it)."""
MSG_ID_MAX_LENGTH = 255
"""Longest message id, in characters (SQL indexes it)."""
LIMIT_MAX = 2**31 - 1
"""Largest ``limit``: every backend can send it as it is (Tablestore's is an int32)."""


def check_text(name: str, value: object, *, max_length: int) -> str:
    """Return ``value`` if it is a non-empty str without NUL that UTF-8 can encode.

    Raises:
        TypeError: ``value`` is not a str.
        ValueError: it is empty, too long, contains NUL or an unpaired surrogate.
    """
    if not isinstance(value, str):
        raise TypeError(f"{name} must be a str, got {type(value).__name__}")
    if not value:
        raise ValueError(f"{name} must not be empty")
    if len(value) > max_length:
        raise ValueError(f"{name} must be at most {max_length} characters, got {len(value)}")
    if "\x00" in value:
        raise ValueError(f"{name} must not contain NUL characters")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise ValueError(f"{name} must be valid unicode (no unpaired surrogates)") from exc
    # A str subclass (AgentScope's marks are a str Enum) is stored as the plain text it holds.
    return str.__str__(value)


def check_identity(name: str, value: object) -> str:
    """Check a ``user_id`` or ``session_id``: any non-empty text up to 1,024 characters."""
    return check_text(name, value, max_length=IDENTITY_MAX_LENGTH)


def check_optional_mark(name: str, value: object) -> str | None:
    """Check a single optional mark argument (``mark``, ``exclude_mark``, ...)."""
    if value is None:
        return None
    return check_text(name, value, max_length=MARK_MAX_LENGTH)


def check_marks(name: str, value: object) -> tuple[str, ...]:
    """Normalise ``str | list[str] | None`` to a tuple of distinct marks, first seen first."""
    if value is None:
        return ()
    if isinstance(value, str):
        return (check_text(name, value, max_length=MARK_MAX_LENGTH),)
    if not isinstance(value, (list, tuple)):
        raise TypeError(f"{name} must be a str, a list of str or None, got {type(value).__name__}")
    marks = (
        check_text(f"{name}[{i}]", mark, max_length=MARK_MAX_LENGTH) for i, mark in enumerate(value)
    )
    return tuple(dict.fromkeys(marks))


def check_msg_ids(name: str, value: object) -> tuple[str, ...]:
    """Normalise a list/tuple of message ids to a tuple of distinct ids, first seen first."""
    if isinstance(value, str) or not isinstance(value, (list, tuple)):
        raise TypeError(f"{name} must be a list of str, got {type(value).__name__}")
    ids = (
        check_text(f"{name}[{i}]", msg_id, max_length=MSG_ID_MAX_LENGTH)
        for i, msg_id in enumerate(value)
    )
    return tuple(dict.fromkeys(ids))


def check_msgs(value: object) -> list[Msg]:
    """Normalise ``Msg | list[Msg] | None`` to a list of ``Msg`` (ids checked too)."""
    if value is None:
        return []
    items: Sequence[object]
    if isinstance(value, Msg):
        items = [value]
    elif isinstance(value, (list, tuple)):
        items = value
    else:
        raise TypeError(f"memories must be a Msg, a list of Msg or None, got {_describe(value)}")
    msgs: list[Msg] = []
    for i, item in enumerate(items):
        if not isinstance(item, Msg):
            raise TypeError(f"memories[{i}] must be a Msg, got {_describe(item)}")
        check_text(f"memories[{i}].id", item.id, max_length=MSG_ID_MAX_LENGTH)
        msgs.append(item)
    return msgs


def _describe(value: object) -> str:
    """Name the type of a rejected message, pointing AgentScope's ``Msg`` to the integration."""
    cls = type(value)
    if cls.__module__.split(".")[0] == "agentscope":
        return (
            f"{cls.__module__}.{cls.__qualname__} from AgentScope: memmark.memory classes take "
            "memmark.message.Msg; for AgentScope agents use the same classes from "
            "memmark.integrations.agentscope, which take AgentScope's Msg"
        )
    return cls.__name__


def refuse_duplicates(name: str, value: object, *, duplicates_when: bool | None) -> None:
    """Raise if an AgentScope flag asks to store a message id twice, which memmark never does.

    Args:
        name: The flag's name (``allow_duplicates``, ``skip_duplicated``).
        value: Its value.
        duplicates_when: The value that asks for duplicates, or ``None`` for a flag that is
            a no-op whatever its (bool) value.

    Raises:
        TypeError: the flag is not a bool.
        ValueError: it asks for duplicates.
    """
    if not isinstance(value, bool):
        raise TypeError(f"{name} must be a bool, got {type(value).__name__}")
    if value is duplicates_when:
        raise ValueError(
            f"{name}={value} cannot be honoured: memmark stores each message id once per "
            "session (a message whose id is stored is skipped); give a copy its own id instead"
        )


def check_limit(value: object) -> int | None:
    """Check ``limit``: ``None`` (no limit) or an int from 0 to :data:`LIMIT_MAX`."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"limit must be an int or None, got {type(value).__name__}")
    if not 0 <= value <= LIMIT_MAX:
        raise ValueError(f"limit must be between 0 and {LIMIT_MAX} (2**31 - 1), got {value}")
    return value


def check_summary(value: object) -> str:
    """Check a compressed summary: any str that UTF-8 can encode (``""`` clears it)."""
    if not isinstance(value, str):
        raise TypeError(f"summary must be a str, got {type(value).__name__}")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise ValueError("summary must be valid unicode (no unpaired surrogates)") from exc
    return value


def check_timestamp(name: str, value: object) -> datetime | None:
    """Return ``value`` (a timezone-aware datetime, or ``None``) converted to UTC.

    Raises:
        TypeError: ``value`` is neither a datetime nor ``None``.
        ValueError: it is a naive datetime, whose moment is ambiguous.
    """
    if value is None:
        return None
    if not isinstance(value, datetime):
        raise TypeError(f"{name} must be a datetime or None, got {type(value).__name__}")
    if value.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware (e.g. datetime.now(timezone.utc))")
    return value.astimezone(timezone.utc)


def check_age(name: str, value: object) -> int | None:
    """Check an age such as ``older_than``: ``None``, or a ``timedelta`` >= 0.

    Returns:
        ``None``, or the age in whole milliseconds, rounded up (storages keep times to the
        millisecond, so a message is never taken for older than it is).

    Raises:
        TypeError: ``value`` is neither a timedelta nor ``None``.
        ValueError: it is negative.
    """
    if value is None:
        return None
    if not isinstance(value, timedelta):
        raise TypeError(f"{name} must be a datetime.timedelta or None, got {type(value).__name__}")
    if value < timedelta(0):
        raise ValueError(f"{name} must not be negative, got {value}")
    return -(-value // timedelta(milliseconds=1))


def check_expected_version(value: object) -> int | None:
    """Check ``expected_version``: ``None`` or a version number (an int >= 0).

    Raises:
        TypeError: not an int (``bool`` included) or None.
        ValueError: negative.
    """
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"expected_version must be an int or None, got {type(value).__name__}")
    if value < 0:
        raise ValueError(f"expected_version must be >= 0, got {value}")
    return value
