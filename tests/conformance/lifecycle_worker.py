"""A process racing others on one session, for the cross-process lifecycle tests.

    python tests/conformance/lifecycle_worker.py URL OPTIONS_JSON OPERATION [ARG]

Opens ``memmark.connect(URL, **OPTIONS)``, binds the session ("shared", "shared"), prints
``ready`` and waits for a line on stdin (so every worker starts its race at once), then runs
OPERATION and prints one JSON line with the result:

``pop``           pop until the session is empty: the ids popped, in order
``compress K``    compress the messages ``m<K>-*`` under summary ``s<K>``: the count
``guarded N``     N times: read the version, add a message expecting it: the ids it stored
                  (a ``ConflictError`` skips that turn)
``mixed K:N``     N times: add ``tool-K-i`` marked tool and ``keep-K-i`` marked keep: none
``prune N``       N times: ``store.prune("tool", 1 ms)``: the total it removed
"""

from __future__ import annotations

import asyncio
import json
import sys
from datetime import timedelta

import memmark
from memmark.errors import ConflictError
from memmark.message import Msg


async def main(url: str, options: str, operation: str, arg: str) -> object:
    async with memmark.connect(url, **json.loads(options)) as store:
        memory = store.memory("shared", "shared")
        await memory.size()  # connect before the race
        print("ready", flush=True)
        await asyncio.to_thread(sys.stdin.readline)
        if operation == "pop":
            popped = []
            while (msg := await memory.pop()) is not None:
                popped.append(msg.id)
            return popped
        if operation == "compress":
            ids = [m.id for m in await memory.get_memory() if m.id.startswith(f"m{arg}-")]
            return await memory.compress(f"s{arg}", ids)
        if operation == "guarded":
            stored = []
            for turn in range(int(arg.split(":")[1])):
                version = await memory.version()
                msg = Msg("w", "x", "user")
                msg.id = f"{arg.split(':')[0]}-{turn}"
                try:
                    await memory.add(msg, expected_version=version)
                except ConflictError:
                    continue
                stored.append(msg.id)
            return stored
        if operation == "mixed":
            key, turns = arg.split(":")
            for turn in range(int(turns)):
                tool, keep = Msg("w", "t", "user"), Msg("w", "k", "user")
                tool.id, keep.id = f"tool-{key}-{turn}", f"keep-{key}-{turn}"
                await memory.add(tool, marks="tool")
                await memory.add(keep, marks="keep")
            return None
        if operation == "prune":
            removed = 0
            for _ in range(int(arg)):
                removed += await store.prune("tool", timedelta(milliseconds=1))
            return removed
        raise ValueError(f"unknown operation {operation!r}")


if __name__ == "__main__":
    url, options, operation = sys.argv[1:4]
    arg = sys.argv[4] if len(sys.argv) > 4 else ""
    print(json.dumps(asyncio.run(main(url, options, operation, arg))), flush=True)
