"""The Redis backend: :class:`RedisMemory` and :class:`RedisStore`, single node or Cluster.

Lua scripts live in ``lua/``, the key layout in ``_keys``. Importing this package imports
redis-py.
"""

from __future__ import annotations

from memmark.backends.redis._memory import RedisMemory
from memmark.backends.redis._scripts import driver_errors
from memmark.backends.redis._store import RedisStore

__all__ = ["RedisMemory", "RedisStore", "driver_errors"]
