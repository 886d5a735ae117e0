"""Each report metric on small hand-made histories; the answers are worked out here, by hand.

Pipeline a -> b -> c -> d (probabilities 0.1, 0.3, 0.5, 0.8), EUR. Day n is
2026-03-02 10:00 +01:00 plus n days; ``as_of=d(n)`` is the end of that calendar day.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from report_helpers import PIPE, build, d

from pipecli.query import Filters
from pipecli.report import ReportSpec, build_report, snapshot
from pipecli.timeutil import end_of_day

HOUR = 1 / 24


def rows(report):
    return {r.stage: r for r in report.funnel}


def col(report, name):
    return [getattr(r, name) for r in report.funnel]


# -- furthest stage and the funnel -----------------------------------------------------------
def test_skipped_stage_counts_as_passed() -> None:
    deal = build("s", [(0, "a"), (2, "c")])  # skipped b, open in c
    r = build_report([deal], PIPE, d(10))
    assert col(r, "reached") == [1, 1, 1, 0]
    assert col(r, "advanced") == [1, 1, 0, 0]
    assert col(r, "open") == [0, 0, 1, 0]
    assert col(r, "lost") == [0, 0, 0, 0]
    assert col(r, "conversion") == [1.0, 1.0, 0.0, None]


def test_strict_funnel_stops_before_the_skip() -> None:
    deal = build("s", [(0, "a"), (2, "c")])
    r = build_report([deal], PIPE, ReportSpec(d(10), strict=True))
    assert col(r, "reached") == [1, 0, 0, 0]
    assert col(r, "advanced") == [0, 0, 0, 0]
    assert col(r, "skipped") == [1, 0, 0, 0]
    assert col(r, "open") == [0, 0, 0, 0]
    assert rows(r)["a"].conversion == 0.0


def test_strict_funnel_counts_a_skip_filled_by_a_back_move() -> None:
    # a -> c, back to b, on to c: every stage up to c entered, so nothing was skipped in the end
    deal = build("s", [(0, "a"), (1, "c"), (2, "b"), (3, "c")])
    r = build_report([deal], PIPE, ReportSpec(d(10), strict=True))
    assert col(r, "reached") == [1, 1, 1, 0]
    assert col(r, "open") == [0, 0, 1, 0]
    assert col(r, "skipped") == [0, 0, 0, 0]


def test_back_and_forth_counts_once_and_stays_add_up() -> None:
    deal = build("bm", [(0, "a"), (1, "b"), (2, "a"), (3, "b"), (4, "c")])
    r = build_report([deal], PIPE, d(10))
    assert col(r, "reached") == [1, 1, 1, 0]
    assert col(r, "advanced") == [1, 1, 0, 0]
    assert col(r, "open") == [0, 0, 1, 0]
    assert r.totals.back_moves == 1
    a, b, c = rows(r)["a"], rows(r)["b"], rows(r)["c"]
    # a: day 0-1 and day 2-3; b: day 1-2 and day 3-4: two days each, one deal
    assert (a.days_median, a.days_mean, a.days_deals) == (2.0, 2.0, 1)
    assert (b.days_median, b.days_mean, b.days_deals) == (2.0, 2.0, 1)
    # c: still there; entered 2026-03-06 10:00, cut-off 2026-03-13 00:00: 6 days 14 hours
    assert c.days_deals == 0 and c.days_median is None
    assert c.open_now == 1
    assert c.open_age_median == pytest.approx(6 + 14 * HOUR)


def test_lost_after_a_back_move_leaks_from_the_furthest_stage() -> None:
    deal = build("lb", [(0, "a"), (1, "b"), (2, "c"), (3, "b"), (4, "lost:price")])
    assert deal.stage == "b"  # lost while sitting in b ...
    r = build_report([deal], PIPE, d(10))
    assert col(r, "lost") == [0, 0, 1, 0]  # ... but it had got as far as c
    assert col(r, "drop_off") == [0.0, 0.0, 1.0, None]
    assert col(r, "advanced") == [1, 1, 0, 0]
    assert rows(r)["b"].days_median == 2.0  # day 1-2 and day 3-4
    assert rows(r)["c"].days_median == 1.0
    assert [(x.reason, x.deals, x.value) for x in r.lost_reasons] == [("price", 1, {"EUR": Decimal(1000)})]
    assert r.totals.back_moves == 1


def test_won_from_an_early_stage_passes_every_stage() -> None:
    deal = build("w", [(0, "a"), (3, "won")])
    r = build_report([deal], PIPE, d(10))
    assert col(r, "reached") == [1, 1, 1, 1]
    assert col(r, "advanced") == [1, 1, 1, 1]
    assert col(r, "win_from_stage") == [1.0, 1.0, 1.0, 1.0]
    assert col(r, "cumulative_conversion") == [1.0, 1.0, 1.0, 1.0]
    assert r.totals.median_cycle_days == 3.0
    strict = build_report([deal], PIPE, ReportSpec(d(10), strict=True))
    assert col(strict, "reached") == [1, 0, 0, 0]
    assert col(strict, "skipped") == [1, 0, 0, 0]
    assert col(strict, "win_from_stage") == [1.0, None, None, None]


def test_reopened_deal() -> None:
    deal = build("ro", [(0, "a"), (1, "b"), (2, "lost:price"), (5, "reopen"), (6, "c"), (8, "won")])
    r = build_report([deal], PIPE, d(20))
    assert col(r, "reached") == [1, 1, 1, 1]
    assert col(r, "lost") == [0, 0, 0, 0]
    assert r.lost_reasons == []
    assert (r.totals.won, r.totals.lost) == (1, 0)
    assert [x.days_median for x in r.funnel] == [1.0, 2.0, 2.0, None]  # b: day 1-2 plus day 5-6
    assert r.totals.median_cycle_days == 8.0

    while_lost = build_report([deal], PIPE, d(3))
    assert col(while_lost, "lost") == [0, 1, 0, 0]
    assert [x.reason for x in while_lost.lost_reasons] == ["price"]

    # reopened 2026-03-07 10:00; cut-off 2026-03-08 00:00: back in b for 14 hours
    just_reopened = build_report([deal], PIPE, d(5))
    b = rows(just_reopened)["b"]
    assert col(just_reopened, "open") == [0, 1, 0, 0]
    assert b.days_deals == 0  # it is back in b: its time there is not complete
    assert b.open_age_median == pytest.approx(14 * HOUR)


def test_as_of_before_the_win_the_deal_is_open() -> None:
    deal = build("aw", [(0, "a"), (1, "b"), (10, "won")])
    r = build_report([deal], PIPE, d(5))
    assert col(r, "open") == [0, 1, 0, 0]
    assert col(r, "reached") == [1, 1, 0, 0]
    assert (r.totals.open, r.totals.won, r.totals.win_rate) == (1, 0, None)
    assert r.totals.open_value == {"EUR": Decimal(1000)}
    after = build_report([deal], PIPE, d(10))
    assert (after.totals.open, after.totals.won) == (0, 1)


def test_deals_created_after_the_cut_off_do_not_exist() -> None:
    early = build("e", [(0, "a")])
    late = build("l", [(8, "a")])
    assert build_report([early, late], PIPE, d(5)).totals.deals == 1
    assert build_report([early, late], PIPE, d(8)).totals.deals == 2


def test_field_changes_after_the_cut_off_are_undone() -> None:
    deal = build("v", [(0, "a"), (3, "set:value=5000"), (4, "set:owner=bob")], owner="anna")
    before = build_report([deal], PIPE, d(2))
    assert before.totals.open_value == {"EUR": Decimal(1000)}
    assert build_report([deal], PIPE, ReportSpec(d(2), filters=Filters(status=None, owner="anna"))).totals.deals == 1
    assert build_report([deal], PIPE, ReportSpec(d(2), filters=Filters(status=None, owner="bob"))).totals.deals == 0
    after = build_report([deal], PIPE, d(4))
    assert after.totals.open_value == {"EUR": Decimal(5000)}
    assert build_report([deal], PIPE, ReportSpec(d(4), filters=Filters(status=None, owner="bob"))).totals.deals == 1


def test_multiple_currencies_are_never_added() -> None:
    deals = [
        build("e1", [(0, "a"), (1, "c"), (2, "won")], value="1000", currency="EUR"),
        build("p1", [(0, "a"), (1, "b"), (2, "lost:budget")], value="4000", currency="PLN"),
        build("p2", [(0, "a")], value="2500", currency="PLN"),
    ]
    r = build_report(deals, PIPE, d(10))
    a, b = rows(r)["a"], rows(r)["b"]
    assert a.reached_value == {"EUR": Decimal(1000), "PLN": Decimal(6500)}
    assert a.open_value == {"PLN": Decimal(2500)}
    assert b.reached_value == {"EUR": Decimal(1000), "PLN": Decimal(4000)}
    assert b.lost_value == {"PLN": Decimal(4000)}
    assert b.advanced_value == {"EUR": Decimal(1000)}
    assert r.totals.won_value == {"EUR": Decimal(1000)}
    assert r.totals.open_value == {"PLN": Decimal(2500)}
    assert [(v.currency, v.open, v.win_rate) for v in r.velocity] == [("EUR", 0, 1.0), ("PLN", 1, 0.0)]


# -- totals, velocity, forecast --------------------------------------------------------------
def _mixed() -> list:
    return [
        build("w1", [(0, "a"), (1, "b"), (4, "won")], value="1000", owner="anna"),
        build("w2", [(0, "a"), (2, "c"), (10, "won")], value="3000", owner="bob"),
        build("l1", [(0, "a"), (1, "b"), (3, "lost:price")], value="2000", owner="Anna"),
        build("o1", [(0, "c")], value="10000", close_date=date(2026, 4, 15)),
        build("o2", [(0, "a"), (1, "b")], value="4000", probability=0.9, close_date=date(2026, 3, 5)),
        build("o3", [(0, "a")], value=None),
    ]


def test_totals() -> None:
    t = build_report(_mixed(), PIPE, d(12)).totals
    assert (t.deals, t.open, t.won, t.lost) == (6, 3, 2, 1)
    assert t.win_rate == pytest.approx(2 / 3)
    assert t.won_value == {"EUR": Decimal(4000)}
    assert t.open_value == {"EUR": Decimal(14000)}
    # o1: 10,000 x stage c's 0.5; o2: 4,000 x its own 0.9; o3 has no value
    assert t.weighted_value == {"EUR": Decimal(8600)}
    assert t.median_cycle_days == 7.0  # 4 and 10 days
    assert t.back_moves == 0


def test_velocity() -> None:
    (v,) = build_report(_mixed(), PIPE, d(12)).velocity
    # 3 open x 2/3 won x 2,000 average won / 7 days = 571.43 a day
    assert (v.currency, v.open, v.average_won_value, v.median_days_to_win) == ("EUR", 3, Decimal(2000), 7.0)
    assert v.per_day == Decimal("571.43")


def test_velocity_without_wins_is_none() -> None:
    (v,) = build_report([build("o", [(0, "a")])], PIPE, d(2)).velocity
    assert (v.win_rate, v.average_won_value, v.per_day) == (None, None, None)


def test_forecast_buckets() -> None:
    f = build_report(_mixed(), PIPE, d(10)).forecast  # as of 2026-03-12
    assert [(b.kind, b.month, b.deals, b.value, b.weighted) for b in f] == [
        ("past", None, 1, {"EUR": Decimal(4000)}, {"EUR": Decimal(3600)}),
        ("month", "2026-04", 1, {"EUR": Decimal(10000)}, {"EUR": Decimal(5000)}),
        ("none", None, 1, {}, {}),
    ]
    # on 2026-03-05 itself o2's close date is not past yet
    early = build_report(_mixed(), PIPE, d(3)).forecast
    assert [(b.kind, b.month) for b in early] == [("month", "2026-03"), ("month", "2026-04"), ("none", None)]


def test_lost_reasons_count_and_value() -> None:
    deals = [
        build("x1", [(0, "a"), (1, "lost:price")], value="100"),
        build("x2", [(0, "b"), (1, "lost:timing")], value="200"),
        build("x3", [(0, "c"), (1, "lost:price")], value="300", currency="PLN"),
    ]
    r = build_report(deals, PIPE, d(5))
    assert [(x.reason, x.deals, x.value) for x in r.lost_reasons] == [
        ("price", 2, {"EUR": Decimal(100), "PLN": Decimal(300)}),
        ("timing", 1, {"EUR": Decimal(200)}),
    ]


# -- scope: cohort, filters, groups, extras --------------------------------------------------
def test_cohort_by_creation_day() -> None:
    deals = [build("c0", [(0, "a")]), build("c3", [(3, "a")]), build("c6", [(6, "a")])]
    r = build_report(deals, PIPE, ReportSpec(d(10), since=d(1), until=d(6)))
    assert r.totals.deals == 2
    assert build_report(deals, PIPE, ReportSpec(d(10), since=d(3), until=d(3))).totals.deals == 1
    assert r.filters["since"] == d(1)


def test_groups_by_owner_fold_case() -> None:
    r = build_report(_mixed(), PIPE, ReportSpec(d(12), by="owner"))
    got = [(g.key, g.totals.deals, g.totals.won, g.totals.lost, g.totals.win_rate) for g in r.groups]
    assert got == [("anna", 2, 1, 1, 0.5), ("bob", 1, 1, 0, 1.0), (None, 3, 0, 0, None)]
    assert [x.reached for x in r.groups[0].funnel] == [2, 2, 1, 1]


def test_groups_by_tag_put_a_deal_in_each_of_its_tags() -> None:
    deals = [build("t1", [(0, "a")], tags=["x", "y"]), build("t2", [(0, "b")], tags=["y"]), build("t3", [(0, "a")])]
    r = build_report(deals, PIPE, ReportSpec(d(3), by="tag"))
    assert [(g.key, g.totals.deals) for g in r.groups] == [("x", 1), ("y", 2), (None, 1)]


def test_extra_totals_hook_fills_totals_and_groups() -> None:
    seen = []

    def extras(deals, cutoff):
        seen.append(cutoff)
        return {"stale": len(deals), "stale_value": {"EUR": Decimal(len(deals))}}

    r = build_report(_mixed(), PIPE, ReportSpec(d(12), by="owner", extras=extras))
    assert r.totals.extra == {"stale": 6, "stale_value": {"EUR": Decimal(6)}}
    assert [g.totals.extra["stale"] for g in r.groups] == [2, 1, 3]
    assert set(seen) == {end_of_day(d(12))}


def test_deal_without_history_is_read_from_its_fields() -> None:
    from pipecli.models import Deal

    deal = Deal.model_validate(
        {
            "id": "hand",
            "title": "Hand written",
            "stage": "b",
            "status": "lost",
            "lost_reason": "ghosted",
            "value": 700,
            "created": "2026-03-02T09:00:00+01:00",
        }
    )
    snap = snapshot(deal, PIPE, end_of_day(d(1)))
    assert snap is not None and snap.status == "lost" and snap.entered == {1}
    r = build_report([deal], PIPE, d(1))
    assert col(r, "lost") == [0, 1, 0, 0]
    assert [(x.reason, x.deals) for x in r.lost_reasons] == [("ghosted", 1)]
    assert col(r, "days_deals") == [0, 0, 0, 0]  # when it left b is unknown: no time in stage
    won = Deal.model_validate({**deal.model_dump(), "status": "won", "lost_reason": None})
    assert build_report([won], PIPE, d(1)).totals.median_cycle_days is None
    opened = Deal.model_validate({**deal.model_dump(), "status": "open", "lost_reason": None})
    # open since it was created, 2026-03-02 09:00, to the cut-off 2026-03-04 00:00: 1 day 15 hours
    assert rows(build_report([opened], PIPE, d(1)))["b"].open_age_median == pytest.approx(1 + 15 * HOUR)
