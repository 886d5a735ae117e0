"""The `pipe` command line: thin commands that parse, call the library, and render.

Importing a command module registers its commands on ``app``.
"""

from __future__ import annotations

import os

from . import deals, report, stale, transfer  # noqa: F401
from .app import app

__all__ = ["app", "main"]


def main() -> None:
    # pipe uses no pydantic plugins: looking them up reads the entry points of every
    # installed distribution, a tenth of a one-deal command (typer skips it the same way)
    os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")
    app(prog_name="pipe")
