"""Shell completion: installed for the shell named, and values with spaces completed quoted."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest
from conftest import PIPE_SCRIPT

BASH = shutil.which("bash")
needs_bash = pytest.mark.skipif(BASH is None, reason="bash is not installed")


@pytest.fixture
def owners(pipe: Any) -> Any:
    pipe.add("Acme", "--id", "acme", "--owner", "Anna Snelling", "--at", "2026-03-01")
    pipe.add("Beta", "--id", "beta", "--owner", "anna", "--at", "2026-03-01")
    pipe.add("Gamma", "--id", "gamma", "--owner", "Bartek O'Neil", "--at", "2026-03-01")
    return pipe


def install(run_pipe: Any, home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    home.mkdir(exist_ok=True)
    return run_pipe(*args, env={"HOME": str(home), "SHELL": "/bin/bash"})


def test_install_completion_honours_the_shell_named(run_pipe: Any, tmp_path: Path) -> None:
    home = tmp_path / "home"
    for shell, path in [
        ("zsh", home / ".zfunc" / "_pipe"),
        ("fish", home / ".config" / "fish" / "completions" / "pipe.fish"),
        ("bash", home / ".bash_completions" / "pipe.sh"),
    ]:
        r = install(run_pipe, home, "--install-completion", shell)  # SHELL says bash: the name wins
        assert r.returncode == 0, r.stderr
        assert r.stdout.splitlines()[0] == f"{shell} completion installed in {path}"
        assert "_PIPE_COMPLETE=complete_" + shell in path.read_text(encoding="utf-8")
    assert "fpath+=~/.zfunc" in (home / ".zshrc").read_text(encoding="utf-8")
    assert f"source '{home / '.bash_completions' / 'pipe.sh'}'" in (home / ".bashrc").read_text(encoding="utf-8")
    # the form with = works too, and an option after it is not taken for the shell
    r = install(run_pipe, tmp_path / "home2", "--install-completion=fish")
    assert r.returncode == 0 and "fish completion installed" in r.stdout


def test_show_completion_prints_the_script_of_the_shell_named(run_pipe: Any) -> None:
    r = run_pipe("--show-completion", "fish")
    assert r.returncode == 0
    assert r.stdout.startswith("complete --command pipe ")
    r = run_pipe("--show-completion", "zsh")
    assert r.stdout.startswith("#compdef pipe")


def test_an_unknown_shell_is_a_usage_error(run_pipe: Any, tmp_path: Path) -> None:
    r = install(run_pipe, tmp_path / "home", "--install-completion", "tcsh")
    assert r.returncode == 2
    assert r.stderr == (
        "pipe: Invalid value for '--install-completion': 'tcsh' is not a shell pipe completes in; "
        "use bash, zsh, fish, powershell, pwsh (see `pipe --help`)\n"
    )
    assert not (tmp_path / "home" / ".bashrc").exists()


@needs_bash
def test_without_a_name_the_shell_that_runs_pipe(tmp_path: Path) -> None:
    assert BASH is not None
    run = subprocess.run(
        [BASH, "-c", f"{PIPE_SCRIPT} --show-completion; true"], capture_output=True, text=True, timeout=60
    )
    assert "complete -o default -F _pipe_completion pipe" in run.stdout


def complete(*words: str, cwd: Path, joined: str = " ") -> list[str]:
    """What `pipe` answers bash for the last word (COMP_WORDS as the installed script passes them)."""
    proc = subprocess.run(
        [str(PIPE_SCRIPT)],
        cwd=cwd,
        capture_output=True,
        text=True,
        env={**os.environ, "_PIPE_COMPLETE": "complete_bash", "COMP_WORDS": joined.join(["pipe", *words]),
             "COMP_CWORD": str(len(words))},
        timeout=60,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    return proc.stdout.splitlines()


def test_bash_gets_values_with_spaces_quoted(owners: Any) -> None:
    root = owners.root
    assert complete("list", "--owner", "Ann", cwd=root) == ["Anna\\ Snelling"]
    assert complete("list", "--owner", "", cwd=root) == ["Anna\\ Snelling", "Bartek\\ O\\'Neil", "anna"]
    # after an opening quote the value is given as it is: the shell closes the quote
    assert complete("list", "--owner", '"Ann', cwd=root, joined="\n") == ["Anna Snelling"]
    assert complete("list", "--owner", "'Bar", cwd=root, joined="\n") == ["Bartek O'Neil"]
    # ids and stages have no spaces: unchanged
    assert complete("move", "ac", cwd=root) == ["acme"]


@needs_bash
def test_the_installed_script_completes_one_word(owners: Any, run_pipe: Any, tmp_path: Path) -> None:
    assert BASH is not None
    home = tmp_path / "home"
    assert install(run_pipe, home, "--install-completion", "bash").returncode == 0
    script = home / ".bash_completions" / "pipe.sh"
    program = (
        f"export PATH={PIPE_SCRIPT.parent}:$PATH; source {script}; "
        "COMP_WORDS=(pipe list --owner Ann); COMP_CWORD=3; _pipe_completion pipe Ann --owner; "
        'eval "set -- ${COMPREPLY[0]}"; echo "$#: $1"'
    )
    out = subprocess.run([BASH, "-c", program], cwd=owners.root, capture_output=True, text=True, timeout=60)
    assert out.stdout == "1: Anna Snelling\n", out.stderr


@needs_bash
def test_tab_in_an_interactive_bash_types_the_owner_quoted(owners: Any, run_pipe: Any, tmp_path: Path) -> None:
    """A person at a bash prompt types `pipe list --owner Ann` and Tab."""
    assert BASH is not None
    home = tmp_path / "home"
    assert install(run_pipe, home, "--install-completion", "bash").returncode == 0
    rc = tmp_path / "rc"
    rc.write_text(
        f"PS1='$ '\nexport PATH={PIPE_SCRIPT.parent}:$PATH\nsource {home / '.bash_completions' / 'pipe.sh'}\n"
        f"cd {owners.root}\n",
        encoding="utf-8",
    )
    # readline's settings: an empty file of the test's own. Not /dev/null: where something has
    # replaced /dev/null with a regular file, readline reads its bytes as key bindings, and
    # typed letters go missing ("pipe \a ist --owner Ann")
    inputrc = tmp_path / "inputrc"
    inputrc.write_text("", encoding="utf-8")
    env = {**os.environ, "HOME": str(home), "TERM": "dumb", "INPUTRC": str(inputrc)}
    # type, Tab; then Enter runs the line as completed; then leave
    _, out = _bash_session(rc, env, [b"pipe list --owner Ann\t", b"\n", b"exit\n"])
    assert "pipe list --owner Anna\\ Snelling" in out, out
    assert "acme" in out  # the command ran with the owner as one argument


def _bash_session(rc: Path, env: dict[str, str], lines: list[bytes]) -> tuple[int, str]:
    """An interactive bash in a pseudo-terminal: each of ``lines`` typed at a prompt."""
    import pty
    import select

    assert BASH is not None
    controller, terminal = pty.openpty()
    proc = subprocess.Popen(
        [BASH, "--noprofile", "--rcfile", str(rc), "-i"],
        stdin=terminal,
        stdout=terminal,
        stderr=terminal,
        env=env,
        start_new_session=True,
    )
    os.close(terminal)
    output = b""
    todo = list(lines)
    deadline = time.monotonic() + 60
    quiet_since = time.monotonic()
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([controller], [], [], 0.2)
            if ready:
                try:
                    chunk = os.read(controller, 65536)
                except OSError:  # bash has exited
                    break
                if not chunk:
                    break
                output += chunk
                quiet_since = time.monotonic()
            elif todo and output.endswith(b"$ ") and time.monotonic() - quiet_since > 0.5:
                for key in todo.pop(0):  # typed key by key, as a person types
                    os.write(controller, bytes([key]))
                    time.sleep(0.02)
            elif todo and todo[0] == b"\n" and time.monotonic() - quiet_since > 2:
                os.write(controller, todo.pop(0))  # Enter, once the completion has been typed
    finally:
        if proc.poll() is None:
            proc.kill()
        os.close(controller)
    return proc.wait(timeout=10), output.decode("utf-8", "replace").replace("\r\n", "\n")
