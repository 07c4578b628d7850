"""Reachability checks for the real servers the tests use.

A test that needs an unreachable server is skipped with the reason on a user's machine, but
fails under ``CI=true``, so CI proves every backend.
"""

from __future__ import annotations

import os
import socket

import pytest

IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def unavailable(reason: str) -> None:
    """Skip the test with ``reason``, or fail it under ``CI=true``."""
    if IN_CI:
        pytest.fail(f"{reason} (CI=true: every backend must be tested)", pytrace=False)
    pytest.skip(reason)


def port_open(host: str, port: int, timeout: float = 1.0) -> bool:
    """Whether a TCP connection to ``host:port`` succeeds."""
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def require_server(name: str, host: str, port: int) -> None:
    """Skip (or fail under CI) unless ``name`` answers on ``host:port``."""
    if not port_open(host, port):
        unavailable(f"{name} not reachable at {host}:{port}")
