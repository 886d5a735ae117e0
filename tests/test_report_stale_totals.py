"""`pipe report` carries the stale count and value at risk in its totals."""

from __future__ import annotations

import json
from datetime import date


def test_report_totals_count_stale_deals_as_of_the_day(pipe) -> None:
    # default stages: lead goes stale after 7d, qualified after 14d
    idle = pipe.add("Idle lead", "--value", "5000", "--at", "2026-03-02T09:00")
    busy = pipe.add("Busy lead", "--value", "700", "--at", "2026-03-02T09:00")
    pipe("note", busy, "Called again", "--at", "2026-03-08T09:00")
    overdue = pipe.add("Overdue", "--value", "1200", "--currency", "PLN", "--at", "2026-03-02T09:00")
    pipe("next", overdue, "Send offer", "--due", "2026-03-05", "--at", "2026-03-02T10:00")
    closed = pipe.add("Closed", "--value", "999", "--at", "2026-03-01T09:00")
    pipe("lost", closed, "--reason", "price", "--at", "2026-03-01T10:00")

    def totals(day: str) -> dict:
        return json.loads(pipe("report", "--as-of", day, "--format", "json").stdout)["totals"]

    # 2026-03-10, end of day: the idle lead is 8+ days idle (> 7d); the busy one 2 days;
    # the overdue next step was due on the 5th; the lost deal never counts
    t = totals("2026-03-10")
    assert t["stale"] == 2
    assert t["stale_value"] == {"EUR": 5000, "PLN": 1200}
    assert t["overdue_next_steps"] == 1
    # as of the 4th: the idle and the busy lead, created on the 2nd and not touched yet, are
    # past the first-touch limit (24h); the next step of the third is not yet due
    t = totals("2026-03-04")
    assert t["stale"] == 2
    assert t["stale_value"] == {"EUR": 5700}
    assert t["overdue_next_steps"] == 0
    # as of the 2nd the two leads are 15 hours old: nothing is stale yet
    t = totals("2026-03-02")
    assert t["stale"] == 0
    assert t["stale_value"] == {}
    assert idle != busy


def test_report_and_stale_agree_on_the_due_day_and_the_snooze_end(pipe) -> None:
    """A next step due on the as-of day is not overdue yet; a snooze ending the next day still hides."""
    due = pipe.add("Due on the 20th", "--value", "1000", "--at", "2026-03-01")
    pipe("next", due, "Send offer", "--due", "2026-03-20", "--at", "2026-03-01")
    snoozed = pipe.add("Snoozed to the 21st", "--value", "2000", "--at", "2026-03-01")
    pipe("snooze", snoozed, "--until", "2026-03-21", "--reason", "holiday", "--at", "2026-03-02")

    def stale_ids(day: str) -> list[str]:
        out = pipe("stale", "--as-of", day, "--format", "json").stdout
        return sorted(row["id"] for row in json.loads(out)) if out else []

    def totals(day: str, *args: str) -> dict:
        return json.loads(pipe("report", "--as-of", day, "--format", "json", *args).stdout)["totals"]

    assert stale_ids("2026-03-20") == []
    t = totals("2026-03-20")
    assert (t["stale"], t["stale_value"], t["overdue_next_steps"]) == (0, {}, 0)
    # a day later both are listed: the step is 1 day overdue, the snooze is over (idle since the 1st)
    assert stale_ids("2026-03-21") == sorted([due, snoozed])
    t = totals("2026-03-21")
    assert (t["stale"], t["stale_value"], t["overdue_next_steps"]) == (2, {"EUR": 3000}, 1)
    t = totals("2026-03-20", "--strict", "--by", "owner")
    assert (t["stale"], t["overdue_next_steps"]) == (0, 0)


def test_a_library_caller_gets_the_stale_totals(pipe) -> None:
    """build_report alone, without the command line, carries the documented stale keys."""
    from pipecli.render.report import report_data
    from pipecli.report import ReportSpec, build_report
    from pipecli.store import Store

    deal = pipe.add("Idle", "--value", "500", "--at", "2026-03-01")
    store = Store(pipe.root)
    report = build_report(store.load_all().deals, store.pipeline, ReportSpec(as_of=date(2026, 3, 20), by="owner"))
    data = report_data(report)
    for totals in (data["totals"], data["groups"][0]["totals"]):
        assert (totals["stale"], totals["stale_value"], totals["overdue_next_steps"]) == (1, {"EUR": 500}, 0)
    assert deal
