"""README stays true: CI runs its two quick-start commands, and its sample output is current."""

from __future__ import annotations

import re
from pathlib import Path

from typer.testing import CliRunner
from wcwidth import wcswidth

from pipecli.cli import app

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")


def _quick_start_commands() -> list[str]:
    section = README.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```sh\n(.+?)\n```", section)


def test_ci_runs_exactly_the_two_quick_start_commands() -> None:
    commands = _quick_start_commands()
    assert commands == ["pip install . && pipe -C examples/demo report", "pip install -e '.[test]' && pytest"]
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()
    for command in commands:
        assert command in ci


def test_the_sample_report_in_the_readme_is_what_pipe_prints(runner: CliRunner) -> None:
    block = README.split("## What the report looks like", 1)[1].split("```\n", 2)[1]
    command = re.search(r"`(pipe -C examples/demo report [^`]*)`", README).group(1)  # type: ignore[union-attr]
    args = command.split()[1:]
    args[1] = str(ROOT / args[1])
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith(block)


def test_the_list_and_stale_captures_are_what_pipe_prints_at_80_columns(runner: CliRunner) -> None:
    section = README.split("## What the lists look like", 1)[1].split("\n## ", 1)[0]
    commands = re.findall(r"`(pipe -C examples/demo (?:list|stale)[^`]*)`", section)
    blocks = re.findall(r"```\n(.*?)```", section, re.S)
    assert [c.split()[3] for c in commands] == ["list", "stale"] and len(blocks) == 2
    for command, block in zip(commands, blocks, strict=True):
        args = command.split()[1:]
        args[1] = str(ROOT / args[1])
        result = runner.invoke(app, args, env={"COLUMNS": "80"})
        assert result.exit_code == 0, result.output
        assert result.stdout == block, command
        assert max(wcswidth(line) for line in block.splitlines()) <= 80  # display width: Thai titles too
