"""Start-up of the one-deal commands and `pipe --help`, against `python -c "import typer"`.

    python benchmarks/startup.py DIR [--repeat 7]

DIR is a pipeline folder to change (use a copy: `pipe add`, `note`, `next`, `won`, `lost`
and `move` write to it; the deals `bench-startup-*` it adds are removed at the end). Each
round runs `import typer`, then every command once, in a fresh process, so that the load
of the machine falls on all of them alike; each figure is the median of ``--repeat``
rounds, printed with its ratio to `import typer` and the target of docs/performance.md.
Not a test: numbers depend on the machine (compare ratios from one run).
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path


def run(cmd: list[str], cwd: Path) -> tuple[float, int]:
    """Wall time and exit status of one process."""
    t = time.perf_counter()
    done = subprocess.run(cmd, cwd=cwd, capture_output=True, env=os.environ)
    return time.perf_counter() - t, done.returncode


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dir", type=Path)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    root: Path = args.dir.resolve()
    pipe = shutil.which("pipe") or "pipe"
    rng = random.Random(args.seed)
    ids = sorted(p.stem for p in (root / "deals").glob("deal-*.yaml"))
    if len(ids) < 6 * args.repeat:
        ids = sorted(p.stem for p in (root / "deals").glob("*.yaml"))
    picks = rng.sample(ids, 6 * args.repeat)
    times: dict[str, list[float]] = {}
    failed: dict[str, int] = {}
    for i in range(args.repeat):
        b, c, d, e, f, g = picks[6 * i : 6 * i + 6]
        commands = {
            "import typer": [sys.executable, "-c", "import typer"],
            "add": [pipe, "add", f"Startup deal {i}", "--id", f"bench-startup-{i}", "--value", "1000"],
            "note": [pipe, "note", b, "benchmark note", "--at", "2026-11-02"],
            "next": [pipe, "next", c, "Call back", "--due", "2026-12-01", "--at", "2026-11-02"],
            "show": [pipe, "show", d],
            "won": [pipe, "won", e, "--at", "2026-11-03"],
            "lost": [pipe, "lost", f, "--reason", "price", "--at", "2026-11-03"],
            "move": [pipe, "move", g, "proposal", "--at", "2026-11-03"],
            "--help": [pipe, "--help"],
        }
        for name, cmd in commands.items():
            t, status = run(cmd, root)
            if status == 0:
                times.setdefault(name, []).append(t)
            else:  # a closed deal cannot be moved or closed again: that sample is skipped
                failed[name] = failed.get(name, 0) + 1
    for i in range(args.repeat):
        (root / "deals" / f"bench-startup-{i}.yaml").unlink(missing_ok=True)
    base = statistics.median(times["import typer"])
    print(f"{len(ids)} deals in {root}, median of {args.repeat} rounds")
    print("| figure | time | ratio | target |")
    print("|---|---|---|---|")
    print(f'| `python -c "import typer"` | {base:.3f} s | 1.00x | |')
    for name, target in [(n, "<= 2.0x") for n in ("add", "move", "note", "next", "show", "won", "lost")] + [
        ("--help", "<= 1.5x")
    ]:
        if name not in times:
            print(f"| `pipe {name}` | failed | | {target} |")
            continue
        t = statistics.median(times[name])
        note = f" ({failed[name]} failed)" if name in failed else ""
        print(f"| `pipe {name}`{note} | {t:.3f} s | {t / base:.2f}x | {target} |")


if __name__ == "__main__":
    main()
