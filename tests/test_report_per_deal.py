"""The report's per-deal sums against their definitions (docs/metrics.md, docs/stale.md) worked
deal by deal: weighted values with each deal's own Decimal of its probability, medians that sort
their lists, first-touch shares counted one deal at a time, stale lists in their stated order."""

from __future__ import annotations

import random
import statistics
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

from deal_strategies import PIPELINE, deals_with_ids
from hypothesis import given, settings
from hypothesis import strategies as st

from pipecli.digest import Row, at, digest, ladder_of, micros, row_at
from pipecli.models import Deal
from pipecli.report import forecast, totals, velocity
from pipecli.stale import AsOf, in_list_order, judge, last_activity
from pipecli.timeutil import end_of_day
from pipecli.touch import figures

AS_OF_DAYS = st.integers(0, 120).map(lambda n: date(2026, 1, 5) + timedelta(days=n))


def rows_of(deals: Sequence[Deal], cutoff: datetime) -> list[Row]:
    ladder = ladder_of(PIPELINE.stage_ids)
    return [r for d in deals if (r := row_at(digest(d), ladder, cutoff)) is not None]


def cents(x: Decimal) -> Decimal:
    return x.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def weighted(rows: Sequence[Row]) -> dict[str, Decimal]:
    """Each open deal's value times the Decimal of its probability (its own, else its stage's), per currency."""
    out: dict[str, Decimal] = {}
    for r in rows:
        if r.status == "open" and r.value is not None:
            p = r.probability if r.probability is not None else PIPELINE.probability(r.stage)
            cur = r.currency or PIPELINE.currency
            out[cur] = out.get(cur, Decimal(0)) + r.value * Decimal(str(p))
    return {c: cents(v) for c, v in out.items()}


@settings(max_examples=150, deadline=None)
@given(deals_with_ids(8), AS_OF_DAYS)
def test_totals_add_up_deal_by_deal(deals: list[Deal], day: date) -> None:
    rows = rows_of(deals, end_of_day(day, PIPELINE.zone))
    t = totals(rows, PIPELINE)
    assert t.weighted_value == weighted(rows)
    assert (t.deals, t.won, t.lost, t.open) == (
        len(rows),
        sum(r.status == "won" for r in rows),
        sum(r.status == "lost" for r in rows),
        sum(r.status == "open" for r in rows),
    )
    assert t.back_moves == sum(r.back_moves for r in rows)
    cycles = [r.cycle for r in rows if r.status == "won" and r.cycle is not None]
    assert t.median_cycle_days == (statistics.median(cycles) if cycles else None)
    assert sum(t.open_value.values(), Decimal(0)) == sum(
        (r.value for r in rows if r.status == "open" and r.value is not None), Decimal(0)
    )


def bucket(close: date | None, day: date) -> tuple[str, str | None]:
    """Where docs/metrics.md puts an open deal in the forecast: no close date, a past one, or its month."""
    if close is None:
        return "none", None
    if close < day:
        return "past", None
    return "month", f"{close.year:04d}-{close.month:02d}"


@settings(max_examples=150, deadline=None)
@given(deals_with_ids(8), AS_OF_DAYS)
def test_the_forecast_buckets_hold_every_open_deal_once(deals: list[Deal], day: date) -> None:
    rows = rows_of(deals, end_of_day(day, PIPELINE.zone))
    buckets = forecast(rows, PIPELINE, day)
    assert sum(b.deals for b in buckets) == sum(r.status == "open" for r in rows)
    months = [b.month or "" for b in buckets if b.kind == "month"]
    assert months == sorted(months)
    for b in buckets:
        inside = [r for r in rows if r.status == "open" and bucket(r.close_date, day) == (b.kind, b.month)]
        assert b.deals == len(inside)
        assert b.weighted == weighted(inside)


@settings(max_examples=150, deadline=None)
@given(deals_with_ids(8), AS_OF_DAYS)
def test_velocity_per_currency_counts_deal_by_deal(deals: list[Deal], day: date) -> None:
    rows = rows_of(deals, end_of_day(day, PIPELINE.zone))
    for v in velocity(rows, PIPELINE):
        mine = [r for r in rows if (r.currency or PIPELINE.currency) == v.currency]
        won = [r for r in mine if r.status == "won"]
        cycles = [r.cycle for r in won if r.cycle is not None]
        assert v.open == sum(r.status == "open" for r in mine)
        lost = sum(r.status == "lost" for r in mine)
        assert v.win_rate == (len(won) / (len(won) + lost) if won or lost else None)
        assert v.median_days_to_win == (statistics.median(cycles) if cycles else None)
        assert v.mean_days_to_win == (statistics.fmean(cycles) if cycles else None)


@settings(max_examples=150, deadline=None)
@given(deals_with_ids(8), AS_OF_DAYS, st.sampled_from(["1h", "24h", "3d"]))
def test_first_touch_figures_count_deal_by_deal(deals: list[Deal], day: date, within: str) -> None:
    cutoff = end_of_day(day, PIPELINE.zone)
    rows = rows_of(deals, cutoff)
    pipeline = PIPELINE.model_copy(update={"first_touch_within": within})
    limit = pipeline.first_touch_limit
    got = figures(rows, limit, micros(cutoff))
    hours = [(r.touched - r.created) / 3_600_000_000 for r in rows if r.touched is not None]
    waiting = [r for r in rows if r.touched is None and r.status == "open"]
    late = [r for r in waiting if micros(cutoff) - r.created > limit // timedelta(microseconds=1)]
    on_time = sum(1 for h in hours if h <= limit / timedelta(hours=1))
    assert (got.touched, got.untouched, got.untouched_late) == (len(hours), len(waiting), len(late))
    assert got.median_hours == (statistics.median(hours) if hours else None)
    assert got.within == (on_time / (len(hours) + len(late)) if hours or late else None)


@settings(max_examples=150, deadline=None)
@given(deals_with_ids(8), AS_OF_DAYS, st.randoms())
def test_stale_deals_come_furthest_past_first_then_by_id(deals: list[Deal], day: date, rnd: random.Random) -> None:
    cut = AsOf.end_of(day, PIPELINE.zone)
    by_id = {d.id: d for d in deals}
    found = [s for r in rows_of(deals, cut.moment) if (s := judge(r, PIPELINE, cut)) is not None]
    rnd.shuffle(found)
    listed = in_list_order(found)
    assert [s.deal.id for s in listed] == [s.deal.id for s in sorted(found, key=lambda s: (-s.past, s.deal.id))]
    for s in listed:
        # the last activity a stale list shows: the deal's own, in the offset its file wrote it with
        last = last_activity(by_id[s.deal.id], cut.moment)
        assert s.last_activity == last
        assert s.last_activity.isoformat() == last.isoformat()
        assert s.last_activity == at(s.deal.last_activity, s.deal.last_offset)
