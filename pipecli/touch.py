"""First touch: how soon a new deal was first acted on after it came in.

A deal's **first touch** is the earliest of these, strictly after its creation and
before the cut-off:

* a note (a step marked done is recorded as a note, so it counts too);
* a stage move (``moved``, back moves too);
* a status change (``won``, ``lost``, ``reopened``).

What does not count: the ``created`` entry, field changes (``changed``: owner, value,
a next step planned, a snooze), and anything at the very moment of the creation. A
note written at that moment (with ``pipe add``, or by an import) describes the lead
as it came in; it is not a contact with it. Entries written by ``pipe import`` count
like any other: they are the dated history of the system the deals came from. The
moves an import writes at the creation moment (when a row gives only the deal's
current stage) are excluded by the same rule. A file without a history has no
touch: the stages it implies (``Deal.timeline``) were recorded by no one.

``first_touch_within`` in pipeline.yaml (default ``24h``) is how soon a deal should
be touched. The report gives, of the deals in scope, the median and mean hours to
first touch (of the touched ones), the share touched within the limit (of those
touched, plus the open ones still untouched past it), and the open deals still
untouched; `pipe stale` and `pipe agenda` list the open ones untouched past the limit
(``stale.judge``). docs/metrics.md has a worked example.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from .stats import mean, median_of_sorted

if TYPE_CHECKING:
    from .digest import Row
    from .history import HistoryEntry

TOUCH_EVENTS = frozenset({"moved", "won", "lost", "reopened"})
"""History events that are a touch (a note is one too)."""

HOUR_US = 3_600_000_000


def first_touch(
    created: datetime,
    history: Iterable[HistoryEntry],
    notes: Iterable[datetime],
    until: datetime | None = None,
) -> datetime | None:
    """The deal's first touch before ``until`` (None: ever), or None when it has none."""
    found: datetime | None = None
    for h in history:
        t = h.at
        if h.event in TOUCH_EVENTS and t > created and (until is None or t < until) and (found is None or t < found):
            found = t
    for t in notes:
        if t > created and (until is None or t < until) and (found is None or t < found):
            found = t
    return found


def hours(row: Row) -> float | None:
    """Hours from the deal's creation to its first touch; None when it has none."""
    return None if row.touched is None else (row.touched - row.created) / HOUR_US


def untouched(row: Row) -> bool:
    """An open deal nobody has touched yet (at the row's cut-off)."""
    return row.touched is None and row.status == "open"


def untouched_past(row: Row, limit: timedelta, now_us: int) -> bool:
    """An open, untouched deal older than ``limit`` at ``now_us`` (microseconds since 1970)."""
    return untouched(row) and now_us - row.created > limit // timedelta(microseconds=1)


@dataclass(frozen=True)
class FirstTouch:
    """The first-touch figures of a set of deals at a cut-off (the report's totals)."""

    touched: int = 0  # deals touched before the cut-off: what the median and mean cover
    median_hours: float | None = None
    mean_hours: float | None = None
    within: float | None = None  # touched within the limit / (touched + untouched past it)
    untouched: int = 0  # open deals not touched yet
    untouched_late: int = 0  # of those, the ones past the limit (what `pipe stale` lists as not touched)


def figures(rows: Iterable[Row], limit: timedelta, now_us: int) -> FirstTouch:
    """The first-touch figures of ``rows`` taken to the cut-off ``now_us`` (``digest.row_at``)."""
    limit_h = limit / timedelta(hours=1)
    times: list[float] = []
    waiting = late = 0
    for r in rows:
        h = hours(r)
        if h is not None:
            times.append(h)
        elif untouched(r):
            waiting += 1
            if untouched_past(r, limit, now_us):
                late += 1
    decided = len(times) + late
    times.sort()  # once: the median reads it in order, and those within the limit come first
    on_time = bisect_right(times, limit_h)
    return FirstTouch(
        touched=len(times),
        median_hours=median_of_sorted(times),
        mean_hours=mean(times),
        within=on_time / decided if decided else None,
        untouched=waiting,
        untouched_late=late,
    )
