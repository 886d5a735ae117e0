"""Real git for the tests: run it, read what it committed, and watch which git commands pipe runs."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
from pathlib import Path

REAL_GIT = shutil.which("git") or "/usr/bin/git"


def git(cwd: Path, *args: str, ok: bool = True, env: dict[str, str] | None = None) -> str:
    """Run git in ``cwd``; its standard output (an AssertionError with its stderr when it fails and ``ok``)."""
    result = subprocess.run(
        [REAL_GIT, *args], cwd=cwd, capture_output=True, text=True, env={**os.environ, **(env or {})}
    )
    if ok and result.returncode != 0:
        raise AssertionError(f"git {' '.join(args)} failed: {result.stderr}")
    return result.stdout


def subjects(cwd: Path, rev: str = "HEAD") -> list[str]:
    """The subjects of the commits reachable from ``rev``, newest first."""
    return git(cwd, "log", "--format=%s", rev).splitlines()


def files_of(cwd: Path, rev: str = "HEAD") -> list[str]:
    """The files a commit changed, as git names them (relative to the top of the work tree)."""
    out = git(cwd, "show", "--format=", "--name-only", "--no-renames", rev)
    return sorted(line for line in out.splitlines() if line)


def status(cwd: Path) -> list[str]:
    """``git status --porcelain`` lines (untracked files too)."""
    return git(cwd, "status", "--porcelain", "--untracked-files=all").splitlines()


def wrap_git(folder: Path, *, fail: bool = False) -> Path:
    """A ``git`` in ``folder`` that logs each call (its arguments, one line) to
    ``folder/calls`` and runs the real git, or, with ``fail``, exits 1. Put ``folder``
    first on PATH. Returns the log's path."""
    folder.mkdir(parents=True, exist_ok=True)
    log = folder / "calls"
    log.touch()
    script = folder / "git"
    run = "exit 1" if fail else f'exec {REAL_GIT} "$@"'
    script.write_text(f'#!/bin/sh\necho "$*" >> {log}\n{run}\n', encoding="utf-8")
    script.chmod(script.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    return log


def calls(log: Path) -> list[str]:
    return log.read_text(encoding="utf-8").splitlines()
