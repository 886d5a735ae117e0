"""The whole CRM Sales Opportunities sample (8,800 rows) through real `pipe` processes."""

from __future__ import annotations

import json
import shutil
import sqlite3
import statistics
import subprocess
import sys
from collections import Counter
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from test_export import doc_queries
from transfer_helpers import sample_dir, sample_rows, us_date

SAMPLE = sample_dir()


def _pipe_cmd() -> list[str]:
    exe = Path(sys.executable).with_name("pipe")
    return [str(exe)] if exe.exists() else [shutil.which("pipe") or "pipe"]


@pytest.mark.slow
@pytest.mark.skipif(
    SAMPLE is None,
    reason="the CRM Sales Opportunities sample is not here: set PIPE_SAMPLE_DIR to the folder "
    "holding sales_pipeline.csv (or put it in ../shared/data/crm-sales-opportunities)",
)
def test_full_sample_import(tmp_path: Path, env_without_pipe_dir: dict[str, str]) -> None:
    assert SAMPLE is not None
    csv_path = SAMPLE / "sales_pipeline.csv"
    rows = sample_rows(csv_path)
    # the numbers, from the CSV alone
    stages = Counter(r["deal_stage"] for r in rows)
    won_rows = [r for r in rows if r["deal_stage"] == "Won"]
    n_won, n_lost = stages["Won"], stages["Lost"]
    n_open = stages["Engaging"] + stages["Prospecting"]
    assert (len(rows), n_won, n_lost, n_open) == (8800, 4238, 2473, 2089)
    win_rate = n_won / (n_won + n_lost)
    won_value = sum(Decimal(r["close_value"]) for r in won_rows)
    median_days = statistics.median((us_date(r["close_date"]) - us_date(r["engage_date"])).days for r in won_rows)

    root = tmp_path / "sample"
    env = {**env_without_pipe_dir, "TZ": "Europe/Warsaw"}

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([*_pipe_cmd(), *args], capture_output=True, text=True, env=env, check=False)

    assert run("init", str(root), "--stages", "prospecting,engaging", "--currency", "USD").returncode == 0
    r = run(
        "-C", str(root), "import", str(csv_path), "--preset", "crm-sales-opportunities", "--default-date", "2017-12-31"
    )
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip().endswith("8800 created, 0 updated, 0 skipped, 0 failed")
    check = run("-C", str(root), "check")
    assert (check.returncode, check.stdout) == (0, "")

    # what the deals say, read back through a JSON Lines export
    r = run("-C", str(root), "export", "--format", "jsonl")
    assert r.returncode == 0, r.stderr
    deals = [json.loads(line) for line in r.stdout.splitlines()]
    status = Counter(d["status"] for d in deals)
    assert (len(deals), status["won"], status["lost"], status["open"]) == (8800, n_won, n_lost, n_open)
    assert status["won"] / (status["won"] + status["lost"]) == win_rate
    assert sum(Decimal(str(d["value"])) for d in deals if d["status"] == "won") == won_value
    days = []
    for d in deals:
        if d["status"] == "won":
            won_at = next(h["at"] for h in d["history"] if h["event"] == "won")
            engaged = next(h["at"] for h in d["history"] if h.get("to") == "engaging")
            days.append((date.fromisoformat(won_at[:10]) - date.fromisoformat(engaged[:10])).days)
    assert statistics.median(days) == median_days

    # and through SQLite, with the queries of docs/export.md
    db = tmp_path / "sample.db"
    assert run("-C", str(root), "export", "--format", "sqlite", "--output", str(db)).returncode == 0
    con = sqlite3.connect(db)
    win_sql, _, _, to_win_sql, *_ = doc_queries()
    per_owner = con.execute(win_sql).fetchall()
    assert sum(w for _, w, _, _ in per_owner) == n_won
    assert sum(lost for _, _, lost, _ in per_owner) == n_lost
    won_by_owner = Counter(r["sales_agent"] for r in won_rows)
    assert {o: w for o, w, _, _ in per_owner} == dict(won_by_owner)
    # elapsed days: a stay across a change of summer time is an hour shorter or longer
    assert abs(con.execute(to_win_sql).fetchone()[0] - median_days) <= 1 / 24 + 1e-9

    # a second run changes nothing
    again = run(
        "-C", str(root), "import", str(csv_path), "--preset", "crm-sales-opportunities", "--default-date", "2017-12-31"
    )
    assert again.stdout.strip().endswith(
        "0 created, 0 updated, 8800 skipped, 0 failed (8800 imported before; --update updates them)"
    )
