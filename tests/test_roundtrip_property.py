"""CSV export -> import -> CSV export gives the same text, for any worked deals."""

from __future__ import annotations

import tempfile
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from pipecli import actions, export, importing
from pipecli.models import DEFAULT_STAGES, Deal, Pipeline

PIPELINE = Pipeline.model_validate({"stages": DEFAULT_STAGES})
STAGES = PIPELINE.stage_ids
START = datetime(2026, 3, 1, 9, 0, tzinfo=timezone(timedelta(hours=1)))

titles = st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc", "Zl", "Zp")), min_size=1, max_size=30).filter(
    lambda t: t.strip()
)
steps = st.lists(
    st.tuples(
        st.sampled_from(["move", "won", "lost", "reopen", "note", "set"]),
        st.sampled_from(STAGES),
        st.integers(min_value=0, max_value=3 * 24 * 60),  # minutes after the previous step
        st.text(min_size=1, max_size=12).filter(lambda t: t.strip() and "\r" not in t),
    ),
    max_size=8,
)


@st.composite
def deals(draw: st.DrawFn) -> list[Deal]:
    out = []
    for i in range(draw(st.integers(min_value=1, max_value=4))):
        at = START + timedelta(minutes=draw(st.integers(min_value=0, max_value=60 * 24 * 30)))
        value = draw(
            st.one_of(
                st.none(),
                st.decimals(min_value=0, max_value=10**7, places=2),
                st.decimals(min_value=0, max_value=10**4, places=3),  # 1.250: a point, never thousands
            )
        )
        deal = actions.new_deal(
            PIPELINE,
            deal_id=f"deal-{i}",
            title=draw(titles),
            at=at,
            stage=draw(st.sampled_from(STAGES)),
            value=value,
            owner=draw(st.one_of(st.none(), st.sampled_from(["anna", "Łukasz", "สมชาย"]))),
            tags=draw(st.lists(st.sampled_from(["a", "b c", "ż"]), max_size=2, unique=True)),
            probability=draw(st.one_of(st.none(), st.sampled_from([0.1, 0.35, 1.0]))),
        )
        for op, stage, minutes, text in draw(steps):
            at = at + timedelta(minutes=minutes)
            if op == "move" and deal.status == "open":
                deal = actions.move(deal, PIPELINE, stage, at)
            elif op == "won" and deal.status == "open":
                deal = actions.won(deal, at, Decimal(minutes))
            elif op == "lost" and deal.status == "open":
                deal = actions.lost(deal, at, text)
            elif op == "reopen" and deal.status != "open":
                deal = actions.reopen(deal, PIPELINE, at, stage)
            elif op == "note":
                deal = actions.add_note(deal, at, text)
            elif op == "set":
                deal = actions.set_fields(deal, at, [("company", text.strip())])
        out.append(deal)
    return out


def reimport(text: str) -> list[Deal]:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "deals.csv"
        path.write_text(text, encoding="utf-8")
        header, rows = importing.read_csv(path)
    cmap = importing.resolve(header, importing.Options(), PIPELINE)
    plan = importing.plan(
        rows,
        cmap,
        PIPELINE,
        existing_ids=set(),
        existing_keys={},
        load=lambda _: None,  # type: ignore[arg-type,return-value]
        update=False,
        at=START,
    )
    assert plan.failures == []
    return plan.creates


@settings(max_examples=150, deadline=None)
@given(deals())
def test_csv_round_trip(worked: list[Deal]) -> None:
    first = export.to_csv(worked, PIPELINE)
    again = reimport(first)
    assert [d.id for d in again] == [d.id for d in worked]
    for old, new in zip(worked, again, strict=True):
        assert (new.stage, new.status, new.value, new.title, new.tags) == (
            old.stage,
            old.status,
            old.value,
            old.title.strip(),
            old.tags,
        )
    assert export.to_csv(again, PIPELINE) == first


@settings(max_examples=60, deadline=None)
@given(deals())
def test_documented_queries_agree_with_the_deals(worked: list[Deal]) -> None:
    import itertools
    import sqlite3
    import statistics
    from collections import defaultdict

    from test_export import doc_queries

    win_sql, stay_sql, lost_sql, *_ = doc_queries()
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "p.db"
        export.write_sqlite(worked, PIPELINE, db)
        con = sqlite3.connect(db)
        try:
            stays_got = con.execute(stay_sql).fetchall()
            wins_got = con.execute(win_sql).fetchall()
            lost_got = con.execute(lost_sql).fetchall()
        finally:
            con.close()
    # each deal's days in a stage added up, over the deals that left it and are not back in it
    stays: dict[str, list[float]] = defaultdict(list)
    for d in worked:
        entries = [h for h in d.history if h.event != "changed"]
        totals: dict[str, float] = defaultdict(float)
        for h, nxt in itertools.pairwise(entries):
            if h.event in ("created", "moved", "reopened"):
                totals[str(h.to)] += (nxt.at - h.at).total_seconds() / 86400
        now_in = str(entries[-1].to) if entries[-1].event in ("created", "moved", "reopened") else None
        for stage, days in totals.items():
            if stage != now_in:
                stays[stage].append(days)
    assert {s: n for s, n, _ in stays_got} == {s: len(v) for s, v in stays.items()}
    for stage, _, median in stays_got:
        assert abs(median - statistics.median(stays[stage])) < 1e-6
    closed = [d for d in worked if d.status != "open"]
    owners = sorted({d.owner for d in closed}, key=lambda o: (o is not None, o or ""))
    expected = []
    for owner in owners:
        mine = [d.status for d in closed if d.owner == owner]
        expected.append((owner, mine.count("won"), mine.count("lost"), mine.count("won") / len(mine)))
    assert sorted(wins_got, key=lambda r: (r[0] is not None, r[0] or "")) == expected
    lost = [d for d in worked if d.status == "lost"]
    assert sum(n for _, _, n, _ in lost_got) == len(lost)
    total = sum((d.value or Decimal(0) for d in lost), Decimal(0))
    assert sum((Decimal(v) for *_, v in lost_got), Decimal(0)) == total  # exact, to the cent
