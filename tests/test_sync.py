"""`pipe sync` with real git and real processes: a bare repository and two clones working
offline, the merge driver keeping every note and move, a true conflict reported and resolved,
and the one-line messages when there is no remote, no network, or uncommitted work."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml
from git_helpers import git, status, subjects


class Team:
    """A bare repository (the server) and the clones of a team, run as real `pipe` processes."""

    def __init__(self, tmp_path: Path, run_pipe) -> None:
        self.tmp = tmp_path
        self.run_pipe = run_pipe
        self.server = tmp_path / "server.git"
        git(tmp_path, "init", "-q", "--bare", "-b", "main", str(self.server))

    def pipe(self, clone: Path, *args: str, ok: bool = True, user: str = "anna"):
        result = self.run_pipe(*args, cwd=clone, env={"PIPE_USER": user})
        if ok:
            assert result.returncode == 0, (args, result.stdout, result.stderr)
        return result

    def first(self, name: str = "anna") -> Path:
        clone = self.tmp / name
        assert self.run_pipe("init", str(clone), "--git").returncode == 0
        git(clone, "branch", "-M", "main")
        git(clone, "remote", "add", "origin", str(self.server))
        assert self.pipe(clone, "sync").stdout == "synced with origin/main: 0 commits in, 1 commit out\n"
        return clone

    def clone(self, name: str) -> Path:
        git(self.tmp, "clone", "-q", str(self.server), name)
        clone = self.tmp / name
        assert self.pipe(clone, "sync").stdout == "up to date with origin/main\n"
        return clone

    def offline(self) -> None:
        self.server.rename(self.tmp / "server-away.git")

    def online(self) -> None:
        (self.tmp / "server-away.git").rename(self.server)


@pytest.fixture
def team(tmp_path: Path, run_pipe) -> Team:
    return Team(tmp_path, run_pipe)


def deal_file(clone: Path, deal_id: str) -> str:
    return (clone / "deals" / f"{deal_id}.yaml").read_text(encoding="utf-8")


@pytest.mark.slow
def test_two_clones_offline_then_synced_keep_every_note_and_move(team: Team) -> None:
    anna = team.first("anna")
    d = team.pipe(anna, "add", "Shared rollout", "--owner", "anna", "--at", "2026-03-02T09:00").stdout.strip()
    team.pipe(anna, "sync")
    marek = team.clone("marek")
    # the driver is registered in the fresh clone: git does not clone it
    assert git(marek, "config", "merge.pipe.driver").strip() == "pipe merge-driver %O %A %B %P"

    team.offline()
    team.pipe(anna, "note", d, "Called the CFO", "--at", "2026-03-03T10:00")
    team.pipe(anna, "move", d, "qualified", "--at", "2026-03-04T10:00")
    team.pipe(anna, "note", d, "Budget confirmed", "--at", "2026-03-06T10:00")
    mine = team.pipe(anna, "add", "Same title", "--at", "2026-03-06T11:00").stdout.strip()
    team.pipe(marek, "note", d, "Demo went well", "--at", "2026-03-03T15:00", user="marek")
    team.pipe(marek, "move", d, "meeting", "--at", "2026-03-05T10:00", user="marek")
    team.pipe(marek, "set", d, "source=event", "--at", "2026-03-05T11:00", user="marek")
    theirs = team.pipe(marek, "add", "Same title", "--at", "2026-03-06T12:00", user="marek").stdout.strip()
    assert mine != theirs  # ids made offline in two clones never collide
    failed = team.pipe(anna, "sync", ok=False)
    assert failed.returncode == 1
    assert re.fullmatch(
        r"pipe: cannot reach origin \(.*server\.git' does not appear to be a git repository\); nothing is lost: "
        r"your changes are committed here\. Run `pipe sync` again when you are online\n",
        failed.stderr,
    )
    assert subjects(anna)[0] == f"Add {mine}"

    team.online()
    assert team.pipe(anna, "sync").stdout == "synced with origin/main: 0 commits in, 4 commits out\n"
    assert team.pipe(marek, "sync", user="marek").stdout == "synced with origin/main: 4 commits in, 5 commits out\n"
    assert team.pipe(anna, "sync").stdout == "synced with origin/main: 5 commits in, 0 commits out\n"
    assert deal_file(anna, d) == deal_file(marek, d)
    text = deal_file(anna, d)
    assert "<<<<<<<" not in text and ">>>>>>>" not in text
    data = yaml.load(text, Loader=yaml.BaseLoader)
    assert [(n["text"], n["by"]) for n in data["notes"]] == [
        ("Called the CFO", "anna"),
        ("Demo went well", "marek"),
        ("Budget confirmed", "anna"),
    ]
    assert [(h["event"], h.get("to"), h["by"]) for h in data["history"]] == [
        ("created", "lead", "anna"),
        ("moved", "qualified", "anna"),
        ("moved", "meeting", "marek"),
        ("changed", "event", "marek"),
    ]
    assert (data["stage"], data["source"]) == ("meeting", "event")
    for clone in (anna, marek):
        assert team.pipe(clone, "check").stdout == ""
        assert sorted(p.stem for p in (clone / "deals").iterdir()) == sorted([d, mine, theirs])
        assert status(clone) == []


@pytest.mark.slow
def test_a_true_conflict_is_named_and_resolved(team: Team) -> None:
    anna = team.first("anna")
    d = team.pipe(anna, "add", "Disputed", "--value", "1000", "--at", "2026-03-02").stdout.strip()
    team.pipe(anna, "sync")
    marek = team.clone("marek")
    team.pipe(anna, "set", d, "value=2000", "--at", "2026-03-03")
    team.pipe(marek, "set", d, "value=3000", "--at", "2026-03-04", user="marek")
    team.pipe(marek, "note", d, "They asked for more seats", "--at", "2026-03-04T10:00", user="marek")
    team.pipe(anna, "sync")
    stopped = team.pipe(marek, "sync", ok=False, user="marek")
    assert stopped.returncode == 1
    assert stopped.stdout == ""
    assert stopped.stderr == (
        f"pipe: deals/{d}.yaml: merge conflict: value was changed on both sides (3000 here, 2000 from the other "
        f"side, 1000 before); choose with `pipe set {d} value=VALUE`, which clears it, or set value by hand and "
        f"delete conflict.value\n"
        "pipe: the merge stopped on these conflicts; resolve them (`pipe check` lists them), then run `pipe sync` "
        "again to finish it\n"
    )
    # the file reads; list, show and report go on; check reports the conflict
    assert team.pipe(marek, "show", d).returncode == 0
    check = team.pipe(marek, "check", ok=False)
    assert check.returncode == 1 and f"deals/{d}.yaml:" in check.stdout and "value was changed" in check.stdout
    # syncing again before resolving says the same, and changes nothing
    assert team.pipe(marek, "sync", ok=False, user="marek").stderr == stopped.stderr
    set_ = team.pipe(marek, "set", d, "value=2500", "--at", "2026-03-05", user="marek")
    assert set_.stderr == (
        f"pipe: deals/{d}.yaml saved but not committed: git is in the middle of a merge; "
        "finish it (`pipe sync` finishes a merge), then commit\n"
    )
    assert team.pipe(marek, "sync", user="marek").stdout == (
        "finished the merge\nsynced with origin/main: 0 commits in, 3 commits out\n"
    )
    team.pipe(anna, "sync")
    assert deal_file(anna, d) == deal_file(marek, d)
    data = yaml.safe_load(deal_file(anna, d))
    assert data["value"] == 2500 and "conflict" not in data
    assert [n["text"] for n in data["notes"]] == ["They asked for more seats"]
    for clone in (anna, marek):
        assert team.pipe(clone, "check").stdout == ""
    assert subjects(marek)[0] == "Merge origin/main"


@pytest.mark.slow
def test_a_conflict_resolved_by_hand_then_synced(team: Team) -> None:
    anna = team.first("anna")
    d = team.pipe(anna, "add", "Owner dispute", "--owner", "anna", "--at", "2026-03-02").stdout.strip()
    team.pipe(anna, "sync")
    marek = team.clone("marek")
    team.pipe(anna, "set", d, "close_date=2026-06-30", "--at", "2026-03-03")
    team.pipe(marek, "set", d, "close_date=2026-07-31", "--at", "2026-03-03", user="marek")
    team.pipe(anna, "sync")
    team.pipe(marek, "sync", ok=False, user="marek")
    path = marek / "deals" / f"{d}.yaml"
    text = path.read_text(encoding="utf-8")
    assert text.endswith("conflict:\n  close_date:\n    was:\n    ours: '2026-07-31'\n    theirs: '2026-06-30'\n")
    path.write_text(text.split("conflict:\n")[0], encoding="utf-8")  # keep the value in place
    assert team.pipe(marek, "sync", user="marek").stdout.startswith("finished the merge\n")
    assert team.pipe(marek, "check").stdout == ""


def test_no_remote_and_not_git(team: Team, tmp_path: Path) -> None:
    root = tmp_path / "solo"
    assert team.run_pipe("init", str(root), "--git").returncode == 0
    result = team.pipe(root, "sync", ok=False)
    assert (result.returncode, result.stdout) == (1, "")
    branch = git(root, "symbolic-ref", "--short", "HEAD").strip()
    assert result.stderr == (
        "pipe: no remote to sync with: add the team's repository with `git remote add origin URL`, then "
        f"`pipe sync` (branch {branch})\n"
    )
    plain = tmp_path / "plain"
    assert team.run_pipe("init", str(plain)).returncode == 0
    result = team.pipe(plain, "sync", ok=False)
    assert result.returncode == 1
    assert result.stderr == (
        f"pipe: {plain} is not in a git repository; make it one (`git init`, then commit), add a remote "
        "(`git remote add origin URL`) and sync\n"
    )


def test_sync_commits_nothing_it_did_not_make(team: Team) -> None:
    anna = team.first("anna")
    d = team.pipe(anna, "add", "Hand", "--at", "2026-03-02").stdout.strip()
    path = anna / "deals" / f"{d}.yaml"
    path.write_text(path.read_text(encoding="utf-8") + "# a thought\n", encoding="utf-8")
    (anna / "notes.txt").write_text("mine\n", encoding="utf-8")
    result = team.pipe(anna, "sync", ok=False)
    assert result.returncode == 1
    assert result.stderr == (
        f"pipe: deals/{d}.yaml: changes not committed, and sync commits only what pipe did; commit them "
        "(`git add` them, then `git commit`) or undo them, then run `pipe sync` again\n"
    )
    assert subjects(anna)[0] == f"Add {d}"
    assert git(team.server, "log", "--format=%s", "main").splitlines() == ["Create the pipeline Sales"]
    git(anna, "checkout", "--", f"deals/{d}.yaml")
    assert team.pipe(anna, "sync").stdout == "synced with origin/main: 0 commits in, 1 commit out\n"
    assert status(anna) == ["?? notes.txt"]


def test_an_old_pipeline_gets_the_attributes_line(team: Team) -> None:
    anna = team.first("anna")
    (anna / ".gitattributes").unlink()
    git(anna, "commit", "-q", "-am", "Without attributes")
    team.pipe(anna, "sync")
    assert subjects(anna)[:2] == ["Merge deal files with pipe's merge driver", "Without attributes"]
    assert "deals/*.yaml merge=pipe" in (anna / ".gitattributes").read_text(encoding="utf-8")


def test_a_detached_head_is_named(team: Team) -> None:
    anna = team.first("anna")
    git(anna, "checkout", "-q", "--detach")
    result = team.pipe(anna, "sync", ok=False)
    assert (result.returncode, result.stderr) == (
        1,
        "pipe: not on a branch (git's HEAD is detached); check out your branch, then run `pipe sync`\n",
    )
