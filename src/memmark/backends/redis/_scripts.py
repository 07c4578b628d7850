"""The Lua scripts of :class:`RedisMemory` and the one boundary mapping redis-py errors.

Each script is ``lua/_common.lua`` (shared helpers) followed by ``lua/<name>.lua``, shipped
as package data. Scripts run through redis-py's ``register_script``: EVALSHA, and on
NOSCRIPT (a restarted or flushed server, another cluster node) a SCRIPT LOAD and a retry.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from importlib import resources
from typing import TYPE_CHECKING, Any, cast

from memmark._optional import require
from memmark.errors import BackendError, StorageUnavailableError

if TYPE_CHECKING:
    from redis.commands.core import AsyncScript

__all__ = ["ScriptRunner", "as_text", "as_texts", "driver_errors", "reconnect_once"]

EncodableArg = str | bytes | int | float


@functools.cache
def script_source(name: str) -> str:
    """The full text of script ``name``: the shared prelude, then its own body."""
    lua = resources.files(__package__).joinpath("lua")
    return lua.joinpath("_common.lua").read_text("utf-8") + lua.joinpath(f"{name}.lua").read_text(
        "utf-8"
    )


@contextmanager
def driver_errors() -> Iterator[None]:
    """Map redis-py exceptions raised inside the block to memmark's, chained.

    Lost or refused connections, timeouts and a cluster that is down or still moving slots
    become :class:`StorageUnavailableError`; every other redis-py error becomes
    :class:`BackendError`.
    """
    exceptions = require("redis.exceptions", extra="redis", feature="RedisMemory")
    unavailable = (
        exceptions.ConnectionError,
        exceptions.TimeoutError,
        exceptions.ClusterDownError,
        exceptions.TryAgainError,
        exceptions.SlotNotCoveredError,
    )
    try:
        yield
    except unavailable as exc:
        raise StorageUnavailableError(f"Redis is unavailable: {exc}") from exc
    except exceptions.RedisClusterException as exc:
        if isinstance(exc.__cause__, unavailable):
            raise StorageUnavailableError(f"Redis Cluster is unavailable: {exc}") from exc
        raise BackendError(f"Redis Cluster failed: {exc}") from exc
    except exceptions.RedisError as exc:
        raise BackendError(f"Redis failed: {exc}") from exc
    except OSError as exc:
        raise StorageUnavailableError(f"Redis is unavailable: {exc}") from exc


def as_text(value: bytes | str) -> str:
    """Decode a reply, whether or not the client was created with ``decode_responses``."""
    return value.decode("utf-8") if isinstance(value, bytes) else value


def as_texts(values: list[bytes] | list[str]) -> list[str]:
    """Decode a list reply of strings, as :func:`as_text` each of them."""
    if values and isinstance(values[0], bytes):
        return [value.decode("utf-8") for value in values]
    return cast("list[str]", values)


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
    """The scripts registered on one client, each loaded into the server on first use."""

    def __init__(self, client: Any) -> None:
        self._client = client
        self._scripts: dict[str, AsyncScript] = {}

    async def run(self, name: str, keys: Sequence[str], args: Sequence[EncodableArg]) -> Any:
        """Run script ``name`` with ``KEYS`` = ``keys`` and ``ARGV`` = ``args``."""
        script = self._scripts.get(name)
        if script is None:
            script = self._scripts[name] = self._client.register_script(script_source(name))
        with driver_errors():
            return await script(keys=keys, args=args)
