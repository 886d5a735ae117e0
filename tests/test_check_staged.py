"""`pipe check --staged`: the versions git is about to commit, not the work tree's; the
pre-commit hook `pipe init --git` installs, run by a real `git commit`."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml
from git_helpers import git, subjects

from pipecli.cli import app

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def repo(runner, tmp_path: Path):
    from conftest import Pipe

    root = tmp_path / "sales"
    assert runner.invoke(app, ["init", str(root), "--git"]).exit_code == 0
    return Pipe(runner, root)


def test_staged_text_is_checked_not_the_work_tree(repo) -> None:
    d = repo.add("Staged", "--at", "2026-03-02")
    path = repo.root / "deals" / f"{d}.yaml"
    good = path.read_text(encoding="utf-8")
    bad = good.replace("stage: lead", "stage: nowhere")
    path.write_text(bad, encoding="utf-8")
    git(repo.root, "add", str(path))
    path.write_text(good, encoding="utf-8")  # the work tree is fine again, the index is not
    assert repo("check").stdout == ""
    result = repo("check", "--staged", ok=False)
    assert result.exit_code == 1
    line = bad.splitlines().index("stage: nowhere") + 1
    assert result.stdout.splitlines() == [
        f"{path}:{line}: unknown stage 'nowhere'; the stages are lead, qualified, meeting, proposal, negotiation",
        f"{path}:{line}: stage is 'nowhere' but the history ends in 'lead'; "
        "use `pipe move` so the history records the move",
    ]
    assert result.stderr == "2 problems\n"
    # and the other way round: broken in the work tree only
    git(repo.root, "add", str(path))
    path.write_text(bad, encoding="utf-8")
    assert repo("check", "--staged").stdout == ""
    assert repo("check", ok=False).exit_code == 1


def test_staged_pipeline_yaml_and_new_files(repo) -> None:
    (repo.root / "deals" / "hand.yaml").write_text("title: By hand\nstage: lead\ncreated: yesterday\n", "utf-8")
    assert repo("check", "--staged").stdout == ""  # not staged: not in the next commit
    git(repo.root, "add", "deals/hand.yaml")
    assert repo("check", "--staged", ok=False).stdout.splitlines() == [
        f"{repo.root / 'deals' / 'hand.yaml'}:3: created: 'yesterday' is not a time stamp; "
        "write e.g. 2026-03-02T10:15:00+01:00"
    ]
    git(repo.root, "rm", "-q", "--cached", "deals/hand.yaml")
    pipeline = repo.root / "pipeline.yaml"
    pipeline.write_text(pipeline.read_text(encoding="utf-8").replace("currency: EUR", "currency: EURO"), "utf-8")
    git(repo.root, "add", "pipeline.yaml")
    out = repo("check", "--staged", ok=False).stdout
    assert out.startswith(f"{pipeline}:") and "EURO" in out


def test_the_pre_commit_hook_runs_on_git_commit(repo) -> None:
    d = repo.add("Hooked", "--at", "2026-03-02")
    path = repo.root / "deals" / f"{d}.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("stage: lead", "stage: won"), encoding="utf-8")
    refused = git(repo.root, "commit", "-q", "-am", "Won by hand", ok=False)
    assert refused == ""
    assert subjects(repo.root)[0] == f"Add {d}"
    err = _commit_stderr(repo.root, "-am", "Won by hand")
    assert re.search(rf"deals/{d}\.yaml:\d+: unknown stage 'won'", err)
    path.write_text(path.read_text(encoding="utf-8").replace("stage: won", "stage: lead") + "# fine\n", "utf-8")
    git(repo.root, "commit", "-q", "-am", "A comment")
    assert subjects(repo.root)[0] == "A comment"


def _commit_stderr(cwd: Path, *args: str) -> str:
    import subprocess

    return subprocess.run(["git", "commit", "-q", *args], cwd=cwd, capture_output=True, text=True).stderr


def test_the_hook_for_a_pipeline_in_a_subfolder(runner, tmp_path: Path) -> None:
    top = tmp_path / "company"
    top.mkdir()
    git(top, "init", "-q")
    assert runner.invoke(app, ["init", str(top / "crm"), "--git"]).exit_code == 0
    hook = top / ".git" / "hooks" / "pre-commit"
    assert hook.read_text(encoding="utf-8").splitlines()[-1] == "exec pipe -C crm check --staged"
    (top / "crm" / "deals" / "x.yaml").write_text("title: X\nstage: lead\n", encoding="utf-8")
    git(top, "add", "crm/deals/x.yaml")
    err = _commit_stderr(top, "-m", "Broken deal")
    assert "crm/deals/x.yaml:1: created: field is missing; add it" in err
    assert subjects(top) == ["Create the pipeline Sales"]


def test_an_existing_hook_is_left_alone(runner, tmp_path: Path) -> None:
    root = tmp_path / "p"
    root.mkdir()
    git(root, "init", "-q")
    hook = root / ".git" / "hooks" / "pre-commit"
    hook.write_text("#!/bin/sh\nexit 0\n", encoding="utf-8")
    result = runner.invoke(app, ["init", str(root), "--git"])
    assert result.exit_code == 0
    assert hook.read_text(encoding="utf-8") == "#!/bin/sh\nexit 0\n"
    assert result.stderr == (
        "pipe: the repository has a pre-commit hook already: add `pipe check --staged` to it (see docs/team.md)\n"
    )


def test_staged_outside_git_is_one_line(pipe) -> None:
    result = pipe("check", "--staged", ok=False)
    assert result.exit_code == 1
    assert result.stderr == (
        f"pipe: {pipe.root} is not in a git repository; --staged checks what git is about to commit; "
        "run `pipe check` without it\n"
    )


def test_the_pre_commit_framework_hook_definition() -> None:
    (hook,) = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    assert (hook["id"], hook["entry"], hook["pass_filenames"]) == ("pipe-check", "pipe check --staged", False)
    files = re.compile(hook["files"])
    for name in ("deals/acme.yaml", "sales/deals/acme.yaml", "pipeline.yaml", "crm/sales/pipeline.yaml"):
        assert files.search(name), name
    for name in ("README.md", "deals/sub/x.yaml", "mypipeline.yaml", "deals/notes.txt"):
        assert not files.search(name), name


def test_a_staged_rates_yaml_is_checked_as_the_file_is(repo) -> None:
    rates = repo.root / "rates.yaml"
    bad = "- 2026-01-01 EUR PLN 4.3\n- 2026-02-30 EUR PLN -1\n"
    rates.write_text(bad, encoding="utf-8")
    found = repo("check", ok=False)  # what `pipe check` says of the file in the work tree
    assert found.exit_code == 1 and str(rates) in found.stdout
    git(repo.root, "add", "rates.yaml")
    rates.write_text("- 2026-01-01 EUR PLN 4.3\n", encoding="utf-8")
    assert repo("check").stdout == ""  # the work tree is fine again, the staged file is not
    staged = repo("check", "--staged", ok=False)
    assert (staged.exit_code, staged.stdout) == (1, found.stdout)
    git(repo.root, "add", "rates.yaml")
    assert repo("check", "--staged").stdout == ""
