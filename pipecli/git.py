"""Git around a pipeline folder: finding the work tree, running git, and the auto-commit.

* ``work_tree(folder)`` looks for a ``.git`` in the folder and above it without running
  git: a pipeline outside a git work tree never runs git at all.
* ``Repo`` runs git in a work tree; it reads git's configuration once (``git config -l``)
  and finds the top folder and git's own folder once: from the file system in a plain
  clone, else by asking git (a linked work tree, a symlinked ``.git``, ``GIT_DIR`` ...).
* ``Repo.commit`` makes a commit holding exactly the files it is given, through a
  temporary index: whatever else is staged or changed in the work tree stays as it was,
  staged or not, and the pipeline may be any folder of a larger repository. It never
  runs hooks (pipe checks what it writes itself) and its reflog message says it was pipe
  (``pipe: ...``), which is how ``pipe undo`` finds the commits pipe made in this clone.
* ``auto_commit`` is what the command line hands to ``Store.on_commit``.

This module is imported only by the commands that need git.
"""

from __future__ import annotations

import os
import shlex
import shutil
import stat
import subprocess
import sys
import weakref
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from .errors import PipeError
from .fsio import unguessable

if TYPE_CHECKING:
    from .store import Store, Transaction

# A folder someone else prepared may carry a .git/config that runs programs (an
# fsmonitor hook); nothing pipe asks of git needs one.
_SAFE = ("-c", "core.fsmonitor=false")

# Variables with which git finds its folder or work tree elsewhere than the ``.git`` it meets
_PLACING = ("GIT_DIR", "GIT_WORK_TREE", "GIT_COMMON_DIR")

DRIVER = "pipe"
"""The name of pipe's merge driver: ``merge=pipe`` in .gitattributes, ``merge.pipe.*`` in git's config."""
REFLOG_PREFIX = "pipe: "
"""How the reflog marks a commit a pipe command made (``pipe undo`` reads it)."""
_IN_PROGRESS = (
    ("MERGE_HEAD", "a merge"),
    ("rebase-merge", "a rebase"),
    ("rebase-apply", "a rebase"),
    ("CHERRY_PICK_HEAD", "a cherry-pick"),
    ("REVERT_HEAD", "a revert"),
)


class GitError(PipeError):
    """Git is missing, or a git command failed; ``reason`` is git's own last line."""

    def __init__(self, what: str, reason: str = "") -> None:
        self.what = what
        self.reason = reason
        super().__init__(f"{what}: {reason}" if reason else what)


class NotGit(PipeError):
    """The pipeline folder is not in a git work tree (``pipe sync``, ``undo``, ``check --staged``)."""

    def __init__(self, root: Path, hint: str) -> None:
        self.root = root
        super().__init__(f"{root} is not in a git repository; {hint}")


def work_tree(folder: Path) -> Path | None:
    """The folder holding the ``.git`` (a folder, or a file in linked work trees and
    submodules) of the work tree ``folder`` is in; None when there is none.

    Looks at the file system only: deciding that a folder is not under git never runs git.
    """
    here = Path(os.path.abspath(folder))
    for candidate in (here, *here.parents):
        if os.path.lexists(candidate / ".git"):
            return candidate
    return None


def last_line(text: str | bytes) -> str:
    """What git says went wrong, in one line: its first ``fatal:`` or ``error:`` line
    (without that word), else its last line."""
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    for line in lines:
        for prefix in ("fatal: ", "error: "):
            if line.startswith(prefix):
                return line.removeprefix(prefix)
    return lines[-1] if lines else ""


def pipe_command() -> str:
    """How git should start pipe (the merge driver, the pre-commit hook): ``pipe`` when
    it is on the PATH, else this Python running pipecli."""
    if shutil.which("pipe"):
        return "pipe"
    return f"{shlex.quote(sys.executable)} -m pipecli"


def _decode(raw: bytes) -> str:
    return raw.decode("utf-8", "surrogateescape")


def _encode(text: str) -> bytes:
    return text.encode("utf-8", "surrogateescape")


@dataclass
class Staged:
    """Files in git's index: their staged text by path (None: not UTF-8 text, or too
    large), and the paths a merge left unmerged."""

    texts: dict[str, str | None]
    unmerged: list[str]


class Repo:
    """A git work tree holding a pipeline folder (``Repo.find``, or ``repo_of`` a store).

    What it asks git (the top folder, the configuration) it asks once.
    """

    def __init__(self, marker_folder: Path) -> None:
        self.marker_folder = marker_folder
        self._where: tuple[Path, Path] | None = None
        self._config: dict[str, list[str]] | None = None

    @classmethod
    def find(cls, folder: Path) -> Repo | None:
        """The work tree ``folder`` is in; None, without running git, when there is none."""
        marker = work_tree(folder)
        return None if marker is None else cls(marker)

    # -- running git ---------------------------------------------------------------------
    def run(
        self,
        *args: str,
        input: bytes | None = None,
        cwd: Path | None = None,
        env: Mapping[str, str] | None = None,
        check: bool = True,
        what: str = "",
    ) -> subprocess.CompletedProcess[bytes]:
        """Run git (in the top folder unless ``cwd``); ``GitError`` when it fails and ``check``."""
        if shutil.which("git") is None:
            raise GitError("git is not installed", "install it, or use --no-commit")
        result = subprocess.run(
            ["git", *_SAFE, *args],
            cwd=cwd or self.marker_folder,
            input=input,
            capture_output=True,
            check=False,
            env=None if env is None else {**os.environ, **env},
            stdin=None if input is not None else subprocess.DEVNULL,
        )
        if check and result.returncode != 0:
            raise GitError(what or f"git {args[0]} failed", last_line(result.stderr) or last_line(result.stdout))
        return result

    def out(
        self,
        *args: str,
        input: bytes | None = None,
        cwd: Path | None = None,
        env: Mapping[str, str] | None = None,
        what: str = "",
    ) -> str:
        """git's standard output as text, the final line break removed (``GitError`` if it fails)."""
        return _decode(self.run(*args, input=input, cwd=cwd, env=env, what=what).stdout).rstrip("\n")

    # -- where things are ------------------------------------------------------------------
    def _locate(self) -> tuple[Path, Path]:
        if self._where is None:
            self._where = self._plain_clone()
        if self._where is None:
            lines = self.out("rev-parse", "--show-toplevel", "--absolute-git-dir", what="not a git work tree").split(
                "\n"
            )
            if len(lines) != 2 or not lines[0]:
                raise GitError("not a git work tree", "git names no top folder")
            self._where = (Path(lines[0]), Path(lines[1]))
        return self._where

    def _plain_clone(self) -> tuple[Path, Path] | None:
        """The top folder and git's folder without running git, where that is certain: a
        ``.git`` that is a folder (not a symlink, not the file of a linked work tree or a
        submodule), no ``GIT_DIR``-like variable, no ``core.worktree`` and ``core.bare`` false
        or unset: nothing that could place them elsewhere. Then git would name the folder holding
        ``.git``, symlinks resolved, and that ``.git``; else None (git is asked)."""
        if any(name in os.environ for name in _PLACING):
            return None
        dot = self.marker_folder / ".git"
        try:
            if not stat.S_ISDIR(os.lstat(dot).st_mode):
                return None
        except OSError:
            return None
        bare = self.config.get("core.bare", [])
        if "core.worktree" in self.config or any(v.lower() not in ("false", "no", "off", "0") for v in bare):
            return None
        top = Path(os.path.realpath(self.marker_folder))
        return top, top / ".git"

    @property
    def top(self) -> Path:
        """The top folder of the work tree."""
        return self._locate()[0]

    @property
    def git_dir(self) -> Path:
        """git's own folder for this work tree (``.git``, or a linked work tree's)."""
        return self._locate()[1]

    def rel(self, path: Path | str) -> str:
        """``path`` relative to the top folder, with ``/``: how git names it."""
        real = Path(os.path.realpath(path))
        return real.relative_to(Path(os.path.realpath(self.top))).as_posix()

    # -- configuration -------------------------------------------------------------------
    @property
    def config(self) -> dict[str, list[str]]:
        """Every configuration value git sees here (``git config -l``), read once."""
        if self._config is None:
            raw = self.run("config", "-l", "-z", check=False).stdout
            values: dict[str, list[str]] = {}
            for item in _decode(raw).split("\0"):
                if item:
                    key, _, value = item.partition("\n")
                    values.setdefault(key.lower(), []).append(value)
            self._config = values
        return self._config

    def get(self, key: str) -> str | None:
        """A configuration value (the last one given), or None."""
        values = self.config.get(key.lower())
        return values[-1] if values else None

    def user(self) -> str | None:
        """Who git says is working here: ``user.email``, else ``user.name``."""
        for key in ("user.email", "user.name"):
            value = (self.get(key) or "").strip()
            if value and len(value) <= 200 and not any(ord(ch) < 32 for ch in value):
                return value
        return None

    def ensure_driver(self) -> bool:
        """Register pipe's merge driver in this clone's git configuration when it is missing
        (git does not clone it; the ``.gitattributes`` line that uses it is committed).
        True when it was missing."""
        if self.get(f"merge.{DRIVER}.driver"):
            return False
        command = f"{pipe_command()} merge-driver %O %A %B %P"
        self.run("config", "--local", f"merge.{DRIVER}.name", "pipe: deal files, notes and history from both sides")
        self.run("config", "--local", f"merge.{DRIVER}.driver", command, what="cannot register pipe's merge driver")
        self.config[f"merge.{DRIVER}.driver"] = [command]
        return True

    # -- state -------------------------------------------------------------------------
    def busy(self) -> str | None:
        """What git is in the middle of (``a merge``, ``a rebase`` ...), or None."""
        git_dir = self.git_dir
        for name, what in _IN_PROGRESS:
            if os.path.lexists(git_dir / name):
                return what
        return None

    def head(self) -> str | None:
        """The commit checked out; None on a branch with no commit yet."""
        result = self.run("rev-parse", "-q", "--verify", "HEAD^{commit}", check=False)
        return _decode(result.stdout).strip() or None if result.returncode == 0 else None

    def _head_and_tree(self) -> tuple[str | None, str | None]:
        """The commit checked out and its tree, read by one git process at one moment (HEAD
        is resolved once: a pair from two moments could mismatch); (None, None) on a
        branch with no commit yet, as ``head``."""
        result = self.run("cat-file", "--batch", input=b"HEAD^{commit}\n", check=False)
        header, _, body = result.stdout.partition(b"\n")
        fields = _decode(header).split()
        if result.returncode != 0 or len(fields) != 3 or fields[1] != "commit":
            return None, None
        first = _decode(body.split(b"\n", 1)[0]).split(" ")
        if len(first) != 2 or first[0] != "tree" or not first[1]:
            return None, None
        return fields[0], first[1]

    def ignored(self, rels: Sequence[str]) -> set[str]:
        """Which of these paths (relative to the top) git ignores and does not track."""
        if not rels:
            return set()
        result = self.run("check-ignore", "-z", "--stdin", input=_encode("\0".join(rels) + "\0"), check=False)
        if result.returncode not in (0, 1):
            raise GitError("git check-ignore failed", last_line(result.stderr))
        return {name for name in _decode(result.stdout).split("\0") if name}

    def blobs(self, specs: Sequence[str], *, cwd: Path, max_bytes: int) -> list[str | None]:
        """The text of each object (``HEAD:./path``, a blob id ...); None for a missing one,
        one larger than ``max_bytes`` (never read) or one that is not UTF-8 text."""
        if not specs:
            return []
        sizes: list[int | None] = []
        checked = self.run("cat-file", "--batch-check", input=_encode("".join(f"{s}\n" for s in specs)), cwd=cwd)
        for line in checked.stdout.split(b"\n")[: len(specs)]:
            header = line.split()
            ok = len(header) == 3 and header[1] == b"blob" and int(header[2]) <= max_bytes
            sizes.append(int(header[2]) if ok else None)
        wanted = [spec for spec, size in zip(specs, sizes, strict=True) if size is not None]
        data = b""
        if wanted:
            data = self.run("cat-file", "--batch", input=_encode("".join(f"{s}\n" for s in wanted)), cwd=cwd).stdout
        out: list[str | None] = []
        pos = 0
        for size in sizes:
            if size is None:
                out.append(None)
                continue
            pos = data.index(b"\n", pos) + 1  # the header, checked above
            blob = data[pos : pos + size]
            pos += size + 1
            try:
                out.append(blob.decode("utf-8"))
            except UnicodeDecodeError:
                out.append(None)
        return out

    def staged(self, root: Path, pathspecs: Sequence[str], *, max_bytes: int) -> Staged:
        """The files of the index below ``root`` matching ``pathspecs`` (relative to ``root``),
        with their staged text."""
        listed = self.run("ls-files", "-s", "-z", "--", *pathspecs, cwd=root)
        regular: list[tuple[str, str]] = []
        unmerged: list[str] = []
        for item in _decode(listed.stdout).split("\0"):
            head, _, name = item.partition("\t")
            fields = head.split()
            if len(fields) != 3 or not name:
                continue
            mode, obj, stage = fields
            if stage != "0":
                if name not in unmerged:
                    unmerged.append(name)
            elif mode in ("100644", "100755"):
                regular.append((name, obj))
        texts = self.blobs([obj for _, obj in regular], cwd=root, max_bytes=max_bytes)
        return Staged({name: text for (name, _), text in zip(regular, texts, strict=True)}, unmerged)

    # -- committing --------------------------------------------------------------------
    def commit(self, paths: Iterable[Path], message: str, *, reflog: str) -> str | None:
        """Commit exactly ``paths`` (files of the work tree, as they are now; a missing one
        is a deletion) with ``message``, leaving everything else staged or changed as it
        was. Returns the new commit, or None when the files are as committed already.

        The commit's tree is HEAD's with these files put in: only the trees on their
        paths are read and written anew (``gittree``), or, where one of those is not a
        tree it can change, the whole tree is built in a temporary index from HEAD and
        these files. Then HEAD moves to the commit (only if no one moved it meanwhile;
        else it is built again), then the index gets the committed version of these
        files and nothing else. In a plain clone a deal file's commit is ten git
        processes with the configuration read before (``tests/test_autocommit.py``
        counts them): check-ignore, hash-object, cat-file (HEAD and its tree), cat-file
        (the trees on the path), hash-object (deals/ and the top tree), commit-tree,
        update-ref, update-index.
        """
        rels = list(dict.fromkeys(self.rel(p) for p in paths))
        if any("\n" in r for r in rels):
            raise GitError("cannot commit a file whose name has a line break", next(r for r in rels if "\n" in r))
        skipped = self.ignored(rels)
        rels = [r for r in rels if r not in skipped]
        if not rels:
            return None
        top = self.top
        present = [r for r in rels if os.path.isfile(top / r) and not os.path.islink(top / r)]
        blobs = (
            self.out("hash-object", "-w", "--stdin-paths", input=_encode("\n".join(present) + "\n")).split("\n")
            if present
            else []
        )
        if len(blobs) != len(present):
            raise GitError("git hash-object failed", "it did not name every file")
        entries = dict(zip(present, blobs, strict=True))
        modes = {r: "100755" if os.stat(top / r).st_mode & stat.S_IXUSR else "100644" for r in present}
        for _ in range(5):
            head, head_tree = self._head_and_tree()
            zero = "0" * len(head or (blobs[0] if blobs else "0" * 40))
            lines = [f"{modes[r]} {entries[r]}\t{r}" if r in entries else f"0 {zero}\t{r}" for r in rels]
            info = _encode("\0".join(lines) + "\0")
            changes = {r: (modes[r], entries[r]) if r in entries else None for r in rels}
            commit = self._commit_tree(head, head_tree, info, message, changes)
            if commit is None:
                return None
            moved = self.run("update-ref", "-m", reflog, "HEAD", commit, head or "", check=False)
            if moved.returncode == 0:
                self._stage(info)
                return commit
        raise GitError("cannot commit", "HEAD kept moving while pipe committed; commit the files with git")

    def _commit_tree(
        self,
        head: str | None,
        head_tree: str | None,
        info: bytes,
        message: str,
        changes: Mapping[str, tuple[str, str] | None] | None = None,
    ) -> str | None:
        """The commit of HEAD's tree (``head_tree``) with the index lines ``info`` applied
        (``changes``: the same, path by path); None if that is HEAD's tree."""
        tree = self._changed_tree(head_tree, changes) if head_tree and changes else None
        if tree is None:
            tree = self._tree_by_index(head, info)
        if head and tree == head_tree:
            return None
        args = ["commit-tree", tree]
        if head:
            args += ["-p", head]
        if (self.get("commit.gpgsign") or "").lower() in ("true", "yes", "on", "1"):
            args.append("-S")
        return self.out(*args, input=_encode(message.rstrip("\n") + "\n"), what="git could not make the commit")

    def _tree_by_index(self, head: str | None, info: bytes) -> str:
        """HEAD's tree with the index lines ``info`` applied, made in a temporary index."""
        index = self.git_dir / f"pipe-index-{unguessable()}"
        env = {"GIT_INDEX_FILE": str(index)}
        try:
            if head:
                self.run("read-tree", head, env=env)
            else:
                self.run("read-tree", "--empty", env=env)
            self.run("update-index", "-z", "--index-info", input=info, env=env)
            return self.out("write-tree", env=env)
        finally:
            for leftover in (index, index.with_name(index.name + ".lock")):
                leftover.unlink(missing_ok=True)

    def _changed_tree(self, head_tree: str, changes: Mapping[str, tuple[str, str] | None]) -> str | None:
        """HEAD's tree with ``changes`` (path -> (mode, blob id), or None: taken out), made
        from the trees on the paths changed alone (``gittree``): one ``cat-file`` reads
        them, one ``hash-object`` writes each new one. None where a tree is not one
        ``gittree`` changes (then the index's way makes it)."""
        from . import gittree

        width = len(head_tree) // 2
        on_paths = {""}  # the folders on the paths changed, the top one included
        for path in changes:
            folder = path.rpartition("/")[0]
            while folder:
                on_paths.add(folder)
                folder = folder.rpartition("/")[0]
        # the deepest first, so that each folder's new tree is known before its parent's
        every = sorted(on_paths, key=lambda f: (-f.count("/") - 1 if f else 0, f))
        specs = [head_tree if f == "" else f"{head_tree}:{f}" for f in every]
        result = self.run("cat-file", "--batch", input=_encode("".join(s + "\n" for s in specs)), check=False)
        if result.returncode != 0:
            return None
        trees: dict[str, bytes] = {}
        data, pos = result.stdout, 0
        for folder in every:
            end = data.find(b"\n", pos)
            header = data[pos:end].split(b" ")
            pos = end + 1
            if header[-1] == b"missing":
                trees[folder] = b""  # a new folder
                continue
            if len(header) != 3 or header[1] != b"tree":
                return None  # a path through a file, a submodule ...
            size = int(header[2])
            trees[folder] = data[pos : pos + size]
            pos += size + 1
        edits: dict[str, dict[bytes, tuple[bytes, bytes] | None]] = {f: {} for f in every}
        for path, entry in changes.items():
            folder, _, name = path.rpartition("/")
            edits[folder][_encode(name)] = None if entry is None else (entry[0].encode(), bytes.fromhex(entry[1]))
        made = ""
        for folder in every:
            if not edits[folder]:
                continue
            try:
                raw = gittree.changed(trees[folder], width, edits[folder])
            except (gittree.Unusual, ValueError):
                return None
            parent, _, name = folder.rpartition("/")
            if folder and not raw:
                edits[parent][_encode(name)] = None  # a folder left empty is no tree of its parent
                continue
            written = self.run("hash-object", "-w", "-t", "tree", "--stdin", input=raw, check=False)
            made = _decode(written.stdout).strip()
            if written.returncode != 0 or len(made) != 2 * width:
                return None
            if folder:
                edits[parent][_encode(name)] = (gittree.FOLDER, bytes.fromhex(made))
        return made or None

    def _stage(self, info: bytes) -> None:
        """Give the index the committed version of the files (``info``), waiting a moment
        when another git command holds the index."""
        import time

        for attempt in range(50):
            result = self.run("update-index", "-z", "--index-info", input=info, check=False)
            if result.returncode == 0:
                return
            if b"index.lock" not in result.stderr or attempt == 49:
                raise GitError(
                    "committed, but git's index still has the old version of the files",
                    f"{last_line(result.stderr)}; run `git reset -q` on them",
                )
            time.sleep(0.1)


_repos: weakref.WeakKeyDictionary[Store, Repo | None] = weakref.WeakKeyDictionary()


def repo_of(store: Store) -> Repo | None:
    """The work tree of a store's pipeline, found once per store (one command): who made a
    change and the commit after it read git's configuration once between them."""
    if store not in _repos:
        _repos[store] = Repo.find(store.root)
    return _repos[store]


def pipeline_commits_enabled(store: Store) -> bool:
    """Whether pipeline.yaml allows auto-commit (``auto_commit: false`` turns it off)."""
    try:
        return store.pipeline.auto_commit
    except PipeError:
        return True


def auto_commit(tx: Transaction, notify: Callable[[str], None]) -> None:
    """``Store.on_commit`` for the command line: in a git work tree, register pipe's
    merge driver when it is missing and commit what the transaction wrote, with its
    message. A commit that cannot be made never undoes the change: ``notify`` says why
    the files are saved but not committed."""
    store = tx.store
    repo = repo_of(store)
    if repo is None:
        return
    names = ", ".join(_shown(store, p) for p in tx.paths[:3]) + (" ..." if len(tx.paths) > 3 else "")
    try:
        repo.ensure_driver()
        if not pipeline_commits_enabled(store):
            return
        busy = repo.busy()
        if busy:
            notify(
                f"{names} saved but not committed: git is in the middle of {busy}; "
                "finish it (`pipe sync` finishes a merge), then commit"
            )
            return
        message = tx.message or "Change the pipeline"
        repo.commit(tx.paths, message, reflog=REFLOG_PREFIX + message.splitlines()[0])
    except GitError as err:
        notify(f"{names} saved but not committed: {err.message}")


def _shown(store: Store, path: Path) -> str:
    try:
        return Path(os.path.abspath(path)).relative_to(Path(os.path.abspath(store.root))).as_posix()
    except ValueError:
        return str(path)


def init(root: Path) -> Repo:
    """Make ``root`` a git repository (unless it is inside one already)."""
    repo = Repo.find(root)
    if repo is not None:
        return repo
    if shutil.which("git") is None:
        raise PipeError("git is not installed; install it or leave out --git")
    result = subprocess.run(
        ["git", *_SAFE, "init", "--quiet"], cwd=root, capture_output=True, check=False, stdin=subprocess.DEVNULL
    )
    if result.returncode != 0:
        raise PipeError(f"git init failed: {last_line(result.stderr)}")
    repo = Repo.find(root)
    assert repo is not None
    return repo


def install_hook(repo: Repo, root: Path) -> Path | None:
    """Install ``pipe check --staged`` as the repository's pre-commit hook (for the
    pipeline in ``root``); None, leaving it alone, when there is a hook already."""
    hook = Path(repo.out("rev-parse", "--git-path", "hooks/pre-commit", cwd=repo.top))
    if not hook.is_absolute():
        hook = repo.top / hook
    if os.path.lexists(hook):
        return None
    folder = repo.rel(root)
    where = "" if folder in ("", ".") else f" -C {shlex.quote(folder)}"
    hook.parent.mkdir(parents=True, exist_ok=True)
    hook.write_text(
        "#!/bin/sh\n"
        "# installed by `pipe init --git`: check the staged pipeline files before each commit (docs/team.md)\n"
        f"exec {pipe_command()}{where} check --staged\n",
        encoding="utf-8",
    )
    hook.chmod(0o755)
    return hook


def changed_since_commit(root: Path, folder: str, *, max_bytes: int, staged: bool = False) -> dict[str, str]:
    """The last committed text of each file below ``root/folder`` that differs from it
    now (``staged``: in the index), by path relative to ``root`` (``deals/acme-7f3k.yaml``).

    Empty when ``root`` is not in a work tree (git is not run then) or has no commit yet.
    Files that are new since the commit, larger than ``max_bytes`` or not UTF-8 are left out.
    """
    repo = Repo.find(root)
    if repo is None:
        return {}
    try:
        changed = ["diff", "--no-ext-diff", "--no-renames", "--relative", "--name-only", "-z"]
        changed += ["--cached", "HEAD"] if staged else ["HEAD"]
        diff = repo.run(*changed, "--", folder, cwd=root, check=False)
        if diff.returncode != 0:
            return {}
        names = [n for n in _decode(diff.stdout).split("\0") if n and "\n" not in n]
        if not names:
            return {}
        return {
            name: text
            for name, text in zip(
                names, repo.blobs([f"HEAD:./{n}" for n in names], cwd=root, max_bytes=max_bytes), strict=True
            )
            if text is not None
        }
    except GitError:
        return {}
