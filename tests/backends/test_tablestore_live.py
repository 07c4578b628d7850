"""The live Tablestore check, and the one place its absence is reported.

With ``TABLESTORE_ENDPOINT``, ``TABLESTORE_INSTANCE_NAME``, ``TABLESTORE_ACCESS_KEY_ID`` and
``TABLESTORE_ACCESS_KEY_SECRET`` set, the registry also runs the whole conformance suite on
the live instance (backend ``tablestore_live``). Without them this test is skipped with the
reason "no Tablestore credentials": the one documented exception to "no skips under
CI=true", since no Tablestore instance is reachable from CI.
"""

from __future__ import annotations

import pytest

from tests.conformance.helpers import contents, msg
from tests.providers.tablestore_env import NO_CREDENTIALS, live_credentials
from tests.registry import Provider

pytestmark = pytest.mark.tablestore_live


async def test_live_instance_round_trip(tablestore_live_provider: Provider) -> None:
    if live_credentials() is None:
        pytest.skip(NO_CREDENTIALS)
    async with tablestore_live_provider() as factory:
        memory = await factory(user_id="live", session_id="check")
        await memory.add([msg("a"), msg("b")], marks="m")
        await memory.update_compressed_summary("summary")
        reader = await factory(user_id="live", session_id="check")
        assert await contents(reader, mark="m") == ["a", "b"]
        assert (await reader.get_memory())[0].content == "summary"
        assert await reader.delete_by_mark("m") == 2
        await reader.clear()
        assert await memory.size() == 0
