"""`pipe undo`: reverts the last commit a pipe command made in this clone, with a new commit,
after showing it; refuses when its files changed since, or outside git."""

from __future__ import annotations

from pathlib import Path

import pytest
from git_helpers import files_of, git, status, subjects

from pipecli.cli import app


@pytest.fixture
def repo(runner, tmp_path: Path):
    from conftest import Pipe

    root = tmp_path / "sales"
    assert runner.invoke(app, ["init", str(root), "--git"]).exit_code == 0
    return Pipe(runner, root)


def test_undo_reverts_the_last_pipe_commit_then_the_one_before(repo) -> None:
    root = repo.root
    d = repo.add("Acme", "--id", "acme", "--at", "2026-03-02")
    added = repo.deal_text(d)
    repo("note", d, "Wrong deal!", "--at", "2026-03-03")
    noted = git(root, "rev-parse", "HEAD").strip()
    shown = repo("undo", "--dry-run").stdout
    assert shown.startswith(f"would undo {noted[:7]} Note on acme (test@example.com, ")
    assert shown.endswith(f"\n  {root / 'deals' / 'acme.yaml'}\n")
    assert subjects(root)[0] == "Note on acme"  # a dry run changes nothing

    out = repo("undo").stdout.splitlines()
    assert out[0].startswith(f"undoing {noted[:7]} Note on acme (")
    head = git(root, "rev-parse", "HEAD").strip()
    assert out[1:] == [f"  {root / 'deals' / 'acme.yaml'}", f'undone: {head[:7]} Revert "Note on acme"']
    assert repo.deal_text(d) == added
    assert git(root, "log", "-1", "--format=%B").strip() == f'Revert "Note on acme"\n\nThis reverts commit {noted}.'
    assert files_of(root) == ["deals/acme.yaml"]

    # again: the commit before it (the undo itself is not undone)
    assert repo("undo").stdout.splitlines()[-1].endswith('Revert "Add acme"')
    assert not (root / "deals" / "acme.yaml").exists()
    assert subjects(root)[:2] == ['Revert "Add acme"', 'Revert "Note on acme"']
    result = repo("undo", ok=False)
    assert (result.exit_code, result.stdout) == (1, "")
    assert result.stderr == (
        "pipe: nothing to undo: pipe has made no commit in this clone that is not undone already\n"
    )
    assert status(root) == []


def test_undo_refuses_when_the_files_changed_since(repo) -> None:
    root = repo.root
    d = repo.add("Acme", "--id", "acme", "--at", "2026-03-02")
    repo("note", d, "one", "--at", "2026-03-03")
    path = root / "deals" / "acme.yaml"
    path.write_text(path.read_text(encoding="utf-8") + "# mine\n", encoding="utf-8")
    result = repo("undo", ok=False)
    assert result.exit_code == 1
    assert result.stderr == (
        f"pipe: cannot undo {git(root, 'rev-parse', '--short=7', 'HEAD').strip()} 'Note on acme': {path} changed "
        "since; nothing undone (change it back with a command, or `git revert` it and resolve by hand)\n"
    )
    git(root, "commit", "-q", "-am", "A comment by hand")
    assert repo("undo", ok=False).stderr.startswith("pipe: cannot undo ")
    assert subjects(root)[0] == "A comment by hand"
    assert path.read_text(encoding="utf-8").endswith("# mine\n")


def test_undo_leaves_other_work_alone_and_undoes_an_import(runner, tmp_path: Path) -> None:
    from conftest import Pipe

    top = tmp_path / "company"
    top.mkdir()
    git(top, "init", "-q")
    (top / "app.py").write_text("x = 1\n", encoding="utf-8")
    git(top, "add", "app.py")
    git(top, "commit", "-q", "-m", "App")
    assert runner.invoke(app, ["init", str(top / "sales")]).exit_code == 0
    repo = Pipe(runner, top / "sales")
    csv = tmp_path / "in.csv"
    csv.write_text("title,value,created\nA,1,2026-03-02\nB,2,2026-03-02\n", encoding="utf-8")
    repo("import", str(csv))
    assert len(list((top / "sales" / "deals").iterdir())) == 2
    (top / "app.py").write_text("x = 2\n", encoding="utf-8")
    git(top, "add", "app.py")
    assert repo("undo").stdout.splitlines()[-1].endswith('Revert "Import 2 deals from in.csv"')
    assert list((top / "sales" / "deals").iterdir()) == []
    assert status(top) == ["M  app.py"]
    assert len(files_of(top)) == 2


def test_undo_is_this_clone_s_own(runner, tmp_path: Path) -> None:
    """A teammate's commits that came in are not this clone's to undo."""
    from conftest import Pipe

    anna = tmp_path / "anna"
    assert runner.invoke(app, ["init", str(anna), "--git"]).exit_code == 0
    a = Pipe(runner, anna)
    d = a.add("Shared", "--id", "shared", "--at", "2026-03-02")
    git(tmp_path, "clone", "-q", str(anna), "marek")
    m = Pipe(runner, tmp_path / "marek")
    m("note", d, "from marek", "--at", "2026-03-03")
    git(anna, "pull", "-q", "--no-rebase", str(tmp_path / "marek"), "HEAD")
    assert subjects(anna)[0] == "Note on shared"
    assert a("undo", "--dry-run").stdout.startswith("would undo ")
    assert "Add shared" in a("undo", "--dry-run").stdout.splitlines()[0]
    # marek's clone has no pipe commit of its own but that note
    assert "Note on shared" in m("undo", "--dry-run").stdout.splitlines()[0]


def test_undo_outside_git(pipe) -> None:
    result = pipe("undo", ok=False)
    assert result.exit_code == 1
    assert result.stderr == (
        f"pipe: {pipe.root} is not in a git repository; pipe undo reverts commits pipe made, and there are none "
        "outside git\n"
    )
