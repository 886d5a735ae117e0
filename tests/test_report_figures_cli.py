"""The report's renamed and new figures, end to end: version 2 of the JSON, the two win rates, where
deals were lost (reconciled with `pipe list`), and a time in stage that sees the deals stuck in it."""

from __future__ import annotations

import csv
import io
import json


def report(pipe, *args: str) -> dict:
    return json.loads(pipe("report", "--format", "json", *args).stdout)


def test_lost_here_is_what_pipe_list_shows_lost_in_that_stage(pipe) -> None:
    back = pipe.add("Moved back then lost", "--value", "900", "--at", "2026-03-02")
    pipe("move", back, "proposal", "--at", "2026-03-03")
    pipe("move", back, "qualified", "--at", "2026-03-04")
    pipe("lost", back, "--reason", "price", "--at", "2026-03-05")
    early = pipe.add("Lost in lead", "--value", "100", "--at", "2026-03-02")
    pipe("lost", early, "--reason", "timing", "--at", "2026-03-06")
    pipe.add("Still open", "--at", "2026-03-02")
    funnel = {row["stage"]: row for row in report(pipe)["funnel"]}  # today
    for stage, row in funnel.items():
        listed = pipe("list", "--stage", stage, "--status", "lost", "--format", "json").stdout
        assert row["lost_here"] == len(json.loads(listed) if listed.strip() else []), stage
    # the funnel keeps its ladder: the deal that reached proposal is lost there, lost_here says qualified
    assert (funnel["proposal"]["lost"], funnel["proposal"]["lost_here"]) == (1, 0)
    assert (funnel["qualified"]["lost"], funnel["qualified"]["lost_here"]) == (0, 1)
    assert funnel["qualified"]["lost_here_value"] == {"EUR": 900}
    for row in funnel.values():
        assert row["reached"] == row["advanced"] + row["lost"] + row["open"]
    # as of a day before the loss in lead, it was not lost yet
    past = {row["stage"]: row for row in report(pipe, "--as-of", "2026-03-05")["funnel"]}
    assert (past["lead"]["lost_here"], past["qualified"]["lost_here"]) == (0, 1)


def test_two_win_rates_two_names_and_headers_that_say_what_they_divide_by(pipe) -> None:
    won = pipe.add("Won", "--at", "2026-03-02")
    pipe("won", won, "--at", "2026-03-04")
    lost = pipe.add("Lost", "--at", "2026-03-02")
    pipe("lost", lost, "--reason", "price", "--at", "2026-03-04")
    pipe.add("Open", "--at", "2026-03-02")
    pipe.add("Open too", "--at", "2026-03-02")
    data = report(pipe, "--as-of", "2026-03-10", "--by", "owner")
    assert data["version"] == 2
    assert data["totals"]["win_rate"] == 0.5  # 1 won / 2 closed
    lead = data["funnel"][0]
    assert lead["win_from_stage"] == 0.25  # 1 won / 4 reached
    assert "win_rate" not in lead and "time_in_stage_median_days" not in lead
    table = pipe("report", "--as-of", "2026-03-10", "--by", "owner").stdout
    funnel_header = table.split("\nFunnel\n", 1)[1].splitlines()[0]
    assert "won/reached" in funnel_header.split()
    assert "won/closed" in table.split("\nSales velocity\n", 1)[1].splitlines()[0].split()
    assert "won/closed" in table.split("\nBy owner\n", 1)[1].splitlines()[0].split()
    assert "win rate (won / closed)" in table
    rows = list(csv.DictReader(io.StringIO(pipe("report", "--as-of", "2026-03-10", "--format", "csv").stdout)))
    assert rows[0]["win_from_stage"] == "0.25" and rows[0]["lost_here"] == "1"


def test_a_stage_where_deals_get_stuck_does_not_look_fast(pipe) -> None:
    # two deals passed through qualified in 2 days; three have sat in it for weeks
    for i in range(2):
        deal = pipe.add(f"Quick {i}", "--at", "2026-03-02")
        pipe("move", deal, "qualified", "--at", "2026-03-03")
        pipe("move", deal, "meeting", "--at", "2026-03-05")
    for i in range(3):
        deal = pipe.add(f"Stuck {i}", "--at", "2026-03-02")
        pipe("move", deal, "qualified", "--at", "2026-03-03")
    row = report(pipe, "--as-of", "2026-03-20")["funnel"][1]
    assert (row["time_in_stage_finished_median_days"], row["time_in_stage_finished_deals"]) == (2.0, 2)
    # Kaplan-Meier: at 2 days 2 of 5 finish (S = 3/5), then no one else: not reached, over 18 days
    assert (row["time_in_stage_all_median_days"], row["time_in_stage_all_median_above_days"]) == (None, 18.0)
    assert (row["time_in_stage_all_deals"], row["open_now"]) == (5, 3)
    table = pipe("report", "--as-of", "2026-03-20").stdout
    time_rows = table.split("\nTime in stage (days)\n", 1)[1].splitlines()
    assert time_rows[0].split()[:2] == ["stage", "median"]  # the headline column comes first
    assert time_rows[3].split()[:5] == ["Qualified", ">18.0", "3", "2", "2.0"]
