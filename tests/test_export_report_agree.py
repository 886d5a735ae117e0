"""The SQLite export, queried as docs/export.md shows, gives the numbers of `pipe report --format json`."""

from __future__ import annotations

import json
import re
import sqlite3
from decimal import Decimal
from pathlib import Path

import pytest

DOCS = Path(__file__).resolve().parent.parent / "docs" / "export.md"


def doc_queries() -> list[str]:
    return re.findall(r"```sql\n(.*?)```", DOCS.read_text(encoding="utf-8"), flags=re.S)


@pytest.fixture
def built(pipe):
    """Whole days between entries, in January (no change of summer time), so every answer is worked by hand."""
    a = pipe.add("Alfa", "--owner", "anna", "--value", "1000", "--at", "2026-01-05T10:00")
    pipe("move", a, "qualified", "--at", "2026-01-07T10:00")  # lead 2d
    pipe("move", a, "proposal", "--at", "2026-01-10T10:00")  # qualified 3d
    pipe("move", a, "qualified", "--at", "2026-01-11T10:00")  # proposal 1d
    pipe("move", a, "proposal", "--at", "2026-01-15T10:00")  # qualified 4d more: 7d
    pipe("won", a, "--at", "2026-01-20T10:00")  # proposal 5d more: 6d
    b = pipe.add("Beta", "--owner", "anna", "--value", "2000", "--at", "2026-01-05T10:00")
    pipe("move", b, "qualified", "--at", "2026-01-06T10:00")  # lead 1d
    pipe("lost", b, "--reason", "price", "--at", "2026-01-10T10:00")  # qualified 4d
    c = pipe.add("Gamma", "--owner", "ben", "--value", "500", "--currency", "PLN", "--at", "2026-01-05T10:00")
    pipe("move", c, "qualified", "--at", "2026-01-09T10:00")  # lead 4d
    pipe("move", c, "lead", "--at", "2026-01-10T10:00")  # qualified 1d; back in lead, open
    d = pipe.add("Delta", "--owner", "ben", "--value", "300", "--currency", "PLN", "--at", "2026-01-05T10:00")
    pipe("lost", d, "--reason", "price", "--at", "2026-01-08T10:00")  # lead 3d
    e = pipe.add("Epsilon", "--value", "700", "--at", "2026-01-05T10:00")
    pipe("lost", e, "--reason", "timing", "--at", "2026-01-06T10:00")  # lead 1d
    f = pipe.add("Zeta", "--owner", "ben", "--value", "100", "--at", "2026-01-05T10:00")
    pipe("move", f, "qualified", "--at", "2026-01-12T10:00")  # lead 7d
    pipe("won", f, "--at", "2026-01-13T10:00")  # qualified 1d
    g = pipe.add("Eta", "--owner", "ben", "--value", "50", "--at", "2026-01-05T10:00")
    pipe("lost", g, "--reason", "price", "--at", "2026-01-06T10:00")  # lead 1d
    return pipe


def test_sqlite_and_report_json_agree(built, tmp_path: Path) -> None:
    db = tmp_path / "pipeline.db"
    built("export", "--format", "sqlite", "--output", str(db))
    report = json.loads(built("report", "--format", "json", "--by", "owner", "--as-of", "2026-01-31").stdout)
    con = sqlite3.connect(db)
    win_sql, stage_sql, lost_sql, *_ = doc_queries()

    # win rate per owner: anna 1 won 1 lost, ben 1 won 2 lost, no owner 1 lost
    by_owner = {g["key"]: g["totals"] for g in report["groups"]}
    rows = con.execute(win_sql).fetchall()
    assert rows == [(None, 0, 1, 0.0), ("anna", 1, 1, 0.5), ("ben", 1, 2, 1 / 3)]
    for owner, won, lost, rate in rows:
        assert (by_owner[owner]["won"], by_owner[owner]["lost"]) == (won, lost)
        assert by_owner[owner]["win_rate"] == pytest.approx(rate)

    # median days in stage, per deal's total days in the stage, the deal back in lead (Gamma) left out:
    # lead 1, 1, 1, 2, 3, 7 -> 1.5; qualified 1, 1, 4, 7 -> 2.5; proposal 6 -> 6
    rows = con.execute(stage_sql).fetchall()
    assert [(s, n) for s, n, _ in rows] == [("lead", 6), ("qualified", 4), ("proposal", 1)]
    assert [m for _, _, m in rows] == pytest.approx([1.5, 2.5, 6.0], abs=1e-6)
    funnel = {f["stage"]: f for f in report["funnel"]}
    for stage, n, median in rows:
        assert funnel[stage]["time_in_stage_finished_deals"] == n
        assert funnel[stage]["time_in_stage_finished_median_days"] == pytest.approx(median, abs=0.005)

    # lost value by reason: price 2,050 EUR (Beta, Eta) and 300 PLN (Delta); timing 700 EUR
    rows = con.execute(lost_sql).fetchall()
    assert [(r, c, n, v) for r, c, n, v in rows] == [
        ("price", "EUR", 2, "2050.00"),
        ("timing", "EUR", 1, "700.00"),
        ("price", "PLN", 1, "300.00"),
    ]
    from_sql: dict[str, dict[str, Decimal]] = {}
    counts: dict[str, int] = {}
    for reason, currency, n, value in rows:
        from_sql.setdefault(reason, {})[currency] = Decimal(value)
        counts[reason] = counts.get(reason, 0) + n
    assert {x["reason"]: x["value"] for x in report["lost_reasons"]} == from_sql
    assert {x["reason"]: x["deals"] for x in report["lost_reasons"]} == counts


def test_deals_table_has_the_csv_columns_the_docs_say(built, tmp_path: Path) -> None:
    db = tmp_path / "pipeline.db"
    built("export", "--format", "sqlite", "--output", str(db))
    header = built("export", "--format", "csv").stdout.splitlines()[0].split(",")
    columns = [r[1] for r in sqlite3.connect(db).execute("PRAGMA table_info(deals)")]
    missing = [c for c in header if c not in columns]
    assert missing == ["created_stage"] + [c for c in header if c.startswith("entered_")]
    row = re.search(r"^\| `deals` \|.*$", DOCS.read_text(encoding="utf-8"), flags=re.M)
    assert row is not None
    assert "the CSV columns but `created_stage`" in row.group(0)
    for extra in sorted(set(columns) - set(header)):
        assert f"`{extra}`" in row.group(0)
