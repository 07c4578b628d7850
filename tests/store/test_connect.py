from __future__ import annotations

import sys
from pathlib import Path

import pytest

import memmark
from memmark._connect import sqlite_path, storage_kind


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


@pytest.mark.parametrize(
    ("url", "store_class", "options"),
    [
        ("sqlite+aiosqlite:///never-created.db", "SQLStore", {"table_prefix": "x_"}),
        ("postgresql+asyncpg://u@127.0.0.1:1/db", "SQLStore", {"pool_size": 2}),
        ("mysql+asyncmy://u@127.0.0.1:1/db", "SQLStore", {}),
        ("redis://127.0.0.1:1/0", "RedisStore", {"key_prefix": "p"}),
        ("redis+cluster://127.0.0.1:1", "RedisStore", {}),
    ],
)
async def test_connect_builds_the_store_without_connecting(
    url: str, store_class: str, options: dict[str, object]
) -> None:
    store = memmark.connect(url, **options)
    try:
        assert type(store).__name__ == store_class
    finally:
        await store.close()


async def test_redis_cluster_url_opens_a_cluster_client() -> None:
    from redis.asyncio.cluster import RedisCluster

    store = memmark.connect("redis+cluster://127.0.0.1:1")
    try:
        assert isinstance(store.get_client(), RedisCluster)  # type: ignore[attr-defined]
    finally:
        await store.close()


async def test_tablestore_url_reads_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("ENDPOINT", "INSTANCE_NAME", "ACCESS_KEY_ID", "ACCESS_KEY_SECRET"):
        monkeypatch.delenv(f"TABLESTORE_{name}", raising=False)
    with pytest.raises(ValueError, match="TABLESTORE_ENDPOINT"):
        memmark.connect("tablestore://")
    monkeypatch.setenv("TABLESTORE_ENDPOINT", "https://memmark-test.invalid")
    monkeypatch.setenv("TABLESTORE_INSTANCE_NAME", "memmark")
    monkeypatch.setenv("TABLESTORE_ACCESS_KEY_ID", "id")
    monkeypatch.setenv("TABLESTORE_ACCESS_KEY_SECRET", "secret")
    store = memmark.connect("tablestore://", table_name="memmark_test")
    try:
        assert type(store).__name__ == "TablestoreStore"
    finally:
        await store.close()


@pytest.mark.parametrize("url", ["redis://127.0.0.1:abc/15", "redis+cluster://h:99999"])
def test_a_bad_redis_port_gets_the_cannot_open_prefix(url: str) -> None:
    with pytest.raises(ValueError, match=r"^cannot open storage URL: its port is not a number"):
        memmark.connect(url)


def test_a_sqlite_file_in_a_missing_directory_is_named(tmp_path: Path) -> None:
    path = tmp_path / "missing" / "x.db"
    with pytest.raises(FileNotFoundError) as raised:
        memmark.connect(f"sqlite+aiosqlite:///{path}")
    assert raised.value.filename == str(path)
    assert not path.parent.exists()


@pytest.mark.parametrize(
    ("url", "path"),
    [
        ("sqlite+aiosqlite:///a/b.db", "a/b.db"),
        ("sqlite+aiosqlite://", None),
        ("sqlite+aiosqlite:///:memory:", None),
        ("sqlite+aiosqlite:///file:b.db?uri=true", None),
        ("postgresql+asyncpg://u@h/db", None),
        ("redis://h:abc/0", None),
    ],
)
def test_sqlite_path(url: str, path: str | None) -> None:
    assert sqlite_path(url) == (None if path is None else Path(path))
