"""The SDK's own ``AsyncOTSClient``, with only its HTTP connection pool replaced.

``AsyncOTSClient`` sends every request through one object with ``send_receive(query,
headers, body)`` and ``close()`` (``tablestore.connection.AsyncConnectionPool``, on aiohttp);
:class:`EmulatedOTSClient` hands it :class:`EmulatorConnection` instead, so everything else
(request encoding with the Python or native codec, signing, response checks, decoding, error
parsing, the retry policy) is the SDK's code as memmark runs it.
"""

from __future__ import annotations

from typing import Any

from memmark.backends.tablestore._sdk import load_sdk
from tests.fakes.tablestore_emulator.service import TablestoreEmulator

load_sdk()

from tablestore import AsyncOTSClient  # noqa: E402
from tablestore.retry import NoDelayRetryPolicy  # noqa: E402


class EmulatorConnection:
    """Stands in for the SDK's ``AsyncConnectionPool``: requests go to the emulator."""

    def __init__(self, emulator: TablestoreEmulator) -> None:
        self.emulator = emulator
        self.closed = False

    async def send_receive(
        self, url: str, request_headers: dict[str, str], request_body: bytes
    ) -> tuple[int, str, dict[str, str], bytes]:
        if self.closed:
            raise RuntimeError("request on a closed connection")
        return await self.emulator.handle(url, request_headers, request_body)

    async def close(self) -> None:
        self.closed = True


class EmulatedOTSClient(AsyncOTSClient):  # type: ignore[misc]
    """``AsyncOTSClient`` signed in to ``emulator``.

    The SDK's retry decisions are kept; its back-off is dropped by default
    (``NoDelayRetryPolicy``, the SDK's own policy with the same decisions and no sleeps), so
    tests that make the service throttle do not wait seconds.
    """

    def __init__(
        self,
        emulator: TablestoreEmulator,
        *,
        enable_native: bool = True,
        retry_policy: Any = None,
    ) -> None:
        super().__init__(
            f"https://{emulator.instance_name}.emulated.invalid",
            emulator.access_key_id,
            emulator.access_key_secret,
            emulator.instance_name,
            enable_native=enable_native,
            retry_policy=retry_policy if retry_policy is not None else NoDelayRetryPolicy(),
        )
        self.emulator = emulator
        self.closed_connections = 0

    def _get_or_create_connection(self) -> EmulatorConnection:
        if self._connection is None:
            self._connection = EmulatorConnection(self.emulator)
        return self._connection  # type: ignore[no-any-return]

    async def close(self) -> None:
        if self._connection is not None:
            self.closed_connections += 1
        await super().close()
