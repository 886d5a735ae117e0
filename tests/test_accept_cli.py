"""Command lines a new user tries from the docs, and what they see."""

from __future__ import annotations

import json
from pathlib import Path

import pytest


def test_report_has_no_email_format_and_says_so(pipe) -> None:
    pipe.add("Acme", "--at", "2026-03-01")
    result = pipe("report", "--format", "email", ok=False)
    assert result.exit_code == 2
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("pipe: ")
    assert "internal error" not in lines[0]
    assert "email" in lines[0] and "pipe stale" in lines[0]


@pytest.mark.parametrize("fmt", ["csv", "sqlite"])
def test_export_to_a_missing_folder_names_the_file_asked_for(pipe, tmp_path: Path, fmt: str) -> None:
    pipe.add("Acme", "--at", "2026-03-01")
    target = tmp_path / "no-such-folder" / f"deals.{fmt}"
    result = pipe("export", "--format", fmt, "--output", str(target), ok=False)
    assert result.exit_code == 1
    assert result.stderr == f"pipe: cannot write {target}: No such file or directory\n"


def test_export_onto_a_folder_says_it_is_a_folder(pipe, tmp_path: Path) -> None:
    pipe.add("Acme", "--at", "2026-03-01")
    folder = tmp_path / "out"
    folder.mkdir()
    result = pipe("export", "--format", "csv", "--output", str(folder), ok=False)
    assert result.exit_code == 1
    assert result.stderr == f"pipe: cannot write {folder}: it is a folder; give a file name\n"
    assert list(folder.iterdir()) == []
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_stale_with_an_unknown_stage_is_a_command_line_mistake(pipe) -> None:
    # in a crontab, exit 1 would read as "some deal is stale" (--fail-if-any); docs/cron.md: 2 is the command line
    pipe.add("Acme", "--at", "2026-03-01")
    result = pipe("stale", "--stage", "lead", "--stage", "negociation", "--fail-if-any", ok=False)
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr.startswith("pipe: --stage: unknown stage 'negociation': the stages are lead, qualified")
    assert "did you mean negotiation?" in result.stderr
    assert len(result.stderr.splitlines()) == 1


def test_show_prints_a_binary_value_of_a_hand_written_file(pipe) -> None:
    (pipe.root / "deals" / "odd.yaml").write_text(
        "id: odd\ntitle: Odd\nstage: lead\ncreated: 2026-03-01T10:00:00+01:00\nx: !!binary aGk=\n", encoding="utf-8"
    )
    result = pipe("show", "odd", ok=False)
    assert (result.exit_code, result.stderr) == (0, "")
    assert [line.split() for line in result.stdout.splitlines() if line.strip().startswith("x:")] == [["x:", '"hi"']]
    # the same text as --format json gives (base64 aGk= is the bytes of "hi")
    assert json.loads(pipe("show", "odd", "--format", "json").stdout)["x"] == "hi"


def test_stale_by_owner_dir_with_a_long_thai_owner_name(pipe, tmp_path: Path) -> None:
    # 80 Thai letters are 240 bytes of UTF-8; a file name may have 255 bytes, and the
    # temporary file written first has a few more than the file itself
    owner = "สมชาย" * 16
    deal = pipe.add("Long name", "--owner", owner, "--at", "2026-01-01")
    out = tmp_path / "out"
    result = pipe("stale", "--as-of", "2026-02-01", "--by-owner-dir", str(out), ok=False)
    assert (result.exit_code, result.stderr) == (0, "")
    (written,) = [p for p in out.iterdir() if not p.name.startswith(".")]
    assert written.name.startswith("สมชาย") and written.name.endswith(".txt")
    assert len(written.name.encode("utf-8")) <= 200
    assert deal in written.read_text(encoding="utf-8")
