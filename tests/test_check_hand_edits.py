"""`pipe check` warns about a tracked field changed by hand without a history entry (which makes
reports of earlier days show the new value), names the line and the fix, and still exits 0."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path


def git(root: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=root, check=True, capture_output=True, text=True).stdout


def hand_edit(pipe, deal: str, old: str, new: str) -> None:
    path = pipe.root / "deals" / f"{deal}.yaml"
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")  # the field, not the history below it


def line_of(pipe, deal: str, start: str) -> int:
    lines = pipe.deal_text(deal).splitlines()
    return next(i for i, line in enumerate(lines, 1) if line.startswith(start))


def test_a_value_that_disagrees_with_its_last_recorded_change(pipe) -> None:
    d = pipe.add("Acme", "--value", "1000", "--at", "2026-03-02")
    pipe("set", d, "value=2000", "--at", "2026-03-03")
    hand_edit(pipe, d, "value: 2000", "value: 5000")
    result = pipe("check")  # exit 0: a warning alone does not fail the check
    assert result.stdout == (
        f"{pipe.root}/deals/{d}.yaml:{line_of(pipe, d, 'value:')}: warning: value is 5000 but the history's last "
        "change of it says 2000, and no history entry records the change, so reports of earlier days show the new "
        f"value; put back the old value and run `pipe set {d} value=5000`\n"
    )
    assert result.stderr == "1 warning\n"


def test_the_fix_works(pipe) -> None:
    d = pipe.add("Acme", "--owner", "anna", "--at", "2026-03-02")
    pipe("set", d, "owner=marek", "--at", "2026-03-03")
    hand_edit(pipe, d, "owner: marek", "owner: Zofia Łęcka")
    assert "`pipe set " + d + " 'owner=Zofia Łęcka'`" in pipe("check").stdout
    hand_edit(pipe, d, "owner: Zofia Łęcka", "owner: marek")  # put back the old value
    pipe("set", d, "owner=Zofia Łęcka", "--at", "2026-03-04")
    assert (pipe("check").stdout, pipe("check").stderr) == ("", "")


def test_next_step_and_snooze_name_their_own_commands(pipe) -> None:
    d = pipe.add("Acme", "--at", "2026-03-02")
    pipe("next", d, "Call", "--due", "2026-03-20", "--at", "2026-03-03")
    pipe("snooze", d, "--until", "2099-04-01", "--reason", "holiday", "--at", "2026-03-03")
    hand_edit(pipe, d, "due: 2026-03-20", "due: 2026-03-27")
    hand_edit(pipe, d, "reason: holiday", "reason: sick leave")
    out = pipe("check").stdout
    assert f"run `pipe next {d} Call --due 2026-03-27`" in out
    assert f"run `pipe snooze {d} --until 2099-04-01 --reason 'sick leave'`" in out


def test_in_a_git_work_tree_a_change_since_the_last_commit(pipe) -> None:
    d = pipe.add("Acme", "--owner", "anna", "--value", "1000", "--at", "2026-03-02")
    git(pipe.root, "init", "-q")
    git(pipe.root, "add", "-A")
    git(pipe.root, "commit", "-q", "-m", "Add Acme")
    assert pipe("check").stdout == ""
    hand_edit(pipe, d, "owner: anna", "owner: marek")  # no history entry for owner ever
    result = pipe("check")
    assert result.stdout == (
        f"{pipe.root}/deals/{d}.yaml:{line_of(pipe, d, 'owner:')}: warning: owner is 'marek' but the last "
        "commit says 'anna', and no history entry records the change, so reports of earlier days show the new "
        f"value; put back the old value and run `pipe set {d} owner=marek`\n"
    )
    # changed through pipe instead: recorded, no warning
    hand_edit(pipe, d, "owner: marek", "owner: anna")
    pipe("set", d, "owner=marek", "value=1200", "--at", "2026-03-05")
    assert pipe("check").stdout == ""


def test_errors_and_warnings_together_fail_with_both_counted(pipe) -> None:
    d = pipe.add("Acme", "--value", "1000", "--at", "2026-03-02")
    pipe("set", d, "value=2000", "--at", "2026-03-03")
    hand_edit(pipe, d, "value: 2000", "value: 5000")
    hand_edit(pipe, d, "stage: lead", "stage: nowhere")
    result = pipe("check", ok=False)
    assert result.exit_code == 1
    assert result.stderr == "2 problems, 1 warning\n"
    found = [line.split(": ", 1)[1] for line in result.stdout.splitlines()]
    assert [f.split(";")[0] for f in found] == [
        "unknown stage 'nowhere'",
        "stage is 'nowhere' but the history ends in 'lead'",
        "warning: value is 5000 but the history's last change of it says 2000, and no history entry records the "
        "change, so reports of earlier days show the new value",
    ]


def test_reports_still_read_hand_edited_files(pipe) -> None:
    d = pipe.add("Acme", "--value", "1000", "--at", "2026-03-02")
    pipe("set", d, "value=2000", "--at", "2026-03-05")
    hand_edit(pipe, d, "value: 2000", "value: 5000")
    hand_edit(pipe, d, "    to: 2000", "    to: not a number")  # even a broken recorded value
    for day, value in (("2026-03-04", 1000), ("2026-03-06", 5000)):
        result = pipe("report", "--as-of", day, "--format", "json")
        assert json.loads(result.stdout)["totals"]["open_value"] == {"EUR": value}
    assert pipe("stale", "--as-of", "2026-03-06").exit_code == 0
    assert pipe("list").exit_code == 0


def test_a_file_pipe_wrote_never_warns(pipe) -> None:
    d = pipe.add("Acme", "--value", "1000", "--owner", "anna", "--tag", "a", "--at", "2026-03-02")
    pipe("set", d, "value=1,250.50", "currency=pln", "probability=40%", "tags=a, b", "close_date=2026-06-30")
    pipe("next", d, "Call", "--due", "2026-03-20")
    pipe("won", d, "--value", "1300")
    pipe("reopen", d)
    assert (pipe("check").stdout, pipe("check").stderr) == ("", "")
