"""Adapters that let agent frameworks keep their conversations in memmark.

Each adapter is its own module (``memmark.integrations.<framework>``), needs its framework's
extra, and maps the framework's messages to :class:`memmark.message.Msg` and back, so one
conversation can be written by one framework and read by another.
"""

from __future__ import annotations
