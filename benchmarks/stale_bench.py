"""How much `pipe stale` adds to reading the deals.

Builds a pipeline of N deals (each with a move, a note and a next step), then times
reading them all and finding the stale ones now and as of a past day (which rebuilds
every deal with later entries as it stood then). Prints ratios to the read time.

    python benchmarks/stale_bench.py [N]
"""

from __future__ import annotations

import sys
import tempfile
import time
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

from pipecli import actions, yamlio
from pipecli.scaffold import init_pipeline
from pipecli.stale import AsOf, find_stale
from pipecli.store import Store


def build(root: Path, n: int) -> None:
    init_pipeline(root, stage_ids=None, currency="EUR", name="Bench")
    pipeline = Store.open(root).pipeline
    (root / "deals").mkdir(exist_ok=True)
    start = datetime(2026, 1, 1, 9, tzinfo=timezone(timedelta(hours=1)))
    for i in range(n):
        at = start + timedelta(minutes=i % 600)  # all on the first day
        d = actions.new_deal(pipeline, deal_id=f"deal-{i:06d}", title=f"Deal {i}", at=at, value=Decimal(1000 + i))
        d = actions.move(d, pipeline, "qualified", at + timedelta(days=3))
        d = actions.add_note(d, at + timedelta(days=5), "Called")
        d = actions.set_next_step(d, at + timedelta(days=6), "Send offer", (at + timedelta(days=12)).date())
        (root / "deals" / f"{d.id}.yaml").write_text(yamlio.dump_new(d.canonical()), encoding="utf-8")


def best(fn, repeat: int = 3) -> float:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "p"
        build(root, n)
        store = Store.open(root)
        deals = store.load_all().deals
        pipeline = store.pipeline
        read = best(lambda: Store.open(root).load_all())
        now = best(lambda: find_stale(deals, pipeline, AsOf.at(datetime.now().astimezone())))
        # after each deal's move, before its note: every deal is rebuilt as it stood then
        past = best(lambda: find_stale(deals, pipeline, AsOf.end_of(date(2026, 1, 4))))
    print(f"{n} deals; read all: {read * 1000:.0f} ms")
    print(f"find_stale now / read all:         {now / read:.3f}")
    print(f"find_stale as of a past day / read: {past / read:.3f}")


if __name__ == "__main__":
    main()
