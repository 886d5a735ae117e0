"""The one history replay (pipecli.history): stays, entrances and steps, on hand-made and random histories."""

from __future__ import annotations

import contextlib
import itertools
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from report_helpers import PIPE, apply, build, t

from pipecli import history
from pipecli.errors import PipeError
from pipecli.models import Deal

CET = timezone(timedelta(hours=1))
CREATED = datetime(2026, 3, 2, 10, 0, tzinfo=CET)
STAGES = [*PIPE.stage_ids, "gone"]  # "gone": a stage the pipeline no longer has


def hours(h: float) -> datetime:
    return CREATED + timedelta(hours=h)


def raw_deal(entries: list[dict[str, Any]], *, stage: str = "a", status: str = "open") -> Deal:
    """A deal file as someone may have written it by hand: any entries, in any order."""
    data: dict[str, Any] = {"id": "x", "title": "X", "stage": stage, "status": status, "created": CREATED}
    data["history"] = entries
    if status == "lost":
        data["lost_reason"] = "hand"
    return Deal.model_validate(data)


# -- hand-made histories ----------------------------------------------------------------------
def test_stays_say_how_each_began_and_ended() -> None:
    deal = build("s", [(0, "a"), (1, "c"), (2, "b"), (3, "lost:price"), (5, "reopen:c"), (6, "won")])
    r = history.replay(deal)
    assert [(s.stage, s.entered, s.left, s.entered_by, s.left_by) for s in r.stays] == [
        ("a", t(0), t(1), "created", "moved"),
        ("c", t(1), t(2), "moved", "moved"),
        ("b", t(2), t(3), "moved", "lost"),
        ("c", t(5), t(6), "reopened", "won"),
    ]
    assert (r.stage, r.status, r.won_at, r.closed_at, r.lost_reason) == ("c", "won", t(6), t(6), "price")
    assert [(e.stage, e.how) for e in r.entrances] == [
        ("a", "created"),
        ("c", "moved"),
        ("b", "moved"),
        ("c", "reopened"),
    ]
    # moves name where they came from; every step says the status after it
    assert [(s.entry.event, s.from_stage, s.to_stage, s.status) for s in r.steps] == [
        ("created", None, "a", "open"),
        ("moved", "a", "c", "open"),
        ("moved", "c", "b", "open"),
        ("lost", None, "b", "lost"),
        ("reopened", None, "c", "open"),
        ("won", None, "c", "won"),
    ]


def test_a_cut_off_ends_the_walk_and_leaves_the_last_stay_open() -> None:
    deal = build("s", [(0, "a"), (1, "c"), (2, "won")])
    r = history.replay(deal, until=t(1.5))
    assert (r.stage, r.status, r.closed_at, r.won_at) == ("c", "open", None, None)
    assert [(s.stage, s.left) for s in r.stays] == [("a", t(1)), ("c", None)]
    assert r.stays[-1].days(t(1.5)) == 0.5
    assert history.state_at(deal, t(0)) is None  # not created yet: the cut-off is the creation
    assert history.state_at(deal, t(3)) == ("c", "won")


def test_out_of_order_entries_are_taken_in_time_order_and_keep_their_place() -> None:
    deal = raw_deal(
        [
            {"at": hours(0), "event": "created", "to": "a"},
            {"at": hours(48), "event": "moved", "from": "b", "to": "c"},
            {"at": hours(24), "event": "moved", "from": "a", "to": "b"},
        ],
        stage="c",
    )
    r = history.replay(deal)
    assert not r.in_order
    assert [s.stage for s in r.stays] == ["a", "b", "c"]
    assert [s.seq for s in r.steps] == [0, 2, 1]  # positions in the file


def test_a_file_without_history_was_created_in_its_stage_and_closed_then() -> None:
    deal = Deal.model_validate({"id": "h", "title": "H", "stage": "b", "status": "won", "created": CREATED.isoformat()})
    r = history.replay(deal)
    assert (r.stage, r.status, r.closed_at) == ("b", "won", CREATED)
    assert r.stays == (history.Stay("b", CREATED, CREATED, "created", "won"),)


def test_a_history_without_a_created_entry_starts_where_the_first_move_left() -> None:
    deal = raw_deal([{"at": hours(5), "event": "moved", "from": "b", "to": "d"}], stage="d")
    r = history.replay(deal)
    assert [(s.stage, s.entered, s.left) for s in r.stays] == [("b", CREATED, hours(5)), ("d", hours(5), None)]
    assert history.state_at(deal, hours(1)) == ("b", "open")


def test_an_entry_before_the_creation_counts_from_the_creation() -> None:
    deal = raw_deal(
        [{"at": hours(-3), "event": "created", "to": "a"}, {"at": hours(2), "event": "moved", "to": "b"}], stage="b"
    )
    r = history.replay(deal)
    assert [(s.stage, s.entered, s.left) for s in r.stays] == [("a", CREATED, hours(2)), ("b", hours(2), None)]
    moved_early = raw_deal([{"at": hours(-3), "event": "moved", "from": "a", "to": "b"}], stage="b")
    r = history.replay(moved_early)
    assert [(s.stage, s.entered, s.left) for s in r.stays] == [("a", CREATED, CREATED), ("b", CREATED, None)]
    assert r.entrances[1] == history.Entrance(hours(-3), "b", "moved")  # as written


def test_last_entrance_is_when_it_last_moved_into_a_stage() -> None:
    deal = build("s", [(0, "a"), (1, "b"), (2, "c"), (3, "b"), (4, "lost:x"), (5, "reopen:b")])
    assert history.last_entrance(deal, "b") == t(3)
    assert history.last_entrance(deal, "b", how=("moved", "reopened")) == t(5)
    assert history.last_entrance(deal, "a") is None  # created there, never moved there
    assert history.last_entrance(deal, "a", how=("created",)) == t(0)


# -- random histories ---------------------------------------------------------------------------
EVENTS = st.sampled_from(["created", "moved", "moved", "moved", "won", "lost", "reopened", "changed"])


@st.composite
def entries(draw: st.DrawFn) -> dict[str, Any]:
    event = draw(EVENTS)
    entry: dict[str, Any] = {"at": hours(draw(st.integers(-5, 200)) / 2), "event": event}
    if event in ("created", "moved", "reopened", "won", "lost"):
        to = draw(st.one_of(st.none(), st.sampled_from(STAGES)))
        if to is not None:
            entry["to"] = to
    if event == "moved" and draw(st.booleans()):
        entry["from"] = draw(st.sampled_from(STAGES))
    if event == "lost":
        entry["reason"] = draw(st.sampled_from(["price", "timing"]))
    if event == "changed":
        entry.update({"field": "owner", "from": None, "to": "anna"})
    return entry


@st.composite
def hand_written(draw: st.DrawFn) -> Deal:
    written = draw(st.lists(entries(), max_size=12))
    if draw(st.booleans()):  # most files start with their creation
        written.insert(0, {"at": CREATED, "event": "created", "to": draw(st.sampled_from(STAGES))})
    if draw(st.booleans()):  # and most are in time order
        written.sort(key=lambda e: e["at"])
    return raw_deal(written, stage=draw(st.sampled_from(STAGES)), status=draw(st.sampled_from(["open", "won", "lost"])))


def naive_state(deal: Deal, until: datetime) -> tuple[str, str]:
    """Stage and status by the plainest reading of the rules, to check the replay against."""
    timeline = sorted(deal.timeline(), key=lambda h: h.at)
    stage, status = history.first_stage(timeline, deal.stage), "open"
    for h in timeline:
        if h.at >= until:
            break
        if h.event in ("created", "moved", "reopened") and h.to is not None:
            stage = str(h.to)
        if h.event in ("won", "lost"):
            status = h.event
        if h.event == "reopened":
            status = "open"
    return stage, status


def check_stays(deal: Deal, r: history.Replay, until: datetime | None) -> None:
    stays = r.stays
    assert stays, "a deal is in some stage from its creation"
    assert stays[0].entered == deal.created and stays[0].entered_by == "created"
    for s in stays:
        assert s.left is None or s.entered <= s.left
        if until is not None:
            assert s.entered <= max(until, deal.created)
            assert s.left is None or s.left < until or s.left == deal.created  # an entry dated earlier
    for before, after in itertools.pairwise(stays):
        assert before.left is not None, "only the last stay may still last"
        assert before.left <= after.entered, "stays never overlap"
        if before.left_by in ("won", "lost"):
            assert after.entered_by == "reopened"  # closed in between: in no stage
        else:
            assert after.entered == before.left, "an open deal is always in a stage"
            assert after.entered_by == before.left_by
    last = stays[-1]
    if r.status == "open":
        assert last.left is None and last.stage == r.stage
    else:
        assert last.left is not None and last.left_by in ("won", "lost")
        assert r.closed_at is not None


@settings(max_examples=300, deadline=None)
@given(hand_written(), st.one_of(st.none(), st.integers(-2, 120)))
def test_stays_never_overlap_and_cover_the_time_an_open_deal_existed(deal: Deal, cut_h: int | None) -> None:
    until = None if cut_h is None else hours(cut_h)
    r = history.replay(deal, until)
    check_stays(deal, r, until)
    assert (r.stage, r.status) == naive_state(deal, until or hours(10**6))
    assert r.in_order == (deal.history == sorted(deal.history, key=lambda h: h.at))
    assert [s.seq for s in r.steps] == sorted(
        (i for i, h in enumerate(deal.timeline()) if h.event != "changed" and (until is None or h.at < until)),
        key=lambda i: deal.timeline()[i].at,
    )
    if until is not None and deal.created < until:
        assert history.state_at(deal, until) == (r.stage, r.status)


OPS = st.one_of(
    st.sampled_from(PIPE.stage_ids),
    st.sampled_from(["won", "lost:price", "reopen", *(f"reopen:{s}" for s in PIPE.stage_ids)]),
)


@st.composite
def through_commands(draw: st.DrawFn) -> tuple[Deal, float]:
    deal = build("c", [(0, draw(st.sampled_from(PIPE.stage_ids)))])
    day = 0.0
    for op in draw(st.lists(OPS, max_size=12)):
        day += draw(st.sampled_from([0.0, 0.25, 1.0, 3.0]))
        with contextlib.suppress(PipeError):  # e.g. moving a closed deal: the CLI refuses it too
            deal = apply(deal, PIPE, day, op)
    return deal, day


@settings(max_examples=200, deadline=None)
@given(through_commands(), st.floats(0, 40))
def test_open_time_and_closed_time_add_up_to_the_deal_age(made: tuple[Deal, float], cut_day: float) -> None:
    deal, _ = made
    until = t(cut_day) + timedelta(seconds=1)
    r = history.replay(deal, until)
    check_stays(deal, r, until)
    open_days = sum(s.days(until) for s in r.stays)
    closed_days = sum(
        (after.entered - before.left).total_seconds() / 86400
        for before, after in zip(r.stays, r.stays[1:], strict=False)
        if before.left is not None
    )
    if r.status != "open":
        last_left = r.stays[-1].left
        assert last_left is not None
        closed_days += (until - last_left).total_seconds() / 86400
    assert open_days + closed_days == pytest.approx((until - deal.created).total_seconds() / 86400)
    assert (r.stage, r.status) == naive_state(deal, until)
    if all(h.at < until for h in deal.history):  # the whole history: what the file says
        assert (r.stage, r.status) == (deal.stage, deal.status)


@settings(max_examples=150, deadline=None)
@given(through_commands())
def test_last_entrance_is_what_import_update_dates_a_move_by(made: tuple[Deal, float]) -> None:
    """import --update dates a move by the last move into the deal's stage that the history records."""
    deal, _ = made
    moves = [h.at for h in deal.history if h.event == "moved" and h.to == deal.stage]
    assert history.last_entrance(deal, deal.stage) == (moves[-1] if moves else None)
