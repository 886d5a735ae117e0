"""The `pipe` command line: thin commands that parse, call the library, and render."""

from __future__ import annotations

from . import deals  # noqa: F401  (registers the commands)
from . import stale as _stale  # noqa: F401  (pipe stale, pipe snooze)
from .app import app

__all__ = ["app", "main"]


def main() -> None:
    app(prog_name="pipe")
