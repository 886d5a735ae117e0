"""Import of the CRM Sales Opportunities sample (8,800 rows): time, and where it goes.

    python benchmarks/import_bench.py [PATH/TO/sales_pipeline.csv]

The file is found as the tests find it (PIPE_SAMPLE_DIR, ../shared/data/...) when
no path is given. Prints wall-clock times and ratios:

* parsing the CSV alone (the floor of any import),
* mapping rows to validated deals (no files),
* the whole `pipe import` in a fresh pipeline, as a process,
* the cost of one new file written by ruamel.yaml's dump_new against the fast
  writer the import uses, and of an fsync per file against one sync at the end,
* a second run of the same import (every row skipped) and one with --update.
"""

from __future__ import annotations

import csv
import os
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import date, datetime
from pathlib import Path

from pipecli import importing, yamlfast, yamlio
from pipecli.models import Pipeline
from pipecli.store import Store, new_deal_data

ARGS = ["--preset", "crm-sales-opportunities", "--default-date", "2017-12-31"]


def find_sample() -> Path:
    if len(sys.argv) > 1:
        return Path(sys.argv[1])
    candidates = []
    if os.environ.get("PIPE_SAMPLE_DIR"):
        candidates.append(Path(os.environ["PIPE_SAMPLE_DIR"]))
    repo = Path(__file__).resolve().parent.parent
    candidates += [
        repo.parent / "shared/data/crm-sales-opportunities",
        Path("/work/shared/data/crm-sales-opportunities"),
    ]
    for c in candidates:
        if (c / "sales_pipeline.csv").is_file():
            return c / "sales_pipeline.csv"
    sys.exit("sales_pipeline.csv not found: pass its path or set PIPE_SAMPLE_DIR")


def timed(fn):  # type: ignore[no-untyped-def]
    t = time.perf_counter()
    result = fn()
    return time.perf_counter() - t, result


def pipe(*args: str) -> subprocess.CompletedProcess[str]:
    exe = Path(sys.executable).with_name("pipe")
    cmd = [str(exe)] if exe.exists() else [shutil.which("pipe") or "pipe"]
    return subprocess.run([*cmd, *args], capture_output=True, text=True, check=True)


def main() -> None:
    sample = find_sample()

    def parse() -> int:
        with open(sample, newline="", encoding="utf-8") as f:
            return sum(1 for _ in csv.reader(f))

    t_csv, n = timed(parse)
    n -= 1
    work = Path(tempfile.mkdtemp(prefix="pipe-bench-"))
    try:
        root = work / "p"
        pipe("init", str(root), "--stages", "prospecting,engaging", "--currency", "USD")
        pipeline: Pipeline = Store.open(root).pipeline

        def convert() -> list:
            header, rows = importing.read_csv(sample)
            options = importing.Options(preset=ARGS[1], default_date=date(2017, 12, 31))
            cmap = importing.resolve(header, options, pipeline)
            plan = importing.plan(
                rows,
                cmap,
                pipeline,
                existing_ids=set(),
                existing_keys={},
                load=lambda _: None,  # type: ignore[arg-type,return-value]
                update=False,
                at=datetime.now().astimezone(),
            )
            return plan.creates

        t_map, deals = timed(convert)
        t_import, out = timed(lambda: pipe("-C", str(root), "import", str(sample), *ARGS))
        t_again, _ = timed(lambda: pipe("-C", str(root), "import", str(sample), *ARGS))
        t_update, _ = timed(lambda: pipe("-C", str(root), "import", str(sample), *ARGS, "--update"))
        t_check, _ = timed(lambda: pipe("-C", str(root), "check"))

        docs = [new_deal_data(d) for d in deals[:1000]]
        t_ruamel, _ = timed(lambda: [yamlio.dump_new(d) for d in docs])
        yamlfast._block.cache_clear()
        t_fast, texts = timed(lambda: [yamlfast.dump(d) for d in docs])

        folder = work / "files"
        folder.mkdir()

        def write(fsync_each: bool) -> None:
            for i, text in enumerate(texts):
                path = folder / f"{fsync_each}-{i}.yaml"
                with open(path, "w", encoding="utf-8") as f:
                    f.write(text)
                    if fsync_each:
                        f.flush()
                        os.fsync(f.fileno())
            if not fsync_each:
                os.sync()

        t_fsync, _ = timed(lambda: write(True))
        t_sync, _ = timed(lambda: write(False))
    finally:
        shutil.rmtree(work, ignore_errors=True)

    per_row = t_import / n
    print(f"rows: {n}  ({out.stdout.strip().split(': ', 1)[-1]})")
    print(f"parse the CSV alone:             {t_csv:7.3f} s")
    print(f"rows -> validated deals:         {t_map:7.3f} s  ({t_map / t_csv:5.1f} x parsing)")
    print(
        f"pipe import (fresh pipeline):    {t_import:7.3f} s  ({t_import / t_csv:5.1f} x parsing; "
        f"{per_row * 1e3:.2f} ms per row; limit 30 s)"
    )
    print(f"pipe import again (all skipped): {t_again:7.3f} s")
    print(f"pipe import --update (no change):{t_update:7.3f} s")
    print(f"pipe check afterwards:           {t_check:7.3f} s")
    print(
        f"1,000 files, ruamel dump_new:    {t_ruamel:7.3f} s;  fast writer {t_fast:.3f} s "
        f"({t_ruamel / t_fast:.1f} x faster, same text)"
    )
    print(
        f"1,000 files, fsync each:         {t_fsync:7.3f} s;  one sync() at the end {t_sync:.3f} s "
        f"({t_fsync / max(t_sync, 1e-9):.1f} x)"
    )


if __name__ == "__main__":
    main()
