"""The Kaplan-Meier median of time in stage, against its definition worked in exact fractions."""

from __future__ import annotations

import statistics
from fractions import Fraction

from hypothesis import given, settings
from hypothesis import strategies as st

from pipecli.stats import km_median

TIMES = st.lists(st.integers(0, 12).map(lambda n: n / 2), max_size=12)  # half days: plenty of ties


def oracle(finished: list[float], running: list[float]) -> tuple[float | None, float | None]:
    """docs/metrics.md, word for word, in exact arithmetic: (median, above)."""
    if not finished and not running:
        return None, None
    times = sorted(set(finished))
    survival = Fraction(1)
    for k, t in enumerate(times):
        at_risk = sum(1 for x in finished + running if x >= t)
        ended = finished.count(t)
        survival *= 1 - Fraction(ended, at_risk)
        if survival == Fraction(1, 2):
            if k + 1 < len(times):
                return (t + times[k + 1]) / 2, None
            break
        if survival < Fraction(1, 2):
            return t, None
    return None, max(finished + running)


@settings(max_examples=500, deadline=None)
@given(TIMES, TIMES)
def test_the_median_is_the_definition(finished: list[float], running: list[float]) -> None:
    got = km_median(finished, running)
    assert (got.median, got.above) == oracle(finished, running)
    assert (got.observed, got.running) == (len(finished) + len(running), len(running))


@settings(max_examples=300, deadline=None)
@given(TIMES)
def test_with_no_deal_still_in_the_stage_it_is_the_ordinary_median(finished: list[float]) -> None:
    assert km_median(finished, []).median == (statistics.median(finished) if finished else None)


@settings(max_examples=300, deadline=None)
@given(TIMES.filter(bool), TIMES)
def test_deals_still_in_the_stage_never_make_it_look_faster(finished: list[float], running: list[float]) -> None:
    both = km_median(finished, running)
    assert both.median is None or both.median >= statistics.median(finished)


def test_not_reached_says_the_longest_time_seen() -> None:
    assert km_median([1.0, 3.0], [4.0, 6.0]) == (None, 6.0, 4, 2)
    assert km_median([], [2.5]) == (None, 2.5, 1, 1)
    assert km_median([], []) == (None, None, 0, 0)
    # a tie: an open stay as long as a finished one is still at risk then
    assert km_median([2.0, 2.0], [2.0]).median == 2.0
