"""Every bad argument of SPEC.md raises TypeError / ValueError before anything changes."""

from __future__ import annotations

import pytest

from memmark.message import Msg
from tests.conformance.helpers import marks_by_content, msg

BAD_MARKS = [
    (1, TypeError),
    (b"m", TypeError),
    ("", ValueError),
    ("a\x00b", ValueError),
    ("\ud800", ValueError),
    ("x" * 256, ValueError),
]


def _with_id(msg_id: object) -> Msg:
    message = msg("bad id")
    message.id = msg_id  # type: ignore[assignment]
    return message


CALLS = [
    *[
        (f"add marks={bad!r:.12}", "add", (msg("new"),), {"marks": bad}, error)
        for bad, error in BAD_MARKS
    ],
    ("add marks list item", "add", (msg("new"),), {"marks": ["ok", 3]}, TypeError),
    ("add marks list empty item", "add", (msg("new"),), {"marks": ["ok", ""]}, ValueError),
    ("add marks dict", "add", (msg("new"),), {"marks": {"m": 1}}, TypeError),
    ("add not a Msg", "add", ("text",), {}, TypeError),
    ("add dict", "add", ({"id": "x"},), {}, TypeError),
    ("add list with non-Msg", "add", ([msg("ok"), None],), {}, TypeError),
    ("add empty id", "add", (_with_id(""),), {}, ValueError),
    ("add non-str id", "add", (_with_id(5),), {}, TypeError),
    ("add NUL id", "add", (_with_id("a\x00"),), {}, ValueError),
    *[
        (f"get_memory mark={bad!r:.12}", "get_memory", (), {"mark": bad}, error)
        for bad, error in BAD_MARKS
    ],
    *[
        (f"get_memory exclude={bad!r:.12}", "get_memory", (), {"exclude_mark": bad}, error)
        for bad, error in BAD_MARKS
    ],
    ("get_memory limit -1", "get_memory", (), {"limit": -1}, ValueError),
    ("get_memory limit 2**31", "get_memory", (), {"limit": 2**31}, ValueError),
    ("get_memory limit 2**63", "get_memory", (), {"limit": 2**63}, ValueError),
    ("get_memory limit str", "get_memory", (), {"limit": "3"}, TypeError),
    ("get_memory limit bool", "get_memory", (), {"limit": True}, TypeError),
    ("get_memory limit float", "get_memory", (), {"limit": 1.0}, TypeError),
    ("delete str", "delete", ("id",), {}, TypeError),
    ("delete None", "delete", (None,), {}, TypeError),
    ("delete int item", "delete", ([1],), {}, TypeError),
    ("delete empty item", "delete", ([""],), {}, ValueError),
    *[
        (f"delete_by_mark {bad!r:.12}", "delete_by_mark", (bad,), {}, error)
        for bad, error in BAD_MARKS
    ],
    ("delete_by_mark None", "delete_by_mark", (None,), {}, TypeError),
    ("delete_by_mark list item", "delete_by_mark", (["k", 1],), {}, TypeError),
    *[
        (f"update new={bad!r:.12}", "update_messages_mark", (bad,), {}, error)
        for bad, error in BAD_MARKS
    ],
    *[
        (f"update old={bad!r:.12}", "update_messages_mark", ("n",), {"old_mark": bad}, error)
        for bad, error in BAD_MARKS
    ],
    ("update ids str", "update_messages_mark", ("n",), {"msg_ids": "id"}, TypeError),
    ("update ids item", "update_messages_mark", ("n",), {"msg_ids": [None]}, TypeError),
    ("summary None", "update_compressed_summary", (None,), {}, TypeError),
    ("summary int", "update_compressed_summary", (3,), {}, TypeError),
    ("summary surrogate", "update_compressed_summary", ("\udfff",), {}, ValueError),
]


async def test_bad_arguments_raise_and_change_nothing(
    memory_factory, subtests: pytest.Subtests
) -> None:
    """Each bad call of CALLS in turn on one session, each a subtest of its own."""
    memory = await memory_factory()
    await memory.add(msg("kept", msg_id="kept"), marks="k")
    await memory.update_compressed_summary("summary")
    for name, method, args, kwargs, error in CALLS:
        with subtests.test(name):
            before = await memory.export_state()
            with pytest.raises(error):
                await getattr(memory, method)(*args, **kwargs)
            assert await memory.export_state() == before
    assert await marks_by_content(memory) == [("kept", ["k"])]


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"user_id": ""}, ValueError),
        ({"session_id": ""}, ValueError),
        ({"user_id": b"u"}, TypeError),
        ({"session_id": 7}, TypeError),
        ({"user_id": "u" * 1025}, ValueError),
        ({"session_id": "a\x00b"}, ValueError),
    ],
)
async def test_bad_identity_is_rejected_at_construction(memory_factory, kwargs, error) -> None:
    with pytest.raises(error):
        await memory_factory(**kwargs)


async def test_longest_identity_is_accepted(memory_factory) -> None:
    memory = await memory_factory(user_id="u" * 1024, session_id="s" * 1024)
    await memory.add(msg("fits"))
    assert await memory.size() == 1
