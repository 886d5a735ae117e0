"""The stale rules, end to end through `pipe stale` with a fixed --as-of.

Time zone Europe/Warsaw (conftest): every date here is in March 2026, before the
switch to summer time, so local time is +01:00. `--as-of D` measures at the end
of day D, i.e. at D+1 00:00 local time.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

PIPELINE_WITH_UNITS = """\
name: Units
currency: EUR
stale_after: 10d
first_touch_within: 4w  # the deals here are never touched: these tests are about stale_after
stages:
  - id: contact
    stale_after: 24h
  - id: offer
    stale_after: 3d
  - id: talks
    stale_after: 2w
  - id: legal
"""


def stale(pipe: Any, as_of: str, *args: str) -> list[dict[str, Any]]:
    """`pipe stale --as-of AS_OF -f json`, parsed; [] when it prints nothing."""
    result = pipe("stale", "--as-of", as_of, "-f", "json", *args)
    assert result.stderr == ""
    return json.loads(result.stdout) if result.stdout else []


def ids(rows: list[dict[str, Any]]) -> list[str]:
    return [r["id"] for r in rows]


@pytest.fixture
def units(make_pipe: Any) -> Any:
    p = make_pipe("--stages", "contact,offer,talks,legal")
    (p.root / "pipeline.yaml").write_text(PIPELINE_WITH_UNITS, encoding="utf-8")
    return p


# -- thresholds in hours, days and weeks -----------------------------------------------------
def test_threshold_in_hours(units: Any) -> None:
    late = units.add("Late lead", "--stage", "contact", "--at", "2026-03-02T23:30")
    units.add("Early lead", "--stage", "contact", "--at", "2026-03-03T00:30")
    # end of 2026-03-03: the late lead has waited 24h30m (> 24h), the early one 23h30m
    rows = stale(units, "2026-03-03")
    assert ids(rows) == [late]
    row = rows[0]
    assert row["reason"] == "no next step"
    assert row["stale_after"] == "24h"
    assert row["idle_hours"] == 24.5
    assert row["idle_days"] == 1
    assert row["past_days"] == round(0.5 / 24, 2)
    table = units("stale", "--as-of", "2026-03-03").stdout
    assert "24h (24h)" in table


@pytest.mark.parametrize(
    ("stage", "limit", "fresh_day", "stale_day", "idle_days"),
    [
        ("offer", "3d", "2026-03-04", "2026-03-05", 3),  # 2d12h, then 3d12h
        ("talks", "2w", "2026-03-15", "2026-03-16", 14),  # 13d12h, then 14d12h
        ("legal", "10d", "2026-03-11", "2026-03-12", 10),  # no stale_after: the pipeline's 10d
    ],
)
def test_threshold_in_days_weeks_and_the_pipeline_default(
    units: Any, stage: str, limit: str, fresh_day: str, stale_day: str, idle_days: int
) -> None:
    deal = units.add("Moved deal", "--stage", "contact", "--at", "2026-03-01T08:00")
    units("move", deal, stage, "--at", "2026-03-02T12:00")
    assert stale(units, fresh_day) == []
    rows = stale(units, stale_day)
    assert ids(rows) == [deal]
    assert rows[0]["stage"] == stage
    assert rows[0]["stale_after"] == limit
    assert rows[0]["idle_days"] == idle_days
    assert rows[0]["past_days"] == 0.5  # half a day past the limit at midnight


# -- next steps --------------------------------------------------------------------------------
def test_a_future_next_step_keeps_a_deal_fresh_until_its_due_date(pipe: Any) -> None:
    deal = pipe.add("Long wait", "--at", "2026-03-01T10:00")
    pipe("next", deal, "Call after the budget meeting", "--due", "2026-03-20", "--at", "2026-03-01T10:00")
    # idle 18 days in lead (limit 7d), yet the next step is still ahead
    assert stale(pipe, "2026-03-19") == []
    assert stale(pipe, "2026-03-20") == []  # due today: not overdue yet
    rows = stale(pipe, "2026-03-21")
    assert ids(rows) == [deal]
    assert rows[0]["reason"] == "overdue"
    assert rows[0]["overdue_days"] == 1
    assert rows[0]["next_step"] == "Call after the budget meeting"
    assert rows[0]["next_due"] == "2026-03-20"


def test_an_overdue_next_step_lists_a_deal_whatever_its_last_activity(pipe: Any) -> None:
    deal = pipe.add("Busy but late", "--at", "2026-03-01T10:00")
    pipe("next", deal, "Send the offer", "--due", "2026-03-05", "--at", "2026-03-01T10:00")
    pipe("note", deal, "Spoke to them, offer still not sent", "--at", "2026-03-08T09:00")
    rows = stale(pipe, "2026-03-09")
    assert ids(rows) == [deal]
    row = rows[0]
    assert row["reason"] == "overdue"
    assert row["overdue_days"] == 4  # due the 5th, as of the 9th
    assert row["idle_hours"] == 39.0  # 09:00 on the 8th to midnight after the 9th: 15h + 24h
    assert row["past_days"] == 4.0
    assert "overdue 4d" in pipe("stale", "--as-of", "2026-03-09").stdout


def test_a_next_step_without_a_due_date_does_not_keep_a_deal_fresh(pipe: Any) -> None:
    deal = pipe.add("Vague", "--at", "2026-03-01T09:00")
    pipe("note", deal, "First call", "--at", "2026-03-01T10:00")
    path = pipe.root / "deals" / f"{deal}.yaml"
    path.write_text(pipe.deal_text(deal) + "next_step:\n  text: Think about it\n", encoding="utf-8")
    assert stale(pipe, "2026-03-07") == []  # 6d14h < 7d
    rows = stale(pipe, "2026-03-08")  # 7d14h
    assert rows[0]["reason"] == "idle"
    assert rows[0]["next_step"] == "Think about it"


# -- snooze ------------------------------------------------------------------------------------
def test_a_snoozed_deal_is_off_the_list_until_the_snooze_ends(pipe: Any) -> None:
    deal = pipe.add("Champion on holiday", "--at", "2026-03-01T10:00")
    pipe("snooze", deal, "--until", "2026-03-20", "--reason", "champion on holiday", "--at", "2026-03-09T09:00")
    # before the snooze was set it was stale (7d14h idle)
    assert ids(stale(pipe, "2026-03-08")) == [deal]
    assert stale(pipe, "2026-03-12") == []
    assert stale(pipe, "2026-03-19") == []
    # on the until day it is back, idle since creation: snoozing is not activity
    rows = stale(pipe, "2026-03-20")
    assert ids(rows) == [deal]
    assert rows[0]["idle_days"] == 19  # 2026-03-01T10:00 .. 2026-03-21T00:00
    assert rows[0]["last_activity"] == "2026-03-01T10:00:00+01:00"


def test_clearing_a_snooze_brings_the_deal_back(pipe: Any) -> None:
    deal = pipe.add("Snoozed", "--at", "2026-03-01T10:00")
    pipe("snooze", deal, "--until", "2026-04-30", "--reason", "budget frozen", "--at", "2026-03-09T09:00")
    assert stale(pipe, "2026-03-12") == []
    pipe("snooze", deal, "--clear", "--at", "2026-03-10T09:00")
    assert ids(stale(pipe, "2026-03-12")) == [deal]


# -- closed deals ------------------------------------------------------------------------------
def test_closed_deals_are_never_listed(pipe: Any) -> None:
    won = pipe.add("Won one", "--at", "2026-03-01T10:00")
    pipe("won", won, "--at", "2026-03-20T10:00")
    lost = pipe.add("Lost one", "--at", "2026-03-01T10:00")
    pipe("next", lost, "Chase", "--due", "2026-03-03", "--at", "2026-03-01T10:00")
    pipe("lost", lost, "--reason", "price", "--at", "2026-03-04T10:00")
    for day in ("2026-03-25", "2026-06-30", "2027-01-01"):
        assert stale(pipe, day) == []
    # before it was won, the won deal was open and idle: as of then it is listed
    assert ids(stale(pipe, "2026-03-12")) == [won]


def test_a_deal_not_yet_created_at_the_cut_off_is_not_listed(pipe: Any) -> None:
    pipe.add("Future", "--at", "2026-03-20T10:00")
    assert stale(pipe, "2026-03-12") == []


# -- what resets the idle clock ----------------------------------------------------------------
def test_a_note_resets_the_idle_clock(pipe: Any) -> None:
    noted = pipe.add("With a note", "--at", "2026-03-01T10:00")
    silent = pipe.add("Without", "--at", "2026-03-01T10:00")
    pipe("note", noted, "Called, they are still interested", "--at", "2026-03-06T10:00")
    assert ids(stale(pipe, "2026-03-12")) == [silent]  # noted: idle 6d14h, silent 11d14h
    rows = stale(pipe, "2026-03-13")
    by_id = {r["id"]: r for r in rows}
    assert by_id[noted]["idle_days"] == 7
    assert by_id[noted]["last_activity"] == "2026-03-06T10:00:00+01:00"


def test_a_back_move_resets_the_idle_clock(pipe: Any) -> None:
    deal = pipe.add("Back to square one", "--stage", "qualified", "--at", "2026-03-01T10:00")
    assert "back" in pipe("move", deal, "lead", "--at", "2026-03-10T10:00").stdout
    # in lead (7d) since the 10th: 6d14h at the end of the 16th
    assert stale(pipe, "2026-03-16") == []
    rows = stale(pipe, "2026-03-17")
    assert ids(rows) == [deal]
    assert rows[0]["stage"] == "lead"
    assert rows[0]["stale_after"] == "7d"
    assert rows[0]["idle_days"] == 7


def test_a_field_change_resets_the_idle_clock(pipe: Any) -> None:
    changed = pipe.add("Value agreed", "--at", "2026-03-01T09:00")
    untouched = pipe.add("Untouched", "--at", "2026-03-01T09:00")
    for deal in (changed, untouched):  # a field change is not a first touch: both were called
        pipe("note", deal, "First call", "--at", "2026-03-01T10:00")
    pipe("set", changed, "value=5000", "--at", "2026-03-08T10:00")
    assert ids(stale(pipe, "2026-03-12")) == [untouched]
    rows = stale(pipe, "2026-03-15")  # 2026-03-08T10:00 .. 2026-03-16T00:00: 7d14h
    by_id = {r["id"]: r for r in rows}
    assert by_id[changed]["value"] == 5000
    assert by_id[changed]["idle_days"] == 7


# -- as of a past day ----------------------------------------------------------------------------
def test_fields_and_filters_are_as_the_deal_stood_at_the_cut_off(pipe: Any) -> None:
    deal = pipe.add("Handed over", "--owner", "anna", "--value", "1000", "--at", "2026-03-01T10:00")
    pipe("set", deal, "owner=bartek", "value=2500", "--at", "2026-03-20T10:00")
    rows = stale(pipe, "2026-03-12")
    assert rows[0]["owner"] == "anna"
    assert rows[0]["value"] == 1000
    assert ids(stale(pipe, "2026-03-12", "--owner", "Anna")) == [deal]
    assert stale(pipe, "2026-03-12", "--owner", "bartek") == []
    later = stale(pipe, "2026-03-30")
    assert (later[0]["owner"], later[0]["value"]) == ("bartek", 2500)


# -- filters and order ---------------------------------------------------------------------------
def test_sorted_by_how_far_past_the_threshold(pipe: Any) -> None:
    a = pipe.add("A, 2 days past", "--at", "2026-03-02T23:00")  # lead 7d: idle 9d -> 2 past
    pipe("note", a, "First call", "--at", "2026-03-03T00:00")
    b = pipe.add("B, 5 days past", "--stage", "proposal", "--at", "2026-02-24T23:00")  # 10d: idle 15d -> 5
    pipe("note", b, "First call", "--at", "2026-02-25T00:00")
    c = pipe.add("C, overdue 3 days", "--stage", "negotiation", "--at", "2026-03-10T00:00")
    pipe("next", c, "Sign", "--due", "2026-03-08", "--at", "2026-03-10T00:00")  # idle 2d, overdue 11-8 = 3
    rows = stale(pipe, "2026-03-11")
    assert ids(rows) == [b, c, a]
    assert [r["past_days"] for r in rows] == [5.0, 3.0, 2.0]


def test_owner_stage_and_min_idle_filters(pipe: Any) -> None:
    a = pipe.add("Anna's", "--owner", "Anna", "--at", "2026-03-01T10:00")  # idle 10d14h at end of 11th
    b = pipe.add("Bartek's", "--owner", "Bartek", "--stage", "negotiation", "--at", "2026-03-03T10:00")  # 8d14h
    assert sorted(ids(stale(pipe, "2026-03-11"))) == sorted([a, b])
    assert ids(stale(pipe, "2026-03-11", "--owner", "anna")) == [a]
    assert ids(stale(pipe, "2026-03-11", "--stage", "negotiation")) == [b]
    assert sorted(ids(stale(pipe, "2026-03-11", "--stage", "lead", "--stage", "negotiation"))) == sorted([a, b])
    assert ids(stale(pipe, "2026-03-11", "--min-idle", "9d")) == [a]
    assert ids(stale(pipe, "2026-03-11", "--min-idle", "1w")) != []
    assert stale(pipe, "2026-03-11", "--min-idle", "2w") == []


def test_nothing_stale_prints_nothing_for_people_and_an_empty_listing_for_programs(pipe: Any) -> None:
    pipe.add("Fresh", "--at", "2026-03-11T10:00")  # 14h old: not yet past the first-touch limit
    header = "id,title,company,owner,stage,reason,idle_days,idle_hours,stale_after,past_days,overdue_days,"
    expected = {
        "table": "",  # cron mails only when there is something to say
        "markdown": "",
        "email": "",
        "json": "[]\n",
        "yaml": "[]\n",
        "jsonl": "",  # no lines
        "csv": header,
        "tsv": header.replace(",", "\t"),
    }
    for fmt, start in expected.items():
        result = pipe("stale", "--as-of", "2026-03-11", "-f", fmt, "--fail-if-any")
        assert (result.exit_code, result.stderr) == (0, ""), fmt
        if fmt in ("csv", "tsv"):
            assert result.stdout.startswith(start) and result.stdout.count("\n") == 1, fmt
        else:
            assert result.stdout == start, fmt


def test_fail_if_any_exits_1_when_some_deal_is_stale(pipe: Any) -> None:
    deal = pipe.add("Old", "--at", "2026-03-01T10:00")
    result = pipe("stale", "--as-of", "2026-03-20", "--fail-if-any", ok=False)
    assert result.exit_code == 1
    assert deal in result.stdout
    assert pipe("stale", "--as-of", "2026-03-20").exit_code == 0


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--as-of", "last tuesday"), "--as-of"),
        (("--min-idle", "3 days"), "--min-idle"),
        (("--stage", "nowhere"), "unknown stage"),
    ],
)
def test_wrong_options_are_one_line_errors(pipe: Any, args: tuple[str, ...], message: str) -> None:
    result = pipe("stale", *args, ok=False)
    assert result.exit_code in (1, 2)
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and message in lines[0] and lines[0].startswith("pipe: ")
