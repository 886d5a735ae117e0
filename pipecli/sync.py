"""``pipe sync``: bring this clone and its remote to the same pipeline, over git.

1. Register pipe's merge driver in this clone when it is missing, and give the
   pipeline's ``.gitattributes`` its line when it lacks it (committed, through the
   write path, like any change pipe makes).
2. Refuse while a file of the pipeline has changes that are not committed: sync commits
   nothing it did not make (commit them, or undo them, first).
3. Fetch the remote (the branch's upstream; else ``origin``, or the only remote).
4. Merge what came in (a fast-forward when this clone has nothing new); deal files go
   through the merge driver (``pipecli.merge``). A merge is never rebased away: each
   commit keeps its identity, so ``pipe undo`` still finds it.
5. Push, and when someone pushed in between, fetch and merge again.

A merge that stops on a conflict leaves git in the middle of it, every conflict written
into its file (``conflict:`` in a deal file, markers elsewhere); once they are resolved,
``pipe sync`` again commits the merge and carries on.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from . import merge
from .documents import display_path, parse_document, read_text
from .errors import PipeError
from .git import GitError, NotGit, Repo, last_line, repo_of
from .scaffold import GITATTRIBUTES, has_attributes_line
from .store import DEALS_DIR, PIPELINE_FILE, Store, deal_from_data

ATTRIBUTES_MESSAGE = "Merge deal files with pipe's merge driver"
TRIES = 3


class NoRemote(PipeError):
    """The clone has no remote to sync with."""

    def __init__(self, branch: str) -> None:
        self.branch = branch
        super().__init__("no remote to sync with")


class Offline(PipeError):
    """The remote could not be reached (``reason``: git's words)."""

    def __init__(self, remote: str, reason: str, *, merged: bool = False) -> None:
        self.remote = remote
        self.reason = reason
        self.merged = merged
        super().__init__(f"cannot reach {remote}: {reason}")


class Unsaved(PipeError):
    """Files of the pipeline have changes that are not committed."""

    def __init__(self, paths: Sequence[str]) -> None:
        self.paths = tuple(paths)
        super().__init__(f"{', '.join(self.paths)}: changes not committed")


class Conflicted(PipeError):
    """The merge stopped: ``lines`` name each file and field to resolve."""

    def __init__(self, lines: Sequence[str]) -> None:
        self.lines = tuple(lines)
        super().__init__(f"{len(self.lines)} conflict{'s' if len(self.lines) != 1 else ''} to resolve")


@dataclass
class Synced:
    remote: str
    branch: str
    received: int = 0  # commits that came in
    sent: int = 0  # commits pushed
    finished: bool = False  # a merge left by an earlier sync was committed
    notes: list[str] = field(default_factory=list)


def sync(store: Store) -> Synced:
    repo = repo_of(store)
    if repo is None:
        raise NotGit(
            store.root, "make it one (`git init`, then commit), add a remote (`git remote add origin URL`) and sync"
        )
    repo.ensure_driver()
    finished = False
    busy = repo.busy()
    if busy == "a merge":
        finish_merge(store, repo)
        finished = True
    elif busy:
        raise PipeError(f"git is in the middle of {busy}; finish or abort it with git, then run `pipe sync`")
    ensure_attributes(store)
    unsaved = uncommitted(store, repo)
    if unsaved:
        raise Unsaved(unsaved)
    branch = repo.out(
        "symbolic-ref",
        "-q",
        "--short",
        "HEAD",
        what="not on a branch (git's HEAD is detached); check out your branch, then run `pipe sync`",
    )
    remote, remote_branch = upstream(repo, branch)
    result = Synced(remote, remote_branch, finished=finished)
    tracking = f"refs/remotes/{remote}/{remote_branch}"
    for _ in range(TRIES):
        fetched = repo.run("fetch", "--quiet", remote, check=False)
        if fetched.returncode != 0:
            raise Offline(remote, last_line(fetched.stderr), merged=result.received > 0 or finished)
        known = repo.run("rev-parse", "-q", "--verify", f"{tracking}^{{commit}}", check=False).returncode == 0
        if known and repo.head() is not None:
            incoming = int(repo.out("rev-list", "--count", f"HEAD..{tracking}"))
            if incoming:
                merge_in(store, repo, tracking, f"{remote}/{remote_branch}")
                result.received += incoming
        elif known:  # a new clone's first commit is still to come: take the remote's
            repo.run("merge", "--quiet", tracking, what="git merge failed")
        if repo.head() is None:
            return result  # nothing here, nothing there
        outgoing = int(repo.out("rev-list", "--count", f"{tracking}..HEAD")) if known else 1
        if not outgoing:
            return result
        args = ["push", "--porcelain", "--quiet"]
        if repo.get(f"branch.{branch}.remote") is None:
            args.append("--set-upstream")
        pushed = repo.run(*args, remote, f"HEAD:refs/heads/{remote_branch}", check=False)
        if pushed.returncode == 0:
            result.sent = outgoing
            return result
        rejected = any(line.startswith("!") for line in pushed.stdout.decode("utf-8", "replace").splitlines())
        if not rejected:
            raise Offline(remote, last_line(pushed.stderr), merged=True)
    raise PipeError(f"{remote} kept changing while pipe synced (someone is pushing right now); run `pipe sync` again")


def upstream(repo: Repo, branch: str) -> tuple[str, str]:
    """(remote, branch there) this branch syncs with: its upstream, else ``origin`` or the only remote."""
    remotes = sorted({key.split(".")[1] for key in repo.config if key.startswith("remote.") and key.endswith(".url")})
    remote = repo.get(f"branch.{branch}.remote")
    if remote is None or remote == ".":
        if not remotes:
            raise NoRemote(branch)
        if "origin" in remotes:
            remote = "origin"
        elif len(remotes) == 1:
            remote = remotes[0]
        else:
            raise PipeError(
                f"this clone has several remotes ({', '.join(remotes)}) and branch {branch} follows none; "
                f"run `git push -u REMOTE {branch}` once to choose"
            )
    merge_ref = repo.get(f"branch.{branch}.merge") or f"refs/heads/{branch}"
    return remote, merge_ref.removeprefix("refs/heads/")


def ensure_attributes(store: Store) -> None:
    """The pipeline's .gitattributes gives deal files pipe's merge driver (a commit of its own when added)."""
    path = store.root / ".gitattributes"
    text = read_text(path) if path.exists() else ""
    if has_attributes_line(text):
        return
    with store.transaction(ATTRIBUTES_MESSAGE) as tx:
        tx.write_text(path, (text.rstrip("\n") + "\n" if text.strip() else "") + GITATTRIBUTES)


def _pipeline_paths(store: Store, repo: Repo) -> list[str]:
    folder = repo.rel(store.root)
    prefix = "" if folder in ("", ".") else folder + "/"
    return [f"{prefix}{DEALS_DIR}", f"{prefix}{PIPELINE_FILE}", f"{prefix}.gitattributes"]


def uncommitted(store: Store, repo: Repo) -> list[str]:
    """The files of the pipeline (deal files, pipeline.yaml, .gitattributes) that differ
    from the last commit, new ones included, as paths to show."""
    status = repo.run(
        "status", "--porcelain=v1", "-z", "--untracked-files=all", "--", *_pathspecs(store, repo), cwd=repo.top
    )
    out = []
    entries = status.stdout.decode("utf-8", "surrogateescape").split("\0")
    skip = False
    for entry in entries:
        if skip:
            skip = False
            continue
        if len(entry) < 4:
            continue
        if entry[0] in "RC":
            skip = True  # the source path of a rename follows
        out.append(display_path(repo.top / entry[3:]))
    return out


def _pathspecs(store: Store, repo: Repo) -> list[str]:
    return [f":(top,literal){p}" for p in _pipeline_paths(store, repo)]


def unmerged(repo: Repo) -> list[str]:
    """Paths (relative to the top) git has not merged yet."""
    diff = repo.run("diff", "--name-only", "-z", "--diff-filter=U", cwd=repo.top)
    return [p for p in diff.stdout.decode("utf-8", "surrogateescape").split("\0") if p]


def conflicts(store: Store, repo: Repo, paths: Sequence[str]) -> list[str]:
    """A line for every conflict left in these files: a field of a deal file, or conflict markers."""
    lines: list[str] = []
    deals = store.deals_dir.resolve()
    for rel in paths:
        path = repo.top / rel
        shown = display_path(path)
        try:
            text = read_text(path)
        except PipeError:
            lines.append(f"{shown}: deleted on one side and changed on the other; keep it (git add) or not (git rm)")
            continue
        try:
            data = parse_document(path, text)
            if path.resolve().parent == deals and path.suffix == ".yaml":
                deal = deal_from_data(path, data, text)
                for name, sides in merge.conflicts_of(deal).items():
                    lines.append(f"{shown}: {merge.describe(deal.id, str(name), sides)}")
        except PipeError as err:
            where = f"{shown}:{err.line}" if err.line else shown
            lines.append(f"{where}: {err.message}")
    return lines


def merge_in(store: Store, repo: Repo, tracking: str, name: str) -> None:
    """Merge ``tracking`` into this branch; ``Conflicted`` when it stops on conflicts."""
    result = repo.run("merge", "--no-edit", "-m", f"Merge {name}", tracking, check=False)
    if result.returncode == 0:
        return
    if repo.busy() == "a merge":
        paths = unmerged(repo)
        lines = conflicts(store, repo, paths)
        if not lines:
            lines = [f"{display_path(repo.top / p)}: git could not merge it" for p in paths]
        raise Conflicted(lines)
    raise GitError("git could not merge", last_line(result.stderr) or last_line(result.stdout))


def finish_merge(store: Store, repo: Repo) -> None:
    """Commit a merge an earlier ``pipe sync`` left for conflicts, once they are resolved."""
    paths = unmerged(repo)
    lines = conflicts(store, repo, paths)
    if lines:
        raise Conflicted(lines)
    if paths:
        repo.run(
            "update-index", "--add", "--remove", "-z", "--stdin", input="\0".join(paths).encode() + b"\0", cwd=repo.top
        )
    env = {"GIT_EDITOR": "true"}
    repo.run("commit", "--quiet", "--no-edit", env=env, what="git could not commit the merge")
