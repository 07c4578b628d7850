"""The one digest of a session's identity, for backends that key storage on a fixed size."""

from __future__ import annotations

import hashlib
import json

__all__ = ["session_key"]


def session_key(user_id: str, session_id: str) -> str:
    """Return the hex SHA-256 of the ASCII JSON pair ``[user_id, session_id]``.

    JSON of the pair is injective (distinct pairs, whatever their characters, give distinct
    text), so only a SHA-256 collision could map two sessions to one key; backends still
    check the stored ids against the memory's. ASCII JSON escapes every non-ASCII character,
    so the digest never depends on a text encoding.
    """
    pair = json.dumps([user_id, session_id], ensure_ascii=True)
    return hashlib.sha256(pair.encode("ascii")).hexdigest()
