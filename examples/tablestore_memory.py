"""The AgentScope memory tutorial's Tablestore snippets: plain use and async context manager.

With ``TABLESTORE_ENDPOINT``, ``TABLESTORE_INSTANCE_NAME``, ``TABLESTORE_ACCESS_KEY_ID`` and
``TABLESTORE_ACCESS_KEY_SECRET`` set, it uses that instance. Without them it runs against
the SDK's own client connected to memmark's in-process *emulator* of the service (from the
repository's ``tests/fakes``), so it runs anywhere; the emulator is a test double, not Tablestore.
"""

import asyncio
import os
import sys
from pathlib import Path
from typing import Any

from memmark.memory import TablestoreMemory
from memmark.message import Msg


def tablestore_settings() -> dict[str, Any]:
    """Constructor arguments: the real instance's, or placeholders plus an emulated client."""
    names = ("ENDPOINT", "INSTANCE_NAME", "ACCESS_KEY_ID", "ACCESS_KEY_SECRET")
    if all(os.environ.get(f"TABLESTORE_{name}") for name in names):
        return {
            "end_point": os.environ["TABLESTORE_ENDPOINT"],
            "instance_name": os.environ["TABLESTORE_INSTANCE_NAME"],
            "access_key_id": os.environ["TABLESTORE_ACCESS_KEY_ID"],
            "access_key_secret": os.environ["TABLESTORE_ACCESS_KEY_SECRET"],
        }
    # No credentials: the SDK's client on the in-process emulator of memmark's test suite
    # (needs the repo checkout).
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from tests.fakes.tablestore_emulator import EmulatedOTSClient, TablestoreEmulator

    print("(no TABLESTORE_* credentials: using the in-process emulator)")
    return {
        "end_point": "https://your-instance.cn-hangzhou.ots.aliyuncs.com",
        "instance_name": "your-instance-name",
        "access_key_id": "your-access-key-id",
        "access_key_secret": "your-access-key-secret",
        "client": EmulatedOTSClient(TablestoreEmulator()),
    }


SETTINGS = tablestore_settings()


async def tablestore_memory_example():
    # Create the Tablestore memory
    memory = TablestoreMemory(
        **SETTINGS,
        # Optionally specify user_id and session_id
        user_id="user_1",
        session_id="session_1",
    )

    # Add a message to the memory
    await memory.add(
        Msg("Alice", "Generate a report about AgentScope", "user"),
    )

    # Add a hint message with the mark "hint"
    await memory.add(
        Msg(
            "system",
            "Create a plan first to collect information and generate the report step by step.",
            "system",
        ),
        marks="hint",
    )

    # Retrieve messages with the mark "hint"
    msgs = await memory.get_memory(mark="hint")
    for msg in msgs:
        print(f"- {msg}")

    # Close the Tablestore client connection when done
    await memory.close()


async def tablestore_context_example():
    async with TablestoreMemory(
        **SETTINGS,
        user_id="user_1",
        session_id="session_1",
    ) as memory:
        await memory.add(
            Msg("Alice", "Generate a report about AgentScope", "user"),
        )
        msgs = await memory.get_memory()
        for msg in msgs:
            print(f"- {msg}")


asyncio.run(tablestore_memory_example())
asyncio.run(tablestore_context_example())
