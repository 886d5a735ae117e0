"""Invariants of the stale rules and of per-owner file names, over generated inputs."""

from __future__ import annotations

import unicodedata
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from pipecli import actions
from pipecli.models import DEFAULT_STAGES, Pipeline, Stage
from pipecli.stale import (
    NO_NEXT_STEP,
    NO_OWNER_STEM,
    OVERDUE,
    UNTOUCHED,
    AsOf,
    find_stale,
    group_by_owner,
    owner_file_stems,
    owner_stem,
    summarize,
)

UTC = timezone.utc
PIPELINE = Pipeline(stages=[Stage.model_validate(s) for s in DEFAULT_STAGES])
START = datetime(2026, 1, 1, tzinfo=UTC)


def make(i: int, created_h: int, stage: str, value: int | None, currency: str, due: int | None, call_h: int | None):
    created = START + timedelta(hours=created_h)
    d = actions.new_deal(
        PIPELINE,
        deal_id=f"d{i}",
        title=f"Deal {i}",
        at=created,
        stage=stage,
        value=Decimal(value) if value is not None else None,
        currency=currency,
    )
    if due is not None:
        d = actions.set_next_step(d, created, "Call", created.date() + timedelta(days=due))
    if call_h is not None:  # the first call, a note that many hours after the creation
        d = actions.add_note(d, created + timedelta(hours=call_h), "Called")
    return d


deal_specs = st.lists(
    st.tuples(
        st.integers(0, 24 * 60),
        st.sampled_from([s["id"] for s in DEFAULT_STAGES]),
        st.one_of(st.none(), st.integers(0, 10**6)),
        st.sampled_from(["EUR", "PLN", "THB"]),
        st.one_of(st.none(), st.integers(-5, 40)),
        st.one_of(st.none(), st.integers(1, 24 * 30)),
    ),
    max_size=25,
)


@settings(max_examples=150, deadline=None)
@given(deal_specs, st.integers(0, 24 * 90))
def test_the_rules_hold_for_every_deal(specs, as_of_h: int) -> None:
    deals = [make(i, *spec) for i, spec in enumerate(specs)]
    moment = START + timedelta(hours=as_of_h)
    cut = AsOf.at(moment)
    found = find_stale(deals, PIPELINE, cut)
    listed = {s.deal.id: s for s in found}
    for d in deals:
        if d.created >= moment:
            assert d.id not in listed
            continue
        # the only activity: creation (and the next step, set then), and the first call if made by then
        calls = [n.at for n in d.notes if n.at < moment]
        idle = moment - (calls[0] if calls else d.created)
        limit = PIPELINE.stale_after_for(d.stage)
        due = d.next_step.due if d.next_step else None
        if due is None and not calls and moment - d.created > PIPELINE.first_touch_limit:
            assert listed[d.id].reason == UNTOUCHED
            assert listed[d.id].past == moment - d.created - PIPELINE.first_touch_limit
            assert listed[d.id].threshold_text == "24h"
        elif due is None:
            assert (d.id in listed) == (idle > limit)
            if d.id in listed:
                assert listed[d.id].reason == NO_NEXT_STEP
                assert listed[d.id].past == idle - limit
        else:
            assert (d.id in listed) == (moment.date() > due)
            if d.id in listed:
                assert listed[d.id].reason == OVERDUE
                assert listed[d.id].overdue_days == (moment.date() - due).days
    # furthest past the limit first
    pasts = [s.past for s in found]
    assert pasts == sorted(pasts, reverse=True)
    # the summary adds values per currency, never across
    summary = summarize(found)
    assert summary.count == len(found)
    assert summary.overdue == sum(1 for s in found if s.reason == OVERDUE)
    for cur in ("EUR", "PLN", "THB"):
        expected = sum((s.deal.value for s in found if s.currency == cur and s.deal.value is not None), Decimal(0))
        assert summary.value.get(cur, Decimal(0)) == expected


def test_as_of_a_date_measures_at_the_end_of_that_day() -> None:
    cut = AsOf.end_of(date(2026, 3, 20))
    assert cut.day == date(2026, 3, 20)
    assert cut.moment.date() == date(2026, 3, 21)
    assert (cut.moment.hour, cut.moment.minute) == (0, 0)


owner_names = st.one_of(st.none(), st.text(max_size=120))


@settings(max_examples=300, deadline=None)
@given(st.lists(owner_names, max_size=12))
def test_owner_file_names_are_safe_and_distinct(owners) -> None:
    stems = owner_file_stems(owners)
    assert set(stems) == set(owners)
    values = [stem for owner, stem in stems.items() if owner is not None and owner.strip()]
    assert len({v.casefold() for v in values}) == len(values)
    for owner, stem in stems.items():
        assert stem
        assert stem == unicodedata.normalize("NFC", stem)
        assert not any(c in stem for c in '/\\:*?"<>|\0')
        assert not any(unicodedata.category(c).startswith("C") for c in stem)
        assert not stem.startswith((".", "-")) and not stem.endswith((".", " "))
        assert len(stem) <= 90
        if owner is None or not owner.strip():
            assert stem == NO_OWNER_STEM
        else:
            assert not stem.startswith("_")


def test_owner_stems_keep_letters_of_any_script() -> None:
    assert owner_stem("Anna Kowalska") == "Anna-Kowalska"
    assert owner_stem("Łukasz Żółć") == "Łukasz-Żółć"
    assert owner_stem("สมชาย ใจดี") == "สมชาย-ใจดี"
    assert owner_stem("anna@example.com") == "anna@example.com"
    assert owner_stem("../../etc/passwd") == "etc-passwd"
    assert owner_stem("nul") == "nul_"
    assert owner_stem("   ") == NO_OWNER_STEM
    assert owner_stem("///") == "owner"
    stems = owner_file_stems(["Anna K", "Anna/K", "anna k"])
    assert sorted(stems.values()) == ["Anna-K", "Anna-K-2", "anna-k-3"]


def test_an_owner_group_is_named_by_the_spelling_most_deals_use() -> None:
    deals = [
        actions.new_deal(PIPELINE, deal_id="first", title="Oldest", at=START, owner="anna"),
        actions.new_deal(PIPELINE, deal_id="second", title="B", at=START + timedelta(days=1), owner="Anna"),
        actions.new_deal(PIPELINE, deal_id="third", title="C", at=START + timedelta(days=2), owner="Anna"),
        actions.new_deal(PIPELINE, deal_id="lone", title="D", at=START, owner="Bartek"),
    ]
    found = find_stale(deals, PIPELINE, AsOf.at(START + timedelta(days=30)))
    assert [s.deal.id for s in found] == ["first", "lone", "second", "third"]
    groups = group_by_owner(found)
    assert [(name, [s.deal.id for s in items]) for name, items in groups] == [
        ("Anna", ["first", "second", "third"]),
        ("Bartek", ["lone"]),
    ]
