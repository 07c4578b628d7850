"""Adapters that let agent frameworks use memmark's memories, built on the public API only.

Each framework has its own module (``memmark.integrations.agentscope``, ...), importable only
with that framework's extra installed; memmark's :class:`~memmark.message.Msg` is the hub every
adapter converts to and from.
"""

from __future__ import annotations
