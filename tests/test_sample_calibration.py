"""`pipe report --calibration` on the whole CRM Sales Opportunities sample (8,800 deals), against the CSV.

Every closed deal of the sample has an engage date: it reached both stages (prospecting,
engaging), and its row says whether it was won. So, per stage, the closed deals that reached
it are the CSV's Won and Lost rows (closed by the as-of day), and the won ones its Won rows:
counted here from the CSV alone, and compared with what `pipe report --calibration` says.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections import Counter
from datetime import date
from pathlib import Path

import pytest
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
def test_calibration_counts_on_the_sample_equal_the_csv(tmp_path: Path, env_without_pipe_dir: dict[str, str]) -> None:
    assert SAMPLE is not None
    csv_path = SAMPLE / "sales_pipeline.csv"
    rows = sample_rows(csv_path)
    root = tmp_path / "sample"
    env = {**env_without_pipe_dir, "TZ": "Europe/Warsaw"}

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([*_pipe_cmd(), *args], capture_output=True, text=True, env=env, check=False)

    assert run("init", str(root), "--stages", "prospecting,engaging", "--currency", "USD").returncode == 0
    r = run(
        "-C", str(root), "import", str(csv_path), "--preset", "crm-sales-opportunities", "--default-date", "2017-12-31"
    )
    assert r.returncode == 0, r.stderr

    def closed_by(day: date | None, agent: str | None = None) -> tuple[int, int]:
        """(closed, won) from the CSV: rows Won or Lost, closed on or before ``day``."""
        picked = [
            x
            for x in rows
            if x["deal_stage"] in ("Won", "Lost")
            and (day is None or us_date(x["close_date"]) <= day)
            and (agent is None or x["sales_agent"] == agent)
        ]
        return len(picked), sum(1 for x in picked if x["deal_stage"] == "Won")

    def calibration(*args: str) -> dict:
        r = run("-C", str(root), "report", "--calibration", "--format", "json", *args)
        assert r.returncode == 0, r.stderr
        return json.loads(r.stdout)

    data = calibration("--as-of", "2017-12-31")
    assert closed_by(None) == (6711, 4238)
    assert [(c["stage"], c["closed"], c["won"]) for c in data["calibration"]] == [
        ("prospecting", 6711, 4238),
        ("engaging", 6711, 4238),
    ]
    assert all(c["verdict"] in ("low", "high", "ok") for c in data["calibration"])

    # as of a day mid-year: only the closings up to it count
    day = date(2017, 6, 30)
    closed, won = closed_by(day)
    assert 0 < closed < 6711
    data = calibration("--as-of", day.isoformat(), "--by", "owner")
    assert [(c["closed"], c["won"]) for c in data["calibration"]] == [(closed, won), (closed, won)]
    # and per owner (sales agent)
    agents = Counter(x["sales_agent"] for x in rows)
    groups = {g["key"]: g["calibration"] for g in data["groups"]}
    assert set(groups) == set(agents)
    for agent in agents:
        assert [(c["closed"], c["won"]) for c in groups[agent]] == [closed_by(day, agent)] * 2, agent
