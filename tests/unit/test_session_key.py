from __future__ import annotations

import hashlib

from memmark._core import session_key

PAIRS = [
    ("a", "b:c"),
    ("a:b", "c"),
    ('a", "b', "c"),
    ("a", '"b", "c'),
    ('["a", "b"]', "c"),
    ("ü", "s"),
    ("u", "s"),
    ("s", "u"),
]


def test_distinct_pairs_get_distinct_fixed_size_keys() -> None:
    keys = {session_key(u, s) for u, s in PAIRS}
    assert len(keys) == len(PAIRS)
    assert {len(key) for key in keys} == {64}


def test_the_key_is_the_sha256_of_the_ascii_json_pair() -> None:
    assert session_key("ü", "s") == hashlib.sha256(b'["\\u00fc", "s"]').hexdigest()
