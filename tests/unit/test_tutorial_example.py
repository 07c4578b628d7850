from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

EXAMPLE = Path(__file__).parents[2] / "examples" / "tutorial.py"
MSG_REPR = re.compile(
    r"^- Msg\(id='[2-9A-HJ-NP-Za-km-z]{22}', name='system', content='Create a plan first to "
    r"collect information and generate the report step by step\.', role='system', "
    r"metadata=\{\}, timestamp='\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}', invocation_id='None'\)$"
)


def _json_after(lines: list[str], heading: str) -> object:
    start = lines.index(heading) + 1
    end = start + 1
    while True:
        try:
            return json.loads("\n".join(lines[start:end]))
        except json.JSONDecodeError:
            end += 1


def test_tutorial_in_memory_flow_prints_the_tutorial_shapes() -> None:
    result = subprocess.run(
        [sys.executable, str(EXAMPLE)], capture_output=True, text=True, check=True, timeout=60
    )
    lines = result.stdout.splitlines()
    assert lines[0] == "The messages with mark 'hint':"
    assert MSG_REPR.match(lines[1]), lines[1]
    state = _json_after(lines, "The state dict of the memory:")
    assert list(state) == ["_compressed_summary", "content"]
    assert state["_compressed_summary"] == ""
    assert [(list(d), marks) for d, marks in state["content"]] == [
        (["id", "name", "role", "content", "metadata", "timestamp"], []),
        (["id", "name", "role", "content", "metadata", "timestamp"], ["hint"]),
    ]
    assert "Deleted 1 messages with mark 'hint'." in lines
    after = _json_after(lines, "The state dict of the memory after deletion:")
    assert after == {"_compressed_summary": "", "content": state["content"][:1]}
