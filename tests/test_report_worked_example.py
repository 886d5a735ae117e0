"""The worked example of docs/metrics.md, built deal by deal: every number the page states, checked.

If this test fails, either the code or the page is wrong; fix whichever it is, and keep them equal.
"""

from __future__ import annotations

import json
import re
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

import pytest

from pipecli import actions
from pipecli.models import Deal, Pipeline
from pipecli.render import to_json
from pipecli.render.report import report_data, time_table
from pipecli.report import ReportSpec, StageRow, build_report
from pipecli.stale import AsOf, find_stale
from pipecli.timeutil import end_of_day

CET = timezone(timedelta(hours=1))
DOC = Path(__file__).resolve().parent.parent / "docs" / "metrics.md"

PIPELINE = Pipeline.model_validate(
    {
        "currency": "EUR",
        "stages": [
            {"id": "lead", "label": "Lead", "probability": 0.1},
            {"id": "qualified", "label": "Qualified", "probability": 0.3},
            {"id": "proposal", "label": "Proposal", "probability": 0.6},
            {"id": "negotiation", "label": "Negotiation", "probability": 0.8},
        ],
    }
)


def at(day: int) -> datetime:
    """Midnight at the start of 2026-03-<day>, Warsaw time (as `--at 2026-03-DD` records it)."""
    return datetime(2026, 3, day, tzinfo=CET)


def deal(deal_id: str, value: str, currency: str, steps: list[tuple[int, str]], **fields) -> Deal:
    day0, stage0 = steps[0]
    d = actions.new_deal(
        PIPELINE,
        deal_id=deal_id,
        title=deal_id,
        at=at(day0),
        stage=stage0,
        value=Decimal(value),
        currency=currency,
        **fields,
    )
    for day, op in steps[1:]:
        when = at(day)
        if op == "won":
            d = actions.won(d, when)
        elif op.startswith("lost:"):
            d = actions.lost(d, when, op[5:])
        elif op.startswith("reopen:"):
            d = actions.reopen(d, PIPELINE, when, op[7:])
        elif op.startswith("set:"):  # set:FIELD=VALUE
            d = actions.set_fields(d, when, [tuple(op[4:].split("=", 1))])  # type: ignore[list-item]
        elif op.startswith("next:"):  # next:YYYY-MM-DD:text
            _, due, text = op.split(":", 2)
            d = actions.set_next_step(d, when, text, date.fromisoformat(due))
        else:
            d = actions.move(d, PIPELINE, op, when)
    return d


def example() -> list[Deal]:
    return [
        deal("alfa", "10000", "EUR", [(2, "lead"), (4, "qualified"), (9, "proposal"), (16, "won")], owner="anna"),
        deal(
            "beta",
            "6000",
            "EUR",
            [(2, "lead"), (5, "proposal"), (7, "qualified"), (12, "lost:price")],
            owner="anna",
        ),
        deal("gamma", "4000", "EUR", [(3, "lead"), (7, "lost:no budget")], owner="bob"),
        deal("delta", "20000", "PLN", [(3, "lead"), (5, "qualified"), (12, "won")], owner="bob"),
        deal(
            "epsilon",
            "8000",
            "EUR",
            [(4, "lead"), (6, "qualified"), (11, "proposal"), (11, "next:2026-03-18:Send contract")],
            owner="bob",
            probability=0.5,
            close_date=date(2026, 4, 15),
        ),
        deal(
            "zeta",
            "3000",
            "EUR",
            [(10, "lead"), (10, "next:2026-03-20:Call back"), (12, "set:close_date=2026-03-18")],
            close_date=date(2026, 3, 12),
        ),
        deal("eta", "5000", "EUR", [(5, "lead"), (8, "qualified"), (9, "lost:timing"), (13, "reopen:qualified")]),
        deal("theta", "7000", "EUR", [(25, "lead")]),
    ]


AS_OF = date(2026, 3, 20)


def test_totals() -> None:
    t = build_report(example(), PIPELINE, AS_OF).totals
    assert (t.deals, t.open, t.won, t.lost) == (7, 3, 2, 2)  # theta does not exist yet
    assert t.win_rate == 0.5
    assert t.won_value == {"EUR": Decimal(10000), "PLN": Decimal(20000)}
    assert t.open_value == {"EUR": Decimal(16000)}
    assert t.weighted_value == {"EUR": Decimal(5800)}
    assert t.median_cycle_days == 11.5
    assert t.back_moves == 1
    # epsilon's next step was due on the 18th; zeta's is due on the 20th, the as-of day: not overdue yet
    assert (t.stale, t.stale_value, t.overdue_next_steps) == (1, {"EUR": Decimal(8000)}, 1)
    listed = find_stale(example(), PIPELINE, AsOf(end_of_day(AS_OF, CET), AS_OF))
    assert [(s.deal.id, s.reason, s.overdue_days) for s in listed] == [("epsilon", "overdue", 2)]


def test_funnel() -> None:
    f = build_report(example(), PIPELINE, AS_OF).funnel
    assert [r.reached for r in f] == [7, 5, 4, 2]
    assert [r.advanced for r in f] == [5, 4, 2, 2]
    assert [r.lost for r in f] == [1, 0, 1, 0]
    assert [r.open for r in f] == [1, 1, 1, 0]
    assert [r.conversion for r in f] == pytest.approx([5 / 7, 4 / 5, 2 / 4, 1.0])
    assert [r.cumulative_conversion for r in f] == pytest.approx([5 / 7, 4 / 7, 2 / 7, 2 / 7])
    assert [r.win_from_stage for r in f] == pytest.approx([2 / 7, 2 / 5, 2 / 4, 1.0])
    assert [r.drop_off for r in f] == pytest.approx([1 / 7, 0.0, 1 / 4, 0.0])
    # lost where they were when lost: gamma in Lead, beta in Qualified (after moving back from Proposal)
    assert [r.lost_here for r in f] == [1, 1, 0, 0]
    assert [r.lost_here_value for r in f] == [{"EUR": Decimal(4000)}, {"EUR": Decimal(6000)}, {}, {}]
    assert sum(r.lost_here for r in f) == sum(r.lost for r in f) == 2
    lead, _, proposal, _ = f
    assert lead.reached_value == {"EUR": Decimal(36000), "PLN": Decimal(20000)}
    assert lead.advanced_value == {"EUR": Decimal(29000), "PLN": Decimal(20000)}
    assert (lead.lost_value, lead.open_value) == ({"EUR": Decimal(4000)}, {"EUR": Decimal(3000)})
    assert proposal.reached_value == {"EUR": Decimal(24000), "PLN": Decimal(20000)}
    assert proposal.advanced_value == {"EUR": Decimal(10000), "PLN": Decimal(20000)}
    assert (proposal.lost_value, proposal.open_value) == ({"EUR": Decimal(6000)}, {"EUR": Decimal(8000)})


def test_time_in_stage() -> None:
    f = build_report(example(), PIPELINE, AS_OF).funnel
    # the headline: Kaplan-Meier, the deals still in the stage counted so far
    assert [(r.all_days_median, r.all_days_above, r.all_days_deals) for r in f] == [
        (3.0, None, 7),
        (5.0, None, 5),
        (7.0, None, 3),
        (None, None, 0),
    ]
    # the finished ones alone
    assert [(r.days_median, r.days_deals) for r in f] == [(2.5, 6), (5.0, 4), (4.5, 2), (None, 0)]
    assert [r.days_mean for r in f][:3] == pytest.approx([16 / 6, 22 / 4, 9 / 2])
    assert [(r.open_now, r.open_age_median) for r in f] == [(1, 11.0), (1, 8.0), (1, 10.0), (0, None)]


def lead_stage(entries: list[tuple[int, int | None]], as_of: date) -> StageRow:
    """A one-stage funnel of deals created in lead on day a, moved on on day b (None: still there)."""
    deals = [
        deal(f"p{i}", "100", "EUR", [(a, "lead")] + ([(b, "qualified")] if b else []))
        for i, (a, b) in enumerate(entries)
    ]
    return build_report(deals, PIPELINE, as_of).funnel[0]


def test_time_in_stage_median_not_reached_and_ties() -> None:
    # not reached: left after 1 and 3 days; still in lead after 4 and 6 days (as of the 10th)
    row = lead_stage([(1, 2), (1, 4), (7, None), (5, None)], date(2026, 3, 10))
    assert (row.all_days_median, row.all_days_above, row.days_median) == (None, 6.0, 2.0)
    assert report_data_row(row)["time_in_stage_all_median_above_days"] == 6.0
    assert "     >6.0 " in time_table([row], "simple")
    # ties: two left after exactly 2 days, one has been in lead exactly 2 days (the cut-off is the 11th)
    row = lead_stage([(1, 3), (2, 4), (9, None)], date(2026, 3, 10))
    assert (row.all_days_median, row.all_days_deals, row.open_now) == (2.0, 3, 1)
    # with no one left in the stage, the Kaplan-Meier median is the ordinary median
    row = lead_stage([(1, 3), (1, 5), (1, 7), (1, 9)], date(2026, 3, 10))
    assert row.all_days_median == row.days_median == 5.0


def test_velocity_textbook_form_divides_by_the_mean_days_to_win() -> None:
    won = [
        deal(f"w{i}", v, "EUR", [(1, "lead"), (1 + days, "won")])
        for i, (v, days) in enumerate([("3000", 10), ("4000", 12), ("5000", 26)])
    ]
    lost = [deal("l", "100", "EUR", [(1, "lead"), (2, "lost:price")])]
    still_open = [deal(f"o{i}", "100", "EUR", [(1, "lead")]) for i in range(4)]
    (v,) = build_report(won + lost + still_open, PIPELINE, date(2026, 3, 31)).velocity
    assert (v.open, v.win_rate, v.average_won_value) == (4, 0.75, Decimal(4000))
    assert (v.median_days_to_win, v.mean_days_to_win) == (12.0, 16.0)
    assert (v.per_day, v.per_day_mean_cycle) == (Decimal("1000.00"), Decimal("750.00"))


def test_velocity_forecast_lost_reasons() -> None:
    r = build_report(example(), PIPELINE, AS_OF)
    eur, pln = r.velocity
    assert (eur.open, eur.win_rate, eur.average_won_value, eur.median_days_to_win) == (3, 1 / 3, 10000, 14.0)
    assert eur.per_day == eur.per_day_mean_cycle == Decimal("714.29")
    assert (pln.open, pln.win_rate, pln.average_won_value, pln.median_days_to_win) == (0, 1.0, 20000, 9.0)
    assert pln.per_day == pln.per_day_mean_cycle == Decimal(0)
    assert (eur.mean_days_to_win, pln.mean_days_to_win) == (14.0, 9.0)
    assert [(b.kind, b.month, b.deals, b.value, b.weighted) for b in r.forecast] == [
        ("past", None, 1, {"EUR": 3000}, {"EUR": 300}),
        ("month", "2026-04", 1, {"EUR": 8000}, {"EUR": 4000}),
        ("none", None, 1, {"EUR": 5000}, {"EUR": 1500}),
    ]
    assert [(x.reason, x.deals, x.value) for x in r.lost_reasons] == [
        ("no budget", 1, {"EUR": 4000}),
        ("price", 1, {"EUR": 6000}),
    ]


def test_strict_funnel() -> None:
    f = build_report(example(), PIPELINE, ReportSpec(AS_OF, strict=True)).funnel
    assert [r.reached for r in f] == [7, 5, 3, 0]
    assert [r.advanced for r in f] == [5, 3, 0, 0]
    assert [r.lost for r in f] == [1, 0, 1, 0]
    assert [r.open for r in f] == [1, 1, 1, 0]
    assert [r.skipped for r in f] == [0, 1, 1, 0]


def test_as_of_before_the_win() -> None:
    t = build_report(example(), PIPELINE, date(2026, 3, 15)).totals
    assert (t.deals, t.open, t.won, t.lost) == (7, 4, 1, 2)
    assert t.win_rate == pytest.approx(1 / 3)


def test_groups_by_owner() -> None:
    report = build_report(example(), PIPELINE, ReportSpec(AS_OF, by="owner"))
    groups = report.groups
    got = [(g.key, g.totals.deals, g.totals.won, g.totals.lost, g.totals.win_rate) for g in groups]
    assert got == [("anna", 2, 1, 1, 0.5), ("bob", 3, 1, 1, 0.5), (None, 2, 0, 0, None)]
    eur, pln = "EUR", "PLN"
    full = [
        (
            g.totals.open,
            g.totals.won_value,
            g.totals.open_value,
            g.totals.weighted_value,
            g.totals.lost_value,
            g.totals.median_cycle_days,
            g.totals.stale,
            g.totals.overdue_next_steps,
        )
        for g in groups
    ]
    assert full == [
        (0, {eur: 10000}, {}, {}, {eur: 6000}, 14.0, 0, 0),
        (1, {pln: 20000}, {eur: 8000}, {eur: 4000}, {eur: 4000}, 9.0, 1, 1),
        (2, {}, {eur: 8000}, {eur: 1800}, {}, None, 0, 0),
    ]
    assert sum(g.totals.deals for g in groups) == report.totals.deals == 7
    assert sum(g.totals.open for g in groups) == report.totals.open == 3


EXAMPLE_RATES = "- 2026-03-01 EUR PLN 4.25\n- 2026-03-15 EUR PLN 4.30\n"


def _in(currency: str):
    from pathlib import Path

    from pipecli.rates import read_rates

    table, problems = read_rates(Path("rates.yaml"), EXAMPLE_RATES)
    assert problems == []
    assert f"```yaml\n{EXAMPLE_RATES}```" in DOC.read_text(encoding="utf-8")
    return build_report(example(), PIPELINE, ReportSpec(AS_OF, currency=currency, rates=table))


def test_one_currency() -> None:
    eur = _in("EUR")
    assert eur.totals.won_value == {"EUR": Decimal("14705.88")}  # 10,000 + 20,000 / 4.25
    assert [r.text() for r in eur.rates_used] == ["2026-03-01 EUR PLN 4.25"]
    pln = _in("PLN")
    t = pln.totals
    assert t.won_value == {"PLN": Decimal(63000)}  # alfa 10,000 x 4.30 (won on the 16th) + delta 20,000
    assert t.lost_value == {"PLN": Decimal(42500)}  # beta 6,000 x 4.25 + gamma 4,000 x 4.25
    assert t.open_value == {"PLN": Decimal(68800)}  # 16,000 x 4.30, the as-of day
    assert t.weighted_value == {"PLN": Decimal(24940)}
    assert [(v.currency, v.per_day) for v in pln.velocity] == [("PLN", Decimal("4108.70"))]
    assert [r.text() for r in pln.rates_used] == ["2026-03-01 EUR PLN 4.25", "2026-03-15 EUR PLN 4.30"]
    text = DOC.read_text(encoding="utf-8")
    for shown in ("14,705.88 EUR", "| 63,000 |", "| 42,500 |", "| 68,800 |", "| 24,940 |", "| 4,108.70 |"):
        assert shown in text


def test_calibration() -> None:
    from pipecli.calibration import wilson

    rows = build_report(example(), PIPELINE, ReportSpec(AS_OF, calibration=True)).calibration
    assert rows is not None
    assert [(c.probability, c.closed, c.won) for c in rows] == [(0.1, 4, 2), (0.3, 3, 2), (0.6, 3, 2), (0.8, 2, 2)]
    assert [round(c.observed or 0, 3) for c in rows] == [0.5, 0.667, 0.667, 1.0]
    assert [(round(c.low or 0, 3), round(c.high or 0, 3)) for c in rows] == [
        (0.15, 0.85),
        (0.208, 0.939),
        (0.208, 0.939),
        (0.342, 1.0),
    ]
    assert [c.verdict for c in rows] == ["too_few"] * 4
    strict = build_report(example(), PIPELINE, ReportSpec(AS_OF, calibration=True, strict=True)).calibration
    assert strict is not None
    assert [(c.closed, c.won) for c in strict] == [(4, 2), (3, 2), (2, 1), (0, 0)]
    low, high = wilson(4, 13)
    assert (round(low, 3), round(high, 3)) == (0.127, 0.576)
    text = DOC.read_text(encoding="utf-8")
    assert "| Lead | 0.1 | 4 | 2 | 0.5 | 0.150 to 0.850 | too_few |" in text
    assert "the interval is 0.127 to 0.576" in text


def test_the_page_shows_the_json_the_code_gives() -> None:
    """The JSON excerpt on the page is the funnel row the code produces for Proposal."""
    text = DOC.read_text(encoding="utf-8")
    data = report_data(build_report(example(), PIPELINE, AS_OF))
    block = re.search(r"```json\n(\{\n  \"stage\": \"proposal\".*?\n\})\n```", text, re.S)
    assert block is not None, "docs/metrics.md lost its JSON example of the proposal row"
    assert json.loads(block.group(1)) == data["funnel"][2]
    totals = re.search(r"```json\n(\{\n  \"deals\".*?\n\})\n```", text, re.S)
    assert totals is not None
    assert json.loads(totals.group(1)) == data["totals"]
    assert f"| `version` | the contract's version: `{data['version']}` |" in text


def test_the_page_lists_every_json_key() -> None:
    """Every key the code writes is named on the page, in the table of the JSON contract."""
    text = DOC.read_text(encoding="utf-8")
    contract = text.split("### JSON: the contract for scripts", 1)[1].split("The example's `totals`", 1)[0]
    named = set(re.findall(r"`([a-z_]+)`", contract))
    from pathlib import Path

    from pipecli.rates import read_rates

    table = read_rates(Path("rates.yaml"), EXAMPLE_RATES)[0]
    spec = ReportSpec(AS_OF, by="owner", currency="EUR", rates=table, calibration=True)
    data = report_data(build_report(example(), PIPELINE, spec))
    keys = set(data) | set(data["totals"]) | set(data["funnel"][0]) | set(data["velocity"][0])
    keys |= set(data["forecast"][0]) | set(data["lost_reasons"][0]) | set(data["groups"][0])
    periods = report_data(example_week_report())
    keys |= set(periods) | set(periods["period"]) | set(periods["periods"][0])
    keys |= set(periods["periods"][0]["reached"][0]) | set(periods["periods"][0]["forecast"])
    keys |= set(periods["periods"][0]["top_lost_reason"] or {}) | set(periods["periods"][1]["top_lost_reason"])
    keys |= set(data["rates_used"][0]) | set(data["calibration"][0])
    assert keys <= named, keys - named


def report_data_row(row: StageRow) -> dict:
    from pipecli.render.report import stage_data

    return stage_data(row)


# -- periods ------------------------------------------------------------------------------
def example_week_report():
    """`pipe report --period week --since 2026-03-02 --as-of 2026-03-22`: W10, W11, W12."""
    from zoneinfo import ZoneInfo

    from pipecli.periods import PeriodSpec

    spec = ReportSpec(
        date(2026, 3, 22), zone=ZoneInfo("Europe/Warsaw"), periods=PeriodSpec("week", since=date(2026, 3, 2))
    )
    return build_report(example(), PIPELINE, spec)


def example_weeks():
    periods = example_week_report().periods
    assert periods is not None
    return periods


def test_periods_events() -> None:
    w10, w11, w12 = example_weeks().periods
    assert [(p.label, p.start, p.end) for p in (w10, w11, w12)] == [
        ("2026-W10", date(2026, 3, 2), date(2026, 3, 8)),
        ("2026-W11", date(2026, 3, 9), date(2026, 3, 15)),
        ("2026-W12", date(2026, 3, 16), date(2026, 3, 22)),
    ]
    assert [p.new for p in (w10, w11, w12)] == [6, 1, 0]
    assert w10.new_value == {"EUR": Decimal(33000), "PLN": Decimal(20000)}
    # beta reached Qualified on the 5th, by jumping to Proposal; delta reached Negotiation by its win
    assert [[r.deals for r in p.reached] for p in (w10, w11, w12)] == [[6, 5, 1, 0], [1, 0, 3, 1], [0, 0, 0, 1]]
    assert [(p.won, p.won_value) for p in (w10, w11, w12)] == [
        (0, {}),
        (1, {"PLN": Decimal(20000)}),
        (1, {"EUR": Decimal(10000)}),
    ]
    # eta, lost on the 9th and reopened on the 13th, is not lost as of the 22nd: it counts in no week
    assert [(p.lost, p.lost_value, p.top_lost_reason) for p in (w10, w11, w12)] == [
        (1, {"EUR": Decimal(4000)}, "no budget"),
        (1, {"EUR": Decimal(6000)}, "price"),
        (0, {}, None),
    ]
    assert [p.win_rate for p in (w10, w11, w12)] == [0.0, 0.5, 1.0]
    assert [p.median_cycle_days for p in (w10, w11, w12)] == [None, 9.0, 14.0]
    assert [(p.slipped, p.slip_days) for p in (w10, w11, w12)] == [(0, 0), (1, 6), (0, 0)]  # zeta, 12th to 18th


def test_periods_pipeline_at_the_end_and_the_forecast() -> None:
    pr = example_weeks()
    w10, w11, w12 = pr.periods
    assert (w10.open, w10.open_value, w10.weighted_value) == (
        5,
        {"EUR": Decimal(29000), "PLN": Decimal(20000)},
        {"EUR": Decimal(10300), "PLN": Decimal(6000)},
    )
    assert (w11.open, w11.open_value, w11.weighted_value) == (4, {"EUR": Decimal(26000)}, {"EUR": Decimal(11800)})
    assert (w12.open, w12.open_value, w12.weighted_value) == (3, {"EUR": Decimal(16000)}, {"EUR": Decimal(5800)})
    assert [(p.forecast_deals, p.forecast_wins, p.forecast_value) for p in (w10, w11, w12)] == [
        (0, 0.0, {}),
        (0, 0.0, {}),
        (1, 0.1, {"EUR": Decimal(300)}),  # zeta, expected on the 18th, 3,000 x 0.1
    ]
    assert [p.forecast_error for p in (w10, w11, w12)] == [{}, {"PLN": -1.0}, {"EUR": pytest.approx(-0.97)}]
    assert pr.forecast_mape == {"EUR": pytest.approx(0.97), "PLN": 1.0}
    assert pr.forecast_graded == {"EUR": 1, "PLN": 1}


def test_the_page_shows_the_periods_json_the_code_gives() -> None:
    text = DOC.read_text(encoding="utf-8")
    data = report_data(example_week_report())
    block = re.search(r"```json\n(\{\n  \"start\": \"2026-03-09\".*?\n\})\n```", text, re.S)
    assert block is not None, "docs/metrics.md lost its JSON example of a period"
    assert json.loads(block.group(1)) == json.loads(to_json(data["periods"][1]))
    period = re.search(r"```json\n(\{\n  \"unit\": \"week\".*?\n\})\n```", text, re.S)
    assert period is not None, "docs/metrics.md lost its JSON example of the period key"
    assert json.loads(period.group(1)) == json.loads(to_json(data["period"]))
