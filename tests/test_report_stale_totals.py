"""`pipe report` carries the stale count and value at risk in its totals."""

from __future__ import annotations

import json


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
    # as of the 4th nothing is stale yet: 2 days idle, next step not yet due
    t = totals("2026-03-04")
    assert t["stale"] == 0
    assert t["stale_value"] == {}
    assert t["overdue_next_steps"] == 0
    assert idle != busy
