"""The reliability figures of docs/reliability.md, at sizes the test suite can afford.

Quick runs are in the normal suite; the long ones are marked slow (CI runs them too).
PIPE_RELIABILITY_SCALE=N multiplies every count for a longer run; `python
tests/reliability.py ...` prints the figures themselves.
"""

from __future__ import annotations

import pytest
import reliability
from reliability import SCALE


def assert_none_failed(tally: reliability.Tally, at_least: int) -> None:
    assert tally.cases >= at_least, str(tally)
    assert tally.failures == [], "\n".join(tally.failures[:20])


def test_generated_files_quick() -> None:
    assert_none_failed(reliability.run_files(250 * SCALE), 250 * SCALE)


def test_paths_and_symlinks() -> None:
    assert_none_failed(reliability.run_paths(), 100)


@pytest.mark.slow
def test_generated_files() -> None:
    assert_none_failed(reliability.run_files(2000 * SCALE), 2000 * SCALE)


@pytest.mark.slow
def test_hostile_writes() -> None:
    assert_none_failed(reliability.run_writes(150 * SCALE), 150 * SCALE)


@pytest.mark.slow
def test_kill_during_writes() -> None:
    assert_none_failed(reliability.run_kills(12 * SCALE, seed=SCALE), 12 * SCALE)


@pytest.mark.slow
def test_concurrent_writers_with_readers() -> None:
    assert_none_failed(reliability.run_concurrency(8, 6 * SCALE), 48 * SCALE)
