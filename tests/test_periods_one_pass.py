"""`pipe report --period` asks for the rows at every period boundary at once, and each deal is
replayed once for all of them: the figures are exactly those of the rows taken at each boundary
on its own (``digest.row_at`` per deal and cut-off), from the files and through the index."""

from __future__ import annotations

import tempfile
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from deal_strategies import T0, deals_with_ids
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_index_agrees import write_pipeline

from pipecli.digest import Digest, Row, digest, ladder_of, rows_at
from pipecli.models import Deal, Pipeline
from pipecli.periods import PeriodSpec
from pipecli.query import Filters
from pipecli.render.report import render_report
from pipecli.report import ReportSpec, build_report, report_from_rows
from pipecli.store import Store
from pipecli.timeutil import end_of_day

UNITS = st.sampled_from(["week", "month", "quarter"])
DAYS = st.integers(-3, 140).map(lambda n: T0.date() + timedelta(days=n))


def per_boundary(deals: Sequence[Deal], pipeline: Pipeline, spec: ReportSpec) -> str:
    """The report's JSON with the rows at each cut-off computed on their own: every deal's
    ``row_at`` at that one cut-off, one cut-off after another."""
    ladder = ladder_of(pipeline.stage_ids)
    digests: list[Digest] = [digest(d) for d in deals]
    asked: list[datetime] = []

    def each(cuts: Sequence[datetime]) -> list[list[Row]]:
        asked.extend(cuts)
        return [rows_at(digests, ladder, c) for c in cuts]

    rows = rows_at(digests, ladder, spec.cutoff_for(pipeline))
    text = render_report(report_from_rows(rows, pipeline, spec, rows_at=each), "json")
    assert len(asked) == len(set(asked))  # every cut-off asked for once
    return text


@settings(max_examples=60, deadline=None)
@given(deals_with_ids(), DAYS, UNITS, st.sampled_from([None, "anna"]), st.booleans())
def test_the_report_from_files_gives_the_figures_of_each_boundary_on_its_own(
    drawn: list[Deal], day: date, unit: str, owner: str | None, strict: bool
) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "pipeline"
        write_pipeline(root, drawn)
        store = Store(root)
        pipeline = store.pipeline
        deals = store.load_all(use_cache=False).deals
        spec = ReportSpec(
            as_of=day,
            filters=Filters(status=None, owner=owner),
            strict=strict,
            periods=PeriodSpec(unit, since=date(2026, 1, 1)),
        )
        expected = per_boundary(deals, pipeline, spec)
        assert render_report(build_report(deals, pipeline, spec), "json") == expected
        fresh = store.index()
        rows = fresh.rows_at(spec.cutoff_for(pipeline))
        assert render_report(report_from_rows(rows, pipeline, spec, rows_at=fresh.rows_at_many), "json") == expected


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(deals_with_ids(), DAYS)
def test_pipe_report_by_month_prints_the_figures_of_each_boundary_on_its_own(
    run_pipe: Any, drawn: list[Deal], day: date
) -> None:
    """The installed `pipe`, through its index, against the rows taken at each month's start
    and end on their own from the files."""
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "pipeline"
        write_pipeline(root, drawn)
        store = Store(root)
        pipeline = store.pipeline
        args = ["-C", str(root), "report", "--period", "month", "--since", "2026-01-01", "--as-of", day.isoformat()]
        for _ in range(2):  # the index built, then read back warm
            r = run_pipe(*args, "--format", "json")
            loaded = store.load_all(use_cache=False)
            # a file pipe warns of (a history out of time order) is counted, named, and exits 1
            assert r.returncode == (1 if loaded.problems else 0), r.stderr
            assert len(r.stderr.splitlines()) == len(loaded.problems)
            spec = ReportSpec(
                as_of=day,
                cutoff=end_of_day(day, pipeline.zone),
                zone=pipeline.zone,
                filters=Filters(status=None),
                periods=PeriodSpec("month", since=date(2026, 1, 1)),
            )
            expected = per_boundary(loaded.deals, pipeline, spec)
            assert r.stdout.rstrip("\n") == expected.rstrip("\n")
            assert '"periods": [' in r.stdout
