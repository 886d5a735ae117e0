"""The `pipe` command line: thin commands that parse, call the library, and render.

``app`` is the Typer application with every command. The commands are registered by
the modules of this package that ``app.COMMAND_MODULES`` names, imported when ``app``
first needs its commands: `pipe CMD` (``main``) imports and builds CMD alone, `pipe
--help` every command. Command modules import the library inside each command, so that
every command (and every TAB of completion) pays only for what it uses
(docs/architecture.md, "Imports").
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence

from .app import app

__all__ = ["app", "command_named", "main"]

# the global options that take a value (pipecli.cli.app.main_options)
_WITH_VALUE = ("-C", "--directory", "--color")
_FLAGS = ("--no-pager",)


def command_named(args: Sequence[str]) -> str | None:
    """The command a command line runs, when the global options before it are plain
    (``-C DIR``, ``--color WHEN``, ``--no-pager``); None for anything else (help, version,
    completion, a name that is not a command), which is then left to the whole app."""
    i = 0
    while i < len(args):
        arg = args[i]
        if arg in _WITH_VALUE:
            i += 2
            continue
        if arg in _FLAGS or arg.startswith(("--directory=", "--color=")) or (arg.startswith("-C") and arg != "-C"):
            i += 1
            continue
        if arg.startswith("-"):
            return None
        return arg if arg in app.modules else None
    return None


def main() -> None:
    # pipe uses no pydantic plugins: looking them up reads the entry points of every
    # installed distribution, a tenth of a one-deal command (typer skips it the same way)
    os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")
    app.run_only(command_named(sys.argv[1:]))
    try:
        app(prog_name="pipe")
    finally:
        app.run_only(None)
