"""The in-process backend: :class:`InMemoryMemory`, no storage beyond this process."""

from __future__ import annotations

from memmark.backends.in_memory._memory import InMemoryMemory

__all__ = ["InMemoryMemory"]
