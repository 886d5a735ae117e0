"""Medians for the report: of numbers, and of durations some of which are still running.

The definitions, with worked examples, are in docs/metrics.md ("Time in stage").
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable, Sequence
from typing import NamedTuple


def median(xs: Sequence[float]) -> float | None:
    """The ordinary median (the mean of the two middle values for an even count); None when empty."""
    return statistics.median(xs) if xs else None


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
    done = sorted(finished)
    going = sorted(running)
    observed = len(done) + len(going)
    if not observed:
        return SurvivalMedian(None, None, 0, 0)
    times = sorted(set(done))
    at_risk = observed
    survival = 1.0
    i = j = 0  # next finished (done[i]) and running (going[j]) duration not yet passed
    for k, t in enumerate(times):
        while j < len(going) and going[j] < t:  # ran out of observation before t
            j += 1
            at_risk -= 1
        ended = 0
        while i < len(done) and done[i] == t:
            i += 1
            ended += 1
        survival *= 1 - ended / at_risk
        at_risk -= ended
        if _exactly_half(survival):
            if k + 1 < len(times):
                return SurvivalMedian((t + times[k + 1]) / 2, None, observed, len(going))
            break
        if survival < 0.5:
            return SurvivalMedian(t, None, observed, len(going))
    longest = max(done[-1] if done else 0.0, going[-1] if going else 0.0)
    return SurvivalMedian(None, longest, observed, len(going))


def _exactly_half(x: float) -> bool:
    return abs(x - 0.5) < 1e-12
