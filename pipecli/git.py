"""Git around a pipeline folder."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from .errors import PipeError


def _git(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    if shutil.which("git") is None:
        raise PipeError("git is not installed; install it or leave out --git")
    return subprocess.run(
        ["git", *args], cwd=root, capture_output=True, text=True, check=False, stdin=subprocess.DEVNULL
    )


def is_repo(root: Path) -> bool:
    if shutil.which("git") is None:
        return False
    return _git(root, "rev-parse", "--is-inside-work-tree").stdout.strip() == "true"


def init(root: Path) -> None:
    """Make ``root`` a git repository (unless it is inside one already)."""
    if is_repo(root):
        return
    result = _git(root, "init", "--quiet")
    if result.returncode != 0:
        raise PipeError(f"git init failed: {result.stderr.strip().splitlines()[-1] if result.stderr else ''}")
