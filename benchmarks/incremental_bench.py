"""A report after a `git pull` changed 100 deal files, against the warm report plus 100
parses: the figure "after 100 files changed" of ``benchmarks/scale.py``, timed the same way
(each round rewrites 100 files as git does, waits past the racy margin, then times one
`pipe report --format json` in a fresh process), on its own, so that it can be run often.

    python benchmarks/incremental_bench.py PIPELINE [--rounds 5] [--other-src DIR OTHER_PIPELINE]

PIPELINE is a pipeline folder (for example one kept by ``scale.py --keep``); it is changed.
With ``--other-src``, the same is measured in the same run, round by round in turn, for the
`pipecli` package found in DIR (for example an earlier commit's, from ``git archive``) on a
copy of the pipeline of its own (the two index formats may differ), so the two can be
compared under the same load. The 100 parses are timed as PyYAML's CSafeLoader on 1,000 of
the files, in one process, scaled to 100.
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

from scale import touch_some  # the rewrite of scale.py's figure, the same files changed the same way

PARSE = """
import random, sys, time, yaml
from pathlib import Path
files = sorted(Path(sys.argv[1]).glob("*.yaml"))
sample = random.Random(1).sample(files, min(1000, len(files)))
t = time.perf_counter()
for p in sample:
    yaml.load(p.read_text(encoding="utf-8"), Loader=yaml.CSafeLoader)
print((time.perf_counter() - t) / len(sample) * 100)
"""


def report(root: Path, src: Path | None) -> tuple[float, float]:
    """Wall time and CPU time (user + system) of one `pipe report --format json` process:
    the CPU time is the steadier of the two when other work shares the machine."""
    env = dict(os.environ)
    if src is not None:
        env["PYTHONPATH"] = str(src)
    cmd = [sys.executable, "-m", "pipecli", "-C", str(root), "report", "--format", "json"]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.perf_counter()
    subprocess.run(cmd, env=env, cwd=root, capture_output=True, check=True)  # cwd: not this tree's pipecli
    wall = time.perf_counter() - t
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def median2(xs: list[tuple[float, float]]) -> tuple[float, float]:
    return statistics.median(x[0] for x in xs), statistics.median(x[1] for x in xs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("pipeline", type=Path)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--warm", type=int, default=3, help="warm runs, of which the median is taken")
    parser.add_argument("--other-src", nargs=2, metavar=("SRC", "PIPELINE"), type=Path)
    args = parser.parse_args()
    sides: list[tuple[str, Path, Path | None]] = [("this tree", args.pipeline, None)]
    if args.other_src:
        sides.append((f"pipecli from {args.other_src[0]}", args.other_src[1], args.other_src[0]))
    count = sum(1 for _ in (args.pipeline / "deals").glob("*.yaml"))
    parses = float(
        subprocess.run(
            [sys.executable, "-c", PARSE, str(args.pipeline / "deals")], capture_output=True, text=True, check=True
        ).stdout
    )
    warm: dict[str, tuple[float, float]] = {}
    for name, root, src in sides:
        report(root, src)  # brings the index up to date (cold when there is none)
        time.sleep(2.1)
        report(root, src)  # reads again the entries that were racily clean
        warm[name] = median2([report(root, src) for _ in range(args.warm)])
    after: dict[str, list[tuple[float, float]]] = {name: [] for name, _, _ in sides}
    for r in range(args.rounds):
        for name, root, src in sides:
            touch_some(root, 100, random.Random(count * 1000 + r))
            time.sleep(2.1)  # past the racy margin, as a pull a while ago
            after[name].append(report(root, src))
    print(f"{count:,} deals, {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} at the end")
    print(f"100 parses (CSafeLoader, in one process): {parses:.3f} s")
    print("| code | warm report | after 100 changed (median) | / (warm + 100 parses) |")
    print("|---|---|---|---|")
    for name, _, _ in sides:
        for what, i in (("wall", 0), ("CPU", 1)):
            inc = statistics.median(x[i] for x in after[name])
            ratio = inc / (warm[name][i] + parses)
            rounds = " ".join(f"{x[i]:.2f}" for x in after[name])
            print(f"| {name}, {what} | {warm[name][i]:.3f} s | {inc:.3f} s ({rounds}) | {ratio:.2f}x |")


if __name__ == "__main__":
    main()
