"""A deal's digest and its row at a cut-off say what the deal itself says: the same stage,
status and field values as ``Deal.as_of`` and ``snapshot``, and the same after a trip
through the index's plain form."""

from __future__ import annotations

import json
from datetime import datetime

from deal_strategies import PIPELINE, command_deals, cutoffs, hand_written_deals
from hypothesis import given, settings
from hypothesis import strategies as st

from pipecli import stale
from pipecli.digest import at, days, digest, from_plain, ladder_of, micros, row_at, to_plain
from pipecli.models import Deal
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
