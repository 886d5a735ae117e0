"""A deal's digest and its row at a cut-off say what the deal itself says: the same stage,
status and field values as ``Deal.as_of`` and ``snapshot``, and the same after a trip
through the index's plain form."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from deal_strategies import PIPELINE, command_deals, cutoffs, hand_written_deals
from hypothesis import given, settings
from hypothesis import strategies as st

from pipecli import stale
from pipecli.digest import (
    Change,
    _recorded,
    _validated,
    at,
    cut_replay,
    days,
    digest,
    from_plain,
    ladder_of,
    micros,
    row_at,
    row_at_many,
    to_plain,
)
from pipecli.history import replay
from pipecli.models import TRACKED_FIELDS, Deal
from pipecli.snapshot import snapshot

LADDER = ladder_of(PIPELINE.stage_ids)
any_deal = st.one_of(command_deals(), hand_written_deals())


def _stage_days(snap, cutoff: datetime) -> tuple[dict[str, float], tuple[str, float] | None]:
    """What report.time_in_stage read of a snapshot before rows: days per stage left, and the running one."""
    per_stage: dict[str, float] = {}
    for stay in snap.stays:
        per_stage[stay.stage] = per_stage.get(stay.stage, 0.0) + stay.days(cutoff)
    last = snap.stays[-1] if snap.stays else None
    sitting = last.stage if last is not None and last.left is None else None
    running = (sitting, per_stage.pop(sitting)) if sitting is not None else None
    return per_stage, running


@settings(max_examples=300, deadline=None)
@given(any_deal, cutoffs)
def test_a_row_is_the_snapshot_of_the_deal(deal: Deal, cutoff: datetime) -> None:
    snap = snapshot(deal, PIPELINE, cutoff)
    row = row_at(digest(deal), LADDER, cutoff)
    if snap is None:
        assert row is None
        return
    assert row is not None
    past = snap.past
    assert (row.stage, row.status) == (snap.stage, snap.status)
    assert (row.furthest, row.ordered, row.back_moves) == (snap.furthest(), snap.ordered_furthest(), snap.back_moves)
    assert (row.value, row.currency or PIPELINE.currency, row.probability) == (
        snap.value,
        snap.currency,
        snap.probability,
    )
    assert (row.owner, row.source, row.tags, row.close_date) == (snap.owner, snap.source, snap.tags, snap.close_date)
    assert row.lost_reason == snap.lost_reason
    assert (row.title, row.company) == (past.title, past.company)
    assert row.created == micros(snap.created)
    won = snap.won_at if snap.status == "won" else None
    assert row.cycle == (days(micros(snap.created), micros(won)) if won is not None else None)
    finished, running = _stage_days(snap, cutoff)
    ladder = PIPELINE.stage_ids
    assert {ladder[i]: d for i, d in enumerate(row.stage_days) if d is not None} == {
        s: d for s, d in finished.items() if s in ladder
    }
    if running is None or running[0] not in ladder:
        assert row.sitting is None
    else:
        assert row.sitting is not None
        position, earlier, entered = row.sitting
        assert (ladder[position], earlier + days(entered, micros(cutoff))) == running
    last = stale.last_activity(past, cutoff)
    assert at(row.last_activity, row.last_offset).isoformat() == last.isoformat()
    assert at(row.last_activity, row.last_offset) == last
    step = past.next_step
    assert row.next_step == ((step.text, step.due) if step else None)
    assert row.snooze == ((past.snooze.until, past.snooze.reason) if past.snooze else None)


@settings(max_examples=300, deadline=None)
@given(any_deal, st.one_of(st.none(), cutoffs))
def test_the_plain_form_gives_the_same_rows(deal: Deal, cutoff: datetime | None) -> None:
    dg = digest(deal)
    back = from_plain(json.loads(json.dumps(to_plain(dg))))
    assert row_at(back, LADDER, cutoff) == row_at(dg, LADDER, cutoff)
    assert back.last_activity() == deal.last_activity()


@settings(max_examples=200, deadline=None)
@given(any_deal, cutoffs)
def test_a_cut_off_after_the_last_entry_gives_the_settled_row(deal: Deal, cutoff: datetime) -> None:
    settled = row_at(digest(deal), LADDER, None)
    assert settled is not None
    if settled.settled < micros(cutoff):
        assert row_at(digest(deal), LADDER, cutoff) == settled


@st.composite
def deal_and_cut_offs(draw: st.DrawFn) -> tuple[Deal, list[datetime | None]]:
    """A deal and cut-offs in any order, repeated, None among them, some at the very moment
    of its creation, an entry or a note (a cut-off excludes what happens at it)."""
    deal = draw(any_deal)
    own = [deal.created, *(h.at for h in deal.history), *(n.at for n in deal.notes)]
    one = st.one_of(st.none(), cutoffs, st.sampled_from(own), st.sampled_from(own).map(lambda t: t + MICRO))
    return deal, draw(st.lists(one, min_size=2, max_size=12))  # one alone takes row_at itself


MICRO = timedelta(microseconds=1)


@settings(max_examples=400, deadline=None)
@given(deal_and_cut_offs())
def test_rows_at_many_cut_offs_are_the_rows_at_each(case: tuple[Deal, list[datetime | None]]) -> None:
    deal, cuts = case
    dg = digest(deal)
    many = row_at_many(dg, LADDER, cuts)
    each = [row_at(dg, LADDER, c) for c in cuts]
    assert many == each
    assert [repr(r) for r in many] == [repr(r) for r in each]  # the same values written the same way


@settings(max_examples=400, deadline=None)
@given(deal_and_cut_offs())
def test_the_replay_to_a_cut_off_is_the_first_part_of_the_whole(case: tuple[Deal, list[datetime | None]]) -> None:
    deal, cuts = case
    dg = digest(deal)
    whole = replay(dg)
    for c in cuts:
        if c is not None and c > dg.created:
            assert cut_replay(whole, c) == replay(dg, c)


# -- a recorded value is read once and remembered: the same answer every time ----------------
def _fresh_changes(deal: Deal) -> tuple[Change, ...]:
    """The digest's changes with every recorded value validated anew (nothing remembered)."""
    return tuple(
        Change(h.at, h.field, *_validated(deal, h.field, h.from_))
        for h in deal.history
        if h.event == "changed" and h.field in TRACKED_FIELDS
    )


raw_values = st.one_of(
    st.sampled_from([1, 1.0, True, False, 0, 0.0, -0.0, "1", "1.0", "1.00", "", " ", "x", None, -5, 0.5, 1e400]),
    st.sampled_from([Decimal("1.0"), Decimal("1.00"), Decimal("-0"), Decimal("12000"), Decimal("NaN")]),
    st.sampled_from(["2026-02-30", "2026-06-30", "EUR", "eur", "usd", "XYZ", "a,b", "12,000.50", "8500.50"]),
    st.lists(st.sampled_from(["a", "b", 1, None, 1.0]), max_size=3),
    st.dictionaries(
        st.sampled_from(["text", "due", "until", "reason", "x"]), st.sampled_from(["a", "2026-06-30", 3, None])
    ),
    st.text(max_size=4),
)


@settings(max_examples=400, deadline=None)
@given(any_deal, st.lists(st.tuples(st.sampled_from(sorted(TRACKED_FIELDS)), raw_values), max_size=12))
def test_a_remembered_value_reads_as_the_model_reads_it(deal: Deal, trials: list[tuple[str, object]]) -> None:
    for field, raw in trials * 2:  # the second time from memory
        assert repr(_recorded(deal, field, raw)) == repr(_validated(deal, field, raw)), (field, raw)


@settings(max_examples=300, deadline=None)
@given(st.lists(any_deal, min_size=1, max_size=4))
def test_the_digest_of_a_deal_is_the_same_with_values_remembered(deals: list[Deal]) -> None:
    for deal in deals * 2:
        dg = digest(deal)
        assert repr(dg.changes) == repr(_fresh_changes(deal))
        assert json.dumps(to_plain(dg)) == json.dumps(to_plain(replace(dg, changes=_fresh_changes(deal))))


def test_every_example_deal_has_the_digest_of_values_validated_anew() -> None:
    from pipecli.store import Store

    root = Path(__file__).parent.parent / "examples" / "demo"
    deals = Store(root).load_all(use_cache=False).deals
    assert len(deals) > 20
    for deal in deals * 2:
        assert repr(digest(deal).changes) == repr(_fresh_changes(deal)), deal.id


LOOK_ALIKES = [1, True, 1.0, "1", Decimal("1.0"), Decimal("1.00"), 0, False, 0.0, -0.0, Decimal("0"), None, "", []]


@pytest.mark.parametrize("order", [1, -1])
@pytest.mark.parametrize("field", sorted(TRACKED_FIELDS))
def test_values_equal_in_python_are_remembered_apart(field: str, order: int) -> None:
    deal = Deal.model_validate({"id": "d", "title": "T", "stage": "lead", "created": "2026-01-05T09:00:00+01:00"})
    for raw in LOOK_ALIKES[::order] * 2:
        assert repr(_recorded(deal, field, raw)) == repr(_validated(deal, field, raw)), raw
