"""``RedisStore``: many users' Redis sessions on one client, with paged listings.

Usage::

    async with RedisStore("redis://localhost:6379/0") as store:
        memory = store.memory("alice", "chat-1")
        page = await store.list_sessions("alice", limit=50)

Sessions are listed from two index sorted sets (see the key layout in
:mod:`memmark.backends.redis._keys`): ``P:users`` and, per user, ``P:{u:U}:sessions``,
every score 0 so ``ZRANGEBYLEX`` pages them in code point order. A memory adds its session
to both (idempotent ``ZADD``): on a single node inside each write script that can create
data, on a cluster (other slots) once per memory object before its first such write. So
every stored session is listed.
An entry can outlive its data (``clear()``, an expired ``key_ttl``): listings skip sessions
that hold neither a message nor a summary (and users with no such session), while
``delete_session`` and ``delete_user`` remove the entries too.
"""

from __future__ import annotations

import asyncio
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from memmark._core import ClientOwner, SessionInfo, StoreBase
from memmark._optional import require
from memmark.backends.redis._keys import SessionKeys, sessions_key, users_key
from memmark.backends.redis._memory import RedisMemory, as_text, key_ttl_ms
from memmark.backends.redis._scripts import ScriptRunner, driver_errors, reconnect_once

if TYPE_CHECKING:
    from redis.asyncio import Redis
    from redis.asyncio.cluster import RedisCluster

__all__ = ["RedisStore"]


def _lex_after(value: str | None) -> str:
    return "-" if value is None else "(" + value


class RedisStore(ClientOwner["Redis | RedisCluster"], StoreBase):
    """Redis sessions of every user behind one client (``Redis`` or ``RedisCluster``)."""

    def __init__(
        self,
        url_or_client: str | Redis | RedisCluster,
        *,
        key_prefix: str = "memmark",
        key_ttl: float | None = None,
        cluster: bool = False,
        **connection_kwargs: Any,
    ) -> None:
        """Open a store on a URL (memmark owns that client) or on the caller's client.

        Args:
            url_or_client: A ``redis://`` / ``rediss://`` URL, or a ``redis.asyncio.Redis``
                or ``RedisCluster`` that stays the caller's.
            key_prefix: Start of every key, as in :class:`RedisMemory`.
            key_ttl: Sliding expiry of each session's keys, in seconds, as in
                :class:`RedisMemory`; ``None`` keeps them.
            cluster: Connect to the URL as a Redis Cluster.
            **connection_kwargs: Options for the client created from the URL.
        """
        redis_asyncio = require("redis.asyncio", extra="redis", feature="RedisStore")
        if not isinstance(key_prefix, str):
            raise TypeError(f"key_prefix must be a str, got {type(key_prefix).__name__}")
        key_ttl_ms(key_ttl)
        self._client: Redis | RedisCluster
        if isinstance(url_or_client, str):
            if cluster:  # a cluster client keeps its own retries across nodes
                self._client = redis_asyncio.RedisCluster.from_url(
                    url_or_client, **connection_kwargs
                )
            else:
                connection_kwargs.setdefault("retry", reconnect_once())
                self._client = redis_asyncio.Redis.from_url(url_or_client, **connection_kwargs)
        else:
            self._client = url_or_client
        self._adopt(self._client, owned=isinstance(url_or_client, str))
        self._prefix = key_prefix
        self._ttl = key_ttl
        self._scripts = ScriptRunner(self._client)

    def _open_memory(self, user_id: str, session_id: str) -> RedisMemory:
        return RedisMemory(
            user_id=user_id,
            session_id=session_id,
            client=self._client,
            key_prefix=self._prefix,
            key_ttl=self._ttl,
        )

    async def _user_page(self, *, after: str | None, limit: int) -> list[str]:
        users: list[str] = []
        while len(users) < limit:
            with driver_errors():
                batch = [
                    as_text(user)
                    for user in await self._client.zrangebylex(
                        users_key(self._prefix), _lex_after(after), "+", start=0, num=limit
                    )
                ]
            holding = await asyncio.gather(*(self._sessions_of(u, None, 1) for u in batch))
            listed = [user for user, sessions in zip(batch, holding, strict=True) if sessions]
            users += listed[: limit - len(users)]
            if len(batch) < limit:
                break
            after = batch[-1]
        return users

    async def _session_page(
        self, *, user_id: str | None, after: tuple[str, str] | None, limit: int
    ) -> list[SessionInfo]:
        if user_id is not None:
            if after is not None and after[0] > user_id:
                return []
            after_session = after[1] if after is not None and after[0] == user_id else None
            return await self._sessions_of(user_id, after_session, limit)
        sessions: list[SessionInfo] = []
        user, after_session = (None, None) if after is None else after
        if user is not None:
            sessions = await self._sessions_of(user, after_session, limit)
        while len(sessions) < limit:
            wanted = limit - len(sessions)
            users = await self._user_page(after=user, limit=wanted)
            for user in users:
                sessions += await self._sessions_of(user, None, limit - len(sessions))
                if len(sessions) == limit:
                    break
            if len(users) < wanted:
                break
        return sessions

    async def _sessions_of(self, user_id: str, after: str | None, limit: int) -> list[SessionInfo]:
        """Up to ``limit`` non-empty sessions of ``user_id`` after ``after``."""
        found: list[SessionInfo] = []
        while len(found) < limit:
            with driver_errors():
                batch = [
                    as_text(session)
                    for session in await self._client.zrangebylex(
                        sessions_key(self._prefix, user_id),
                        _lex_after(after),
                        "+",
                        start=0,
                        num=limit,
                    )
                ]
                async with self._client.pipeline(transaction=False) as pipe:
                    for session in batch:
                        keys = SessionKeys.of(self._prefix, user_id, session)
                        pipe.zcard(keys.seq)
                        pipe.hget(keys.meta, "updated_at")
                        pipe.hexists(keys.meta, "summary")
                    replies = await pipe.execute()
            for i, session in enumerate(batch):
                count, updated_at, has_summary = replies[3 * i : 3 * i + 3]
                if (count or has_summary) and len(found) < limit:
                    found.append(
                        SessionInfo(
                            user_id=user_id,
                            session_id=session,
                            message_count=int(count),
                            updated_at=None
                            if updated_at is None
                            else datetime.fromtimestamp(int(updated_at) / 1000, tz=timezone.utc),
                            has_summary=bool(has_summary),
                        )
                    )
            if len(batch) < limit:
                break
            after = batch[-1]
        return found

    async def _drop_user(self, user_id: str) -> int:
        """Delete every session of ``user_id`` and every index entry naming the user.

        Unlike the listings, this also visits index entries of sessions that hold nothing
        (emptied or expired), so no trace of the user id is left behind.
        """
        deleted = 0
        sessions = sessions_key(self._prefix, user_id)
        while True:
            with driver_errors():
                batch = await self._client.zrangebylex(sessions, "-", "+", start=0, num=500)
            if not batch:
                break
            for session in batch:
                deleted += await self._drop_session(user_id, as_text(session))
        with driver_errors():
            await self._client.zrem(users_key(self._prefix), user_id)
        return deleted

    async def _drop_session(self, user_id: str, session_id: str) -> bool:
        keys = SessionKeys.of(self._prefix, user_id, session_id)
        held = await self._scripts.run(
            "clear", keys.script_keys, [keys.mark_prefix, 0, user_id, session_id]
        )
        sessions = sessions_key(self._prefix, user_id)
        with driver_errors():
            await self._client.zrem(sessions, session_id)
            if not await self._client.zcard(sessions):
                await self._client.zrem(users_key(self._prefix), user_id)
        return bool(held)

    async def _release(self, client: Redis | RedisCluster) -> None:
        with driver_errors():
            await client.aclose()
