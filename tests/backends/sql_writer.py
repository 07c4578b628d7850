"""A writer process for the multi-process SQL tests.

    python tests/backends/sql_writer.py URL PREFIX WRITER ADDS BATCH

Adds ``ADDS`` batches of ``BATCH`` messages (contents ``w<WRITER>-<i>-<j>``, marks ``w<WRITER>``
and ``all``) to the session ("shared", "shared") and prints ``<i>`` after each add.
"""

from __future__ import annotations

import asyncio
import sys

from memmark.message import Msg
from memmark.store import SQLStore


async def main(url: str, prefix: str, writer: int, adds: int, batch: int) -> None:
    async with SQLStore(url, table_prefix=prefix) as store:
        memory = store.memory("shared", "shared")
        for i in range(adds):
            msgs = [Msg("w", f"w{writer}-{i}-{j}", "user") for j in range(batch)]
            await memory.add(msgs if batch > 1 else msgs[0], marks=[f"w{writer}", "all"])
            print(i, flush=True)


if __name__ == "__main__":
    url, prefix, writer, adds, batch = sys.argv[1:6]
    asyncio.run(main(url, prefix, int(writer), int(adds), int(batch)))
