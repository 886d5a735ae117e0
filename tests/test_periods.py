"""pipe report --period: each figure on a hand-built pipeline whose numbers were worked out by hand,
and the properties that tie the periods to the plain report."""

from __future__ import annotations

import tempfile
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from deal_strategies import PIPELINE as PROP_PIPELINE
from deal_strategies import T0, command_deals, deals_with_ids
from hypothesis import given, settings
from hypothesis import strategies as st
from report_helpers import PIPE, build
from test_index_agrees import write_pipeline

from pipecli.models import Deal
from pipecli.periods import MAX_PERIODS, PeriodSpec, TooManyPeriods, label, period_start, spans
from pipecli.query import Filters
from pipecli.render.periods import sparkline
from pipecli.render.report import render_report
from pipecli.report import ReportSpec, build_report, report_from_rows
from pipecli.store import Store

WARSAW = ZoneInfo("Europe/Warsaw")
EUR = "EUR"


def deals() -> list[Deal]:
    """Six deals over ISO weeks 10 to 12 of 2026 (days after Monday 2026-03-02 10:00, Warsaw).

    W10 is 03-02..03-08, W11 03-09..03-15, W12 03-16..03-22. Stages a, b, c, d with
    probabilities 0.1, 0.3, 0.5, 0.8."""
    return [
        build("alfa", [(0, "a"), (2, "b"), (8, "c"), (9, "won")], value="1000"),  # won W11, cycle 9 days
        build("beta", [(1, "a"), (10, "lost:price")], value="2000"),  # lost W11
        build("gamma", [(7, "a"), (14, "d"), (15, "won")], value="4000"),  # won W12, cycle 8 days
        # created in b in W10, expected 03-20; in W11 (day 12) the close date moves to 04-10: 21 days
        build("delta", [(3, "b"), (12, "set:close_date=2026-04-10")], value="5000", close_date=date(2026, 3, 20)),
        build("epsilon", [(8, "c"), (16, "lost:price")], value="3000", close_date=date(2026, 3, 18)),  # lost W12
        build("zeta", [(15, "a"), (16, "lost:timing")], value="1000"),  # lost W12
    ]


def weeks(as_of: date = date(2026, 3, 22), **kw: object) -> list:
    spec = ReportSpec(as_of=as_of, zone=WARSAW, periods=PeriodSpec("week", since=date(2026, 3, 2)), **kw)  # type: ignore[arg-type]
    report = build_report(deals(), PIPE, spec)
    assert report.periods is not None
    return report.periods.periods


def money(**amounts: str) -> dict[str, Decimal]:
    return {c: Decimal(v) for c, v in amounts.items()}


def test_the_calendar_weeks_start_on_monday_quarters_and_labels() -> None:
    assert period_start(date(2026, 3, 22), "week") == date(2026, 3, 16)  # a Sunday: the Monday before
    assert period_start(date(2026, 3, 16), "week") == date(2026, 3, 16)
    assert period_start(date(2026, 8, 31), "quarter") == date(2026, 7, 1)
    assert label(date(2026, 3, 16), "week") == "2026-W12"
    assert label(date(2024, 12, 30), "week") == "2025-W01"  # ISO: the week with the year's first Thursday
    assert label(date(2026, 7, 1), "quarter") == "2026-Q3"
    # default: the as-of day's period and the three before, the last cut at the as-of day
    assert spans(PeriodSpec("month"), date(2026, 3, 20)) == [
        (date(2025, 12, 1), date(2025, 12, 31), date(2025, 12, 31)),
        (date(2026, 1, 1), date(2026, 1, 31), date(2026, 1, 31)),
        (date(2026, 2, 1), date(2026, 2, 28), date(2026, 2, 28)),
        (date(2026, 3, 1), date(2026, 3, 20), date(2026, 3, 31)),
    ]
    # --since and --until choose the periods that hold them; none goes past the as-of day
    assert spans(PeriodSpec("quarter", date(2025, 11, 5), date(2026, 9, 9)), date(2026, 5, 1)) == [
        (date(2025, 10, 1), date(2025, 12, 31), date(2025, 12, 31)),
        (date(2026, 1, 1), date(2026, 3, 31), date(2026, 3, 31)),
        (date(2026, 4, 1), date(2026, 5, 1), date(2026, 6, 30)),
    ]
    assert spans(PeriodSpec("year", date(2027, 1, 1)), date(2026, 5, 1)) == []
    with pytest.raises(TooManyPeriods):
        spans(PeriodSpec("week", date(2000, 1, 3)), date(2026, 5, 1))
    assert len(spans(PeriodSpec("week", date(2026, 1, 5) - timedelta(weeks=MAX_PERIODS - 1)), date(2026, 1, 5))) == (
        MAX_PERIODS
    )


def test_new_deals_reached_stages_won_lost_per_week() -> None:
    w10, w11, w12 = weeks()
    assert [(p.label, p.start, p.end, p.partial) for p in (w10, w11, w12)] == [
        ("2026-W10", date(2026, 3, 2), date(2026, 3, 8), False),
        ("2026-W11", date(2026, 3, 9), date(2026, 3, 15), False),
        ("2026-W12", date(2026, 3, 16), date(2026, 3, 22), False),
    ]
    assert [p.new for p in (w10, w11, w12)] == [3, 2, 1]  # alfa beta delta; gamma epsilon; zeta
    assert w10.new_value == money(EUR="8000")
    # reaching a stage as the funnel counts it: entering it or one further on, or winning
    assert [[r.deals for r in p.reached] for p in (w10, w11, w12)] == [[3, 2, 0, 0], [2, 1, 2, 1], [1, 1, 1, 1]]
    assert [(p.won, p.won_value) for p in (w10, w11, w12)] == [(0, {}), (1, money(EUR="1000")), (1, money(EUR="4000"))]
    assert [(p.lost, p.lost_value) for p in (w10, w11, w12)] == [
        (0, {}),
        (1, money(EUR="2000")),
        (2, money(EUR="4000")),
    ]
    # W12: price 1 (epsilon), timing 1 (zeta): a tie goes to the first by name
    assert [(p.top_lost_reason, p.top_lost_reason_deals) for p in (w10, w11, w12)] == [
        (None, 0),
        ("price", 1),
        ("price", 1),
    ]
    assert [p.win_rate for p in (w10, w11, w12)] == [None, 0.5, 1 / 3]
    assert [p.median_cycle_days for p in (w10, w11, w12)] == [None, 9.0, 8.0]


def test_the_strict_funnel_counts_a_stage_when_the_run_in_order_reaches_it() -> None:
    # alfa a, b (W10), c (W11); beta a (W10); gamma a (W11), skips b; zeta a (W12); delta and epsilon
    # were created past the first stage: not in the strict funnel
    assert [[r.deals for r in p.reached] for p in weeks(strict=True)] == [[2, 1, 0, 0], [1, 0, 1, 0], [1, 0, 0, 0]]


def test_open_and_weighted_pipeline_at_each_week_s_end() -> None:
    w10, w11, w12 = weeks()
    # W10: alfa b 1000 x 0.3, beta a 2000 x 0.1, delta b 5000 x 0.3
    assert (w10.open, w10.open_value, w10.weighted_value) == (3, money(EUR="8000"), money(EUR="2000.00"))
    # W11: gamma a 4000 x 0.1, delta b 5000 x 0.3, epsilon c 3000 x 0.5
    assert (w11.open, w11.open_value, w11.weighted_value) == (3, money(EUR="12000"), money(EUR="3400.00"))
    assert (w12.open, w12.open_value, w12.weighted_value) == (1, money(EUR="5000"), money(EUR="1500.00"))


def test_forecast_at_each_week_s_start_against_what_was_won() -> None:
    w10, w11, w12 = weeks()
    # W10 began before any deal; W11 began with delta expected on 03-20, not in W11
    assert (w10.forecast_deals, w10.forecast_value, w10.forecast_error) == (0, {}, {})
    assert (w11.forecast_deals, w11.forecast_value, w11.forecast_error) == (0, {}, {EUR: -1.0})
    # W12 began with epsilon (c, 0.5) expected on 03-18; delta had moved to 04-10 by then
    assert (w12.forecast_deals, w12.forecast_wins, w12.forecast_value) == (1, 0.5, money(EUR="1500.00"))
    assert w12.forecast_error == {EUR: (1500 - 4000) / 4000}
    spec = ReportSpec(as_of=date(2026, 3, 22), zone=WARSAW, periods=PeriodSpec("week", since=date(2026, 3, 2)))
    graded = build_report(deals(), PIPE, spec).periods
    assert graded is not None
    assert graded.forecast_mape == {EUR: (1.0 + 0.625) / 2}
    assert graded.forecast_graded == {EUR: 2}


def test_slips_count_deals_whose_close_date_moved_later_and_the_days() -> None:
    assert [(p.slipped, p.slip_days) for p in weeks()] == [(0, 0), (1, 21), (0, 0)]
    # moved earlier, or cleared: no slip; moved later twice in one week: one deal, the days added
    d = build(
        "eta",
        [(0, "a"), (1, "set:close_date=2026-03-10"), (2, "set:close_date="), (3, "set:close_date=2026-03-20")],
        close_date=date(2026, 3, 30),
    )
    twice = build(
        "iota",
        [(0, "a"), (1, "set:close_date=2026-03-25"), (2, "set:close_date=2026-04-01")],
        close_date=date(2026, 3, 20),
    )
    spec = ReportSpec(as_of=date(2026, 3, 8), zone=WARSAW, periods=PeriodSpec("week", since=date(2026, 3, 2)))
    (week,) = build_report([d, twice], PIPE, spec).periods.periods  # type: ignore[union-attr]
    assert (week.slipped, week.slip_days) == (1, 5 + 7)


def test_a_period_cut_at_the_as_of_day_is_partial_and_not_graded() -> None:
    *_, w12 = weeks(as_of=date(2026, 3, 18))
    assert (w12.end, w12.partial, w12.forecast_error) == (date(2026, 3, 18), True, None)
    assert (w12.won, w12.lost) == (1, 2)  # gamma won 03-17; epsilon, zeta lost 03-18 10:00
    assert (w12.forecast_deals, w12.forecast_value) == (1, money(EUR="1500.00"))  # the whole week's forecast


def test_filters_and_the_default_range() -> None:
    spec = ReportSpec(
        as_of=date(2026, 3, 22), zone=WARSAW, filters=Filters(status=None, owner="anna"), periods=PeriodSpec("week")
    )
    mine = [build("mine", [(0, "a"), (9, "won")], value="700", owner="Anna"), *deals()]
    pr = build_report(mine, PIPE, spec).periods
    assert pr is not None
    assert [p.label for p in pr.periods] == ["2026-W09", "2026-W10", "2026-W11", "2026-W12"]  # empty W09 shown
    assert [(p.new, p.won, p.won_value) for p in pr.periods] == [
        (0, 0, {}),
        (1, 0, {}),
        (0, 1, money(EUR="700")),
        (0, 0, {}),
    ]


def test_a_closed_deal_whose_file_has_no_history_counts_in_no_period() -> None:
    won = build("kappa", [(0, "a"), (3, "won")])
    data = won.model_dump(by_alias=True)
    data["history"] = []
    bare = Deal.model_validate(data)
    spec = ReportSpec(as_of=date(2026, 3, 22), zone=WARSAW, periods=PeriodSpec("week", since=date(2026, 3, 2)))
    report = build_report([bare], PIPE, spec)
    assert report.totals.won == 1
    assert report.periods is not None
    assert [p.won for p in report.periods.periods] == [0, 0, 0]
    assert [p.new for p in report.periods.periods] == [1, 0, 0]


def test_sparkline_in_blocks_and_in_ascii() -> None:
    values = [Decimal(0), Decimal(1000), Decimal(4000), Decimal(8000)]
    assert sparkline(values) == " ▁▄█"
    assert sparkline(values, unicode=False) == " _:#"
    assert sparkline([Decimal(0), Decimal(0)]) == "  "


# -- properties ----------------------------------------------------------------------------
UNITS = st.sampled_from(["week", "month", "quarter"])


@settings(max_examples=60, deadline=None)
@given(
    st.lists(command_deals(), min_size=1, max_size=6),
    st.integers(0, 170),
    UNITS,
    st.sampled_from([None, "anna"]),
    st.booleans(),
)
def test_periods_add_up_to_the_report_and_end_where_the_report_stands(
    drawn: list[Deal], day: int, unit: str, owner: str | None, strict: bool
) -> None:
    ds = [d.model_copy(update={"id": f"d{i}"}) for i, d in enumerate(drawn)]
    as_of = date(2026, 1, 5) + timedelta(days=day)
    filters = Filters(status=None, owner=owner)
    spec = ReportSpec(as_of=as_of, filters=filters, strict=strict, periods=PeriodSpec(unit, since=date(2026, 1, 1)))
    report = build_report(ds, PROP_PIPELINE, spec)
    pr = report.periods
    assert pr is not None
    t = report.totals
    # every deal here was created after the first period began: the periods cover everything
    assert sum(p.new for p in pr.periods) == t.deals
    assert sum(p.won for p in pr.periods) == t.won
    assert sum(p.lost for p in pr.periods) == t.lost
    for name in ("won_value", "lost_value", "new_value"):
        added: dict[str, Decimal] = {}
        for p in pr.periods:
            for c, v in getattr(p, name).items():
                added[c] = added.get(c, Decimal(0)) + v
        whole = {c: v for c, v in getattr(t, name if name != "new_value" else "won_value").items()}
        if name == "new_value":
            whole = {}
            for part in (t.won_value, t.open_value, t.lost_value):
                for c, v in part.items():
                    whole[c] = whole.get(c, Decimal(0)) + v
        assert {c: v for c, v in added.items() if v} == {c: v for c, v in whole.items() if v}
    for i, stage in enumerate(report.funnel):
        assert sum(p.reached[i].deals for p in pr.periods) == stage.reached
    # the pipeline at each period's end is the plain report as of its last day
    for p in pr.periods:
        plain = build_report(ds, PROP_PIPELINE, ReportSpec(as_of=p.end, filters=filters, strict=strict)).totals
        assert (p.open, p.open_value, p.weighted_value) == (plain.open, plain.open_value, plain.weighted_value)
    assert pr.periods[-1].end == as_of


@settings(max_examples=25, deadline=None)
@given(
    deals_with_ids(),
    st.integers(-3, 140),
    UNITS,
    st.sampled_from([None, "anna"]),
    st.booleans(),
)
def test_the_index_gives_the_periods_the_files_give(
    drawn: list[Deal], day: int, unit: str, owner: str | None, strict: bool
) -> None:
    """Hand-written files too (no history, shuffled, refused values): the index's rows at every
    period's start and end, and the new columns it keeps, give the figures the files give."""
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "pipeline"
        write_pipeline(root, drawn)
        store = Store(root)
        pipeline = store.pipeline
        spec = ReportSpec(
            as_of=T0.date() + timedelta(days=day),
            filters=Filters(status=None, owner=owner),
            strict=strict,
            periods=PeriodSpec(unit, since=date(2026, 1, 1)),
        )
        expected = render_report(build_report(store.load_all(use_cache=False).deals, pipeline, spec), "json")
        for _ in range(2):  # built now, then read back
            fresh = store.index()
            rows = fresh.rows_at(spec.cutoff_for(pipeline))
            got = render_report(report_from_rows(rows, pipeline, spec, rows_at=fresh.rows_at_many), "json")
            assert got == expected
