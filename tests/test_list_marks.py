"""`pipe list` shows days in stage and marks stale deals and overdue next steps (the stale rule is
``stale.judge``'s: the deals marked are those `pipe stale` lists)."""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime

from clock_helpers import on_one_clock

from pipecli import timeutil


def whole_days_since(text: str) -> int:
    return (timeutil.now() - datetime.fromisoformat(text)).days


def test_list_gives_days_in_stage_stale_and_overdue(pipe, run_pipe) -> None:
    late = pipe.add("Wrocławska Piekarnia", "--at", "2026-01-01T10:00")
    pipe("move", late, "qualified", "--at", "2026-02-01T09:00")
    pipe("next", late, "Call back", "--due", "2026-02-10", "--at", "2026-02-01T09:30")
    idle = pipe.add("Caffè Nero", "--at", "2026-01-05T10:00")
    pipe("note", idle, "Called: not now", "--at", "2026-01-05T15:00")  # touched, then idle
    fresh = pipe.add("ระบบบัญชี สยามเทค", "--at", "2026-01-05T10:00")
    pipe("next", fresh, "Demo", "--due", "+1m")
    closed = pipe.add("Won already", "--at", "2026-01-05T10:00")
    pipe("won", closed, "--at", "2026-01-06")
    root = str(pipe.root)

    def expected() -> dict[str, tuple[int | None, str | None, int | None]]:
        """The marks at the wall clock's now (pipe list has no --as-of: it reads the same clock)."""
        overdue = (timeutil.today() - datetime(2026, 2, 10).date()).days
        return {
            late: (whole_days_since("2026-02-01T09:00:00+01:00"), "overdue", overdue),
            idle: (whole_days_since("2026-01-05T10:00:00+01:00"), "no next step", None),
            fresh: (whole_days_since("2026-01-05T10:00:00+01:00"), None, None),
            closed: (None, None, None),
        }

    def listed() -> dict[str, dict]:
        r = run_pipe("-C", root, "list", "--status", "all", "--format", "json")
        assert (r.returncode, r.stderr) == (0, ""), r.stderr
        return {row["id"]: row for row in json.loads(r.stdout)}

    # the first run builds the index; a warm run (from the index) says the same
    state, (rows, again) = on_one_clock(expected, lambda: (listed(), listed()))
    assert again == rows
    assert {k: (v["days_in_stage"], v["stale"], v["overdue_days"]) for k, v in rows.items()} == state
    stale = json.loads(run_pipe("-C", root, "stale", "--format", "json").stdout)
    assert sorted(s["id"] for s in stale) == sorted(k for k, v in state.items() if v[1])
    state, table = on_one_clock(expected, lambda: run_pipe("-C", root, "list").stdout.splitlines())
    assert table[0].split()[-2:] == ["days", "!"]
    line = next(row for row in table if row.startswith(late))
    assert line.endswith(f"{state[late][0]}  overdue {state[late][2]}d")
    assert next(row for row in table if row.startswith(idle)).endswith("stale: no next step")
    header = next(csv.reader(io.StringIO(run_pipe("-C", root, "list", "--format", "csv").stdout)))
    assert header[-3:] == ["days_in_stage", "stale", "overdue_days"]


def test_an_entry_written_this_very_second_counts_now(pipe) -> None:
    """Time stamps are whole seconds; a list of "now" counts an entry stamped with the current
    second (its cut-off is this instant, not the second it is in)."""
    deals = [pipe.add(f"Caffè Roma {n}", "--at", "2026-01-05T10:00") for n in range(10)]  # never touched: stale
    left = iter(deals)

    def next_step_then_look() -> tuple[str, list[str], dict]:
        deal = next(left)
        stamp = timeutil.now().isoformat()  # this second, as a command with no --at writes it
        pipe("next", deal, "Demo", "--due", "+1m", "--at", stamp)
        stale = [s["id"] for s in json.loads(pipe("stale", "--format", "json", ok=False).stdout)]
        listed = {r["id"]: r for r in json.loads(pipe("list", "--format", "json").stdout)}
        return deal, stale, listed[deal]

    _, (deal, stale, row) = on_one_clock(timeutil.now, next_step_then_look, tries=10)  # all in one second
    assert deal not in stale and len(stale) >= 1
    assert (row["next_step"], row["stale"]) == ("Demo", None)
