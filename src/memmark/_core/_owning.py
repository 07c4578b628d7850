"""Who closes a client, pool or engine: the one ownership rule of memmark.

A memory or store either creates its connection resource itself (from a URL, credentials,
host and port) and then owns it, or is handed one by the caller, which stays the caller's.
:class:`ResourceOwner` records which, and its ``close()`` releases only an owned resource,
once; :class:`ClientOwner` also hands the client out through ``get_client()``.
"""

from __future__ import annotations

from abc import abstractmethod
from typing import Generic, TypeVar

__all__ = ["ClientOwner", "ResourceOwner"]

ResourceT = TypeVar("ResourceT")


class ResourceOwner(Generic[ResourceT]):
    """Mixin holding a connection resource and whether memmark created it.

    List it before ``MemoryBase`` / ``StoreBase`` among the bases so its ``close()`` is the
    one called (by ``async with`` too), call :meth:`_adopt` in ``__init__`` and implement
    :meth:`_release`.
    """

    _resource: ResourceT
    _owns_resource: bool

    def _adopt(self, resource: ResourceT, *, owned: bool) -> None:
        """Hold ``resource``; ``owned`` if memmark created it (and so must close it)."""
        self._resource = resource
        self._owns_resource = owned

    async def close(self) -> None:
        """Release the client or pool memmark created; one passed in stays open.

        Closing twice releases once.
        """
        if self._owns_resource:
            self._owns_resource = False
            await self._release(self._resource)

    @abstractmethod
    async def _release(self, resource: ResourceT) -> None:
        """Close or dispose ``resource`` (called once, and only for an owned one)."""


class ClientOwner(ResourceOwner[ResourceT]):
    """A :class:`ResourceOwner` whose resource is a driver client the caller may use too."""

    def get_client(self) -> ResourceT:
        """Return the driver client this object talks through (shared with its memories)."""
        return self._resource
