"""Where the time of loading deals goes: read, parse (two parsers), validate.

Prints per-file costs and ratios, measured in one run on the demo pipeline's
files (each read many times). Ratios, not absolute times, are what compare
across machines.

    python benchmarks/load_bench.py [PIPELINE_DIR] [ROUNDS]
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from pipecli import yamlio
from pipecli.models import Deal
from pipecli.store import Store


def per_file(label: str, fn, items: list, rounds: int) -> float:
    start = time.perf_counter()
    for _ in range(rounds):
        for item in items:
            fn(item)
    elapsed = (time.perf_counter() - start) / (rounds * len(items))
    print(f"{label:<34}{elapsed * 1e6:9.1f} µs/file")
    return elapsed


def main() -> None:
    root = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).parent.parent / "examples" / "demo"
    rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 20
    store = Store(root)
    paths = [store.deal_path(i) for i in store.deal_ids()]
    texts = [p.read_text(encoding="utf-8") for p in paths]
    datas = [yamlio.load_fast(t) for t in texts]
    print(f"{len(paths)} deal files x {rounds} rounds, {sum(map(len, texts)) // len(texts)} bytes each on average")
    read = per_file("read text", lambda p: p.read_text(encoding="utf-8"), paths, rounds)
    fast = per_file("parse: PyYAML C, safe", yamlio.load_fast, texts, rounds)
    valid = per_file("validate: pydantic Deal", Deal.model_validate, datas, rounds)
    rt = per_file("parse: ruamel round-trip", yamlio.load_roundtrip, texts, max(1, rounds // 4))
    total = per_file("store.read (all of the above)", store.read, store.deal_ids(), rounds)
    print()
    print(f"parse / read                      {fast / read:9.1f}x")
    print(f"validate / parse                  {valid / fast:9.2f}x")
    print(f"round-trip parse / fast parse     {rt / fast:9.1f}x  (why reads use PyYAML)")
    print(f"store.read / read                 {total / read:9.1f}x  (what a parsed-deal cache would save)")


if __name__ == "__main__":
    main()
