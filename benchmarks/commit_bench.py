"""What auto-commit costs a command: `pipe note` in a pipeline inside a git work tree
against the same pipeline outside one, and `pipe import` of many deals in both.

    python benchmarks/commit_bench.py [--notes 20] [--deals 2000] [--dir FOLDER]

Runs the installed `pipe` as a real process, as people do. In git each command also
registers nothing (done once), reads git's configuration once and makes one commit
through a temporary index (about ten short git processes). Prints the median time per
note, the import times, and the ratios. The machine's other work makes single timings
noisy: compare ratios, and run it more than once.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PIPE = str(Path(sys.executable).with_name("pipe"))


def run(*args: str, cwd: Path | None = None) -> None:
    subprocess.run(args, cwd=cwd, check=True, capture_output=True)


def pipeline(folder: Path, *, git: bool) -> Path:
    root = folder / ("in-git" if git else "plain")
    run(PIPE, "init", str(root), *(["--git"] if git else []))
    return root


def notes(root: Path, n: int) -> float:
    run(PIPE, "-C", str(root), "add", "Benchmark deal", "--id", "bench", "--at", "2026-01-01")
    times = []
    for i in range(n):
        start = time.perf_counter()
        run(PIPE, "-C", str(root), "note", "bench", f"note {i}", "--at", f"2026-01-02T{i % 24:02d}:00")
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def import_time(root: Path, csv_path: Path) -> float:
    start = time.perf_counter()
    run(PIPE, "-C", str(root), "import", str(csv_path))
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--notes", type=int, default=20)
    parser.add_argument("--deals", type=int, default=2000)
    parser.add_argument("--dir", type=Path, default=None)
    args = parser.parse_args()
    env = {
        "GIT_AUTHOR_NAME": "Bench",
        "GIT_AUTHOR_EMAIL": "bench@example.com",
        "GIT_COMMITTER_NAME": "Bench",
        "GIT_COMMITTER_EMAIL": "bench@example.com",
    }
    os.environ.update({k: os.environ.get(k, v) for k, v in env.items()})
    folder = Path(tempfile.mkdtemp(prefix="pipe-commit-bench-", dir=args.dir))
    try:
        csv_path = folder / "deals.csv"
        rows = "".join(f"Deal {i},{1000 + i},2026-01-01\n" for i in range(args.deals))
        csv_path.write_text("title,value,created\n" + rows, encoding="utf-8")
        plain, in_git = pipeline(folder, git=False), pipeline(folder, git=True)
        note_plain, note_git = notes(plain, args.notes), notes(in_git, args.notes)
        import_plain, import_git = import_time(plain, csv_path), import_time(in_git, csv_path)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    ms = (note_plain * 1000, note_git * 1000)
    print(f"pipe note, median of {args.notes}:  outside git {ms[0]:7.1f} ms   in git {ms[1]:7.1f} ms")
    print(f"  ratio in git / outside: {note_git / note_plain:.2f}")
    print(f"pipe import of {args.deals} deals: outside git {import_plain:7.2f} s    in git {import_git:7.2f} s")
    print(f"  ratio in git / outside: {import_git / import_plain:.2f}")


if __name__ == "__main__":
    main()
