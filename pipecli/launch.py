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

import contextlib
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


# What the running command leaves to the end of the process (``leave_to_exit``); None when
# the process is not `pipe` itself (the library, tests): then nothing is kept.
_left: list[object] | None = None


def leave_to_exit(*objects: object) -> None:
    """Keep ``objects`` to the end of the process, and end it without freeing them.

    An index read over 100,000 deals is a few million small objects. Freeing them one by one
    when the command returns, and again module by module when Python shuts down, took a
    tenth of a warm report after its output was complete. When the command has left
    something here, `pipe` ends the process as soon as its output is out: stdout and
    stderr flushed, the ``atexit`` functions run, then ``os._exit`` with the command's exit
    status, so the objects are given back with the process's memory. Nothing is open for
    writing by then: every file pipe writes is closed (and fsync-ed) before the command
    returns. Where that cannot be done exactly as a normal exit would (another thread still
    runs, an exit status that is not a number, a flush that fails), the process exits as
    usual. Outside `pipe` itself (the library, tests) this keeps nothing."""
    if _left is not None:
        _left.extend(objects)


def _end_now(code: object) -> None:
    """End the process with ``code`` (a ``SystemExit``'s) without freeing what is left
    (``leave_to_exit``); returns when it cannot be done as a normal exit would."""
    threading = sys.modules.get("threading")
    if not (code is None or isinstance(code, int)) or (threading is not None and threading.active_count() > 1):
        return
    try:
        for stream in (sys.stdout, sys.stderr):
            if stream is not None:
                stream.flush()
    except (OSError, ValueError):  # a closed pipe, a full disk: the usual exit says what it says
        return
    import atexit

    atexit._run_exitfuncs()
    with contextlib.suppress(OSError, ValueError):
        for stream in (sys.stdout, sys.stderr):
            if stream is not None:
                stream.flush()
    os._exit(code or 0)


def main() -> None:
    global _left
    collect_rarely()
    _left = []
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
    except SystemExit as done:  # how the command line ends, with its exit status
        if _left:
            _end_now(done.code)
        raise
