"""Listing rows: every machine format carries the same columns, in one order."""

from __future__ import annotations

import csv
import io
import json

from pipecli.query import ROW_KEYS


def test_json_and_csv_listings_carry_every_row_key_in_order(pipe) -> None:
    deal = pipe.add("Caffè Nero", "--value", "1200.50", "--owner", "giulia", "--at", "2026-03-02")
    rows = json.loads(pipe("list", "--format", "json").stdout)
    assert list(rows[0]) == list(ROW_KEYS)
    assert rows[0]["id"] == deal and rows[0]["value"] == 1200.5 and rows[0]["owner"] == "giulia"
    header = next(csv.reader(io.StringIO(pipe("list", "--format", "csv").stdout)))
    assert header == list(ROW_KEYS)
