"""`pipe edit` with a real editor (a script that edits the file): save only what is valid."""

from __future__ import annotations

import os
import pty
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import PIPE_SCRIPT

EDITOR_SCRIPT = """\
import os, sys
path = sys.argv[-1]
log = os.environ["EDIT_LOG"]
with open(log, "a", encoding="utf-8") as f:
    f.write(path + "\\n")
runs = len(open(log, encoding="utf-8").read().splitlines())
with open(path, encoding="utf-8") as f:
    text = f.read()
# EDIT_1 = "old>>new" for the first run, EDIT_2 for the second, ...
change = os.environ.get(f"EDIT_{runs}") or os.environ.get("EDIT_1", "")
if change:
    old, new = change.split(">>", 1)
    assert old in text, (old, text)
    text = text.replace(old, new)
with open(path, "w", encoding="utf-8") as f:
    f.write(text)
if os.environ.get("EDIT_ALSO"):  # another command changing the deal while it is being edited
    import shlex, subprocess
    subprocess.run(shlex.split(os.environ["EDIT_ALSO"]), check=True)
sys.exit(int(os.environ.get("EDIT_EXIT", "0")))
"""


@pytest.fixture
def editor(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Sets $EDITOR to a real program; returns the log of the files it was started on."""
    script = tmp_path / "editor.py"
    script.write_text(EDITOR_SCRIPT, encoding="utf-8")
    log = tmp_path / "editor.log"
    monkeypatch.setenv("EDITOR", f"{sys.executable} {script}")
    monkeypatch.delenv("VISUAL", raising=False)
    monkeypatch.setenv("EDIT_LOG", str(log))
    return log


def runs(log: Path) -> list[str]:
    return log.read_text(encoding="utf-8").splitlines() if log.exists() else []


def leftovers(pipe) -> list[str]:
    state = pipe.root / ".pipe"
    return sorted(p.name for p in state.iterdir() if p.name != "lock") if state.exists() else []


def test_valid_edit_is_saved(pipe, editor: Path, monkeypatch) -> None:
    d = pipe.add("Edit me", "--at", "2026-03-02")
    before = pipe.deal_text(d)
    monkeypatch.setenv("EDIT_1", "title: Edit me>>title: Edited by hand  # renamed")
    result = pipe("edit", d[:6], "--at", "2026-03-05T09:30")
    assert result.stdout == f"saved {d}\n"
    # the text as edited, comment and all, and the title's change recorded as `pipe set` records it,
    # with who made it (the login name, as conftest sets it)
    recorded = (
        "  - at: 2026-03-05T09:30:00+01:00\n    event: changed\n    field: title\n"
        "    from: Edit me\n    to: Edited by hand\n    by: tester\nnotes: []\n"
    )
    assert pipe.deal_text(d) == before.replace("title: Edit me", "title: Edited by hand  # renamed").replace(
        "notes: []\n", recorded
    )
    assert len(runs(editor)) == 1
    assert leftovers(pipe) == []


def test_unchanged_edit(pipe, editor: Path) -> None:
    d = pipe.add("Untouched", "--at", "2026-03-02")
    before = pipe.deal_text(d)
    result = pipe("edit", d)
    assert result.stdout == f"no change to {d}\n"
    assert pipe.deal_text(d) == before
    assert leftovers(pipe) == []


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ("stage: lead>>stage: nowhere", "unknown stage 'nowhere'"),
        ("status: open>>value: -3\nstatus: open", "value: must not be negative"),
        ("title: Invalid>>title: [oops", "YAML syntax"),
        ("id: invalid>>id: renamed", "the id cannot change"),
        ("status: open>>status: won", "status is 'won' but the history ends 'open'"),
    ],
)
def test_invalid_edit_is_not_written_and_kept(pipe, editor: Path, monkeypatch, change: str, reason: str) -> None:
    d = pipe.add("Invalid", "--id", "invalid", "--at", "2026-03-02")
    before = (pipe.root / "deals" / f"{d}.yaml").read_bytes()
    monkeypatch.setenv("EDIT_1", change)
    # stdin is not a terminal: no "Edit again?" prompt, even with a 'y' waiting
    result = pipe("edit", d, input="y\n", ok=False)
    assert result.exit_code == 1
    assert (pipe.root / "deals" / f"{d}.yaml").read_bytes() == before
    assert len(runs(editor)) == 1
    assert "Edit again" not in result.output
    lines = result.stderr.splitlines()
    assert len(lines) == 2, lines
    assert lines[0].startswith("pipe: ") and reason in lines[0], lines[0]
    kept = leftovers(pipe)
    assert len(kept) == 1 and kept[0].startswith("invalid.") and kept[0].endswith(".yaml")
    assert lines[1] == f"pipe: not saved; your edit is kept in {pipe.root / '.pipe' / kept[0]}"
    old, new = change.split(">>")
    assert (pipe.root / ".pipe" / kept[0]).read_text(encoding="utf-8") == before.decode().replace(old, new)


def test_editor_failing_saves_nothing(pipe, editor: Path, monkeypatch) -> None:
    d = pipe.add("Failing", "--at", "2026-03-02")
    before = pipe.deal_text(d)
    monkeypatch.setenv("EDIT_1", "title: Failing>>title: Changed")
    monkeypatch.setenv("EDIT_EXIT", "3")
    result = pipe("edit", d, ok=False)
    assert result.exit_code == 1
    assert result.stderr == "pipe: the editor exited with status 3; nothing saved\n"
    assert pipe.deal_text(d) == before
    assert leftovers(pipe) == []


def test_missing_editor(pipe, monkeypatch, tmp_path: Path) -> None:
    d = pipe.add("No editor", "--at", "2026-03-02")
    monkeypatch.setenv("EDITOR", str(tmp_path / "no-such-editor"))
    monkeypatch.delenv("VISUAL", raising=False)
    result = pipe("edit", d, ok=False)
    assert result.exit_code == 1
    assert result.stderr.startswith("pipe: cannot start the editor")
    assert "$EDITOR" in result.stderr
    assert leftovers(pipe) == []


def test_visual_wins_over_editor(pipe, editor: Path, monkeypatch, tmp_path: Path) -> None:
    d = pipe.add("Visual", "--at", "2026-03-02")
    monkeypatch.setenv("VISUAL", os.environ["EDITOR"])
    monkeypatch.setenv("EDITOR", str(tmp_path / "no-such-editor"))
    monkeypatch.setenv("EDIT_1", "title: Visual>>title: Seen")
    assert pipe("edit", d).stdout == f"saved {d}\n"
    # the editor named by $VISUAL ran (once) and its change is what was saved
    assert len(runs(editor)) == 1
    assert "title: Seen\n" in pipe.deal_text(d)


def test_edit_in_a_real_process_without_terminal(pipe, editor: Path, run_pipe) -> None:
    d = pipe.add("Process", "--at", "2026-03-02")
    r = run_pipe("-C", str(pipe.root), "edit", d, env={"EDIT_1": "title: Process>>title: Processed"}, input="")
    assert r.returncode == 0, r.stderr
    assert r.stdout == f"saved {d}\n"
    assert "title: Processed\n" in pipe.deal_text(d)


def test_invalid_edit_at_a_terminal_offers_to_edit_again(pipe, editor: Path) -> None:
    d = pipe.add("Terminal", "--at", "2026-03-02")
    env = {**os.environ, "EDIT_1": "stage: lead>>stage: nowhere", "EDIT_2": "stage: nowhere>>stage: lead\nowner: anna"}
    controller, terminal = pty.openpty()
    try:
        os.write(controller, b"y\n")
        proc = subprocess.run(
            [str(PIPE_SCRIPT), "-C", str(pipe.root), "edit", d],
            stdin=terminal,
            capture_output=True,
            text=True,
            env=env,
            timeout=20,
        )
    finally:
        os.close(terminal)
        os.close(controller)
    assert proc.returncode == 0, proc.stderr
    assert "unknown stage 'nowhere'" in proc.stderr
    assert "Edit again?" in proc.stdout
    assert proc.stdout.endswith(f"saved {d}\n")
    assert len(runs(editor)) == 2
    assert "stage: lead\nowner: anna\n" in pipe.deal_text(d)
    assert leftovers(pipe) == []


def test_deal_changed_during_the_edit_is_not_overwritten(pipe, editor: Path, monkeypatch) -> None:
    d = pipe.add("Contended", "--at", "2026-03-02")
    monkeypatch.setenv("EDIT_1", "title: Contended>>title: Edited")
    monkeypatch.setenv("EDIT_ALSO", f"{PIPE_SCRIPT} -C {pipe.root} note {d} 'written meanwhile' --at 2026-03-03")
    result = pipe("edit", d, ok=False)
    assert result.exit_code == 1
    kept = leftovers(pipe)
    assert len(kept) == 1
    assert result.stderr == (
        f"pipe: {d} changed while you edited it; not saved. Your version is in {pipe.root / '.pipe' / kept[0]}\n"
    )
    text = pipe.deal_text(d)
    assert "written meanwhile" in text  # the other change survives
    assert "title: Contended\n" in text
    assert "title: Edited\n" in (pipe.root / ".pipe" / kept[0]).read_text(encoding="utf-8")


def test_edit_without_an_editor_and_without_a_terminal_says_so(pipe, monkeypatch) -> None:
    deal = pipe.add("Acme", "--at", "2026-03-02")
    before = pipe.deal_text(deal)
    monkeypatch.delenv("EDITOR", raising=False)
    monkeypatch.delenv("VISUAL", raising=False)
    result = pipe("edit", deal, ok=False)
    assert result.exit_code == 1
    assert result.stderr == "pipe: no editor: set $EDITOR (or $VISUAL), e.g. EDITOR=nano\n"
    assert pipe.deal_text(deal) == before
