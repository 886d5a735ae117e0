"""A pipeline's own time zone makes dates mean the same on every machine."""

from __future__ import annotations

import json
import os
import time

import pytest


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
    warsaw_pipe("move", deal, "qualified", "--at", "2026-12-01T09:30")
    text = warsaw_pipe.deal_text(deal)
    assert "created: 2026-07-01T10:00:00+02:00" in text  # summer time in Warsaw
    assert "- at: 2026-12-01T09:30:00+01:00" in text  # winter time in Warsaw
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
