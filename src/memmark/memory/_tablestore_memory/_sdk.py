"""Lazy import of the official ``tablestore`` SDK, without its import-time noise.

Without its optional C++ extension (built for one Python version) the SDK logs two warnings
and raises an ``ImportWarning`` at import, then uses its Python codec, which works.
"""

from __future__ import annotations

import logging
import warnings
from types import ModuleType

from memmark._optional import require

__all__ = ["load_sdk"]

_NOISY_LOGGERS = ("tablestore.encoder", "tablestore.decoder")


def load_sdk(feature: str = "TablestoreMemory") -> ModuleType:
    """Return the ``tablestore`` module.

    Raises:
        ImportError: the SDK is missing; the message names ``pip install 'memmark[tablestore]'``.
    """
    loggers = [logging.getLogger(name) for name in _NOISY_LOGGERS]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.ERROR)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ImportWarning)
            return require("tablestore", extra="tablestore", feature=feature)
    finally:
        for logger, level in zip(loggers, levels, strict=True):
            logger.setLevel(level)
