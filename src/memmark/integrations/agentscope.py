"""memmark memories for AgentScope 1.x agents: change the import, keep the code.

``from agentscope.memory import AsyncSQLAlchemyMemory`` becomes
``from memmark.integrations.agentscope import AsyncSQLAlchemyMemory``; the classes here have
AgentScope 1.0.21's names and signatures, are real subclasses of
``agentscope.memory.MemoryBase`` (so ``ReActAgent(memory=...)``, ``isinstance`` checks and
AgentScope's state handling accept them), take and return AgentScope's ``Msg``, and store
through memmark's backends: isolated per user and session, atomic, persistent, summary included.

:class:`AgentScopeMemory` wraps any memmark memory (a third-party backend too) the same way.
:func:`from_agentscope` / :func:`to_agentscope` convert one message losslessly (id, content
blocks, metadata, timestamp, ``invocation_id``).

Usage::

    from memmark.integrations.agentscope import AsyncSQLAlchemyMemory

    agent = ReActAgent(..., memory=AsyncSQLAlchemyMemory(engine, "session_1", "user_1"))

Needs the ``agentscope`` extra (``pip install 'memmark[agentscope]'``).
"""

from __future__ import annotations

from collections.abc import Sequence
from types import TracebackType
from typing import TYPE_CHECKING, Any

from typing_extensions import Self

import memmark.memory as memmark_memory
from memmark._optional import require
from memmark.memory import MemoryBase
from memmark.message import Msg

if TYPE_CHECKING:
    from agentscope.memory import MemoryBase as AgentScopeMemoryBase
    from agentscope.message import Msg as AgentScopeMsg
    from redis.asyncio import ConnectionPool, Redis
    from redis.asyncio.cluster import RedisCluster
    from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession
else:
    _FEATURE = "memmark.integrations.agentscope"
    AgentScopeMemoryBase = require(
        "agentscope.memory", extra="agentscope", feature=_FEATURE
    ).MemoryBase
    AgentScopeMsg = require("agentscope.message", extra="agentscope", feature=_FEATURE).Msg

__all__ = [
    "AgentScopeMemory",
    "AsyncSQLAlchemyMemory",
    "InMemoryMemory",
    "RedisMemory",
    "TablestoreMemory",
    "from_agentscope",
    "to_agentscope",
]


def from_agentscope(msg: AgentScopeMsg | Msg) -> Msg:
    """Return memmark's copy of an AgentScope ``Msg``, every field kept (a memmark one as is).

    Raises:
        TypeError: ``msg`` is neither kind of ``Msg``, or a field has a type ``Msg`` rejects.
        ValueError: its role is not one of the three roles.
    """
    if isinstance(msg, Msg):
        return msg
    if not isinstance(msg, AgentScopeMsg):
        raise TypeError(f"expected an AgentScope Msg, got {type(msg).__name__}")
    converted = Msg(
        msg.name,
        list(msg.content) if not isinstance(msg.content, str) else msg.content,
        msg.role,
        metadata=msg.metadata,
        timestamp=msg.timestamp,
        invocation_id=msg.invocation_id,
    )
    converted.id = msg.id
    return converted


def to_agentscope(msg: Msg) -> AgentScopeMsg:
    """Return AgentScope's copy of a memmark ``Msg``, every field kept."""
    converted = AgentScopeMsg(
        msg.name,
        msg.content,  # type: ignore[arg-type]  # the same TypedDicts, declared by each library
        msg.role,
        metadata=msg.metadata,
        timestamp=msg.timestamp,
        invocation_id=msg.invocation_id,
    )
    converted.id = msg.id
    return converted


def _from_agentscope_all(
    memories: AgentScopeMsg | Msg | Sequence[AgentScopeMsg | Msg] | None,
) -> Msg | list[Msg] | None:
    """Convert what ``add`` takes; anything else goes on unchanged, for memmark to reject."""
    if memories is None or isinstance(memories, Msg):
        return memories
    if isinstance(memories, AgentScopeMsg):
        return from_agentscope(memories)
    if isinstance(memories, (list, tuple)):
        return [from_agentscope(m) if isinstance(m, (AgentScopeMsg, Msg)) else m for m in memories]
    return memories  # type: ignore[return-value]


class AgentScopeMemory(AgentScopeMemoryBase):
    """Any memmark memory as an AgentScope ``MemoryBase``, speaking AgentScope's ``Msg``.

    Every call goes to the wrapped memory, which validates it and stores the messages; only
    the messages are converted on the way in and out. Closing this closes the wrapped memory.
    """

    def __init__(self, memory: MemoryBase) -> None:
        """Wrap ``memory``.

        Raises:
            TypeError: ``memory`` is not a memmark ``MemoryBase``.
        """
        super().__init__()
        if not isinstance(memory, MemoryBase):
            raise TypeError(f"memory must be a memmark MemoryBase, got {type(memory).__name__}")
        self._memory = memory

    @property
    def memory(self) -> MemoryBase:
        """The memmark memory that stores the messages."""
        return self._memory

    @property
    def user_id(self) -> str:
        """The user the session belongs to."""
        return self._memory.user_id

    @property
    def session_id(self) -> str:
        """The session of that user."""
        return self._memory.session_id

    async def add(
        self,
        memories: AgentScopeMsg | list[AgentScopeMsg] | None,
        marks: str | list[str] | None = None,
        **kwargs: Any,
    ) -> None:
        """Store the message(s) with ``marks``, as the wrapped memory's ``add``."""
        await self._memory.add(_from_agentscope_all(memories), marks, **kwargs)

    async def get_memory(
        self,
        mark: str | None = None,
        exclude_mark: str | None = None,
        prepend_summary: bool = True,
        **kwargs: Any,
    ) -> list[AgentScopeMsg]:
        """Return the messages (the summary first, if any) as AgentScope ``Msg``."""
        found = await self._memory.get_memory(mark, exclude_mark, prepend_summary, **kwargs)
        return [to_agentscope(msg) for msg in found]

    async def delete(self, msg_ids: list[str], **kwargs: Any) -> int:
        """Delete messages by id; return how many existed."""
        return await self._memory.delete(msg_ids, **kwargs)

    async def delete_by_mark(self, mark: str | list[str], **kwargs: Any) -> int:
        """Delete every message carrying any of the marks; return how many."""
        return await self._memory.delete_by_mark(mark, **kwargs)

    async def update_messages_mark(
        self,
        new_mark: str | None,
        old_mark: str | None = None,
        msg_ids: list[str] | None = None,
    ) -> int:
        """Add, replace or remove a mark, as the wrapped memory does; return messages changed."""
        return await self._memory.update_messages_mark(new_mark, old_mark, msg_ids)

    async def update_compressed_summary(self, summary: str) -> None:
        """Store the compressed summary in the wrapped memory (``""`` clears it)."""
        await self._memory.update_compressed_summary(summary)

    async def size(self) -> int:
        """Return the number of stored messages."""
        return await self._memory.size()

    async def clear(self) -> None:
        """Delete every message, mark and the summary of this session."""
        await self._memory.clear()

    def state_dict(self) -> dict[str, Any]:
        """The wrapped memory's state: its content in memory, its session when persistent."""
        return self._memory.state_dict()

    def load_state_dict(self, state_dict: dict[str, Any], strict: bool = True) -> None:
        """Load a :meth:`state_dict` into the wrapped memory."""
        self._memory.load_state_dict(state_dict, strict)

    async def export_state(self) -> dict[str, Any]:
        """Return the whole session in the tutorial's state format (any backend)."""
        return await self._memory.export_state()

    async def import_state(self, state: dict[str, Any]) -> None:
        """Replace the whole session with a state from :meth:`export_state`."""
        await self._memory.import_state(state)

    async def close(self) -> None:
        """Close the wrapped memory."""
        await self._memory.close()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc_value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.close()


class InMemoryMemory(AgentScopeMemory):
    """AgentScope's ``InMemoryMemory``, stored by memmark's; its state is the tutorial's."""

    def __init__(
        self, *, user_id: str | None = "default_user", session_id: str | None = "default_session"
    ) -> None:
        """Create an empty memory (the ids only label it)."""
        super().__init__(memmark_memory.InMemoryMemory(user_id=user_id, session_id=session_id))

    async def add(
        self,
        memories: AgentScopeMsg | list[AgentScopeMsg] | None,
        marks: str | list[str] | None = None,
        allow_duplicates: bool = False,
        **kwargs: Any,
    ) -> None:
        """Store the message(s); ``allow_duplicates=True`` raises (ids are stored once)."""
        await super().add(memories, marks, allow_duplicates=allow_duplicates, **kwargs)


class AsyncSQLAlchemyMemory(AgentScopeMemory):
    """AgentScope's ``AsyncSQLAlchemyMemory``, stored by memmark's (SQLite, PostgreSQL, MySQL).

    Unlike AgentScope's, closing it never closes an ``AsyncSession`` passed in: the caller
    (a FastAPI dependency, say) owns and commits it.
    """

    def __init__(
        self,
        engine_or_session: AsyncEngine | AsyncSession,
        session_id: str | None = None,
        user_id: str | None = None,
        *,
        table_prefix: str = "memmark_",
    ) -> None:
        """Bind to one user's session; arguments as memmark's ``AsyncSQLAlchemyMemory``."""
        super().__init__(
            memmark_memory.AsyncSQLAlchemyMemory(
                engine_or_session, session_id, user_id, table_prefix=table_prefix
            )
        )

    async def add(
        self,
        memories: AgentScopeMsg | list[AgentScopeMsg] | None,
        marks: str | list[str] | None = None,
        skip_duplicated: bool = True,
        **kwargs: Any,
    ) -> None:
        """Store the message(s); ``skip_duplicated=False`` raises (ids are stored once)."""
        await super().add(memories, marks, skip_duplicated=skip_duplicated, **kwargs)


class RedisMemory(AgentScopeMemory):
    """AgentScope's ``RedisMemory``, stored by memmark's (Redis or Redis Cluster)."""

    _memory: memmark_memory.RedisMemory

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
        """Connect as memmark's ``RedisMemory`` does (same arguments)."""
        super().__init__(
            memmark_memory.RedisMemory(
                session_id,
                user_id,
                host,
                port,
                db,
                password,
                connection_pool,
                key_prefix,
                key_ttl,
                url=url,
                client=client,
                **kwargs,
            )
        )

    @property
    def key_ttl(self) -> float | None:
        """Sliding expiry of the session's keys in seconds; settable, applies from then on."""
        return self._memory.key_ttl

    @key_ttl.setter
    def key_ttl(self, value: float | None) -> None:
        self._memory.key_ttl = value

    def get_client(self) -> Redis | RedisCluster:
        """Return the redis-py client."""
        return self._memory.get_client()

    async def add(
        self,
        memories: AgentScopeMsg | list[AgentScopeMsg] | None,
        marks: str | list[str] | None = None,
        skip_duplicated: bool = True,
        **kwargs: Any,
    ) -> None:
        """Store the message(s); ``skip_duplicated=False`` raises (ids are stored once)."""
        await super().add(memories, marks, skip_duplicated=skip_duplicated, **kwargs)

    async def close(self, close_connection_pool: bool | None = None) -> None:
        """Close as memmark's ``RedisMemory.close`` does."""
        await self._memory.close(close_connection_pool)


class TablestoreMemory(AgentScopeMemory):
    """AgentScope's ``TablestoreMemory``, stored by memmark's (primary-key tables only)."""

    _memory: memmark_memory.TablestoreMemory

    def __init__(
        self,
        end_point: str | None = None,
        instance_name: str | None = None,
        access_key_id: str | None = None,
        access_key_secret: str | None = None,
        user_id: str | None = "default_user",
        session_id: str | None = "default_session",
        sts_token: str | None = None,
        table_name: str = "memmark",
        text_field: str = "text",
        embedding_field: str = "embedding",
        vector_dimension: int = 0,
        *,
        client: Any = None,
        **kwargs: Any,
    ) -> None:
        """Connect as memmark's ``TablestoreMemory`` does (same arguments)."""
        super().__init__(
            memmark_memory.TablestoreMemory(
                end_point,
                instance_name,
                access_key_id,
                access_key_secret,
                user_id,
                session_id,
                sts_token,
                table_name,
                text_field,
                embedding_field,
                vector_dimension,
                client=client,
                **kwargs,
            )
        )

    def get_client(self) -> Any:
        """Return the Tablestore SDK client."""
        return self._memory.get_client()

    async def add(
        self,
        memories: AgentScopeMsg | list[AgentScopeMsg] | None,
        marks: str | list[str] | None = None,
        allow_duplicates: bool = True,
        **kwargs: Any,
    ) -> None:
        """Store the message(s); ``allow_duplicates`` is a no-op, as memmark's says."""
        await super().add(memories, marks, allow_duplicates=allow_duplicates, **kwargs)
