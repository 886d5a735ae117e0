"""Listing and stat of deals/ (``index.scan``): from ``STAT_PARALLEL_FROM`` names on, a forked
child shares the stat, chunk by chunk, while this process first reads the index. Whatever does
the stat, the keys and kinds are those of the files, in name order."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from array import array
from datetime import datetime, timezone
from pathlib import Path
from types import SimpleNamespace

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pipecli import forking, index
from pipecli.store import Store


def _folder(root: Path, count: int = 40) -> Path:
    deals = root / "deals"
    deals.mkdir(parents=True)
    for i in range(count):
        (deals / f"d{i:03d}.yaml").write_text(f"id: d{i:03d}\ntitle: Trattativa {i} ไทย\n" + "x" * i, "utf-8")
    (deals / "link.yaml").symlink_to("d001.yaml")
    (deals / "folder.yaml").mkdir()
    (deals / ".hidden.yaml").write_text("id: h\n", "utf-8")
    (deals / "notes.txt").write_text("not a deal\n", "utf-8")
    return deals


def _scan(deals: Path, monkeypatch: pytest.MonkeyPatch, parallel_from: int) -> tuple[index.Files, set[str]]:
    monkeypatch.setattr(index, "STAT_PARALLEL_FROM", parallel_from)
    return index.scan(deals)


def test_the_child_and_one_process_find_the_same_names_keys_and_kinds(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    deals = _folder(tmp_path)
    shared, shared_anew = _scan(deals, monkeypatch, 2)
    alone, alone_anew = _scan(deals, monkeypatch, 10**9)
    assert list(shared) == list(alone)
    assert shared_anew == alone_anew == {"link.yaml", "folder.yaml"}
    names = [name for name, _ in shared]
    assert names == sorted([f"d{i:03d}.yaml" for i in range(40)] + ["folder.yaml", "link.yaml"])
    for name, key in shared:
        assert key == index.file_key(os.lstat(deals / name)), name  # a symlink keyed as itself
    if sys.platform.startswith("linux"):
        assert forking.may_fork()  # so a child shared the stat above


def test_a_name_gone_before_its_stat_is_marked_gone_in_either_half(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    deals = _folder(tmp_path, 10)
    names = ["a-gone.yaml", *sorted(p.name for p in deals.glob("d*.yaml")), "z-gone.yaml"]
    monkeypatch.setattr(index, "STAT_PARALLEL_FROM", 2)
    flat, kinds = index.stat_all(deals, names)
    assert list(kinds) == [index._GONE] + [index._REGULAR] * 10 + [index._GONE]
    assert list(flat[:4]) == [0, 0, 0, 0] and list(flat[-4:]) == [0, 0, 0, 0]
    assert list(flat[4:8]) == list(index.file_key(os.lstat(deals / "d000.yaml")))


def test_a_child_that_fails_gives_nothing_and_is_reaped() -> None:
    def broken() -> tuple:
        raise RuntimeError("the child's work failed")

    child = forking.forked(broken)
    assert child is not None
    assert child.result() is None
    with pytest.raises(ChildProcessError):
        os.waitpid(child.pid, os.WNOHANG)  # reaped already


def test_a_cancelled_child_is_ended_at_once_and_reaped() -> None:
    def slow() -> tuple:
        time.sleep(60)
        raise AssertionError("not reached")

    child = forking.forked(slow)
    assert child is not None
    started = time.monotonic()
    child.cancel()
    assert time.monotonic() - started < 10
    with pytest.raises(ChildProcessError):
        os.waitpid(child.pid, os.WNOHANG)


def test_the_child_leaves_the_output_written_before_it_alone(tmp_path: Path) -> None:
    """Output buffered when the child is forked is written once, by this process."""
    deals = _folder(tmp_path, 30)
    code = (
        "import sys\n"
        "from pathlib import Path\n"
        "from pipecli import index\n"
        "index.STAT_PARALLEL_FROM = 2\n"
        "sys.stdout.write('before ')\n"
        "files, anew = index.scan(Path(sys.argv[1]))\n"
        "print(len(files), sorted(anew))\n"
    )
    done = subprocess.run([sys.executable, "-c", code, str(deals)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout == "before 32 ['folder.yaml', 'link.yaml']\n"
    assert done.stderr == ""


def test_reports_over_a_folder_statted_by_two_processes_see_every_edit(pipe, monkeypatch: pytest.MonkeyPatch) -> None:
    """The warm report after a hand edit of the same size, with the stat shared: the edit is seen."""
    monkeypatch.setattr(index, "STAT_PARALLEL_FROM", 2)
    ids = [pipe.add(f"Zamówienie {i}", "--value", str(1000 + i), "--at", "2026-03-02T10:00:00+01:00") for i in range(6)]
    old = time.time_ns() - 3600 * 10**9
    for p in (pipe.root / "deals").glob("*.yaml"):
        os.utime(p, ns=(old, old))

    def report() -> dict:
        return json.loads(pipe("report", "--format", "json", "--as-of", "2026-12-31").stdout)

    before = report()
    assert before["totals"]["open_value"] == {"EUR": sum(1000 + i for i in range(6))}
    path = pipe.root / "deals" / f"{ids[-1]}.yaml"
    text = path.read_text("utf-8")
    path.write_text(text.replace("value: 1005", "value: 2005"), "utf-8")  # same size
    os.utime(path, ns=(old, old))  # and the same time as before
    after = report()
    assert after["totals"]["open_value"] == {"EUR": sum(1000 + i for i in range(6)) + 1000}


@pytest.mark.parametrize("pause", [0.0, 0.5])
def test_two_processes_sharing_chunks_cover_every_name_once_in_order(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, pause: float
) -> None:
    """Small chunks, and this process busy for a while first (the child then takes most) or
    not at all (they meet near the middle): the same keys as one process finds, in name order."""
    deals = _folder(tmp_path, 200)
    names = sorted(p.name for p in deals.iterdir() if p.name.endswith(".yaml") and not p.name.startswith("."))
    monkeypatch.setattr(index, "STAT_PARALLEL_FROM", 2)
    monkeypatch.setattr(index, "STAT_CHUNK", 3)
    called = []
    flat, kinds = index.stat_all(deals, names, lambda: called.append(time.sleep(pause)))
    assert called == [None]
    alone_flat, alone_kinds = index._stat_part(deals, names)
    assert (list(flat), kinds) == (list(alone_flat), alone_kinds)
    assert len(kinds) == 202 and kinds.count(index._OTHER) == 2


def test_what_a_failing_child_left_is_statted_by_this_process(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    deals = _folder(tmp_path, 100)
    names = sorted(p.name for p in deals.glob("d*.yaml"))
    parent = os.getpid()
    real = index._stat_part

    def failing_in_the_child(folder: Path | int, part: list[str]) -> tuple:
        if os.getpid() != parent:
            raise OSError("the child cannot stat")
        return real(folder, part)

    monkeypatch.setattr(index, "STAT_PARALLEL_FROM", 2)
    monkeypatch.setattr(index, "STAT_CHUNK", 7)
    monkeypatch.setattr(index, "_stat_part", failing_in_the_child)
    flat, kinds = index.stat_all(deals, names, lambda: time.sleep(0.2))
    assert kinds == bytes(100)  # every one a regular file, none missing
    assert list(flat) == list(real(deals, names)[0])


def _moving_pipeline(pipe, count: int = 12) -> list[str]:
    ids = []
    for i in range(count):
        day = 1 + i % 9
        ids.append(pipe.add(f"Trattativa {i} ร้าน", "--value", str(500 + i), "--at", f"2026-03-0{day}T09:00:00+01:00"))
        pipe("move", ids[-1], "meeting", "--at", f"2026-04-0{day}T10:00:00+02:00")
        if i % 3 == 0:
            pipe("won", ids[-1], "--at", f"2026-05-0{day}T11:00:00+02:00")
        elif i % 3 == 1:
            pipe("move", ids[-1], "lead", "--at", f"2026-05-0{day}T11:00:00+02:00")
    return ids


CUTOFFS = [datetime(2026, m, d, 12, tzinfo=timezone.utc) for m, d in ((2, 1), (3, 5), (4, 3), (4, 20), (5, 4), (7, 1))]


def test_deals_replayed_by_two_processes_give_the_rows_one_process_gives(pipe, monkeypatch: pytest.MonkeyPatch) -> None:
    _moving_pipeline(pipe)
    store = Store.open(pipe.root)
    alone = [list(map(repr, part)) for part in store.index().rows_at_many(CUTOFFS)]
    monkeypatch.setattr(index, "REPLAY_PARALLEL_FROM", 2)
    shared = [list(map(repr, part)) for part in store.index().rows_at_many(CUTOFFS)]
    assert shared == alone
    assert [len(part) for part in alone] == [0, 8, 12, 12, 12, 12]  # none yet, those created by then (days 1-5), all
    assert sum("status='won'" in r for r in alone[-1]) == 4


def test_what_a_failing_replay_child_left_is_replayed_here(pipe, monkeypatch: pytest.MonkeyPatch) -> None:
    _moving_pipeline(pipe)
    store = Store.open(pipe.root)
    alone = [list(map(repr, part)) for part in store.index().rows_at_many(CUTOFFS)]
    parent = os.getpid()
    real = index.row_at_many

    def failing_in_the_child(*args: object) -> object:
        if os.getpid() != parent:
            raise RuntimeError("the child cannot replay")
        return real(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(index, "REPLAY_PARALLEL_FROM", 2)
    monkeypatch.setattr(index, "row_at_many", failing_in_the_child)
    assert [list(map(repr, part)) for part in store.index().rows_at_many(CUTOFFS)] == alone


def test_a_files_key_is_found_by_its_name(tmp_path: Path) -> None:
    deals = _folder(tmp_path, 30)
    files, _ = index.scan(deals)
    assert files.key_of("d017.yaml") == index.file_key(os.lstat(deals / "d017.yaml"))
    assert files.key_of("link.yaml") == index.file_key(os.lstat(deals / "link.yaml"))
    with pytest.raises(KeyError):
        files.key_of("d999.yaml")


keys4 = st.tuples(st.integers(0, 3), st.integers(0, 3), st.integers(0, 3), st.integers(0, 3))


@given(
    st.lists(st.tuples(keys4, keys4, st.integers(0, 6)), min_size=0, max_size=12),
    st.sets(st.integers(0, 11), max_size=3),
)
def test_the_files_not_trusted_are_told_at_once_as_one_by_one(files_then_now, other) -> None:
    """``_untrusted`` (every file at once) names the files ``trusted`` refuses one by one:
    a key changed, racily clean when read, or not a regular file."""
    names = [f"d{i:02d}.yaml" for i in range(len(files_then_now))]
    now = index.Files(names, array("q", [n for _, key, _ in files_then_now for n in key]))
    racy = index.RACY_NS

    # what _untrusted reads of an index: each file's key then, and when it was read
    stored = SimpleNamespace(
        keys=index.Keys(array("q", [n for key, _, _ in files_then_now for n in key])),
        read_ns=[max(key[1], key[2]) + racy * read // 3 for key, _, read in files_then_now],
    )
    anew = {names[i] for i in other if i < len(names)}
    expected = [
        i
        for i, (then, key, _) in enumerate(files_then_now)
        if key != then or not index.trusted(then, stored.read_ns[i]) or names[i] in anew
    ]
    assert index._untrusted(now, stored, anew) == expected  # type: ignore[arg-type]
