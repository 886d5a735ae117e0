"""One TAB of shell completion against ``python -c "import typer"``, the fast path and the
typer path (``PIPE_COMPLETE_FULL=1``) side by side, in one run.

    python benchmarks/completion_bench.py DIR [--repeat 15]

DIR is a pipeline folder (say a copy of one benchmarks/scale.py made) that a command
has already indexed (``pipe -C DIR list >/dev/null``). Each figure is the median wall
time of ``--repeat`` fresh processes; the ratios are to the import of typer measured
in the same run. Not a test: the numbers depend on the machine.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path


def run(cmd: list[str], env: dict[str, str]) -> float:
    t = time.perf_counter()
    subprocess.run(cmd, env={**os.environ, **env}, capture_output=True, check=True)
    return time.perf_counter() - t


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path)
    parser.add_argument("--repeat", type=int, default=15)
    args = parser.parse_args()
    root = args.folder.resolve()
    pipe = shutil.which("pipe")
    if pipe is None:
        sys.exit("pipe is not on the PATH")
    some_id = next(p.stem for p in sorted((root / "deals").glob("*.yaml")))
    requests = {
        "owner (--owner )": f"pipe -C {root} list --owner ",
        "tag (--tag )": f"pipe -C {root} list --tag ",
        "command names (pipe s)": f"pipe -C {root} s",
        "option names (list --)": f"pipe -C {root} list --status open --",
        "deal ids (move X)": f"pipe -C {root} move {some_id[:2]}",
        "stage (move ID )": f"pipe -C {root} move {some_id} ",
    }
    r = args.repeat
    # interleaved, so that load from other work falls on every figure alike
    times: dict[str, list[float]] = {"typer": []}
    for _ in range(r):
        times["typer"].append(run([sys.executable, "-c", "import typer"], {}))
        for name, words in requests.items():
            env = {"_PIPE_COMPLETE": "complete_bash", "COMP_WORDS": words, "COMP_CWORD": str(len(words.split(" ")) - 1)}
            times.setdefault(f"fast {name}", []).append(run([pipe], env))
            times.setdefault(f"typer path {name}", []).append(run([pipe], {**env, "PIPE_COMPLETE_FULL": "1"}))
    base = statistics.median(times["typer"])
    print(f"{'request':<44} {'median s':>9} {'/ import typer':>15}")
    print(f"{'python -c import typer':<44} {base:9.3f} {1.0:14.2f}x")
    for name in requests:
        for path in ("typer path", "fast"):
            t = statistics.median(times[f"{path} {name}"])
            print(f"{path + ' ' + name:<44} {t:9.3f} {t / base:14.2f}x")


if __name__ == "__main__":
    main()
