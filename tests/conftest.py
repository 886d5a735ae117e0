"""Shared fixtures. Every test runs with PIPE_DIR unset, a fixed time zone and its own folders."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from hypothesis import settings as hypothesis_settings
from typer.testing import CliRunner

from pipecli import timeutil, yamlio
from pipecli.cli import app

# Property tests explore new random examples on every local run; CI (HYPOTHESIS_PROFILE=ci,
# set by .ci/run) replays one fixed set, so a build fails for a change, not for a dice roll.
hypothesis_settings.register_profile("ci", derandomize=True, print_blob=True)
hypothesis_settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))
# every YAML text the suite reads in-process is parsed by both readers, and any
# difference fails the test that read it (the fast reader's exact-data rule)
yamlio.CHECK_FAST = True

TEST_TZ = "Europe/Warsaw"
# the installed console script, next to the interpreter running the tests
PIPE_SCRIPT = Path(sys.executable).with_name("pipe")


@pytest.fixture(autouse=True)
def isolated_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    """No PIPE_DIR or PIPE_USER leaking in, one time zone (with DST), a private HOME, one login
    name, no colour, no width."""
    monkeypatch.delenv("PIPE_DIR", raising=False)
    monkeypatch.delenv("PIPE_DEBUG", raising=False)
    for name in ("COLUMNS", "LINES", "PIPE_PAGER", "PAGER", "LESS"):  # tables keep every column, no pager
        monkeypatch.delenv(name, raising=False)
    # who makes the changes (the by: of history entries and notes): the login name, the
    # same on every machine; tests of PIPE_USER and git's user.email set those themselves
    monkeypatch.delenv("PIPE_USER", raising=False)
    monkeypatch.setenv("LOGNAME", "tester")
    monkeypatch.setenv("USER", "tester")
    # git runs pipe (the merge driver, the pre-commit hook) as `pipe`: the one installed here
    monkeypatch.setenv("PATH", f"{PIPE_SCRIPT.parent}{os.pathsep}{os.environ.get('PATH', '')}")
    monkeypatch.setenv("TZ", TEST_TZ)
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("GIT_AUTHOR_NAME", "Test")
    monkeypatch.setenv("GIT_AUTHOR_EMAIL", "test@example.com")
    monkeypatch.setenv("GIT_COMMITTER_NAME", "Test")
    monkeypatch.setenv("GIT_COMMITTER_EMAIL", "test@example.com")
    (tmp_path / "home").mkdir(exist_ok=True)
    time.tzset()
    timeutil.use_zone(None)
    yield
    monkeypatch.undo()
    time.tzset()
    timeutil.use_zone(None)


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


class Pipe:
    """Runs `pipe` in-process against one pipeline folder; returns the Result."""

    def __init__(self, runner: CliRunner, root: Path) -> None:
        self.runner = runner
        self.root = root

    def __call__(self, *args: str, input: str | None = None, ok: bool = True):
        result = self.runner.invoke(app, ["-C", str(self.root), *args], input=input)
        if ok and result.exit_code != 0:
            raise AssertionError(
                f"pipe {' '.join(args)} exited {result.exit_code}\nstdout: {result.stdout}\n"
                f"stderr: {result.stderr}\n{result.exception!r}"
            )
        return result

    def add(self, title: str, *args: str) -> str:
        return self("add", title, *args).stdout.strip()

    def deal_text(self, deal_id: str) -> str:
        return (self.root / "deals" / f"{deal_id}.yaml").read_text(encoding="utf-8")


@pytest.fixture
def pipe(runner: CliRunner, tmp_path: Path) -> Pipe:
    """A fresh default pipeline (lead, qualified, meeting, proposal, negotiation; EUR)."""
    root = tmp_path / "pipeline"
    result = runner.invoke(app, ["init", str(root)])
    assert result.exit_code == 0, result.output
    return Pipe(runner, root)


@pytest.fixture
def make_pipe(runner: CliRunner, tmp_path: Path) -> Callable[..., Pipe]:
    """A pipeline with chosen init options: make_pipe('--stages', 'a,b,c')."""

    def make(*init_args: str, name: str = "custom") -> Pipe:
        root = tmp_path / name
        result = runner.invoke(app, ["init", str(root), *init_args])
        assert result.exit_code == 0, result.output
        return Pipe(runner, root)

    return make


@pytest.fixture
def env_without_pipe_dir() -> dict[str, str]:
    env = dict(os.environ)
    env.pop("PIPE_DIR", None)
    return env


def tree_bytes(root: Path) -> dict[str, bytes]:
    """Every file below ``root`` (except .git/ and the lock state in .pipe/) and its bytes."""
    out: dict[str, bytes] = {}
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root)
        if rel.parts and rel.parts[0] in (".git", ".pipe"):
            continue
        if path.is_file():
            out[str(rel)] = path.read_bytes()
    return out


@pytest.fixture
def run_pipe() -> Callable[..., subprocess.CompletedProcess[str]]:
    """Runs the installed `pipe` script as a real process: run_pipe("-C", dir, "list")."""

    def run(
        *args: str, cwd: Path | None = None, input: str | None = None, env: dict[str, str] | None = None
    ) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(PIPE_SCRIPT), *args],
            cwd=cwd,
            input=input,
            capture_output=True,
            text=True,
            encoding="utf-8",
            env={**os.environ, **(env or {})},
            timeout=120,
        )

    return run
