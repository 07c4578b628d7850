"""``python -m memmark._cli``: the same as the ``memmark`` command."""

from __future__ import annotations

from memmark._cli import main

main()
