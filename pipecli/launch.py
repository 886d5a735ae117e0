"""The `pipe` command's entry point: Ctrl-C at any moment ends it quietly.

Importing the command line takes a moment; a Ctrl-C meanwhile would print a traceback
from the middle of an import. This module imports nothing of pipe's until ``main`` runs.
"""

from __future__ import annotations

import sys


def main() -> None:
    try:
        from .cli import main as run

        run()
    except KeyboardInterrupt:  # while importing, before the command line handles Ctrl-C itself
        sys.exit(130)
