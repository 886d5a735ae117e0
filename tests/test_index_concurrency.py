"""Real `pipe` processes reading and writing at once: the index is never half-written, never
corrupted, and what it says at the end is what the files say."""

from __future__ import annotations

import json
import os
import shutil
import subprocess

import pytest
from conftest import PIPE_SCRIPT

from pipecli import index
from pipecli.render.report import render_report
from pipecli.report import build_report
from pipecli.store import Store

AS_OF = "2026-12-31"


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
    out = []
    for p in procs:
        stdout, stderr = p.communicate(timeout=300)
        out.append((p.returncode, stdout, stderr))
    return out


def consistent(out: str, least: int, most: int) -> dict:
    """A whole report: valid JSON whose counts add up."""
    data = json.loads(out)
    t = data["totals"]
    assert least <= t["deals"] <= most
    assert t["open"] + t["won"] + t["lost"] == t["deals"]
    return data


@pytest.fixture
def busy(pipe):
    ids = [pipe.add(f"Deal {n}", "--value", str(100 * n), "--at", "2026-03-02T10:00") for n in range(30)]
    return pipe, ids


@pytest.mark.slow
def test_readers_and_writers_at_once(busy) -> None:
    pipe, ids = busy
    readers = [start(pipe.root, "report", "--format", "json", "--as-of", AS_OF) for _ in range(5)]
    writers = [start(pipe.root, "note", ids[i], f"note {i}", "--at", "2026-03-03") for i in range(5)]
    writers += [start(pipe.root, "won", ids[i], "--at", "2026-03-04") for i in range(5, 10)]
    writers += [start(pipe.root, "add", f"New {i}", "--at", "2026-03-05") for i in range(4)]
    readers += [start(pipe.root, "list", "--status", "all", "--format", "json") for _ in range(3)]
    results = finish(readers + writers)
    assert [r[0] for r in results] == [0] * len(results), [r[2] for r in results if r[0]]
    for _code, out, _ in results[:5]:
        consistent(out, 30, 34)
    for _code, out, _ in results[5:8]:
        assert 30 <= len(json.loads(out)) <= 34
    store = Store(pipe.root)
    assert index.read_index(store.state_path(index.INDEX_NAME), store.pipeline.stage_ids) is not None
    deals = store.load_all(use_cache=False).deals
    final = consistent(pipe("report", "--format", "json", "--as-of", AS_OF).stdout, 34, 34)
    from datetime import date

    assert final == json.loads(render_report(build_report(deals, store.pipeline, date(2026, 12, 31)), "json"))
    assert final["totals"]["won"] == 5


@pytest.mark.slow
def test_many_first_reads_at_once_agree(busy) -> None:
    pipe, _ = busy
    expected = pipe("report", "--format", "json", "--as-of", AS_OF).stdout
    shutil.rmtree(pipe.root / ".pipe")
    results = finish([start(pipe.root, "report", "--format", "json", "--as-of", AS_OF) for _ in range(6)])
    assert [r[0] for r in results] == [0] * 6
    assert {r[1] for r in results} == {expected}
    store = Store(pipe.root)
    assert index.read_index(store.state_path(index.INDEX_NAME), store.pipeline.stage_ids) is not None
