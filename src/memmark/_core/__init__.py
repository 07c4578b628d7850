"""What every backend shares: the memory and store contracts, validation, the record codec.

This package sits below every backend and imports none of them; backends import from here
(never from its private modules), and :mod:`memmark.memory` / :mod:`memmark.store` re-export
the public part.
"""

from __future__ import annotations

from memmark._core._closing import AsyncClosing
from memmark._core._memory_base import CopyOutcome, MemoryBase
from memmark._core._owning import ClientOwner, ResourceOwner
from memmark._core._record import (
    PAYLOAD_MAX_DEPTH,
    Snapshot,
    StoredMessage,
    decode_payload,
    encode_payload,
    epoch_ms,
)
from memmark._core._retry import backoff_delay, retrying
from memmark._core._session_key import session_key
from memmark._core._state import decode_state, encode_state
from memmark._core._store_base import Page, SessionInfo, StoreBase
from memmark._core._telemetry import configure as configure_telemetry
from memmark._core._validation import (
    IDENTITY_MAX_LENGTH,
    MARK_MAX_LENGTH,
    MSG_ID_MAX_LENGTH,
    check_expected_version,
    check_identity,
    check_limit,
    check_marks,
    check_msg_ids,
    check_msgs,
    check_optional_mark,
    check_summary,
    check_text,
    check_timestamp,
    refuse_duplicates,
)

__all__ = [
    "IDENTITY_MAX_LENGTH",
    "MARK_MAX_LENGTH",
    "MSG_ID_MAX_LENGTH",
    "PAYLOAD_MAX_DEPTH",
    "AsyncClosing",
    "ClientOwner",
    "CopyOutcome",
    "MemoryBase",
    "Page",
    "ResourceOwner",
    "SessionInfo",
    "Snapshot",
    "StoreBase",
    "StoredMessage",
    "backoff_delay",
    "check_expected_version",
    "check_identity",
    "check_limit",
    "check_marks",
    "check_msg_ids",
    "check_msgs",
    "check_optional_mark",
    "check_summary",
    "check_text",
    "check_timestamp",
    "configure_telemetry",
    "decode_payload",
    "decode_state",
    "encode_payload",
    "encode_state",
    "epoch_ms",
    "refuse_duplicates",
    "retrying",
    "session_key",
]
