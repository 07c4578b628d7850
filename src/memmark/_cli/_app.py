"""The ``memmark`` commands: a thin layer over ``memmark.connect`` and the store API.

Every command opens the store of a storage URL (see ``memmark.connect``), does its work in
one event loop and closes the store. Commands that read or delete (``users``, ``sessions``,
``show``, ``export``, ``delete-session``, ``forget-user``, ``prune``, ``fork`` and the source
of ``copy`` / ``import-agentscope``) never create storage: a SQLite file that does not exist
is an error naming it. ``--table-prefix`` / ``--key-prefix`` reach stores created with a non-default
prefix. Failures the user can act on (a bad URL, an unreachable server, a missing driver, a
malformed file, a missing session) end with one ``error:`` line on stderr and exit code 1,
never a traceback; Ctrl-C during a transfer stops between sessions (exit code 130).
"""

from __future__ import annotations

import typer

from memmark._cli._read import export_command, sessions, show, users
from memmark._cli._write import (
    copy_command,
    delete_session,
    demo,
    forget_user,
    fork,
    import_agentscope_command,
    import_command,
    prune,
)

__all__ = ["app"]

app = typer.Typer(
    name="memmark",
    help=(
        "Conversation memory for LLM agents: run the demo, browse, export, import, copy, "
        "fork sessions and prune old messages."
    ),
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

app.command()(demo)
app.command()(users)
app.command()(sessions)
app.command()(show)
app.command("export")(export_command)
app.command("import")(import_command)
app.command("copy")(copy_command)
app.command("import-agentscope")(import_agentscope_command)
app.command("delete-session")(delete_session)
app.command("forget-user")(forget_user)
app.command()(prune)
app.command()(fork)
