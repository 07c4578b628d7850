"""Import optional drivers lazily, with an error that says which extra to install."""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from types import ModuleType
from typing import Any


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


def lazy_exports(package: str, exports: Mapping[str, str]) -> Callable[[str], Any]:
    """Return a module ``__getattr__`` that imports ``exports[name]`` on first access.

    Lets a package list driver-backed classes in ``__all__`` without importing their driver
    until someone asks for one.

    Args:
        package: The package's ``__name__``, for the ``AttributeError`` message.
        exports: Exported name -> module that defines it.
    """

    def __getattr__(name: str) -> Any:
        if name in exports:
            return getattr(importlib.import_module(exports[name]), name)
        raise AttributeError(f"module {package!r} has no attribute {name!r}")

    return __getattr__
