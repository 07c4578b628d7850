"""The one retry helper and backoff policy, apart from any backend."""

from __future__ import annotations

import pytest

from memmark._core import backoff_delay, retrying


class Flaky(Exception):
    pass


def failing(times: int, error: type[Exception] = Flaky):
    calls: list[int] = []

    async def operation() -> str:
        calls.append(len(calls))
        if len(calls) <= times:
            raise error(f"attempt {len(calls)}")
        return "done"

    return operation, calls


async def test_a_retryable_failure_is_repeated_until_the_operation_succeeds() -> None:
    operation, calls = failing(3)
    result = await retrying(
        operation, is_retryable=lambda e: isinstance(e, Flaky), attempts=4, base_delay=1e-4
    )
    assert result == "done"
    assert len(calls) == 4


async def test_the_last_exception_propagates_once_attempts_run_out() -> None:
    operation, calls = failing(10)
    with pytest.raises(Flaky, match="attempt 3"):
        await retrying(
            operation, is_retryable=lambda e: isinstance(e, Flaky), attempts=3, base_delay=1e-4
        )
    assert len(calls) == 3


async def test_a_non_retryable_exception_propagates_at_once() -> None:
    operation, calls = failing(1, ValueError)
    with pytest.raises(ValueError, match="attempt 1"):
        await retrying(operation, is_retryable=lambda e: isinstance(e, Flaky), attempts=5)
    assert len(calls) == 1


async def test_unbounded_attempts_last_while_the_failure_is_retryable() -> None:
    operation, calls = failing(20)
    result = await retrying(
        operation,
        is_retryable=lambda e: isinstance(e, Flaky),
        attempts=None,
        base_delay=1e-5,
        max_delay=1e-4,
    )
    assert result == "done"
    assert len(calls) == 21


async def test_is_retryable_may_keep_state() -> None:
    operation, calls = failing(10)
    allowed = iter([True, False])
    with pytest.raises(Flaky, match="attempt 2"):
        await retrying(operation, is_retryable=lambda e: next(allowed), base_delay=1e-4)
    assert len(calls) == 2


def test_backoff_doubles_within_equal_jitter_and_is_capped() -> None:
    for failures in range(1, 12):
        ceiling = min(0.5, 0.01 * 2 ** (failures - 1))
        for _ in range(50):
            delay = backoff_delay(failures, base_delay=0.01, max_delay=0.5)
            assert ceiling / 2 <= delay <= ceiling
