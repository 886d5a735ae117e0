"""`pipe check`: one `path:line: message` per problem, exit 1 when there is any."""

from __future__ import annotations

import re
import subprocess

import pytest

GOOD = """\
id: {id}
title: Good deal
stage: {stage}
status: {status}
created: 2026-03-02T10:00:00+01:00
history:
  - at: 2026-03-02T10:00:00+01:00
    event: created
    to: lead
{extra}"""


def deal(pipe, name: str, text: str) -> None:
    (pipe.root / "deals" / name).write_text(text, encoding="utf-8")


def findings(pipe) -> list[str]:
    result = pipe("check", ok=False)
    assert result.exit_code == 1, result.output
    lines = result.stdout.splitlines()
    n = len(lines)
    assert result.stderr == f"{n} problem{'s' if n != 1 else ''}\n"
    return lines


def only_finding(pipe) -> str:
    lines = findings(pipe)
    assert len(lines) == 1, lines
    return lines[0]


def test_clean_folder(pipe) -> None:
    pipe.add("One", "--at", "2026-03-02")
    d = pipe.add("Two", "--at", "2026-03-02")
    pipe("move", d, "meeting", "--at", "2026-03-03")
    pipe("lost", d, "--reason", "budget", "--at", "2026-03-04")
    result = pipe("check")
    assert result.exit_code == 0
    assert result.stdout == "" and result.stderr == ""


def test_yaml_syntax_error_with_line(pipe) -> None:
    deal(pipe, "bad.yaml", "id: bad\ntitle: Bad\nstage: lead\nnotes: [unclosed\ncreated: x\n")
    line = only_finding(pipe)
    assert re.fullmatch(r".*deals/bad\.yaml:\d+: YAML syntax: .+", line), line
    deal(pipe, "bad.yaml", "id: bad\ntitle: Bad\n  stage: lead\n")
    assert re.fullmatch(r".*deals/bad\.yaml:3: YAML syntax: .+", only_finding(pipe))


def test_model_error_with_line(pipe) -> None:
    deal(pipe, "m.yaml", GOOD.format(id="m", stage="lead", status="open", extra="value: lots\n"))
    assert re.fullmatch(r".*deals/m\.yaml:10: value: .+", only_finding(pipe))
    deal(pipe, "m.yaml", GOOD.format(id="m", stage="lead", status="maybe", extra=""))
    assert re.fullmatch(r".*deals/m\.yaml:4: status: .*'open', 'won' or 'lost'.*", only_finding(pipe))
    deal(pipe, "m.yaml", "id: m\nstage: lead\ncreated: 2026-03-02T10:00:00+01:00\n")
    assert re.fullmatch(r".*deals/m\.yaml:1: title: field is missing; add it", only_finding(pipe))
    deal(pipe, "m.yaml", "- just\n- a list\n")
    assert re.fullmatch(r".*deals/m\.yaml:1: expected a YAML mapping of fields \(key: value\)", only_finding(pipe))


def test_unknown_stage(pipe) -> None:
    deal(pipe, "u.yaml", GOOD.format(id="u", stage="demo", status="open", extra="").replace("to: lead", "to: demo"))
    lines = findings(pipe)
    assert re.fullmatch(
        r".*deals/u\.yaml:3: unknown stage 'demo'; the stages are lead, qualified, meeting, proposal, negotiation",
        lines[0],
    )
    assert re.fullmatch(r".*deals/u\.yaml:9: history entry names unknown stage 'demo'", lines[1])


def test_duplicate_id(pipe) -> None:
    deal(pipe, "a.yaml", GOOD.format(id="a", stage="lead", status="open", extra=""))
    deal(pipe, "b.yaml", GOOD.format(id="a", stage="lead", status="open", extra=""))
    lines = findings(pipe)
    assert any(re.fullmatch(r".*deals/b\.yaml:1: duplicate id 'a', also in a\.yaml", x) for x in lines), lines
    assert any(re.fullmatch(r".*deals/b\.yaml:1: id 'a' differs from the file name 'b\.yaml'.*", x) for x in lines)
    assert not any("a.yaml:" in x for x in lines)


def test_history_out_of_order(pipe) -> None:
    extra = (
        "  - at: 2026-03-05T10:00:00+01:00\n    event: moved\n    from: lead\n    to: qualified\n"
        "  - at: 2026-03-04T10:00:00+01:00\n    event: moved\n    from: qualified\n    to: meeting\n"
    )
    deal(pipe, "h.yaml", GOOD.format(id="h", stage="meeting", status="open", extra=extra))
    line = only_finding(pipe)
    assert re.fullmatch(
        r".*deals/h\.yaml:14: history out of time order: 2026-03-04T10:00:00\+01:00 comes after "
        r"2026-03-05T10:00:00\+01:00; move the entry to its place",
        line,
    ), line


def test_notes_out_of_order(pipe) -> None:
    extra = (
        "notes:\n  - at: 2026-03-05T10:00:00+01:00\n    text: later\n"
        "  - at: 2026-03-03T10:00:00+01:00\n    text: earlier\n"
    )
    deal(pipe, "n.yaml", GOOD.format(id="n", stage="lead", status="open", extra=extra))
    assert re.fullmatch(r".*deals/n\.yaml:13: notes out of time order: .*", only_finding(pipe))


def test_stage_and_status_disagreeing_with_history(pipe) -> None:
    deal(pipe, "s.yaml", GOOD.format(id="s", stage="proposal", status="open", extra=""))
    assert re.fullmatch(
        r".*deals/s\.yaml:3: stage is 'proposal' but the history ends in 'lead'; use `pipe move`.*", only_finding(pipe)
    )
    deal(pipe, "s.yaml", GOOD.format(id="s", stage="lead", status="won", extra=""))
    assert re.fullmatch(r".*deals/s\.yaml:4: status is 'won' but the history ends 'open'.*", only_finding(pipe))


def test_lost_without_reason(pipe) -> None:
    extra = "  - at: 2026-03-03T10:00:00+01:00\n    event: lost\n    to: lead\n"
    deal(pipe, "l.yaml", GOOD.format(id="l", stage="lead", status="lost", extra=extra))
    assert re.fullmatch(r".*deals/l\.yaml:4: lost deal without a lost_reason.*", only_finding(pipe))


def test_merge_conflict_markers_from_real_git(pipe) -> None:
    def git(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(["git", *args], cwd=pipe.root, capture_output=True, text=True)

    # without pipe's merge driver (no .gitattributes line), git's line merge leaves markers
    (pipe.root / ".gitattributes").unlink()
    git("init", "-q", "-b", "main")
    d = pipe.add("Conflicted", "--at", "2026-03-02")
    git("add", "-A")
    git("commit", "-qm", "start")
    git("checkout", "-qb", "other")
    pipe("move", d, "meeting", "--at", "2026-03-03")
    git("commit", "-qam", "meeting")
    git("checkout", "-q", "main")
    pipe("move", d, "proposal", "--at", "2026-03-04")
    git("commit", "-qam", "proposal")
    assert git("merge", "-q", "other").returncode != 0
    text = pipe.deal_text(d)
    marker_line = text.splitlines().index(next(x for x in text.splitlines() if x.startswith("<<<<<<<"))) + 1
    lines = findings(pipe)
    assert lines == [
        f"{pipe.root / 'deals' / (d + '.yaml')}:{marker_line}: "
        "unresolved git merge conflict marker; edit the file to keep the right lines"
    ]
    # list and show name the file too, and go on
    result = pipe("list", ok=False)
    assert result.exit_code == 1
    assert "merge conflict" in result.stderr


def test_yml_files_are_named(pipe) -> None:
    deal(pipe, "old.yml", GOOD.format(id="old", stage="lead", status="open", extra=""))
    assert re.fullmatch(r".*deals/old\.yml: deal files end in \.yaml; rename it or it is ignored", only_finding(pipe))


def test_bad_pipeline_file(pipe) -> None:
    (pipe.root / "pipeline.yaml").write_text("name: x\nstages:\n  - id: Lead\n", encoding="utf-8")
    line = only_finding(pipe)
    assert re.fullmatch(r".*pipeline\.yaml:3: stages\.0\.id: stage id 'Lead' must be lower-case.*", line), line


@pytest.mark.parametrize("where", ["root", "deals"])
def test_check_in_a_real_process_as_a_hook(pipe, run_pipe, where: str) -> None:
    d = pipe.add("Hooked", "--at", "2026-03-02")
    cwd = pipe.root if where == "root" else pipe.root / "deals"
    assert run_pipe("check", cwd=cwd).returncode == 0
    path = pipe.root / "deals" / f"{d}.yaml"
    path.write_text(path.read_text().replace("stage: lead", "stage: nowhere"), encoding="utf-8")
    r = run_pipe("check", cwd=cwd)
    assert r.returncode == 1
    shown = f"deals/{d}.yaml" if where == "root" else f"{d}.yaml"
    assert r.stdout.startswith(f"{shown}:")
    assert "unknown stage 'nowhere'" in r.stdout


def test_history_before_creation(pipe) -> None:
    text = GOOD.format(id="early", stage="lead", status="open", extra="").replace(
        "  - at: 2026-03-02T10:00:00+01:00", "  - at: 2026-03-01T10:00:00+01:00"
    )
    deal(pipe, "early.yaml", text)
    assert re.fullmatch(r".*deals/early\.yaml:7: history starts before the deal was created", only_finding(pipe))


@pytest.mark.parametrize(
    ("pipeline", "expected"),
    [
        ("stages:\n  - id: a\n  - id: a\n", r"pipeline\.yaml:1: stages: stage id 'a' appears twice"),
        ("stale_after: 2 weeks\nstages:\n  - id: a\n", r"pipeline\.yaml:1: stale_after: '2 weeks' is not a duration.*"),
        ("stages:\n  - id: a\n    probability: 1.5\n", r"pipeline\.yaml:3: stages\.0\.probability: .*1.*"),
        ("currency: EURO\nstages:\n  - id: a\n", r"pipeline\.yaml:1: currency: 'EURO' is not an ISO 4217 .*"),
        ("stages: []\n", r"pipeline\.yaml:1: stages: .*at least 1.*"),
    ],
)
def test_pipeline_file_findings(pipe, pipeline: str, expected: str) -> None:
    (pipe.root / "pipeline.yaml").write_text(pipeline, encoding="utf-8")
    line = only_finding(pipe)
    assert re.fullmatch(r".*" + expected, line), line


def test_two_processes_find_what_one_finds(pipe, monkeypatch) -> None:
    """Over many files a forked child checks the second half: the same findings, in file
    order, duplicates found across the halves included."""
    from pipecli import check, forking

    for i in range(24):
        deal(pipe, f"d{i:02d}.yaml", GOOD.format(id=f"d{i:02d}", stage="lead", status="open", extra=""))
    deal(pipe, "d03.yaml", GOOD.format(id="d03", stage="lead", status="open", extra="owner: no\n"))
    deal(pipe, "d05.yaml", "id: d05\ntitle: [\n")
    deal(pipe, "d07.yaml", GOOD.format(id="d07", stage="lead", status="won", extra=""))
    deal(pipe, "d21.yaml", GOOD.format(id="d02", stage="lead", status="open", extra=""))  # d02's id, in the other half
    deal(pipe, "d22.yaml", GOOD.format(id="d22", stage="nowhere", status="open", extra=""))
    deal(pipe, "d23.yaml", GOOD.format(id="d23", stage="lead", status="open", extra="value: lots\n"))
    monkeypatch.setattr(check, "CHECK_PARALLEL_FROM", 10**9)
    alone = pipe("check", ok=False)
    monkeypatch.setattr(check, "CHECK_PARALLEL_FROM", 2)
    shared = pipe("check", ok=False)
    assert (shared.exit_code, shared.stdout, shared.stderr) == (alone.exit_code, alone.stdout, alone.stderr)
    named = [line.split(": ", 1)[0].rsplit("/", 1)[-1] for line in shared.stdout.splitlines()]
    assert named == [
        "d03.yaml:10",
        "d05.yaml:3",
        "d07.yaml:4",
        "d21.yaml:1",
        "d21.yaml:1",
        "d22.yaml:3",
        "d22.yaml:3",
        "d23.yaml:10",
    ]
    assert shared.stdout.splitlines()[4].endswith("d21.yaml:1: duplicate id 'd02', also in d02.yaml")
    assert shared.stderr == "7 problems, 1 warning\n"
    assert forking.may_fork()  # so the second run did share the files with a child
