"""``RedisMemory``: one session in Redis or Redis Cluster, every operation one round trip.

Usage::

    memory = RedisMemory(session_id="s1", user_id="u1", url="redis://localhost:6379/0")
    await memory.add(Msg("Alice", "Hi", "user"), marks="greeting")
    await memory.close()

The key layout is described in :mod:`memmark.backends.redis._keys`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, cast

from memmark._core import (
    ClientOwner,
    CopyOutcome,
    MemoryBase,
    Snapshot,
    StoredMessage,
    epoch_ms,
)
from memmark._optional import require
from memmark.backends.redis._index import INDEX_LIMIT, IndexKeeper, SessionIndex
from memmark.backends.redis._keys import SessionKeys, key_ttl_ms, sessions_key, users_key
from memmark.backends.redis._scripts import (
    EncodableArg,
    ScriptRunner,
    as_text,
    driver_errors,
    reconnect_once,
)
from memmark.errors import BackendError, ConflictError
from memmark.message import Msg

if TYPE_CHECKING:
    from redis.asyncio import ConnectionPool, Redis
    from redis.asyncio.cluster import RedisCluster

__all__ = ["RedisMemory"]

_MARK_SEPARATOR = "\x00"
_CONFLICT = "MEMMARK_CONFLICT "
"""Start of the error a script replies when the session is not at the expected version."""
_COPY_OUTCOMES = {
    1: CopyOutcome.COPIED,
    0: CopyOutcome.TARGET_HELD,
    -1: CopyOutcome.UPTO_MISSING,
}
"""The replies of the ``fork`` script."""
_READ_SCRIPTS = frozenset({"count", "select", "version"})
"""The scripts that change nothing: every other one drops the memory's session index."""


def _payload_of(value: bytes | str) -> str:
    """The payload of a ``payloads`` value (see ``_common.lua``): all before its first NUL."""
    if isinstance(value, bytes):
        return value.partition(b"\x00")[0].decode("utf-8")
    return value.partition("\x00")[0]


def _stored(msg_id: bytes | str, value: bytes | str) -> StoredMessage:
    """The message a ``payloads`` value holds: payload, NUL, stored-at time[, NUL, marks]."""
    payload, _, stamped = as_text(value).partition(_MARK_SEPARATOR)
    joined = stamped.partition(_MARK_SEPARATOR)[2]
    marks = tuple(joined.split(_MARK_SEPARATOR)) if joined else ()
    return StoredMessage(as_text(msg_id), payload, marks)


async def run_script(
    scripts: ScriptRunner,
    name: str,
    keys: list[str],
    args: list[EncodableArg],
    *,
    expected: int | None,
) -> Any:
    """Run a script whose header carries ``expected``; a version conflict is ConflictError.

    With ``expected`` the script first checks the session's version and, when it differs,
    changes nothing and replies an error raised here as :class:`ConflictError`.
    """
    try:
        return await scripts.run(name, keys, args)
    except BackendError as exc:
        reply = str(exc.__cause__ or "")
        if expected is None or not reply.startswith(_CONFLICT):
            raise
        raise ConflictError(expected, int(reply[len(_CONFLICT) :].split()[0])) from None


async def clear_session(
    client: Redis | RedisCluster,
    scripts: ScriptRunner,
    key_prefix: str,
    user_id: str,
    session_id: str,
    *,
    cluster: bool,
    ttl_ms: int = 0,
    expected: int | None = None,
    forget_version: bool = False,
) -> bool:
    """Empty one session; return whether it held a message or a summary.

    ``RedisMemory.clear()`` and ``RedisStore.delete_session`` both end here, and an emptied
    session is never listed either way. ``clear()`` keeps the session's version counter, so a
    version number is never reused, and its index entries, so ``delete_user`` still reaches
    it (as SQL keeps the session's row). The store's delete (``forget_version``) leaves
    nothing: it forgets the version and takes the session out of the indexes, and its user
    too with its last session. On a single node that happens in the script's atomic step; on
    a cluster the indexes live in other slots and are updated right after the script.
    """
    keys = SessionKeys.of(key_prefix, user_id, session_id)
    users, sessions = users_key(key_prefix), sessions_key(key_prefix, user_id)
    script_keys = keys.script_keys if cluster else [*keys.script_keys, users, sessions]
    header: list[EncodableArg] = [
        keys.mark_prefix,
        ttl_ms,
        user_id,
        session_id,
        -1 if expected is None else expected,
    ]
    held = await run_script(
        scripts, "clear", script_keys, [*header, "1" if forget_version else "0"], expected=expected
    )
    if cluster and forget_version:
        with driver_errors():
            await client.zrem(sessions, session_id)
            if not await client.zcard(sessions):
                await client.zrem(users, user_id)
    return bool(held)


class RedisMemory(ClientOwner["Redis | RedisCluster"], MemoryBase):
    """Memory of one (user_id, session_id) in Redis, atomic per call, Cluster-ready.

    Each write is one Lua script (one round trip, atomic, deduplicated by message id on the
    server); each read is one script returning a consistent snapshot, or, for a
    ``get_memory`` the memory's index of its session answers (see ``_index.py``), one
    ``HMGET`` whose state stamp proves the snapshot current. With ``key_ttl`` the
    session's keys expire together ``key_ttl`` seconds after its last access. Writes also
    list the session in the indexes :class:`~memmark.store.RedisStore` pages through.
    """

    max_payload_bytes = 512 * 1024 * 1024
    """Redis's largest string (and default ``proto-max-bulk-len``)."""

    def __init__(
        self,
        session_id: str | None = "default_session",
        user_id: str | None = "default_user",
        host: str = "localhost",
        port: int = 6379,
        db: int = 0,
        password: str | None = None,
        connection_pool: ConnectionPool | None = None,
        key_prefix: str = "memmark",
        key_ttl: float | None = None,
        *,
        url: str | None = None,
        client: Redis | RedisCluster | None = None,
        **kwargs: Any,
    ) -> None:
        """Talk to Redis through a client, a pool or a URL (at most one), or host and port.

        The positional order is AgentScope's (``session_id, user_id, host, port, db,
        password, connection_pool, key_prefix, key_ttl``); ``url`` and ``client`` are
        memmark's additions.

        Args:
            session_id: The session of that user; ``None`` means ``"default_session"``.
            user_id: The user the memory belongs to; ``None`` means ``"default_user"``.
            host: Server host, when no pool, url or client is given.
            port: Server port, likewise.
            db: Database number, likewise.
            password: Password, likewise.
            connection_pool: A ``redis.asyncio.ConnectionPool`` the caller owns.
            key_prefix: Start of every key, so several applications can share a server.
            key_ttl: Seconds of inactivity after which the session's keys expire (sliding;
                every call refreshes it). ``None`` keeps them forever. Also an attribute:
                setting it later applies from the next call on.
            url: A ``redis://`` or ``rediss://`` URL (``kwargs`` apply too).
            client: An existing ``redis.asyncio.Redis`` or ``RedisCluster``, used as is
                (a cluster client is initialised before the memory's first command).
            **kwargs: Further ``redis.asyncio.Redis`` options (``ssl``,
                ``socket_timeout``, ...) for the client memmark creates (from host, url or
                around ``connection_pool``, as AgentScope does). Unless ``retry`` is among
                them, a client created from host or url repeats a command once on a new
                connection when the server dropped the pooled one.

        Raises:
            ImportError: the ``redis`` extra is not installed.
            TypeError: ``key_prefix`` is not a str or ``key_ttl`` not a number.
            ValueError: more than one of ``connection_pool``, ``url``, ``client`` is given,
                ``kwargs`` are given with ``client`` (they configure only a client memmark
                creates), or ``key_ttl`` is not positive.
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
        if kwargs and client is not None:
            raise ValueError(f"client options {sorted(kwargs)} cannot apply to a client passed in")
        connection_kwargs = kwargs
        self._keys = SessionKeys.of(key_prefix, self.user_id, self.session_id)
        self._index_keys = (users_key(key_prefix), sessions_key(key_prefix, self.user_id))
        self._script_keys = self._keys.script_keys
        self._register_keys = [*self._script_keys, *self._index_keys]
        self._read_keys = [
            self._keys.meta,
            self._keys.seq,
            self._keys.payloads,
            self._keys.mark_names,
        ]
        self._index_keeper = IndexKeeper()
        self.key_ttl = key_ttl
        self._client_passed_in = client is not None
        self._client: Redis | RedisCluster
        if client is not None:
            self._client = client
        elif connection_pool is not None:
            self._client = redis_asyncio.Redis(connection_pool=connection_pool, **kwargs)
        elif url is not None:
            connection_kwargs.setdefault("retry", reconnect_once())
            self._client = redis_asyncio.Redis.from_url(url, **connection_kwargs)
        else:
            connection_kwargs.setdefault("retry", reconnect_once())
            self._client = redis_asyncio.Redis(
                host=host, port=port, db=db, password=password, **connection_kwargs
            )
        self._key_prefix = key_prefix
        self._adopt(self._client, owned=client is None and connection_pool is None)
        self._scripts = ScriptRunner(self._client)
        cluster = require("redis.asyncio.cluster", extra="redis", feature="RedisMemory")
        self._cluster = isinstance(self._client, cluster.RedisCluster)
        self._cluster_ready = False
        self._registered = False

    @property
    def key_ttl(self) -> float | None:
        """Seconds of inactivity after which the session's keys expire; ``None``: never."""
        return self._key_ttl

    @key_ttl.setter
    def key_ttl(self, value: float | None) -> None:
        self._ttl_ms = key_ttl_ms(value)
        self._key_ttl = value
        # The ARGV every script starts with (see _common.lua), expecting any version.
        self._header: list[EncodableArg] = [
            self._keys.mark_prefix,
            self._ttl_ms,
            self.user_id,
            self.session_id,
            -1,
        ]

    @property
    def _telemetry_backend(self) -> str:
        return "redis_cluster" if self._cluster else "redis"

    async def _release(self, client: Redis | RedisCluster) -> None:
        with driver_errors():
            await client.aclose()

    async def add(  # type: ignore[override]  # AgentScope's third parameter here: skip_duplicated
        self,
        memories: Msg | list[Msg] | None,
        marks: str | list[str] | None = None,
        skip_duplicated: bool = True,
        *,
        expected_version: int | None = None,
        **kwargs: Any,
    ) -> None:
        """Append messages as :meth:`MemoryBase.add` does, with AgentScope's Redis signature.

        Its third parameter is ``skip_duplicated``: ``True`` (the default) skips ids already
        stored, as memmark always does; ``False`` raises ``ValueError`` (memmark stores an id
        once).
        """
        await self._add_flagged(
            "skip_duplicated", skip_duplicated, False, memories, marks, expected_version, kwargs
        )

    async def close(self, close_connection_pool: bool | None = None) -> None:
        """Close the client if memmark created it; a client or pool passed in stays open.

        Args:
            close_connection_pool: AgentScope's switch, passed to redis-py's ``aclose``.
                ``None`` (the default) applies memmark's rule above. ``True`` also
                disconnects the pool, even one passed in, as AgentScope does. ``False``
                closes a client memmark created but leaves its pool's connections open.

        Raises:
            ValueError: ``close_connection_pool`` is given for a ``client=`` (memmark
                closes a client passed in never, and a cluster client has no such pool).
        """
        if close_connection_pool is None:
            await super().close()
            return
        if not isinstance(close_connection_pool, bool):
            raise TypeError(
                "close_connection_pool must be a bool or None, got "
                f"{type(close_connection_pool).__name__}"
            )
        if self._client_passed_in or self._cluster:
            raise ValueError(
                "close_connection_pool applies to a client memmark created or a "
                "connection_pool; a client passed in stays the caller's to close"
            )
        client = cast("Redis", self._client)  # memmark creates only single-node clients
        self._owns_resource = False
        with driver_errors():
            await client.aclose(close_connection_pool=close_connection_pool)

    async def _run(
        self,
        name: str,
        *args: EncodableArg,
        register: bool = False,
        expected: int | None = None,
        other_keys: Sequence[str] = (),
    ) -> Any:
        """Run a script on this session; ``register`` for writes that may create data.

        ``expected`` is the version the write requires (see :func:`run_script`);
        ``other_keys`` follow this session's keys and the indexes (single node only).

        On a single node the script itself adds the session to the store's indexes, so an
        index entry exists whenever data does. On a cluster the indexes live in other slots:
        this object adds them once, by an idempotent round trip before its first write.
        """
        if name not in _READ_SCRIPTS:
            self._index_keeper.forget()
        if self._cluster and not self._cluster_ready:
            await self._initialize_cluster()
        if register and self._cluster:
            await self._register()
        keys = self._register_keys if register and not self._cluster else self._script_keys
        if other_keys:
            keys = [*keys, *other_keys]
        header = self._header if expected is None else [*self._header[:-1], expected]
        return await run_script(self._scripts, name, keys, [*header, *args], expected=expected)

    async def _initialize_cluster(self) -> None:
        """Initialise a cluster client before this memory's first command."""
        if self._cluster and not self._cluster_ready:
            with driver_errors():
                await self._client.initialize()
            self._cluster_ready = True

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

    async def _insert(self, records: Sequence[StoredMessage], *, expected: int | None) -> None:
        taken = self._index_keeper.take_for_add()
        stored, before, after = await self._run(
            "add", len(records), *self._triples(records), register=True, expected=expected
        )
        self._index_keeper.added(taken, records, int(stored), before, after)

    async def _version(self) -> int:
        return int(await self._run("version"))

    async def _select(
        self,
        *,
        mark: str | None,
        exclude_mark: str | None,
        limit: int | None,
        with_marks: bool,
    ) -> Snapshot:
        # Only reads that need the ids come here (get_memory takes _select_payloads): the
        # marks come with them whether asked for or not, in the same values.
        summary, values, ids = await self._run(
            "select", mark or "", exclude_mark or "", -1 if limit is None else limit, "1"
        )
        messages = [_stored(msg_id, value) for msg_id, value in zip(ids, values, strict=True)]
        return Snapshot(as_text(summary), messages)

    async def _select_payloads(
        self, *, mark: str | None, exclude_mark: str | None, limit: int | None
    ) -> tuple[str, list[str]]:
        count = -1 if limit is None else limit
        if self._ttl_ms:  # the select script also refreshes the keys' expiry
            summary, values = await self._run("select", mark or "", exclude_mark or "", count, "0")
            return as_text(summary), [_payload_of(value) for value in values]
        keeper = self._index_keeper
        index = keeper.index
        if index is not None:
            read = await self._read_by_index(index, mark, exclude_mark, limit)
            if read is not None:
                return read
            index = keeper.index
        if self._cluster and not self._cluster_ready:
            await self._initialize_cluster()
        keys = [*self._read_keys, self._keys.seq if mark is None else self._keys.mark(mark)]
        if exclude_mark is not None:
            keys.append(self._keys.mark(exclude_mark))
        summary, values, stamp, ids, whole = await self._scripts.run(
            "read", keys, (count, INDEX_LIMIT, self._keys.mark_prefix, keeper.wanted_stamp() or "")
        )
        summary = as_text(summary)
        keeper.read_by_script(index, stamp, summary, ids, whole=whole == 1)
        return summary, [_payload_of(value) for value in values]

    async def _read_by_index(
        self,
        index: SessionIndex,
        mark: str | None,
        exclude_mark: str | None,
        limit: int | None,
    ) -> tuple[str, list[str]] | None:
        """The read ``index`` picks, by one HMGET.

        ``None`` if the index cannot tell, or if the session changed since it was taken.
        """
        # All taken from the index before the await: an add of this object on another task
        # may extend it meanwhile.
        stamp, summary, stamp_field = index.stamp, index.summary, index.stamp_field
        msg_ids = index.select(mark, exclude_mark, limit)
        if msg_ids is None:
            return None
        with driver_errors():
            values = await self._client.hmget(self._keys.payloads, [stamp_field, *msg_ids])
        if values[0] != stamp:
            self._index_keeper.found_stale(index)
            return None
        return summary, [_payload_of(value) for value in values[1:] if value is not None]

    async def _count(self) -> int:
        return int(await self._run("count"))

    async def _remove_ids(self, msg_ids: tuple[str, ...], *, expected: int | None) -> int:
        return int(await self._run("delete", *msg_ids, expected=expected))

    async def _remove_marked(
        self, marks: tuple[str, ...], *, older_than_ms: int | None, expected: int | None
    ) -> int:
        age = -1 if older_than_ms is None else older_than_ms
        return int(await self._run("delete_by_mark", age, *marks, expected=expected))

    async def _relabel(
        self,
        *,
        new_mark: str | None,
        old_mark: str | None,
        msg_ids: tuple[str, ...] | None,
        expected: int | None,
    ) -> int:
        scope = ("0",) if msg_ids is None else ("1", *msg_ids)
        return int(
            await self._run("relabel", new_mark or "", old_mark or "", *scope, expected=expected)
        )

    async def _set_summary(self, summary: str, *, expected: int | None) -> None:
        await self._run("set_summary", summary, register=bool(summary), expected=expected)

    async def _wipe(self, *, expected: int | None) -> None:
        self._index_keeper.forget()
        await self._initialize_cluster()
        await clear_session(
            self._client,
            self._scripts,
            self._key_prefix,
            self.user_id,
            self.session_id,
            cluster=self._cluster,
            ttl_ms=self._ttl_ms,
            expected=expected,
        )
        self._registered = False

    async def _pop(self, *, expected: int | None) -> StoredMessage | None:
        popped = await self._run("pop", expected=expected)
        if popped is None:
            return None
        msg_id, value = popped
        return _stored(msg_id, value)

    async def _replace(self, snapshot: Snapshot, *, expected: int | None) -> None:
        await self._run(
            "replace",
            snapshot.summary,
            len(snapshot.messages),
            *self._triples(snapshot.messages),
            "" if snapshot.updated_at is None else epoch_ms(snapshot.updated_at),
            register=bool(snapshot.messages or snapshot.summary),
            expected=expected,
        )

    async def _rewind(self, msg_id: str, *, expected: int | None) -> int:
        return int(await self._run("rewind", msg_id, expected=expected))

    async def _compress(
        self, summary: str, msg_ids: tuple[str, ...], mark: str | None, *, expected: int | None
    ) -> int:
        return int(
            await self._run(
                "compress",
                summary,
                mark or "",
                *msg_ids,
                register=bool(summary),
                expected=expected,
            )
        )

    async def _fill(self, snapshot: Snapshot) -> bool:
        filled = await self._run(
            "fill",
            snapshot.summary,
            len(snapshot.messages),
            *self._triples(snapshot.messages),
            register=bool(snapshot.messages or snapshot.summary),
        )
        return bool(int(filled))

    async def _copy_to(self, target: MemoryBase, upto: str | None) -> CopyOutcome:
        # On a single node one script reads this session and writes the target; on a
        # cluster the two sessions live in different slots, so it is a read, then a write.
        if self._cluster or not isinstance(target, RedisMemory):
            return await super()._copy_to(target, upto)
        copied = await target._run(
            "fork",
            self._keys.mark_prefix,
            upto or "",
            register=True,
            other_keys=self._keys.script_keys,
        )
        return _COPY_OUTCOMES[int(copied)]

    def _sibling(self, session_id: str) -> RedisMemory:
        return RedisMemory(
            user_id=self.user_id,
            session_id=session_id,
            client=self._client,
            key_prefix=self._key_prefix,
            key_ttl=self._ttl_ms / 1000 if self._ttl_ms else None,
        )
