"""``async with`` for everything memmark hands out that owns resources."""

from __future__ import annotations

from abc import ABC, abstractmethod
from types import TracebackType

from typing_extensions import Self

__all__ = ["AsyncClosing"]


class AsyncClosing(ABC):
    """Makes ``async with obj:`` call ``await obj.close()`` on the way out."""

    @abstractmethod
    async def close(self) -> None:
        """Release what this object created itself."""

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.close()
