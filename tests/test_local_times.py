"""Naive times are read in the pipeline's time zone by every command, `pipe import` too, by one
rule (``timeutil.local_time``): a time the clocks skip or show twice is refused, never moved."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import yaml
from conftest import tree_bytes
from hypothesis import given, settings
from hypothesis import strategies as st

from pipecli import timeutil
from pipecli.errors import LocalTimeError


def raw(pipe, deal_id: str) -> dict:
    return yaml.load(pipe.deal_text(deal_id), Loader=yaml.BaseLoader)


def zoned(pipe, zone: str) -> None:
    path = pipe.root / "pipeline.yaml"
    text = path.read_text(encoding="utf-8")
    assert "# timezone: Europe/Warsaw" in text
    path.write_text(text.replace("# timezone: Europe/Warsaw", f"timezone: {zone}", 1), encoding="utf-8")


CSV = "Nr,Name,Created,Closed,Status\n{rows}"


def import_file(pipe, rows: str) -> Path:
    path = pipe.root.parent / "deals.csv"
    path.write_text(CSV.format(rows=rows), encoding="utf-8")
    return path


MAPS = ("--map", "external_id=Nr", "--map", "title=Name", "--map", "created=Created", "--map", "closed_at=Closed")


def test_import_reads_naive_times_in_the_pipelines_zone_like_at(pipe, run_pipe) -> None:
    zoned(pipe, "Asia/Bangkok")
    csv = import_file(
        pipe, "1,Siam,2026-03-01 09:00,,open\n2,Chiang Mai,2026-03-02,,open\n3,Offset,2026-03-03T09:00+01:00,,\n"
    )
    r = run_pipe("-C", str(pipe.root), "import", str(csv), *MAPS, "--at", "2026-03-10T12:00")
    assert (r.returncode, r.stderr) == (0, ""), r.stderr
    created = {raw(pipe, p.stem)["external_id"]: raw(pipe, p.stem)["created"] for p in (pipe.root / "deals").iterdir()}
    assert created == {
        "1": "2026-03-01T09:00:00+07:00",
        "2": "2026-03-02T00:00:00+07:00",
        "3": "2026-03-03T09:00:00+01:00",  # an offset written is kept
    }
    d = pipe.add("Typed", "--at", "2026-03-01T09:00")
    assert raw(pipe, d)["created"] == created["1"]  # the same rule as --at


@pytest.mark.parametrize(
    ("zone", "cell", "message"),
    [
        (
            "Europe/Warsaw",
            "2026-03-29 02:30",
            "Created: '2026-03-29 02:30': 2026-03-29 02:30:00 does not exist in Europe/Warsaw (the clocks go "
            "forward); write the time with its offset, e.g. 2026-03-29T03:30:00+02:00",
        ),
        (
            "Europe/Warsaw",
            "2026-10-25 02:30",
            "Created: '2026-10-25 02:30': 2026-10-25 02:30:00 happens twice in Europe/Warsaw (the clocks go back); "
            "say which with its offset: 2026-10-25T02:30:00+02:00 or 2026-10-25T02:30:00+01:00",
        ),
        (
            "America/New_York",
            "2026-03-08 02:15",
            "Created: '2026-03-08 02:15': 2026-03-08 02:15:00 does not exist in America/New_York (the clocks go "
            "forward); write the time with its offset, e.g. 2026-03-08T03:15:00-04:00",
        ),
    ],
)
def test_import_refuses_a_time_the_clocks_skip_or_repeat_naming_row_and_column(
    pipe, run_pipe, zone: str, cell: str, message: str
) -> None:
    zoned(pipe, zone)
    csv = import_file(pipe, f"1,Good,2026-02-01 10:00,,open\n2,Clock,{cell},,open\n")
    r = run_pipe("-C", str(pipe.root), "import", str(csv), *MAPS, "--at", "2026-11-01T12:00")
    assert r.returncode == 1
    assert r.stderr.splitlines() == [f"pipe: {csv}:3: {message}"]
    assert r.stdout.endswith("1 created, 0 updated, 0 skipped, 1 failed\n")


def test_a_date_alone_in_a_dst_night_is_that_days_start(pipe, run_pipe) -> None:
    zoned(pipe, "Europe/Warsaw")
    csv = import_file(pipe, "1,Spring,2026-03-29,2026-10-25,won\n")
    r = run_pipe("-C", str(pipe.root), "import", str(csv), *MAPS, "--map", "status=Status")
    assert (r.returncode, r.stderr) == (0, "")
    (only,) = (pipe.root / "deals").iterdir()
    data = raw(pipe, only.stem)
    assert (data["created"], data["history"][-1]["at"]) == ("2026-03-29T00:00:00+01:00", "2026-10-25T00:00:00+02:00")


@pytest.mark.parametrize("timezone_line", [False, True])
def test_at_refuses_a_time_the_clocks_skip_or_repeat(pipe, run_pipe, timezone_line: bool) -> None:
    if timezone_line:
        zoned(pipe, "Europe/Warsaw")  # the pipeline's zone; else TZ, the same zone here
    before = tree_bytes(pipe.root)
    r = run_pipe("-C", str(pipe.root), "add", "Gap", "--at", "2026-03-29T02:30")
    assert (r.returncode, r.stdout, r.stderr) == (
        2,
        "",
        "pipe: --at: 2026-03-29 02:30:00 does not exist in "
        + ("Europe/Warsaw" if timezone_line else "the local time zone (TZ)")
        + " (the clocks go forward); write the time with its offset, e.g. 2026-03-29T03:30:00+02:00\n",
    )
    r = pipe("add", "Twice", "--at", "2026-10-25T02:30", ok=False)
    assert r.exit_code == 2
    assert "happens twice" in r.stderr and "2026-10-25T02:30:00+02:00 or 2026-10-25T02:30:00+01:00" in r.stderr
    assert tree_bytes(pipe.root) == before
    d = pipe.add("Twice", "--at", "2026-10-25T02:30+01:00")  # the second 02:30, said with its offset
    assert raw(pipe, d)["created"] == "2026-10-25T02:30:00+01:00"


ZONES = ["Europe/Warsaw", "America/New_York", "Asia/Bangkok", "Australia/Lord_Howe", "America/Santiago", "UTC"]


def _changes(zone: str) -> list[datetime]:
    """The wall times (before the change) at which the zone's clocks change in 2026."""
    tz, out = ZoneInfo(zone), []
    start = datetime(2026, 1, 1, tzinfo=timezone.utc)
    for quarter in range(365 * 24 * 4):
        a, b = start + timedelta(minutes=15 * quarter), start + timedelta(minutes=15 * (quarter + 1))
        if a.astimezone(tz).utcoffset() != b.astimezone(tz).utcoffset():
            out.append(
                b.astimezone(tz).replace(tzinfo=None)
                - (b.astimezone(tz).utcoffset() or timedelta())
                + (a.astimezone(tz).utcoffset() or timedelta())
            )
    return out


CHANGES = {zone: _changes(zone) for zone in ZONES}


@settings(max_examples=300, deadline=None)
@given(
    zone=st.sampled_from(ZONES),
    anywhere=st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2030, 12, 31)),
    near=st.none() | st.tuples(st.integers(0, 1), st.integers(-150, 150)),
    system=st.booleans(),
)
def test_local_time_keeps_the_wall_time_or_refuses(
    zone: str, anywhere: datetime, near: tuple[int, int] | None, system: bool
) -> None:
    """Whatever local_time returns shows on the zone's clock as the wall time given; it refuses
    exactly the wall times the zone skips or shows twice (most examples are near a change of clocks)."""
    tz = ZoneInfo(zone)
    wall = anywhere.replace(microsecond=0)
    if near is not None and CHANGES[zone]:
        which, minutes = near
        wall = CHANGES[zone][which % len(CHANGES[zone])] + timedelta(minutes=minutes)
    instants = {
        (wall.replace(tzinfo=tz, fold=f)).astimezone(timezone.utc)
        for f in (0, 1)
        if wall.replace(tzinfo=tz, fold=f).astimezone(timezone.utc).astimezone(tz).replace(tzinfo=None) == wall
    }
    import os
    import time

    old = os.environ.get("TZ")
    try:
        if system:
            os.environ["TZ"] = zone
            time.tzset()
        try:
            got = timeutil.local_time(wall, None if system else tz)
        except LocalTimeError as err:
            assert len(instants) != 1
            assert len(err.offsets) == (0 if not instants else 2)
            return
        assert len(instants) == 1
        assert got.astimezone(timezone.utc) == next(iter(instants))
        assert got.replace(tzinfo=None) == wall
        assert got.utcoffset() is not None and abs(got.utcoffset()) < timedelta(hours=15)
    finally:
        if old is not None:
            os.environ["TZ"] = old
        time.tzset()
