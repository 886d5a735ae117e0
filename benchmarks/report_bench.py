"""How long `pipe report` takes over many deals, and where the time goes.

    python benchmarks/report_bench.py [--deals 10000] [--repeat 3] [--keep DIR]

Generates deals with realistic histories (moves forward and back, skips, wins,
losses, reopens, notes, several currencies) into a temporary pipeline, then times,
after one warm-up run: loading the files, computing the report, rendering it
(table and JSON), and the whole command in a fresh process. Prints the times and
the ratios between them. Not a test: numbers depend on the machine.

    python benchmarks/report_bench.py --period quarter [--since 2024-07-01] [--as-of 2026-06-30] --keep DIR

The `--period` case only: the report per period computed with every boundary's rows asked
for at once (each deal replayed once for all of them: ``Fresh.rows_at_many``,
``digest.rows_at_many``) against the same report with each boundary's rows asked for on its
own (``Fresh.rows_at`` per cut-off, ``digest.row_at`` per deal and cut-off, as `pipe report
--period` did before), from the index and from the files, in one run: the times, the ratio
old/new, and that both JSON outputs are the same bytes. ``--keep DIR`` may name an existing
pipeline of ``--deals`` deal files (it is read, and its ``.pipe/`` index written).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any

from pipecli import actions, yamlio
from pipecli.digest import Row, digest, ladder_of, rows_at
from pipecli.errors import PipeError
from pipecli.fsio import atomic_write
from pipecli.models import Deal, Pipeline
from pipecli.periods import PeriodSpec, RowsAt
from pipecli.query import Filters
from pipecli.render.report import render_report
from pipecli.report import ReportSpec, build_report, report_from_rows
from pipecli.scaffold import init_pipeline
from pipecli.store import Store

AS_OF = date(2026, 6, 30)
START = datetime(2025, 1, 6, 9, 0, tzinfo=timezone(timedelta(hours=1)))
OWNERS = ["anna", "bartek", "chiara", "dario", "ewa", None]
SOURCES = ["web", "referral", "event", "outbound", None]
TAGS = ["smb", "enterprise", "renewal", "asia", "eu"]
REASONS = ["price", "timing", "competitor", "no budget", "ghosted"]
TITLES = ["Zażółć gęślą jaźń", "Caffè Roma", "ร้านกาแฟ เชียงใหม่", "Acme rollout", "Łódź office"]


def random_deal(rng: random.Random, pipeline: Pipeline, n: int) -> Deal:
    stages = pipeline.stage_ids
    at = START + timedelta(hours=rng.randint(0, 24 * 500))
    deal = actions.new_deal(
        pipeline,
        deal_id=f"deal-{n:05d}",
        title=f"{rng.choice(TITLES)} {n}",
        at=at,
        stage=rng.choice(stages[:2]),
        value=Decimal(rng.randrange(500, 80_000, 50)),
        currency=rng.choice(["EUR", "EUR", "EUR", "PLN", "USD"]),
        owner=rng.choice(OWNERS),
        source=rng.choice(SOURCES),
        tags=rng.sample(TAGS, rng.randint(0, 2)),
        close_date=(at + timedelta(days=rng.randint(10, 120))).date() if rng.random() < 0.7 else None,
    )
    for _ in range(rng.randint(0, 8)):
        at += timedelta(hours=rng.randint(2, 24 * 20))
        roll = rng.random()
        try:
            if roll < 0.55:
                i = stages.index(deal.stage) if deal.stage in stages else 0
                step = rng.choice([1, 1, 1, 2, -1])  # mostly on, some skips, some back moves
                deal = actions.move(deal, pipeline, stages[max(0, min(len(stages) - 1, i + step))], at)
            elif roll < 0.65:
                deal = actions.won(deal, at)
            elif roll < 0.75:
                deal = actions.lost(deal, at, rng.choice(REASONS))
            elif roll < 0.8:
                deal = actions.reopen(deal, pipeline, at)
            elif roll < 0.9:
                deal = actions.add_note(deal, at, "Called, they asked for a revised quote.")
            else:
                deal = actions.set_fields(deal, at, [("value", str(rng.randrange(500, 80_000, 50)))])
        except PipeError:
            pass  # e.g. moving a closed deal: skip that step
    return deal


def generate(root: Path, count: int, seed: int) -> None:
    init_pipeline(root, stage_ids=None, currency="EUR", name="Bench")
    store = Store(root)
    pipeline = store.pipeline
    store.deals_dir.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    for n in range(count):
        deal = random_deal(rng, pipeline, n)
        atomic_write(store.deal_path(deal.id), yamlio.dump_new(deal.canonical()))


def timed(fn: Callable[[], Any], repeat: int) -> tuple[float, Any]:
    """The median wall time of ``repeat`` runs (after the warm-up the caller did), and the last result."""
    times, result = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), result


def period_case(root: Path, unit: str, since: date | None, as_of: date, repeat: int, sources: str) -> None:
    """`pipe report --period UNIT`: every boundary's rows at once against each boundary on its own."""
    store = Store(root)
    pipeline = store.pipeline
    spec = ReportSpec(
        as_of=as_of, zone=pipeline.zone, filters=Filters(status=None), periods=PeriodSpec(unit, since=since)
    )
    cutoff = spec.cutoff_for(pipeline)
    store.index()  # built or brought up to date once: every run below reads it warm

    def from_index(each_on_its_own: bool) -> str:
        fresh = store.index()  # a new command's view: no digest decoded yet
        many: RowsAt = fresh.rows_at_many
        if each_on_its_own:
            many = lambda cuts: [fresh.rows_at(c) for c in cuts]  # noqa: E731
        return render_report(report_from_rows(fresh.rows_at(cutoff), pipeline, spec, rows_at=many), "json")

    first = json.loads(from_index(False))
    deals_count, periods_count = first["totals"]["deals"], len(first["periods"])
    print(f"{deals_count} deals, {periods_count} {unit}s to {as_of} (median of {repeat} warm runs)")
    if sources != "files":
        compare("from the index", lambda: from_index(True), lambda: from_index(False), repeat)
    if sources == "index":
        return
    loaded = store.load_all()
    assert not loaded.problems, loaded.problems[:3]
    deals = loaded.deals
    ladder = ladder_of(pipeline.stage_ids)

    def per_boundary() -> str:
        digests = [digest(d) for d in deals]

        def each(cuts: Sequence[datetime]) -> list[list[Row]]:
            return [rows_at(digests, ladder, c) for c in cuts]

        rows = rows_at(digests, ladder, cutoff)
        return render_report(report_from_rows(rows, pipeline, spec, rows_at=each), "json")

    compare("from the files", per_boundary, lambda: render_report(build_report(deals, pipeline, spec), "json"), repeat)


def compare(name: str, old: Callable[[], str], new: Callable[[], str], repeat: int) -> None:
    """Time the report each boundary on its own (``old``) and all at once (``new``): the ratio old/new."""
    same = old() == new()  # also the warm-up
    olds, news = [], []
    for _ in range(repeat):  # in turn, so that the machine's slower minutes fall on both
        olds.append(timed(old, 1)[0])
        news.append(timed(new, 1)[0])
    t_old, t_new = statistics.median(olds), statistics.median(news)
    print(f"  {name}: each boundary on its own {t_old:7.3f} s, all at once {t_new:7.3f} s,", end=" ")
    print(f"old/new {t_old / t_new:5.2f}, the same JSON: {'yes' if same else 'NO'}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--deals", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--keep", type=Path, help="generate into this folder and leave it there")
    parser.add_argument("--period", choices=["week", "month", "quarter", "year"], help="only the --period case")
    parser.add_argument("--since", type=date.fromisoformat, help="with --period: its first period's day")
    parser.add_argument("--as-of", type=date.fromisoformat, default=AS_OF, help="with --period: the report's day")
    parser.add_argument(
        "--from", dest="sources", choices=["index", "files", "both"], default="both", help="with --period: the source"
    )
    args = parser.parse_args()

    root = args.keep or Path(tempfile.mkdtemp(prefix="pipe-bench-")) / "pipeline"
    if not (root / "deals").is_dir() or len(list((root / "deals").glob("*.yaml"))) != args.deals:
        t0 = time.perf_counter()
        generate(root, args.deals, args.seed)
        print(f"generated {args.deals} deals in {time.perf_counter() - t0:.1f} s into {root}")
    try:
        if args.period is not None:
            period_case(root, args.period, args.since, args.as_of, args.repeat, args.sources)
            return
        store = Store(root)
        pipeline = store.pipeline
        # warm start: the files in the page cache, the code imported and compiled
        loaded = store.load_all()
        report = build_report(loaded.deals, pipeline, AS_OF)
        render_report(report, "table")

        t_cold, _ = timed(lambda: Store(root).load_all(use_cache=False), args.repeat)
        t_load, loaded = timed(lambda: Store(root).load_all(), args.repeat)
        deals = loaded.deals
        assert not loaded.problems, loaded.problems[:3]
        t_compute, report = timed(lambda: build_report(deals, pipeline, AS_OF), args.repeat)
        t_by, _ = timed(lambda: build_report(deals, pipeline, ReportSpec(AS_OF, by="owner", strict=True)), args.repeat)
        months = ReportSpec(AS_OF, periods=PeriodSpec("month", since=date(2025, 7, 1)))  # twelve months
        t_months, _ = timed(lambda: build_report(deals, pipeline, months), args.repeat)
        t_table, _ = timed(lambda: render_report(report, "table"), args.repeat)
        t_json, _ = timed(lambda: render_report(report, "json"), args.repeat)

        pipe = shutil.which("pipe", path=str(Path(sys.executable).parent)) or "pipe"
        cmd = [pipe, "-C", str(root), "report", "--as-of", AS_OF.isoformat()]
        env = {**os.environ, "PYTHONIOENCODING": "utf-8"}
        subprocess.run(cmd, capture_output=True, check=True, env=env)  # warm-up
        t_cli, _ = timed(lambda: subprocess.run(cmd, capture_output=True, check=True, env=env), args.repeat)
        by_month = [*cmd, "--period", "month", "--since", "2025-07-01"]
        t_cli_months, _ = timed(lambda: subprocess.run(by_month, capture_output=True, check=True, env=env), args.repeat)
        t_start, _ = timed(lambda: subprocess.run([pipe, "--version"], capture_output=True, check=True), args.repeat)

        n = len(deals)
        t = report.totals
        print(f"deals: {n} ({t.open} open, {t.won} won, {t.lost} lost, {t.back_moves} back moves)")
        print(f"median of {args.repeat} warm runs:")
        print(f"  load, no cache (read+parse+valid) {t_cold:7.3f} s   {t_cold / n * 1e6:7.1f} us/deal")
        print(f"  load, parse cache warm           {t_load:8.3f} s   {t_load / n * 1e6:7.1f} us/deal")
        print(f"  compute report                   {t_compute:8.3f} s   {t_compute / n * 1e6:7.1f} us/deal")
        print(f"  compute with --by owner --strict {t_by:8.3f} s   {t_by / n * 1e6:7.1f} us/deal")
        print(f"  compute 12 months (--period)     {t_months:8.3f} s   {t_months / n * 1e6:7.1f} us/deal")
        print(f"  render table                     {t_table:8.3f} s")
        print(f"  render json                      {t_json:8.3f} s")
        print(f"  `pipe report` in a new process   {t_cli:8.3f} s   (target: under 2 s)")
        print(f"  `pipe report --period month` x12 {t_cli_months:8.3f} s")
        print(f"  `pipe --version` (start-up only) {t_start:8.3f} s")
        print("ratios:")
        print(f"  load without cache / with cache  {t_cold / t_load:8.1f}")
        print(f"  load / compute                   {t_load / t_compute:8.1f}")
        print(f"  compute / render table           {t_compute / t_table:8.1f}")
        print(f"  (load + compute + render) / cli  {(t_load + t_compute + t_table) / t_cli:8.2f}")
        print(f"  start-up / cli                   {t_start / t_cli:8.2f}")
        print(f"  twelve months / one day, compute {t_months / t_compute:8.1f}")
        print(f"  twelve months / one day, cli     {t_cli_months / t_cli:8.1f}")
    finally:
        if args.keep is None:
            shutil.rmtree(root.parent, ignore_errors=True)


if __name__ == "__main__":
    main()
