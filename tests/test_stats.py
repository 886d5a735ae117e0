"""The Kaplan-Meier median of time in stage, against its definition worked in exact fractions;
and the medians of lists already sorted, against those that sort them."""

from __future__ import annotations

import statistics
from fractions import Fraction
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from pipecli.stats import SurvivalMedian, km_median, km_median_of_sorted, median, median_of_sorted

TIMES = st.lists(st.integers(0, 12).map(lambda n: n / 2), max_size=12)  # half days: plenty of ties
# days as the report computes them from microseconds (``digest.days``), a few of them equal
DAYS = st.lists(
    st.one_of(st.integers(0, 10**14).map(lambda us: us / 1_000_000 / 86400), st.sampled_from([0.0, 1.5, 2.0, 7.25])),
    max_size=40,
)


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


def walk(finished: list[float], running: list[float]) -> SurvivalMedian:
    """The same median walked one duration at a time over the distinct finished ones (``set``),
    in the float arithmetic the report uses: what the bisecting walk must give to the bit."""
    done, going = sorted(finished), sorted(running)
    observed = len(done) + len(going)
    if not observed:
        return SurvivalMedian(None, None, 0, 0)
    times = sorted(set(done))
    at_risk, survival, i, j = observed, 1.0, 0, 0
    for k, t in enumerate(times):
        while j < len(going) and going[j] < t:
            j += 1
            at_risk -= 1
        ended = 0
        while i < len(done) and done[i] == t:
            i += 1
            ended += 1
        survival *= 1 - ended / at_risk
        at_risk -= ended
        if abs(survival - 0.5) < 1e-12:
            if k + 1 < len(times):
                return SurvivalMedian((t + times[k + 1]) / 2, None, observed, len(going))
            break
        if survival < 0.5:
            return SurvivalMedian(t, None, observed, len(going))
    return SurvivalMedian(None, max(done[-1] if done else 0.0, going[-1] if going else 0.0), observed, len(going))


@settings(max_examples=500, deadline=None)
@given(st.one_of(TIMES, DAYS), st.one_of(TIMES, DAYS), st.randoms())
def test_sorted_input_gives_the_same_median_to_the_bit(finished: list[float], running: list[float], rnd: Any) -> None:
    expected = walk(finished, running)
    rnd.shuffle(finished)
    rnd.shuffle(running)
    assert km_median(finished, running) == expected
    assert km_median_of_sorted(sorted(finished), sorted(running)) == expected


@settings(max_examples=500, deadline=None)
@given(st.lists(st.one_of(st.floats(allow_nan=False, allow_infinity=False), st.integers(-5, 5).map(float))))
def test_the_median_of_a_sorted_list_is_the_ordinary_median(xs: list[float]) -> None:
    expected = statistics.median(xs) if xs else None
    assert median(xs) == expected
    assert median_of_sorted(sorted(xs)) == expected


def test_the_median_of_a_sorted_list_worked() -> None:
    assert median_of_sorted([]) is None
    assert median_of_sorted([4.0]) == 4.0
    assert median_of_sorted([1.0, 2.0, 10.0]) == 2.0
    assert median_of_sorted([1.0, 2.0, 3.0, 10.0]) == 2.5
