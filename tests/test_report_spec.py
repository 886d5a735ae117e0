"""ReportSpec: what a report covers, the time zone given to it rather than read from a global."""

from __future__ import annotations

from datetime import date
from zoneinfo import ZoneInfo

import pytest
from report_helpers import PIPE, build

from pipecli import timeutil
from pipecli.models import Pipeline
from pipecli.report import ReportSpec, build_report

DAY = date(2026, 3, 10)


def test_the_zone_given_decides_where_the_day_ends_whatever_the_global_zone() -> None:
    deals = [build("a", [(0, "a")])]
    timeutil.use_zone(ZoneInfo("America/Los_Angeles"))  # what a command line would have set
    try:
        bangkok = build_report(deals, PIPE, ReportSpec(DAY, zone=ZoneInfo("Asia/Bangkok")))
        assert bangkok.cutoff.isoformat() == "2026-03-11T00:00:00+07:00"
        # no zone given: the pipeline's, else the system's (TZ is Europe/Warsaw in the tests), never the global
        assert build_report(deals, PIPE, DAY).cutoff.isoformat() == "2026-03-11T00:00:00+01:00"
        tokyo = Pipeline.model_validate({**PIPE.model_dump(), "timezone": "Asia/Tokyo"})
        assert build_report(deals, tokyo, DAY).cutoff.isoformat() == "2026-03-11T00:00:00+09:00"
    finally:
        timeutil.use_zone(None)


def test_the_cohort_days_are_in_the_zone_given() -> None:
    # created 2026-03-02 10:00 +01:00: the 2nd in Warsaw, but 23:00 on the 1st in Honolulu
    deals = [build("a", [(0, "a")])]
    honolulu = ZoneInfo("Pacific/Honolulu")

    def created_on(day: date, zone: ZoneInfo | None = None) -> int:
        return build_report(deals, PIPE, ReportSpec(DAY, zone=zone, since=day, until=day)).totals.deals

    assert (created_on(date(2026, 3, 2)), created_on(date(2026, 3, 1))) == (1, 0)
    assert (created_on(date(2026, 3, 2), honolulu), created_on(date(2026, 3, 1), honolulu)) == (0, 1)


def test_a_spec_groups_only_by_what_the_report_knows() -> None:
    with pytest.raises(ValueError, match="by must be one of"):
        ReportSpec(DAY, by="stage")
