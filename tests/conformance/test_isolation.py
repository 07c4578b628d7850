"""A memory never sees another (user_id, session_id), whatever characters the ids hold."""

from __future__ import annotations

import itertools

from tests.conformance.helpers import contents, marks_by_content, msg

ADVERSARIAL_IDS = [
    "default",
    "a",
    "a:b",
    "a-b",
    "a-b-c",
    "a:session:b",
    "a/b",
    "a\\b",
    "'; DROP TABLE x; --",
    '"q"',
    "%",
    "_",
    "*",
    "?",
    "[x]",
    "{t}",
    "}{",
    "a b",
    "ü",
    "日本",
    "😀",
    "a\nb",
    "\t",
    "user_id:a:session:b:messages",
    "a" * 300,
]


async def test_two_users_with_the_same_session_name_are_separate(memory_factory) -> None:
    alice = await memory_factory(user_id="alice", session_id="default")
    bob = await memory_factory(user_id="bob", session_id="default")
    await alice.add(msg("alice's"), marks="m")
    await bob.add(msg("bob's"), marks="m")
    await bob.update_compressed_summary("bob summary")
    assert await contents(alice) == ["alice's"]
    assert [m.content for m in await alice.get_memory()] == ["alice's"]
    assert await alice.size() == 1
    assert await alice.update_messages_mark("n", "m") == 1
    assert await contents(bob, mark="m") == ["bob's"]
    assert await alice.delete_by_mark("n") == 1
    await alice.clear()
    assert await contents(bob) == ["bob's"]
    assert await bob.size() == 1


async def test_adversarial_id_pairs_never_share_data(memory_factory) -> None:
    pairs = [
        *[(user, "s") for user in ADVERSARIAL_IDS],
        *[("u", session) for session in ADVERSARIAL_IDS],
        ("a", "b-c"),
        ("a-b", "c"),
        ("a:b", "c"),
        ("a", "b:c"),
        ("ab", "c"),
        ("a", "bc"),
        ("用户", "会话 😀"),
        ("A", "a"),
        ("a ", "a"),
        ("a", "a "),
        ('["a", "b"]', "c"),
        ('a", "b', "c"),
        ("a", '"b", "c'),
        ("s", "u"),
        ("u", "s"),
    ]
    memories = {}
    for index, (user, session) in enumerate(pairs):
        memory = await memory_factory(user_id=user, session_id=session)
        await memory.add(msg(f"#{index}", msg_id="shared-id"), marks=["m", f"own{index}"])
        await memory.update_compressed_summary(f"summary {index}")
        memories[user, session] = memory
    for index, (pair, memory) in enumerate(memories.items()):
        state = await memory.export_state()
        assert state["_compressed_summary"] == f"summary {index}", pair
        assert [(e[0]["content"], e[1]) for e in state["content"]] == [
            (f"#{index}", sorted(["m", f"own{index}"]))
        ], pair
    victim, attacker = list(memories.values())[:2]
    assert await attacker.delete(["shared-id"]) == 1
    assert await attacker.size() == 0
    assert await victim.size() == 1


async def test_operations_are_scoped_to_their_session(memory_factory) -> None:
    ids = ["s1", "s2", "s1:x", "s"]
    memories = [await memory_factory(user_id="same user", session_id=s) for s in ids]
    for memory, session in zip(memories, ids, strict=True):
        await memory.add(
            [msg(f"{session}-1", msg_id="one"), msg(f"{session}-2", msg_id="two")], marks="hint"
        )
    first, *others = memories
    assert await first.delete_by_mark("hint") == 2
    assert await first.update_messages_mark("x") == 0
    assert await first.delete(["one", "two"]) == 0
    for memory, session in itertools.islice(zip(memories, ids, strict=True), 1, None):
        assert await contents(memory, mark="hint") == [f"{session}-1", f"{session}-2"]
    assert [await m.size() for m in others] == [2, 2, 2]


ADVERSARIAL_PAIRS = [
    ("a", "b:c"),
    ("a:b", "c"),
    ('a", "b', "c"),
    ("a", '"b", "c'),
    ("用户", "会话 😀"),
    ("A", "a"),
    ("a ", "a"),
    ("a", "a "),
    ("u", "s"),
    ("s", "u"),
]


async def test_changes_to_adversarial_pairs_stay_with_their_pair_for_new_objects(
    persistent_memory_factory,
) -> None:
    """Each pair's deletes, relabels and clears reach only it, as objects opened afresh see."""
    memories = [
        await persistent_memory_factory(user_id=u, session_id=s) for u, s in ADVERSARIAL_PAIRS
    ]
    marks = ["a", "A", "a "]
    for index, memory in enumerate(memories):
        await memory.add(
            [msg(f"{index}-a", msg_id="same-id"), msg(f"{index}-b")], marks=marks[index % 3]
        )
        await memory.update_compressed_summary(f"summary {index}")
    await memories[0].delete_by_mark(marks[0])
    await memories[1].update_messages_mark("moved", old_mark=marks[1])
    await memories[2].clear()
    assert await memories[3].delete(["same-id"]) == 1
    for index, (user, session) in enumerate(ADVERSARIAL_PAIRS):
        memory = await persistent_memory_factory(user_id=user, session_id=session)
        other = marks[(index + 1) % 3]
        assert await memory.get_memory(mark=other, prepend_summary=False) == [], index
        if index == 0:
            assert await contents(memory) == []
            assert (await memory.get_memory())[0].content == "summary 0"
        elif index == 2:
            assert await memory.get_memory() == []
        elif index == 3:
            assert await marks_by_content(memory) == [("3-b", [marks[0]])]
        else:
            mark = "moved" if index == 1 else marks[index % 3]
            assert await marks_by_content(memory) == [
                (f"{index}-a", [mark]),
                (f"{index}-b", [mark]),
            ], index
            assert (await memory.get_memory())[0].content == f"summary {index}"
