"""`pipe report --period` end to end: the installed `pipe` on a pipeline built with --at, the demo's
table in 80 columns and in ASCII, the HTML page read back against the JSON, CSV, usage errors."""

from __future__ import annotations

import csv
import io
import json
import os
import re
from decimal import Decimal
from pathlib import Path
from typing import Any

from conftest import Pipe
from hypothesis import given
from hypothesis import strategies as st
from terminal_helpers import DEMO
from test_html import assert_self_contained, read_page, same, same_money, same_rate
from test_no_traceback import HOSTILE as HOSTILE_SETTINGS
from test_no_traceback import assert_clean, words
from wcwidth import wcswidth

AS_OF = "2026-11-20"


def month_pipeline(make_pipe: Any) -> Pipe:
    """Stages a, b, c (probabilities 0.25, 0.5, 0.75, the even ladder), EUR, Warsaw time:

    one: created 01-10 in a, expected 02-15; b 01-20; won 02-10 (31 days)
    two: created 01-15 in a, expected 02-20; lost 02-25 (price)
    three: created 02-05 in b, expected 03-10; on 03-05 the close date moves to 04-30 (51 days later)
    """
    p = make_pipe("--stages", "a,b,c", "--currency", "EUR")
    one = p.add("One", "--value", "1000", "--close-date", "2026-02-15", "--at", "2026-01-10")
    p("move", one, "b", "--at", "2026-01-20")
    p("won", one, "--at", "2026-02-10")
    two = p.add("Two", "--value", "2000", "--close-date", "2026-02-20", "--at", "2026-01-15")
    p("lost", two, "--reason", "price", "--at", "2026-02-25")
    three = p.add("Three", "--value", "4000", "--stage", "b", "--close-date", "2026-03-10", "--at", "2026-02-05")
    p("set", three, "close_date=2026-04-30", "--at", "2026-03-05")
    return p


def json_of(run_pipe: Any, *args: str) -> dict[str, Any]:
    r = run_pipe(*args, "--format", "json")
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)


def test_months_of_a_hand_built_pipeline_through_the_installed_pipe(make_pipe: Any, run_pipe: Any) -> None:
    p = month_pipeline(make_pipe)
    args = ["-C", str(p.root), "report", "--period", "month", "--since", "2026-01-01", "--as-of", "2026-03-20"]
    data = json_of(run_pipe, *args)
    assert data["period"] == {
        "unit": "month",
        "start": "2026-01-01",
        "end": "2026-03-20",
        "forecast_mape": {"EUR": 0.0},
        "forecast_graded": {"EUR": 1},
    }
    jan, feb, mar = data["periods"]
    assert [(x["start"], x["end"], x["label"], x["partial"]) for x in (jan, feb, mar)] == [
        ("2026-01-01", "2026-01-31", "2026-01", False),
        ("2026-02-01", "2026-02-28", "2026-02", False),
        ("2026-03-01", "2026-03-20", "2026-03", True),
    ]
    assert [(x["new"], x["new_value"]) for x in (jan, feb, mar)] == [(2, {"EUR": 3000}), (1, {"EUR": 4000}), (0, {})]
    # one reaches c by its win in February; three, created in b, reaches a and b then
    assert [[s["deals"] for s in x["reached"]] for x in (jan, feb, mar)] == [[2, 1, 0], [1, 1, 1], [0, 0, 0]]
    assert (feb["won"], feb["won_value"], feb["lost"], feb["lost_value"]) == (1, {"EUR": 1000}, 1, {"EUR": 2000})
    assert (feb["top_lost_reason"], feb["win_rate"], feb["median_cycle_days"]) == (
        {"reason": "price", "deals": 1},
        0.5,
        31.0,
    )
    assert (jan["won"], jan["lost"], jan["top_lost_reason"], jan["win_rate"]) == (0, 0, None, None)
    # at each month's end: one b 1000 x 0.5 + two a 2000 x 0.25; then three b 4000 x 0.5
    assert [(x["open"], x["open_value"], x["weighted_value"]) for x in (jan, feb, mar)] == [
        (2, {"EUR": 3000}, {"EUR": 1000}),
        (1, {"EUR": 4000}, {"EUR": 2000}),
        (1, {"EUR": 4000}, {"EUR": 2000}),
    ]
    # February began with one (0.5) and two (0.25) expected in it: 1,000 EUR weighted, and 1,000 was won
    assert [x["forecast"] for x in (jan, feb, mar)] == [
        {"deals": 0, "wins": 0.0, "weighted_value": {}, "error": {}},
        {"deals": 2, "wins": 0.75, "weighted_value": {"EUR": 1000}, "error": {"EUR": 0.0}},
        {"deals": 1, "wins": 0.5, "weighted_value": {"EUR": 2000}, "error": None},
    ]
    assert [(x["slipped"], x["slip_days"]) for x in (jan, feb, mar)] == [(0, 0), (0, 0), (1, 51)]
    # the snapshot at each period's end is `pipe report --as-of END`
    for x in data["periods"]:
        plain = json_of(run_pipe, "-C", str(p.root), "report", "--as-of", x["end"])["totals"]
        assert (x["open"], x["open_value"], x["weighted_value"]) == (
            plain["open"],
            plain["open_value"],
            plain["weighted_value"],
        )
    # the rest of the report is the plain one as of the as-of day, with no cohort
    plain = json_of(run_pipe, "-C", str(p.root), "report", "--as-of", "2026-03-20")
    assert data["totals"] == plain["totals"] and data["funnel"] == plain["funnel"]
    assert data["filters"]["since"] is None
    # as of a day in February, March does not exist yet and February is cut there
    early = json_of(run_pipe, "-C", str(p.root), "report", "--period", "month", "--as-of", "2026-02-12")
    assert [(x["label"], x["end"], x["won"]) for x in early["periods"]] == [
        ("2025-11", "2025-11-30", 0),
        ("2025-12", "2025-12-31", 0),
        ("2026-01", "2026-01-31", 0),
        ("2026-02", "2026-02-12", 1),
    ]


def test_filters_and_strict_reach_the_periods(make_pipe: Any, run_pipe: Any) -> None:
    p = month_pipeline(make_pipe)
    base = ["-C", str(p.root), "report", "--period", "month", "--since", "2026-01-01", "--as-of", "2026-03-20"]
    strict = json_of(run_pipe, *base, "--strict")
    # three was created in b: not in the strict funnel; one's run is a, b, and it was won without c
    assert [[s["deals"] for s in x["reached"]] for x in strict["periods"]] == [[2, 1, 0], [0, 0, 0], [0, 0, 0]]
    p("set", p.add("Four", "--value", "700", "--at", "2026-01-03"), "owner=anna", "--at", "2026-01-04")
    anna = json_of(run_pipe, *base, "--owner", "anna")
    assert [x["new"] for x in anna["periods"]] == [1, 0, 0]
    assert [x["new_value"] for x in anna["periods"]] == [{"EUR": 700}, {}, {}]


def test_the_table_fits_80_columns_and_a_long_range_comes_in_blocks(run_pipe: Any) -> None:
    env = {"COLUMNS": "80"}
    r = run_pipe("-C", str(DEMO), "report", "--as-of", AS_OF, "--period", "month", env=env)
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert max(wcswidth(line) for line in lines) <= 80
    assert lines[0] == "Demo Sales pipeline as of 2026-11-20, by month"
    head = next(line for line in lines if line.startswith("figure"))
    assert head.split() == ["figure", "2026-08", "2026-09", "2026-10", "2026-11*"]  # four periods side by side
    assert "*: up to the as-of day" in r.stdout
    assert any(line.startswith("won value EUR") and "█" in line for line in lines)  # the trend
    r = run_pipe("-C", str(DEMO), "report", "--as-of", AS_OF, "--period", "week", "--since", "2026-05-01", env=env)
    assert r.returncode == 0, r.stderr
    heads = [line.split()[1:] for line in r.stdout.splitlines() if line.startswith("figure")]
    assert len(heads) > 2 and max(wcswidth(line) for line in r.stdout.splitlines()) <= 80
    weeks = [w for h in heads for w in h]
    assert weeks[0] == "2026-W18" and weeks[-1] == "2026-W47*" and len(weeks) == 30  # every week, once, in order
    # into a file without COLUMNS: every period in one table
    r = run_pipe("-C", str(DEMO), "report", "--as-of", AS_OF, "--period", "week", "--since", "2026-05-01")
    assert len([line for line in r.stdout.splitlines() if line.startswith("figure")]) == 1


def test_ascii_output_draws_the_trend_in_ascii(run_pipe: Any) -> None:
    env = {"COLUMNS": "80", "PYTHONIOENCODING": "ascii"}
    r = run_pipe("-C", str(DEMO), "report", "--as-of", AS_OF, "--period", "month", env=env)
    assert r.returncode == 0, r.stderr
    assert r.stdout.isascii()
    lines = r.stdout.splitlines()
    at = lines[lines.index("Trend") + 1].index("2026-08")  # the sparklines start under the first period
    trend = {line[:at].strip(): line[at : at + 4] for line in lines if line.startswith(("won value", "open at"))}
    data = json_of(run_pipe, "-C", str(DEMO), "report", "--as-of", AS_OF, "--period", "month")
    won = [Decimal(str(x["won_value"].get("EUR", 0))) for x in data["periods"]]
    assert won == [0, 27000, 82400, 0]
    assert trend["won value EUR"] == " ,# "  # 27,000 of 82,400 is the third of eight steps; none is blank


def test_the_page_shows_every_period_figure_of_the_json(run_pipe: Any) -> None:
    args = ["-C", str(DEMO), "report", "--as-of", AS_OF, "--period", "month", "--since", "2026-06-01"]
    r = run_pipe(*args, "--format", "html")
    assert r.returncode == 0, r.stderr
    page = read_page(r.stdout)
    assert_self_contained(r.stdout, page)
    data = json_of(run_pipe, *args)
    periods = data["periods"]
    table = page.tables["periods"]
    assert table[0] == ["figure"] + [x["label"] + ("*" if x["partial"] else "") for x in periods]
    rows = {row[0]: row[1:] for row in table[1:]}
    keys = {
        "new deals": "new",
        "won": "won",
        "won value": "won_value",
        "lost": "lost",
        "lost value": "lost_value",
        "median cycle, days": "median_cycle_days",
        "open at end": "open",
        "open value at end": "open_value",
        "weighted at end": "weighted_value",
        "close dates slipped": "slipped",
        "slip, days": "slip_days",
    }
    for name, key in keys.items():
        for shown, x in zip(rows[name], periods, strict=True):
            if key == "median_cycle_days" and x[key] is not None:  # to one decimal, as the tables show days
                assert abs(float(shown) - x[key]) <= 0.05 + 1e-9
            else:
                assert same(shown, x[key]), (name, shown, x[key])
    for shown, x in zip(rows["won/closed"], periods, strict=True):
        assert same_rate(shown, x["win_rate"])
    for shown, x in zip(rows["top lost reason"], periods, strict=True):
        top = x["top_lost_reason"]
        assert shown == ("-" if top is None else f"{top['reason'] or '(no reason)'} ({top['deals']})")
    for i, stage in enumerate(data["funnel"]):
        assert [int(c) for c in rows[f"reached {stage['label']}"]] == [x["reached"][i]["deals"] for x in periods]
    accuracy = page.tables["accuracy"][1:]
    assert len(accuracy) == len(periods)
    for row, x in zip(accuracy, periods, strict=True):
        f = x["forecast"]
        assert row[0].rstrip("*") == x["label"] and row[1] == str(f["deals"]) and float(row[2]) == f["wins"]
        assert (
            row[3] == str(x["won"]) and same_money(row[4], f["weighted_value"]) and same_money(row[5], x["won_value"])
        )
        if f["error"] is None:
            assert row[6] == "(partial)"
        else:
            shown = dict(reversed(line.split(" ")) for line in row[6].split("\n")) if f["error"] else {}
            assert shown.keys() == f["error"].keys()
            for c, e in f["error"].items():
                assert shown[c] == "-" if e is None else abs(float(shown[c].rstrip("%")) - e * 100) <= 0.5
    # the trend: a column per period and currency, its value and height as the JSON says
    bars = [a for t, a in page.tags if t == "rect" and a.get("class") == "trend-bar"]
    for figure in ("won_value", "open_value"):
        currencies = sorted({c for x in periods for c in x[figure]})
        mine = [a for a in bars if a["data-figure"] == figure]
        assert len(mine) == len(currencies) * len(periods)
        for c in currencies:
            values = [Decimal(a["data-value"]) for a in mine if a["data-currency"] == c]
            assert values == [Decimal(str(x[figure].get(c, 0))) for x in periods]
            heights = [float(a["height"]) for a in mine if a["data-currency"] == c]
            assert heights.index(max(heights)) == values.index(max(values))
    shown = page.by_id["mape"].removeprefix("mean absolute percentage error: ").split("; ")
    mape, graded = data["period"]["forecast_mape"], data["period"]["forecast_graded"]
    assert [part.split(" ")[1] for part in shown] == list(mape)
    for part, (c, v) in zip(shown, mape.items(), strict=True):
        assert same_rate(part.split(" ")[0], v) and f"({graded[c]} period" in part


def test_csv_has_a_row_per_period_with_the_json_s_figures(run_pipe: Any) -> None:
    args = ["-C", str(DEMO), "report", "--as-of", AS_OF, "--period", "quarter"]
    r = run_pipe(*args, "--format", "csv")
    assert r.returncode == 0, r.stderr
    rows = list(csv.DictReader(io.StringIO(r.stdout)))
    data = json_of(run_pipe, *args)
    assert [row["label"] for row in rows] == [x["label"] for x in data["periods"]]
    assert [x["label"] for x in data["periods"]] == ["2026-Q1", "2026-Q2", "2026-Q3", "2026-Q4"]
    for row, x in zip(rows, data["periods"], strict=True):
        assert (int(row["won"]), int(row["lost"]), int(row["new"])) == (x["won"], x["lost"], x["new"])
        for c in ("EUR", "GBP", "PLN", "THB", "USD"):
            assert Decimal(row[f"won_value_{c}"]) == Decimal(str(x["won_value"].get(c, 0)))
            assert Decimal(row[f"weighted_value_{c}"]) == Decimal(str(x["weighted_value"].get(c, 0)))
        assert [int(row[f"reached_{s['stage']}"]) for s in x["reached"]] == [s["deals"] for s in x["reached"]]


def test_markdown_and_yaml_carry_the_periods(run_pipe: Any) -> None:
    args = ["-C", str(DEMO), "report", "--as-of", AS_OF, "--period", "year"]
    md = run_pipe(*args, "--format", "markdown")
    assert md.returncode == 0, md.stderr
    assert "## By year" in md.stdout and "| figure | 2023 | 2024 | 2025 | 2026* |" in md.stdout
    yml = run_pipe(*args, "--format", "yaml")
    assert yml.returncode == 0 and "periods:" in yml.stdout and "forecast_mape:" in yml.stdout


def test_wrong_ranges_are_usage_errors(make_pipe: Any, run_pipe: Any) -> None:
    p = make_pipe("--stages", "a,b,c")
    root = str(p.root)
    r = run_pipe("-C", root, "report", "--period", "month", "--since", "2026-05-01", "--as-of", "2026-03-20")
    assert r.returncode == 2 and r.stderr.count("\n") == 1
    assert "--since 2026-05-01 is after the as-of day 2026-03-20" in r.stderr
    r = run_pipe("-C", root, "report", "--period", "week", "--since", "1990-01-01", "--as-of", "2026-03-20")
    assert r.returncode == 2 and r.stderr.count("\n") == 1 and "at most 520" in r.stderr, r.stderr
    r = run_pipe("-C", root, "report", "--period", "fortnight")
    assert r.returncode == 2 and "fortnight" in r.stderr
    r = run_pipe("-C", root, "report", "--period", "month", "--since", "2026-03-01", "--until", "2026-02-01")
    assert r.returncode == 2 and "swap them" in r.stderr
    assert "Traceback" not in r.stderr and os.sep in root


def test_the_readme_capture_is_what_pipe_prints_at_80_columns(run_pipe: Any) -> None:
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    section = readme.split("## The pipeline month by month", 1)[1].split("\n## ", 1)[0]
    command = re.search(r"`(pipe -C examples/demo report [^`]*)`", section).group(1)  # type: ignore[union-attr]
    block = re.search(r"```\n(.*?)```", section, re.S).group(1)  # type: ignore[union-attr]
    args = command.split()[1:]
    args[1] = str(DEMO)
    r = run_pipe(*args, env={"COLUMNS": "80"})
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith(block)
    assert max(wcswidth(line) for line in block.splitlines()) <= 80


@HOSTILE_SETTINGS
@given(unit=st.sampled_from(["week", "month", "quarter", "year"]), args=st.lists(words, max_size=5))
def test_hostile_arguments_with_a_period_never_reach_a_user_as_a_traceback(
    pipe: Any, unit: str, args: list[str]
) -> None:
    if not (pipe.root / "deals" / "acme-one.yaml").exists():
        pipe.add("Acme one", "--id", "acme-one", "--at", "2026-03-01")
    argv = [a.replace("\x00", "") for a in ["report", "--period", unit, *args]]
    assert_clean(pipe(*argv, input="", ok=False), argv)


def test_a_bad_file_is_named_and_the_good_deals_still_counted(pipe: Any) -> None:
    good = pipe.add("Zażółć gęślą jaźń", "--value", "900", "--at", "2026-03-02")
    pipe("won", good, "--at", "2026-03-04")
    (pipe.root / "deals" / "broken.yaml").write_text("id: [unclosed\n", encoding="utf-8")
    result = pipe("report", "--period", "week", "--as-of", "2026-03-08", "--format", "json", ok=False)
    assert result.exit_code == 1 and "broken.yaml" in result.stderr
    *_, week = json.loads(result.stdout)["periods"]
    assert (week["label"], week["won"], week["won_value"]) == ("2026-W10", 1, {"EUR": 900})
