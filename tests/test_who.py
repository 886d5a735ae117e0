"""Who made each change: the `by:` of every history entry and note, from PIPE_USER, else
git's user.email or user.name, else the login name; shown by `pipe show` and its JSON."""

from __future__ import annotations

import json
from pathlib import Path

import yaml
from git_helpers import calls, git, wrap_git


def entries(pipe, deal_id: str) -> tuple[list[dict], list[dict]]:
    data = yaml.load(pipe.deal_text(deal_id), Loader=yaml.BaseLoader)
    return data["history"], data["notes"]


def whos(items: list[dict]) -> list[str | None]:
    return [item.get("by") for item in items]


def test_pipe_user_names_who_made_every_entry(pipe, monkeypatch) -> None:
    monkeypatch.setenv("PIPE_USER", "Zofia Łęcka")
    d = pipe.add("Who", "--at", "2026-03-02")
    pipe("move", d, "qualified", "--note", "called", "--at", "2026-03-03")
    pipe("set", d, "value=100", "--at", "2026-03-04")
    pipe("next", d, "Send it", "--due", "2026-03-10", "--at", "2026-03-04")
    pipe("snooze", d, "--until", "2026-03-20", "--reason", "away", "--at", "2026-03-05")
    pipe("lost", d, "--reason", "price", "--at", "2026-03-06")
    monkeypatch.setenv("PIPE_USER", "marek")
    pipe("reopen", d, "--at", "2026-03-07")
    pipe("won", d, "--value", "120", "--at", "2026-03-08")
    pipe("note", d, "signed", "--at", "2026-03-09")
    history, notes = entries(pipe, d)
    assert [(h["event"], h["by"]) for h in history] == [
        ("created", "Zofia Łęcka"),
        ("moved", "Zofia Łęcka"),
        ("changed", "Zofia Łęcka"),
        ("changed", "Zofia Łęcka"),
        ("changed", "Zofia Łęcka"),
        ("lost", "Zofia Łęcka"),
        ("changed", "Zofia Łęcka"),  # lost cleared the open next step
        ("reopened", "marek"),
        ("won", "marek"),
        ("changed", "marek"),
    ]
    assert [(n["text"], n["by"]) for n in notes] == [
        ("called", "Zofia Łęcka"),
        ("Open when lost: Send it (due 2026-03-10)", "Zofia Łęcka"),
        ("signed", "marek"),
    ]


def test_outside_git_the_login_name(pipe, tmp_path: Path, monkeypatch) -> None:
    log = wrap_git(tmp_path / "bin", fail=True)
    monkeypatch.setenv("PATH", f"{tmp_path / 'bin'}:{__import__('os').environ['PATH']}")
    d = pipe.add("Login", "--at", "2026-03-02")
    pipe("note", d, "hi", "--at", "2026-03-03")
    history, notes = entries(pipe, d)
    assert whos(history) == ["tester"] and whos(notes) == ["tester"]
    assert calls(log) == []  # not in a work tree: git is never asked who


def test_in_git_user_email_then_user_name(pipe, monkeypatch, tmp_path: Path) -> None:
    git(pipe.root, "init", "-q")
    git(pipe.root, "config", "user.name", "Anna Nowak")
    d = pipe.add("Git name", "--at", "2026-03-02")
    git(pipe.root, "config", "user.email", "anna@example.com")
    pipe("note", d, "with the e-mail", "--at", "2026-03-03")
    monkeypatch.setenv("PIPE_USER", "anna")
    pipe("note", d, "PIPE_USER first", "--at", "2026-03-04")
    history, notes = entries(pipe, d)
    assert whos(history) == ["Anna Nowak"]
    assert whos(notes) == ["anna@example.com", "anna"]


def test_git_config_is_read_once_per_command(pipe, tmp_path: Path, monkeypatch) -> None:
    git(pipe.root, "init", "-q")
    git(pipe.root, "config", "user.email", "anna@example.com")
    log = wrap_git(tmp_path / "bin")
    monkeypatch.setenv("PATH", f"{tmp_path / 'bin'}:{__import__('os').environ['PATH']}")
    d = pipe.add("Once", "--at", "2026-03-02")
    # the first command registers the merge driver; each command reads the configuration once
    assert [c.split(" config ", 1)[1] for c in calls(log) if " config " in c] == [
        "-l -z",
        "--local merge.pipe.name pipe: deal files, notes and history from both sides",
        "--local merge.pipe.driver pipe merge-driver %O %A %B %P",
    ]
    log.write_text("")
    pipe("note", d, "again", "--at", "2026-03-03")
    assert [c.split(" config ", 1)[1] for c in calls(log) if " config " in c] == ["-l -z"]
    assert entries(pipe, d)[1][0]["by"] == "anna@example.com"


def test_show_and_json_carry_who(pipe, monkeypatch) -> None:
    monkeypatch.setenv("PIPE_USER", "anna")
    d = pipe.add("Shown", "--at", "2026-03-02T10:00")
    pipe("note", d, "First call", "--at", "2026-03-03T09:00")
    text = pipe("show", d).stdout
    assert "  2026-03-02T10:00:00+01:00  anna: created in lead\n" in text
    assert "  2026-03-03T09:00:00+01:00  anna: First call\n" in text
    data = json.loads(pipe("show", d, "--format", "json").stdout)
    assert data["history"][0]["by"] == "anna"
    assert data["notes"] == [{"at": "2026-03-03T09:00:00+01:00", "text": "First call", "by": "anna"}]


def test_an_entry_naming_someone_else_keeps_it(pipe, tmp_path: Path, monkeypatch) -> None:
    """A hand edit that adds an entry with its own `by:`; the command's own entries get the user."""
    d = pipe.add("Hand", "--at", "2026-03-02")
    editor = tmp_path / "editor.py"
    editor.write_text(
        "import sys\np = sys.argv[-1]\nt = open(p, encoding='utf-8').read()\n"
        "t = t.replace('notes: []', 'notes:\\n  - at: 2026-03-03T09:00:00+01:00\\n    text: from the phone\\n"
        "    by: marek\\n  - at: 2026-03-03T10:00:00+01:00\\n    text: typed in')\n"
        "t = t.replace('value: 5', 'value: 7')\n"
        "open(p, 'w', encoding='utf-8').write(t)\n",
        encoding="utf-8",
    )
    monkeypatch.setenv("EDITOR", f"python3 {editor}")
    monkeypatch.delenv("VISUAL", raising=False)
    pipe("edit", d, "--at", "2026-03-04")
    assert whos(entries(pipe, d)[1]) == ["marek", "tester"]


def test_import_records_who_imported(pipe, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("PIPE_USER", "anna")
    csv = tmp_path / "deals.csv"
    csv.write_text("title,value,created\nAcme,100,2026-03-02\n", encoding="utf-8")
    pipe("import", str(csv))
    (deal_id,) = [p.stem for p in (pipe.root / "deals").iterdir()]
    history, _ = entries(pipe, deal_id)
    assert whos(history) == ["anna"]
