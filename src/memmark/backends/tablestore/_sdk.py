"""Lazy import of the official ``tablestore`` SDK, without its import-time noise.

Without its optional C++ extension (built for one Python version) the SDK logs two warnings
and raises an ``ImportWarning`` at import, then uses its Python codec, which works.
"""

from __future__ import annotations

import logging
import warnings
from types import ModuleType
from typing import Any

from memmark._optional import require

__all__ = ["load_sdk", "open_client"]

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


def open_client(
    feature: str,
    client: Any,
    end_point: str | None,
    instance_name: str | None,
    access_key_id: str | None,
    access_key_secret: str | None,
    sts_token: str | None,
) -> tuple[Any, tuple[str, str] | None]:
    """Return ``client``, or a new ``AsyncOTSClient`` from the credentials.

    The second item is the (endpoint, instance) of a client created here, ``None`` for a
    client passed in: the caller owns (and closes) only the former.

    Raises:
        ImportError: the SDK is missing.
        ValueError: without ``client``, a credential is missing or the SDK rejects them.
    """
    sdk = load_sdk(feature)
    if client is not None:
        return client, None
    credentials = (end_point, instance_name, access_key_id, access_key_secret)
    if not all(isinstance(value, str) and value for value in credentials):
        raise ValueError(
            f"{feature} needs end_point, instance_name, access_key_id and "
            "access_key_secret (or client=)"
        )
    try:
        created = sdk.AsyncOTSClient(
            end_point, access_key_id, access_key_secret, instance_name, sts_token=sts_token
        )
    except sdk.OTSClientError as exc:
        raise ValueError(f"invalid Tablestore settings: {exc}") from exc
    return created, (str(end_point), str(instance_name))
