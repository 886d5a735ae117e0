"""`pipe log` from the index: the deals it reads are those that can hold the entries it shows,
newest first, and what it shows is exactly the timeline of every deal."""

from __future__ import annotations

from datetime import timedelta

from deal_strategies import PIPELINE, T0, deals_with_ids
from hypothesis import given, settings
from hypothesis import strategies as st

from pipecli.digest import digest, ladder_of, row_at
from pipecli.models import Deal
from pipecli.timeline import LogSpec, newest, timeline

LADDER = ladder_of(PIPELINE.stage_ids)


def rows_of(deals: list[Deal]) -> list:
    return [row_at(digest(d), LADDER, None) for d in deals]


def reader(deals: list[Deal], asked: list[list[int]]):
    def read(positions: list[int]) -> list[Deal]:
        asked.append(positions)
        return [deals[p] for p in positions]

    return read


hours = st.integers(-48, 24 * 140).map(lambda h: T0 + timedelta(hours=h))
specs = st.builds(
    LogSpec,
    deal=st.sampled_from([None, "d00", "d03", "nope"]),
    since=st.none() | hours,
    until=st.none() | hours,
    owner=st.sampled_from([None, "anna", "BARTEK"]),
    by=st.sampled_from([None, "anna", "someone"]),
)


@settings(max_examples=150, deadline=None)
@given(deals=deals_with_ids(10), spec=specs, limit=st.none() | st.integers(1, 12))
def test_the_entries_read_from_the_index_are_the_timeline_of_every_deal(deals, spec, limit) -> None:
    asked: list[list[int]] = []
    shown = newest(rows_of(deals), spec, limit, reader(deals, asked))
    assert shown == timeline(deals, spec)[:limit]
    read = [p for part in asked for p in part]
    assert len(read) == len(set(read))  # no deal read twice


def one_entry_a_day(n: int) -> list[Deal]:
    return [
        Deal.model_validate({"id": f"d{i:02d}", "title": f"Deal {i}", "stage": "lead", "created": T0 + timedelta(i)})
        for i in range(n)
    ]


def test_the_newest_entries_read_only_the_newest_deals() -> None:
    deals = one_entry_a_day(40)
    asked: list[list[int]] = []
    shown = newest(rows_of(deals), LogSpec(), 3, reader(deals, asked))
    assert [e.deal for e in shown] == ["d39", "d38", "d37"]
    assert asked == [[39, 38, 37]]  # three deals read of forty: the rest are all older


def test_since_and_as_of_read_only_the_deals_they_can_show() -> None:
    deals = one_entry_a_day(40)
    asked: list[list[int]] = []
    spec = LogSpec(since=T0 + timedelta(days=30), until=T0 + timedelta(days=33))
    shown = newest(rows_of(deals), spec, None, reader(deals, asked))
    assert [e.deal for e in shown] == ["d32", "d31", "d30"]
    # every deal made from the start of day 30 on (its only entry cannot be older), the
    # newest first: those after --as-of's end are read, and show nothing
    assert sorted(asked[0]) == list(range(30, 40))


def test_more_deals_are_read_while_the_next_could_hold_a_newer_entry() -> None:
    deals = one_entry_a_day(40)
    deals[5] = deals[5].model_copy(update={"owner": "anna"})
    deals[12] = deals[12].model_copy(update={"owner": "anna"})
    asked: list[list[int]] = []
    shown = newest(rows_of(deals), LogSpec(by="nobody-yet"), 2, reader(deals, asked))
    assert shown == []
    assert [len(part) for part in asked] == [2, 4, 8, 16, 10]  # every deal, twice as many at a time
    asked.clear()
    shown = newest(rows_of(deals), LogSpec(owner="anna"), 1, reader(deals, asked))
    assert [e.deal for e in shown] == ["d12"]
    assert asked == [[12]]
