"""When a RedisMemory takes an index of its session: only from a look at an unchanged session,
and, after each index found stale, from twice as many looks in a row (see ``_index.py``)."""

from __future__ import annotations

from memmark._core import StoredMessage
from memmark.backends.redis._index import MOST_LOOKS, IndexKeeper

INDEX_REPLY = [[b"a", b"b"], b"m", [b"b"]]
"""What read.lua hands back for a session of messages a and b, b marked m."""


def read(keeper: IndexKeeper, stamp: bytes) -> bool:
    """One read by script at ``stamp``; whether it took an index (read.lua's rule)."""
    held = keeper.index
    reply = INDEX_REPLY if keeper.wanted_stamp() == stamp else None
    keeper.read_by_script(held, stamp, "", reply, whole=True)
    return reply is not None


def test_an_object_takes_an_index_on_its_second_look_at_an_unchanged_session() -> None:
    keeper = IndexKeeper()
    assert keeper.wanted_stamp() is None
    assert not read(keeper, b"1:0:1")  # a single read never pays for an index
    assert not read(keeper, b"2:0:2")  # someone else wrote in between
    assert read(keeper, b"2:0:2")
    assert keeper.index is not None
    assert keeper.index.select("m", None, None) == [b"b"]
    assert keeper.index.select(None, "m", None) == [b"a"]
    assert keeper.index.select(None, None, 1) == [b"b"]


def test_its_own_adds_extend_the_index_and_a_foreign_change_drops_it() -> None:
    keeper = IndexKeeper()
    read(keeper, b"1:0:1")
    read(keeper, b"1:0:1")
    added = StoredMessage("c", "{}", ("m",))
    keeper.added(keeper.take_for_add(), [added], 1, b"1:0:1", b"2:0:2")
    assert keeper.index is not None and keeper.index.stamp == b"2:0:2"
    assert keeper.index.select("m", None, None) == [b"b", b"c"]
    keeper.added(keeper.take_for_add(), [added], 1, b"5:0:5", b"6:0:6")  # others wrote first
    assert keeper.index is None and keeper.wanted_stamp() is None


def test_each_stale_index_doubles_the_looks_needed_for_the_next() -> None:
    keeper = IndexKeeper()
    needed = 1
    for stamp in range(1, 9):
        looks = 0
        while not read(keeper, b"%d" % stamp):
            looks += 1
        assert looks == min(needed, MOST_LOOKS)
        assert keeper.index is not None
        keeper.found_stale(keeper.index)
        needed *= 2
    assert keeper.index is None
