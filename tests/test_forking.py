"""Work done ahead in a forked child (``forking.ahead``), and the report figures that use it:
the same result whether the child does the work or this process does."""

from __future__ import annotations

import os
import time
from datetime import timedelta

import pytest
from deal_strategies import PIPELINE, T0, deals_with_ids
from hypothesis import given, settings
from hypothesis import strategies as st

from pipecli import forking, report
from pipecli.render.report import render_report
from pipecli.report import ReportSpec, build_report


def test_the_child_does_the_work_and_sends_it_back() -> None:
    assert forking.may_fork()
    parent = os.getpid()
    result = forking.ahead(lambda: (os.getpid(), [n * n for n in range(5)]))
    pid, squares = result()
    assert pid != parent  # worked out in the child
    assert squares == [0, 1, 4, 9, 16]


def test_without_a_child_the_work_is_done_when_asked_for() -> None:
    parent = os.getpid()
    assert forking.ahead(lambda: os.getpid(), worth=False)() == parent


def test_a_result_that_cannot_be_sent_back_is_worked_out_here() -> None:
    parent = os.getpid()
    result = forking.ahead(lambda: (os.getpid(), lambda: "a function does not pickle"))
    pid, made = result()
    assert pid == parent
    assert made() == "a function does not pickle"


def test_an_error_in_the_work_is_raised_here() -> None:
    def work() -> int:
        raise ValueError("no such stage 'nowhere'")

    result = forking.ahead(work)
    with pytest.raises(ValueError, match="no such stage 'nowhere'"):
        result()


def test_work_no_longer_wanted_is_cancelled(tmp_path) -> None:
    started = tmp_path / "started"

    def work() -> int:
        started.write_text(str(os.getpid()), encoding="utf-8")
        time.sleep(60)
        return 1

    pending = forking.ahead(work)
    deadline = time.monotonic() + 20
    while not (started.exists() and started.read_text(encoding="utf-8")) and time.monotonic() < deadline:
        time.sleep(0.01)
    child = int(started.read_text(encoding="utf-8"))
    pending.cancel()
    with pytest.raises(ProcessLookupError):  # ended and reaped
        os.kill(child, 0)


specs = st.builds(
    lambda day, by, strict, calibration: ReportSpec(as_of=day, by=by, strict=strict, calibration=calibration),
    st.integers(-3, 140).map(lambda n: T0.date() + timedelta(days=n)),
    st.sampled_from([None, "owner", "source", "tag"]),
    st.booleans(),
    st.booleans(),
)


@settings(max_examples=40, deadline=None)
@given(deals=deals_with_ids(8), spec=specs)
def test_a_report_is_the_same_when_a_child_works_out_half_of_it(deals, spec) -> None:
    alone = render_report(build_report(deals, PIPELINE, spec), "json")
    before = report.FIGURES_PARALLEL_FROM
    report.FIGURES_PARALLEL_FROM = 1  # every report shared with a child
    try:
        shared = render_report(build_report(deals, PIPELINE, spec), "json")
    finally:
        report.FIGURES_PARALLEL_FROM = before
    assert shared == alone
