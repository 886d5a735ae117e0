"""First touch: the hand-computed case of docs/metrics.md end to end, the rules, and a property.

Time zone Europe/Warsaw (conftest): March 2026 is +01:00; `--as-of D` measures at D+1 00:00.
"""

from __future__ import annotations

import json
import re
import statistics
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipecli import actions
from pipecli.digest import digest, ladder_of, micros, row_at
from pipecli.models import DEFAULT_STAGES, Pipeline, Stage
from pipecli.touch import figures, first_touch

PIPELINE = Pipeline(stages=[Stage.model_validate(s) for s in DEFAULT_STAGES])
UTC = timezone.utc


@pytest.fixture
def three(pipe: Any) -> dict[str, str]:
    """The smaller case of docs/metrics.md ("First touch"): Monday 2026-03-02 to Wednesday."""
    one = pipe.add("Zażółć gęślą jaźń", "--owner", "marek", "--at", "2026-03-02T09:00")
    pipe("note", one, "Called: wants a demo", "--at", "2026-03-02T15:00")
    two = pipe.add("Caffè Sant'Orsola", "--owner", "giulia", "--at", "2026-03-02T10:00")
    pipe("move", two, "qualified", "--at", "2026-03-04T10:00")
    three = pipe.add("ร้านกาแฟดอยช้าง", "--owner", "marek", "--at", "2026-03-02T11:00")
    pipe("note", three, "Came in through the web form", "--at", "2026-03-02T11:00")  # written with it
    return {"one": one, "two": two, "three": three}


def report(run_pipe: Any, root: Any, day: str, *args: str) -> dict[str, Any]:
    done = run_pipe("-C", str(root), "report", "--as-of", day, "--format", "json", *args)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def touch_figures(totals: dict[str, Any]) -> tuple[Any, ...]:
    keys = ("touched", "first_touch_median_hours", "first_touch_mean_hours", "first_touch_within_rate", "untouched")
    return tuple(totals[k] for k in keys)


def test_the_hand_computed_case_as_of_tuesday_and_wednesday(pipe: Any, three: dict[str, str], run_pipe: Any) -> None:
    tuesday = report(run_pipe, pipe.root, "2026-03-03")
    # one touched after 6h; two's move comes after the cut-off; three's note was written with it
    assert touch_figures(tuesday["totals"]) == (1, 6.0, 6.0, 1 / 3, 2)
    assert tuesday["first_touch_within"] == "24h"
    wednesday = report(run_pipe, pipe.root, "2026-03-04")
    assert touch_figures(wednesday["totals"]) == (2, 27.0, 27.0, 1 / 3, 1)
    # a day before any of them existed: nothing to say
    assert touch_figures(report(run_pipe, pipe.root, "2026-03-01")["totals"]) == (0, None, None, None, 0)


def test_per_owner(pipe: Any, three: dict[str, str], run_pipe: Any) -> None:
    data = report(run_pipe, pipe.root, "2026-03-04", "--by", "owner")
    groups = {g["key"]: touch_figures(g["totals"]) for g in data["groups"]}
    assert groups == {"giulia": (1, 48.0, 48.0, 0.0, 0), "marek": (1, 6.0, 6.0, 0.5, 1)}
    table = run_pipe("-C", str(pipe.root), "report", "--as-of", "2026-03-04", "--by", "owner").stdout
    section = table.split("First touch by owner\n", 1)[1].split("\n\n", 1)[0].splitlines()
    assert section[0].split() == ["owner", "touched", "median", "h", "mean", "h", "within", "24h", "untouched"]
    assert section[2].split() == ["giulia", "1", "48.0", "48.0", "0%", "0"]
    assert section[3].split() == ["marek", "1", "6.0", "6.0", "50%", "1"]
    totals = table.split("\nTotals\n", 1)[1].split("\n\n", 1)[0]
    assert any(
        line.split()[-1] == "27.0" and line.startswith("hours to first touch, median") for line in totals.splitlines()
    )
    assert any(line.split()[-1] == "33%" and line.startswith("touched within 24h") for line in totals.splitlines())


def test_untouched_leads_are_stale_past_the_limit(pipe: Any, three: dict[str, str], run_pipe: Any) -> None:
    done = run_pipe("-C", str(pipe.root), "stale", "--as-of", "2026-03-03", "--format", "json")
    listed = json.loads(done.stdout)
    assert [(x["id"], x["reason"], x["stale_after"]) for x in listed] == [
        (three["two"], "not touched", "24h"),  # 38h old at the cut-off: 14h past
        (three["three"], "not touched", "24h"),  # 37h: 13h past
    ]
    assert [x["past_days"] for x in listed] == [round(14 / 24, 2), round(13 / 24, 2)]
    table = run_pipe("-C", str(pipe.root), "stale", "--as-of", "2026-03-03").stdout
    assert table.count("not touched within 24h") == 2 and "ร้านกาแฟดอยช้าง" in table
    mail = run_pipe("-C", str(pipe.root), "stale", "--as-of", "2026-03-03", "--format", "email").stdout
    assert "  not touched within 24h of its creation" in mail.splitlines()
    # the report's stale totals count the same two
    assert report(run_pipe, pipe.root, "2026-03-03")["totals"]["stale"] == 2
    # on Monday evening none is a day old yet
    assert run_pipe("-C", str(pipe.root), "stale", "--as-of", "2026-03-02").stdout == ""


def test_the_limit_is_the_pipelines_and_a_planned_step_keeps_a_lead_off(pipe: Any, run_pipe: Any) -> None:
    set_limit(pipe.root, "2d")
    lead = pipe.add("Wrocławska Piekarnia", "--at", "2026-03-02T10:00")
    planned = pipe.add("Planned call", "--at", "2026-03-02T10:00")
    pipe("next", planned, "First call", "--due", "2026-03-06", "--at", "2026-03-02T10:00")
    assert pipe("stale", "--as-of", "2026-03-03").stdout == ""  # 38h < 2d
    listed = json.loads(pipe("stale", "--as-of", "2026-03-04", "-f", "json").stdout)
    assert [(x["id"], x["reason"], x["stale_after"]) for x in listed] == [(lead, "not touched", "2d")]
    assert "not touched within 2d" in pipe("stale", "--as-of", "2026-03-04").stdout
    data = json.loads(pipe("report", "--as-of", "2026-03-04", "-f", "json").stdout)
    assert data["first_touch_within"] == "2d"
    assert touch_figures(data["totals"]) == (0, None, None, 0.0, 2)  # both past 2d, neither touched
    # the planned call is overdue from the day after its due date, as any next step
    later = json.loads(pipe("stale", "--as-of", "2026-03-07", "-f", "json").stdout)
    assert {(x["id"], x["reason"]) for x in later} == {(lead, "not touched"), (planned, "overdue")}


@pytest.mark.parametrize("bad", ["soon", "24", "-3h", "[]"])
def test_a_bad_limit_is_refused_naming_the_file(pipe: Any, bad: str) -> None:
    set_limit(pipe.root, bad)
    result = pipe("stale", ok=False)
    assert result.exit_code != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "pipeline.yaml" in lines[0] and "first_touch_within" in lines[0]
    assert "twice" not in lines[0]  # the value is refused, not a second key


def set_limit(root: Any, text: str) -> None:
    """pipeline.yaml's ``first_touch_within`` (which `pipe init` writes) set to ``text``."""
    path = root / "pipeline.yaml"
    old = path.read_text(encoding="utf-8")
    new, count = re.subn(r"^first_touch_within:.*$", f"first_touch_within: {text}", old, count=1, flags=re.M)
    assert count == 1, old
    path.write_text(new, encoding="utf-8")


# -- the rules, on one deal ---------------------------------------------------------------------
START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def new(**kw: Any) -> Any:
    return actions.new_deal(PIPELINE, deal_id="d", title="D", at=START, **kw)


def test_what_is_a_touch_and_what_is_not() -> None:
    d = new()
    d = actions.add_note(d, START, "with it")  # at the creation moment: not a touch
    d = actions.set_next_step(d, START + timedelta(hours=1), "Call", None)  # a field change: not a touch
    assert first_touch(d.created, d.history, [n.at for n in d.notes]) is None
    d = actions.lost(d, START + timedelta(hours=5), "price")  # a status change is
    assert first_touch(d.created, d.history, [n.at for n in d.notes]) == START + timedelta(hours=5)
    # until: a touch at or after the cut-off does not count
    assert first_touch(d.created, d.history, [], START + timedelta(hours=5)) is None
    moved = actions.move(new(), PIPELINE, "qualified", START + timedelta(minutes=1))
    assert first_touch(moved.created, moved.history, []) == START + timedelta(minutes=1)


def test_a_move_at_the_creation_moment_as_an_import_writes_it_is_no_touch() -> None:
    d = actions.move(new(), PIPELINE, "proposal", START)
    assert first_touch(d.created, d.history, []) is None


calls = st.lists(st.tuples(st.integers(0, 24 * 10), st.one_of(st.none(), st.integers(0, 24 * 10))), max_size=20)


@settings(max_examples=100, deadline=None)
@given(calls, st.integers(0, 24 * 12), st.sampled_from(["24h", "48h", "3d"]))
def test_the_figures_agree_with_a_plain_count(specs: list[tuple[int, int | None]], cut_h: int, limit: str) -> None:
    pipeline = Pipeline(stages=PIPELINE.stages, first_touch_within=limit)
    cutoff = START + timedelta(hours=cut_h)
    rows = []
    expected_hours: list[float] = []
    waiting = late = 0
    for i, (created_h, call_h) in enumerate(specs):
        created = START + timedelta(hours=created_h)
        d = actions.new_deal(PIPELINE, deal_id=f"d{i}", title="D", at=created)
        if call_h is not None:
            d = actions.add_note(d, created + timedelta(hours=call_h), "Called")
        row = row_at(digest(d), ladder_of(PIPELINE.stage_ids), cutoff)
        if row is None:
            continue
        rows.append(row)
        if call_h and created + timedelta(hours=call_h) < cutoff:
            expected_hours.append(float(call_h))
        else:
            waiting += 1
            late += cutoff - created > pipeline.first_touch_limit
    got = figures(rows, pipeline.first_touch_limit, micros(cutoff))
    assert got.touched == len(expected_hours)
    assert got.untouched == waiting and got.untouched_late == late
    assert got.median_hours == (statistics.median(expected_hours) if expected_hours else None)
    if expected_hours:
        assert got.mean_hours == pytest.approx(statistics.fmean(expected_hours))
    limit_h = pipeline.first_touch_limit / timedelta(hours=1)
    on_time = sum(1 for h in expected_hours if h <= limit_h)
    decided = len(expected_hours) + late
    assert got.within == (on_time / decided if decided else None)
