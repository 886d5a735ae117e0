"""`pipe log`: the timeline of moves, status changes, field changes and notes across deals,
newest first, from the files' own histories; filters, formats, and who made each entry."""

from __future__ import annotations

import csv
import io
import json
from datetime import timedelta

import pytest

from pipecli.timeutil import today


@pytest.fixture
def week(pipe, monkeypatch):
    """Two deals worked on by anna and marek over a week in March 2026."""
    monkeypatch.setenv("PIPE_USER", "anna")
    pipe.add("Acme rollout", "--id", "acme", "--owner", "anna", "--value", "1000", "--at", "2026-03-02T09:00")
    pipe("move", "acme", "qualified", "--note", "Call went well\nThey want a pilot", "--at", "2026-03-03T10:00")
    monkeypatch.setenv("PIPE_USER", "marek")
    pipe.add("Zażółć pilot", "--id", "zazolc", "--owner", "marek", "--at", "2026-03-03T10:00")
    pipe("set", "acme", "value=1500", "--at", "2026-03-04T11:30")
    pipe("lost", "zazolc", "--reason", "price", "--at", "2026-03-05T16:00")
    monkeypatch.setenv("PIPE_USER", "anna")
    pipe("won", "acme", "--at", "2026-03-06T12:00")
    return pipe


def test_the_week_newest_first(week) -> None:
    assert week("log").stdout == (
        "when              deal    what                    by\n"
        "----------------  ------  ----------------------  -----\n"
        "2026-03-06 12:00  acme    won (at qualified)      anna\n"
        "2026-03-05 16:00  zazolc  lost (at lead): price   marek\n"
        "2026-03-04 11:30  acme    value: 1000 → 1500      marek\n"
        "2026-03-03 10:00  acme    note: Call went well …  anna\n"
        "2026-03-03 10:00  acme    moved lead → qualified  anna\n"
        "2026-03-03 10:00  zazolc  created in lead         marek\n"
        "2026-03-02 09:00  acme    created in lead         anna\n"
    )


def test_filters(week) -> None:
    def deals_and_events(*args: str) -> list[tuple[str, str]]:
        return [(e["deal"], e["event"]) for e in json.loads(week("log", "--format", "json", *args).stdout)]

    assert deals_and_events("zaz") == [("zazolc", "lost"), ("zazolc", "created")]
    assert deals_and_events("--since", "2026-03-05") == [("acme", "won"), ("zazolc", "lost")]
    assert deals_and_events("--as-of", "2026-03-03", "--since", "2026-03-03") == [
        ("acme", "note"),
        ("acme", "moved"),
        ("zazolc", "created"),
    ]
    assert deals_and_events("--owner", "MAREK") == [("zazolc", "lost"), ("zazolc", "created")]
    assert deals_and_events("--by", "marek") == [("zazolc", "lost"), ("acme", "changed"), ("zazolc", "created")]
    assert deals_and_events("-n", "2") == [("acme", "won"), ("zazolc", "lost")]
    assert week("log", "nope", ok=False).stderr == "pipe: no deal 'nope'; `pipe list` shows the ids\n"
    assert week("log", "--since", "last week", ok=False).exit_code == 2


def test_machine_formats_carry_every_field(week) -> None:
    entries = json.loads(week("log", "acme", "--format", "json").stdout)
    assert entries[1] == {
        "at": "2026-03-04T11:30:00+01:00",
        "deal": "acme",
        "title": "Acme rollout",
        "owner": "anna",
        "event": "changed",
        "field": "value",
        "from": 1000,
        "to": 1500,
        "reason": None,
        "text": None,
        "by": "marek",
    }
    assert entries[2]["text"] == "Call went well\nThey want a pilot"
    rows = list(csv.DictReader(io.StringIO(week("log", "--format", "csv").stdout)))
    assert [r["event"] for r in rows] == ["won", "lost", "changed", "note", "moved", "created", "created"]
    assert rows[1]["reason"] == "price" and rows[1]["title"] == "Zażółć pilot"
    assert week("log", "--format", "email", ok=False).exit_code == 2


def test_this_week_relative_to_today(pipe) -> None:
    day = today()
    pipe.add("Old", "--id", "old", "--at", (day - timedelta(days=30)).isoformat())
    pipe.add("New", "--id", "new", "--at", (day - timedelta(days=2)).isoformat())
    entries = json.loads(pipe("log", "--since", "-7d", "--format", "json").stdout)
    assert [(e["deal"], e["by"]) for e in entries] == [("new", "tester")]


def test_a_hand_written_file_and_a_bad_one(pipe) -> None:
    (pipe.root / "deals" / "hand.yaml").write_text(
        "title: Hand\nstage: meeting\ncreated: 2026-03-02T09:00:00+01:00\n", encoding="utf-8"
    )
    (pipe.root / "deals" / "bad.yaml").write_text("title: [\n", encoding="utf-8")
    result = pipe("log", "--format", "json", ok=False)
    assert result.exit_code == 1
    assert [(e["deal"], e["event"], e["to"], e["by"]) for e in json.loads(result.stdout)] == [
        ("hand", "created", "meeting", None)
    ]
    assert result.stderr.startswith(f"pipe: {pipe.root / 'deals' / 'bad.yaml'}:")


def test_a_hand_edit_after_the_index_is_seen(week) -> None:
    week("log", "-n", "1")  # the index now holds both deals
    path = week.root / "deals" / "zazolc.yaml"
    text = path.read_text(encoding="utf-8")
    assert text.endswith("notes: []\n")
    note = "notes:\n- at: 2026-03-09T08:00:00+01:00\n  text: Gdańsk wants it after all\n"
    path.write_text(text.replace("notes: []\n", note), "utf-8")
    newest = json.loads(week("log", "-n", "2", "--format", "json").stdout)
    assert [(e["deal"], e["event"], e["text"]) for e in newest] == [
        ("zazolc", "note", "Gdańsk wants it after all"),
        ("acme", "won", None),
    ]
    path.unlink()
    assert [e["deal"] for e in json.loads(week("log", "-n", "1", "--format", "json").stdout)] == ["acme"]


def test_one_deal_reads_its_own_file_only(week) -> None:
    """`pipe log DEAL` is a one-deal command, as `pipe show` is: it reads that deal's file and
    gives the entries the whole log gives for it, with a broken other file left to `pipe check`."""
    everything = json.loads(week("log", "--format", "json").stdout)
    (week.root / "deals" / "bad.yaml").write_text("title: [\n", encoding="utf-8")
    kept = {p: p.stat().st_mtime_ns for p in (week.root / ".pipe").rglob("*")}
    for args in ([], ["-n", "2"], ["--since", "2026-03-04"], ["--as-of", "2026-03-03"], ["--by", "marek"]):
        one = week("log", "acme", "--format", "json", *args)
        assert one.exit_code == 0 and one.stderr == ""
        expected = [e for e in everything if e["deal"] == "acme"]
        if "--since" in args:
            expected = [e for e in expected if e["at"] >= "2026-03-04"]
        if "--as-of" in args:
            expected = [e for e in expected if e["at"] < "2026-03-04"]
        if "--by" in args:
            expected = [e for e in expected if e["by"] == "marek"]
        if "-n" in args:
            expected = expected[:2]
        assert json.loads(one.stdout) == expected
    assert [e["event"] for e in json.loads(week("log", "acm", "--format", "json").stdout)] == [
        "won",
        "changed",
        "note",
        "moved",
        "created",
    ]
    assert json.loads(week("log", "acme", "--owner", "marek", "--format", "json").stdout) == []
    # nothing else was read to answer: the index was neither brought up to date nor written
    assert {p: p.stat().st_mtime_ns for p in (week.root / ".pipe").rglob("*")} == kept
    # --owner me asks the index which owner you are (the owners the deals name)
    assert [e["event"] for e in json.loads(week("log", "acme", "--owner", "me", "--format", "json").stdout)][:1] == [
        "won"
    ]


def test_one_deal_whose_file_is_broken_is_an_error_naming_it(week) -> None:
    path = week.root / "deals" / "acme.yaml"
    good = path.read_text(encoding="utf-8")
    path.write_text(good.replace("stage: ", "stage: [", 1), encoding="utf-8")
    result = week("log", "acme", ok=False)
    assert result.exit_code == 1 and result.stdout == ""
    assert result.stderr.startswith(f"pipe: {path}:")
    assert result.stderr.count("\n") == 1
    # a history out of time order is refused as every command refuses it
    path.write_text(good.replace("at: 2026-03-03T10:00:00+01:00", "at: 2026-02-03T10:00:00+01:00", 1), "utf-8")
    result = week("log", "acme", ok=False)
    assert result.exit_code == 1 and result.stdout == ""
    assert result.stderr.startswith(f"pipe: {path}:") and "history out of time order" in result.stderr
