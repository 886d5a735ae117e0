"""The `pipe` command line: thin commands that parse, call the library, and render.

Importing a command module registers its commands on ``app``: a new module of commands
is one more name in the import below. Command modules import the library inside each
command, so that every command (and every TAB of completion) pays only for what it uses
(docs/architecture.md, "Imports").
"""

from __future__ import annotations

import os

# isort: off
# The order of pipe --help: each module's commands in the order they are imported.
from . import deals, search, report, stale, agenda, board, team, transfer  # noqa: F401

# isort: on
from .app import app

__all__ = ["app", "main"]


def main() -> None:
    # pipe uses no pydantic plugins: looking them up reads the entry points of every
    # installed distribution, a tenth of a one-deal command (typer skips it the same way)
    os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")
    app(prog_name="pipe")
