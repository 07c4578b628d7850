"""Exceptions raised by memmark.

Bad arguments raise the builtins ``TypeError`` / ``ValueError``. Everything else memmark
raises derives from :class:`MemmarkError`::

    MemmarkError(Exception)
    ├── BackendError                          # the storage failed
    │   └── StorageUnavailableError           # the storage cannot be reached right now
    ├── ContentTooLargeError(MemmarkError, ValueError)  # over a backend's hard limit
    └── SchemaVersionError                    # stored schema is not the one this code knows

Driver exceptions are mapped at one boundary per backend family and chained with
``raise ... from exc``, so the original cause is never lost.
"""

from __future__ import annotations

__all__ = [
    "BackendError",
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


class SchemaVersionError(MemmarkError):
    """The stored schema version differs from the one this memmark understands."""
