"""`pipe export`: CSV round trips, JSON, and SQLite answering the docs' queries."""

from __future__ import annotations

import csv
import io
import itertools
import json
import re
import sqlite3
import statistics
from collections import defaultdict
from datetime import datetime
from decimal import Decimal
from pathlib import Path

import pytest
from transfer_helpers import read_deals

DOCS = Path(__file__).resolve().parent.parent / "docs" / "export.md"


def doc_queries() -> list[str]:
    return re.findall(r"```sql\n(.*?)```", DOCS.read_text(encoding="utf-8"), flags=re.S)


@pytest.fixture
def worked(pipe):
    """A small pipeline worked through the CLI: moves forward and back, wins, losses, a reopen, notes."""
    a = pipe.add("Zażółć Sp. z o.o. – wdrożenie", "--owner", "Łucja", "--value", "12000.50", "--at", "2026-03-02T10:00")
    pipe("move", a, "qualified", "--at", "2026-03-05T09:00")
    pipe("move", a, "proposal", "--at", "2026-03-12T09:00")
    pipe("move", a, "qualified", "--at", "2026-03-13T16:30", "--note", "Budget cut; back to qualifying")
    pipe("move", a, "proposal", "--at", "2026-03-20T09:00")
    pipe("won", a, "--value", "11000", "--at", "2026-03-29T12:00")  # across the DST change
    b = pipe.add("บริษัท ทดสอบ fit-out", "--owner", "ben", "--value", "4000", "--currency", "THB", "--at", "2026-03-03")
    pipe("move", b, "meeting", "--at", "2026-03-04")
    pipe("lost", b, "--reason", "price", "--at", "2026-03-10")
    c = pipe.add("Acme renewal", "--owner", "ben", "--value", "900", "--stage", "qualified", "--at", "2026-02-01")
    pipe("lost", c, "--reason", "price", "--at", "2026-02-03T08:00")
    pipe("reopen", c, "--stage", "proposal", "--at", "2026-02-10")
    pipe("won", c, "--at", "2026-02-20")
    d = pipe.add("Globex pilot", "--owner", "Łucja", "--value", "700", "--at", "2026-01-10", "--tag", "pilot,q1")
    pipe("lost", d, "--reason", "timing", "--at", "2026-01-20")
    e = pipe.add("Initech", "--owner", "ben", "--value", "350.25", "--at", "2026-01-11", "--email", "x@initech.example")
    pipe("move", e, "qualified", "--at", "2026-01-13")
    pipe("lost", e, "--reason", "price", "--at", "2026-01-30")
    f = pipe.add("Open one", "--at", "2026-04-01", "--probability", "35%", "--source", "event")
    pipe("next", f, "Call back", "--due", "2026-04-08", "--at", "2026-04-01T10:00")
    pipe("note", f, "Met at the fair", "--at", "2026-04-01T11:00")
    return pipe


def _ts(text: str) -> datetime:
    return datetime.fromisoformat(text)


def test_csv_has_one_flat_row_per_deal(worked) -> None:
    out = worked("export", "--format", "csv").stdout
    rows = list(csv.DictReader(io.StringIO(out)))
    files = read_deals(worked.root)
    assert sorted(r["id"] for r in rows) == sorted(files)
    header = out.splitlines()[0].split(",")
    assert header[-5:] == [f"entered_{s}" for s in ("lead", "qualified", "meeting", "proposal", "negotiation")]
    row = next(r for r in rows if r["title"].startswith("Zażółć"))
    assert (row["stage"], row["status"], row["value"], row["currency"], row["owner"]) == (
        "proposal",
        "won",
        "11000",
        "EUR",
        "Łucja",
    )
    assert row["created"] == "2026-03-02T10:00:00+01:00"
    assert row["entered_qualified"] == "2026-03-05T09:00:00+01:00"  # the first time it came into qualified
    assert row["entered_proposal"] == "2026-03-12T09:00:00+01:00"
    assert (row["entered_lead"], row["entered_meeting"]) == ("2026-03-02T10:00:00+01:00", "")
    assert row["closed_at"] == "2026-03-29T12:00:00+02:00"
    reopened = next(r for r in rows if r["title"] == "Acme renewal")
    assert (reopened["created_stage"], reopened["entered_proposal"], reopened["status"]) == (
        "qualified",
        "2026-02-10T00:00:00+01:00",
        "won",
    )
    open_one = next(r for r in rows if r["title"] == "Open one")
    assert (open_one["probability"], open_one["next_step"], open_one["next_due"], open_one["closed_at"]) == (
        "0.35",
        "Call back",
        "2026-04-08",
        "",
    )
    pilot = next(r for r in rows if r["title"] == "Globex pilot")
    assert pilot["tags"] == "pilot,q1"


def test_csv_round_trip_is_exact(worked, make_pipe, tmp_path: Path) -> None:
    first = tmp_path / "first.csv"
    worked("export", "--format", "csv", "--output", str(first))
    copy = make_pipe(name="copy")
    result = copy("import", str(first))
    assert "6 created, 0 updated, 0 skipped, 0 failed" in result.stdout
    assert copy("check").stdout == ""
    second = copy("export", "--format", "csv").stdout
    assert second == first.read_text(encoding="utf-8")
    again = copy("import", str(first), "--update")
    assert "0 created, 0 updated, 6 skipped, 0 failed (6 unchanged)" in again.stdout


def test_json_and_jsonl_carry_whole_files(worked) -> None:
    files = read_deals(worked.root)
    data = json.loads(worked("export", "--format", "json").stdout)
    lines = [json.loads(line) for line in worked("export", "--format", "jsonl").stdout.splitlines()]
    assert data == lines
    assert [d["id"] for d in data] == sorted(files)
    for d in data:
        f = files[d["id"]]
        assert len(d["history"]) == len(f["history"])
        assert [n["text"] for n in d["notes"]] == [n["text"] for n in f.get("notes", [])]
        assert [h["at"] for h in d["history"]] == [h["at"] for h in f["history"]]
    zazolc = next(d for d in data if d["title"].startswith("Zażółć"))
    assert zazolc["value"] == 11000
    assert zazolc["notes"][0]["text"] == "Budget cut; back to qualifying"


def test_filters_as_in_list(worked) -> None:
    rows = list(csv.DictReader(io.StringIO(worked("export", "--status", "lost", "--owner", "ben").stdout)))
    assert sorted(r["title"] for r in rows) == ["Initech", "บริษัท ทดสอบ fit-out"]
    rows = list(csv.DictReader(io.StringIO(worked("export", "--tag", "Q1", "--status", "all").stdout)))
    assert [r["title"] for r in rows] == ["Globex pilot"]
    rows = list(csv.DictReader(io.StringIO(worked("export", "--stage", "proposal").stdout)))
    assert sorted(r["title"] for r in rows) == ["Acme renewal", "Zażółć Sp. z o.o. – wdrożenie"]


def test_filters_see_a_hand_edit_and_report_a_bad_file(worked) -> None:
    def titles(*args: str) -> list[str]:
        result = worked("export", "--status", "all", *args, ok=False)
        return sorted(r["title"] for r in csv.DictReader(io.StringIO(result.stdout)))

    assert titles("--owner", "ben") == ["Acme renewal", "Initech", "บริษัท ทดสอบ fit-out"]  # the index is built
    initech = next(p for p in (worked.root / "deals").glob("*.yaml") if "Initech" in p.read_text("utf-8"))
    initech.write_text(initech.read_text("utf-8").replace("owner: ben", "owner: Łucja"), "utf-8")
    (worked.root / "deals" / "broken.yaml").write_text("title: [\n", encoding="utf-8")
    result = worked("export", "--owner", "łucja", "--status", "all", ok=False)
    assert sorted(r["title"] for r in csv.DictReader(io.StringIO(result.stdout))) == [
        "Globex pilot",
        "Initech",
        "Zażółć Sp. z o.o. – wdrożenie",
    ]
    assert result.exit_code == 1
    assert result.stderr.startswith(f"pipe: {worked.root / 'deals' / 'broken.yaml'}:")
    assert titles("--owner", "ben") == ["Acme renewal", "บริษัท ทดสอบ fit-out"]


def test_sqlite_needs_an_output_file(worked) -> None:
    r = worked("export", "--format", "sqlite", ok=False)
    assert r.exit_code == 2
    assert "--output FILE.db" in r.stderr


def test_bad_file_is_named_and_the_rest_exported(worked) -> None:
    (worked.root / "deals" / "broken.yaml").write_text("title: [unclosed\n", encoding="utf-8")
    r = worked("export", ok=False)
    assert r.exit_code == 1
    assert len(list(csv.DictReader(io.StringIO(r.stdout)))) == 6
    assert "broken.yaml:" in r.stderr


def test_sqlite_answers_the_documented_queries(worked, tmp_path: Path) -> None:
    db = tmp_path / "pipeline.db"
    r = worked("export", "--format", "sqlite", "--output", str(db))
    assert "exported 6 deals to" in r.stderr
    files = read_deals(worked.root)
    con = sqlite3.connect(db)
    win_sql, stay_sql, lost_sql, to_win_sql, sum_sql = doc_queries()

    # win rate per owner, from the files
    closed: dict[str, list[str]] = defaultdict(list)
    for f in files.values():
        if f["status"] in ("won", "lost"):
            closed[f.get("owner")].append(f["status"])
    expected = sorted(
        (owner, s.count("won"), s.count("lost"), s.count("won") / len(s)) for owner, s in closed.items() if owner
    )
    assert con.execute(win_sql).fetchall() == expected
    assert expected == [("ben", 1, 2, 1 / 3), ("Łucja", 1, 1, 0.5)]

    # median days in stage: each deal's stays in a stage added up, from coming into it to the next
    # history entry; a deal still in the stage (its last entry put it there) is left out of it
    per_deal: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    current: dict[str, str] = {}
    proposal_stays: list[float] = []
    for name, f in files.items():
        entries = [h for h in f["history"] if h["event"] != "changed"]
        for h, nxt in itertools.pairwise(entries):
            if h["event"] in ("created", "moved", "reopened"):
                days = (_ts(nxt["at"]) - _ts(h["at"])).total_seconds() / 86400
                per_deal[h["to"]][name] += days
                if h["to"] == "proposal":
                    proposal_stays.append(days)
        if entries[-1]["event"] in ("created", "moved", "reopened"):
            current[name] = entries[-1]["to"]
    stays = {
        stage: [days for name, days in totals.items() if current.get(name) != stage]
        for stage, totals in per_deal.items()
    }
    stays = {stage: v for stage, v in stays.items() if v}
    got = con.execute(stay_sql).fetchall()
    order = ["lead", "qualified", "meeting", "proposal", "negotiation"]
    assert [g[0] for g in got] == [s for s in order if s in stays]
    for stage, n, median in got:
        assert n == len(stays[stage])
        assert median == pytest.approx(statistics.median(stays[stage]), abs=1e-6)
    # the won deal's proposal stay crosses the change to summer time: 9 days less an hour
    assert (_ts("2026-03-29T12:00:00+02:00") - _ts("2026-03-20T09:00:00+01:00")).total_seconds() / 86400 in (
        proposal_stays
    )

    # lost value by reason and currency
    lost: dict[tuple[str, str], list[Decimal]] = defaultdict(list)
    for f in files.values():
        if f["status"] == "lost":
            lost[(f["lost_reason"], f["currency"])].append(Decimal(f.get("value", "0")))
    got = con.execute(lost_sql).fetchall()
    assert {(g[0], g[1]): (g[2], Decimal(g[3])) for g in got} == {k: (len(v), sum(v)) for k, v in lost.items()}
    assert got[0][:2] == ("price", "THB")  # 4000 THB before 350.25 EUR: ordered by the number
    assert dict(((g[0], g[1]), g[3]) for g in got)[("price", "EUR")] == "350.25"  # exact, as text

    # the value of the won deals per currency, summed exactly
    won: dict[str, Decimal] = defaultdict(Decimal)
    for f in files.values():
        if f["status"] == "won":
            won[f["currency"]] += Decimal(str(f.get("value", "0")))
    assert con.execute(sum_sql).fetchall() == [(c, f"{v:.2f}") for c, v in sorted(won.items())]

    # median days to a win
    wins = []
    for f in files.values():
        if f["status"] == "won":
            won_at = [h["at"] for h in f["history"] if h["event"] == "won"][-1]
            wins.append((_ts(won_at) - _ts(f["created"])).total_seconds() / 86400)
    assert con.execute(to_win_sql).fetchone()[0] == pytest.approx(statistics.median(wins), abs=1e-6)


def test_sqlite_tables_have_types_and_indexes(worked, tmp_path: Path) -> None:
    db = tmp_path / "p.db"
    worked("export", "--format", "sqlite", "--output", str(db))
    con = sqlite3.connect(db)
    tables = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert {"deals", "stage_changes", "field_changes", "notes", "deal_tags", "stages"} <= tables
    indexes = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type = 'index'")}
    assert {"deals_status", "deals_owner", "stage_changes_to_stage"} <= indexes
    # amounts exactly: the text the file has, and whole minor units (cents) to add up
    amounts = "SELECT value, typeof(value), value_minor, typeof(value_minor) FROM deals WHERE title = ?"
    assert con.execute(amounts, ("Initech",)).fetchone() == ("350.25", "text", 35025, "integer")
    assert con.execute(amounts, ("Acme renewal",)).fetchone() == ("900", "text", 90000, "integer")
    assert con.execute("SELECT code, scale, unit FROM currencies ORDER BY code").fetchall() == [
        ("EUR", 2, 100),
        ("THB", 2, 100),
    ]
    assert con.execute("SELECT COUNT(*) FROM notes").fetchone() == (2,)
    assert con.execute("SELECT tag FROM deal_tags ORDER BY tag").fetchall() == [("pilot",), ("q1",)]
    events = con.execute(
        "SELECT event, from_stage, to_stage, s.status FROM stage_changes s JOIN deals d ON d.id = s.deal_id "
        "WHERE d.title = 'Acme renewal' ORDER BY seq"
    ).fetchall()
    assert events == [
        ("created", None, "qualified", "open"),
        ("lost", None, "qualified", "lost"),
        ("reopened", None, "proposal", "open"),
        ("won", None, "proposal", "won"),
    ]
    changes = con.execute("SELECT field, from_value, to_value FROM field_changes").fetchall()
    assert ("value", "12000.50", "11000") in changes
