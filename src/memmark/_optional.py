"""Import optional drivers lazily, with an error that says which extra to install."""

from __future__ import annotations

import importlib
from types import ModuleType


def require(module: str, *, extra: str, feature: str) -> ModuleType:
    """Import ``module`` or explain how to install it.

    Args:
        module: Dotted module name, e.g. ``"redis.asyncio"``.
        extra: The memmark extra that provides it, e.g. ``"redis"``.
        feature: What needs it, named in the message, e.g. ``"RedisMemory"``.

    Raises:
        ImportError: ``"<feature> needs the '<extra>' extra: pip install 'memmark[<extra>]'"``,
            chained to the original import failure.
    """
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise ImportError(
            f"{feature} needs the '{extra}' extra: pip install 'memmark[{extra}]'"
        ) from exc
