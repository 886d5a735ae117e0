"""The `pipe` command's entry point: Ctrl-C at any moment ends it quietly, and a TAB of
shell completion is answered before the command line is imported.

Importing the command line takes a moment; a Ctrl-C meanwhile would print a traceback
from the middle of an import (or an "Exception ignored" from inside the import machinery,
which no ``except`` can catch). Until the command line is imported, Ctrl-C ends the process
at once with status 130: nothing has been read or written yet. Then Python's own handler is
back, and the command line turns Ctrl-C into its quiet exit after cleaning up.

A completion request (``_PIPE_COMPLETE`` in the environment) goes to
``pipecli.quickcomplete`` first, which imports no typer; what it cannot answer with
certainty it leaves to the command line's own completion.
"""

from __future__ import annotations

import gc
import os
import signal
import sys

EXIT_INTERRUPTED = 130  # as shells report a command ended by SIGINT

# The cyclic garbage collector's thresholds for a run of `pipe` (Python's are 700, 10, 10).
# A report over 100,000 deals holds some million small containers that live to the end of
# the process, and with Python's thresholds the collector walks all of them again and again
# as they are made: a third of a warm report's time. What pipe makes is freed by reference
# counting (deals, rows and index columns hold no cycles), so the collector runs rarely,
# not never: memory stays bounded if something does leave cycles behind.
# docs/performance.md has the figures.
COLLECT_EVERY = (100_000, 50, 100)


def collect_rarely() -> None:
    """Run the cyclic collector rarely in this process (``COLLECT_EVERY``; workers forked
    from it inherit that)."""
    gc.set_threshold(*COLLECT_EVERY)


def _quit_at_once(signum: int, frame: object) -> None:
    os._exit(EXIT_INTERRUPTED)


def main() -> None:
    collect_rarely()
    try:
        # only where Ctrl-C would raise KeyboardInterrupt (not when a caller chose to ignore it)
        starting = signal.getsignal(signal.SIGINT) is signal.default_int_handler
        if starting:
            signal.signal(signal.SIGINT, _quit_at_once)
        if os.environ.get("_PIPE_COMPLETE"):
            from .quickcomplete import main as quick

            quick()  # exits when it answered
        from .cli import main as run

        if starting:
            signal.signal(signal.SIGINT, signal.default_int_handler)
    except KeyboardInterrupt:  # before our handler was in place
        sys.exit(EXIT_INTERRUPTED)
    try:
        run()
    except KeyboardInterrupt:  # between the import and the command line's own handler
        sys.exit(EXIT_INTERRUPTED)
