"""Real `pipe` processes writing at the same time: the lock and atomic writes lose nothing."""

from __future__ import annotations

import os
import subprocess

import pytest
import yaml
from conftest import PIPE_SCRIPT


def start(root, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [str(PIPE_SCRIPT), "-C", str(root), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        text=True,
        env={**os.environ, "PIPE_LOCK_TIMEOUT": "120"},
    )


def finish(procs: list[subprocess.Popen[str]]) -> list[tuple[int, str, str]]:
    results = []
    for p in procs:
        out, err = p.communicate(timeout=180)
        results.append((p.returncode, out, err))
    return results


def no_temp_files(root) -> None:
    left = [p.name for p in (root / "deals").iterdir() if p.name.startswith(".") or p.name.endswith(".tmp")]
    assert left == []


def load(pipe, deal_id: str) -> dict:
    return yaml.load(pipe.deal_text(deal_id), Loader=yaml.BaseLoader)


@pytest.mark.parametrize("writers", [2, 8])
def test_concurrent_notes_lose_nothing(pipe, writers: int) -> None:
    d = pipe.add("Busy deal", "--at", "2026-03-01T09:00")
    procs = [start(pipe.root, "note", d, f"note from writer {i}\nsecond line {i}") for i in range(writers)]
    results = finish(procs)
    assert [r[0] for r in results] == [0] * writers, results
    texts = sorted(n["text"] for n in load(pipe, d)["notes"])
    assert texts == sorted(f"note from writer {i}\nsecond line {i}" for i in range(writers))
    assert pipe("check").exit_code == 0
    no_temp_files(pipe.root)


def test_concurrent_moves_keep_a_consistent_history(pipe) -> None:
    d = pipe.add("Moving deal", "--at", "2026-03-01T09:00")
    targets = ["qualified", "meeting", "proposal", "negotiation", "qualified", "meeting", "proposal", "lead"]
    results = finish([start(pipe.root, "move", d, stage) for stage in targets])
    assert [r[0] for r in results] == [0] * len(targets), results
    data = load(pipe, d)
    history = data["history"]
    moves = [h for h in history if h["event"] == "moved"]
    moved = sum(1 for _, out, _ in results if out.startswith("moved "))
    assert len(moves) == moved  # every move that said so is in the history
    # each move starts where the one before it ended: no update was lost in between
    stage = "lead"
    for h in moves:
        assert h["from"] == stage, history
        stage = h["to"]
    assert data["stage"] == stage
    assert pipe("check").exit_code == 0
    no_temp_files(pipe.root)


def test_concurrent_mixed_changes(pipe) -> None:
    d = pipe.add("Mixed", "--at", "2026-03-01T09:00")
    procs = [start(pipe.root, "set", d, "--custom", f"field{i}=value {i}") for i in range(4)]
    procs += [start(pipe.root, "note", d, f"note {i}") for i in range(4)]
    procs.append(start(pipe.root, "next", d, "Call back", "--due", "2026-04-01"))
    results = finish(procs)
    assert [r[0] for r in results] == [0] * len(procs), results
    data = load(pipe, d)
    for i in range(4):
        assert data[f"field{i}"] == f"value {i}"
    assert sorted(n["text"] for n in data["notes"]) == [f"note {i}" for i in range(4)]
    assert data["next_step"] == {"text": "Call back", "due": "2026-04-01"}
    changed = sorted(h["field"] for h in data["history"] if h["event"] == "changed")
    assert changed == ["field0", "field1", "field2", "field3", "next_step"]
    assert pipe("check").exit_code == 0
    no_temp_files(pipe.root)


def test_concurrent_adds_of_one_title(pipe) -> None:
    results = finish([start(pipe.root, "add", "Same title", "--owner", f"o{i}") for i in range(8)])
    assert [r[0] for r in results] == [0] * 8, results
    ids = [out.strip() for _, out, _ in results]
    assert len(set(ids)) == 8
    assert sorted(p.stem for p in (pipe.root / "deals").glob("*.yaml")) == sorted(ids)
    owners = sorted(load(pipe, i)["owner"] for i in ids)
    assert owners == [f"o{i}" for i in range(8)]
    no_temp_files(pipe.root)


def test_readers_never_see_a_half_written_file(pipe) -> None:
    d = pipe.add("Read while written", "--at", "2026-03-01T09:00")
    writers = [start(pipe.root, "note", d, "x" * 20000 + f" {i}") for i in range(6)]
    readers = [start(pipe.root, "show", d, "--format", "json") for _ in range(6)]
    results = finish(writers + readers)
    assert [r[0] for r in results] == [0] * 12, [(r[0], r[2]) for r in results]
    assert len(load(pipe, d)["notes"]) == 6


def test_a_held_lock_times_out_with_a_clear_error(pipe, run_pipe) -> None:
    import fcntl

    from conftest import tree_bytes

    d = pipe.add("Locked", "--at", "2026-03-01T09:00")
    before = tree_bytes(pipe.root)
    lock = pipe.root / ".pipe" / "lock"
    with open(lock, "a+") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        r = run_pipe("-C", str(pipe.root), "note", d, "waiting", env={"PIPE_LOCK_TIMEOUT": "0.5"})
        # reading needs no lock
        shown = run_pipe("-C", str(pipe.root), "show", d)
    assert r.returncode == 1
    assert r.stderr.startswith("pipe: another pipe command has held the lock ")
    assert r.stderr.endswith("for 0.5s; wait for it to finish and try again\n")
    assert shown.returncode == 0
    assert tree_bytes(pipe.root) == before
    # once the lock is free, the same command works
    assert run_pipe("-C", str(pipe.root), "note", d, "now").returncode == 0
