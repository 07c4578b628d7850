"""The Tablestore backend: :class:`TablestoreMemory` and :class:`TablestoreStore`.

Its parts: the tables (``_schema``), the session row and writer lease (``_session``), row
access (``_rows``), the SDK loader (``_sdk``) and the error mapping (``_errors``).
"""

from __future__ import annotations

from memmark.backends.tablestore._memory import TablestoreMemory
from memmark.backends.tablestore._store import TablestoreStore

__all__ = ["TablestoreMemory", "TablestoreStore"]
