"""A memory never sees another (user_id, session_id), whatever characters the ids hold."""

from __future__ import annotations

import itertools

from tests.conformance.helpers import contents, msg

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
