"""The cold `pipe report` (no `.pipe/`: every deal file read) against parsing every file with
PyYAML's `CSafeLoader` in one process.

    python benchmarks/cold_bench.py DIR [--repeat 3] [--before SRC]

DIR is a pipeline folder (use a copy: its `.pipe/` is deleted before every cold run). Each
round parses every file with `CSafeLoader`, then runs `rm -rf DIR/.pipe && pipe -C DIR report
--format json` (and the same with the version in SRC, a source tree from `git archive`, with
``--before``), so that each round's load falls on all alike; every report's output must be
the same. Printed: per run its wall time, the CPU time of the process and its workers (user
and system: less disturbed by other work than wall time), and its ratio to the same round's
parse; then the medians. The target (docs/performance.md) is a ratio of at most 0.5.
Not a test: numbers depend on the machine (compare ratios from one run).
"""

from __future__ import annotations

import argparse
import resource
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

from scale import CSAFE  # the same one-process parse that scale.py compares with

HERE = 'import sys; sys.argv[0] = "pipe"; sys.path.insert(0, sys.argv.pop(1)); from pipecli.launch import main; main()'


def children_cpu() -> float:
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    return used.ru_utime + used.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dir", type=Path)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--before", type=Path, help="a source tree of the version to compare with")
    args = parser.parse_args()
    root: Path = args.dir.resolve()
    versions = {"now": [sys.executable, "-c", HERE, str(Path(__file__).resolve().parents[1])]}
    if args.before:
        versions["before"] = [sys.executable, "-c", HERE, str(args.before.resolve())]
    subprocess.run(
        [sys.executable, "-m", "compileall", "-q", *(str(Path(v[3]) / "pipecli") for v in versions.values())]
    )
    parses: list[float] = []
    runs: dict[str, list[tuple[float, float, float]]] = {name: [] for name in versions}
    output: bytes | None = None
    for r in range(args.repeat):
        done = subprocess.run([sys.executable, "-c", CSAFE, str(root / "deals")], capture_output=True, check=True)
        parses.append(float(done.stdout))
        for name, cmd in versions.items():
            shutil.rmtree(root / ".pipe", ignore_errors=True)
            cpu, t = children_cpu(), time.perf_counter()
            done = subprocess.run([*cmd, "-C", str(root), "report", "--format", "json"], capture_output=True)
            wall, cpu = time.perf_counter() - t, children_cpu() - cpu
            if done.returncode not in (0, 1):
                sys.exit(done.stderr.decode("utf-8", "replace")[-2000:])
            if output is None:
                output = done.stdout
            elif done.stdout != output:
                sys.exit(f"round {r}: the report of {name} differs")
            runs[name].append((wall, cpu, wall / parses[-1]))
            print(
                f"round {r}: CSafeLoader {parses[-1]:7.2f} s | {name:6} cold report {wall:7.2f} s, "
                f"CPU {cpu:7.2f} s, ratio {wall / parses[-1]:.2f}x",
                flush=True,
            )
    print(f"\nmedians of {args.repeat} rounds, {root}:")
    print(f"  CSafeLoader parse, one process: {statistics.median(parses):7.2f} s")
    for name, rows in runs.items():
        wall, cpu, ratio = (statistics.median(x[i] for x in rows) for i in range(3))
        print(f"  {name:6} cold report: {wall:7.2f} s, CPU {cpu:7.2f} s, ratio {ratio:.2f}x (target <= 0.5x)")


if __name__ == "__main__":
    main()
