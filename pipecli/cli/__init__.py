"""The `pipe` command line: thin commands that parse, call the library, and render.

Importing a command module registers its commands on ``app``.
"""

from __future__ import annotations

from . import deals, report, stale, team, transfer  # noqa: F401
from .app import app

__all__ = ["app", "main"]


def main() -> None:
    app(prog_name="pipe")
