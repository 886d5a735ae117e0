"""What goes in comes out: text in a hand-written file stays text, amounts keep their digits.

The first test states exactly what a file's text reads as (``yamlio.load_fast``, the reader
of every command); every other reader of deal files (a cache, an index, a faster parser)
must give the same data for the same text.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from pipecli import yamlio

READS: list[tuple[str, Any]] = [
    # numbers written as Python writes them are numbers
    ("12000", 12000),
    ("-5", -5),
    ("0", 0),
    ("0.7", 0.7),
    ("1.0", 1.0),
    ("-0.0", -0.0),
    ("1e+20", 1e20),
    # any other spelling YAML 1.2 takes for a number is the text written
    ("0612345678", "0612345678"),
    ("01234", "01234"),
    ("00", "00"),
    ("1e3", "1e3"),
    ("8500.50", "8500.50"),
    ("0.10", "0.10"),
    ("1_000", "1_000"),
    ("+5", "+5"),
    ("-0", "-0"),
    ("0x1F", "0x1F"),
    ("0o17", "0o17"),
    (".5", ".5"),
    ("1.", "1."),
    (".inf", ".inf"),
    (".NaN", ".NaN"),
    ("3.14159265358979323846", "3.14159265358979323846"),
    ("1" * 101, "1" * 101),
    # YAML 1.2 core: these are text (YAML 1.1 would make them booleans, numbers or dates)
    ("no", "no"),
    ("on", "on"),
    ("Yes", "Yes"),
    ("12:30", "12:30"),
    ("2026-03-02", "2026-03-02"),
    ("2026-03-02T10:15:00+01:00", "2026-03-02T10:15:00+01:00"),
    # booleans and null
    ("true", True),
    ("False", False),
    ("null", None),
    ("~", None),
    ("", None),
]


def shape(value: Any) -> Any:
    """The value with its type: 1, 1.0 and True are different data."""
    if isinstance(value, dict):
        return {k: shape(v) for k, v in value.items()}
    if isinstance(value, list):
        return [shape(v) for v in value]
    return (type(value).__name__, repr(value))


@pytest.mark.parametrize(("written", "data"), READS)
def test_a_plain_value_reads_as_stated(written: str, data: Any) -> None:
    assert shape(yamlio.load_fast(f"k: {written}\n")) == shape({"k": data})
    if written:  # the same in a list
        assert shape(yamlio.load_fast(f"k: [{written}, x]\n")) == shape({"k": [data, "x"]})


def test_a_hand_written_deal_file_reads_as_stated() -> None:
    text = (
        "id: 1e3\n"
        "title: 007\n"
        "owner: no\n"
        "tags: [on, off, 0612]\n"
        "contact:\n"
        "  phone: 0612345678\n"
        "value: 8500.50\n"
        "probability: 0.70\n"
        "zip: 01234\n"
        "history:\n"
        "  - at: 2026-03-02T10:15:00+01:00\n"
        "    event: changed\n"
        "    field: value\n"
        "    from: 8500.5\n"
        "    to: 8500.50\n"
    )
    assert shape(yamlio.load_fast(text)) == shape(
        {
            "id": "1e3",
            "title": "007",
            "owner": "no",
            "tags": ["on", "off", "0612"],
            "contact": {"phone": "0612345678"},
            "value": "8500.50",
            "probability": "0.70",
            "zip": "01234",
            "history": [
                {
                    "at": "2026-03-02T10:15:00+01:00",
                    "event": "changed",
                    "field": "value",
                    "from": 8500.5,
                    "to": "8500.50",
                }
            ],
        }
    )


HAND_WRITTEN = """\
title: Università di Bologna
company: 007 Logistics
contact:
  name: Marco
  phone: 0612345678
owner: no
tags: [on, off]
value: 8500.50
currency: EUR
stage: lead
created: 2026-03-02T10:15:00+01:00
zip: 01234
"""


@pytest.fixture
def hand(tmp_path: Path, run_pipe) -> Path:
    root = tmp_path / "p"
    assert run_pipe("init", str(root)).returncode == 0
    (root / "deals" / "bologna.yaml").write_text(HAND_WRITTEN, encoding="utf-8")
    return root


def test_hand_written_text_and_amounts_come_out_as_written(hand: Path, run_pipe) -> None:
    shown = run_pipe("-C", str(hand), "show", "bologna", "--format", "json")
    assert shown.returncode == 0, shown.stderr
    assert '"value": 8500.50,' in shown.stdout
    data = json.loads(shown.stdout)
    assert (data["contact"]["phone"], data["owner"], data["tags"], data["zip"], data["company"]) == (
        "0612345678",
        "no",
        ["on", "off"],
        "01234",
        "007 Logistics",
    )
    as_yaml = run_pipe("-C", str(hand), "show", "bologna", "--format", "yaml").stdout
    for line in ("  phone: '0612345678'\n", "owner: 'no'\n", "tags:\n- 'on'\n- 'off'\n", "value: 8500.50\n"):
        assert line in as_yaml
    assert "zip: '01234'\n" in as_yaml
    csv_out = run_pipe("-C", str(hand), "export", "--format", "csv").stdout.splitlines()
    header, row = csv_out[0].split(","), csv_out[1].split(",")
    cells = dict(zip(header, row, strict=False))
    assert (cells["value"], cells["contact_phone"], cells["owner"]) == ("8500.50", "0612345678", "no")
    listed = run_pipe("-C", str(hand), "list", "--format", "json").stdout
    assert '"value": 8500.50' in listed and '"contact_phone": "0612345678"' in listed


def test_a_rewrite_keeps_what_was_written(hand: Path, run_pipe) -> None:
    r = run_pipe("-C", str(hand), "note", "bologna", "Called Marco", "--at", "2026-03-03T09:00")
    assert r.returncode == 0, r.stderr
    text = (hand / "deals" / "bologna.yaml").read_text(encoding="utf-8")
    assert [line for line in text.splitlines() if line in HAND_WRITTEN.splitlines()] == HAND_WRITTEN.splitlines()
    r = run_pipe("-C", str(hand), "set", "bologna", "value=9000.10", "--at", "2026-03-04T09:00")
    assert r.returncode == 0, r.stderr
    text = (hand / "deals" / "bologna.yaml").read_text(encoding="utf-8")
    assert "\nvalue: 9000.10\n" in text
    assert "    from: 8500.50\n    to: 9000.10\n" in text
    assert "  phone: 0612345678\n" in text and "zip: 01234\n" in text


def test_check_warns_where_other_readers_differ(hand: Path, run_pipe) -> None:
    r = run_pipe("check", cwd=hand)
    assert r.returncode == 0  # warnings only
    where = "deals/bologna.yaml"
    assert r.stdout.splitlines() == [
        f"{where}:5: warning: contact.phone: 0612345678 is the text '0612345678' to pipe, but the number "
        "612345678 to a YAML 1.2 reader; quote it: '0612345678'",
        f"{where}:6: warning: owner: no is the text 'no' to pipe, but false (a yes/no value) to a YAML 1.1 "
        "reader; quote it: owner: 'no'",
        f"{where}:7: warning: tags[0]: on is the text 'on' to pipe, but true (a yes/no value) to a YAML 1.1 "
        "reader; quote it: 'on'",
        f"{where}:7: warning: tags[1]: off is the text 'off' to pipe, but false (a yes/no value) to a YAML 1.1 "
        "reader; quote it: 'off'",
        f"{where}:12: warning: zip: 01234 is the text '01234' to pipe, but the number 668 to a YAML 1.1 reader "
        "and the number 1234 to a YAML 1.2 reader; quote it: zip: '01234'",
    ]
    quoted = (
        HAND_WRITTEN.replace("0612345678", "'0612345678'")
        .replace("owner: no", "owner: 'no'")
        .replace("[on, off]", "['on', 'off']")
        .replace("01234", "'01234'")
    )
    (hand / "deals" / "bologna.yaml").write_text(quoted, encoding="utf-8")
    assert run_pipe("check", cwd=hand).stdout == ""


def test_check_names_a_number_other_readers_read_as_another(hand: Path, run_pipe) -> None:
    (hand / "deals" / "bologna.yaml").write_text(HAND_WRITTEN.replace("value: 8500.50", "value: 0012"), "utf-8")
    r = run_pipe("check", cwd=hand)
    assert (
        "deals/bologna.yaml:8: warning: value: 0012 is 12 to pipe, but the number 10 to a YAML 1.1 reader; write 12"
        in (r.stdout.splitlines())
    )


def test_typed_values_are_written_so_every_reader_agrees(tmp_path: Path, run_pipe) -> None:
    root = tmp_path / "p"
    run_pipe("init", str(root))
    r = run_pipe(
        "-C", str(root), "add", "Zażółć", "--value", "12000.50", "--phone", "0612345678", "--owner", "no",
        "--id", "zazolc", "--at", "2026-03-02T10:00",
    )  # fmt: skip
    assert r.returncode == 0, r.stderr
    text = (root / "deals" / "zazolc.yaml").read_text(encoding="utf-8")
    assert "value: 12000.50\n" in text and "  phone: '0612345678'\n" in text and "owner: 'no'\n" in text
    assert run_pipe("-C", str(root), "check").stdout == ""
    db = tmp_path / "p.db"
    assert run_pipe("-C", str(root), "export", "--format", "sqlite", "--output", str(db)).returncode == 0
    row = sqlite3.connect(db).execute("SELECT value, value_minor, contact_phone FROM deals").fetchone()
    assert row == ("12000.50", 1200050, "0612345678")


def test_an_id_written_like_a_number_stays_the_files_name(hand: Path, run_pipe) -> None:
    text = HAND_WRITTEN.replace("title: Università di Bologna\n", "id: 1e3\ntitle: Thousand\n").replace(
        "zip: 01234\n", ""
    )
    (hand / "deals" / "bologna.yaml").unlink()
    (hand / "deals" / "1e3.yaml").write_text(text.replace("owner: no", "owner: 'no'"), encoding="utf-8")
    r = run_pipe("check", cwd=hand)
    assert r.returncode == 0
    assert r.stdout.splitlines()[0] == (
        "deals/1e3.yaml:1: warning: id: 1e3 is the text '1e3' to pipe, but the number 1000.0 to a YAML 1.2 "
        "reader; quote it: id: '1e3'"
    )
    shown = json.loads(run_pipe("-C", str(hand), "show", "1e3", "--format", "json").stdout)
    assert (shown["id"], shown["title"]) == ("1e3", "Thousand")
