from __future__ import annotations

import sys

import pytest

import memmark
from memmark._connect import storage_kind


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("memmark.db", "'memmark.db' has no scheme"),
        ("/tmp/x.db", "has no scheme"),
        ("sqlite:///x.db", "write sqlite\\+aiosqlite:// instead"),
        ("postgresql://u:secret@h/db", "write postgresql\\+asyncpg:// instead"),
        ("mysql://root@h/db", "write mysql\\+asyncmy:// instead"),
        ("ftp://h/x", "unknown scheme ftp://"),
    ],
)
def test_unaccepted_urls_name_the_accepted_schemes(url: str, message: str) -> None:
    with pytest.raises(ValueError, match=message) as info:
        memmark.connect(url)
    assert "Accepted: sqlite+aiosqlite://" in str(info.value)
    assert "secret" not in str(info.value)


def test_url_must_be_a_str() -> None:
    with pytest.raises(TypeError, match="url must be a str"):
        memmark.connect(None)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("url", "kind", "rewritten"),
    [
        ("sqlite+aiosqlite:///x.db", "sql", "sqlite+aiosqlite:///x.db"),
        ("postgresql+asyncpg://u@h/db", "sql", "postgresql+asyncpg://u@h/db"),
        ("mysql+asyncmy://root@h/db", "sql", "mysql+asyncmy://root@h/db"),
        ("redis://h:6379/0", "redis", "redis://h:6379/0"),
        ("rediss://h", "redis", "rediss://h"),
        ("redis+cluster://h:7000", "redis-cluster", "redis://h:7000"),
        ("rediss+cluster://h:7000", "redis-cluster", "rediss://h:7000"),
        ("tablestore://", "tablestore", "tablestore://"),
    ],
)
def test_storage_kind_classifies_urls(url: str, kind: str, rewritten: str) -> None:
    assert storage_kind(url) == (kind, rewritten)


@pytest.mark.parametrize(
    ("url", "module", "extra"),
    [
        ("postgresql+asyncpg://u@h/db", "asyncpg", "postgres"),
        ("mysql+asyncmy://u@h/db", "asyncmy", "mysql"),
        ("redis://localhost", "redis", "redis"),
        ("redis+cluster://localhost:7000", "redis", "redis"),
        ("tablestore://", "tablestore", "tablestore"),
    ],
)
def test_missing_driver_names_the_pip_install(
    monkeypatch: pytest.MonkeyPatch, url: str, module: str, extra: str
) -> None:
    for name in list(sys.modules):
        if name == module or name.startswith(module + "."):
            monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, module, None)
    with pytest.raises(ImportError, match=rf"pip install 'memmark\[{extra}\]'"):
        memmark.connect(url)
