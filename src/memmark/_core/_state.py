"""The tutorial's state format, shared by every backend's export and import.

A state is ``{"_compressed_summary": str, "content": [[msg_dict, [mark, ...]], ...]}`` with the
messages oldest first, exactly what AgentScope's ``InMemoryMemory.state_dict()`` returns.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from memmark._core._record import Snapshot, StoredMessage, encode_payload
from memmark._core._validation import MSG_ID_MAX_LENGTH, check_marks, check_summary, check_text
from memmark.message import Msg

__all__ = ["check_reference_state", "decode_state", "encode_state"]

_SUMMARY_KEY = "_compressed_summary"
_CONTENT_KEY = "content"
_REFERENCE_KEYS = ("user_id", "session_id")


def encode_state(snapshot: Snapshot) -> dict[str, Any]:
    """Return the state dict of a snapshot taken with marks; each message's marks sorted."""
    return {
        _SUMMARY_KEY: snapshot.summary,
        _CONTENT_KEY: [
            [json.loads(stored.payload), sorted(stored.marks)] for stored in snapshot.messages
        ],
    }


def decode_state(state: object, *, strict: bool = True) -> Snapshot:
    """Check a state dict and turn it into what a backend stores.

    A message id that appears twice keeps its first occurrence, as ``add`` would.

    Args:
        state: The state dict.
        strict: Require exactly the two keys; otherwise a missing key means empty and
            unknown keys are ignored.

    Raises:
        TypeError: the state or one of its parts has the wrong type.
        ValueError: a key is missing or unknown (strict), or a message or mark is invalid.
    """
    if not isinstance(state, Mapping):
        raise TypeError(f"state must be a dict, got {type(state).__name__}")
    if strict:
        expected = {_SUMMARY_KEY, _CONTENT_KEY}
        missing = expected - state.keys()
        unknown = state.keys() - expected
        if missing or unknown:
            raise ValueError(
                f"state must have exactly the keys {sorted(expected)}; "
                f"missing {sorted(missing)}, unknown {sorted(map(str, unknown))}"
            )
    summary = check_summary(state.get(_SUMMARY_KEY, ""))
    content = state.get(_CONTENT_KEY, [])
    if not isinstance(content, (list, tuple)):
        raise TypeError(f"state['content'] must be a list, got {type(content).__name__}")
    messages: dict[str, StoredMessage] = {}
    for i, entry in enumerate(content):
        where = f"state['content'][{i}]"
        if not isinstance(entry, (list, tuple)) or len(entry) != 2:
            raise TypeError(f"{where} must be a [message dict, marks list] pair")
        msg_dict, marks = entry
        if isinstance(marks, str):
            raise TypeError(f"{where}[1] must be a list of marks, got str")
        msg = Msg.from_dict(msg_dict)
        check_text(f"{where}[0]['id']", msg.id, max_length=MSG_ID_MAX_LENGTH)
        if msg.id not in messages:
            messages[msg.id] = StoredMessage(
                msg.id, encode_payload(msg), check_marks(f"{where}[1]", marks)
            )
    return Snapshot(summary, list(messages.values()))


def check_reference_state(
    state: object, user_id: str, session_id: str, *, strict: bool = True
) -> None:
    """Check a persistent memory's state dict (``{"user_id", "session_id"}``) against its ids.

    A state without ids, or with an empty summary (what AgentScope's own SQL, Redis and
    Tablestore memories save), names nothing to check and is accepted.

    Raises:
        TypeError: ``state`` is not a dict.
        ValueError: it names another session, carries content (which only an async write
            can store: ``import_state``), or, with ``strict``, has keys of neither format.
    """
    if not isinstance(state, Mapping):
        raise TypeError(f"state must be a dict, got {type(state).__name__}")
    if state.get(_CONTENT_KEY) or state.get(_SUMMARY_KEY):
        raise ValueError(
            "this memory keeps its content in its storage and cannot load messages or a "
            "summary synchronously; write a tutorial-format state with "
            "`await memory.import_state(state)`"
        )
    unknown = set(state.keys()) - {*_REFERENCE_KEYS, _SUMMARY_KEY, _CONTENT_KEY}
    if strict and unknown:
        raise ValueError(
            f"state may hold only the keys {list(_REFERENCE_KEYS)}, got unknown "
            f"{sorted(map(str, unknown))}"
        )
    for key, own in zip(_REFERENCE_KEYS, (user_id, session_id), strict=True):
        if key in state and state[key] != own:
            raise ValueError(
                f"state belongs to {key} {state[key]!r}, this memory to {own!r}; a memory never "
                "switches to another session's data"
            )
