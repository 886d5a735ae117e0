"""Helpers for the import/export tests: reading deal files and the sample CSV as plain text."""

from __future__ import annotations

import csv
import os
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import yaml

FIXTURES = Path(__file__).parent / "fixtures"
EXCERPT = FIXTURES / "sales_pipeline_excerpt.csv"
WARSAW = ZoneInfo("Europe/Warsaw")  # the tests' TZ (conftest)


def read_deals(root: Path) -> dict[str, dict]:
    """Every deal file as raw YAML data (all scalars as text), keyed by file name stem."""
    out = {}
    for path in sorted((root / "deals").glob("*.yaml")):
        out[path.stem] = yaml.load(path.read_text(encoding="utf-8"), Loader=yaml.BaseLoader)
    return out


def by_external_id(root: Path) -> dict[str, dict]:
    return {d["external_id"]: d for d in read_deals(root).values() if "external_id" in d}


def sample_rows(path: Path) -> list[dict[str, str]]:
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def us_date(text: str) -> date:
    m, d, y = (int(x) for x in text.split("/"))
    return date(y, m, d)


def midnight(day: date) -> str:
    """Local midnight of a day in the tests' time zone, as the files write it."""
    return datetime(day.year, day.month, day.day, tzinfo=WARSAW).isoformat()


def sample_dir() -> Path | None:
    """The full CRM Sales Opportunities sample, if this machine has it."""
    candidates = []
    if os.environ.get("PIPE_SAMPLE_DIR"):
        candidates.append(Path(os.environ["PIPE_SAMPLE_DIR"]))
    repo = Path(__file__).resolve().parent.parent
    candidates += [
        repo.parent / "shared" / "data" / "crm-sales-opportunities",
        Path("/work/shared/data/crm-sales-opportunities"),
    ]
    for c in candidates:
        if (c / "sales_pipeline.csv").is_file():
            return c
    return None
