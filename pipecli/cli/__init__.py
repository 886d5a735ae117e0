"""The `pipe` command line: thin commands that parse, call the library, and render."""

from __future__ import annotations

from . import deals, transfer  # noqa: F401  (registers the commands)
from .app import app

__all__ = ["app", "main"]


def main() -> None:
    app(prog_name="pipe")
