"""Writing many deal files: an fsync per file against the batch form `pipe import` uses.

    python benchmarks/write_bench.py [--files 8800] [--rounds 3] [--dir FOLDER]

Both forms give the same guarantee: each file is written to a temporary file, its
data is on disk before the rename, and the folder is fsynced.

* per file: ``fsio.atomic_write`` for each file (write, fsync, rename, fsync the folder);
* batch: ``fsio.write_many`` (write every temporary file, fsync them from a few
  threads at once, rename all, fsync the folder once).

Prints the median time of each over the rounds and their ratio. The machine's other
work makes single timings noisy: compare ratios, and run it more than once.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import tempfile
import time
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

from pipecli import actions, fsio
from pipecli.models import DEFAULT_STAGES, Pipeline
from pipecli.store import new_deal_text


def deal_texts(n: int) -> list[tuple[str, str]]:
    """``n`` deal files as `pipe import` writes them."""
    pipeline = Pipeline.model_validate({"stages": DEFAULT_STAGES})
    t0 = datetime(2017, 1, 2, 9, tzinfo=timezone.utc)
    out = []
    for i in range(n):
        deal = actions.new_deal(
            pipeline,
            deal_id=f"account-{i:05d}-product-{i % 7}",
            title=f"Account {i} – GTX Pro",
            at=t0 + timedelta(hours=i),
            company=f"Account {i}",
            value=Decimal(1000 + i),
            currency="USD",
            owner=f"agent {i % 35}",
            tags=["GTX Pro"],
        )
        deal = actions.move(deal, pipeline, "qualified", t0 + timedelta(hours=i, days=3))
        out.append((deal.id, new_deal_text(deal)))
    return out


def per_file(folder: Path, texts: list[tuple[str, str]]) -> None:
    for deal_id, text in texts:
        fsio.atomic_write(folder / f"{deal_id}.yaml", text)


def batch(folder: Path, texts: list[tuple[str, str]]) -> None:
    fsio.write_many([(folder / f"{deal_id}.yaml", text) for deal_id, text in texts])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=8800)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--dir", type=Path, default=None, help="where to write (default: a temporary folder)")
    args = parser.parse_args()
    texts = deal_texts(args.files)
    base = Path(tempfile.mkdtemp(prefix="pipe-write-bench-", dir=args.dir))
    times: dict[str, list[float]] = {"per file": [], "batch": []}
    try:
        for r in range(args.rounds):
            for name, write in (("per file", per_file), ("batch", batch)):
                folder = base / f"{r}-{name.replace(' ', '-')}"
                folder.mkdir()
                start = time.perf_counter()
                write(folder, texts)
                times[name].append(time.perf_counter() - start)
                shutil.rmtree(folder)
    finally:
        shutil.rmtree(base, ignore_errors=True)
    per, bat = statistics.median(times["per file"]), statistics.median(times["batch"])
    size = sum(len(t.encode()) for _, t in texts) / len(texts)
    print(f"{args.files} files of {size:.0f} bytes, median of {args.rounds} rounds")
    print(f"  fsync per file (atomic_write each): {per:7.2f} s  {per / args.files * 1e3:6.3f} ms/file")
    print(f"  batch (write_many):                 {bat:7.2f} s  {bat / args.files * 1e3:6.3f} ms/file")
    print(f"  batch is {per / bat:.1f} x faster")


if __name__ == "__main__":
    main()
