"""`pipe agenda`: next steps by day and the untouched leads, end to end with a fixed --as-of.

Time zone Europe/Warsaw (conftest): March 2026 is +01:00. The day is 2026-03-10 (a Tuesday).
"""

from __future__ import annotations

import csv
import io
import json
import re
import subprocess
from datetime import date
from pathlib import Path
from typing import Any

import icalendar
import pytest
from conftest import PIPE_SCRIPT

from pipecli.render.agenda import fold, ics_text

DAY = "2026-03-10"


def step(pipe: Any, deal: str, text: str, due: str, at: str = "2026-03-02T12:00") -> None:
    pipe("next", deal, text, "--due", due, "--at", at)


@pytest.fixture
def day(pipe: Any) -> Any:
    """Steps overdue, today, in the next days and later; an untouched lead; closed and young deals."""

    def add(deal_id: str, title: str, *opts: str, at: str = "2026-03-02T09:00", call: bool = True) -> None:
        pipe("add", title, "--id", deal_id, "--at", at, *opts)
        if call:
            pipe("note", deal_id, "First call", "--at", at.replace("T09:", "T10:"))

    add("zazolc", "Zażółć gęślą jaźń", "--company", "Zażółć Sp. z o.o.", "--owner", "marek", "--value", "12000",
        "--currency", "PLN", "--stage", "proposal")  # fmt: skip
    step(pipe, "zazolc", "Wyślij ofertę; potem, zadzwoń", "2026-03-06")
    add("caffe", "Caffè Sant'Orsola", "--company", "Cantina", "--owner", "Giulia", "--value", "13900")
    step(pipe, "caffe", "Book the demo", "2026-03-09")
    add("doi", "ร้านกาแฟดอยช้าง สาขาใหม่", "--owner", "somchai", "--value", "182200", "--currency", "THB")
    step(pipe, "doi", "โทรหาลูกค้า", DAY)
    add("acme", "Acme rollout", "--owner", "marek", "--stage", "qualified")
    step(pipe, "acme", "Send the contract", "2026-03-17")  # the last day of the next 7
    add("beta", "Beta renewal", "--owner", "marek")
    step(pipe, "beta", "Check in", "2026-03-12")
    add("later", "Later", "--owner", "marek")
    step(pipe, "later", "Far away", "2026-03-18")  # after the next 7 days
    add("won", "Won deal", "--owner", "marek")
    step(pipe, "won", "Invoice", "2026-03-09")
    pipe("won", "won", "--at", "2026-03-05T12:00")
    add("cold", "Wrocławska Piekarnia", "--owner", "marek", "--value", "8800", "--currency", "PLN", call=False)
    add("young", "Fresh lead", "--owner", "marek", at="2026-03-10T09:00", call=False)  # 15h old at midnight
    return pipe


def agenda_json(pipe: Any, *args: str) -> dict[str, Any]:
    result = pipe("agenda", "--as-of", DAY, "--format", "json", *args)
    assert result.stderr == ""
    return json.loads(result.stdout)


def test_groups_and_their_order(day: Any) -> None:
    data = agenda_json(day)
    assert (data["day"], data["days"], data["until"], data["first_touch_within"]) == (DAY, 7, "2026-03-17", "24h")
    assert [(x["id"], x["due"]) for x in data["overdue"]] == [("zazolc", "2026-03-06"), ("caffe", "2026-03-09")]
    assert [(x["id"], x["step"]) for x in data["today"]] == [("doi", "โทรหาลูกค้า")]
    assert [(x["id"], x["due"]) for x in data["upcoming"]] == [("beta", "2026-03-12"), ("acme", "2026-03-17")]
    assert [x["id"] for x in data["untouched"]] == ["cold"]
    first = data["overdue"][0]
    assert first == {
        "due": "2026-03-06",
        "step": "Wyślij ofertę; potem, zadzwoń",
        "id": "zazolc",
        "title": "Zażółć gęślą jaźń",
        "company": "Zażółć Sp. z o.o.",
        "stage": "proposal",
        "value": 12000,
        "currency": "PLN",
        "owner": "marek",
        "created": "2026-03-02T08:00:00+00:00",
    }


def test_days_and_owner(day: Any) -> None:
    data = agenda_json(day, "--days", "1")
    assert (data["until"], data["upcoming"]) == ("2026-03-11", [])
    data = agenda_json(day, "--days", "8")
    assert [x["id"] for x in data["upcoming"]] == ["beta", "acme", "later"]
    data = agenda_json(day, "--owner", "MAREK")
    assert data["owner"] == "MAREK"
    assert [x["id"] for x in data["overdue"] + data["today"] + data["upcoming"]] == ["zazolc", "beta", "acme"]
    bad = day("agenda", "--days", "-1", ok=False)
    assert bad.exit_code == 2 and bad.stdout == ""


def test_the_table_and_markdown_name_every_group(day: Any) -> None:
    text = day("agenda", "--as-of", DAY).stdout
    headings = [line for line in text.splitlines() if line.endswith(")")]
    assert headings == [
        "Overdue (2)",
        "Today, 2026-03-10 (1)",
        "Next 7 days, to 2026-03-17 (2)",
        "Not touched within 24h (1)",
    ]
    assert text.startswith(f"Agenda for {DAY}\n")
    assert "ร้านกาแฟดอยช้าง สาขาใหม่" in text and "12,000 PLN" in text and "182,200 THB" in text
    cold = next(line for line in text.splitlines() if line.startswith("cold "))
    assert cold.split()[-1] == "8d"  # waiting since 2026-03-02 09:00: 8 days and 15 hours
    md = day("agenda", "--as-of", DAY, "-f", "markdown").stdout
    assert "## Overdue (2)" in md and "| 2026-03-06 | Wyślij ofertę; potem, zadzwoń | zazolc |" in md


def test_csv_has_a_line_per_step_and_lead(day: Any) -> None:
    rows = list(csv.DictReader(io.StringIO(day("agenda", "--as-of", DAY, "-f", "csv").stdout)))
    assert [(r["group"], r["id"]) for r in rows] == [
        ("overdue", "zazolc"),
        ("overdue", "caffe"),
        ("today", "doi"),
        ("upcoming", "beta"),
        ("upcoming", "acme"),
        ("untouched", "cold"),
    ]
    assert rows[0]["value"] == "12000" and rows[-1]["due"] == "" and rows[-1]["value"] == "8800"


def test_the_untouched_lead_is_the_one_pipe_stale_lists(day: Any) -> None:
    stale = json.loads(day("stale", "--as-of", DAY, "-f", "json").stdout)
    untouched = [x["id"] for x in stale if x["reason"] == "not touched"]
    assert untouched == [x["id"] for x in agenda_json(day)["untouched"]] == ["cold"]


# -- iCalendar -------------------------------------------------------------------------------------
def ics(run_pipe: Any, root: Any, *args: str) -> bytes:
    """The iCalendar file `pipe agenda` writes, as bytes: standard output and -o FILE alike."""
    command = [str(PIPE_SCRIPT), "-C", str(root), "agenda", "--as-of", DAY, "--format", "ics", *args]
    done = subprocess.run(command, capture_output=True, timeout=120, check=False)
    assert done.returncode == 0 and done.stderr == b""
    path = root / "agenda.ics"
    out = run_pipe("-C", str(root), "agenda", "--as-of", DAY, "--format", "ics", "-o", str(path), *args)
    assert out.returncode == 0
    data = path.read_bytes()
    assert data == done.stdout  # a file or standard output: the same bytes
    return data


def todos(data: bytes) -> list[Any]:
    cal = icalendar.Calendar.from_ical(data)
    return [c for c in cal.walk() if c.name == "VTODO"]


def test_ics_parses_back_with_every_step(day: Any, run_pipe: Any) -> None:
    data = ics(run_pipe, day.root)
    items = todos(data)
    assert [(str(t["SUMMARY"]), t["DUE"].dt) for t in items] == [
        ("Wyślij ofertę; potem, zadzwoń (Zażółć gęślą jaźń)", date(2026, 3, 6)),
        ("Book the demo (Caffè Sant'Orsola)", date(2026, 3, 9)),
        ("โทรหาลูกค้า (ร้านกาแฟดอยช้าง สาขาใหม่)", date(2026, 3, 10)),
        ("Check in (Beta renewal)", date(2026, 3, 12)),
        ("Send the contract (Acme rollout)", date(2026, 3, 17)),
    ]
    assert str(items[0]["DESCRIPTION"]).splitlines() == [
        "Zażółć gęślą jaźń",
        "Zażółć Sp. z o.o.",
        "proposal",
        "12,000 PLN",
        "owner marek",
        "deal zazolc",
    ]
    assert all(str(t["STATUS"]) == "NEEDS-ACTION" for t in items)
    assert len({str(t["UID"]) for t in items}) == 5
    # the form of the file: CR LF everywhere, lines of at most 75 octets, UTF-8
    assert data.endswith(b"END:VCALENDAR\r\n") and b"\n" not in data.replace(b"\r\n", b"")
    assert max(len(line) for line in data.split(b"\r\n")) <= 75
    assert b"Wy\xc5\x9blij ofert\xc4\x99\\; potem\\, zadzwo\xc5\x84" in data.replace(b"\r\n ", b"")


def test_uids_stay_when_run_again_and_when_a_step_is_rescheduled(day: Any, run_pipe: Any) -> None:
    before = {str(t["SUMMARY"]): str(t["UID"]) for t in todos(ics(run_pipe, day.root))}
    assert before == {str(t["SUMMARY"]): str(t["UID"]) for t in todos(ics(run_pipe, day.root))}
    step(day, "beta", "Check in", "2026-03-14", at="2026-03-09T12:00")  # moved two days on
    after = {str(t["SUMMARY"]): (str(t["UID"]), t["DUE"].dt) for t in todos(ics(run_pipe, day.root))}
    assert after["Check in (Beta renewal)"] == (before["Check in (Beta renewal)"], date(2026, 3, 14))
    step(day, "beta", "Send the quote", "2026-03-14", at="2026-03-09T13:00")  # another step: another UID
    again = {str(t["SUMMARY"]): str(t["UID"]) for t in todos(ics(run_pipe, day.root))}
    assert again["Send the quote (Beta renewal)"] not in before.values()


def test_hostile_step_text_is_escaped_and_folded(pipe: Any, run_pipe: Any) -> None:
    pipe("add", "Ünïcödé, Ltd; \\ test", "--id", "odd", "--at", "2026-03-02T09:00")
    text = "Line one\nline two; a, b \\ c " + "ก" * 40
    step(pipe, "odd", text, DAY)
    items = todos(ics(run_pipe, pipe.root))
    assert str(items[0]["SUMMARY"]) == f"{text} (Ünïcödé, Ltd; \\ test)"


@pytest.mark.parametrize(
    ("value", "escaped"),
    [
        ("a,b;c\\d", "a\\,b\\;c\\\\d"),
        ("one\ntwo\r\nthree\rfour", "one\\ntwo\\nthree\\nfour"),
        ("tab\tand \x00 bell\x07", "tab\tand  bell"),
    ],
)
def test_ics_text_escapes(value: str, escaped: str) -> None:
    assert ics_text(value) == escaped


@pytest.mark.parametrize("text", ["x" * 200, "ก" * 100, "Zażółć " * 30, "a" * 74 + "ż" + "b" * 80])
def test_folding_never_splits_a_character_and_unfolds_to_the_line(text: str) -> None:
    line = "SUMMARY:" + text
    folded = fold(line).encode("utf-8")
    parts = folded[:-2].split(b"\r\n")
    assert all(len(p) <= 75 for p in parts)
    assert all(p.startswith(b" ") for p in parts[1:])
    assert b"".join([parts[0], *(p[1:] for p in parts[1:])]).decode("utf-8") == line  # each part is whole UTF-8


def test_me_on_the_agenda(day: Any, run_pipe: Any) -> None:
    done = run_pipe("-C", str(day.root), "agenda", "--as-of", DAY, "--owner", "me", "-f", "json",
                    env={"PIPE_USER": "marek@example.com"})  # fmt: skip
    data = json.loads(done.stdout)
    assert data["owner"] == "marek"
    assert [x["id"] for x in data["overdue"] + data["today"] + data["upcoming"] + data["untouched"]] == [
        "zazolc",
        "beta",
        "acme",
        "cold",
    ]
    done = run_pipe("-C", str(day.root), "agenda", "--owner", "me", env={"PIPE_USER": "nobody"})
    assert done.returncode == 2 and len(done.stderr.splitlines()) == 1


# -- the cron recipes of docs/cron.md, run as cron would -------------------------------------------------
ROOT = Path(__file__).resolve().parent.parent


def cron_lines(title: str) -> list[str]:
    doc = (ROOT / "docs" / "cron.md").read_text(encoding="utf-8")
    section = doc.split(f"### {title}", 1)[1].split("\n## ", 1)[0].split("\n### ", 1)[0]
    lines = [line for block in re.findall(r"```crontab\n(.*?)```", section, re.S) for line in block.splitlines()]
    return [line.split(None, 5)[5] for line in lines if re.match(r"^[0-9*]", line)]


def as_cron(command: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    command = command.replace("/srv/sales", str(ROOT / "examples" / "demo"))
    command = command.replace("/var/www/html", str(tmp_path / "www")).replace("agenda ", "agenda --as-of 2026-11-20 ")
    path = f"{PIPE_SCRIPT.parent}:/usr/bin:/bin"
    return subprocess.run(
        ["env", "-i", f"PATH={path}", "sh", "-c", command],
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        timeout=120,
        check=False,
    )


def test_the_morning_agenda_line(tmp_path: Path, run_pipe: Any) -> None:
    (line,) = cron_lines("Mail each seller their agenda every weekday at 7:30")
    done = as_cron(line, tmp_path)
    assert (done.returncode, done.stderr) == (0, "")
    assert done.stdout.startswith("Agenda of marek for 2026-11-20\n")
    expected = run_pipe("-C", str(ROOT / "examples" / "demo"), "agenda", "--as-of", "2026-11-20", "--owner", "marek")
    assert done.stdout == expected.stdout and "wroclawska-piekarnia-tfyp" in done.stdout


def test_the_calendar_line(tmp_path: Path) -> None:
    (line,) = cron_lines("Keep a calendar of the next steps")
    (tmp_path / "www" / "calendars").mkdir(parents=True)
    done = as_cron(line, tmp_path)
    assert (done.returncode, done.stdout, done.stderr) == (0, "", "")
    items = todos((tmp_path / "www" / "calendars" / "marek.ics").read_bytes())
    assert [str(t["SUMMARY"]) for t in items] == ["Check in after the holidays (Wrocławska Piekarnia – kasy)"]
