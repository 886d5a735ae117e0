"""Medians for the report: of numbers, and of durations some of which are still running.

The definitions, with worked examples, are in docs/metrics.md ("Time in stage").
"""

from __future__ import annotations

import statistics
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Sequence
from typing import NamedTuple


def median(xs: Sequence[float]) -> float | None:
    """The ordinary median (the mean of the two middle values for an even count); None when empty."""
    return statistics.median(xs) if xs else None


def median_of_sorted(xs: Sequence[float]) -> float | None:
    """``median`` of values already in ascending order, without sorting them again (what
    ``statistics.median`` computes after its sort, the same float)."""
    n = len(xs)
    if not n:
        return None
    if n % 2:
        return xs[n // 2]
    return (xs[n // 2 - 1] + xs[n // 2]) / 2


def mean(xs: Sequence[float]) -> float | None:
    return statistics.fmean(xs) if xs else None


class SurvivalMedian(NamedTuple):
    """A Kaplan-Meier median of durations, some of them still running (censored).

    ``median`` is None when there is no observation or the median is not reached;
    then ``above`` is the longest duration observed (the median is longer), else None.
    """

    median: float | None
    above: float | None
    observed: int  # durations in all
    running: int  # of which still running


def km_median(finished: Iterable[float], running: Iterable[float]) -> SurvivalMedian:
    """The Kaplan-Meier median of ``finished`` durations and ``running`` ones (known to last at least that long).

    S(t), the share still going after t, is the product over the distinct finished
    durations t_i <= t of (1 - d_i / n_i): d_i durations finished at t_i, n_i durations
    at least t_i long (finished or running; a running one as long as t_i is counted at
    risk). The median is the first t_i where S falls below 1/2; where S is exactly 1/2
    after t_i, it is the midpoint of t_i and the next finished duration, so that without
    running durations it is the ordinary median. When S never falls below 1/2, or stays
    at 1/2 with no finished duration after, the median is not reached.
    """
    return km_median_of_sorted(sorted(finished), sorted(running))


def km_median_of_sorted(done: Sequence[float], going: Sequence[float]) -> SurvivalMedian:
    """``km_median`` of durations already in ascending order (``done``: finished, ``going``: running).

    The product runs over the distinct finished durations in order: each one's deaths are
    the run of equal values in ``done`` from the first not yet passed, and the deals at risk
    are those neither finished before it nor running shorter than it, found by bisection
    (so a report at 100,000 deals takes no Python step per running duration)."""
    observed = len(done) + len(going)
    if not observed:
        return SurvivalMedian(None, None, 0, 0)
    survival = 1.0
    i = j = 0  # next finished (done[i]) and running (going[j]) duration not yet passed
    while i < len(done):
        t = done[i]
        j = bisect_left(going, t, j)  # running durations shorter than t ran out of observation before it
        at_risk = observed - i - j
        after = bisect_right(done, t, i)  # done[i:after] finished at t
        survival *= 1 - (after - i) / at_risk
        i = after
        if _exactly_half(survival):
            if i < len(done):  # done[i]: the next distinct finished duration
                return SurvivalMedian((t + done[i]) / 2, None, observed, len(going))
            break
        if survival < 0.5:
            return SurvivalMedian(t, None, observed, len(going))
    longest = max(done[-1] if done else 0.0, going[-1] if going else 0.0)
    return SurvivalMedian(None, longest, observed, len(going))


def _exactly_half(x: float) -> bool:
    return abs(x - 0.5) < 1e-12
