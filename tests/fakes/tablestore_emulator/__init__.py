"""An in-process emulator of the Tablestore service behind the SDK's real client.

:class:`TablestoreEmulator` is the service (tables, rules, limits, failures on demand);
:class:`EmulatedOTSClient` is the SDK's ``AsyncOTSClient`` connected to it.
"""

from __future__ import annotations

from tests.fakes.tablestore_emulator.client import EmulatedOTSClient, EmulatorConnection
from tests.fakes.tablestore_emulator.service import (
    FAILURE_KINDS,
    ServiceError,
    Table,
    TablestoreEmulator,
)

__all__ = [
    "FAILURE_KINDS",
    "EmulatedOTSClient",
    "EmulatorConnection",
    "ServiceError",
    "Table",
    "TablestoreEmulator",
]
