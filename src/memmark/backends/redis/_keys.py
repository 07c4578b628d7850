"""Redis key layout of memmark: injective, one hash tag per (user_id, session_id).

Every id goes through :func:`escape`, which percent-escapes ``%``, ``:``, ``{`` and ``}``;
an escaped id therefore never contains a separator or a brace, and distinct ids stay
distinct. With ``P = escape(key_prefix)``, ``U = escape(user_id)``, ``S = escape(session_id)``
the keys of one session are::

    P:{U:S}:meta          hash: summary, next_seq (sequence counter), updated_at (ms)
    P:{U:S}:seq           sorted set: msg_id scored by its sequence number (the order)
    P:{U:S}:payloads      hash: msg_id -> the message's JSON payload, NUL, when it was
                          stored (ms, the server's ``TIME``), then NUL and its marks joined
                          by NUL if it has any; a message an earlier memmark stored has no
                          time until ``delete_by_mark(..., older_than=...)`` first sees it.
                          While the session holds messages, the field NUL (no id contains
                          NUL) holds its state stamp, ``version:seconds:microseconds`` of
                          its last change (see ``_index.py``)
    P:{U:S}:mark-names    set: the marks that some message of the session carries
    P:{U:S}:mark:<mark>   sorted set: msg_id of the messages carrying <mark>, by sequence

Each message therefore costs one hash entry and one sorted-set entry per index it is in.
An earlier memmark kept the marks and the stored-at times in hashes of their own,
``P:{U:S}:msg-marks`` and ``P:{U:S}:stored-at``: every script but the plain read folds a
session's into its ``payloads`` values the first time it runs on it (the plain read needs
neither), so an upgraded store reads on without a migration step.

and the session indexes of :class:`~memmark.store.RedisStore` are::

    P:users               sorted set (all scores 0): user ids, in code point order
    P:{u:U}:sessions      sorted set (all scores 0): the session ids of user U

The braces hold the hash tag: Redis Cluster hashes only ``U:S``, so all keys of one session
live in one slot and a Lua script can change them atomically. The first ``{`` of a key is
the tag's own (``P`` has none) and the first ``}`` after it closes it (``U`` and ``S`` have
none), so the tag is exactly ``U:S``. The layout is injective: ``P`` ends at the first ``:``,
``U`` and ``S`` are split by the only ``:`` inside the braces, and what follows the tag is one
of the fixed kinds above; ``<mark>`` is stored raw, since it only ever follows ``mark:``.
No key of one (prefix, user, session) can equal or contain one of another, whatever the ids
hold (``:``, braces, glob characters, spaces, unicode), and no key is ever found by SCAN/KEYS:
the mark keys of a session are listed in its ``mark-names`` set.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

__all__ = ["SessionKeys", "escape", "key_ttl_ms", "sessions_key", "users_key"]

_ESCAPES = str.maketrans({"%": "%25", ":": "%3A", "{": "%7B", "}": "%7D"})


def escape(text: str) -> str:
    """Percent-escape the characters the key layout uses as separators (injective)."""
    return text.translate(_ESCAPES)


def users_key(key_prefix: str) -> str:
    """The sorted set of every user id that has a registered session."""
    return f"{escape(key_prefix)}:users"


def sessions_key(key_prefix: str, user_id: str) -> str:
    """The sorted set of one user's registered session ids."""
    return f"{escape(key_prefix)}:{{u:{escape(user_id)}}}:sessions"


@dataclass(frozen=True)
class SessionKeys:
    """The keys of one (user_id, session_id) under one key prefix."""

    meta: str
    seq: str
    payloads: str
    legacy_marks: str
    mark_names: str
    legacy_stored_at: str
    mark_prefix: str
    """Prefix of the per-mark sorted sets: ``mark_prefix + mark``."""

    @classmethod
    def of(cls, key_prefix: str, user_id: str, session_id: str) -> SessionKeys:
        """Build the keys of (user_id, session_id) under ``key_prefix``."""
        base = f"{escape(key_prefix)}:{{{escape(user_id)}:{escape(session_id)}}}:"
        return cls(
            meta=base + "meta",
            seq=base + "seq",
            payloads=base + "payloads",
            legacy_marks=base + "msg-marks",
            mark_names=base + "mark-names",
            legacy_stored_at=base + "stored-at",
            mark_prefix=base + "mark:",
        )

    @property
    def script_keys(self) -> list[str]:
        """The fixed keys every script receives as ``KEYS``, in the prelude's order.

        The legacy hashes are among them so that the prelude may fold them (a script may
        touch only the keys it is given).
        """
        return [
            self.meta,
            self.seq,
            self.payloads,
            self.legacy_marks,
            self.mark_names,
            self.legacy_stored_at,
        ]

    @property
    def data_keys(self) -> list[str]:
        """The fixed keys a session's data lives in (its per-mark sets aside)."""
        return [self.meta, self.seq, self.payloads, self.mark_names]

    def mark(self, mark: str) -> str:
        """The sorted set of the messages carrying ``mark``."""
        return self.mark_prefix + mark


def key_ttl_ms(key_ttl: float | None) -> int:
    """Convert ``key_ttl`` (seconds, or ``None``) to whole milliseconds (``0``: none)."""
    if key_ttl is None:
        return 0
    if isinstance(key_ttl, bool) or not isinstance(key_ttl, (int, float)):
        raise TypeError(
            f"key_ttl must be a number of seconds or None, got {type(key_ttl).__name__}"
        )
    if not (math.isfinite(key_ttl) and key_ttl > 0):
        raise ValueError(f"key_ttl must be a positive number of seconds, got {key_ttl}")
    return max(1, round(key_ttl * 1000))
