"""A command run without --at or --as-of reads the wall clock itself: the test's figure of that clock
must be the one the command saw, even when a day (or an hour a figure counts from) turns meanwhile."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

E = TypeVar("E")
R = TypeVar("R")


def on_one_clock(expect: Callable[[], E], run: Callable[[], R], tries: int = 3) -> tuple[E, R]:
    """``run()`` between two readings of ``expect()`` (the expected value, computed from the wall
    clock), and both: the command read the clock between the two readings, so when they agree it
    saw the same figure. When they differ, a boundary passed while it ran: run it again (a boundary
    does not pass twice within a few seconds)."""
    for _ in range(tries):
        before = expect()
        result = run()
        if expect() == before:
            return before, result
    raise AssertionError(f"the expected value changed during each of {tries} runs")
