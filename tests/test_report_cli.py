"""`pipe report` end to end: a small pipeline built through the CLI, every format, bad files, a real process.

The pipeline (default stages lead .1, qualified .25, meeting .4, proposal .6, negotiation .8; EUR):
  A "Zażółć rollout"  12,000 PLN, anna: lead 03-02, qualified 03-05, won 03-20
  B "Caffè Roma"       8,000 EUR, bob:  lead 03-03, meeting 03-06, back to qualified 03-08, lost (price) 03-10
  C "ร้านกาแฟ เชียงใหม่" 5,000 EUR, anna: lead 03-04, proposal 03-09 (skips two stages), open
  D "Big one"         30,000 EUR, none: lead 03-04, close date set to 2026-04-20 on 03-05, open
"""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from wcwidth import wcswidth


@pytest.fixture
def demo(pipe):
    a = pipe.add("Zażółć rollout", "--value", "12000", "--currency", "PLN", "--owner", "anna", "--at", "2026-03-02")
    pipe("move", a, "qualified", "--at", "2026-03-05")
    pipe("won", a, "--at", "2026-03-20")
    b = pipe.add("Caffè Roma", "--value", "8000", "--owner", "bob", "--source", "web", "--at", "2026-03-03")
    pipe("move", b, "meeting", "--at", "2026-03-06")
    pipe("move", b, "qualified", "--at", "2026-03-08")
    pipe("lost", b, "--reason", "price", "--at", "2026-03-10")
    c = pipe.add("ร้านกาแฟ เชียงใหม่", "--value", "5000", "--owner", "anna", "--tag", "asia", "--at", "2026-03-04")
    pipe("move", c, "proposal", "--at", "2026-03-09")
    d = pipe.add("Big one", "--value", "30000", "--at", "2026-03-04")
    pipe("set", d, "close_date=2026-04-20", "--at", "2026-03-05")
    return pipe


def report_json(pipe, *args: str) -> dict:
    return json.loads(pipe("report", "--format", "json", *args).stdout)


def test_json_totals_and_funnel(demo) -> None:
    data = report_json(demo, "--as-of", "2026-03-31")
    assert data["as_of"] == "2026-03-31"
    assert data["cutoff"] == "2026-04-01T00:00:00+02:00"  # summer time began on 29 March
    t = data["totals"]
    assert (t["deals"], t["open"], t["won"], t["lost"], t["win_rate"]) == (4, 2, 1, 1, 0.5)
    assert t["won_value"] == {"PLN": 12000}
    assert t["open_value"] == {"EUR": 35000}
    assert t["weighted_value"] == {"EUR": 6000}  # C 5,000 x 0.6 + D 30,000 x 0.1
    assert t["median_cycle_days"] == 18.0
    assert t["back_moves"] == 1
    f = {row["stage"]: row for row in data["funnel"]}
    assert [row["stage"] for row in data["funnel"]] == ["lead", "qualified", "meeting", "proposal", "negotiation"]
    assert [row["reached"] for row in data["funnel"]] == [4, 3, 3, 2, 1]
    assert f["meeting"]["lost"] == 1 and f["meeting"]["drop_off"] == pytest.approx(1 / 3)
    assert f["meeting"]["lost_value"] == {"EUR": 8000}
    assert f["lead"]["conversion"] == 0.75
    assert f["lead"]["time_in_stage_finished_median_days"] == 3.0  # 3, 3 and 5 days
    assert f["lead"]["time_in_stage_finished_mean_days"] == 3.67
    assert f["proposal"]["open_now"] == 1
    assert data["lost_reasons"] == [{"reason": "price", "deals": 1, "value": {"EUR": 8000}}]
    assert data["forecast"] == [
        {"kind": "month", "month": "2026-04", "deals": 1, "value": {"EUR": 30000}, "weighted_value": {"EUR": 3000}},
        {"kind": "none", "month": None, "deals": 1, "value": {"EUR": 5000}, "weighted_value": {"EUR": 3000}},
    ]
    assert "groups" not in data


def test_json_contract_keys(demo) -> None:
    data = report_json(demo, "--as-of", "2026-03-31", "--by", "owner")
    assert set(data) == {
        "version",
        "as_of",
        "cutoff",
        "pipeline",
        "currency",
        "first_touch_within",
        "filters",
        "totals",
        "funnel",
        "velocity",
        "forecast",
        "lost_reasons",
        "groups",
    }
    assert set(data["filters"]) == {"owner", "source", "tag", "since", "until", "by", "strict"}
    assert {"deals", "open", "won", "lost", "win_rate", "won_value", "open_value", "weighted_value"} <= set(
        data["totals"]
    )
    assert {"median_cycle_days", "back_moves"} <= set(data["totals"])
    for key in ("reached", "advanced", "conversion", "lost", "drop_off", "open", "time_in_stage_finished_median_days"):
        assert key in data["funnel"][0]
    groups = {g["key"]: g for g in data["groups"]}
    assert list(groups) == ["anna", "bob", None]
    assert groups["anna"]["totals"]["win_rate"] == 1.0
    assert groups["bob"]["totals"]["win_rate"] == 0.0
    assert groups[None]["totals"]["deals"] == 1


def test_as_of_before_the_win(demo) -> None:
    t = report_json(demo, "--as-of", "2026-03-15")["totals"]
    assert (t["deals"], t["open"], t["won"], t["lost"]) == (4, 3, 0, 1)
    assert report_json(demo, "--as-of", "2026-03-03")["totals"]["deals"] == 2


def test_filters_and_cohort(demo) -> None:
    assert report_json(demo, "--as-of", "2026-03-31", "--owner", "ANNA")["totals"]["deals"] == 2
    assert report_json(demo, "--as-of", "2026-03-31", "--source", "web")["totals"]["lost"] == 1
    assert report_json(demo, "--as-of", "2026-03-31", "--tag", "asia")["totals"]["open"] == 1
    cohort = report_json(demo, "--as-of", "2026-03-31", "--since", "2026-03-03", "--until", "2026-03-03")
    assert cohort["totals"]["deals"] == 1
    assert cohort["filters"]["since"] == "2026-03-03"


def test_strict_funnel(demo) -> None:
    data = report_json(demo, "--as-of", "2026-03-31", "--strict")
    # A went lead, qualified, then won: it skipped meeting..negotiation. B skipped qualified on the way up
    # but filled it by moving back, so it ran through meeting. C skipped qualified. D sits in lead.
    assert [row["reached"] for row in data["funnel"]] == [4, 2, 1, 0, 0]
    assert [row["skipped"] for row in data["funnel"]] == [1, 1, 0, 0, 0]
    assert data["filters"]["strict"] is True


def test_table_leads_with_a_chart_and_fits_80_columns(demo) -> None:
    out = demo("report", "--as-of", "2026-03-31", "--by", "owner", "--strict").stdout
    lines = out.splitlines()
    assert lines[0] == "Sales pipeline as of 2026-03-31; strict funnel"
    assert max(wcswidth(line) for line in lines) <= 80
    out = demo("report", "--as-of", "2026-03-31").stdout
    lines = out.splitlines()
    chart = {line.split()[0]: line for line in lines[3:9]}
    # 4 deals reached lead: the full 30-character bar; 2 reached proposal: half of it
    assert chart["Lead"].count("█") == 30
    assert chart["Proposal"].count("█") == 15
    assert chart["Meeting"].split()[-3:] == ["3", "67%", "33%"]
    assert chart["Won"].split()[-1] == "1"
    for title in ("Totals", "Funnel", "Time in stage (days)", "Value by stage", "Sales velocity", "Lost reasons"):
        assert title in lines
    assert "12,000 PLN" in out


def test_markdown_and_csv(demo) -> None:
    md = demo("report", "--as-of", "2026-03-31", "--format", "markdown").stdout
    assert md.startswith("# Sales pipeline as of 2026-03-31\n")
    assert "## Funnel" in md and "| Meeting " in md and "```text" in md
    text = demo("report", "--as-of", "2026-03-31", "--format", "csv", "--by", "owner").stdout
    rows = list(csv.DictReader(io.StringIO(text)))
    assert len(rows) == 5 * 4  # all deals, anna, bob, no owner
    lead = rows[0]
    assert (lead["scope"], lead["stage"], lead["reached"], lead["conversion"]) == ("all", "lead", "4", "0.75")
    assert (lead["reached_value_EUR"], lead["reached_value_PLN"]) == ("43000", "12000")
    assert [r["group"] for r in rows[5::5]] == ["anna", "bob", ""]


def test_unicode_stage_labels_and_owners(demo) -> None:
    path = demo.root / "pipeline.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("label: Proposal", "label: ข้อเสนอ"), encoding="utf-8")
    demo("set", demo.add("Łódź", "--owner", "Łukasz", "--at", "2026-03-05"), "value=10", "--at", "2026-03-06")
    out = demo("report", "--as-of", "2026-03-31", "--by", "owner").stdout
    assert "Łukasz" in out
    chart = out.splitlines()[3:9]
    assert chart[3].startswith("ข้อเสนอ ")
    assert len({wcswidth(line.split("█")[0]) for line in chart[:5]}) == 1  # bars all start in one column


def test_bad_files_are_named_and_the_rest_reported(demo) -> None:
    (demo.root / "deals" / "broken.yaml").write_text("id: broken\ntitle: Broken\nstage: lead\n", encoding="utf-8")
    (demo.root / "deals" / "garbled.yaml").write_text("title: [unclosed\n", encoding="utf-8")
    result = demo("report", "--as-of", "2026-03-31", "--format", "json", ok=False)
    assert result.exit_code == 1
    assert json.loads(result.stdout)["totals"]["deals"] == 4
    errors = result.stderr.strip().splitlines()
    assert len(errors) == 2
    assert any("broken.yaml:" in e and "created" in e for e in errors)
    assert any("garbled.yaml:" in e for e in errors)


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--by", "stage"], "--by"),
        (["--as-of", "31/03/2026"], "--as-of"),
        (["--since", "2026-03-10", "--until", "2026-03-01"], "after --until"),
        (["--format", "xml"], "--format"),
    ],
)
def test_usage_errors(demo, args, words) -> None:
    result = demo("report", *args, ok=False)
    assert result.exit_code == 2
    assert words in result.stderr
    assert "Traceback" not in result.stderr


def test_empty_pipeline(pipe) -> None:
    data = report_json(pipe, "--as-of", "2026-03-31")
    assert data["totals"]["deals"] == 0 and data["totals"]["win_rate"] is None
    assert [row["conversion"] for row in data["funnel"]] == [None] * 5
    assert "Lead" in pipe("report").stdout


def _installed_pipe() -> str:
    script = Path(sys.executable).parent / "pipe"
    assert script.exists(), script
    return str(script)


def test_real_process_ascii_and_json(demo) -> None:
    env = {**os.environ, "PYTHONIOENCODING": "ascii"}
    run = subprocess.run(
        [_installed_pipe(), "-C", str(demo.root), "report", "--as-of", "2026-03-31"],
        capture_output=True,
        env=env,
        check=False,
    )
    assert run.returncode == 0, run.stderr
    out = run.stdout.decode("ascii")  # plain ASCII: would raise on any other byte
    lead = next(line for line in out.splitlines() if line.startswith("Lead "))
    assert lead.count("#") == 30
    run = subprocess.run(
        [_installed_pipe(), "-C", str(demo.root), "report", "--as-of", "2026-03-31", "--format", "json"],
        capture_output=True,
        text=True,
        encoding="utf-8",
        check=False,
    )
    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout)["totals"]["weighted_value"] == {"EUR": 6000}
