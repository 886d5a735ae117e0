"""The cold build of the index (every file read, on every core): the digests are stored while
the files are still being read, a damaged digests file is started again, and a build killed
half-way leaves what the next run rebuilds or uses, with the same figures."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import time
from datetime import date
from pathlib import Path

import pytest
from conftest import PIPE_SCRIPT

from pipecli import index
from pipecli.render.report import render_report
from pipecli.report import build_report
from pipecli.store import Store

AS_OF = "2026-02-15"  # before the moves of most deals: their rows are replayed from digests


def settle() -> None:
    """Wait until every file written so far is trusted once read (not racily clean)."""
    time.sleep(index.RACY_NS / 1e9 + 0.1)


def report(pipe, as_of: str = AS_OF) -> dict:
    """`pipe report --format json` (exit 1: some files are refused)."""
    result = pipe("report", "--format", "json", "--as-of", as_of, ok=False)
    assert result.exit_code == 1, result.stderr
    return json.loads(result.stdout)


def _deal_files(deals: Path, count: int) -> None:
    """``count`` deals created in January, most moved on in February or March (so a report
    as of mid-February replays them), some won, some refused by the reader."""
    deals.mkdir(parents=True, exist_ok=True)
    for i in range(count):
        day = 1 + i % 27
        moves = f"  - at: 2026-02-{day:02d}T10:00:00+01:00\n    event: moved\n    from: lead\n    to: proposal\n"
        if i % 3 == 0:
            moves += f"  - at: 2026-03-{day:02d}T11:00:00+01:00\n    event: won\n"
        text = (
            f"id: c{i:05d}\ntitle: Trattativa {i} ไทย Łódź\nvalue: {1000 + i}.50\nstage: proposal\n"
            f"status: {'won' if i % 3 == 0 else 'open'}\nowner: {['anna', 'Łucja', 'marek'][i % 3]}\n"
            f"created: 2026-01-{day:02d}T09:00:00+01:00\nhistory:\n"
            f"  - at: 2026-01-{day:02d}T09:00:00+01:00\n    event: created\n    to: lead\n{moves}"
        )
        if i % 211 == 7:
            text = "id: [unclosed\n"  # not YAML: a problem, no digest
        (deals / f"c{i:05d}.yaml").write_text(text, encoding="utf-8")


def _expected(root: Path, as_of: str) -> dict:
    """The report built from the files themselves, not from any index."""
    store = Store(root)
    deals = store.load_all(use_cache=False).deals
    return json.loads(render_report(build_report(deals, store.pipeline, date.fromisoformat(as_of)), "json"))


def _stored_digests(root: Path) -> tuple[int, int]:
    """How many good files the index holds, and how many of them have their digest stored
    under the version of their index entry (so a replay reads no file)."""
    store = Store(root)
    stored = index.read_index(store.state_path(index.INDEX_NAME), store.pipeline.stage_ids)
    assert stored is not None
    wanted = {
        name: index._version(stored.keys[i], stored.read_ns[i])
        for i, name in enumerate(stored.names)
        if stored.problems[i] is None
    }
    digests = index.Digests(store.state_path(index.DIGESTS_NAME))
    try:
        return len(wanted), len(digests.get(wanted))
    finally:
        digests.close()


def test_digests_stored_while_the_workers_read_give_the_figures_of_the_files(pipe, monkeypatch) -> None:
    monkeypatch.setattr(index, "ARRIVED_EVERY", 60)  # many batches, the last one short
    count = index.PARALLEL_FROM + 130
    _deal_files(pipe.root / "deals", count)
    expected = _expected(pipe.root, AS_OF)
    assert expected["totals"]["deals"] == count - len(range(7, count, 211))
    settle()
    assert report(pipe) == expected  # every file read by the workers
    good, found = _stored_digests(pipe.root)
    assert good == expected["totals"]["deals"] and found == good
    # the index encoded batch by batch as the entries arrived is the index encoded whole
    store = Store(pipe.root)
    ids = store.pipeline.stage_ids
    built = index.read_index(store.state_path(index.INDEX_NAME), ids)
    assert isinstance(built, index.Stored)
    ladder = {s: i for i, s in enumerate(ids)}
    root, deals = str(pipe.root), str(pipe.root / "deals")
    again = [index.read_entry(deals, n, k, ladder, root) for n, k in index.scan(pipe.root / "deals")[0]]
    whole = index.decode(index.encode(again, ids), ids)
    assert (built.names, built.problems) == (whole.names, whole.problems)
    assert (built.rows, built.views) == (whole.rows, whole.views)
    assert Store(pipe.root).index().parsed == 0
    assert report(pipe) == expected  # replayed from the stored digests
    assert report(pipe, "2026-12-31") == _expected(pipe.root, "2026-12-31")


def test_a_damaged_digests_file_is_started_again(pipe) -> None:
    deal = pipe.add("Moving", "--value", "500", "--at", "2026-01-10T10:00")
    pipe("move", deal, "proposal", "--at", "2026-02-20")
    _deal_files(pipe.root / "deals", 30)
    settle()
    report(pipe)
    digests = Store(pipe.root).state_path(index.DIGESTS_NAME)
    data = bytearray(digests.read_bytes())
    assert len(data) > 4096
    for at in range(4096, len(data), 4096):  # the header page whole, every other page damaged
        data[at : at + 64] = b"\xff" * 64
    digests.write_bytes(bytes(data))
    pipe("note", deal, "later", "--at", "2026-02-21")  # a change, so its digest must be stored
    settle()
    assert Store(pipe.root).index().parsed == 1
    # the index was written after the digests: the next run reads nothing
    assert Store(pipe.root).index().parsed == 0
    with sqlite3.connect(digests) as db:
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    assert report(pipe) == _expected(pipe.root, AS_OF)


@pytest.mark.slow
def test_a_cold_build_killed_half_way_is_rebuilt_with_the_same_figures(pipe) -> None:
    count = index.ARRIVED_EVERY + 700  # the first digests are stored while the rest is read
    _deal_files(pipe.root / "deals", count)
    expected = _expected(pipe.root, AS_OF)
    settle()
    store = Store(pipe.root)
    digests, index_file = store.state_path(index.DIGESTS_NAME), store.state_path(index.INDEX_NAME)
    proc = subprocess.Popen(
        [str(PIPE_SCRIPT), "-C", str(pipe.root), "report", "--format", "json", "--as-of", AS_OF],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        stdin=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 240
        while not digests.exists() and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.002)
        os.kill(proc.pid, signal.SIGKILL)  # the process this test started, by its id
    finally:
        proc.wait(timeout=60)
    assert proc.returncode == -signal.SIGKILL
    assert digests.exists() and not index_file.exists()  # killed between the digests and the index
    # its workers saw their parent die and end; what it left is used or rebuilt
    done = subprocess.run(
        [str(PIPE_SCRIPT), "-C", str(pipe.root), "report", "--format", "json", "--as-of", AS_OF],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 1, done.stderr  # the files the reader refuses
    assert json.loads(done.stdout) == expected
    assert "c00007.yaml:2: YAML syntax" in done.stderr
    good, found = _stored_digests(pipe.root)
    assert good == expected["totals"]["deals"] and found == good
    assert Store(pipe.root).index().parsed == 0
    assert report(pipe) == expected
