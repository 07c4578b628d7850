from __future__ import annotations

import pytest

from tests.waiting import wait_until


def test_returns_once_the_condition_holds() -> None:
    polls = iter([False, False, True])
    wait_until(lambda: next(polls), "the third poll", interval=0)


def test_fails_naming_what_it_waited_for() -> None:
    with pytest.raises(AssertionError, match="waiting for: never"):
        wait_until(lambda: False, "never", timeout=0.01, interval=0.001)
