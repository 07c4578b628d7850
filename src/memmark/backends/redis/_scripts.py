"""The Lua scripts of :class:`RedisMemory` and the one boundary mapping redis-py errors.

Each script is ``lua/_base.lua`` (helpers), ``lua/_common.lua`` (the session prelude: keys,
header, version check; all but ``read``) and ``lua/<name>.lua``, shipped as package data. A
script runs by EVALSHA, and on NOSCRIPT (a restarted or flushed server, another cluster node)
by a SCRIPT LOAD and a retry.
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Sequence
from contextlib import AbstractContextManager
from importlib import resources
from types import TracebackType
from typing import Any, cast

from memmark._optional import require
from memmark.errors import BackendError, StorageUnavailableError

__all__ = ["ScriptRunner", "as_text", "driver_errors", "reconnect_once"]

EncodableArg = str | bytes | int | float


_WITHOUT_PRELUDE = frozenset({"read"})
"""Scripts that bind their own ``KEYS`` and ``ARGV`` instead of ``_common.lua``'s."""


@functools.cache
def script_source(name: str) -> str:
    """The full text of script ``name``: the shared helpers, the prelude, its own body."""
    lua = resources.files(__package__).joinpath("lua")
    parts = ("_base", name) if name in _WITHOUT_PRELUDE else ("_base", "_common", name)
    return "".join(lua.joinpath(f"{part}.lua").read_text("utf-8") for part in parts)


@functools.cache
def script_sha(name: str) -> str:
    """The SHA1 by which the server knows script ``name`` (what SCRIPT LOAD replies)."""
    return hashlib.sha1(script_source(name).encode("utf-8")).hexdigest()


@functools.cache
def _no_script_error() -> type[Exception]:
    exceptions = require("redis.exceptions", extra="redis", feature="RedisMemory")
    return cast("type[Exception]", exceptions.NoScriptError)


@functools.cache
def _driver_exceptions() -> tuple[tuple[type[Exception], ...], type[Exception], type[Exception]]:
    """redis-py's exceptions :func:`driver_errors` maps: (unavailable, cluster, any other)."""
    exceptions = require("redis.exceptions", extra="redis", feature="RedisMemory")
    unavailable = (
        exceptions.ConnectionError,
        exceptions.TimeoutError,
        exceptions.ClusterDownError,
        exceptions.TryAgainError,
        exceptions.SlotNotCoveredError,
    )
    return unavailable, exceptions.RedisClusterException, exceptions.RedisError


class _DriverErrors:
    """The context manager :func:`driver_errors` returns; stateless, so one serves all."""

    def __enter__(self) -> None:
        return None

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if exc is None:
            return
        unavailable, cluster_error, redis_error = _driver_exceptions()
        if isinstance(exc, unavailable):
            raise StorageUnavailableError(f"Redis is unavailable: {exc}") from exc
        if isinstance(exc, cluster_error):
            if isinstance(exc.__cause__, unavailable):
                raise StorageUnavailableError(f"Redis Cluster is unavailable: {exc}") from exc
            raise BackendError(f"Redis Cluster failed: {exc}") from exc
        if isinstance(exc, redis_error):
            raise BackendError(f"Redis failed: {exc}") from exc
        if isinstance(exc, OSError):
            raise StorageUnavailableError(f"Redis is unavailable: {exc}") from exc


_DRIVER_ERRORS = _DriverErrors()


def driver_errors() -> AbstractContextManager[None]:
    """Map redis-py exceptions raised inside the block to memmark's, chained.

    Lost or refused connections, timeouts and a cluster that is down or still moving slots
    become :class:`StorageUnavailableError`; every other redis-py error becomes
    :class:`BackendError`. A class rather than a generator: every command passes through it.
    """
    return _DRIVER_ERRORS


def as_text(value: bytes | str) -> str:
    """Decode a reply, whether or not the client was created with ``decode_responses``."""
    return value.decode("utf-8") if isinstance(value, bytes) else value


def reconnect_once() -> Any:
    """redis-py retry policy of the clients memmark creates: once more, on a new connection.

    A pooled connection the server dropped (idle timeout, ``CLIENT KILL``, failover) then
    costs one reconnect instead of a failed call. Scripts are atomic and ``add`` skips ids
    already stored, so repeating a command whose reply was lost cannot tear or duplicate.
    This is redis-py's ``Retry`` rather than :func:`memmark._core.retrying`: only redis-py's
    connection layer can re-send a command on a fresh connection, and a reconnect waits for
    nothing, so there is no backoff.
    """
    retry = require("redis.asyncio.retry", extra="redis", feature="RedisMemory")
    backoff = require("redis.backoff", extra="redis", feature="RedisMemory")
    return retry.Retry(backoff.NoBackoff(), 1)


class ScriptRunner:
    """Runs the scripts on one client by EVALSHA, loading one into the server on NOSCRIPT."""

    def __init__(self, client: Any) -> None:
        self._client = client

    async def run(self, name: str, keys: Sequence[str], args: Sequence[EncodableArg]) -> Any:
        """Run script ``name`` with ``KEYS`` = ``keys`` and ``ARGV`` = ``args``.

        EVALSHA directly rather than through redis-py's ``register_script`` wrapper, which
        costs more per call than the rest of a small read's client side.
        """
        sha = script_sha(name)
        with _DRIVER_ERRORS:
            try:
                return await self._client.evalsha(sha, len(keys), *keys, *args)
            except _no_script_error():
                # A restarted or flushed server, or a cluster node that has not seen it yet.
                await self._client.script_load(script_source(name))
                return await self._client.evalsha(sha, len(keys), *keys, *args)
