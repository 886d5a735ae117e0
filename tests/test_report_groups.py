"""`pipe report --by owner|source|tag`: every group's full totals, in every format, names not cut needlessly.

The pipeline (default stages lead .1, qualified .25, meeting .4, proposal .6, negotiation .8; EUR):
  a  10,000 EUR  Bartholomew Longname-Wiśniewski  lead 03-02, won 03-12              cycle 10 days
  b   4,000 EUR  Bartholomew Longname-Wiśniewski  lead 03-03, lost 03-05
  c   6,000 EUR  Bartholomew Longname-Wiśniewski  lead 03-04, proposal 03-06, open, next step due 03-10
  d   2,000 PLN  anna                            lead 03-05, open
As of 03-20 the long owner has 3 deals: 1 open, 1 won, 1 lost, win rate 50%, won 10,000 EUR,
open 6,000 EUR, weighted 6,000 x 0.6 = 3,600 EUR, lost 4,000 EUR, cycle 10.0 days, one stale
(its next step is overdue) and anna 1 open deal of 2,000 PLN, weighted 200 PLN, stale 1 (idle 15 days).
"""

from __future__ import annotations

import json
import os
from decimal import Decimal

import pytest
from deal_strategies import PIPELINE, deals_with_ids
from hypothesis import given, settings
from hypothesis import strategies as st

from pipecli.report import ReportSpec, Totals, build_report

LONG = "Bartholomew Longname-Wiśniewski"


@pytest.fixture
def team(pipe):
    a = pipe.add("Alpha", "--id", "a", "--value", "10000", "--owner", LONG, "--at", "2026-03-02")
    pipe("won", a, "--at", "2026-03-12")
    b = pipe.add("Beta", "--id", "b", "--value", "4000", "--owner", LONG, "--at", "2026-03-03")
    pipe("lost", b, "--reason", "price", "--at", "2026-03-05")
    c = pipe.add("Gamma", "--id", "c", "--value", "6000", "--owner", LONG, "--at", "2026-03-04")
    pipe("move", c, "proposal", "--at", "2026-03-06")
    pipe("next", c, "Send offer", "--due", "2026-03-10", "--at", "2026-03-06")
    pipe.add("Delta", "--id", "d", "--value", "2000", "--currency", "PLN", "--owner", "anna", "--at", "2026-03-05")
    return pipe


def test_each_group_has_its_full_totals_in_json(team) -> None:
    data = json.loads(team("report", "--as-of", "2026-03-20", "--by", "owner", "--format", "json").stdout)
    groups = {g["key"]: g["totals"] for g in data["groups"]}
    long = groups[LONG]
    assert (long["deals"], long["open"], long["won"], long["lost"], long["win_rate"]) == (3, 1, 1, 1, 0.5)
    assert long["won_value"] == {"EUR": 10000} and long["lost_value"] == {"EUR": 4000}
    assert long["open_value"] == {"EUR": 6000} and long["weighted_value"] == {"EUR": 3600}
    assert long["median_cycle_days"] == 10.0
    assert (long["stale"], long["overdue_next_steps"], long["stale_value"]) == (1, 1, {"EUR": 6000})
    anna = groups["anna"]
    assert (anna["open"], anna["open_value"], anna["weighted_value"], anna["stale"]) == (
        1,
        {"PLN": 2000},
        {"PLN": 200},
        1,
    )


def _table_lines(out: str, title: str) -> list[str]:
    lines = out.split(f"\n{title}\n", 1)[1].splitlines()
    return lines[: lines.index("")]


def test_the_tables_show_every_total_and_the_whole_name_when_there_is_room(team, run_pipe) -> None:
    out = team("report", "--as-of", "2026-03-20", "--by", "owner").stdout  # not a terminal: every column
    header, _, anna, long = _table_lines(out, "By owner")  # in name order
    assert header.split() == ["owner", "deals", "open", "won", "lost", "won/closed", "cycle", "stale", "overdue"]
    assert long.startswith(LONG + "  ")  # cut to 16 columns before
    assert long.split()[2:] == ["3", "1", "1", "1", "50%", "10.0", "1", "1"]
    assert anna.split() == ["anna", "1", "1", "0", "0", "-", "-", "1", "0"]
    header, _, anna, long = _table_lines(out, "Value by owner")
    assert header.split() == ["owner", "won", "value", "open", "value", "weighted", "lost", "value"]
    assert long.split()[2:] == ["10,000", "EUR", "6,000", "EUR", "3,600", "EUR", "4,000", "EUR"]
    assert anna.split() == ["anna", "-", "2,000", "PLN", "200", "PLN", "-"]
    # a terminal 100 columns wide: the name whole, every column
    wide = run_pipe(
        "-C", str(team.root), "report", "--as-of", "2026-03-20", "--by", "owner", env={**os.environ, "COLUMNS": "100"}
    ).stdout
    for title in ("By owner", "Value by owner"):
        lines = _table_lines(wide, title)
        assert lines[3].startswith(LONG + "  ")
        assert all(len(line) <= 100 for line in lines) and lines[0].split()[-1] in ("overdue", "value")
    # 50 columns: 24 columns of the name at least, the last columns give way first
    narrow = run_pipe(
        "-C", str(team.root), "report", "--as-of", "2026-03-20", "--by", "owner", env={**os.environ, "COLUMNS": "50"}
    ).stdout
    lines = _table_lines(narrow, "By owner")
    assert all(len(line) <= 50 for line in lines)
    assert lines[3].startswith("Bartholomew Longname-Wiś") and "overdue" not in lines[0]
    assert lines[0].split()[:2] == ["owner", "deals"]


def test_markdown_has_every_total_per_group(team) -> None:
    md = team("report", "--as-of", "2026-03-20", "--by", "owner", "--format", "markdown").stdout

    def row(title: str) -> list[str]:
        section = md.split(f"## {title}\n", 1)[1]
        line = next(x for x in section.splitlines() if x.startswith(f"| {LONG}"))
        return [c.strip() for c in line.strip("|").split("|")]

    assert row("By owner") == [LONG, "3", "1", "1", "1", "50%", "10.0", "1", "1"]
    assert row("Value by owner") == [LONG, "10,000 EUR", "6,000 EUR", "3,600 EUR", "4,000 EUR"]


MONEY = ("won_value", "open_value", "lost_value", "stale_value")
COUNTS = ("deals", "open", "won", "lost", "back_moves", "stale", "overdue_next_steps")


def _sum_money(parts: list[Totals], key: str) -> dict[str, Decimal]:
    out: dict[str, Decimal] = {}
    for t in parts:
        for cur, v in getattr(t, key).items():
            out[cur] = out.get(cur, Decimal(0)) + v
    return out


@settings(max_examples=80, deadline=None)
@given(deals_with_ids(8), st.sampled_from(["owner", "source"]), st.integers(0, 80))
def test_owner_and_source_groups_add_up_to_the_totals(deals, by, day) -> None:
    from datetime import date, timedelta

    as_of = date(2026, 1, 5) + timedelta(days=day)
    r = build_report(deals, PIPELINE, ReportSpec(as_of, by=by))
    parts = [g.totals for g in r.groups]
    for key in COUNTS:
        assert sum(getattr(t, key) for t in parts) == getattr(r.totals, key), key
    for key in MONEY:
        assert _sum_money(parts, key) == {c: v for c, v in getattr(r.totals, key).items()}, key
    # weighted values are rounded to cents per group: the sum is within half a cent a group
    summed = _sum_money(parts, "weighted_value")
    assert set(summed) == set(r.totals.weighted_value)
    for cur, v in r.totals.weighted_value.items():
        assert abs(summed[cur] - v) <= Decimal("0.005") * len(parts)


@settings(max_examples=40, deadline=None)
@given(deals_with_ids(8), st.integers(0, 80))
def test_tag_groups_overlap_and_cover_every_deal(deals, day) -> None:
    from datetime import date, timedelta

    as_of = date(2026, 1, 5) + timedelta(days=day)
    r = build_report(deals, PIPELINE, ReportSpec(as_of, by="tag"))
    # a deal is in every one of its tag groups (at least one: "(none)"), so the groups add up
    # to at least the totals, and to exactly the totals only when no deal has two tags
    assert sum(g.totals.deals for g in r.groups) >= r.totals.deals
