"""What every ``memmark`` command shares: options, error handling, opening stores, transfers."""

from __future__ import annotations

import asyncio
import gc
import signal
from collections.abc import AsyncIterable, AsyncIterator, Awaitable, Callable, Iterator
from contextlib import contextmanager
from typing import Any, NoReturn, TypeVar

import typer
from rich.console import Console

from memmark._cli import _render
from memmark._connect import connect, sqlite_path, storage_kind
from memmark.errors import MemmarkError
from memmark.store import ImportReport, StoreBase, import_sessions

__all__ = [
    "Failure",
    "Target",
    "fail",
    "on_store",
    "run",
    "stderr",
    "stdout",
    "transfer",
]

DEMO_URL = "sqlite+aiosqlite:///memmark-demo.db"
DEMO_USER = "demo_user"
DEMO_SESSION = "demo_session"
DEFAULT_PAGE_SIZE = 100

ResultT = TypeVar("ResultT")


def stdout() -> Console:
    return Console()


def stderr() -> Console:
    return Console(stderr=True)


def fail(message: str, code: int = 1) -> NoReturn:
    """Print ``message`` as one ``error:`` line on stderr and exit with ``code``."""
    lines = [
        line.strip()
        for line in message.splitlines()
        if line.strip() and not line.startswith("(Background on this error")
    ]
    stderr().print("[bold red]error:[/] ", end="", highlight=False)
    stderr().print(" ".join(lines), markup=False, highlight=False, soft_wrap=True)
    raise typer.Exit(code)


class Failure(Exception):
    """An expected failure, already worded for the user."""


def run(work: Callable[[], Awaitable[ResultT]]) -> ResultT:
    """Run ``work`` in a fresh event loop, turning expected failures into one error line."""
    try:
        return asyncio.run(_guarded(work))
    except Failure as failure:
        fail(str(failure))
    except KeyboardInterrupt:
        fail("interrupted", 130)


async def _guarded(work: Callable[[], Awaitable[ResultT]]) -> ResultT:
    try:
        return await work()
    except Failure:
        raise
    except MemmarkError as exc:
        message = f"{type(exc).__name__}: {exc}"
    except (ImportError, ValueError, TypeError) as exc:
        message = str(exc)
    except OSError as exc:
        message = f"{exc.filename}: {exc.strerror}" if exc.filename else str(exc)
    # Collect the failed connections while the loop still runs: a driver thread that reports
    # to a closed loop prints a traceback of its own (aiosqlite, on a file it cannot open).
    gc.collect()
    await asyncio.sleep(0)
    raise Failure(message)


class Target:
    """A storage URL with the prefix options given for it, opened on demand."""

    def __init__(
        self,
        url: str,
        *,
        table_prefix: str | None = None,
        key_prefix: str | None = None,
        must_exist: bool = False,
    ) -> None:
        self.url = url
        self._table_prefix = table_prefix
        self._key_prefix = key_prefix
        self._must_exist = must_exist

    def open(self) -> StoreBase:
        """Connect, refusing a prefix option the URL's backend has no use for.

        Raises:
            Failure: the command must not create storage and the SQLite file does not exist.
            ValueError: a prefix option does not apply to this URL's backend.
        """
        options: dict[str, str] = {}
        path = sqlite_path(self.url)
        plain = path is None and self._table_prefix is self._key_prefix is None
        kind = "" if plain else storage_kind(self.url)[0]  # a bad URL fails here first
        if self._table_prefix is not None:
            if kind not in {"sql", "tablestore"}:
                raise ValueError("--table-prefix applies to SQL and tablestore:// URLs only")
            options["table_name" if kind == "tablestore" else "table_prefix"] = self._table_prefix
        if self._key_prefix is not None:
            if kind not in {"redis", "redis-cluster"}:
                raise ValueError("--key-prefix applies to redis:// URLs only")
            options["key_prefix"] = self._key_prefix
        if self._must_exist and path is not None and not path.is_file():
            raise Failure(f"{path}: no such SQLite database (this command never creates one)")
        return connect(self.url, **options)


def on_store(target: Target, work: Callable[[StoreBase], Awaitable[ResultT]]) -> ResultT:
    """Open the store of ``target``, run ``work`` on it, close it; errors as :func:`run` says."""

    async def opened() -> ResultT:
        async with target.open() as store:
            return await work(store)

    return run(opened)


@contextmanager
def _stop_on_interrupt() -> Iterator[asyncio.Event]:
    """Make Ctrl-C set an event instead of cancelling, so a transfer ends between sessions."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    try:
        loop.add_signal_handler(signal.SIGINT, stop.set)
    except (NotImplementedError, RuntimeError, ValueError):  # no signals here: Ctrl-C cancels
        yield stop
        return
    try:
        yield stop
    finally:
        loop.remove_signal_handler(signal.SIGINT)


async def _until(
    stop: asyncio.Event, records: AsyncIterable[dict[str, Any]]
) -> AsyncIterator[dict[str, Any]]:
    async for record in records:
        if stop.is_set():
            return
        yield record


async def transfer(
    title: str,
    dst: StoreBase,
    records: Callable[[], AsyncIterable[dict[str, Any]]],
    *,
    done: str = "imported",
) -> None:
    """Import ``records`` into ``dst`` with a progress bar; Ctrl-C stops between sessions.

    ``done`` is the verb for the sessions written ("imported", "copied").
    """
    err = stderr()
    with _stop_on_interrupt() as stop, _render.progress(err) as bar:
        task = bar.add_task(title, total=None, detail="")

        def advance(report: ImportReport) -> None:
            detail = f"{done} {report.imported}, already there {report.skipped}"
            bar.update(task, completed=report.total, detail=detail)

        report = await import_sessions(dst, _until(stop, records()), on_progress=advance)
    summary = f"{report.imported} {done}, {report.skipped} already there"
    if stop.is_set():
        fail(f"interrupted after whole sessions ({summary}); run again to resume", 130)
    err.print(f"done: {summary}", highlight=False)
