"""Dates people type (docs/format.md, "Dates you type"): one grammar for every option that takes
a day or a moment, relative forms counted from --at (or --as-of), and --at in the future refused."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta

import pytest
import yaml
from clock_helpers import on_one_clock
from hypothesis import given
from hypothesis import strategies as st

from pipecli import timeutil
from pipecli.errors import PipeError

DAYS = st.dates(min_value=date(1900, 1, 1), max_value=date(2200, 12, 31))


# -- the grammar's laws -----------------------------------------------------------------------------
@given(DAYS, st.integers(min_value=0, max_value=3000))
def test_days_forward_then_back_return_the_day(day: date, n: int) -> None:
    there = timeutil.parse_date(f"+{n}d", relative_to=day)
    assert (there - day).days == n
    assert timeutil.parse_date(f"-{n}d", relative_to=there) == day


@given(DAYS, st.integers(min_value=0, max_value=300))
def test_weeks_are_seven_days(day: date, n: int) -> None:
    assert timeutil.parse_date(f"-{n}w", relative_to=day) == day - timedelta(days=7 * n)


@given(DAYS)
def test_eom_is_the_last_day_of_the_month_leap_years_too(day: date) -> None:
    last = timeutil.parse_date("eom", relative_to=day)
    assert (last.year, last.month) == (day.year, day.month) and last >= day
    assert (last + timedelta(days=1)).day == 1
    if day.month == 2:
        leap = day.year % 4 == 0 and (day.year % 100 != 0 or day.year % 400 == 0)
        assert last.day == (29 if leap else 28)


@given(DAYS, st.integers(min_value=-120, max_value=120))
def test_month_arithmetic_clamps_to_the_months_last_day(day: date, n: int) -> None:
    moved = timeutil.parse_date(f"{n:+d}m", relative_to=day)
    assert (moved.year * 12 + moved.month) - (day.year * 12 + day.month) == n
    month_end = timeutil.end_of_month(moved)
    assert moved.day == min(day.day, month_end.day)


@given(DAYS)
def test_weekdays_eow_and_eoq(day: date) -> None:
    for i, name in enumerate(timeutil.WEEKDAYS):
        nxt = timeutil.parse_date(name, relative_to=day)
        assert nxt.weekday() == i and 1 <= (nxt - day).days <= 7  # on that weekday: a week later
        assert timeutil.parse_date(name[:3], relative_to=day) == nxt
    eow = timeutil.parse_date("eow", relative_to=day)
    assert eow.weekday() == 6 and 0 <= (eow - day).days <= 6
    eoq = timeutil.parse_date("eoq", relative_to=day)
    assert eoq.year == day.year and eoq.month == ((day.month - 1) // 3 + 1) * 3
    assert (eoq + timedelta(days=1)).day == 1 and 0 <= (eoq - day).days <= 92


@given(st.text(max_size=20))
def test_anything_else_is_a_usage_error_never_a_crash(text: str) -> None:
    try:
        timeutil.parse_when(text, option="--due")
    except PipeError as err:
        assert err.exit_code == 2 and err.message.startswith("--due: ")


def test_a_day_option_refuses_a_time_naming_the_option() -> None:
    with pytest.raises(PipeError, match=r"^--until: '14:00' has a time of day; --until takes a day"):
        timeutil.parse_date("14:00", option="--until")
    with pytest.raises(PipeError, match=r"^--due: '\+99999999d' is not a date"):
        timeutil.parse_date("+99999999d")


# -- end to end, through the installed pipe ---------------------------------------------------------
def due_of(pipe, deal: str) -> str:
    return yaml.load(pipe.deal_text(deal), Loader=yaml.BaseLoader)["next_step"]["due"]


@pytest.mark.parametrize(
    ("at", "typed", "due"),
    [
        ("2024-01-31T10:00", "today", "2024-01-31"),
        ("2024-01-31T10:00", "tomorrow", "2024-02-01"),
        ("2024-01-31T10:00", "yesterday", "2024-01-30"),
        ("2024-01-31T10:00", "+3d", "2024-02-03"),
        ("2024-01-31T10:00", "-2w", "2024-01-17"),
        ("2024-01-31T10:00", "+1m", "2024-02-29"),  # a leap year's February
        ("2023-01-31T10:00", "+1m", "2023-02-28"),
        ("2024-02-29T10:00", "+1y", "2025-02-28"),
        ("2024-01-31T10:00", "friday", "2024-02-02"),  # a Wednesday
        ("2024-01-31T10:00", "wed", "2024-02-07"),  # on a Wednesday, the next one
        ("2024-01-31T10:00", "eow", "2024-02-04"),
        ("2024-01-31T10:00", "eom", "2024-01-31"),
        ("2024-02-10T10:00", "eom", "2024-02-29"),
        ("2026-02-10T10:00", "eom", "2026-02-28"),
        ("2024-01-31T10:00", "eoq", "2024-03-31"),
        ("2026-11-10T10:00", "eoq", "2026-12-31"),
        ("2024-01-31T10:00", "2024-02-29", "2024-02-29"),
    ],
)
def test_due_forms_count_from_at(pipe, run_pipe, at: str, typed: str, due: str) -> None:
    deal = pipe.add("Forms", "--at", "2020-01-01")
    r = run_pipe("-C", str(pipe.root), "next", deal, "Call", "--due", typed, "--at", at)
    assert (r.returncode, r.stderr) == (0, ""), r.stderr
    assert due_of(pipe, deal) == due
    assert r.stdout == f"next step for {deal}: Call (due {due})\n"


def test_relative_due_without_at_counts_from_today(pipe, run_pipe) -> None:
    deal = pipe.add("Today", "--at", "2020-01-01")
    expected, r = on_one_clock(
        lambda: (timeutil.today() + timedelta(days=3)).isoformat(),
        lambda: run_pipe("-C", str(pipe.root), "next", deal, "Call", "--due", "+3d"),
    )
    assert r.returncode == 0, r.stderr
    assert due_of(pipe, deal) == expected


def test_close_date_and_snooze_count_from_at(pipe, run_pipe) -> None:
    deal = pipe.add("Close", "--at", "2024-01-01", "--close-date", "eom")
    assert yaml.safe_load(pipe.deal_text(deal))["close_date"] == date(2024, 1, 31)
    root = str(pipe.root)
    r = run_pipe("-C", root, "set", deal, "close_date=+1m", "--at", "2024-01-31T09:00")
    assert r.returncode == 0, r.stderr
    r = run_pipe("-C", root, "snooze", deal, "--until", "+2w", "--reason", "holiday", "--at", "2024-02-01")
    assert r.returncode == 0, r.stderr
    data = yaml.safe_load(pipe.deal_text(deal))
    assert (data["close_date"], data["snooze"]["until"]) == (date(2024, 2, 29), date(2024, 2, 15))


def test_at_takes_a_time_alone_and_a_day_with_a_time(pipe, run_pipe) -> None:
    deal = pipe.add("Clock", "--at", "2020-01-01")
    root = str(pipe.root)

    def both() -> tuple[int, int]:
        first = run_pipe("-C", root, "note", deal, "yesterday afternoon", "--at", "yesterday 14:00")
        r = run_pipe("-C", root, "note", deal, "this midnight", "--at", "00:00")
        return first.returncode, r.returncode

    today, codes = on_one_clock(timeutil.today, both)
    assert codes == (0, 0)
    notes = yaml.load(pipe.deal_text(deal), Loader=yaml.BaseLoader)["notes"]
    yesterday = today - timedelta(days=1)
    assert datetime.fromisoformat(notes[-2]["at"]).replace(tzinfo=None) == datetime(
        yesterday.year, yesterday.month, yesterday.day, 14
    )
    assert datetime.fromisoformat(notes[-1]["at"]) == timeutil.start_of_day(today)


def test_at_in_the_future_is_refused_with_one_line(pipe, run_pipe) -> None:
    deal = pipe.add("Later", "--at", "2020-01-01")
    before = pipe.deal_text(deal)
    # (not "tomorrow": its midnight is within the tolerance in a day's last five minutes)
    for typed in ("+2d", "+1d 09:00", (timeutil.now() + timedelta(hours=2)).isoformat()):
        r = run_pipe("-C", str(pipe.root), "note", deal, "from the future", "--at", typed)
        assert r.returncode == 2, typed
        assert r.stderr.startswith(f"pipe: --at {typed}: ") and "is in the future" in r.stderr
        assert r.stderr.count("\n") == 1 and r.stdout == ""
    r = run_pipe("-C", str(pipe.root), "add", "Ahead", "--at", "+2d")
    assert r.returncode == 2 and "is in the future" in r.stderr
    assert pipe.deal_text(deal) == before
    # a clock a few minutes ahead of this one is within the tolerance
    close = (timeutil.now() + timedelta(minutes=2)).isoformat()
    assert run_pipe("-C", str(pipe.root), "note", deal, "skewed", "--at", close).returncode == 0


def test_as_of_takes_a_date_time(pipe, run_pipe) -> None:
    pipe.add("Morning", "--at", "2026-11-20T09:00")
    pipe.add("Afternoon", "--at", "2026-11-20T15:00")
    root = str(pipe.root)

    def deals(*as_of: str) -> int:
        r = run_pipe("-C", root, "report", *as_of, "--format", "json")
        assert (r.returncode, r.stderr) == (0, ""), r.stderr
        return json.loads(r.stdout)["totals"]["deals"]

    assert deals("--as-of", "2026-11-20T12:00") == 1
    assert deals("--as-of", "2026-11-20") == 2
    assert deals("--as-of", "2026-11-19") == 0
    r = run_pipe("-C", root, "stale", "--as-of", "2026-11-20T12:00", "--format", "json")
    assert r.returncode == 0 and json.loads(r.stdout) == []
    r = run_pipe("-C", root, "log", "--as-of", "2026-11-20T12:00", "--since", "-1d", "--format", "json")
    assert r.returncode == 0, r.stderr
    assert [e["deal"] for e in json.loads(r.stdout)] == [pipe.root.joinpath("deals").glob("morning*").__next__().stem]


def test_a_bad_date_names_the_option_and_the_forms(pipe, run_pipe) -> None:
    deal = pipe.add("Bad", "--at", "2020-01-01")
    r = run_pipe("-C", str(pipe.root), "next", deal, "Call", "--due", "someday")
    assert r.returncode == 2
    assert r.stderr == (
        "pipe: --due: 'someday' is not a date; use 2026-03-31, today, tomorrow, yesterday, +3d, -2w, +1m, "
        "friday, eow, eom or eoq\n"
    )
