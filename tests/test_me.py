"""`--owner me`: PIPE_USER, else git's user.email, matched against the owners (pipecli.owners)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

from pipecli.errors import UnknownMe
from pipecli.owners import is_me, match_owner, resolve

OWNERS = ["marek", "Giulia", "สมชาย", "anna@example.com", None, ""]


@pytest.mark.parametrize(
    ("identity", "owner"),
    [
        ("marek", "marek"),  # exact
        ("MAREK", "marek"),  # case ignored
        ("marek@example.com", "marek"),  # the part before @
        ("Marek@Example.COM", "marek"),
        ("giulia@firma.it", "Giulia"),
        ("anna", "anna@example.com"),  # the other way round
        ("anna@example.com", "anna@example.com"),
        ("anna@elsewhere.org", "anna@example.com"),  # the parts before @ agree
        ("สมชาย@example.co.th", "สมชาย"),
        ("bartek", None),
        ("bartek@example.com", None),
    ],
)
def test_who_matches_which_owner(identity: str, owner: str | None) -> None:
    assert match_owner(identity, OWNERS) == owner


def test_an_exact_owner_wins_over_a_local_part() -> None:
    assert match_owner("marek@example.com", ["marek", "marek@example.com"]) == "marek@example.com"


def test_several_owners_with_that_name_are_ambiguous() -> None:
    with pytest.raises(UnknownMe) as err:
        match_owner("marek@x.pl", ["marek", "marek@other.org", "Marek"])
    assert err.value.matches == ["marek", "marek@other.org"]  # "marek" and "Marek" are one owner


def test_resolve_leaves_other_names_alone_and_refuses_an_unknown_me() -> None:
    assert resolve("sarah", None, None, []) == "sarah"
    assert resolve(None, "marek", "PIPE_USER", ["marek"]) is None
    assert resolve(" Me ", "marek@example.com", "git's user.email", ["marek"]) == "marek"
    assert is_me("ME") and not is_me("meg") and not is_me(None)
    with pytest.raises(UnknownMe) as err:
        resolve("me", None, None, ["marek"])
    assert err.value.exit_code == 2
    with pytest.raises(UnknownMe) as err:
        resolve("me", "bartek", "PIPE_USER", ["marek"])
    assert (err.value.identity, err.value.source) == ("bartek", "PIPE_USER")


# -- end to end, through the installed pipe ---------------------------------------------------------
@pytest.fixture
def team(pipe: Any) -> Any:
    pipe("add", "Zażółć gęślą jaźń", "--id", "zazolc", "--owner", "marek", "--at", "2026-03-02T09:00")
    pipe("note", "zazolc", "Called", "--at", "2026-03-02T10:00")
    pipe("add", "Caffè Sant'Orsola", "--id", "caffe", "--owner", "Giulia", "--at", "2026-03-02T09:00")
    pipe("add", "ร้านกาแฟดอยช้าง", "--id", "doi", "--owner", "marek", "--at", "2026-03-01T09:00")
    return pipe


def ids_of(run_pipe: Any, root: Path, *args: str, env: dict[str, str] | None = None) -> list[str]:
    done = run_pipe("-C", str(root), *args, "--format", "json", env=env)
    assert done.returncode == 0, done.stderr
    return sorted(x["id"] for x in json.loads(done.stdout))


def test_pipe_user_names_me_in_list_and_stale(team: Any, run_pipe: Any) -> None:
    me = {"PIPE_USER": "marek@example.com"}
    assert ids_of(run_pipe, team.root, "list", "--owner", "me", env=me) == ["doi", "zazolc"]
    assert ids_of(run_pipe, team.root, "list", "--owner", "me", env={"PIPE_USER": "giulia"}) == ["caffe"]
    # doi is two days old and untouched; zazolc was called
    assert ids_of(run_pipe, team.root, "stale", "--as-of", "2026-03-03", "--owner", "me", env=me) == ["doi"]


def test_me_in_the_report(team: Any, run_pipe: Any) -> None:
    done = run_pipe(
        "-C", str(team.root), "report", "--as-of", "2026-03-03", "--owner", "me", "-f", "json",
        env={"PIPE_USER": "Marek"},
    )  # fmt: skip
    data = json.loads(done.stdout)
    assert data["filters"]["owner"] == "marek"
    assert (data["totals"]["deals"], data["totals"]["touched"], data["totals"]["untouched"]) == (2, 1, 1)


def test_gits_user_email_names_me_in_a_git_work_tree(tmp_path: Path, run_pipe: Any) -> None:
    root = tmp_path / "sales"
    assert run_pipe("init", str(root), "--git").returncode == 0
    subprocess.run(["git", "-C", str(root), "config", "user.email", "Marek@Example.com"], check=True)
    for title, owner in (("Wrocławska Piekarnia", "marek"), ("Caffè Roma", "giulia")):
        assert run_pipe("-C", str(root), "add", title, "--owner", owner, "--at", "2026-03-02T09:00").returncode == 0
    listed = json.loads(run_pipe("-C", str(root), "list", "--owner", "me", "-f", "json").stdout)
    assert [x["title"] for x in listed] == ["Wrocławska Piekarnia"]
    # PIPE_USER comes first
    listed = json.loads(
        run_pipe("-C", str(root), "list", "--owner", "me", "-f", "json", env={"PIPE_USER": "giulia"}).stdout
    )
    assert [x["title"] for x in listed] == ["Caffè Roma"]


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({}, "pipe: --owner me: who you are is unknown; set PIPE_USER to your owner name (or git's user.email)"),
        (
            {"PIPE_USER": "bartek@example.com"},
            "pipe: --owner me: bartek@example.com (PIPE_USER) is no owner of a deal here; "
            "set PIPE_USER to your owner name, or give --owner NAME",
        ),
    ],
)
def test_an_unknown_me_is_one_line_and_exit_2(team: Any, run_pipe: Any, env: dict[str, str], message: str) -> None:
    for command in (["list"], ["stale"], ["report"]):
        done = run_pipe("-C", str(team.root), *command, "--owner", "me", env=env)
        assert (done.returncode, done.stdout, done.stderr) == (2, "", message + "\n"), command


def test_an_ambiguous_me_names_the_owners(team: Any, run_pipe: Any) -> None:
    team("add", "Other Marek", "--owner", "marek@other.org", "--at", "2026-03-02T09:00")
    done = run_pipe("-C", str(team.root), "list", "--owner", "me", env={"PIPE_USER": "marek@example.pl"})
    assert done.returncode == 2
    assert done.stderr == (
        "pipe: --owner me: marek@example.pl (PIPE_USER) could be any of marek, marek@other.org; "
        "set PIPE_USER to one of them, or give --owner NAME\n"
    )
