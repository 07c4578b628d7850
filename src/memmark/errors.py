"""Exceptions raised by memmark.

Bad arguments raise the builtins ``TypeError`` / ``ValueError``. Everything else memmark
raises derives from :class:`MemmarkError`::

    MemmarkError(Exception)
    ├── BackendError                          # the storage failed
    │   └── StorageUnavailableError           # the storage cannot be reached right now
    ├── ContentTooLargeError(MemmarkError, ValueError)  # over a backend's hard limit
    ├── ConflictError                         # expected_version differs from the stored one
    └── SchemaVersionError                    # stored schema is not the one this code knows

Driver exceptions are mapped at one boundary per backend family and chained with
``raise ... from exc``, so the original cause is never lost.
"""

from __future__ import annotations

__all__ = [
    "BackendError",
    "ConflictError",
    "ContentTooLargeError",
    "MemmarkError",
    "SchemaVersionError",
    "StorageUnavailableError",
]


class MemmarkError(Exception):
    """Base class of every error memmark raises on purpose."""


class BackendError(MemmarkError):
    """The storage backend failed or could not be reached; ``__cause__`` holds the driver error."""


class StorageUnavailableError(BackendError):
    """The server could not be reached or dropped the connection; retrying later may succeed.

    Whether the failed write was applied is unknown; every write is idempotent by message id,
    so repeating it is safe.
    """


class ContentTooLargeError(MemmarkError, ValueError):
    """A value exceeds a hard limit of the backend; raised before anything is written."""


class ConflictError(MemmarkError):
    """A write given ``expected_version=`` found another version stored; it changed nothing.

    Another writer changed the session since the caller read its version: read again,
    decide again, and retry with the new version.

    Attributes:
        expected: The version the caller expected.
        current: The session's version when the write was refused.
    """

    def __init__(self, expected: int, current: int) -> None:
        super().__init__(
            f"the session is at version {current}, not the expected {expected}; "
            "another writer changed it"
        )
        self.expected = expected
        self.current = current

    def __reduce__(self) -> tuple[type[ConflictError], tuple[int, int]]:
        return (ConflictError, (self.expected, self.current))


class SchemaVersionError(MemmarkError):
    """The stored schema version differs from the one this memmark understands."""
