"""The public import paths stay where users import them from, whatever the layout inside.

Each name here must stay importable from its face (``memmark.memory.X``, ``memmark.store.X``,
``memmark.message.X``, ``memmark.errors.X``, ``memmark.X``); new names may join. A class is
one object, whichever face it is imported from.
"""

from __future__ import annotations

import importlib

import pytest

PUBLIC = {
    "memmark.memory": [
        "AsyncSQLAlchemyMemory",
        "InMemoryMemory",
        "MemoryBase",
        "RedisMemory",
        "Snapshot",
        "StoredMessage",
        "TablestoreMemory",
    ],
    "memmark.store": [
        "ImportReport",
        "Page",
        "RedisStore",
        "SQLStore",
        "SessionInfo",
        "StoreBase",
        "TablestoreStore",
        "copy",
        "dump_record",
        "export_sessions",
        "import_sessions",
        "load_records",
    ],
    "memmark.message": [
        "AudioBlock",
        "Base64Source",
        "ContentBlock",
        "ImageBlock",
        "Msg",
        "Role",
        "TextBlock",
        "ThinkingBlock",
        "ToolResultBlock",
        "ToolUseBlock",
        "URLSource",
        "VideoBlock",
    ],
    "memmark.errors": [
        "BackendError",
        "ContentTooLargeError",
        "MemmarkError",
        "SchemaVersionError",
        "StorageUnavailableError",
    ],
    "memmark": [
        "AsyncSQLAlchemyMemory",
        "AudioBlock",
        "BackendError",
        "Base64Source",
        "ContentBlock",
        "ContentTooLargeError",
        "ImageBlock",
        "InMemoryMemory",
        "MemmarkError",
        "MemoryBase",
        "Msg",
        "RedisMemory",
        "RedisStore",
        "Role",
        "SQLStore",
        "SchemaVersionError",
        "Snapshot",
        "StorageUnavailableError",
        "StoredMessage",
        "TablestoreMemory",
        "TablestoreStore",
        "TextBlock",
        "ThinkingBlock",
        "ToolResultBlock",
        "ToolUseBlock",
        "URLSource",
        "VideoBlock",
        "connect",
    ],
}

PATHS = [(face, name) for face, names in PUBLIC.items() for name in names]


@pytest.mark.parametrize(("face", "name"), PATHS, ids=[f"{f}.{n}" for f, n in PATHS])
def test_public_name_is_importable_from_its_face(face: str, name: str) -> None:
    module = importlib.import_module(face)
    assert name in module.__all__
    assert getattr(module, name) is not None
    exec(f"from {face} import {name}", {})


@pytest.mark.parametrize(("face", "name"), PATHS, ids=[f"{f}.{n}" for f, n in PATHS])
def test_the_root_and_the_faces_export_one_object(face: str, name: str) -> None:
    import memmark

    if name in memmark.__all__:
        assert getattr(importlib.import_module(face), name) is getattr(memmark, name)
