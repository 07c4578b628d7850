from __future__ import annotations

import memmark
import memmark.memory
import memmark.message


def test_root_all_is_sorted_and_complete() -> None:
    assert memmark.__all__ == sorted(memmark.__all__)
    for module in (memmark.memory, memmark.message):
        assert module.__all__ == sorted(module.__all__)
        assert set(module.__all__) <= set(memmark.__all__), module.__name__
    for name in memmark.__all__:
        assert getattr(memmark, name) is not None


def test_public_names_of_the_spec_are_exported() -> None:
    for name in (
        "Msg",
        "TextBlock",
        "ThinkingBlock",
        "ToolUseBlock",
        "ToolResultBlock",
        "ImageBlock",
        "AudioBlock",
        "VideoBlock",
        "Base64Source",
        "URLSource",
    ):
        assert name in memmark.message.__all__
    assert {"MemoryBase", "InMemoryMemory"} <= set(memmark.memory.__all__)
