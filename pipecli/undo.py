"""``pipe undo``: revert the last commit a pipe command made in this clone, with a new commit.

The commits pipe made here are the ones git's reflog marks ``pipe: ...`` (``Repo.commit``
writes that mark; the reflog is this clone's own, never pushed or cloned). The last of
them still in the history of HEAD and not undone already is the one undone; a commit
``pipe undo`` made (its message says "This reverts commit ...") is not undone again,
so undoing twice undoes the two commits before it.

Nothing is undone when a file of that commit has changed since (in a later commit, in the
index or in the work tree): its files are put back as they were before the commit,
through the store's write path, and committed with git's revert message.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from .errors import PipeError
from .git import REFLOG_PREFIX, GitError, NotGit, Repo, repo_of
from .store import Store

_REVERTS = re.compile(r"^This reverts commit ([0-9a-f]{40,64})\.$", re.MULTILINE)
MAX_BLOB = 64 << 20


@dataclass(frozen=True)
class PipeCommit:
    commit: str
    subject: str
    message: str
    author: str
    when: datetime
    paths: tuple[str, ...]  # relative to the top of the work tree


class NothingToUndo(PipeError):
    def __init__(self) -> None:
        super().__init__("pipe made no commit in this clone that is not undone already")


class ChangedSince(PipeError):
    """A file of the commit to undo has changed since it."""

    def __init__(self, commit: PipeCommit, paths: list[str]) -> None:
        self.commit = commit
        self.paths = tuple(paths)
        super().__init__(f"{', '.join(paths)} changed since {commit.commit[:7]} {commit.subject!r}")


def _repo(store: Store) -> Repo:
    repo = repo_of(store)
    if repo is None:
        raise NotGit(store.root, "pipe undo reverts commits pipe made, and there are none outside git")
    return repo


def last_commit(store: Store) -> PipeCommit:
    """The commit ``pipe undo`` would revert now (``NothingToUndo`` when there is none)."""
    repo = _repo(store)
    if repo.head() is None:
        raise NothingToUndo()
    log = repo.run("log", "-g", "--format=%H%x1f%gs%x1f%an%x1f%ae%x1f%aI%x1f%B%x1e", "HEAD", check=False)
    undone: set[str] = set()
    for record in log.stdout.decode("utf-8", "replace").split("\x1e"):
        fields = record.strip("\n").split("\x1f")
        if len(fields) != 6 or not fields[1].startswith(REFLOG_PREFIX):
            continue
        commit, _, name, email, when, message = fields
        reverted = _REVERTS.search(message)
        if reverted:
            undone.add(reverted.group(1))
            continue
        if commit in undone:
            continue
        if repo.run("merge-base", "--is-ancestor", commit, "HEAD", check=False).returncode != 0:
            continue  # not in this branch's history (another branch, or rewritten since)
        listed = repo.out("diff-tree", "-r", "--root", "--no-commit-id", "--name-only", "--no-renames", "-z", commit)
        paths = tuple(p for p in listed.split("\0") if p)
        subject = message.strip().splitlines()[0] if message.strip() else fields[1].removeprefix(REFLOG_PREFIX)
        return PipeCommit(commit, subject, message, email or name, datetime.fromisoformat(when), paths)
    raise NothingToUndo()


def _trees(repo: Repo, rev: str, paths: tuple[str, ...]) -> dict[str, str]:
    """The blob of each of ``paths`` (relative to the top) in ``rev``; absent ones left out."""
    listed = repo.run("ls-tree", "-z", "--full-tree", rev, "--", *[f":(top,literal){p}" for p in paths], check=False)
    out: dict[str, str] = {}
    for item in listed.stdout.decode("utf-8", "surrogateescape").split("\0"):
        head, _, name = item.partition("\t")
        fields = head.split()
        if len(fields) == 3 and fields[1] == "blob":
            out[name] = fields[2]
    return out


def changed_since(repo: Repo, commit: PipeCommit) -> list[str]:
    """The files of ``commit`` that are not as it left them: in HEAD, the index or the work tree."""
    if repo.head() != commit.commit:
        then, now = _trees(repo, commit.commit, commit.paths), _trees(repo, "HEAD", commit.paths)
        later = [p for p in commit.paths if then.get(p) != now.get(p)]
    else:
        later = []
    status = repo.run(
        "status", "--porcelain=v1", "-z", "--", *[f":(top,literal){p}" for p in commit.paths], cwd=repo.top
    )
    touched = [e[3:] for e in status.stdout.decode("utf-8", "surrogateescape").split("\0") if len(e) > 3]
    return [p for p in commit.paths if p in later or p in touched]


def undo(store: Store, commit: PipeCommit) -> None:
    """Put the files of ``commit`` back as they were before it, in one transaction whose
    message is git's revert message (the auto-commit makes it the new commit)."""
    repo = _repo(store)
    busy = repo.busy()
    if busy:
        raise PipeError(f"git is in the middle of {busy}; finish it (`pipe sync` finishes a merge), then undo")
    changed = changed_since(repo, commit)
    if changed:
        raise ChangedSince(commit, changed)
    top = repo.top
    root = Path(store.root).resolve()
    for rel in commit.paths:
        if not (top / rel).resolve().is_relative_to(root):
            raise PipeError(f"{commit.commit[:7]} changed {rel}, outside the pipeline; undo it with git revert")
    parent = repo.run("rev-parse", "-q", "--verify", f"{commit.commit}^", check=False)
    before = _trees(repo, commit.commit + "^", commit.paths) if parent.returncode == 0 else {}
    texts = dict(zip(before, repo.blobs(list(before.values()), cwd=top, max_bytes=MAX_BLOB), strict=True))
    for rel, text in texts.items():
        if text is None:
            raise GitError(f"cannot undo {commit.commit[:7]}", f"{rel} was not UTF-8 text")
    message = f'Revert "{commit.subject}"\n\nThis reverts commit {commit.commit}.\n'
    with store.transaction(message) as tx:
        for rel in commit.paths:
            text = texts.get(rel)
            if text is None:
                tx.remove(top / rel)
            else:
                tx.write_text(top / rel, text)
