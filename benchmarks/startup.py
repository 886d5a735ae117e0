"""Start-up of the one-deal commands and `pipe --help`, against `python -c "import typer"`.

    python benchmarks/startup.py DIR [--repeat 7] [--before SRC]

DIR is a pipeline folder to change (use a copy: `pipe add`, `note`, `next`, `won`, `lost`
and `move` write to it; the deals `bench-startup-*` it adds are removed at the end). Each
round runs `import typer`, then every command once, in a fresh process, so that the load
of the machine falls on all of them alike; each figure is the median of ``--repeat``
rounds, printed with its ratio to `import typer` and the target of docs/performance.md.
``--before SRC`` (a source tree of another version of pipe, e.g. from `git archive`) also
runs each command with that version in every round, and prints its times beside.
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
    parser.add_argument("--before", type=Path, help="a source tree of the version to compare with")
    args = parser.parse_args()
    root: Path = args.dir.resolve()
    pipe = shutil.which("pipe") or "pipe"
    versions = {"": [pipe]}
    if args.before:
        here = (
            'import sys; sys.argv[0] = "pipe"; sys.path.insert(0, sys.argv.pop(1)); '
            "from pipecli.launch import main; main()"
        )
        versions = {"": [sys.executable, "-c", here, str(Path(__file__).resolve().parents[1])]}
        versions["before: "] = [sys.executable, "-c", here, str(args.before.resolve())]
    rng = random.Random(args.seed)
    ids = sorted(p.stem for p in (root / "deals").glob("*.yaml"))
    # open deals, so that won, lost and move change them (a closed deal is refused)
    candidates = rng.sample(ids, min(len(ids), 60 * args.repeat))
    open_ids = [i for i in candidates if "\nstatus: open" in (root / "deals" / f"{i}.yaml").read_text("utf-8")]
    picks = open_ids[: 6 * args.repeat * len(versions)]
    if len(picks) < 6 * args.repeat * len(versions):
        sys.exit(f"{root}: not enough open deals to pick from")
    times: dict[str, list[float]] = {}
    failed: dict[str, int] = {}
    k = 0
    for _ in range(args.repeat):
        t, _ = run([sys.executable, "-c", "import typer"], root)
        times.setdefault("import typer", []).append(t)
        for label, pipe_cmd in versions.items():
            b, c, d, e, f, g = picks[6 * k : 6 * k + 6]
            k += 1
            new_id = f"bench-startup-{k}"
            commands = {
                "add": [*pipe_cmd, "add", f"Startup deal {k}", "--id", new_id, "--value", "1000"],
                "note": [*pipe_cmd, "note", b, "benchmark note", "--at", "2026-11-02"],
                "next": [*pipe_cmd, "next", c, "Call back", "--due", "2026-12-01", "--at", "2026-11-02"],
                "show": [*pipe_cmd, "show", d],
                "won": [*pipe_cmd, "won", e, "--at", "2026-11-03"],
                "lost": [*pipe_cmd, "lost", f, "--reason", "price", "--at", "2026-11-03"],
                "move": [*pipe_cmd, "move", g, "proposal", "--at", "2026-11-03"],
                "--help": [*pipe_cmd, "--help"],
            }
            for name, cmd in commands.items():
                t, status = run(cmd, root)
                if status == 0:
                    times.setdefault(label + name, []).append(t)
                else:  # a deal moved to proposal already: that sample is skipped
                    failed[label + name] = failed.get(label + name, 0) + 1
            (root / "deals" / f"{new_id}.yaml").unlink(missing_ok=True)
    base = statistics.median(times["import typer"])
    print(f"{len(ids)} deals in {root}, median of {args.repeat} rounds")
    print("| figure | time | ratio | target |")
    print("|---|---|---|---|")
    print(f'| `python -c "import typer"` | {base:.3f} s | 1.00x | |')
    for command, target in [(n, "<= 2.0x") for n in ("add", "move", "note", "next", "show", "won", "lost")] + [
        ("--help", "<= 1.5x")
    ]:
        for label in versions:
            name = label + command
            if name not in times:
                print(f"| {label}`pipe {command}` | failed | | {target} |")
                continue
            t = statistics.median(times[name])
            note = f" ({failed[name]} failed)" if name in failed else ""
            print(f"| {label}`pipe {command}`{note} | {t:.3f} s | {t / base:.2f}x | {target} |")


if __name__ == "__main__":
    main()
