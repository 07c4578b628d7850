"""The AgentScope memory tutorial's FastAPI pattern with ``TablestoreMemory``.

One memory per request, built from the ``TABLESTORE_*`` environment variables and closed when
the request ends. Run it with ``uvicorn examples.fastapi_tablestore:app``. Without the
variables it uses memmark's in-process *emulator* of the service (see ``examples/tablestore_memory.py``).
"""

import os
import sys
from pathlib import Path
from typing import Any

from fastapi import FastAPI

from memmark.memory import TablestoreMemory
from memmark.message import Msg

app = FastAPI()

_emulated_client: Any = None


def tablestore_settings() -> dict[str, Any]:
    """The tutorial reads ``os.environ[...]``; without credentials, fall back to the emulator."""
    names = ("ENDPOINT", "INSTANCE_NAME", "ACCESS_KEY_ID", "ACCESS_KEY_SECRET")
    if all(os.environ.get(f"TABLESTORE_{name}") for name in names):
        return {
            "end_point": os.environ["TABLESTORE_ENDPOINT"],
            "instance_name": os.environ["TABLESTORE_INSTANCE_NAME"],
            "access_key_id": os.environ["TABLESTORE_ACCESS_KEY_ID"],
            "access_key_secret": os.environ["TABLESTORE_ACCESS_KEY_SECRET"],
        }
    global _emulated_client
    if _emulated_client is None:
        # No credentials: one shared client on the emulator of memmark's tests (needs the repo).
        sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
        from tests.fakes.tablestore_emulator import EmulatedOTSClient, TablestoreEmulator

        _emulated_client = EmulatedOTSClient(TablestoreEmulator())
    return {"client": _emulated_client}


@app.post("/chat_endpoint")
async def chat_endpoint(user_id: str, session_id: str, input: str) -> dict[str, Any]:
    """A chat endpoint using Tablestore memory."""
    memory = TablestoreMemory(
        **tablestore_settings(),
        user_id=user_id,
        session_id=session_id,
    )
    try:
        # Use the memory with your agent: here, store the input and return the history
        await memory.add(Msg("user", input, "user"))
        history = await memory.get_memory()
        return {"history": [msg.content for msg in history]}
    finally:
        # Close the Tablestore client connection when done
        await memory.close()
