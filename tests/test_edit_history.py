"""`pipe edit` records a `changed` entry for each tracked field it changes, as `pipe set` does,
so that a report of an earlier day is not rewritten by an edit (issue 8, defect 2)."""

from __future__ import annotations

import json
import sys
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipecli import actions
from pipecli.models import TRACKED_FIELDS, Deal, NextStep, Pipeline, Snooze

EDITOR = """\
import os, sys
path = sys.argv[-1]
text = open(path, encoding="utf-8").read()
for pair in os.environ["EDIT"].split("||"):
    old, new = pair.split(">>", 1)
    assert old in text, (old, text)
    text = text.replace(old, new)
open(path, "w", encoding="utf-8").write(text)
"""


@pytest.fixture
def edit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """Runs `pipe edit` with a real editor program that makes the replacements given."""
    script = tmp_path / "editor.py"
    script.write_text(EDITOR, encoding="utf-8")
    monkeypatch.setenv("EDITOR", f"{sys.executable} {script}")
    monkeypatch.delenv("VISUAL", raising=False)

    def run(pipe, deal: str, *changes: str, at: str | None = None, ok: bool = True):
        monkeypatch.setenv("EDIT", "||".join(changes))
        return pipe("edit", deal, *(["--at", at] if at else []), ok=ok)

    return run


def history(pipe, deal: str) -> list[dict]:
    return yaml.load(pipe.deal_text(deal), Loader=yaml.BaseLoader)["history"]


def open_value(pipe, day: str) -> dict:
    return json.loads(pipe("report", "--as-of", day, "--format", "json").stdout)["totals"]["open_value"]


def test_an_edit_does_not_rewrite_the_past(pipe, edit) -> None:
    """The reproduction of the issue: a deal of 1,000 edited to 5,000."""
    d = pipe.add("Acme", "--value", "1000", "--at", "2026-03-02T10:00")
    edit(pipe, d, "value: 1000>>value: 5000", at="2026-03-10T09:00")
    assert open_value(pipe, "2026-03-09") == {"EUR": 1000}
    assert open_value(pipe, "2026-03-10") == {"EUR": 5000}
    assert history(pipe, d)[-1] == {
        "at": "2026-03-10T09:00:00+01:00",
        "event": "changed",
        "field": "value",
        "from": "1000",
        "to": "5000",
        "by": "tester",
    }
    assert pipe("check").stdout == ""


def test_an_edit_records_exactly_what_set_records(pipe, edit) -> None:
    """Two twins: one changed in the editor, one with `pipe set`; the same entries."""
    args = ("--value", "1000", "--owner", "anna", "--tag", "pilot", "--close-date", "2026-06-30", "--at", "2026-03-02")
    by_edit = pipe.add("Twin", "--id", "by-edit", *args)
    by_set = pipe.add("Twin", "--id", "by-set", *args)
    edit(
        pipe,
        by_edit,
        "value: 1000>>value: 1250.5",
        "owner: anna>>owner: Zofia Łęcka",
        "tags: [pilot]>>tags: [pilot, poland]",
        "close_date: 2026-06-30>>close_date: 2026-07-15",
        "title: Twin>>title: Zażółć rollout",
        at="2026-03-05T12:00",
    )
    pipe(
        "set",
        by_set,
        "title=Zażółć rollout",
        "value=1250.5",
        "owner=Zofia Łęcka",
        "tags=pilot,poland",
        "close_date=2026-07-15",
        "--at",
        "2026-03-05T12:00",
    )
    edited, set_ = history(pipe, by_edit), history(pipe, by_set)
    key = lambda h: h["field"]  # noqa: E731 - the order differs (set: as typed; edit: the field list)
    assert sorted(edited[1:], key=key) == sorted(set_[1:], key=key)
    assert len(edited) == 6


def test_next_step_and_snooze_are_recorded_as_their_commands_record_them(pipe, edit) -> None:
    by_edit = pipe.add("A", "--id", "by-edit", "--at", "2026-03-02")
    by_cmd = pipe.add("A", "--id", "by-cmd", "--at", "2026-03-02")
    edit(
        pipe,
        by_edit,
        "notes: []>>next_step:\n  text: Call Paweł\n  due: 2026-03-20\nsnooze:\n  until: 2026-04-01\n"
        "  reason: holiday\nnotes: []",
        at="2026-03-05T12:00",
    )
    pipe("next", by_cmd, "Call Paweł", "--due", "2026-03-20", "--at", "2026-03-05T12:00")
    pipe("snooze", by_cmd, "--until", "2026-04-01", "--reason", "holiday", "--at", "2026-03-05T12:00")
    assert history(pipe, by_edit)[1:] == history(pipe, by_cmd)[1:]


def test_an_edit_that_records_its_own_entry_is_not_recorded_twice(pipe, edit) -> None:
    d = pipe.add("Acme", "--owner", "anna", "--at", "2026-03-02T10:00")
    own = (
        "    to: lead\n  - at: 2026-03-04T10:00:00+01:00\n    event: changed\n    field: owner\n"
        "    from: anna\n    to: marek\n"
    )
    edit(pipe, d, "owner: anna>>owner: marek", "    to: lead\n>>" + own, at="2026-03-10T09:00")
    entries = [h for h in history(pipe, d) if h["event"] == "changed"]
    assert entries == [
        {
            "at": "2026-03-04T10:00:00+01:00",
            "event": "changed",
            "field": "owner",
            "from": "anna",
            "to": "marek",
            "by": "tester",
        }
    ]


def test_an_edit_of_untracked_keys_adds_no_entry(pipe, edit) -> None:
    d = pipe.add("Acme", "--at", "2026-03-02T10:00")
    before = pipe.deal_text(d)
    edit(pipe, d, "notes: []>>industry: logistics  # by hand\nnotes: []", at="2026-03-10T09:00")
    assert pipe.deal_text(d) == before.replace("notes: []", "industry: logistics  # by hand\nnotes: []")


def test_an_edit_dated_before_the_last_entry_is_kept_not_saved(pipe, edit) -> None:
    d = pipe.add("Acme", "--value", "1000", "--at", "2026-03-02T10:00")
    pipe("note", d, "later", "--at", "2026-03-08T10:00")
    before = pipe.deal_text(d)
    result = edit(pipe, d, "value: 1000>>value: 5000", at="2026-03-05T09:00", ok=False)
    assert result.exit_code == 1
    kept = [p for p in (pipe.root / ".pipe").iterdir() if p.name.startswith(d)]
    assert len(kept) == 1 and "value: 5000" in kept[0].read_text(encoding="utf-8")
    assert result.stderr == (
        "pipe: --at 2026-03-05T09:00:00+01:00 is before this deal's last entry (2026-03-08T10:00:00+01:00); "
        f"history stays in time order: give a later --at; not saved. Your version is in {kept[0]}\n"
    )
    assert pipe.deal_text(d) == before


def test_edit_takes_at_like_every_writing_command(runner) -> None:
    from pipecli.cli import app

    assert "--at" in runner.invoke(app, ["edit", "--help"]).stdout


# -- the property: an edit never changes the deal as it stood before it -----------------------
PIPELINE = Pipeline.model_validate({"stages": [{"id": "lead"}, {"id": "won-over"}]})
T0 = datetime(2026, 3, 2, 10, tzinfo=timezone.utc)
text = st.text(st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=12).filter(str.strip)
values = {
    "title": text,
    "company": st.none() | text,
    "owner": st.none() | text,
    "source": st.none() | text,
    "value": st.none() | st.decimals(min_value=0, max_value=10**9, places=2, allow_nan=False),
    "currency": st.sampled_from(["EUR", "PLN", "THB", "USD"]),
    "tags": st.lists(text.filter(lambda s: "," not in s).map(str.strip), max_size=3),
    "close_date": st.none() | st.dates(date(2025, 1, 1), date(2027, 12, 31)),
    "probability": st.none() | st.floats(0, 1),
    "next_step": st.none() | st.builds(NextStep, text=text, due=st.none() | st.dates(date(2026, 1, 1))),
    "snooze": st.none() | st.builds(Snooze, until=st.dates(date(2026, 1, 1)), reason=st.none() | text),
}
assert set(values) == set(TRACKED_FIELDS)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    start=st.fixed_dictionaries({k: v for k, v in values.items()}),
    edits=st.dictionaries(st.sampled_from(sorted(values)), st.none(), min_size=1).flatmap(
        lambda keys: st.fixed_dictionaries({k: values[k] for k in keys})
    ),
    later=st.integers(min_value=1, max_value=400),
)
def test_a_recorded_edit_leaves_every_earlier_day_as_it_was(start: dict, edits: dict, later: int) -> None:
    base = actions.new_deal(PIPELINE, deal_id="d", title="x", at=T0)
    before = Deal.model_validate({**base.model_dump(by_alias=True), **_dumped(start)})
    after = Deal.model_validate({**before.model_dump(by_alias=True), **_dumped(edits)})
    at = T0 + timedelta(hours=later)
    recorded = actions.record_edit(before, after, at)
    for name in TRACKED_FIELDS:
        assert actions.field_value(recorded, name) == actions.field_value(after, name)
    for cutoff in (T0 + timedelta(minutes=1), at):  # before the edit, and just before it
        past = recorded.as_of(cutoff)
        assert past is not None
        for name in TRACKED_FIELDS:
            assert actions.field_value(past, name) == actions.field_value(before, name), name
    now = recorded.as_of(at + timedelta(seconds=1))
    assert now is not None
    for name in TRACKED_FIELDS:
        assert actions.field_value(now, name) == actions.field_value(after, name), name


def _dumped(fields: dict) -> dict:
    return {k: v.model_dump() if isinstance(v, (NextStep, Snooze)) else v for k, v in fields.items()}
