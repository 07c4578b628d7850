"""What only the Redis backend has: key layout, injective ids, TTL, processes, errors."""

from __future__ import annotations

import asyncio
import json
import multiprocessing
import os
import signal
import subprocess
import sys
import tempfile
import textwrap
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from redis import exceptions
from redis.asyncio import ConnectionPool, Redis
from redis.asyncio.cluster import ClusterNode, RedisCluster

from memmark.backends.redis._index import INDEX_LIMIT, STATE_FIELD
from memmark.backends.redis._keys import SessionKeys, escape, sessions_key, users_key
from memmark.backends.redis._scripts import driver_errors
from memmark.errors import BackendError, StorageUnavailableError
from memmark.memory import RedisMemory
from memmark.message import Msg
from memmark.store import RedisStore
from tests.providers.redis import (
    REDIS_HOST,
    REDIS_PORT,
    cluster_client,
    delete_prefix,
    free_port,
    random_prefix,
    single_node_client,
    start_redis_server,
    wait_until,
)
from tests.waiting import eventually

pytestmark = pytest.mark.redis

SRC = str(Path(__file__).parents[2] / "src")

ADVERSARIAL_IDS = [
    "a",
    "a:",
    "a:b",
    "a:b:c",
    "ab",
    ":",
    "{",
    "}",
    "{a}",
    "a}{b",
    "*",
    "?",
    "[",
    "[a-z]",
    "a b",
    " ",
    "%",
    "%3A",
    "é",
    "🙂",
    "a\\b",
]


@pytest.fixture
async def client(redis_server: None) -> AsyncIterator[Redis]:
    client = Redis(host=REDIS_HOST, port=REDIS_PORT)
    yield client
    await client.aclose()


@pytest.fixture
async def prefix(client: Redis) -> AsyncIterator[str]:
    prefix = random_prefix()
    yield prefix
    await delete_prefix(client, prefix)


async def stored_keys(client: Redis, prefix: str) -> set[str]:
    return {key.decode() async for key in client.scan_iter(match=f"{prefix}:*", count=1000)}


def hash_tag(key: str) -> str:
    start = key.index("{")
    return key[start + 1 : key.index("}", start)]


@given(st.text(min_size=1), st.text(min_size=1))
def test_escape_is_injective_and_leaves_no_separator(a: str, b: str) -> None:
    assert (escape(a) == escape(b)) == (a == b)
    for escaped in (escape(a), escape(b)):
        assert not set(escaped) & {":", "{", "}"}


@given(
    st.lists(
        st.tuples(st.text(min_size=1), st.text(min_size=1)), min_size=2, max_size=4, unique=True
    )
)
def test_distinct_pairs_never_share_a_key_or_a_tag(pairs: list[tuple[str, str]]) -> None:
    owners: dict[str, tuple[str, str]] = {}
    tags = set()
    for user, session in pairs:
        keys = SessionKeys.of("p", user, session)
        names = [*keys.script_keys, keys.mark("m"), keys.mark(user), keys.mark(session)]
        assert {hash_tag(name) for name in names} == {f"{escape(user)}:{escape(session)}"}
        tags.add(hash_tag(keys.meta))
        for name in names:
            assert owners.setdefault(name, (user, session)) == (user, session)
    assert len(tags) == len(pairs)
    index_keys = {users_key("p")} | {sessions_key("p", user) for user, _ in pairs}
    assert not index_keys & owners.keys()


async def test_key_layout(client: Redis, prefix: str) -> None:
    memory = RedisMemory(user_id="u:1", session_id="s{1}", client=client, key_prefix=prefix)
    first = Msg("a", "x", "user")
    await memory.add([first, Msg("b", "y", "user")], marks=["hint", "a:b"])
    await memory.update_compressed_summary("sum")
    base = f"{prefix}:{{u%3A1:s%7B1%7D}}:"
    expected = {
        base + kind
        for kind in (
            "meta",
            "seq",
            "payloads",
            "mark-names",
            "mark:hint",
            "mark:a:b",
        )
    }
    expected |= {f"{prefix}:users", f"{prefix}:{{u:u%3A1}}:sessions"}
    assert await stored_keys(client, prefix) == expected
    assert await client.zrange(f"{prefix}:users", 0, -1) == [b"u:1"]
    assert await client.hget(base + "meta", "summary") == b"sum"
    assert await client.hget(base + "meta", "next_seq") == b"2"
    payload, stored_at, *marks = (await client.hget(base + "payloads", first.id)).split(b"\0")
    assert json.loads(payload)["id"] == first.id
    assert int(stored_at) > 0 and marks == [b"hint", b"a:b"]
    await memory.delete_by_mark("hint")
    assert await stored_keys(client, prefix) == {
        base + "meta",
        f"{prefix}:users",
        f"{prefix}:{{u:u%3A1}}:sessions",
    }


async def as_an_earlier_memmark_left_it(
    client: Redis, keys: SessionKeys, only: str | None = None
) -> None:
    """Rewrite a session (or one message) into the earlier layout: marks and stored-at times
    in hashes of their own."""
    for msg_id, value in (await client.hgetall(keys.payloads)).items():
        if msg_id == STATE_FIELD.encode() or (only is not None and msg_id != only.encode()):
            continue
        payload, _, stamped = value.partition(b"\0")
        stored_at, _, joined = stamped.partition(b"\0")
        await client.hset(keys.payloads, msg_id, payload)
        await client.hset(keys.legacy_stored_at, msg_id, stored_at)
        if joined:
            await client.hset(keys.legacy_marks, msg_id, joined)


async def test_a_session_in_the_earlier_layout_reads_and_is_folded_on_first_write(
    client: Redis, prefix: str
) -> None:
    memory = RedisMemory(user_id="u", session_id="s", client=client, key_prefix=prefix)
    both, plain, one = (Msg("a", text, "user") for text in ("both", "plain", "one"))
    await memory.add(both, marks=["x", "y"])
    await memory.add(plain)
    await memory.add(one, marks="x")
    keys = SessionKeys.of(prefix, "u", "s")
    values = await client.hgetall(keys.payloads)
    await as_an_earlier_memmark_left_it(client, keys)
    assert await client.exists(keys.legacy_marks, keys.legacy_stored_at) == 2

    assert await memory.get_memory() == [both, plain, one]  # the plain read folds nothing
    assert await memory.get_memory(mark="x") == [both, one]
    assert await client.exists(keys.legacy_marks, keys.legacy_stored_at) == 2
    copy = await memory.fork("copy")  # folds the session it copies
    assert await client.exists(keys.legacy_marks, keys.legacy_stored_at) == 0
    assert await client.hgetall(keys.payloads) == values
    assert (await copy.export_state())["content"] == (await memory.export_state())["content"]
    assert await memory.update_messages_mark("z", old_mark="y") == 1
    assert await memory.get_memory(mark="z") == [both]
    assert await memory.get_memory(mark="x") == [both, one]

    late = Msg("a", "added by an earlier memmark still running", "user")
    await memory.add(late, marks="x")
    folded = await client.hget(keys.payloads, both.id)
    await as_an_earlier_memmark_left_it(client, keys, only=late.id)
    assert await memory.size() == 4  # folds the late message only
    assert await client.hget(keys.payloads, both.id) == folded
    assert await memory.get_memory(mark="x") == [both, one, late]


async def test_a_message_stored_without_a_stored_at_time_is_dated_by_retention(
    client: Redis, prefix: str
) -> None:
    memory = RedisMemory(user_id="u", session_id="s", client=client, key_prefix=prefix)
    old, new = Msg("a", "stored by an earlier memmark", "user"), Msg("a", "new", "user")
    await memory.add([old, new], marks="tool")
    keys = SessionKeys.of(prefix, "u", "s")
    await as_an_earlier_memmark_left_it(client, keys)
    assert await client.hdel(keys.legacy_stored_at, old.id) == 1  # stored before times were

    async def stored_at(msg: Msg) -> int:
        return int((await client.hget(keys.payloads, msg.id)).split(b"\0")[1] or b"-1")

    version = await memory.version()  # folds the session: the old message has no time
    assert await stored_at(old) == -1
    assert await memory.delete_by_mark("tool", older_than=timedelta(days=1)) == 0
    assert await memory.version() == version
    assert await stored_at(old) >= await stored_at(new) > 0

    removed = 0  # one pass may find only the new one 1 ms old: the old was dated after it

    async def both_removed() -> bool:
        nonlocal removed
        removed += await memory.delete_by_mark("tool", older_than=timedelta(milliseconds=1))
        return removed == 2

    await eventually(both_removed, "both messages to be 1 ms old")
    assert await client.exists(keys.payloads) == 0


async def test_adversarial_ids_own_distinct_keys(client: Redis, prefix: str) -> None:
    """The key layout gives every adversarial pair keys of its own (behaviour: conformance)."""
    pairs = [(u, s) for u in ADVERSARIAL_IDS for s in ADVERSARIAL_IDS[:6]]
    for user, session in pairs:
        memory = RedisMemory(user_id=user, session_id=session, client=client, key_prefix=prefix)
        message = Msg("n", f"{user}|{session}", "user")
        message.id = "same-id"
        await memory.add(message, marks=["shared", f"{user}|{session}"])
        await memory.update_compressed_summary(f"summary {user}|{session}")
    owners: dict[str, tuple[str, str]] = {}
    legacy: set[str] = set()  # distinct too: the prelude folds and deletes them
    for pair in pairs:
        keys = SessionKeys.of(prefix, *pair)
        for name in [*keys.script_keys, keys.mark("shared"), keys.mark(f"{pair[0]}|{pair[1]}")]:
            assert name not in owners, (name, owners.get(name), pair)
            owners[name] = pair
        legacy |= {keys.legacy_marks, keys.legacy_stored_at}
    index = {f"{prefix}:users"} | {sessions_key(prefix, u) for u in ADVERSARIAL_IDS}
    assert await stored_keys(client, prefix) == set(owners) - legacy | index


async def pttls(client: Redis, keys: list[str]) -> list[int]:
    return [await client.pttl(key) for key in keys]


async def test_ttl_keys_expire_together_and_access_refreshes(client: Redis, prefix: str) -> None:
    memory = RedisMemory(user_id="u", session_id="s", client=client, key_prefix=prefix, key_ttl=100)
    other = RedisMemory(
        user_id="u", session_id="other", client=client, key_prefix=prefix, key_ttl=100
    )
    forever = RedisMemory(user_id="u", session_id="forever", client=client, key_prefix=prefix)
    await memory.add(Msg("a", "x", "user"), marks=["m1", "m2"])
    await memory.update_compressed_summary("sum")
    await other.add(Msg("a", "x", "user"), marks="m1")
    await forever.add(Msg("a", "x", "user"), marks="m1")
    keys = SessionKeys.of(prefix, "u", "s")
    session_keys = [*keys.data_keys, keys.mark("m1"), keys.mark("m2")]
    ttls = await pttls(client, session_keys)
    assert all(90_000 < ttl <= 100_000 for ttl in ttls), ttls
    assert max(ttls) - min(ttls) < 1_000
    for key in session_keys:
        await client.pexpire(key, 5_000)
    other_keys = [
        *SessionKeys.of(prefix, "u", "other").data_keys,
        SessionKeys.of(prefix, "u", "other").mark("m1"),
    ]
    for key in other_keys:
        await client.pexpire(key, 7_000)
    await memory.get_memory(mark="m2")
    assert all(90_000 < ttl <= 100_000 for ttl in await pttls(client, session_keys))
    assert all(0 < ttl <= 7_000 for ttl in await pttls(client, other_keys))
    forever_keys = SessionKeys.of(prefix, "u", "forever")
    assert set(await pttls(client, [*forever_keys.data_keys, forever_keys.mark("m1")])) == {-1}
    assert set(await pttls(client, [users_key(prefix), sessions_key(prefix, "u")])) == {-1}
    for key in session_keys:
        await client.pexpire(key, 5_000)
    await memory.size()
    assert all(90_000 < ttl <= 100_000 for ttl in await pttls(client, session_keys))


def _adder(prefix: str, process: int, count: int, cluster_ports: list[int] | None) -> None:
    async def run() -> None:
        if cluster_ports:
            client: Any = RedisCluster(
                startup_nodes=[ClusterNode("127.0.0.1", port) for port in cluster_ports]
            )
            await client.initialize()
        else:
            client = Redis(host=REDIS_HOST, port=REDIS_PORT)
        memory = RedisMemory(user_id="u", session_id="s", client=client, key_prefix=prefix)
        for i in range(count):
            await memory.add(Msg("p", f"p{process}-{i}", "user"), marks=f"p{process}")
        await client.aclose()

    asyncio.run(run())


@pytest.mark.slow
@pytest.mark.parametrize(
    "target", ["redis", pytest.param("redis_cluster", marks=pytest.mark.redis_cluster)]
)
async def test_processes_add_to_one_session(target: str, request: pytest.FixtureRequest) -> None:
    processes, adds = 8, 200
    ports = request.getfixturevalue("redis_cluster").ports if target == "redis_cluster" else None
    prefix = random_prefix()
    context = multiprocessing.get_context("spawn")
    workers = [
        context.Process(target=_adder, args=(prefix, p, adds, ports)) for p in range(processes)
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=120)
        assert worker.exitcode == 0
    opened = cluster_client(ports) if ports else single_node_client()
    async with opened as client:
        memory = RedisMemory(user_id="u", session_id="s", client=client, key_prefix=prefix)
        try:
            stored = [m.content for m in await memory.get_memory()]
            assert len(stored) == len(set(stored)) == processes * adds
            for p in range(processes):
                own = [c for c in stored if isinstance(c, str) and c.startswith(f"p{p}-")]
                assert own == [f"p{p}-{i}" for i in range(adds)]
                assert len(await memory.get_memory(mark=f"p{p}")) == adds
        finally:
            await delete_prefix(client, prefix)


KILLED_WRITER = textwrap.dedent(
    """
    import asyncio, sys
    from memmark.memory import RedisMemory
    from memmark.message import Msg

    async def main():
        memory = RedisMemory(user_id="u", session_id="s", port=int(sys.argv[2]),
                             key_prefix=sys.argv[1])
        for i in range(100_000):
            batch = [Msg("w", "x" * 2000 + str(i) + "-" + str(j), "user") for j in range(10)]
            await memory.add(batch, marks=["all", "batch" + str(i)])
            if i == 30:
                print("running", flush=True)

    asyncio.run(main())
    """
)


async def test_killed_client_leaves_no_partial_message(client: Redis, prefix: str) -> None:
    writer = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        KILLED_WRITER,
        prefix,
        str(REDIS_PORT),
        stdout=asyncio.subprocess.PIPE,
        env={**os.environ, "PYTHONPATH": os.pathsep.join([SRC, *sys.path])},
    )
    try:
        assert writer.stdout is not None
        assert await asyncio.wait_for(writer.stdout.readline(), 60) == b"running\n"
    finally:
        writer.send_signal(signal.SIGKILL)
        await writer.wait()
    keys = SessionKeys.of(prefix, "u", "s")
    ids = set(await client.zrange(keys.seq, 0, -1))
    assert len(ids) >= 310 and len(ids) % 10 == 0
    values = await client.hgetall(keys.payloads)
    assert values.pop(STATE_FIELD.encode()).count(b":") == 2  # version:seconds:microseconds
    assert set(values) == ids
    assert set(await client.zrange(keys.mark("all"), 0, -1)) == ids
    for msg_id, value in values.items():
        _payload, _stored_at, *marks = value.decode().split("\x00")
        assert "all" in marks
        batch_mark = next(m for m in marks if m != "all")
        assert await client.zscore(keys.mark(batch_mark), msg_id) is not None
    names = {n.decode() for n in await client.smembers(keys.mark_names)}
    assert len(names) == len(ids) // 10 + 1


async def test_noscript_reloads_after_script_flush() -> None:
    port = free_port()
    with tempfile.TemporaryDirectory() as directory:
        server = start_redis_server(directory, port)
        try:
            own = Redis(host="127.0.0.1", port=port)
            wait_until(
                lambda: (
                    subprocess.run(
                        ["redis-cli", "-p", str(port), "ping"], capture_output=True, text=True
                    ).stdout.strip()
                    == "PONG"
                ),
                "private redis-server",
            )
            memory = RedisMemory(user_id="u", session_id="s", client=own)
            await memory.add(Msg("a", "x", "user"))
            await own.script_flush()
            await memory.add(Msg("a", "y", "user"))
            assert [m.content for m in await memory.get_memory()] == ["x", "y"]
            await own.aclose()
        finally:
            server.terminate()
            server.wait()


async def test_unreachable_server_raises_storage_unavailable() -> None:
    memory = RedisMemory(port=free_port(), host="127.0.0.1")
    with pytest.raises(StorageUnavailableError) as info:
        await memory.size()
    assert info.value.__cause__ is not None
    await memory.close()


async def test_other_driver_errors_become_backend_error(client: Redis, prefix: str) -> None:
    memory = RedisMemory(user_id="u", session_id="s", client=client, key_prefix=prefix)
    await client.set(SessionKeys.of(prefix, "u", "s").payloads, "not a hash")
    with pytest.raises(BackendError) as info:
        await memory.add(Msg("a", "x", "user"))
    assert not isinstance(info.value, StorageUnavailableError)
    assert "WRONGTYPE" in str(info.value.__cause__)


async def test_constructor_sources_and_ownership(client: Redis, prefix: str) -> None:
    async with RedisMemory(url=f"redis://{REDIS_HOST}:{REDIS_PORT}/0", key_prefix=prefix) as m:
        await m.add(Msg("a", "x", "user"))
    pool = ConnectionPool(host=REDIS_HOST, port=REDIS_PORT, decode_responses=True)
    async with RedisMemory(connection_pool=pool, key_prefix=prefix) as pooled:
        await pooled.add(Msg("a", "é🙂\x00", "user"), marks=["ü", "a\x01"])
        await pooled.update_compressed_summary("résumé 🙂")
        assert [m.content for m in await pooled.get_memory()] == ["résumé 🙂", "x", "é🙂\x00"]
        state = await pooled.export_state()
        assert state["content"][1][1] == ["a\x01", "ü"]
    assert await Redis(connection_pool=pool).ping()
    await pool.disconnect()
    async with RedisMemory(client=client, key_prefix=prefix) as borrowed:
        assert await borrowed.size() == 2
        assert borrowed.get_client() is client
    assert await client.ping()
    with pytest.raises(ValueError):
        RedisMemory(client=client, url="redis://localhost")
    with pytest.raises(ValueError):
        RedisMemory(client=client, key_ttl=0)
    with pytest.raises(TypeError):
        RedisMemory(client=client, key_ttl="10")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        RedisMemory(client=client, key_prefix=b"x")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("raised", "expected"),
    [
        (exceptions.ConnectionError("refused"), StorageUnavailableError),
        (exceptions.TimeoutError("slow"), StorageUnavailableError),
        (exceptions.ClusterDownError("CLUSTERDOWN"), StorageUnavailableError),
        (exceptions.TryAgainError("TRYAGAIN"), StorageUnavailableError),
        (exceptions.ResponseError("WRONGTYPE"), BackendError),
        (exceptions.RedisClusterException("odd"), BackendError),
    ],
)
def test_driver_errors_map_at_one_boundary(raised: Exception, expected: type) -> None:
    with pytest.raises(expected) as info:
        with driver_errors():
            raise raised
    assert type(info.value) is expected
    assert info.value.__cause__ is raised


def test_cluster_unreachable_maps_to_storage_unavailable() -> None:
    try:
        raise exceptions.RedisClusterException("cannot be connected") from (
            exceptions.ConnectionError("refused")
        )
    except exceptions.RedisClusterException as cluster_error:
        raised = cluster_error
    with pytest.raises(StorageUnavailableError):
        with driver_errors():
            raise raised


def test_rediss_url_makes_a_tls_client() -> None:
    memory = RedisMemory(url="rediss://example.invalid:6380/2")
    pool = memory.get_client().connection_pool
    assert pool.connection_class.__name__ == "SSLConnection"
    assert (pool.connection_kwargs["host"], pool.connection_kwargs["db"]) == ("example.invalid", 2)


def test_missing_driver_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "redis.asyncio", None)
    with pytest.raises(ImportError, match=r"pip install 'memmark\[redis\]'"):
        RedisMemory()


async def test_index_entries_are_written_by_the_write_script(client: Redis, prefix: str) -> None:
    memory = RedisMemory(user_id="u", session_id="s", client=client, key_prefix=prefix)
    await memory.size()
    await memory.update_compressed_summary("")
    await memory.import_state({"_compressed_summary": "", "content": []})
    assert not await client.exists(users_key(prefix))
    await memory.add(Msg("a", "x", "user"))
    await client.delete(users_key(prefix), sessions_key(prefix, "u"))
    await memory.update_compressed_summary("s")
    assert await client.zrange(users_key(prefix), 0, -1) == [b"u"]
    assert await client.zrange(sessions_key(prefix, "u"), 0, -1) == [b"s"]


async def test_marked_read_touches_only_marked_messages(client: Redis, prefix: str) -> None:
    memory = RedisMemory(user_id="u", session_id="s", client=client, key_prefix=prefix)
    for start in range(0, 10_000, 1_000):
        batch = [Msg("a", f"m{i}", "user") for i in range(start, start + 1_000)]
        marked = [batch[i] for i in range(0, 1_000, 100)]
        await memory.add([m for m in batch if m not in marked])
        await memory.add(marked, marks="hot")
    assert await memory.size() == 10_000
    hot = await memory.get_memory(mark="hot", limit=5)
    assert len(hot) == 5
    assert len(await memory.get_memory(mark="hot")) == 100
    assert len(await memory.get_memory(exclude_mark="hot", limit=3)) == 3


@pytest.mark.parametrize("decode_responses", [False, True], ids=["bytes", "decoded"])
async def test_the_session_index_follows_its_own_adds_and_no_one_elses(
    client: Redis, prefix: str, decode_responses: bool
) -> None:
    """A memory's index of its session (see ``_index.py``) grows with its own adds, keeps only
    the newest ids past ``INDEX_LIMIT``, and is never trusted once the session changed, even
    into a state of the same version and ids after the store deleted it."""
    reading = Redis(host=REDIS_HOST, port=REDIS_PORT, decode_responses=decode_responses)
    try:
        await index_follows_only_its_own_adds(reading, client, prefix)
    finally:
        await reading.aclose()


async def index_follows_only_its_own_adds(reading: Redis, client: Redis, prefix: str) -> None:
    memory = RedisMemory(user_id="u", session_id="s", client=reading, key_prefix=prefix)
    writer = RedisMemory(user_id="u", session_id="s", client=client, key_prefix=prefix)
    store = RedisStore(client, key_prefix=prefix)
    first, second = Msg("a", "first", "user"), Msg("a", "second", "user")
    await writer.add([first, second], marks="old")
    assert await memory.get_memory(mark="old") == [first, second]
    assert await memory.get_memory(mark="old") == [first, second]  # takes the index
    assert memory._index_keeper.index is not None  # at version 1
    assert await store.delete_session("u", "s")
    await writer.add([first, second], marks="new")  # version 1 again, the same ids
    assert await memory.get_memory(mark="old") == []
    assert await memory.get_memory(mark="new") == [first, second]

    many = [Msg("a", f"m{i}", "user") for i in range(INDEX_LIMIT - 1)]
    await memory.add(many[:-1], marks="many")
    assert len(await memory.get_memory()) == INDEX_LIMIT
    assert memory._index_keeper.index is not None and memory._index_keeper.index.whole
    await memory.add(many[-1])  # past the limit: the index keeps the newest ids, no marks
    assert await memory.get_memory(limit=2) == many[-2:]
    assert await memory.get_memory(mark="many", limit=1) == [many[-2]]
    assert await memory.get_memory(exclude_mark="many", limit=2) == [second, many[-1]]
    await writer.delete([many[-1].id])
    assert await memory.get_memory(limit=1) == [many[-2]]


async def test_agentscope_positional_order_and_settable_key_ttl(client: Redis, prefix: str) -> None:
    pool = ConnectionPool(host=REDIS_HOST, port=REDIS_PORT)
    memory = RedisMemory("s", "u", "ignored-host", 1, 0, None, pool, prefix, None)
    assert (memory.user_id, memory.session_id, memory.key_ttl) == ("u", "s", None)
    await memory.add(Msg("a", "x", "user"))
    keys = SessionKeys.of(prefix, "u", "s").script_keys

    async def live_ttls() -> list[int]:
        ttls = [ttl for ttl in await pttls(client, keys) if ttl != -2]  # -2: no such key
        assert ttls
        return ttls

    assert set(await live_ttls()) == {-1}
    memory.key_ttl = 100
    await memory.get_memory()
    assert all(90_000 < ttl <= 100_000 for ttl in await live_ttls())
    with pytest.raises(ValueError):
        memory.key_ttl = -1
    assert memory.key_ttl == 100
    memory.key_ttl = None  # no more refreshing (as in AgentScope, expiries already set stay)
    for key in keys:
        await client.pexpire(key, 50_000)
    await memory.add(Msg("a", "y", "user"))
    assert all(0 < ttl <= 50_000 for ttl in await live_ttls())
    await memory.close(close_connection_pool=False)
    assert await Redis(connection_pool=pool).ping()
    connections = list(pool._available_connections)
    assert any(connection.is_connected for connection in connections)
    await memory.close(close_connection_pool=True)
    assert not any(connection.is_connected for connection in connections)
    borrowed = RedisMemory(client=client, key_prefix=prefix)
    with pytest.raises(ValueError, match="passed in"):
        await borrowed.close(close_connection_pool=True)
    with pytest.raises(ValueError, match="cannot apply"):
        RedisMemory(client=client, socket_timeout=1)
    assert await client.ping()
