"""`pipe report --period quarter` on the CRM Sales Opportunities sample: the won and lost deals per quarter
are the ones counted straight from the CSV with the csv module (the committed excerpt always; the
whole 8,800 rows when the sample is on this machine)."""

from __future__ import annotations

import json
from collections import Counter
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from transfer_helpers import EXCERPT, sample_dir, sample_rows, us_date

SAMPLE = sample_dir()


def quarter(text: str) -> str:
    day = us_date(text)
    return f"{day.year}-Q{(day.month - 1) // 3 + 1}"


def check_quarters(csv_path: Path, root: Path, run_pipe: Any) -> list[dict[str, Any]]:
    rows = sample_rows(csv_path)
    won = Counter(quarter(r["close_date"]) for r in rows if r["deal_stage"] == "Won")
    lost = Counter(quarter(r["close_date"]) for r in rows if r["deal_stage"] == "Lost")
    won_value: dict[str, Decimal] = {}
    for r in rows:
        if r["deal_stage"] == "Won":
            q = quarter(r["close_date"])
            won_value[q] = won_value.get(q, Decimal(0)) + Decimal(r["close_value"])
    r = run_pipe("init", str(root), "--stages", "prospecting,engaging", "--currency", "USD")
    assert r.returncode == 0, r.stderr
    r = run_pipe(
        "-C", str(root), "import", str(csv_path), "--preset", "crm-sales-opportunities", "--default-date", "2017-12-31"
    )
    assert r.returncode == 0, r.stderr
    r = run_pipe(
        "-C", str(root), "report", "--period", "quarter", "--since", "2016-10-01", "--as-of", "2017-12-31",
        "--format", "json",
    )  # fmt: skip
    assert r.returncode == 0, r.stderr
    periods = json.loads(r.stdout)["periods"]
    labels = ["2016-Q4", "2017-Q1", "2017-Q2", "2017-Q3", "2017-Q4"]
    assert [p["label"] for p in periods] == labels
    assert {p["label"]: p["won"] for p in periods} == {q: won.get(q, 0) for q in labels}
    assert {p["label"]: p["lost"] for p in periods} == {q: lost.get(q, 0) for q in labels}
    assert {p["label"]: Decimal(str(p["won_value"].get("USD", 0))) for p in periods} == {
        q: won_value.get(q, Decimal(0)) for q in labels
    }
    assert sum(won.values()) == sum(p["won"] for p in periods)  # no win outside the quarters shown
    return periods


def test_the_excerpt_s_quarters_are_the_csv_s(tmp_path: Path, run_pipe: Any) -> None:
    periods = check_quarters(EXCERPT, tmp_path / "excerpt", run_pipe)
    assert sum(p["won"] for p in periods) == 10 and sum(p["lost"] for p in periods) == 10


@pytest.mark.slow
@pytest.mark.skipif(
    SAMPLE is None,
    reason="the CRM Sales Opportunities sample is not here: set PIPE_SAMPLE_DIR to the folder "
    "holding sales_pipeline.csv (or put it in ../shared/data/crm-sales-opportunities)",
)
def test_the_whole_sample_s_quarters_are_the_csv_s(tmp_path: Path, run_pipe: Any) -> None:
    assert SAMPLE is not None
    periods = check_quarters(SAMPLE / "sales_pipeline.csv", tmp_path / "sample", run_pipe)
    assert sum(p["won"] for p in periods) == 4238 and sum(p["lost"] for p in periods) == 2473
