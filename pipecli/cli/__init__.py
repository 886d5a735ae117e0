"""The `pipe` command line: thin commands that parse, call the library, and render.

Importing a command module registers its commands on ``app``.
"""

from __future__ import annotations

# isort: off
# The order of pipe --help: each module's commands in the order they are imported.
from . import deals, report, stale, board, team, transfer  # noqa: F401

# isort: on
from .app import app

__all__ = ["app", "main"]


def main() -> None:
    app(prog_name="pipe")
