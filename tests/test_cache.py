"""The parsed-deal cache: never serves a stale parse, and is safe to lose."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

from pipecli.store import Store

HOUR_AGO = time.time() - 3600


def _age(path: Path) -> None:
    """Make a file look an hour old, so the cache may keep it."""
    os.utime(path, (HOUR_AGO, HOUR_AGO))


def _cache(root: Path) -> dict:
    return json.loads((root / ".pipe" / "cache" / "deals.json").read_text(encoding="utf-8"))["files"]


def test_second_load_uses_the_cache_and_gives_the_same_deals(pipe) -> None:
    ids = [pipe.add(f"Deal {n}", "--value", str(1000 * n), "--at", "2026-03-02") for n in range(1, 4)]
    for i in ids:
        _age(pipe.root / "deals" / f"{i}.yaml")
    first = Store(pipe.root).load_all()
    assert sorted(_cache(pipe.root)) == sorted(f"{i}.yaml" for i in ids)
    second = Store(pipe.root).load_all()
    assert [d.model_dump() for d in second.deals] == [d.model_dump() for d in first.deals]
    assert sorted(int(d.value) for d in second.deals) == [1000, 2000, 3000]


def test_a_command_s_rewrite_is_seen(pipe) -> None:
    deal_id = pipe.add("Acme", "--at", "2026-03-02")
    _age(pipe.root / "deals" / f"{deal_id}.yaml")
    assert Store(pipe.root).load_all().deals[0].stage == "lead"
    pipe("move", deal_id, "proposal", "--at", "2026-03-03")
    assert Store(pipe.root).load_all().deals[0].stage == "proposal"


def test_an_in_place_edit_of_the_same_size_is_seen(pipe) -> None:
    deal_id = pipe.add("Acme", "--value", "1000", "--at", "2026-03-02")
    path = pipe.root / "deals" / f"{deal_id}.yaml"
    _age(path)
    assert Store(pipe.root).load_all().deals[0].value == 1000
    inode = path.stat().st_ino
    with open(path, "r+", encoding="utf-8") as f:  # same inode, same size, new mtime
        text = f.read()
        f.seek(0)
        f.write(text.replace("value: 1000", "value: 9000"))
    assert path.stat().st_ino == inode
    assert Store(pipe.root).load_all().deals[0].value == 9000


def test_files_written_just_now_are_not_cached(pipe) -> None:
    pipe.add("Fresh", "--at", "2026-03-02")
    assert len(Store(pipe.root).load_all().deals) == 1
    cache = pipe.root / ".pipe" / "cache" / "deals.json"
    assert not cache.exists() or _cache(pipe.root) == {}


def test_a_broken_cache_is_ignored_and_rebuilt(pipe) -> None:
    deal_id = pipe.add("Acme", "--at", "2026-03-02")
    _age(pipe.root / "deals" / f"{deal_id}.yaml")
    cache = pipe.root / ".pipe" / "cache" / "deals.json"
    cache.parent.mkdir(parents=True, exist_ok=True)
    cache.write_text("{not json", encoding="utf-8")
    assert [d.id for d in Store(pipe.root).load_all().deals] == [deal_id]
    assert list(_cache(pipe.root)) == [f"{deal_id}.yaml"]


def test_removed_files_leave_the_cache_and_bad_files_still_report(pipe) -> None:
    keep = pipe.add("Keep", "--at", "2026-03-02")
    gone = pipe.add("Gone", "--at", "2026-03-02")
    for i in (keep, gone):
        _age(pipe.root / "deals" / f"{i}.yaml")
    Store(pipe.root).load_all()
    (pipe.root / "deals" / f"{gone}.yaml").unlink()
    bad = pipe.root / "deals" / "broken.yaml"
    bad.write_text("title: [unclosed\n", encoding="utf-8")
    _age(bad)
    result = Store(pipe.root).load_all()
    assert [d.id for d in result.deals] == [keep]
    assert [p.path.name for p in result.problems] == ["broken.yaml"]
    assert list(_cache(pipe.root)) == [f"{keep}.yaml"]
    # the bad file is reported again on the next run too: it is never cached
    assert [p.path.name for p in Store(pipe.root).load_all().problems] == ["broken.yaml"]


def test_a_cache_that_cannot_be_written_does_not_stop_a_load(pipe) -> None:
    deal_id = pipe.add("Acme", "--at", "2026-03-02")
    state = pipe.root / ".pipe"
    state.mkdir(exist_ok=True)
    (state / "cache").write_text("a file where the cache folder should be", encoding="utf-8")
    _age(pipe.root / "deals" / f"{deal_id}.yaml")
    assert [d.id for d in Store(pipe.root).load_all().deals] == [deal_id]
    assert [d.id for d in Store(pipe.root).load_all().deals] == [deal_id]
