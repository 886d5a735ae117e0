"""Symlinks never carry a byte across the pipeline folder's edge.

The policy (docs/format.md, "Symlinks"): a symlink that stays inside the pipeline folder
is read like the file it points to; one that leads outside, a dangling one and a loop are
named problems (one line each, the file skipped, exit code 1); pipe never writes through
a symlink: a deal file, deals/, .pipe/ or anything in .pipe/ that is one is refused by name.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from conftest import tree_bytes

from pipecli.errors import UnsafePath
from pipecli.store import Store

OUTSIDE_DEAL = "title: Secret outside\nstage: lead\ncreated: 2026-03-01T10:00:00+01:00\n"
READERS = [
    ["list", "--status", "all"],
    ["list", "--format", "json"],
    ["report", "--as-of", "2026-03-10"],
    ["stale", "--as-of", "2026-03-10"],
    ["export", "--format", "json"],
]


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    folder = tmp_path / "elsewhere"
    folder.mkdir()
    (folder / "secret.yaml").write_text(OUTSIDE_DEAL, encoding="utf-8")
    return folder


@pytest.fixture
def good(pipe) -> str:
    pipe.add("Good deal", "--id", "good", "--at", "2026-03-02")
    return "good"


def outside_bytes(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def each_reader_names(pipe, line: str) -> None:
    for args in READERS:
        result = pipe(*args, ok=False)
        assert result.exit_code == 1, (args, result.output)
        assert "Secret outside" not in result.stdout, args
        assert "internal error" not in result.output, args
        assert line in result.stderr.splitlines(), (args, result.stderr)
        assert "good" in result.stdout or "Good" in result.stdout or args[0] == "report", args
    checked = pipe("check", ok=False)
    assert checked.exit_code == 1
    assert line.removeprefix("pipe: ") in checked.stdout.splitlines()


def test_a_deal_file_linked_outside_is_named_and_never_read(pipe, good: str, outside: Path, monkeypatch) -> None:
    monkeypatch.chdir(pipe.root)
    (pipe.root / "deals" / "evil.yaml").symlink_to(outside / "secret.yaml")
    line = (
        "pipe: deals/evil.yaml: a symlink to a file outside the pipeline folder; "
        "pipe does not follow it: replace the link by the file itself"
    )
    each_reader_names(pipe, line)
    shown = pipe("show", "evil", ok=False)
    assert (shown.exit_code, shown.stderr) == (1, line + "\n")
    before = outside_bytes(outside)
    noted = pipe("note", "evil", "copy me in", ok=False)
    assert noted.exit_code == 1 and noted.stderr == line + "\n"
    assert outside_bytes(outside) == before
    assert (pipe.root / "deals" / "evil.yaml").is_symlink()


def test_a_symlink_loop_and_a_dangling_symlink_are_named_problems(pipe, good: str, monkeypatch) -> None:
    monkeypatch.chdir(pipe.root)
    (pipe.root / "deals" / "loop.yaml").symlink_to("loop.yaml")
    (pipe.root / "deals" / "gone.yaml").symlink_to("nowhere.yaml")
    for args in [*READERS, ["check"]]:
        result = pipe(*args, ok=False)
        assert result.exit_code == 1, (args, result.output)
        assert "internal error" not in result.output
        out = result.stdout + result.stderr
        assert "deals/loop.yaml: a symlink loop; remove it" in out, args
        assert "deals/gone.yaml: a symlink to nothing (nowhere.yaml does not exist); remove it" in out, args
    assert pipe("show", "loop", ok=False).stderr == "pipe: deals/loop.yaml: a symlink loop; remove it\n"


def test_a_symlink_inside_the_folder_is_read_but_never_written_through(pipe, good: str, monkeypatch) -> None:
    monkeypatch.chdir(pipe.root)
    (pipe.root / "archive").mkdir()
    (pipe.root / "archive" / "old.yaml").write_text(OUTSIDE_DEAL.replace("Secret outside", "Archived"), "utf-8")
    (pipe.root / "deals" / "old.yaml").symlink_to(Path("..") / "archive" / "old.yaml")
    listed = pipe("list", "--format", "json")
    assert sorted(d["id"] for d in json.loads(listed.stdout)) == ["good", "old"]
    assert pipe("check").exit_code == 0
    before = tree_bytes(pipe.root)
    noted = pipe("note", "old", "through the link", ok=False)
    assert (noted.exit_code, noted.stderr) == (
        1,
        "pipe: deals/old.yaml: a symlink; pipe does not write through symlinks: replace the link by the file itself\n",
    )
    assert tree_bytes(pipe.root) == before
    assert (pipe.root / "deals" / "old.yaml").is_symlink()


def test_deals_folder_linked_outside(pipe, outside: Path, monkeypatch) -> None:
    monkeypatch.chdir(pipe.root)
    (pipe.root / "deals").rmdir()
    (pipe.root / "deals").symlink_to(outside)
    before = outside_bytes(outside)
    line = (
        "pipe: deals: a symlink to a folder outside the pipeline folder; "
        "pipe does not follow it: replace the link by the folder itself"
    )
    for args in READERS:
        result = pipe(*args, ok=False)
        assert (result.exit_code, result.stderr) == (1, line + "\n"), args
        assert "Secret outside" not in result.stdout
    assert pipe("show", "secret", ok=False).stderr == line + "\n"
    added = pipe("add", "New", "--id", "new", ok=False)
    assert (added.exit_code, added.stderr) == (
        1,
        "pipe: deals: a symlink; pipe does not write through symlinks: replace the link by the folder itself\n",
    )
    assert outside_bytes(outside) == before


@pytest.mark.parametrize("link", [".pipe", ".pipe/lock"])
def test_state_linked_outside_is_never_written(pipe, good: str, outside: Path, link: str, monkeypatch) -> None:
    monkeypatch.chdir(pipe.root)
    state = pipe.root / ".pipe"
    if state.exists():
        for p in sorted(state.rglob("*"), reverse=True):
            p.rmdir() if p.is_dir() else p.unlink()
        state.rmdir()
    if link == ".pipe":
        state.symlink_to(outside)
    else:
        state.mkdir()
        (state / "lock").symlink_to(outside / "secret.yaml")
    before = outside_bytes(outside)
    deal_before = tree_bytes(pipe.root)
    result = pipe("note", "good", "hello", ok=False)
    assert result.exit_code == 1
    assert result.stderr == f"pipe: {link}: a symlink; pipe does not write through symlinks: remove it\n"
    assert outside_bytes(outside) == before
    assert tree_bytes(pipe.root) == deal_before
    listed = pipe("list")  # reading needs no state: still works, and never reads the cache out there
    assert "Good deal" in listed.stdout
    assert outside_bytes(outside) == before


def test_pipeline_file_linked_outside(pipe, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(pipe.root)
    elsewhere = tmp_path / "pipeline-elsewhere.yaml"
    (pipe.root / "pipeline.yaml").rename(elsewhere)
    (pipe.root / "pipeline.yaml").symlink_to(elsewhere)
    result = pipe("list", ok=False)
    assert result.exit_code == 1
    assert result.stderr == (
        "pipe: pipeline.yaml: a symlink to a file outside the pipeline folder; "
        "pipe does not follow it: replace the link by the file itself\n"
    )


def test_state_path_refuses_symlinks_and_creates_folders(pipe, outside: Path) -> None:
    store = Store.open(pipe.root)
    path = store.state_path("index/deals.bin")
    assert path == pipe.root / ".pipe" / "index" / "deals.bin"
    assert path.parent.is_dir() and not path.exists()
    os.symlink(outside / "secret.yaml", path)
    with pytest.raises(UnsafePath) as caught:
        store.state_path("index/deals.bin")
    assert caught.value.path == path
    for bad in ("../x", "/etc/passwd", "", "a/../../b"):
        with pytest.raises(ValueError):
            store.state_path(bad)


def test_a_fifo_named_like_a_deal_never_blocks(pipe, good: str, monkeypatch) -> None:
    monkeypatch.chdir(pipe.root)
    os.mkfifo(pipe.root / "deals" / "pipe.yaml")
    result = pipe("list", ok=False)
    assert result.exit_code == 1
    assert result.stderr == "pipe: deals/pipe.yaml: not a regular file; pipe reads only plain files\n"
    assert "Good deal" in result.stdout
