"""``rewind``, ``compress`` and ``fork``: editing a session's history in one step."""

from __future__ import annotations

import asyncio

import pytest

from tests.conformance.helpers import contents, marks_by_content, msg


async def _three(memory) -> None:
    await memory.add([msg("one", msg_id="a"), msg("two", msg_id="b")], marks="x")
    await memory.add(msg("three", msg_id="c"), marks=["y"])


async def test_rewind_removes_the_message_and_everything_after_it(memory_factory) -> None:
    memory = await memory_factory()
    await _three(memory)
    assert await memory.rewind("b") == 2
    assert await marks_by_content(memory) == [("one", ["x"])]
    assert await contents(memory, mark="y") == []
    await memory.add(msg("retried", msg_id="b"))
    assert await contents(memory) == ["one", "retried"]


async def test_rewind_of_an_unknown_id_removes_nothing(memory_factory) -> None:
    memory = await memory_factory()
    assert await memory.rewind("nothing") == 0
    await _three(memory)
    assert await memory.rewind("nothing") == 0
    assert await memory.rewind("a") == 3
    assert await memory.size() == 0


@pytest.mark.parametrize("bad", [None, 3, ["a"]])
async def test_rewind_rejects_a_non_str_id(memory_factory, bad) -> None:
    memory = await memory_factory()
    with pytest.raises(TypeError, match="msg_id"):
        await memory.rewind(bad)


async def test_compress_sets_the_summary_and_marks_the_messages(memory_factory) -> None:
    memory = await memory_factory()
    await _three(memory)
    await memory.update_messages_mark("compressed", msg_ids=["b"])
    assert await memory.compress("one and two", ["a", "b", "unknown"]) == 1
    assert await marks_by_content(memory) == [
        ("one", ["compressed", "x"]),
        ("two", ["compressed", "x"]),
        ("three", ["y"]),
    ]
    assert [m.content for m in await memory.get_memory(exclude_mark="compressed")] == [
        "one and two",
        "three",
    ]


async def test_compress_with_another_mark_or_none_deletes(memory_factory) -> None:
    memory = await memory_factory()
    await _three(memory)
    assert await memory.compress("s1", ["a"], mark="old") == 1
    assert await contents(memory, mark="old") == ["one"]
    assert await memory.compress("s2", ["a", "c"], mark=None) == 2
    assert await contents(memory) == ["two"]
    assert (await memory.get_memory())[0].content == "s2"
    assert await memory.compress("", []) == 0
    assert await contents(memory) == ["two"]
    assert [m.content for m in await memory.get_memory()] == ["two"]


async def test_compress_checks_every_argument_before_writing(memory_factory) -> None:
    memory = await memory_factory()
    await _three(memory)
    with pytest.raises(TypeError, match="summary"):
        await memory.compress(None, ["a"])
    with pytest.raises(TypeError, match="msg_ids"):
        await memory.compress("s", "a")
    with pytest.raises(ValueError, match="mark"):
        await memory.compress("s", ["a"], mark="")
    assert [m.content for m in await memory.get_memory()] == ["one", "two", "three"]


async def test_a_reader_never_sees_compress_half_done(memory_factory) -> None:
    memory = await memory_factory()
    await memory.add([msg(f"m{i}", msg_id=f"id{i}") for i in range(20)])
    seen: list[tuple[str, int]] = []

    async def read() -> None:
        for _ in range(10):
            got = await memory.get_memory(exclude_mark="compressed")
            summary = got[0].content if got and got[0].content == "s" else ""
            seen.append((summary, len(got) - bool(summary)))

    await asyncio.gather(read(), memory.compress("s", [f"id{i}" for i in range(15)]), read())
    assert set(seen) <= {("", 20), ("s", 5)}


async def test_fork_copies_messages_marks_and_summary(memory_factory) -> None:
    memory = await memory_factory(user_id="u", session_id="main")
    await _three(memory)
    await memory.update_compressed_summary("so far")
    fork = await memory.fork("branch")
    assert type(fork) is type(memory)
    assert (fork.user_id, fork.session_id) == ("u", "branch")
    assert await fork.export_state() == await memory.export_state()
    await fork.add(msg("only in the fork"))
    await fork.pop()
    await fork.pop()
    assert await contents(memory) == ["one", "two", "three"]
    assert await contents(fork) == ["one", "two"]


async def test_fork_copies_messages_of_any_length_exactly(memory_factory) -> None:
    # Short ones (MariaDB copies those through an in-memory table), some just over 512
    # characters stored, escaped ones and a long one.
    texts = ["short", "x" * 370, "\u00e9" * 40 + '"\\', "y" * 420, "\u00e9" * 80, "z" * 100_000]
    memory = await memory_factory()
    await memory.add([msg(text, msg_id=f"m{i}") for i, text in enumerate(texts)], marks="k")
    whole = await memory.fork("whole")
    assert await whole.export_state() == await memory.export_state()
    head = await memory.fork("head", upto="m2")
    assert await contents(head, mark="k") == texts[:3]


async def test_fork_upto_copies_that_message_and_the_older_ones(memory_factory) -> None:
    memory = await memory_factory()
    await _three(memory)
    fork = await memory.fork("branch", upto="b")
    assert await marks_by_content(fork) == [("one", ["x"]), ("two", ["x"])]
    assert [m.id for m in await fork.get_memory()] == ["a", "b"]
    with pytest.raises(ValueError, match="upto"):
        await memory.fork("other", upto="unknown")


async def test_fork_refuses_a_session_holding_anything(persistent_memory_factory) -> None:
    memory = await persistent_memory_factory(session_id="main")
    await _three(memory)
    taken = await persistent_memory_factory(session_id="taken")
    await taken.update_compressed_summary("mine")
    with pytest.raises(ValueError, match="already holds"):
        await memory.fork("taken")
    assert await taken.export_state() == {"_compressed_summary": "mine", "content": []}
    await (await memory.fork("fresh")).clear()
    with pytest.raises(ValueError, match="differ"):
        await memory.fork("main")
    same = await persistent_memory_factory(session_id="fresh")
    assert await same.size() == 0


async def test_fork_is_seen_by_a_new_memory_on_the_session(persistent_memory_factory) -> None:
    memory = await persistent_memory_factory(user_id="u", session_id="main")
    await _three(memory)
    await memory.fork("branch", upto="a")
    reopened = await persistent_memory_factory(user_id="u", session_id="branch")
    assert await contents(reopened) == ["one"]
    other_user = await persistent_memory_factory(user_id="v", session_id="branch")
    assert await other_user.size() == 0


async def test_concurrent_forks_into_one_session_leave_one_copy(persistent_memory_factory) -> None:
    memories = [await persistent_memory_factory(session_id=f"s{i}") for i in range(4)]
    for i, memory in enumerate(memories):
        await memory.add([msg(f"s{i}-{j}") for j in range(3)])
    results = await asyncio.gather(*(m.fork("target") for m in memories), return_exceptions=True)
    winners = [r for r in results if not isinstance(r, BaseException)]
    assert len(winners) == 1
    assert all(isinstance(r, ValueError) for r in results if r is not winners[0])
    copied = await contents(winners[0])
    assert len(copied) == 3
    assert len({c.split("-")[0] for c in copied}) == 1
