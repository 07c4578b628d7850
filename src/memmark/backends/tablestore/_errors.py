"""The one boundary where Tablestore SDK and network errors become memmark errors.

- network failures (``OSError``, timeouts, ``aiohttp.ClientError``), ``OTSClientError`` and
  throttling or server-unavailable ``OTSServiceError`` codes -> :class:`StorageUnavailableError`;
- any other ``OTSServiceError`` -> :class:`BackendError`.

Both are raised ``from`` the SDK exception, so the cause is kept.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from memmark.backends.tablestore._sdk import load_sdk
from memmark.errors import BackendError, StorageUnavailableError

__all__ = ["CONDITION_FAILED", "sdk_errors"]

CONDITION_FAILED = "OTSConditionCheckFail"

_UNAVAILABLE_CODES = frozenset(
    {
        "OTSServerBusy",
        "OTSNotEnoughCapacityUnit",
        "OTSOperationThrottled",
        "OTSQuotaExhausted",
        "OTSServerUnavailable",
        "OTSPartitionUnavailable",
        "OTSTableNotReady",
        "OTSTimeout",
        "OTSInternalServerError",
    }
)


@contextmanager
def sdk_errors(action: str) -> Iterator[None]:
    """Map SDK and network exceptions raised inside the block; ``action`` says what failed."""
    import aiohttp  # a dependency of the tablestore SDK, loaded with it

    sdk = load_sdk()
    try:
        yield
    except sdk.OTSServiceError as exc:
        status = exc.http_status if isinstance(exc.http_status, int) else 0
        if exc.code in _UNAVAILABLE_CODES or status >= 500:
            raise StorageUnavailableError(f"Tablestore unavailable while {action}: {exc}") from exc
        raise BackendError(f"Tablestore failed while {action}: {exc}") from exc
    except sdk.OTSClientError as exc:
        raise StorageUnavailableError(f"Tablestore client error while {action}: {exc}") from exc
    except (OSError, TimeoutError, aiohttp.ClientError) as exc:
        raise StorageUnavailableError(f"Tablestore not reachable while {action}: {exc!r}") from exc
