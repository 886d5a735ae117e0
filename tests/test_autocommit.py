"""Auto-commit: in a git work tree each writing command makes one commit holding exactly the
files it changed, with a message a person would write; nothing else staged or changed is
touched; a pipeline outside git never runs git."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from git_helpers import calls, files_of, git, status, subjects, wrap_git

from pipecli.cli import app


@pytest.fixture
def repo(runner, tmp_path: Path):
    """A pipeline made by `pipe init --git`."""
    from conftest import Pipe

    root = tmp_path / "sales"
    result = runner.invoke(app, ["init", str(root), "--git"])
    assert result.exit_code == 0, result.output
    return Pipe(runner, root)


def test_init_git_sets_up_the_repository(repo) -> None:
    root = repo.root
    assert subjects(root) == ["Create the pipeline Sales"]
    assert files_of(root) == [".gitattributes", ".gitignore", "pipeline.yaml"]
    assert "deals/*.yaml merge=pipe" in (root / ".gitattributes").read_text(encoding="utf-8").splitlines()
    assert git(root, "config", "merge.pipe.driver").strip() == "pipe merge-driver %O %A %B %P"
    hook = root / ".git" / "hooks" / "pre-commit"
    assert os.access(hook, os.X_OK)
    assert hook.read_text(encoding="utf-8").splitlines()[-1] == "exec pipe check --staged"
    assert status(root) == []


def test_each_command_commits_exactly_its_file_with_its_message(repo, tmp_path: Path, monkeypatch) -> None:
    root = repo.root
    # unrelated work in progress: a staged new file, an unstaged change, an untracked file
    (root / "README.md").write_text("Our pipeline\n", encoding="utf-8")
    git(root, "add", "README.md")
    git(root, "commit", "-q", "-m", "Readme")
    (root / "plan.txt").write_text("staged, not committed\n", encoding="utf-8")
    git(root, "add", "plan.txt")
    (root / "README.md").write_text("Our pipeline, changed\n", encoding="utf-8")
    (root / "scratch.txt").write_text("untracked\n", encoding="utf-8")
    before = status(root)
    assert before == [" M README.md", "A  plan.txt", "?? scratch.txt"]

    d = repo.add("Acme rollout", "--id", "acme-rollout-7f3k", "--at", "2026-03-02")
    repo("move", d, "qualified", "--at", "2026-03-03")
    repo("note", d, "Call went well", "--at", "2026-03-04")
    repo("set", d, "value=15000", "owner=anna", "--at", "2026-03-05")
    repo("next", d, "Send the offer", "--due", "2026-03-20", "--at", "2026-03-05")
    repo("snooze", d, "--until", "2026-04-01", "--reason", "holiday", "--at", "2026-03-06")
    repo("lost", d, "--reason", "price", "--at", "2026-03-07")
    repo("reopen", d, "--stage", "proposal", "--at", "2026-03-08")
    repo("won", d, "--at", "2026-03-09")
    csv = tmp_path / "sales_pipeline.csv"
    csv.write_text("title,value,created\nBeta,100,2026-03-09\nGamma,200,2026-03-09\n", encoding="utf-8")
    repo("import", str(csv))
    n = 11
    assert subjects(root)[:n] == [
        "Import 2 deals from sales_pipeline.csv",
        "Won acme-rollout-7f3k",
        "Reopen acme-rollout-7f3k in proposal",
        "Lost acme-rollout-7f3k: price",
        "Snooze acme-rollout-7f3k until 2026-04-01",
        "Next step for acme-rollout-7f3k",
        "Set value, owner of acme-rollout-7f3k",
        "Note on acme-rollout-7f3k",
        "Move acme-rollout-7f3k: lead -> qualified",
        "Add acme-rollout-7f3k",
        "Readme",
    ]
    for i in range(1, n - 1):
        assert files_of(root, f"HEAD~{i}") == ["deals/acme-rollout-7f3k.yaml"], i
    imported = files_of(root)
    assert len(imported) == 2 and all(f.startswith("deals/") for f in imported)
    # each commit holds the file as the command left it; the rest is as it was
    assert git(root, "show", "HEAD~1:deals/acme-rollout-7f3k.yaml") == repo.deal_text(d)
    assert status(root) == before
    assert git(root, "diff", "--cached", "--name-only").split() == ["plan.txt"]
    assert git(root, "show", ":README.md") == "Our pipeline\n"


def test_a_pipeline_in_a_subfolder_of_a_bigger_repository(runner, tmp_path: Path, monkeypatch) -> None:
    from conftest import Pipe

    top = tmp_path / "company"
    top.mkdir()
    git(top, "init", "-q")
    (top / "app.py").write_text("print('hello')\n", encoding="utf-8")
    git(top, "add", "app.py")
    git(top, "commit", "-q", "-m", "App")
    (top / "app.py").write_text("print('changed')\n", encoding="utf-8")
    result = runner.invoke(app, ["init", str(top / "crm" / "sales")])
    assert result.exit_code == 0, result.output
    assert subjects(top) == ["Create the pipeline Sales", "App"]
    assert files_of(top) == ["crm/sales/.gitattributes", "crm/sales/.gitignore", "crm/sales/pipeline.yaml"]
    # started in a folder below the pipeline, as people do
    monkeypatch.chdir(top / "crm" / "sales" / "deals")
    d = runner.invoke(app, ["add", "Subfolder deal", "--at", "2026-03-02"]).stdout.strip()
    assert runner.invoke(app, ["note", d, "hi", "--at", "2026-03-03"]).exit_code == 0
    assert subjects(top)[:2] == [f"Note on {d}", f"Add {d}"]
    assert files_of(top) == [f"crm/sales/deals/{d}.yaml"]
    assert status(top) == [" M app.py"]
    assert Pipe(runner, top / "crm" / "sales")("check").stdout == ""


def test_no_commit_option_and_setting(repo) -> None:
    root = repo.root
    d = repo.add("Quiet", "--no-commit", "--at", "2026-03-02")
    assert subjects(root) == ["Create the pipeline Sales"]
    assert status(root) == [f"?? deals/{d}.yaml"]
    git(root, "add", ".")
    git(root, "commit", "-q", "-m", "By hand")
    text = (root / "pipeline.yaml").read_text(encoding="utf-8")
    (root / "pipeline.yaml").write_text(text + "auto_commit: false\n", encoding="utf-8")
    git(root, "commit", "-q", "-am", "No auto-commit")
    repo("note", d, "not committed", "--at", "2026-03-03")
    assert subjects(root)[0] == "No auto-commit"
    assert status(root) == [f" M deals/{d}.yaml"]


def test_files_git_ignores_are_not_committed(runner, tmp_path: Path) -> None:
    top = tmp_path / "dotfiles"
    top.mkdir()
    git(top, "init", "-q")
    (top / ".gitignore").write_text("*\n", encoding="utf-8")  # a home folder under git, everything ignored
    git(top, "add", "-f", ".gitignore")
    git(top, "commit", "-q", "-m", "Dotfiles")
    assert runner.invoke(app, ["init", str(top / "sales")]).exit_code == 0
    assert runner.invoke(app, ["-C", str(top / "sales"), "add", "Private", "--at", "2026-03-02"]).exit_code == 0
    assert subjects(top) == ["Dotfiles"]


def test_a_commit_that_fails_keeps_the_change_and_says_so(repo) -> None:
    root = repo.root
    d = repo.add("Nobody", "--at", "2026-03-02")
    git(root, "config", "user.useConfigOnly", "true")
    env = {k: "" for k in ("GIT_AUTHOR_NAME", "GIT_AUTHOR_EMAIL", "GIT_COMMITTER_NAME", "GIT_COMMITTER_EMAIL")}
    for k in env:
        os.environ.pop(k, None)
    result = repo("note", d, "kept", "--at", "2026-03-03")
    assert result.exit_code == 0
    assert result.stdout == f"noted on {d}\n"
    assert result.stderr.startswith(f"pipe: deals/{d}.yaml saved but not committed: git could not make the commit: ")
    assert len(result.stderr.splitlines()) == 1
    assert "text: kept" in repo.deal_text(d)
    assert subjects(root)[0] == f"Add {d}"


WRITING = [
    ["add", "Acme", "--id", "acme", "--at", "2026-03-02"],
    ["move", "acme", "qualified", "--at", "2026-03-03"],
    ["note", "acme", "hi", "--at", "2026-03-03"],
    ["next", "acme", "Call", "--due", "2026-03-10", "--at", "2026-03-03"],
    ["set", "acme", "value=10", "--at", "2026-03-03"],
    ["snooze", "acme", "--until", "2026-03-20", "--reason", "away", "--at", "2026-03-03"],
    ["lost", "acme", "--reason", "price", "--at", "2026-03-04"],
    ["reopen", "acme", "--at", "2026-03-05"],
    ["won", "acme", "--at", "2026-03-06"],
    ["edit", "acme", "--at", "2026-03-07"],
]
READING = [
    ["list", "--status", "all"],
    ["show", "acme"],
    ["check"],
    ["report", "--as-of", "2026-03-31"],
    ["stale", "--as-of", "2026-03-31"],
    ["export", "--format", "json"],
]


def test_outside_a_work_tree_git_is_never_run(run_pipe, tmp_path: Path) -> None:
    """A `git` that fails and records each call, first on the PATH: no command calls it."""
    log = wrap_git(tmp_path / "bin", fail=True)
    env = {"PATH": f"{tmp_path / 'bin'}{os.pathsep}{os.environ['PATH']}", "EDITOR": "true"}
    root = tmp_path / "sales"
    assert run_pipe("init", str(root), env=env).returncode == 0
    csv = tmp_path / "more.csv"
    csv.write_text("title,value,created\nBeta,100,2026-03-09\n", encoding="utf-8")
    for args in [*WRITING, ["import", str(csv)], *READING]:
        result = run_pipe("-C", str(root), *args, env=env)
        assert result.returncode == 0, (args, result.stderr)
        assert result.stderr == "", (args, result.stderr)
    assert calls(log) == []
    assert "by: tester" in (root / "deals" / "acme.yaml").read_text(encoding="utf-8")


# -- how many git processes a change costs, and where git is asked rather than read ----------------
def git_commands(log: Path) -> list[str]:
    """The git subcommands in ``log`` (``wrap_git``), without the options pipe gives git itself."""
    return [line.removeprefix("-c core.fsmonitor=false ").split(" ", 1)[0] for line in calls(log)]


def test_a_change_in_a_repository_costs_ten_git_processes(run_pipe, repo, tmp_path: Path) -> None:
    """Each git process costs 5 to 10 ms: a note in a plain clone starts ten, the
    configuration read once, the top folder and git's folder found without git."""
    root = repo.root
    d = repo.add("Counted", "--at", "2026-03-02")
    log = wrap_git(tmp_path / "bin")
    env = {"PATH": f"{tmp_path / 'bin'}{os.pathsep}{os.environ['PATH']}"}
    result = run_pipe("-C", str(root), "note", d, "counted", "--at", "2026-03-03", env=env)
    assert (result.returncode, result.stderr) == (0, "")
    assert git_commands(log) == [
        "config",  # who made the change, the merge driver, commit.gpgsign
        "check-ignore",
        "hash-object",
        "cat-file",  # HEAD and its tree at once
        "cat-file",  # the trees on the file's path: the top one and deals/
        "hash-object",  # deals/ with the new file (``gittree``: no index of every file)
        "hash-object",  # the top tree with the new deals/
        "commit-tree",
        "update-ref",
        "update-index",  # the index gets the committed file
    ]
    assert subjects(root)[:2] == [f"Note on {d}", f"Add {d}"]
    assert files_of(root) == [f"deals/{d}.yaml"]
    assert git(root, "show", f"HEAD:deals/{d}.yaml") == repo.deal_text(d)
    assert status(root) == []


@pytest.mark.parametrize("layout", ["linked work tree", "symlinked .git", "detached HEAD", "packed refs"])
def test_commits_land_where_git_says_in_every_layout(runner, repo, tmp_path: Path, layout: str) -> None:
    """Where ``.git`` is not a plain folder git is asked where things are; HEAD is always
    read by git: a detached HEAD moves alone, a branch whose ref is packed moves."""
    from conftest import Pipe

    root = repo.root
    d = repo.add("Layouts", "--at", "2026-03-02")
    main = git(root, "symbolic-ref", "--short", "HEAD").strip()
    where = root
    if layout == "linked work tree":
        where = tmp_path / "second"
        git(root, "worktree", "add", "-q", "-b", "second", str(where))
    elif layout == "symlinked .git":
        (tmp_path / "elsewhere").mkdir()
        (root / ".git").rename(tmp_path / "elsewhere" / "git")
        (root / ".git").symlink_to(tmp_path / "elsewhere" / "git")
    elif layout == "detached HEAD":
        git(root, "checkout", "-q", "--detach")
    else:
        git(root, "pack-refs", "--all")
        assert not (root / ".git" / "refs" / "heads" / main).exists()
    before = git(root, "rev-parse", main).strip()
    result = Pipe(runner, where)("note", d, f"from the {layout}", "--at", "2026-03-03")
    assert result.stderr == ""
    assert subjects(where)[:2] == [f"Note on {d}", f"Add {d}"]
    assert git(where, "show", f"HEAD:deals/{d}.yaml") == (where / "deals" / f"{d}.yaml").read_text(encoding="utf-8")
    assert status(where) == []
    if layout in ("linked work tree", "detached HEAD"):
        assert git(root, "rev-parse", main).strip() == before  # the branch checked out elsewhere stays
    else:
        assert git(root, "rev-parse", main).strip() == git(root, "rev-parse", "HEAD").strip() != before
    if layout == "detached HEAD":
        assert git(root, "symbolic-ref", "-q", "HEAD", ok=False) == ""


def test_notes_at_once_in_one_repository_are_each_committed(repo) -> None:
    """Real processes: each change is one commit of its own file, and HEAD ends as the files."""
    import subprocess

    from conftest import PIPE_SCRIPT

    root = repo.root
    deals = [repo.add(f"Busy {n}", "--at", "2026-03-02") for n in range(2)]
    writers = 6
    procs = [
        subprocess.Popen(
            [str(PIPE_SCRIPT), "-C", str(root), "note", deals[i % 2], f"note {i}", "--at", "2026-03-03"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            stdin=subprocess.DEVNULL,
            text=True,
            env={**os.environ, "PIPE_LOCK_TIMEOUT": "120"},
        )
        for i in range(writers)
    ]
    results = [(p.wait(timeout=180), p.stderr.read() if p.stderr else "") for p in procs]
    assert results == [(0, "")] * writers
    assert sorted(subjects(root)[:writers]) == sorted(f"Note on {deals[i % 2]}" for i in range(writers))
    for i in range(writers):
        assert len(files_of(root, f"HEAD~{i}")) == 1
    for d in deals:
        assert git(root, "show", f"HEAD:deals/{d}.yaml") == repo.deal_text(d)
    assert status(root) == []


@pytest.mark.parametrize("through", ["its own path", "a symlink to it", "a folder below"])
def test_the_top_folder_read_without_git_is_the_one_git_names(repo, tmp_path: Path, through: str) -> None:
    from pipecli.git import Repo

    root = repo.root
    folder = root
    if through == "a symlink to it":
        folder = tmp_path / "link"
        folder.symlink_to(root)
    elif through == "a folder below":
        folder = root / "deals"
    found = Repo.find(folder)
    assert found is not None
    named = git(folder, "rev-parse", "--show-toplevel", "--absolute-git-dir").splitlines()
    assert [str(found.top), str(found.git_dir)] == named
