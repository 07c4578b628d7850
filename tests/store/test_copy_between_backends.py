"""Export/import/copy on every real store, and copy between every pair of them."""

from __future__ import annotations

import itertools
import json

import pytest

from memmark.store import ImportReport, copy, dump_record, export_sessions, import_sessions
from tests.store.stores import STORE_KINDS, OpenStore
from tests.store.test_transfer import LONG_AGO, export_lines, fill

PAIRS = [
    pytest.param(a.values[0], b.values[0], id=f"{a.id}-to-{b.id}", marks=[*a.marks, *b.marks])
    for a, b in itertools.product(STORE_KINDS, STORE_KINDS)
    if a.id != "dict" or b.id != "dict"
]


@pytest.mark.parametrize(("src_kind", "dst_kind"), PAIRS)
async def test_copy_is_lossless_and_resumable(
    src_kind: str, dst_kind: str, open_store: OpenStore
) -> None:
    async with open_store(src_kind) as src, open_store(dst_kind) as dst:
        await fill(src)
        first = await copy(src, dst, users=["alice"])
        assert first == ImportReport(imported=2, skipped=0)
        assert await copy(src, dst) == ImportReport(imported=1, skipped=2)
        assert await export_lines(dst) == await export_lines(src)
        times = {i.session_id: i.updated_at for i in (await dst.list_sessions("alice")).items}
        assert times["s:2"] == LONG_AGO


@pytest.mark.parametrize("kind", STORE_KINDS)
async def test_export_import_export_is_byte_identical(kind: str, open_store: OpenStore) -> None:
    async with open_store(kind) as src, open_store(kind) as dst:
        await fill(src)
        lines = [dump_record(r) async for r in export_sessions(src)]
        report = await import_sessions(dst, [json.loads(line) for line in lines])
        assert report == ImportReport(imported=3, skipped=0)
        assert await export_lines(dst) == lines
