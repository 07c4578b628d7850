"""Redis backend: :class:`RedisMemory` (Lua scripts in ``lua/``, key layout in ``_keys``)."""

from __future__ import annotations

from memmark.memory._redis_memory._memory import RedisMemory

__all__ = ["RedisMemory"]
