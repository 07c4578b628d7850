"""The ``memmark`` command: demo, browse, export/import and copy memories from a terminal.

Installed with the ``cli`` extra (typer and rich). Without it, ``memmark`` prints the
``pip install`` that adds it instead of a traceback.
"""

from __future__ import annotations

import sys

__all__ = ["main"]

_CLI_DEPENDENCIES = {"typer", "rich", "click"}


def main() -> None:
    """Run the ``memmark`` command line."""
    try:
        from memmark._cli._app import app
    except ImportError as exc:
        if (exc.name or "").partition(".")[0] not in _CLI_DEPENDENCIES:
            raise
        print(
            "error: the memmark command needs the 'cli' extra: pip install 'memmark[cli]'",
            file=sys.stderr,
        )
        raise SystemExit(1) from None
    app(prog_name="memmark")
