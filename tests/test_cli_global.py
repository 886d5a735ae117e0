"""Finding the pipeline (-C, PIPE_DIR, upward search), --version, help, completion, colour."""

from __future__ import annotations

import os
import pty
import subprocess
from pathlib import Path

import pytest
import typer
from conftest import PIPE_SCRIPT

from pipecli import __version__
from pipecli.cli import app


def test_version(runner, run_pipe) -> None:
    assert runner.invoke(app, ["--version"]).stdout == f"pipe {__version__}\n"
    r = run_pipe("--version")
    assert (r.returncode, r.stdout) == (0, f"pipe {__version__}\n")


def test_dash_c_pipe_dir_and_upward_search(pipe, run_pipe, tmp_path: Path) -> None:
    d = pipe.add("Findable", "--id", "findable")
    below = pipe.root / "deals" / "archive" / "2026"
    below.mkdir(parents=True)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    # from a folder below the pipeline, like git
    r = run_pipe("list", "--format", "csv", cwd=below)
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines()[1].startswith(f"{d},")
    # -C the pipeline or a folder in it
    for target in (pipe.root, below):
        assert run_pipe("-C", str(target), "show", d, cwd=elsewhere).returncode == 0
    # PIPE_DIR
    r = run_pipe("show", d, cwd=elsewhere, env={"PIPE_DIR": str(pipe.root)})
    assert r.returncode == 0 and "Findable" in r.stdout
    # -C wins over PIPE_DIR
    other = tmp_path / "other"
    assert run_pipe("init", str(other)).returncode == 0
    r = run_pipe("-C", str(other), "show", d, env={"PIPE_DIR": str(pipe.root)})
    assert r.returncode == 1
    assert r.stderr.startswith("pipe: no deal 'findable'")


def test_no_pipeline_anywhere(run_pipe, tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    r = run_pipe("list", cwd=empty)
    assert r.returncode == 1
    assert r.stderr.startswith(f"pipe: no pipeline.yaml in {empty} or any folder above it; run `pipe init`")
    assert len(r.stderr.splitlines()) == 1
    r = run_pipe("-C", str(tmp_path / "missing"), "list")
    assert r.returncode == 1
    assert r.stderr == f"pipe: folder {tmp_path / 'missing'} does not exist; check -C or PIPE_DIR\n"
    r = run_pipe("list", cwd=empty, env={"PIPE_DIR": str(tmp_path / "missing")})
    assert r.returncode == 1
    assert "does not exist" in r.stderr


def registered_commands() -> dict[str, object]:
    group = typer.main.get_command(app)
    return dict(group.commands)  # type: ignore[attr-defined]


def test_every_command_has_help(runner) -> None:
    commands = registered_commands()
    assert {
        "init",
        "add",
        "move",
        "won",
        "lost",
        "reopen",
        "note",
        "next",
        "set",
        "edit",
        "list",
        "show",
        "check",
    } <= set(commands)
    top = runner.invoke(app, ["--help"])
    assert top.exit_code == 0
    for name, command in commands.items():
        result = runner.invoke(app, [name, "--help"])
        assert result.exit_code == 0, name
        assert result.stdout.startswith(f"Usage: pipe {name} "), name
        summary = (command.help or "").strip()  # type: ignore[attr-defined]
        assert summary, f"{name} has no help text"
        first_sentence = " ".join(summary.split(". ")[0].split())
        assert first_sentence in " ".join(result.stdout.split()), name
        assert name in top.stdout, name
        for param in command.params:  # type: ignore[attr-defined]
            if param.name == "help" or getattr(param, "hidden", False):
                continue
            assert getattr(param, "help", None), f"pipe {name}: {param.name} has no help text"


def test_exit_codes_are_documented_in_help(runner) -> None:
    text = " ".join(runner.invoke(app, ["--help"]).stdout.split())
    assert "Exit codes: 0 ok; 1 an error" in text
    assert "2 a wrong command line" in text


def complete(*words: str, cwd: Path, env: dict[str, str] | None = None) -> list[str]:
    """Ask the real `pipe` for bash completions of the last word."""
    line = " ".join(["pipe", *words])
    proc = subprocess.run(
        [str(PIPE_SCRIPT)],
        cwd=cwd,
        capture_output=True,
        text=True,
        env={**os.environ, "_PIPE_COMPLETE": "complete_bash", "COMP_WORDS": line, "COMP_CWORD": str(len(words)),
             **(env or {})},
        timeout=60,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    return proc.stdout.split()


def test_completion_of_deals_stages_and_owners(pipe, tmp_path: Path) -> None:
    pipe.add("Acme", "--id", "acme-one", "--owner", "anna")
    pipe.add("Acme 2", "--id", "acme-two", "--owner", "bartek")
    pipe.add("Beta", "--id", "beta", "--owner", "anna")
    root = pipe.root
    assert complete("move", "ac", cwd=root) == ["acme-one", "acme-two"]
    assert complete("show", "", cwd=root / "deals") == ["acme-one", "acme-two", "beta"]
    assert complete("move", "beta", "q", cwd=root) == ["qualified"]
    assert complete("move", "beta", "", cwd=root) == ["lead", "qualified", "meeting", "proposal", "negotiation"]
    assert complete("add", "x", "--stage", "ne", cwd=root) == ["negotiation"]
    assert complete("list", "--owner", "", cwd=root) == ["anna", "bartek"]
    assert complete("list", "--stage", "m", cwd=root) == ["meeting"]
    # -C and PIPE_DIR are honoured when completing from elsewhere
    assert complete("-C", str(root), "note", "b", cwd=tmp_path) == ["beta"]
    assert complete("won", "acme-o", cwd=tmp_path, env={"PIPE_DIR": str(root)}) == ["acme-one"]
    # outside any pipeline: no completions, no error
    assert complete("move", "a", cwd=tmp_path) == []


def test_completion_with_custom_stages(make_pipe) -> None:
    p = make_pipe("--stages", "intro,demo,deal")
    assert complete("move", "x", "d", cwd=p.root) == ["demo", "deal"]


COMMANDS_WITH_OUTPUT = [
    ["list"],
    ["list", "--format", "markdown"],
    ["show", "colour"],
    ["check"],
    ["move", "colour", "nowhere"],
    ["show", "nothing"],
    ["--help"],
    ["move", "--help"],
    ["lost", "colour"],
]


@pytest.mark.parametrize("args", COMMANDS_WITH_OUTPUT, ids=lambda a: " ".join(a))
def test_no_colour_when_output_is_not_a_terminal(pipe, run_pipe, args: list[str]) -> None:
    pipe.add("Colour", "--id", "colour", "--value", "5")
    env = {k: v for k, v in os.environ.items() if k != "NO_COLOR"}
    env["TERM"] = "xterm-256color"
    env["FORCE_COLOR"] = ""
    r = subprocess.run(
        [str(PIPE_SCRIPT), "-C", str(pipe.root), *args], capture_output=True, text=True, env=env, timeout=60
    )
    assert "\x1b[" not in r.stdout + r.stderr


@pytest.mark.parametrize("args", COMMANDS_WITH_OUTPUT, ids=lambda a: " ".join(a))
def test_no_colour_at_a_terminal_with_no_color(pipe, args: list[str]) -> None:
    pipe.add("Colour", "--id", "colour", "--value", "5")
    controller, terminal = pty.openpty()
    try:
        proc = subprocess.Popen(
            [str(PIPE_SCRIPT), "-C", str(pipe.root), *args],
            stdin=subprocess.DEVNULL,
            stdout=terminal,
            stderr=terminal,
            env={**os.environ, "NO_COLOR": "1", "TERM": "xterm-256color"},
        )
        os.close(terminal)
        output = b""
        while True:
            try:
                chunk = os.read(controller, 65536)
            except OSError:  # the other end closed
                break
            if not chunk:
                break
            output += chunk
        proc.wait(timeout=60)
    finally:
        os.close(controller)
    assert output or args == ["check"], args
    assert b"\x1b[" not in output


def test_installed_bash_completion_completes_deal_ids(pipe, run_pipe, tmp_path: Path) -> None:
    import shutil

    bash = shutil.which("bash")
    if bash is None:
        pytest.skip("bash is not installed")
    home = tmp_path / "home"
    r = run_pipe("--install-completion", "bash", env={"HOME": str(home), "SHELL": bash})
    assert r.returncode == 0, r.stderr
    script = home / ".bash_completions" / "pipe.sh"
    assert script.is_file()
    pipe.add("Acme", "--id", "acme-one")
    pipe.add("Acme 2", "--id", "acme-two")
    pipe.add("Beta", "--id", "beta")
    program = (
        f"export PATH={PIPE_SCRIPT.parent}:$PATH; source {script}; "
        'COMP_WORDS=(pipe move acme); COMP_CWORD=2; _pipe_completion pipe acme move; printf "%s\\n" "${COMPREPLY[@]}"'
    )
    out = subprocess.run([bash, "-c", program], cwd=pipe.root, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["acme-one", "acme-two"]
