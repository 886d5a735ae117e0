"""The merge driver of deal files (`pipe merge-driver`, pipecli.merge): notes and history
from both sides in time order, stage and status from the history, one-sided changes taken,
true conflicts recorded so that `pipe check` reports them, comments and unknown keys kept,
and a result that always validates."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipecli import history
from pipecli.cli import app
from pipecli.documents import parse_document
from pipecli.merge import FieldConflict, merge_texts
from pipecli.store import deal_from_data

BASE = """\
# Acme: the big one
id: acme
title: Acme  # the account
company: Acme S.p.A.
contact:
  name: Marta
  email: marta@acme.it
value: 1000
currency: EUR
stage: lead
status: open
owner: anna
tags: [retail]
created: 2026-03-02T10:00:00+01:00
history:
  - at: 2026-03-02T10:00:00+01:00
    event: created
    to: lead
    by: anna
notes:
  - at: 2026-03-02T11:00:00+01:00
    text: First call
    by: anna
industry: robots  # our own field
"""


def entry(at: str, event: str, by: str, **fields: str) -> str:
    lines = [f"  - at: {at}", f"    event: {event}"]
    lines += [f"    {k.rstrip('_')}: {v}" for k, v in fields.items()]
    return "\n".join([*lines, f"    by: {by}"]) + "\n"


def note(at: str, text: str, by: str) -> str:
    return f"  - at: {at}\n    text: {text}\n    by: {by}\n"


def add_history(text: str, *entries: str) -> str:
    return text.replace("notes:\n", "".join(entries) + "notes:\n", 1)


def add_notes(text: str, *notes: str) -> str:
    return text.replace("industry: robots", "".join(notes) + "industry: robots", 1)


def valid(text: str):
    return deal_from_data("deals/acme.yaml", parse_document("deals/acme.yaml", text), text)


def merged(base: str, ours: str, theirs: str):
    result = merge_texts(base, ours, theirs, "deals/acme.yaml")
    return result, valid(result.text)


def test_notes_and_moves_of_both_sides_in_time_order() -> None:
    ours = add_notes(
        add_history(
            BASE.replace("stage: lead", "stage: qualified"),
            entry("2026-03-03T09:00:00+01:00", "moved", "anna", from_="lead", to="qualified"),
        ),
        note("2026-03-03T09:05:00+01:00", "Demo booked", "anna"),
    )
    theirs = add_notes(
        add_history(
            BASE.replace("stage: lead", "stage: meeting"),
            entry("2026-03-04T15:00:00+01:00", "moved", "marek", from_="lead", to="meeting"),
        ),
        note("2026-03-02T17:00:00+01:00", "Sent the deck", "marek"),
        note("2026-03-04T15:01:00+01:00", "Met them", "marek"),
    )
    for a, b in ((ours, theirs), (theirs, ours)):
        result, deal = merged(BASE, a, b)
        assert result.clean
        assert [(n.text, n.by) for n in deal.notes] == [
            ("First call", "anna"),
            ("Sent the deck", "marek"),
            ("Demo booked", "anna"),
            ("Met them", "marek"),
        ]
        assert [(h.event, h.to, h.by) for h in deal.history] == [
            ("created", "lead", "anna"),
            ("moved", "qualified", "anna"),
            ("moved", "meeting", "marek"),
        ]
        assert (deal.stage, deal.status) == ("meeting", "open")  # where the later move took it
    # the same merge from either side gives the same deal
    assert valid(merge_texts(BASE, ours, theirs).text) == valid(merge_texts(BASE, theirs, ours).text)


def test_exact_duplicates_once_and_a_status_from_the_history() -> None:
    won = entry("2026-03-05T10:00:00+01:00", "won", "anna", to="lead")
    same_note = note("2026-03-05T10:01:00+01:00", "Signed!", "anna")
    ours = add_notes(add_history(BASE.replace("status: open", "status: won"), won), same_note)
    theirs = add_notes(
        add_history(
            BASE, entry("2026-03-04T10:00:00+01:00", "changed", "marek", field="owner", from_="anna", to="marek")
        ),
        same_note,
    ).replace("owner: anna", "owner: marek")
    # both sides picked up the same entries (a cherry-picked commit): once each
    ours_too = add_history(ours, "")
    result, deal = merged(BASE, ours_too, add_history(theirs, ""))
    assert result.clean
    assert [h.event for h in deal.history] == ["created", "changed", "won"]
    assert [n.text for n in deal.notes] == ["First call", "Signed!"]
    assert (deal.status, deal.owner) == ("won", "marek")
    result, deal = merged(BASE, ours, ours)
    assert result.text == ours


def test_one_sided_changes_are_taken_and_mappings_merge_key_by_key() -> None:
    ours = BASE.replace("  email: marta@acme.it", "  email: marta@acme.com").replace("value: 1000", "value: 1500")
    theirs = (
        BASE.replace("  name: Marta\n", "  name: Marta Rossi\n  phone: '0612345678'\n")
        .replace("company: Acme S.p.A.\n", "")
        .replace("industry: robots  # our own field", "industry: robots  # our own field\nregion: Lombardia")
    )
    result, deal = merged(BASE, ours, theirs)
    assert result.clean
    assert deal.contact is not None
    assert (deal.contact.name, deal.contact.email, deal.contact.phone) == (
        "Marta Rossi",
        "marta@acme.com",
        "0612345678",
    )
    assert (deal.value, deal.company) == (1500, None)
    assert (deal.model_extra or {})["region"] == "Lombardia"
    # comments of both sides, and the order of this side's keys
    assert result.text.startswith("# Acme: the big one\nid: acme\ntitle: Acme  # the account\n")
    assert "industry: robots  # our own field\nregion: Lombardia\n" in result.text


def test_comments_changed_on_the_other_side_come_over() -> None:
    theirs = BASE.replace("title: Acme  # the account", "title: Acme  # the account, since 2019")
    ours = BASE.replace("value: 1000", "value: 1000  # list price")
    result, _ = merged(BASE, ours, theirs)
    assert "title: Acme  # the account, since 2019\n" in result.text
    assert "value: 1000  # list price\n" in result.text


def test_a_true_conflict_is_recorded_and_reported(pipe) -> None:
    ours = add_history(
        BASE.replace("value: 1000", "value: 2000"),
        entry("2026-03-03T10:00:00+01:00", "changed", "anna", field="value", from_="1000", to="2000"),
    )
    theirs = add_history(
        BASE.replace("value: 1000", "value: 3000"),
        entry("2026-03-04T10:00:00+01:00", "changed", "marek", field="value", from_="1000", to="3000"),
    )
    result, deal = merged(BASE, ours, theirs)
    assert result.conflicts == [FieldConflict("value", 1000, 2000, 3000)]
    assert deal.value == 3000  # the later change stands until someone chooses
    assert result.text.endswith(
        "industry: robots  # our own field\nconflict:\n  value:\n    was: 1000\n    ours: 2000\n    theirs: 3000\n"
    )
    assert [h.to for h in deal.history if h.event == "changed"] == [2000, 3000]
    # pipe check reports it, naming the deal and the field, until it is resolved
    path = pipe.root / "deals" / "acme.yaml"
    path.write_text(result.text, encoding="utf-8")
    line = result.text.splitlines().index("  value:") + 1
    check = pipe("check", ok=False)
    assert check.exit_code == 1
    assert check.stdout == (
        f"{path}:{line}: merge conflict: value was changed on both sides (2000 here, 3000 from the other side, "
        "1000 before); choose with `pipe set acme value=VALUE`, which clears it, or set value by hand and delete "
        "conflict.value\n"
    )
    assert pipe("list", "--format", "json").exit_code == 0  # the file still reads
    # resolved with pipe set: the value chosen is recorded, the conflict gone
    out = pipe("set", "acme", "value=2000", "--at", "2026-03-05").stdout
    assert out == "updated acme: 1 field changed\nresolved the merge conflict on value\n"
    assert pipe("check").stdout == ""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert "conflict" not in data and data["value"] == 2000


def test_a_conflict_resolved_by_hand(pipe) -> None:
    ours = BASE.replace("industry: robots", "industry: drones")
    theirs = BASE.replace("industry: robots", "industry: boats")
    result, deal = merged(BASE, ours, theirs)
    assert result.conflicts == [FieldConflict("industry", "robots", "drones", "boats")]
    assert (deal.model_extra or {})["industry"] == "drones"  # no history says which is later: this side's
    path = pipe.root / "deals" / "acme.yaml"
    path.write_text(result.text, encoding="utf-8")
    assert pipe("check", ok=False).exit_code == 1
    hand = result.text.replace("industry: drones", "industry: boats").split("conflict:\n")[0]
    path.write_text(hand, encoding="utf-8")
    assert pipe("check").stdout == ""


def test_a_side_that_is_not_a_deal_gets_git_s_line_merge() -> None:
    ours = BASE.replace("value: 1000", "value: [oops")
    theirs = BASE.replace("owner: anna", "owner: marek")
    result = merge_texts(BASE, ours, theirs, "deals/acme.yaml")
    assert not result.conflicts
    assert "value: [oops" in result.text and "owner: marek" in result.text
    both = merge_texts(BASE, BASE.replace("value: 1000", "value: -5"), BASE.replace("value: 1000", "value: 7"))
    assert both.markers
    assert "<<<<<<< ours\nvalue: -5\n=======\nvalue: 7\n>>>>>>> theirs\n" in both.text


def test_both_sides_added_the_file() -> None:
    ours = add_notes(BASE, note("2026-03-03T10:00:00+01:00", "ours", "anna"))
    theirs = add_notes(BASE, note("2026-03-03T11:00:00+01:00", "theirs", "marek"))
    result, deal = merged("", ours, theirs)
    assert result.clean
    assert [n.text for n in deal.notes] == ["First call", "ours", "theirs"]


def test_windows_line_ends_and_byte_order_mark_of_this_side() -> None:
    ours = "\ufeff" + add_notes(BASE, note("2026-03-03T10:00:00+01:00", "ours", "anna")).replace("\n", "\r\n")
    theirs = add_notes(BASE, note("2026-03-03T11:00:00+01:00", "theirs", "marek"))
    result = merge_texts(BASE, ours, theirs)
    assert result.clean and result.text.startswith("\ufeff# Acme")
    assert result.text.count("\r\n") == result.text.count("\n")


def test_the_command_writes_the_result_and_exits_1_on_a_conflict(run_pipe, tmp_path: Path) -> None:
    files = {}
    for name, text in (
        ("base", BASE),
        ("ours", BASE.replace("owner: anna", "owner: anna-maria")),
        ("theirs", BASE.replace("owner: anna", "owner: marek")),
    ):
        files[name] = tmp_path / f".merge_file_{name}"
        files[name].write_text(text, encoding="utf-8")
    result = run_pipe("merge-driver", *(str(files[n]) for n in ("base", "ours", "theirs")), "deals/acme.yaml")
    assert result.returncode == 1
    assert result.stderr == (
        "pipe: deals/acme.yaml: merge conflict: owner was changed on both sides ('anna-maria' here, 'marek' from the "
        "other side, 'anna' before); choose with `pipe set acme owner=VALUE`, which clears it, or set owner by hand "
        "and delete conflict.owner\n"
    )
    assert "conflict:\n  owner:\n    was: anna\n" in files["ours"].read_text(encoding="utf-8")
    files["theirs"].write_text(BASE.replace("value: 1000", "value: 9"), encoding="utf-8")
    files["ours"].write_text(BASE.replace("owner: anna", "owner: anna-maria"), encoding="utf-8")
    result = run_pipe("merge-driver", *(str(files[n]) for n in ("base", "ours", "theirs")), "deals/acme.yaml")
    assert (result.returncode, result.stderr) == (0, "")
    assert valid(files["ours"].read_text(encoding="utf-8")).value == 9


# -- any two sides of commands: the result validates and keeps every entry --------------------
ACTIONS = st.lists(
    st.tuples(
        st.sampled_from(["note", "move", "set", "won", "lost", "reopen"]),
        st.sampled_from(["qualified", "meeting", "proposal"]),
        st.text(alphabet="abcąęłżźćńóśกขค ", min_size=1, max_size=12).filter(str.strip),
    ),
    max_size=5,
)


def _apply(runner, root: Path, steps, day0: int) -> None:
    for i, (what, stage, text) in enumerate(steps):
        at = f"2026-04-{day0 + i:02d}T10:00"
        args = {
            "note": ["note", "acme", text],
            "move": ["move", "acme", stage],
            "set": ["set", "acme", f"owner={text.strip()}"],
            "won": ["won", "acme"],
            "lost": ["lost", "acme", "--reason", text],
            "reopen": ["reopen", "acme"],
        }[what]
        runner.invoke(app, ["-C", str(root), *args, "--at", at, "--no-commit"])


@pytest.mark.slow
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ours=ACTIONS, theirs=ACTIONS)
def test_any_two_sides_merge_into_a_valid_deal_with_every_entry(runner, tmp_path_factory, ours, theirs) -> None:
    folder = tmp_path_factory.mktemp("m")
    texts = []
    for name, steps, day0 in (("ours", ours, 1), ("theirs", theirs, 2)):
        root = folder / name
        runner.invoke(app, ["init", str(root)])
        (root / "deals" / "acme.yaml").write_text(BASE, encoding="utf-8")
        _apply(runner, root, steps, day0 * 10)
        texts.append((root / "deals" / "acme.yaml").read_text(encoding="utf-8"))
    result = merge_texts(BASE, texts[0], texts[1], "deals/acme.yaml")
    assert not result.markers
    deal = valid(result.text)
    sides = [valid(t) for t in texts]
    for name in ("history", "notes"):
        got = [e.canonical() for e in getattr(deal, name)]
        for side in sides:
            assert all(e.canonical() in got for e in getattr(side, name))
        assert [e["at"] for e in got] == sorted(e["at"] for e in got) or name == "history"
        assert len(got) == len({repr(sorted(e.items())) for e in got})
    walk = history.replay(deal)
    assert (deal.stage, deal.status) == (walk.stage, walk.status)
