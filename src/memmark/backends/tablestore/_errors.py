"""The one boundary where Tablestore SDK and network errors become memmark errors.

- network failures (``OSError``, timeouts, ``aiohttp.ClientError``), ``OTSClientError`` and
  throttling, row-conflict or server-unavailable ``OTSServiceError`` codes (what is still
  failing after the SDK's own retries) -> :class:`StorageUnavailableError`;
- any other ``OTSServiceError`` -> :class:`BackendError`.

Both are raised ``from`` the SDK exception, so the cause is kept.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from memmark.backends.tablestore._sdk import load_sdk
from memmark.errors import BackendError, StorageUnavailableError

__all__ = [
    "CONDITION_FAILED",
    "TABLE_NOT_READY",
    "TRANSIENT_CODES",
    "is_transient",
    "row_error",
    "sdk_errors",
]

CONDITION_FAILED = "OTSConditionCheckFail"
TABLE_NOT_READY = "OTSTableNotReady"

TRANSIENT_CODES = frozenset(
    {
        "OTSRowOperationConflict",
        "OTSOperationConflict",
        "OTSServerBusy",
        "OTSNotEnoughCapacityUnit",
        "OTSOperationThrottled",
        "OTSQuotaExhausted",
        "OTSServerUnavailable",
        "OTSPartitionUnavailable",
        TABLE_NOT_READY,
        "OTSTimeout",
        "OTSInternalServerError",
    }
)
"""Error codes (of a request or of one row in a batch) that a later attempt may not meet."""


def is_transient(exc: BaseException) -> bool:
    """The retry predicate of memmark's own retries: the failure may pass if repeated."""
    return isinstance(exc, StorageUnavailableError)


def row_error(action: str, count: int, code: str, message: str) -> BackendError:
    """The error for rows of a batch that failed with ``code`` (after any retries)."""
    kind = StorageUnavailableError if code in TRANSIENT_CODES else BackendError
    return kind(f"Tablestore failed {action} ({count} row(s)): {code}: {message}")


@contextmanager
def sdk_errors(action: str) -> Iterator[None]:
    """Map SDK and network exceptions raised inside the block; ``action`` says what failed."""
    import aiohttp  # a dependency of the tablestore SDK, loaded with it

    sdk = load_sdk()
    try:
        yield
    except sdk.OTSServiceError as exc:
        status = exc.http_status if isinstance(exc.http_status, int) else 0
        if exc.code in TRANSIENT_CODES or status >= 500:
            raise StorageUnavailableError(f"Tablestore unavailable while {action}: {exc}") from exc
        raise BackendError(f"Tablestore failed while {action}: {exc}") from exc
    except sdk.OTSClientError as exc:
        raise StorageUnavailableError(f"Tablestore client error while {action}: {exc}") from exc
    except (OSError, TimeoutError, aiohttp.ClientError) as exc:
        raise StorageUnavailableError(f"Tablestore not reachable while {action}: {exc!r}") from exc
