"""A commit's tree made from the trees on the paths changed (``gittree``): the tree git makes
of the same work tree, whatever is added, changed, made executable or taken out, in folders
old and new, with names that sort around a folder's."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest
from git_helpers import calls, git, wrap_git
from hypothesis import given, settings
from hypothesis import strategies as st

from pipecli import gittree
from pipecli.git import Repo

# names around the folder "ab" in git's order: "ab-c" < "ab.c" < "ab/" < "ab0"; no name is
# both a file and a folder
PATHS = [
    "pipeline.yaml",
    "ab-c",
    "ab.c",
    "ab/x.yaml",
    "ab/y z.yaml",
    "ab0",
    "deals/d1.yaml",
    "deals/Zażółć gęślą.yaml",
    "deals/ร้านกาแฟ.yaml",
    "deals/sub/deep.yaml",
    "x/y/z/w.yaml",
]
actions = st.sampled_from(["keep", "write", "executable", "remove"])


def work_tree_tree(root: Path) -> str:
    """The tree git makes of every file of the work tree, in an index of its own."""
    env = {"GIT_INDEX_FILE": str(root / ".git" / "test-index")}
    git(root, "add", "-A", env=env)
    tree = git(root, "write-tree", env=env).strip()
    (root / ".git" / "test-index").unlink()
    return tree


def make_repo(root: Path, first: list[str]) -> None:
    git(root, "init", "-q", "-b", "main")
    git(root, "config", "user.email", "anna@example.com")
    git(root, "config", "user.name", "Anna")
    for path in first:
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_text(f"first {path}\n", encoding="utf-8")
    git(root, "add", "-A")
    git(root, "commit", "-q", "--allow-empty", "-m", "first")


@settings(max_examples=30, deadline=None)
@given(
    first=st.lists(st.sampled_from(PATHS), unique=True),
    plan=st.lists(actions, min_size=len(PATHS), max_size=len(PATHS)),
)
def test_the_commit_holds_the_tree_git_makes_of_the_work_tree(first: list[str], plan: list[str]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        make_repo(root, first)
        changed = []
        for path, action in zip(PATHS, plan, strict=True):
            target = root / path
            if action == "keep" or (action == "remove" and not target.exists()):
                continue
            changed.append(target)
            if action == "remove":
                target.unlink()
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(f"second {path}\n", encoding="utf-8")
            target.chmod(0o755 if action == "executable" else 0o644)
        expected = work_tree_tree(root)
        before = git(root, "rev-parse", "HEAD").strip()
        commit = Repo(root).commit(changed, "second", reflog="pipe: second")
        if not changed:
            assert commit is None
            return
        assert commit is not None
        assert git(root, "rev-parse", "HEAD").strip() == commit
        assert git(root, "rev-parse", "HEAD^{tree}").strip() == expected
        assert git(root, "rev-parse", "HEAD^").strip() == before
        git(root, "fsck", "--no-dangling")  # every object whole, every tree in git's order


def test_a_note_at_many_files_reads_no_index_of_them(tmp_path: Path, monkeypatch) -> None:
    """The usual commit (one deal file) reads HEAD's tree and the deals/ tree, and writes the
    two anew: no temporary index of every file (read-tree, write-tree)."""
    root = tmp_path / "repo"
    root.mkdir()
    make_repo(root, ["pipeline.yaml", "deals/a.yaml", "deals/b.yaml"])
    log = wrap_git(tmp_path / "bin")
    monkeypatch.setenv("PATH", f"{tmp_path / 'bin'}{os.pathsep}{os.environ['PATH']}")
    (root / "deals" / "b.yaml").write_text("changed\n", encoding="utf-8")
    assert Repo(root).commit([root / "deals" / "b.yaml"], "Note on b", reflog="pipe: note") is not None
    used = [line.split()[2] for line in calls(log)]  # after git's own "-c core.fsmonitor=false"
    assert "read-tree" not in used and "write-tree" not in used
    assert used.count("hash-object") == 3  # the file, the deals/ tree, the top tree
    assert git(root, "show", "HEAD:deals/b.yaml") == "changed\n"
    files = ["deals/a.yaml", "deals/b.yaml", "pipeline.yaml"]
    assert git(root, "ls-tree", "--name-only", "-r", "HEAD").split() == files


def test_a_path_through_a_file_takes_the_index_way(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    root.mkdir()
    make_repo(root, ["deals"])  # deals is a file in HEAD
    (root / "deals").unlink()
    (root / "deals").mkdir()
    (root / "deals" / "a.yaml").write_text("a\n", encoding="utf-8")
    Repo(root).commit([root / "deals", root / "deals" / "a.yaml"], "a folder now", reflog="pipe: a")
    assert git(root, "ls-tree", "-r", "--name-only", "HEAD").split() == ["deals/a.yaml"]


@pytest.mark.parametrize(
    "raw",
    [b"100644 a\0" + b"\1" * 5, b"100644 b\0" + b"\1" * 20 + b"100644 a\0" + b"\2" * 20, b"100644 a"],
)
def test_a_tree_cut_short_or_out_of_order_is_refused(raw: bytes) -> None:
    with pytest.raises(gittree.Unusual):
        gittree.changed(raw, 20, {b"c": None})
