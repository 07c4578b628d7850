"""TablestoreStore over the SDK's client and the emulator: shared client, paging, deletions."""

from __future__ import annotations

import pytest

from memmark.store import TablestoreStore
from tests.conformance.helpers import msg
from tests.fakes.tablestore_emulator import EmulatedOTSClient, TablestoreEmulator


def _client() -> EmulatedOTSClient:
    return EmulatedOTSClient(TablestoreEmulator(page_rows=2, empty_pages=True))


async def _filled_store(client: EmulatedOTSClient) -> TablestoreStore:
    store = TablestoreStore(client=client)
    for user in ("bob", "alice", "ü", "carol"):
        for session in ("s2", "s1"):
            await store.memory(user, session).add(msg(f"{user}/{session}"))
    await store.memory("carol", "s1").clear()
    await store.memory("carol", "s2").clear()
    await store.memory("dave", "only-summary").update_compressed_summary("hello")
    await store.memory("erin", "empty").clear()
    return store


async def test_listings_page_in_id_order_and_skip_empty_sessions() -> None:
    client = _client()
    store = await _filled_store(client)
    users: list[str] = []
    cursor = None
    while True:
        page = await store.list_users(limit=2, cursor=cursor)
        users += page.items
        if page.next_cursor is None:
            break
        cursor = page.next_cursor
    assert users == ["alice", "bob", "dave", "ü"]
    first = await store.list_sessions(limit=3)
    rest = await store.list_sessions(limit=100, cursor=first.next_cursor)
    pairs = [(i.user_id, i.session_id) for i in first.items + rest.items]
    assert pairs == [
        ("alice", "s1"),
        ("alice", "s2"),
        ("bob", "s1"),
        ("bob", "s2"),
        ("dave", "only-summary"),
        ("ü", "s1"),
        ("ü", "s2"),
    ]
    dave = (await store.list_sessions("dave")).items[0]
    assert (dave.message_count, dave.has_summary) == (0, True)
    assert dave.updated_at is not None
    assert [i.message_count for i in (await store.list_sessions("bob")).items] == [1, 1]


async def test_delete_session_and_user() -> None:
    client = _client()
    store = await _filled_store(client)
    assert await store.delete_session("bob", "s1") is True
    assert await store.delete_session("bob", "s1") is False
    assert await store.memory("bob", "s1").size() == 0
    assert await store.delete_user("alice") == 2
    assert (await store.list_users()).items == ["bob", "dave", "ü"]
    await store.memory("alice", "s1").add(msg("again"))
    assert [m.content for m in await store.memory("alice", "s1").get_memory()] == ["again"]


async def test_store_closes_only_its_own_client(monkeypatch: pytest.MonkeyPatch) -> None:
    client = _client()
    async with TablestoreStore(client=client) as store:
        await store.memory().add(msg("a"))
    assert client.closed_connections == 0
    for name in ("ENDPOINT", "INSTANCE_NAME", "ACCESS_KEY_ID", "ACCESS_KEY_SECRET"):
        monkeypatch.delenv(f"TABLESTORE_{name}", raising=False)
    with pytest.raises(ValueError, match="TABLESTORE_ENDPOINT"):
        TablestoreStore.from_env()
    monkeypatch.setenv("TABLESTORE_ENDPOINT", "https://example.cn-hangzhou.ots.aliyuncs.com")
    monkeypatch.setenv("TABLESTORE_INSTANCE_NAME", "example")
    monkeypatch.setenv("TABLESTORE_ACCESS_KEY_ID", "id")
    monkeypatch.setenv("TABLESTORE_ACCESS_KEY_SECRET", "secret")
    owned = TablestoreStore.from_env()
    assert type(owned.get_client()).__name__ == "AsyncOTSClient"
    await owned.close()
