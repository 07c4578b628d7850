"""The one ownership rule: close() releases only what memmark created, once."""

from __future__ import annotations

from memmark._core import ClientOwner


class Client:
    def __init__(self) -> None:
        self.closed = 0


class Holder(ClientOwner[Client]):
    def __init__(self, client: Client | None = None) -> None:
        self._adopt(client or Client(), owned=client is None)

    async def _release(self, resource: Client) -> None:
        resource.closed += 1


async def test_a_created_client_is_released_once() -> None:
    holder = Holder()
    await holder.close()
    await holder.close()
    assert holder.get_client().closed == 1


async def test_a_client_passed_in_stays_open() -> None:
    client = Client()
    holder = Holder(client)
    await holder.close()
    assert holder.get_client() is client
    assert client.closed == 0
