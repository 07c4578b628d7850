"""The SQL backend on SQLite, PostgreSQL and MySQL/MariaDB through SQLAlchemy 2 async.

:class:`AsyncSQLAlchemyMemory` is one session's memory, :class:`SQLStore` the store that
shares one engine between many; tables and the schema version live in ``_schema``.
"""

from __future__ import annotations

from memmark.backends.sql._errors import map_errors
from memmark.backends.sql._memory import AsyncSQLAlchemyMemory
from memmark.backends.sql._schema import SCHEMA_VERSION
from memmark.backends.sql._store import SQLStore

__all__ = ["SCHEMA_VERSION", "AsyncSQLAlchemyMemory", "SQLStore", "map_errors"]
