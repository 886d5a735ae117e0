"""How `pipe` scales: 1,000 to 100,000 deals, every figure against its target, in one run.

    python benchmarks/scale.py --deals 1000 10000 100000 [--repeat 3] [--keep DIR] [--search-only]
                               [--peer-cmd 'node /path/to/dist/main.js']

Generates pipelines with realistic histories (about ten entries per deal: moves
forward and back, skips, wins, losses, reopens, notes, next steps, field changes;
several owners and currencies) and times, each in a fresh process and as the median
of ``--repeat`` runs:

* the floor: reading every deal file's bytes (os.scandir + read) in one process;
* `pipe report` (warm, and --as-of a past day, --by owner, --strict), `pipe stale`, `pipe agenda`,
  a filtered `pipe list`, against the floor;
* cold (no index) against parsing every file with PyYAML's C loader in one process;
* incremental: after 100 files change, against the warm time plus 100 parses;
* one-deal commands, `pipe --help` and a completion request against
  ``python -c "import typer"``;
* the peak memory of the warm report (/usr/bin/time's maximum resident set size);
* `pipe search`: the first one on a warm index (it reads every file for its texts),
  then warm ones against the floor (``--search-only``: just these, the floors and the
  warm report);
* with ``--peer-cmd``: the same pipeline written in the peer's format (a git-based
  CRM whose records are JSON files in ``.forkyou/``), its pipeline report and
  one-record commands side by side with ours.

Prints one table per size and the ratios; not a test: numbers depend on the machine
(quote medians and ratios; other work on the machine makes single runs noisy).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

from pipecli import actions
from pipecli.errors import PipeError
from pipecli.models import Deal, Pipeline
from pipecli.scaffold import init_pipeline
from pipecli.store import Store, new_deal_text

START = datetime(2024, 1, 8, 9, 0, tzinfo=timezone(timedelta(hours=1)))
END = datetime(2026, 10, 30, 18, 0, tzinfo=timezone(timedelta(hours=1)))  # no entry after this
PAST_DAY = date(2026, 6, 30)  # --as-of a past day: deals still moving then are replayed
OWNERS = ["anna", "bartek", "chiara", "dario", "ewa", "fatima", "gosia", "hiroshi", None]
SOURCES = ["web", "referral", "event", "outbound", "partner", None]
TAGS = ["smb", "enterprise", "renewal", "asia", "eu", "pilot", "upsell"]
REASONS = ["price", "timing", "competitor", "no budget", "ghosted"]
CURRENCIES = ["EUR", "EUR", "EUR", "EUR", "PLN", "USD", "GBP", "THB"]
TITLES = ["Zażółć gęślą jaźń", "Caffè Roma", "ร้านกาแฟ เชียงใหม่", "Acme rollout", "Łódź office", "Nordic renewal"]
NOTES = [
    "Called, they asked for a revised quote.",
    "Demo went well; the CFO joins the next call.",
    "Sent the proposal; waiting for legal.",
    "Spoke with procurement about the payment terms.",
]
STEPS = ["Send the revised offer", "Book the demo", "Call the CFO", "Chase legal"]


# -- the pipeline ---------------------------------------------------------------------------
def random_deal(rng: random.Random, pipeline: Pipeline, n: int) -> Deal:
    """One deal with about ten history entries, all before END."""
    stages = pipeline.stage_ids
    span = (END - START).total_seconds() / 3600
    at = START + timedelta(hours=rng.uniform(0, span * 0.97))
    deal = actions.new_deal(
        pipeline,
        deal_id=f"deal-{n:06d}",
        title=f"{rng.choice(TITLES)} {n}",
        at=at.replace(microsecond=0),
        stage=rng.choice(stages[:2]),
        company=f"Company {rng.randrange(5000)}",
        value=Decimal(rng.randrange(500, 80_000, 50)),
        currency=rng.choice(CURRENCIES),
        owner=rng.choice(OWNERS),
        source=rng.choice(SOURCES),
        tags=rng.sample(TAGS, rng.randint(0, 2)),
        close_date=(at + timedelta(days=rng.randint(10, 120))).date() if rng.random() < 0.7 else None,
    )
    for _ in range(rng.randint(6, 13)):
        at += timedelta(hours=rng.randint(2, 24 * 14))
        if at >= END:
            break
        when = at.replace(microsecond=0)
        roll = rng.random()
        try:
            if roll < 0.40:
                i = stages.index(deal.stage) if deal.stage in stages else 0
                step = rng.choice([1, 1, 1, 2, -1])  # mostly on, some skips, some back moves
                deal = actions.move(deal, pipeline, stages[max(0, min(len(stages) - 1, i + step))], when)
            elif roll < 0.47:
                deal = actions.won(deal, when)
            elif roll < 0.54:
                deal = actions.lost(deal, when, rng.choice(REASONS))
            elif roll < 0.58:
                deal = actions.reopen(deal, pipeline, when)
            elif roll < 0.75:
                deal = actions.add_note(deal, when, rng.choice(NOTES))
            elif roll < 0.85:
                due = (at + timedelta(days=rng.randint(-5, 20))).date()
                deal = actions.set_next_step(deal, when, rng.choice(STEPS), due)
            elif roll < 0.93:
                deal = actions.set_fields(deal, when, [("value", str(rng.randrange(500, 80_000, 50)))])
            else:
                deal = actions.set_fields(deal, when, [("owner", rng.choice([o for o in OWNERS if o]))])
        except PipeError:
            pass  # e.g. moving a closed deal: skip that step
    return deal


def _generate_part(root: str, first: int, last: int, seed: int) -> None:
    store = Store(Path(root))
    pipeline = store.pipeline
    for n in range(first, last):
        rng = random.Random(seed * 1_000_003 + n)  # each deal on its own: the same files in any split
        deal = random_deal(rng, pipeline, n)
        with open(store.deal_path(deal.id), "w", encoding="utf-8") as f:
            f.write(new_deal_text(deal))


def generate(root: Path, count: int, seed: int, workers: int = 2) -> None:
    """``count`` deal files in a new pipeline at ``root`` (on ``workers`` processes)."""
    init_pipeline(root, stage_ids=None, currency="EUR", name="Scale")
    (root / "deals").mkdir(parents=True, exist_ok=True)
    bounds = [count * i // workers for i in range(workers + 1)]
    with ProcessPoolExecutor(workers) as pool:
        list(pool.map(_generate_part, [str(root)] * workers, bounds[:-1], bounds[1:], [seed] * workers))


# -- the peer's format -------------------------------------------------------------------------
def write_peer(root: Path, count: int, seed: int) -> None:
    """The same deals in the peer's format: ``.forkyou/config.json``, one JSON file per deal
    in ``deals/`` and one per note in ``activities/`` (it keeps no stage history)."""
    from pipecli.store import Store as _Store

    src = _Store(root.parent / f"pipe-{count}")
    base = root / ".forkyou"
    for sub in ("contacts", "companies", "deals", "activities", "tasks"):
        (base / sub).mkdir(parents=True, exist_ok=True)
    stages = [*src.pipeline.stage_ids, "closed-won", "closed-lost"]
    (base / "config.json").write_text(json.dumps({"stages": stages, "currency": "EUR"}, indent=2) + "\n")
    for deal in src.load_all(use_cache=False).deals:
        stage = {"won": "closed-won", "lost": "closed-lost"}.get(deal.status, deal.stage)
        record = {
            "id": deal.id,
            "title": deal.title,
            "contacts": [],
            "stage": stage,
            "value": float(deal.value) if deal.value is not None else None,
            "currency": deal.currency,
            "probability": 50,
            "created": deal.created.isoformat(),
            "updated": deal.last_activity().isoformat(),
        }
        (base / "deals" / f"{deal.id}.json").write_text(json.dumps(record, indent=2) + "\n")
        for i, note in enumerate(deal.notes):
            activity = {
                "id": f"{deal.id}-{i}",
                "type": "note",
                "subject": note.text[:60],
                "body": note.text,
                "deal": deal.id,
                "date": note.at.isoformat(),
                "created": note.at.isoformat(),
                "updated": note.at.isoformat(),
            }
            (base / "activities" / f"{deal.id}-{i}.json").write_text(json.dumps(activity, indent=2) + "\n")


# -- measuring -------------------------------------------------------------------------------
FLOOR = """
import os, sys, time
t = time.perf_counter()
with os.scandir(sys.argv[1]) as it:
    for e in it:
        if e.name.endswith(".yaml"):
            with open(e.path, "rb") as f:
                f.read()
print(time.perf_counter() - t)
"""
CSAFE = """
import os, sys, time, yaml
t = time.perf_counter()
with os.scandir(sys.argv[1]) as it:
    for e in it:
        if e.name.endswith(".yaml"):
            with open(e.path, encoding="utf-8") as f:
                yaml.load(f.read(), Loader=yaml.CSafeLoader)
print(time.perf_counter() - t)
"""


def run(cmd: Sequence[str], cwd: Path | None = None, env: dict[str, str] | None = None) -> float:
    """Wall time of one process."""
    t = time.perf_counter()
    subprocess.run(list(cmd), cwd=cwd, env={**os.environ, **(env or {})}, capture_output=True, check=True)
    return time.perf_counter() - t


def median_of(fn: Callable[[], float], repeat: int) -> float:
    return statistics.median(fn() for _ in range(repeat))


def inner(script: str, arg: Path, repeat: int) -> float:
    """Median of the time a script measures of itself (no interpreter start-up)."""

    def once() -> float:
        out = subprocess.run([sys.executable, "-c", script, str(arg)], capture_output=True, text=True, check=True)
        return float(out.stdout)

    return median_of(once, repeat)


def peak_mib(cmd: Sequence[str]) -> float:
    out = subprocess.run(["/usr/bin/time", "-f", "%M", *cmd], capture_output=True, text=True, check=True)
    return int(out.stderr.strip().splitlines()[-1]) / 1024


def touch_some(root: Path, n: int, rng: random.Random) -> None:
    """Change ``n`` deal files as a `git pull` would: each rewritten (a new inode), one note longer."""
    files = sorted((root / "deals").glob("*.yaml"))
    for path in rng.sample(files, n):
        text = path.read_text(encoding="utf-8")
        tmp = path.with_name("." + path.name)
        tmp.write_text(text.replace("title: ", "title: Edited ", 1), encoding="utf-8")
        tmp.rename(path)


class Table:
    def __init__(self, size: int) -> None:
        self.size = size
        self.lines: list[tuple[str, str, str, str]] = []

    def add(self, what: str, seconds: float | str, ratio: float | None = None, target: str = "") -> None:
        shown = f"{seconds:8.3f} s" if isinstance(seconds, float) else seconds
        self.lines.append((what, shown, "" if ratio is None else f"{ratio:6.2f}x", target))

    def print(self) -> None:
        print(f"\n## {self.size:,} deals\n")
        print(f"| {'figure':<52} | {'time':>10} | {'ratio':>7} | target |")
        print(f"|{'-' * 54}|{'-' * 12}|{'-' * 9}|--------|")
        for what, shown, ratio, target in self.lines:
            print(f"| {what:<52} | {shown:>10} | {ratio:>7} | {target} |")
        sys.stdout.flush()


def search_figures(table: Table, cli: list[str], root: Path, count: int, floor: float, csafe: float, r: int) -> None:
    """`pipe search` on a warm index: the first one (which reads every file for its texts
    once), then warm ones: a rare query (a few deals), a common one (a sixth of the
    deals, every match written as JSON) and one narrowed by a filter."""
    shutil.rmtree(root / ".pipe" / "search", ignore_errors=True)
    number = count // 2 + 7  # a deal number in a title: the few titles that hold it
    rare = [*cli, "search", f"roma {number}", "--format", "json"]
    first = run_any(rare)
    table.add("first `pipe search` (reads every file) / CSafeLoader", first, first / csafe)
    run_any(rare)  # the entries read within the racy margin are read again once
    time.sleep(2.1)
    run_any(rare)
    for label, cmd in (
        ("warm `pipe search 'roma N'` (a few hits) / floor", rare),
        ("warm `pipe search gesla --owner anna` / floor", [*cli, "search", "gesla", "--owner", "anna"]),
        ("warm `pipe search caffe -f json` (1/6 hit) / floor", [*cli, "search", "caffe", "--format", "json"]),
    ):
        t = median_of(lambda cmd=cmd: run_any(cmd), r)
        table.add(label, t, t / floor, "<= 1.0x")
    mib = peak_mib_any(rare)
    table.add("peak memory of the warm rare search", f"{mib:.0f} MiB", None, "< 300 MiB")


def run_any(cmd: Sequence[str]) -> float:
    """Wall time of one process that may exit 1 (a search that found nothing)."""
    t = time.perf_counter()
    done = subprocess.run(list(cmd), capture_output=True)
    if done.returncode not in (0, 1):
        raise subprocess.CalledProcessError(done.returncode, cmd, done.stdout, done.stderr)
    return time.perf_counter() - t


def peak_mib_any(cmd: Sequence[str]) -> float:
    out = subprocess.run(["/usr/bin/time", "-f", "%M", *cmd], capture_output=True, text=True)
    return int(out.stderr.strip().splitlines()[-1]) / 1024


def measure(base: Path, count: int, args: argparse.Namespace) -> None:
    root = base / f"pipe-{count}"
    for extra in (root / "deals").glob("bench-added-*.yaml"):
        extra.unlink()
    if not (root / "deals").is_dir() or sum(1 for _ in (root / "deals").glob("*.yaml")) != count:
        shutil.rmtree(root, ignore_errors=True)
        t0 = time.perf_counter()
        generate(root, count, args.seed)
        print(f"generated {count:,} deals in {time.perf_counter() - t0:.0f} s into {root}", flush=True)
    pipe = shutil.which("pipe", path=str(Path(sys.executable).parent)) or "pipe"
    cli = [pipe, "-C", str(root)]
    deals_dir = root / "deals"
    r = args.repeat
    table = Table(count)

    floor = inner(FLOOR, deals_dir, r)
    table.add("floor: scandir + read every file (in-process)", floor, 1.0)
    csafe = inner(CSAFE, deals_dir, max(1, r if count <= 10_000 else 1))
    table.add("PyYAML CSafeLoader, every file, one process", csafe, csafe / floor)

    report = [*cli, "report", "--format", "json"]
    colds = []
    for _ in range(args.cold_repeat):
        shutil.rmtree(root / ".pipe", ignore_errors=True)
        colds.append(run(report))
    cold = statistics.median(colds)
    table.add("cold `pipe report` (no index) / CSafeLoader parse", cold, cold / csafe, "<= 0.5x")
    run(report)  # the first warm run reads again the entries that were racily clean
    warm = median_of(lambda: run(report), r)
    table.add("warm `pipe report --format json` / floor", warm, warm / floor, "<= 1.0x")
    if args.search_only:
        search_figures(table, cli, root, count, floor, csafe, r)
        table.print()
        return
    for label, extra in (
        ("warm report --as-of a past day / floor", ["--as-of", PAST_DAY.isoformat()]),
        ("warm report --by owner / floor", ["--by", "owner"]),
        ("warm report --strict / floor", ["--strict"]),
    ):
        t = median_of(lambda extra=extra: run([*report, *extra]), r)
        table.add(label, t, t / floor, "<= 1.0x")
    stale = median_of(lambda: run([*cli, "stale", "--format", "json"]), r)
    table.add("warm `pipe stale` / floor", stale, stale / floor, "<= 1.0x")
    agenda = median_of(lambda: run([*cli, "agenda", "--owner", "anna", "--format", "json"]), r)
    table.add("warm `pipe agenda --owner anna` / floor", agenda, agenda / floor, "<= 1.0x")
    listed = median_of(lambda: run([*cli, "list", "--owner", "anna", "--status", "all"]), r)
    table.add("warm `pipe list --owner anna --status all` / floor", listed, listed / floor, "<= 1.0x")
    listed2 = median_of(lambda: run([*cli, "list", "--stage", "proposal", "--format", "csv"]), r)
    table.add("warm `pipe list --stage proposal -f csv` / floor", listed2, listed2 / floor, "<= 1.0x")
    mib = peak_mib(report)
    table.add("peak memory of the warm report", f"{mib:.0f} MiB", None, "< 300 MiB")
    search_figures(table, cli, root, count, floor, csafe, r)

    rng = random.Random(count)
    hundred = csafe / count * 100
    incs = []
    for _ in range(r):
        touch_some(root, 100, rng)
        time.sleep(2.1)  # past the racy margin, as a pull a while ago
        incs.append(run(report))
    inc = statistics.median(incs)
    table.add("after 100 files changed / (warm + 100 parses)", inc, inc / (warm + hundred), "about 1x")

    typer_t = median_of(lambda: run([sys.executable, "-c", "import typer"]), r)
    table.add('`python -c "import typer"`', typer_t, 1.0)
    ids = sorted(p.stem for p in deals_dir.glob("*.yaml"))
    picks = rng.sample(ids, 6 * r)
    one: dict[str, list[float]] = {}
    for i in range(r):
        b, c, d, e, f, g = picks[6 * i : 6 * i + 6]
        for name, cmd in (
            ("add", [*cli, "add", f"Bench deal {i}", "--id", f"bench-added-{i}", "--value", "1000"]),
            ("note", [*cli, "note", b, "benchmark note", "--at", "2026-11-02"]),
            ("next", [*cli, "next", c, "Call back", "--due", "2026-12-01", "--at", "2026-11-02"]),
            ("show", [*cli, "show", d]),
            ("won", [*cli, "won", e, "--at", "2026-11-03"]),
            ("lost", [*cli, "lost", f, "--reason", "price", "--at", "2026-11-03"]),
            ("move", [*cli, "move", g, "proposal", "--at", "2026-11-03"]),
        ):
            # a closed deal cannot be moved or closed again: that sample is skipped
            with contextlib.suppress(subprocess.CalledProcessError):
                one.setdefault(name, []).append(run(cmd))
    for i in range(r):  # the pipeline keeps its size for the next run
        (deals_dir / f"bench-added-{i}.yaml").unlink(missing_ok=True)
    for name in ("add", "move", "note", "next", "show", "won", "lost"):
        if one.get(name):
            t = statistics.median(one[name])
            table.add(f"`pipe {name}` (one deal) / import typer", t, t / typer_t, "<= 2.0x")
    helpt = median_of(lambda: run([pipe, "--help"]), r)
    table.add("`pipe --help` / import typer", helpt, helpt / typer_t, "<= 1.5x")
    comp = {"_PIPE_COMPLETE": "complete_bash", "COMP_WORDS": f"pipe -C {root} list --owner ", "COMP_CWORD": "5"}
    compt = median_of(lambda: run([pipe], env=comp), r)
    table.add("completion of --owner (one TAB) / import typer", compt, compt / typer_t, "<= 1.5x")

    if args.peer_cmd:
        peer = shlex.split(args.peer_cmd)
        proot = base / f"peer-{count}"
        if not (proot / ".forkyou" / "deals").is_dir():
            write_peer(proot, count, args.seed)
        ptime = median_of(lambda: run([*peer, "--json", "pipeline"], cwd=proot), r)
        table.add("peer: `pipeline --json`", ptime, None)
        table.add("peer pipeline / our warm report (how much faster we are)", "", ptime / warm, ">= 10x")
        # ids the peer's command line cannot take for an option (deals it added may start with -)
        pids = sorted(p.stem for p in (proot / ".forkyou" / "deals").glob("*.json") if not p.stem.startswith("-"))
        pone: dict[str, list[float]] = {}
        for i in range(r):
            x, y = pids[i], pids[-1 - i]
            for name, cmd in (
                ("deal add", [*peer, "deal", "add", "--title", f"Bench {i}", "--value", "1000"]),
                ("deal move", [*peer, "deal", "move", x, "proposal"]),
                ("activity add (note)", [*peer, "activity", "add", "--type", "note", "--subject", "n", "--deal", y]),
                ("deal show", [*peer, "deal", "show", y]),
            ):
                pone.setdefault(name, []).append(run(cmd, cwd=proot))
        ours = statistics.median(t for v in one.values() for t in v)
        theirs = statistics.median(t for v in pone.values() for t in v)
        for name, ts in pone.items():
            table.add(f"peer: `{name}`", statistics.median(ts), None)
        table.add("our one-deal commands / the peer's (medians)", ours, ours / theirs, "<= 1.0x")
    table.print()


def machine() -> str:
    cpu = "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    return f"{os.cpu_count()} cores ({cpu}), Python {sys.version.split()[0]}, load average {load:.1f} at the start"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--deals", type=int, nargs="+", default=[1000, 10_000, 100_000])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--cold-repeat", type=int, default=1)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--keep", type=Path, help="generate into this folder and leave it there (reused next time)")
    parser.add_argument("--peer-cmd", help="the peer's command, e.g. 'node /path/to/dist/main.js'")
    parser.add_argument(
        "--search-only", action="store_true", help="only the floors, the warm report and the `pipe search` figures"
    )
    args = parser.parse_args()
    # an installed package has its bytecode compiled (pip does it); a checkout installed in
    # editable mode may not, and under PYTHONDONTWRITEBYTECODE every run would compile anew
    import compileall

    import pipecli

    compileall.compile_dir(Path(pipecli.__file__).parent, quiet=1)
    base = args.keep or Path(tempfile.mkdtemp(prefix="pipe-scale-"))
    print(f"# benchmarks/scale.py --deals {' '.join(map(str, args.deals))}\n\n{machine()}")
    try:
        for count in args.deals:
            measure(base, count, args)
    finally:
        if args.keep is None:
            shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
