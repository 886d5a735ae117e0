"""Help that reads well: walked from the app itself, every command and every option.

No Python type names or braces as placeholders, a whole one-line summary per
command, examples at the end that really run, and README's command table naming
every command and long option.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import typer
from conftest import PIPE_SCRIPT
from terminal_helpers import DEMO, ROOT
from typer.testing import CliRunner

from pipecli.cli import app
from pipecli.cli.helptext import example_lines, summary

README = (ROOT / "README.md").read_text(encoding="utf-8")
GROUP: Any = typer.main.get_command(app)
COMMANDS: dict[str, Any] = dict(GROUP.commands)
TYPE_PLACEHOLDER = re.compile(r"<(?:list\[|str>|int>|float>|bool>|path>|[a-z_]+(?:\|[a-z_]+)*>)")


def long_options(command: Any) -> list[str]:
    return [o for p in command.params for o in [*p.opts, *p.secondary_opts] if o.startswith("--") and o != "--help"]


def help_of(*args: str) -> str:
    result = CliRunner().invoke(app, [*args, "--help"], env={"COLUMNS": "80"})
    assert result.exit_code == 0, result.output
    return result.stdout


def placeholders(text: str) -> list[str]:
    """The usage line and the left column of the Arguments and Options sections."""
    out = [line for line in text.splitlines() if line.startswith("Usage:")]
    section = None
    for line in text.splitlines():
        if line in ("Arguments:", "Options:", "Commands:"):
            section = line
        elif section in ("Arguments:", "Options:") and re.match(r"  \S", line):
            out.append(re.split(r"\s{2,}", line.strip())[0])
    return out


def readme_rows() -> list[str]:
    section = README.split("## Commands", 1)[1].split("\n## ", 1)[0]
    return [line for line in section.splitlines() if line.startswith("| `pipe")]


def test_the_walk_finds_the_commands() -> None:
    assert {"init", "add", "list", "show", "report", "stale", "import", "export"} <= set(COMMANDS)


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_every_command_and_option_has_help_and_no_type_placeholders(name: str) -> None:
    command = COMMANDS[name]
    assert summary(command.help), f"pipe {name} has no help text"
    for param in command.params:
        if param.name != "help":
            assert getattr(param, "help", None), f"pipe {name}: {param.name} has no help text"
    text = help_of(name)
    assert not TYPE_PLACEHOLDER.search(text), text
    for piece in placeholders(text):
        assert "{" not in piece and "}" not in piece, piece
    usage = text.splitlines()[0]
    assert usage.startswith(f"Usage: pipe {name} [OPTIONS]")


def test_the_top_level_help_has_no_type_placeholders() -> None:
    text = help_of()
    assert not TYPE_PLACEHOLDER.search(text)
    assert all("{" not in p for p in placeholders(text))
    for param in GROUP.params:
        if param.name != "help":
            assert getattr(param, "help", None), param.name


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_readme_command_table_names_the_command_and_each_long_option(name: str) -> None:
    rows = [row for row in readme_rows() if re.match(rf"\| `pipe {name}\b", row)]
    assert rows, f"README's command table has no row for pipe {name}"
    text = " ".join(rows)
    for option in long_options(COMMANDS[name]):
        assert re.search(rf"{re.escape(option)}\b", text), f"README's row for pipe {name} lacks {option}"


def test_readme_command_table_names_the_global_options() -> None:
    text = " ".join(readme_rows())
    for option in long_options(GROUP):
        assert re.search(rf"{re.escape(option)}\b", text), f"README's command table lacks {option}"


def test_each_summary_is_a_whole_sentence_on_one_line() -> None:
    listing = help_of().split("Commands:", 1)[1].splitlines()
    for name, command in COMMANDS.items():
        line = summary(command.help)
        assert line.endswith(".") and line[0].isupper(), (name, line)
        shown = next(row for row in listing if row.split()[:1] == [name])
        assert shown.split(None, 1)[1] == line, f"pipe {name}: the summary does not fit on its line"
        assert "..." not in shown


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_help_ends_with_two_or_three_examples(name: str) -> None:
    examples = example_lines(COMMANDS[name].epilog)
    assert 2 <= len(examples) <= 3, name
    assert all("pipe " in e for e in examples)
    text = help_of(name).rstrip("\n").splitlines()
    assert [line.strip() for line in text[-len(examples) :]] == examples
    assert text[-len(examples) - 2].strip() == "Examples:"


TEAM_COMMANDS = {"sync", "undo", "merge-driver"}  # their examples run in a git clone of the demo


def _runnable(example: str) -> bool:
    tools = {w for part in re.split(r"[|&;]+", example) for w in part.split()[:1]}
    return all(shutil.which(t) for t in tools - {"pipe", "cd", "echo"})


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_the_examples_run(name: str, tmp_path: Path) -> None:
    """Each command's examples, in order, in a copy of examples/demo, as a shell runs them."""
    work = tmp_path / "demo"
    shutil.copytree(DEMO, work)
    (work / "leads.csv").write_text("Name,Amount\nNew CRM for the bakery,1200\n", encoding="utf-8")
    home = tmp_path / "home"
    home.mkdir(exist_ok=True)
    env = {**os.environ, "HOME": str(home), "EDITOR": "true", "PATH": f"{PIPE_SCRIPT.parent}:{os.environ['PATH']}"}
    if name in TEAM_COMMANDS:  # the demo as a team's clone: a git repository with a remote and one pipe commit
        setup = (
            "git init -q && git add -A && git commit -qm demo && git init -q --bare ../team.git && "
            "git remote add origin ../team.git && git push -q -u origin HEAD && "
            "pipe note acme-robotics-field-4zf4 'Called' && "
            "for side in base ours theirs; do cp deals/acme-robotics-field-4zf4.yaml $side.yaml; done"
        )
        done = subprocess.run(["bash", "-c", setup], cwd=work, env=env, capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr
    for example in example_lines(COMMANDS[name].epilog):
        if not _runnable(example):
            continue  # a tool it pipes into (jq) is not installed here
        script = f"set -o pipefail; {example}"
        run = subprocess.run(["bash", "-c", script], cwd=work, env=env, capture_output=True, text=True, timeout=120)
        assert run.returncode == 0, f"{example}\n{run.stdout}\n{run.stderr}"
