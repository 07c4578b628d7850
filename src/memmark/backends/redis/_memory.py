"""``RedisMemory``: one session in Redis or Redis Cluster, every operation one Lua script.

Usage::

    memory = RedisMemory(user_id="u1", session_id="s1", url="redis://localhost:6379/0")
    await memory.add(Msg("Alice", "Hi", "user"), marks="greeting")
    await memory.close()

The key layout is described in :mod:`memmark.backends.redis._keys`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from memmark._core import ClientOwner, MemoryBase, Snapshot, StoredMessage
from memmark._optional import require
from memmark.backends.redis._keys import SessionKeys, sessions_key, users_key
from memmark.backends.redis._scripts import (
    EncodableArg,
    ScriptRunner,
    driver_errors,
    reconnect_once,
)

if TYPE_CHECKING:
    from redis.asyncio import ConnectionPool, Redis
    from redis.asyncio.cluster import RedisCluster

__all__ = ["RedisMemory"]

_MARK_SEPARATOR = "\x00"


def as_text(value: bytes | str) -> str:
    """Decode a reply, whether or not the client was created with ``decode_responses``."""
    return value.decode("utf-8") if isinstance(value, bytes) else value


def _split_marks(joined: str) -> tuple[str, ...]:
    return tuple(joined.split(_MARK_SEPARATOR)) if joined else ()


def key_ttl_ms(key_ttl: float | None) -> int:
    """Convert ``key_ttl`` (seconds, or ``None``) to whole milliseconds (``0``: none)."""
    if key_ttl is None:
        return 0
    if isinstance(key_ttl, bool) or not isinstance(key_ttl, (int, float)):
        raise TypeError(
            f"key_ttl must be a number of seconds or None, got {type(key_ttl).__name__}"
        )
    if not (math.isfinite(key_ttl) and key_ttl > 0):
        raise ValueError(f"key_ttl must be a positive number of seconds, got {key_ttl}")
    return max(1, round(key_ttl * 1000))


class RedisMemory(ClientOwner["Redis | RedisCluster"], MemoryBase):
    """Memory of one (user_id, session_id) in Redis, atomic per call, Cluster-ready.

    Each write is one Lua script (one round trip, atomic, deduplicated by message id on the
    server); each read is one script returning a consistent snapshot. With ``key_ttl`` the
    session's keys expire together ``key_ttl`` seconds after its last access. Writes also
    list the session in the indexes :class:`~memmark.store.RedisStore` pages through.
    """

    max_payload_bytes = 512 * 1024 * 1024
    """Redis's largest string (and default ``proto-max-bulk-len``)."""

    def __init__(
        self,
        *,
        user_id: str = "default_user",
        session_id: str = "default_session",
        connection_pool: ConnectionPool | None = None,
        host: str = "localhost",
        port: int = 6379,
        db: int = 0,
        password: str | None = None,
        url: str | None = None,
        client: Redis | RedisCluster | None = None,
        key_prefix: str = "memmark",
        key_ttl: float | None = None,
        **connection_kwargs: Any,
    ) -> None:
        """Talk to Redis through a client, a pool or a URL (at most one), or host and port.

        Args:
            user_id: The user the memory belongs to.
            session_id: The session of that user.
            connection_pool: A ``redis.asyncio.ConnectionPool`` the caller owns.
            host: Server host, when no pool, url or client is given.
            port: Server port, likewise.
            db: Database number, likewise.
            password: Password, likewise.
            url: A ``redis://`` or ``rediss://`` URL (``connection_kwargs`` apply too).
            client: An existing ``redis.asyncio.Redis`` or ``RedisCluster``, used as is
                (a cluster client is initialised before the memory's first command).
            key_prefix: Start of every key, so several applications can share a server.
            key_ttl: Seconds of inactivity after which the session's keys expire (sliding;
                every call refreshes it). ``None`` keeps them forever.
            **connection_kwargs: Further ``redis.asyncio.Redis`` options (``ssl``,
                ``socket_timeout``, ...) for the client memmark creates from host or url.
                Unless ``retry`` is among them, that client repeats a command once on a new
                connection when the server dropped the pooled one.

        Raises:
            ImportError: the ``redis`` extra is not installed.
            TypeError: ``key_prefix`` is not a str or ``key_ttl`` not a number.
            ValueError: more than one of ``connection_pool``, ``url``, ``client`` is given,
                or ``key_ttl`` is not positive.
        """
        super().__init__(user_id=user_id, session_id=session_id)
        redis_asyncio = require("redis.asyncio", extra="redis", feature="RedisMemory")
        if not isinstance(key_prefix, str):
            raise TypeError(f"key_prefix must be a str, got {type(key_prefix).__name__}")
        sources = [
            name
            for name, value in (
                ("connection_pool", connection_pool),
                ("url", url),
                ("client", client),
            )
            if value is not None
        ]
        if len(sources) > 1:
            raise ValueError(f"pass at most one of connection_pool, url, client; got {sources}")
        self._ttl_ms = key_ttl_ms(key_ttl)
        self._client: Redis | RedisCluster
        if client is not None:
            self._client = client
        elif connection_pool is not None:
            self._client = redis_asyncio.Redis(connection_pool=connection_pool)
        elif url is not None:
            connection_kwargs.setdefault("retry", reconnect_once())
            self._client = redis_asyncio.Redis.from_url(url, **connection_kwargs)
        else:
            connection_kwargs.setdefault("retry", reconnect_once())
            self._client = redis_asyncio.Redis(
                host=host, port=port, db=db, password=password, **connection_kwargs
            )
        self._adopt(self._client, owned=client is None and connection_pool is None)
        self._keys = SessionKeys.of(key_prefix, self.user_id, self.session_id)
        self._index_keys = (users_key(key_prefix), sessions_key(key_prefix, self.user_id))
        self._scripts = ScriptRunner(self._client)
        cluster = require("redis.asyncio.cluster", extra="redis", feature="RedisMemory")
        self._cluster = isinstance(self._client, cluster.RedisCluster)
        self._cluster_ready = False
        self._registered = False

    async def _release(self, client: Redis | RedisCluster) -> None:
        with driver_errors():
            await client.aclose()

    async def _run(self, name: str, *args: EncodableArg, register: bool = False) -> Any:
        """Run a script on this session; ``register`` for writes that may create data.

        On a single node the script itself adds the session to the store's indexes, so an
        index entry exists whenever data does. On a cluster the indexes live in other slots:
        this object adds them once, by an idempotent round trip before its first write.
        """
        keys = self._keys.script_keys
        if self._cluster and not self._cluster_ready:
            with driver_errors():
                await self._client.initialize()
            self._cluster_ready = True
        if register:
            if self._cluster:
                await self._register()
            else:
                keys = [*keys, *self._index_keys]
        header: list[EncodableArg] = [
            self._keys.mark_prefix,
            self._ttl_ms,
            self.user_id,
            self.session_id,
        ]
        return await self._scripts.run(name, keys, [*header, *args])

    async def _register(self) -> None:
        if self._registered:
            return
        users, sessions = self._index_keys
        with driver_errors():
            async with self._client.pipeline(transaction=False) as pipe:
                pipe.zadd(users, {self.user_id: 0})
                pipe.zadd(sessions, {self.session_id: 0})
                await pipe.execute()
        self._registered = True

    @staticmethod
    def _triples(records: Sequence[StoredMessage]) -> list[str]:
        flat: list[str] = []
        for stored in records:
            flat += (stored.msg_id, stored.payload, _MARK_SEPARATOR.join(stored.marks))
        return flat

    async def _insert(self, records: Sequence[StoredMessage]) -> None:
        await self._run("add", len(records), *self._triples(records), register=True)

    async def _select(
        self,
        *,
        mark: str | None,
        exclude_mark: str | None,
        limit: int | None,
        with_marks: bool,
    ) -> Snapshot:
        summary, ids, payloads, joined = await self._run(
            "select",
            mark or "",
            exclude_mark or "",
            -1 if limit is None else limit,
            "1" if with_marks else "0",
        )
        if not with_marks:
            joined = [b""] * len(ids)
        messages = [
            StoredMessage(as_text(msg_id), as_text(payload), _split_marks(as_text(marks)))
            for msg_id, payload, marks in zip(ids, payloads, joined, strict=True)
        ]
        return Snapshot(as_text(summary), messages)

    async def _count(self) -> int:
        return int(await self._run("count"))

    async def _remove_ids(self, msg_ids: tuple[str, ...]) -> int:
        return int(await self._run("delete", *msg_ids))

    async def _remove_marked(self, marks: tuple[str, ...]) -> int:
        return int(await self._run("delete_by_mark", *marks))

    async def _relabel(
        self,
        *,
        new_mark: str | None,
        old_mark: str | None,
        msg_ids: tuple[str, ...] | None,
    ) -> int:
        scope = ("0",) if msg_ids is None else ("1", *msg_ids)
        return int(await self._run("relabel", new_mark or "", old_mark or "", *scope))

    async def _set_summary(self, summary: str) -> None:
        await self._run("set_summary", summary, register=bool(summary))

    async def _wipe(self) -> None:
        await self._run("clear")

    async def _pop(self) -> StoredMessage | None:
        popped = await self._run("pop")
        if popped is None:
            return None
        msg_id, payload, joined = popped
        return StoredMessage(as_text(msg_id), as_text(payload), _split_marks(as_text(joined)))

    async def _replace(self, snapshot: Snapshot) -> None:
        await self._run(
            "replace",
            snapshot.summary,
            len(snapshot.messages),
            *self._triples(snapshot.messages),
            register=bool(snapshot.messages or snapshot.summary),
        )
