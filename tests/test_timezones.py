"""Time zones: --at without an offset is local time (TZ, with DST); with one, it is kept.

A pipeline's own ``timezone:`` makes dates mean the same on every machine.
"""

from __future__ import annotations

import json
import os
import re
import time
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import yaml

ISO_WITH_OFFSET = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d$")


def raw(pipe, deal_id: str) -> dict:
    return yaml.load(pipe.deal_text(deal_id), Loader=yaml.BaseLoader)


@pytest.mark.parametrize(
    ("at", "stored"),
    [
        ("2026-03-02T10:00", "2026-03-02T10:00:00+01:00"),  # winter time in Warsaw
        ("2026-07-02T10:00", "2026-07-02T10:00:00+02:00"),  # summer time
        ("2026-03-02", "2026-03-02T00:00:00+01:00"),
        ("2026-07-02", "2026-07-02T00:00:00+02:00"),
        ("2026-03-29", "2026-03-29T00:00:00+01:00"),  # the day DST starts, before the change
        ("2026-03-29T03:30", "2026-03-29T03:30:00+02:00"),  # and after it
        ("2026-10-25T03:30", "2026-10-25T03:30:00+01:00"),  # the day DST ends, after the change
        ("2026-03-02 10:00", "2026-03-02T10:00:00+01:00"),
        ("2026-03-02T10:00:30", "2026-03-02T10:00:30+01:00"),
        ("2026-03-02T10:00-05:00", "2026-03-02T10:00:00-05:00"),  # an offset is kept as given
        ("2026-07-02T10:00+05:30", "2026-07-02T10:00:00+05:30"),
        ("2026-03-02T10:00Z", "2026-03-02T10:00:00+00:00"),
        ("2026-03-02T10:00:00.987654+01:00", "2026-03-02T10:00:00+01:00"),
    ],
)
def test_at_is_local_unless_an_offset_is_given(pipe, at: str, stored: str) -> None:
    d = pipe.add("Clock", "--at", at)
    data = raw(pipe, d)
    assert data["created"] == stored
    assert data["history"][0]["at"] == stored


def test_nonexistent_local_time_is_refused_not_moved(pipe) -> None:
    # 02:30 on 2026-03-29 does not exist in Warsaw (clocks jump from 02:00 to 03:00): it used to
    # become 03:30+02:00, a time nobody wrote; tests/test_local_times.py has the whole rule
    r = pipe("add", "Gap", "--at", "2026-03-29T02:30", ok=False)
    assert r.exit_code == 2 and "does not exist in the local time zone (TZ)" in r.stderr
    d = pipe.add("Gap", "--at", "2026-03-29T03:30")
    assert raw(pipe, d)["created"] == "2026-03-29T03:30:00+02:00"


def test_every_stored_time_stamp_has_an_offset(pipe) -> None:
    d = pipe.add("Stamps")
    pipe("move", d, "qualified")
    pipe("note", d, "hello")
    pipe("next", d, "call", "--due", "+1d")
    pipe("set", d, "owner=anna")
    pipe("won", d)
    pipe("reopen", d)
    pipe("lost", d, "--reason", "x")
    data = raw(pipe, d)
    stamps = [data["created"]] + [h["at"] for h in data["history"]] + [n["at"] for n in data["notes"]]
    # created; created, moved, next, owner, won, the next step cleared by won, reopened, lost;
    # the note and the one won wrote of the step it cleared
    assert len(stamps) == 1 + 8 + 2
    for s in stamps:
        assert ISO_WITH_OFFSET.match(s), s
    # "now" is the local time: its offset is Warsaw's on that day
    created = datetime.fromisoformat(data["created"])
    assert created.utcoffset() == created.astimezone(ZoneInfo("Europe/Warsaw")).utcoffset()


@pytest.mark.parametrize(
    ("zone", "at", "stored"),
    [
        ("Asia/Bangkok", "2026-07-02T10:00", "2026-07-02T10:00:00+07:00"),
        ("America/New_York", "2026-03-02T10:00", "2026-03-02T10:00:00-05:00"),
        ("America/New_York", "2026-07-02T10:00", "2026-07-02T10:00:00-04:00"),
        ("UTC", "2026-07-02T10:00", "2026-07-02T10:00:00+00:00"),
    ],
)
def test_other_time_zones(pipe, monkeypatch, zone: str, at: str, stored: str) -> None:
    monkeypatch.setenv("TZ", zone)
    time.tzset()
    d = pipe.add("Elsewhere", "--at", at)
    assert raw(pipe, d)["created"] == stored


def test_time_zone_of_a_real_process(pipe, run_pipe) -> None:
    d = pipe.add("Process", "--at", "2026-03-02T09:00")
    r = run_pipe("-C", str(pipe.root), "move", d, "qualified", "--at", "2026-07-02T10:00")
    assert r.returncode == 0, r.stderr
    r = run_pipe(
        "-C", str(pipe.root), "note", d, "from Bangkok", "--at", "2026-07-02T16:00", env={"TZ": "Asia/Bangkok"}
    )
    assert r.returncode == 0, r.stderr
    data = raw(pipe, d)
    assert data["history"][-1]["at"] == "2026-07-02T10:00:00+02:00"
    assert data["notes"][-1]["at"] == "2026-07-02T16:00:00+07:00"


def test_order_is_by_instant_not_by_text(pipe) -> None:
    d = pipe.add("Order", "--at", "2026-03-02T10:00")  # 09:00 UTC
    # 09:30 in New York is later than 10:00 in Warsaw, though it reads earlier
    pipe("note", d, "from New York", "--at", "2026-03-02T09:30-05:00")
    # 10:30 in Warsaw is before 09:30 in New York (14:30 UTC)
    result = pipe("move", d, "qualified", "--at", "2026-03-02T10:30", ok=False)
    assert result.exit_code == 1
    assert "before this deal's last entry (2026-03-02T09:30:00-05:00)" in result.stderr
    assert pipe("check").exit_code == 0


# -- a pipeline's own time zone ------------------------------------------------------------


@pytest.fixture
def warsaw_pipe(pipe):
    path = pipe.root / "pipeline.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("# timezone:", "timezone:"), encoding="utf-8")
    return pipe


def _machine_tz(monkeypatch: pytest.MonkeyPatch, name: str) -> None:
    monkeypatch.setenv("TZ", name)
    time.tzset()


def test_at_without_offset_is_in_the_pipeline_zone_not_the_machine_s(warsaw_pipe, monkeypatch) -> None:
    _machine_tz(monkeypatch, "Asia/Bangkok")
    deal = warsaw_pipe.add("Acme", "--at", "2026-07-01T10:00")
    warsaw_pipe("move", deal, "qualified", "--at", "2026-01-15T10:00+07:00", ok=False)  # before creation
    warsaw_pipe("move", deal, "qualified", "--at", "2026-11-20T09:30")
    text = warsaw_pipe.deal_text(deal)
    assert "created: 2026-07-01T10:00:00+02:00" in text  # summer time in Warsaw
    assert "- at: 2026-11-20T09:30:00+01:00" in text  # winter time in Warsaw
    assert os.environ["TZ"] == "Asia/Bangkok"


def test_as_of_days_end_at_midnight_in_the_pipeline_zone(warsaw_pipe, monkeypatch) -> None:
    # won at 23:30 Warsaw time on 1 March = 05:30 on 2 March in Bangkok
    deal = warsaw_pipe.add("Acme", "--at", "2026-02-01T10:00+01:00")
    warsaw_pipe("won", deal, "--at", "2026-03-01T23:30+01:00")
    for machine in ("Asia/Bangkok", "America/Los_Angeles", "UTC"):
        _machine_tz(monkeypatch, machine)
        on_the_day = json.loads(warsaw_pipe("report", "--as-of", "2026-03-01", "-f", "json").stdout)["totals"]
        day_before = json.loads(warsaw_pipe("report", "--as-of", "2026-02-28", "-f", "json").stdout)["totals"]
        assert (on_the_day["won"], day_before["won"]) == (1, 0), machine


def test_an_unknown_time_zone_is_a_clear_error(pipe) -> None:
    path = pipe.root / "pipeline.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("# timezone: Europe/Warsaw", "timezone: Mars/Olympus"))
    result = pipe("list", ok=False)
    assert result.exit_code == 1
    line = result.stderr.strip()
    assert "pipeline.yaml:6: timezone: unknown time zone 'Mars/Olympus'" in line
    assert "Traceback" not in result.output
