"""What `pipe stale` writes: the e-mail body, one file per owner, bad files on stderr."""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

AS_OF = "2026-03-20"  # measured at 2026-03-21T00:00+01:00; every deal below is in lead (7d)


@pytest.fixture
def seven(pipe: Any) -> Any:
    """Seven stale deals, 41,300 EUR, three overdue next steps (the issue's example line)."""

    def add(deal_id: str, title: str, at: str, *opts: str) -> None:
        # created an hour before ``at`` and called then: idle since ``at``, never "not touched"
        created = (datetime.fromisoformat(at) - timedelta(hours=1)).isoformat(timespec="minutes")
        pipe("add", title, "--id", deal_id, "--at", created, *opts)
        pipe("note", deal_id, "First call", "--at", at)

    add("a1", "Acme rollout", "2026-03-12T12:00", "--company", "Acme", "--owner", "Anna", "--value", "10000")
    pipe("next", "a1", "Send offer", "--due", "2026-03-15", "--at", "2026-03-12T12:00")  # overdue 5
    add("a2", "Polska Sp. z o.o.", "2026-03-10T12:00", "--owner", "Anna", "--value", "5000")  # idle 10d12h
    add("a3", "ร้านกาแฟ Chiang Mai", "2026-03-13T12:00", "--owner", "anna", "--value", "3000")
    pipe("next", "a3", "Call back", "--due", "2026-03-19", "--at", "2026-03-13T12:00")  # overdue 1
    add("b1", "Caffè Roma", "2026-03-01T12:00", "--owner", "Bartek", "--value", "12000")  # idle 19d12h
    add("b2", "Berlin GmbH", "2026-03-11T12:00", "--owner", "Bartek", "--value", "8000")
    pipe("next", "b2", "Demo", "--due", "2026-03-16", "--at", "2026-03-11T12:00")  # overdue 4
    add("n1", "Walk-in", "2026-03-06T12:00", "--value", "3300")  # idle 14d12h
    add("n2", "Website form", "2026-03-12T00:00")  # idle 9d, no value
    add("f1", "Fresh", "2026-03-18T12:00", "--owner", "Anna", "--value", "99999")  # idle 2d12h: not stale
    return pipe


EXPECTED_EMAIL = """\
7 stale deals, 41,300 EUR at risk; 3 overdue next steps

Anna: 3 stale deals, 18,000 EUR
- Acme rollout, Acme [a1]
  lead, 10,000 EUR; idle 8 days (limit 7d)
  overdue 5 days: Send offer (due 2026-03-15)
- Polska Sp. z o.o. [a2]
  lead, 5,000 EUR; idle 10 days (limit 7d)
  no next step
- ร้านกาแฟ Chiang Mai [a3]
  lead, 3,000 EUR; idle 7 days (limit 7d)
  overdue 1 day: Call back (due 2026-03-19)

Bartek: 2 stale deals, 20,000 EUR
- Caffè Roma [b1]
  lead, 12,000 EUR; idle 19 days (limit 7d)
  no next step
- Berlin GmbH [b2]
  lead, 8,000 EUR; idle 9 days (limit 7d)
  overdue 4 days: Demo (due 2026-03-16)

No owner: 2 stale deals, 3,300 EUR
- Walk-in [n1]
  lead, 3,300 EUR; idle 14 days (limit 7d)
  no next step
- Website form [n2]
  lead; idle 9 days (limit 7d)
  no next step
"""


def test_email_body_summary_first_then_grouped_by_owner(seven: Any) -> None:
    result = seven("stale", "--as-of", AS_OF, "--format", "email")
    assert result.stdout == EXPECTED_EMAIL
    assert result.stderr == ""


def test_email_summary_adds_nothing_across_currencies(pipe: Any) -> None:
    pipe("add", "Zloty deal", "--id", "p1", "--value", "5000", "--currency", "PLN", "--at", "2026-03-01T10:00")
    pipe("add", "Euro deal", "--id", "e1", "--value", "1200.50", "--at", "2026-03-01T10:00")
    pipe("add", "No value", "--id", "z1", "--at", "2026-03-01T10:00")
    first = pipe("stale", "--as-of", AS_OF, "-f", "email").stdout.splitlines()[0]
    assert first == "3 stale deals, 1,200.50 EUR + 5,000 PLN at risk; 0 overdue next steps"


def test_table_has_the_columns_people_read(seven: Any) -> None:
    out = seven("stale", "--as-of", AS_OF).stdout
    lines = out.splitlines()
    headers = "deal title company owner stage idle (limit) value next step due reason"
    assert lines[0].split() == headers.split()
    body = [line.split()[0] for line in lines[2:]]
    assert body == ["b1", "n1", "a1", "b2", "a2", "n2", "a3"]  # 12.5, 7.5, 5, 4, 3.5, 2, 1 days past
    b1 = lines[2]
    assert "19d (7d)" in b1 and "12,000 EUR" in b1 and b1.rstrip().endswith("no next step")
    a1 = next(line for line in lines if line.startswith("a1 "))
    assert "Send offer" in a1 and "2026-03-15" in a1 and a1.rstrip().endswith("overdue 5d")
    assert "\x1b" not in out


def test_csv_and_markdown_carry_the_same_deals(seven: Any) -> None:
    csv_lines = seven("stale", "--as-of", AS_OF, "-f", "csv").stdout.splitlines()
    assert csv_lines[0].startswith("id,title,company,owner,stage,reason,idle_days,")
    assert [line.split(",")[0] for line in csv_lines[1:]] == ["b1", "n1", "a1", "b2", "a2", "n2", "a3"]
    md = seven("stale", "--as-of", AS_OF, "-f", "markdown").stdout
    assert md.splitlines()[0].startswith("| deal ")
    assert "| ร้านกาแฟ Chiang Mai" in md


# -- one file per owner ------------------------------------------------------------------------
def test_by_owner_dir_writes_one_email_per_owner(seven: Any, tmp_path: Path) -> None:
    out = tmp_path / "stale-lists"
    result = seven("stale", "--as-of", AS_OF, "-f", "email", "--by-owner-dir", str(out))
    assert (result.stdout, result.stderr) == ("", "")
    assert sorted(p.name for p in out.iterdir() if not p.name.startswith(".")) == [
        "Anna.txt",
        "Bartek.txt",
        "_no-owner.txt",
    ]
    anna = (out / "Anna.txt").read_text(encoding="utf-8")
    assert anna.splitlines()[0] == "3 stale deals, 18,000 EUR at risk; 2 overdue next steps"
    assert "\nAnna: 3 stale deals, 18,000 EUR\n" in anna
    assert re.findall(r"\[(\w+)\]", anna) == ["a1", "a2", "a3"]
    bartek = (out / "Bartek.txt").read_text(encoding="utf-8")
    assert bartek.splitlines()[0] == "2 stale deals, 20,000 EUR at risk; 1 overdue next step"
    nobody = (out / "_no-owner.txt").read_text(encoding="utf-8")
    assert nobody.splitlines()[0] == "2 stale deals, 3,300 EUR at risk; 0 overdue next steps"
    assert "No owner: 2 stale deals, 3,300 EUR" in nobody


def test_by_owner_dir_removes_lists_that_are_no_longer_stale(seven: Any, tmp_path: Path) -> None:
    out = tmp_path / "lists"
    out.mkdir()
    (out / "keep-me.txt").write_text("not pipe's\n", encoding="utf-8")
    seven("stale", "--as-of", AS_OF, "--by-owner-dir", str(out))
    assert (out / "Bartek.txt").exists()
    # Bartek works both deals; his list is gone the next morning, the others stay
    seven("note", "b1", "Called", "--at", "2026-03-20T15:00")
    seven("next", "b2", "Demo again", "--due", "2026-03-25", "--at", "2026-03-20T15:00")
    seven("stale", "--as-of", AS_OF, "--by-owner-dir", str(out))
    assert sorted(p.name for p in out.iterdir() if not p.name.startswith(".")) == [
        "Anna.txt",
        "_no-owner.txt",
        "keep-me.txt",
    ]
    assert (out / "keep-me.txt").read_text(encoding="utf-8") == "not pipe's\n"
    # nothing stale at all: every list pipe wrote is gone, nothing else
    result = seven("stale", "--as-of", "2026-03-01", "--by-owner-dir", str(out), "--fail-if-any")
    assert result.exit_code == 0
    assert sorted(p.name for p in out.iterdir() if not p.name.startswith(".")) == ["keep-me.txt"]


def test_by_owner_dir_file_names_are_safe_for_any_owner(pipe: Any, tmp_path: Path) -> None:
    owners = {
        "z": "Zoë Kowalska/Sales",
        "t": "สมชาย ใจดี",
        "e": "../../etc",
        "c": "CON",
        "h": ".hidden",
    }
    for deal_id, owner in owners.items():
        pipe("add", f"Deal of {owner}", "--id", deal_id, "--owner", owner, "--at", "2026-03-01T10:00")
    out = tmp_path / "lists"
    pipe("stale", "--as-of", AS_OF, "-f", "json", "--by-owner-dir", str(out))
    names = sorted(p.name for p in out.iterdir() if not p.name.startswith("."))
    assert names == sorted(["Zoë-Kowalska-Sales.json", "สมชาย-ใจดี.json", "etc.json", "CON_.json", "hidden.json"])
    assert not (tmp_path / "etc.json").exists()
    assert '"owner": "สมชาย ใจดี"' in (out / "สมชาย-ใจดี.json").read_text(encoding="utf-8")


def test_by_owner_dir_that_is_a_file_is_an_error(pipe: Any, tmp_path: Path) -> None:
    pipe("add", "Old", "--at", "2026-03-01T10:00")
    target = tmp_path / "afile"
    target.write_text("x", encoding="utf-8")
    result = pipe("stale", "--as-of", AS_OF, "--by-owner-dir", str(target), ok=False)
    assert result.exit_code == 1
    assert result.stderr.startswith("pipe: --by-owner-dir: ") and "is a file" in result.stderr


# -- bad files ---------------------------------------------------------------------------------
def test_bad_deal_files_are_named_and_the_good_ones_listed(pipe: Any) -> None:
    pipe("add", "Good and old", "--id", "good", "--at", "2026-03-01T10:00")
    deals = pipe.root / "deals"
    (deals / "broken.yaml").write_text("title: [never closed\nstage: lead\n", encoding="utf-8")
    (deals / "badvalue.yaml").write_text(
        "title: Bad value\nstage: lead\ncreated: 2026-03-01T10:00:00+01:00\nvalue: lots\n", encoding="utf-8"
    )
    result = pipe("stale", "--as-of", AS_OF, "-f", "csv", ok=False)
    assert result.exit_code == 1
    assert [line.split(",")[0] for line in result.stdout.splitlines()] == ["id", "good"]
    errors = result.stderr.splitlines()
    assert len(errors) == 2
    assert re.match(r"^pipe: \S*badvalue\.yaml:4: value: ", errors[0])
    assert re.match(r"^pipe: \S*broken\.yaml:\d+: ", errors[1])


def test_bad_files_make_the_exit_code_1_even_when_nothing_is_stale(pipe: Any) -> None:
    (pipe.root / "deals").mkdir(exist_ok=True)
    (pipe.root / "deals" / "broken.yaml").write_text(": :\n  - [\n", encoding="utf-8")
    result = pipe("stale", "--as-of", AS_OF, ok=False)
    assert (result.exit_code, result.stdout) == (1, "")
    assert "broken.yaml:" in result.stderr


def test_email_is_a_format_of_stale_only(pipe: Any) -> None:
    pipe("add", "Caffè Roma", "--id", "r1", "--value", "1200", "--at", "2026-03-01T10:00")
    for command in ("list", "report"):
        result = pipe(command, "--format", "email", ok=False)
        assert (result.exit_code, result.stdout) == (2, "")
        assert result.stderr.startswith("pipe: --format 'email': use table, markdown, json, ")
        assert result.stderr.endswith("(email is for `pipe stale`)\n")


def test_output_writes_the_list_to_a_file_and_not_with_by_owner_dir(seven: Any, tmp_path: Path) -> None:
    target = tmp_path / "stale.json"
    result = seven("stale", "--as-of", AS_OF, "-f", "json", "-o", str(target))
    assert (result.stdout, result.stderr) == ("", "")
    assert [d["id"] for d in json.loads(target.read_text(encoding="utf-8"))] == [
        "b1",
        "n1",
        "a1",
        "b2",
        "a2",
        "n2",
        "a3",
    ]
    both = seven("stale", "--by-owner-dir", str(tmp_path / "d"), "-o", str(target), ok=False)
    assert (both.exit_code, both.stderr) == (
        2,
        "pipe: give --by-owner-dir DIR (a file per owner) or --output FILE, not both\n",
    )
