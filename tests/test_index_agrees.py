"""Reports, stale lists, listings and the board from the index are exactly those computed from the files,
on random pipelines, whether the index was just built or is read back warm."""

from __future__ import annotations

import os
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

import pytest
from deal_strategies import PIPELINE, T0, deals_with_ids
from hypothesis import given, settings
from hypothesis import strategies as st

from pipecli import index, yamlio
from pipecli.board import Board, board_from_rows, build_board
from pipecli.models import Deal
from pipecli.query import Filters, deal_row, sort_deals
from pipecli.render import OutputFormat, to_json
from pipecli.render import stale as render_stale
from pipecli.render.report import render_report
from pipecli.report import ReportSpec, build_report, report_from_rows
from pipecli.stale import AsOf, find_stale, stale_rows
from pipecli.store import Store, new_deal_text

HOUR_AGO_NS = time.time_ns() - 3600 * 10**9

specs = st.builds(
    lambda day, by, strict, owner, since: ReportSpec(
        as_of=day,
        by=by,
        strict=strict,
        filters=Filters(status=None, owner=owner),
        since=since,
    ),
    st.integers(-3, 140).map(lambda n: T0.date() + timedelta(days=n)),
    st.sampled_from([None, "owner", "source", "tag"]),
    st.booleans(),
    st.sampled_from([None, "anna", "BARTEK"]),
    st.sampled_from([None, date(2026, 1, 20)]),
)
list_filters = st.builds(
    Filters,
    stages=st.sampled_from([(), ("lead",), ("proposal", "closing")]),
    status=st.sampled_from([None, "open", "won", "lost"]),
    owner=st.sampled_from([None, "anna"]),
    tag=st.sampled_from([None, "smb"]),
)


def write_pipeline(root: Path, deals: list[Deal]) -> None:
    (root / "deals").mkdir(parents=True)
    (root / "pipeline.yaml").write_text(yamlio.dump_new(PIPELINE.canonical()), encoding="utf-8")
    for d in deals:
        path = root / "deals" / f"{d.id}.yaml"
        path.write_text(new_deal_text(d), encoding="utf-8")
        os.utime(path, ns=(HOUR_AGO_NS, HOUR_AGO_NS))


Outputs = tuple[str, str, str, Board]


def outputs_from_files(store: Store, spec: ReportSpec, filters: Filters, sort: str) -> Outputs:
    pipeline = store.pipeline
    deals = store.load_all(use_cache=False).deals
    cut = AsOf(spec.cutoff_for(pipeline), spec.as_of)
    listed = sort_deals([d for d in deals if filters.matches(d)], sort, pipeline)
    return (
        render_report(build_report(deals, pipeline, spec), "json"),
        render_stale.listing(find_stale(deals, pipeline, cut), OutputFormat.json),
        to_json([deal_row(d, pipeline) for d in listed]),
        build_board(deals, pipeline, cut, filters=spec.filters, sort="age" if spec.strict else "value"),
    )


def outputs_from_index(store: Store, spec: ReportSpec, filters: Filters, sort: str) -> Outputs:
    pipeline = store.pipeline
    fresh = store.index()
    cut = AsOf(spec.cutoff_for(pipeline), spec.as_of)
    listed = sort_deals([d for d in fresh.views if filters.matches(d)], sort, pipeline)
    return (
        render_report(report_from_rows(fresh.rows_at(spec.cutoff_for(pipeline)), pipeline, spec), "json"),
        render_stale.listing(stale_rows(fresh.rows_at(cut.moment), pipeline, cut), OutputFormat.json),
        to_json([deal_row(d, pipeline) for d in listed]),
        board_from_rows(
            fresh.rows_at(cut.moment), pipeline, cut, filters=spec.filters, sort="age" if spec.strict else "value"
        ),
    )


@pytest.mark.slow
@settings(max_examples=40, deadline=None)
@given(
    deals_with_ids(),
    specs,
    list_filters,
    st.sampled_from(["stage", "-value", "activity", "due", "owner", "created", "title"]),
)
def test_index_and_files_agree(deals: list[Deal], spec: ReportSpec, filters: Filters, sort: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "pipeline"
        write_pipeline(root, deals)
        store = Store(root)
        expected = outputs_from_files(store, spec, filters, sort)
        assert outputs_from_index(store, spec, filters, sort) == expected  # built now
        assert store.state_path("index").is_file()
        # until their stamps are older than the racy margin, entries are read again: wait
        # that long, so that the next run takes every row from the index
        time.sleep(index.RACY_NS / 1e9 + 0.1)
        assert Store(root).index().parsed == len(deals)  # read again, now long after their stamps
        assert Store(root).index().parsed == 0  # every entry trusted: what follows reads no file
        assert outputs_from_index(Store(root), spec, filters, sort) == expected  # read back, warm
