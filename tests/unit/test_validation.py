from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from memmark._core._validation import (
    check_identity,
    check_limit,
    check_marks,
    check_msg_ids,
    check_msgs,
)
from memmark.message import Msg

valid_text = (
    st.text(min_size=1, max_size=50)
    .filter(lambda t: "\x00" not in t)
    .filter(lambda t: t.encode("utf-8", "surrogatepass").decode("utf-8", "ignore") == t)
)


@given(st.lists(valid_text, max_size=6))
def test_marks_are_deduplicated_in_first_seen_order(marks) -> None:
    result = check_marks("marks", marks)
    assert list(result) == list(dict.fromkeys(marks))


@given(valid_text)
def test_a_single_mark_becomes_a_one_tuple(mark) -> None:
    assert check_marks("marks", mark) == (mark,)


@given(st.lists(valid_text, max_size=6))
def test_ids_are_deduplicated(ids) -> None:
    assert list(check_msg_ids("msg_ids", ids)) == list(dict.fromkeys(ids))


def test_none_and_tuples() -> None:
    assert check_marks("marks", None) == ()
    assert check_marks("marks", ("a", "b")) == ("a", "b")
    assert check_msgs(None) == []
    message = Msg("a", "b", "user")
    assert check_msgs(message) == [message]
    assert check_msgs((message,)) == [message]
    assert check_limit(None) is None
    assert check_limit(0) == 0


@pytest.mark.parametrize("value", ["", "\x00", "a" * 1025])
def test_identity_rejects(value) -> None:
    with pytest.raises(ValueError, match="user_id"):
        check_identity("user_id", value)


def test_errors_name_the_argument_and_position() -> None:
    with pytest.raises(TypeError, match=r"marks\[1\] must be a str"):
        check_marks("marks", ["a", 2])
    with pytest.raises(ValueError, match=r"msg_ids\[0\] must not be empty"):
        check_msg_ids("msg_ids", [""])
    with pytest.raises(TypeError, match=r"memories\[1\] must be a Msg"):
        check_msgs([Msg("a", "b", "user"), "x"])
