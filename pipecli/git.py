"""Git around a pipeline folder."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from .errors import PipeError

# A folder someone else prepared may carry a .git/config that runs programs (an
# fsmonitor hook); nothing pipe asks of git needs one.
_SAFE = ("-c", "core.fsmonitor=false")


def _git(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    if shutil.which("git") is None:
        raise PipeError("git is not installed; install it or leave out --git")
    return subprocess.run(
        ["git", *_SAFE, *args], cwd=root, capture_output=True, text=True, check=False, stdin=subprocess.DEVNULL
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


def committed_changed(root: Path, folder: str, *, max_bytes: int) -> dict[str, str]:
    """The last committed text of each file below ``root/folder`` that differs from it
    now, by path relative to ``root`` (``deals/acme-7f3k.yaml``).

    Empty when git is missing, ``root`` is not in a work tree or has no commit yet.
    Files that are new since the commit, larger than ``max_bytes`` or not UTF-8 are left out.
    """
    if shutil.which("git") is None:
        return {}
    changed = ("diff", "--no-ext-diff", "--no-renames", "--relative", "--name-only", "-z", "HEAD", "--", folder)
    diff = subprocess.run(
        ["git", *_SAFE, *changed],
        cwd=root,
        capture_output=True,
        check=False,
        stdin=subprocess.DEVNULL,
    )
    if diff.returncode != 0:
        return {}
    names = [n for n in diff.stdout.decode("utf-8", "surrogateescape").split("\0") if n and "\n" not in n]
    if not names:
        return {}
    batch = subprocess.run(
        ["git", *_SAFE, "cat-file", "--batch"],
        cwd=root,
        input="".join(f"HEAD:./{n}\n" for n in names).encode("utf-8", "surrogateescape"),
        capture_output=True,
        check=False,
    )
    if batch.returncode != 0:
        return {}
    out: dict[str, str] = {}
    data = batch.stdout
    pos = 0
    for name in names:
        end = data.find(b"\n", pos)
        if end < 0:
            break
        header = data[pos:end].split()
        pos = end + 1
        if len(header) != 3:
            continue  # "<name> missing": new since the commit
        size = int(header[2])
        blob = data[pos : pos + size]
        pos += size + 1
        if header[1] != b"blob" or size > max_bytes:
            continue
        try:
            out[name] = blob.decode("utf-8")
        except UnicodeDecodeError:
            continue
    return out
