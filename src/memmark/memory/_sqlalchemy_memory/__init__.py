"""The SQL backend: :class:`AsyncSQLAlchemyMemory` on SQLite, PostgreSQL and MySQL/MariaDB."""

from __future__ import annotations

from memmark.memory._sqlalchemy_memory._memory import AsyncSQLAlchemyMemory
from memmark.memory._sqlalchemy_memory._schema import SCHEMA_VERSION

__all__ = ["SCHEMA_VERSION", "AsyncSQLAlchemyMemory"]
