"""`pipe note`, `pipe next` and `pipe set`: what they write and what they refuse."""

from __future__ import annotations

from datetime import timedelta

import yaml
from clock_helpers import on_one_clock
from conftest import tree_bytes

from pipecli import timeutil


def raw(pipe, deal_id: str) -> dict:
    return yaml.load(pipe.deal_text(deal_id), Loader=yaml.BaseLoader)


# -- note ------------------------------------------------------------------------------
def test_note_single_and_multi_line(pipe) -> None:
    d = pipe.add("Notes", "--at", "2026-03-02")
    assert pipe("note", d, "Called, left a message", "--at", "2026-03-02T16:45").stdout == f"noted on {d}\n"
    pipe("note", d, "Agenda:\n- pricing\n- rollout: May\n\n# not a comment", "--at", "2026-03-03T09:00")
    notes = raw(pipe, d)["notes"]
    assert notes == [
        {"at": "2026-03-02T16:45:00+01:00", "text": "Called, left a message", "by": "tester"},
        {
            "at": "2026-03-03T09:00:00+01:00",
            "text": "Agenda:\n- pricing\n- rollout: May\n\n# not a comment",
            "by": "tester",
        },
    ]
    # multi-line notes are written as a literal block, readable in the file
    assert "text: |" in pipe.deal_text(d)
    assert "      - rollout: May" in pipe.deal_text(d)


def test_note_from_stdin(pipe) -> None:
    d = pipe.add("Stdin", "--at", "2026-03-02")
    pipe("note", d, "-", "--at", "2026-03-02T10:00", input="First line\nSecond line: ok\n")
    assert raw(pipe, d)["notes"] == [
        {"at": "2026-03-02T10:00:00+01:00", "text": "First line\nSecond line: ok", "by": "tester"}
    ]


def test_note_from_stdin_in_a_real_process(pipe, run_pipe) -> None:
    d = pipe.add("Stdin", "--at", "2026-03-02")
    r = run_pipe("-C", str(pipe.root), "note", d, "-", "--at", "2026-03-02T10:00", input="Zażółć\ngęślą jaźń\n")
    assert r.returncode == 0, r.stderr
    assert raw(pipe, d)["notes"][0]["text"] == "Zażółć\ngęślą jaźń"


def test_empty_note_refused(pipe) -> None:
    d = pipe.add("Empty", "--at", "2026-03-02")
    before = tree_bytes(pipe.root)
    for args, stdin in ((["   "], None), (["-"], "\n\n")):
        result = pipe("note", d, *args, input=stdin, ok=False)
        assert result.exit_code == 2
        assert result.stderr == "pipe: a note needs some text\n"
    assert tree_bytes(pipe.root) == before


# -- next ------------------------------------------------------------------------------
def test_next_step_set_and_clear(pipe) -> None:
    d = pipe.add("Next", "--at", "2026-03-02")
    out = pipe("next", d, "Send the proposal", "--due", "2026-03-10", "--at", "2026-03-03").stdout
    assert out == f"next step for {d}: Send the proposal (due 2026-03-10)\n"
    data = raw(pipe, d)
    assert data["next_step"] == {"text": "Send the proposal", "due": "2026-03-10"}
    assert data["history"][-1] == {
        "at": "2026-03-03T00:00:00+01:00",
        "event": "changed",
        "field": "next_step",
        "to": {"text": "Send the proposal", "due": "2026-03-10"},
        "by": "tester",
    }
    assert pipe("next", d, "--clear", "--at", "2026-03-04").stdout == f"cleared the next step of {d}\n"
    data = raw(pipe, d)
    assert "next_step" not in data
    assert data["history"][-1]["from"] == {"text": "Send the proposal", "due": "2026-03-10"}
    assert "to" not in data["history"][-1]


def test_next_relative_dates(pipe) -> None:
    d = pipe.add("Relative")
    for due, days in (("+3d", 3), ("+2w", 14), ("tomorrow", 1), ("today", 0)):
        # without --at the command counts from its own today: read on either side of it
        expected, step = on_one_clock(
            lambda days=days: (timeutil.today() + timedelta(days=days)).isoformat(),
            lambda due=due: (pipe("next", d, f"Step {due}", "--due", due), raw(pipe, d)["next_step"])[1],
        )
        assert step == {"text": f"Step {due}", "due": expected}


def test_next_same_step_again_changes_nothing(pipe) -> None:
    d = pipe.add("Again", "--at", "2026-03-02")
    pipe("next", d, "Call", "--due", "2026-03-05", "--at", "2026-03-03")
    before = tree_bytes(pipe.root)
    pipe("next", d, "Call", "--due", "2026-03-05", "--at", "2026-03-04")
    assert tree_bytes(pipe.root) == before


def test_next_bad_usage(pipe) -> None:
    d = pipe.add("Bad next", "--at", "2026-03-02")
    before = tree_bytes(pipe.root)
    for args, words in (
        ([d, "Call"], "--due"),
        ([d], "next step"),
        ([d, "Call", "--clear"], "not both"),
        ([d, "Call", "--due", "next friday"], "--due: 'next friday' is not a date"),
        ([d, "Call", "--due", "2026-02-30"], "is not a date"),
    ):
        result = pipe("next", *args, ok=False)
        assert result.exit_code == 2, args
        assert result.stderr.startswith("pipe: "), args
        assert words in result.stderr, (args, result.stderr)
    assert tree_bytes(pipe.root) == before


# -- set -------------------------------------------------------------------------------
def test_set_plain_fields(pipe) -> None:
    d = pipe.add("Settable", "--value", "1000", "--owner", "anna", "--at", "2026-03-02")
    out = pipe(
        "set", d, "title=Settable, renamed", "company=Ząbki Sp. z o.o.", "owner=bartek", "source=event",
        "value=2500.75", "currency=usd", "tags=a, b", "close_date=2026-09-30", "probability=40%",
        "--at", "2026-03-03T08:00",
    ).stdout  # fmt: skip
    assert out == f"updated {d}: 9 fields changed\n"
    data = raw(pipe, d)
    assert data["title"] == "Settable, renamed"
    assert data["company"] == "Ząbki Sp. z o.o."
    assert data["owner"] == "bartek"
    assert data["source"] == "event"
    assert data["value"] == "2500.75"
    assert data["currency"] == "USD"
    assert data["tags"] == ["a", "b"]
    assert data["close_date"] == "2026-09-30"
    assert data["probability"] == "0.4"
    changes = {h["field"]: (h.get("from"), h.get("to")) for h in data["history"] if h["event"] == "changed"}
    assert changes["owner"] == ("anna", "bartek")
    assert changes["value"] == ("1000", "2500.75")
    assert changes["currency"] == ("EUR", "USD")
    assert changes["company"] == (None, "Ząbki Sp. z o.o.")


def test_set_contact_fields(pipe) -> None:
    d = pipe.add("Contact", "--at", "2026-03-02")
    pipe("set", d, "contact.name=Marta Nowak", "contact.email=marta@example.pl", "--at", "2026-03-03")
    assert raw(pipe, d)["contact"] == {"name": "Marta Nowak", "email": "marta@example.pl"}
    pipe("set", d, "contact.phone=+48 600 100 200", "contact.email=", "--at", "2026-03-04")
    assert raw(pipe, d)["contact"] == {"name": "Marta Nowak", "phone": "+48 600 100 200"}


def test_set_custom_field_and_clear_it(pipe) -> None:
    d = pipe.add("Custom", "--at", "2026-03-02")
    pipe("set", d, "--custom", "region=Lombardia", "--at", "2026-03-03")
    assert raw(pipe, d)["region"] == "Lombardia"
    assert "region:      Lombardia" in pipe("show", d).stdout
    pipe("set", d, "region=", "--at", "2026-03-04")
    assert "region" not in raw(pipe, d)
    assert raw(pipe, d)["history"][-1] == {
        "at": "2026-03-04T00:00:00+01:00",
        "event": "changed",
        "field": "region",
        "from": "Lombardia",
        "by": "tester",
    }


def test_set_clears_plain_fields(pipe) -> None:
    d = pipe.add("Clear", "--value", "10", "--owner", "anna", "--tag", "x", "--at", "2026-03-02")
    pipe("set", d, "value=", "owner=", "tags=", "--at", "2026-03-03")
    data = raw(pipe, d)
    assert "value" not in data and "owner" not in data
    assert data["tags"] == []


def test_set_unchanged_value_writes_nothing(pipe) -> None:
    d = pipe.add("Same", "--owner", "anna", "--at", "2026-03-02")
    before = tree_bytes(pipe.root)
    assert pipe("set", d, "owner=anna").stdout == f"updated {d}: 0 fields changed\n"
    assert tree_bytes(pipe.root) == before


def test_set_refuses_protected_and_bad_fields(pipe) -> None:
    d = pipe.add("Protected", "--at", "2026-03-02")
    before = tree_bytes(pipe.root)
    for assignment, words in (
        ("stage=meeting", "pipe move"),
        ("status=won", "pipe won"),
        ("id=other", "file name"),
        ("created=2020-01-01", "history"),
        ("history=[]", "append-only"),
        ("notes=x", "pipe note"),
        ("lost_reason=x", "pipe lost"),
        ("next_step=x", "pipe next"),
        ("contact=x", "contact.name"),
        ("contact.fax=1", "name, email and phone"),
        ("owner", "FIELD=VALUE"),
        ("1abc=x", "not a field name"),
        ("a.b=x", "dots"),
        ("value=-1", "negative"),
        ("value=lots", "not a number"),
        ("currency=EURO", "ISO 4217"),
        ("close_date=soon", "not a date"),
        ("probability=1.5", "outside 0..1"),
        ("contact.email=nope", "e-mail"),
        ("title=", "title cannot be empty"),
    ):
        result = pipe("set", d, assignment, ok=False)
        assert result.exit_code == 2, (assignment, result.output)
        assert result.stderr.startswith("pipe: "), assignment
        assert len(result.stderr.strip().splitlines()) == 1, assignment
        assert words in result.stderr, (assignment, result.stderr)
    assert tree_bytes(pipe.root) == before


def test_set_currency_empty_falls_back_to_the_pipelines(pipe) -> None:
    d = pipe.add("Currency", "--value", "10", "--currency", "PLN", "--at", "2026-03-02")
    pipe("set", d, "currency=", "--at", "2026-03-03")
    data = raw(pipe, d)
    assert "currency" not in data
    assert data["history"][-1] == {
        "at": "2026-03-03T00:00:00+01:00",
        "event": "changed",
        "field": "currency",
        "from": "PLN",
        "by": "tester",
    }
    assert "  value:       10 EUR\n" in pipe("show", d).stdout


def test_set_refuses_a_misspelt_field_naming_the_closest(pipe, run_pipe) -> None:
    d = pipe.add("Typo", "--value", "100", "--at", "2026-03-02")
    before = tree_bytes(pipe.root)
    for assignment, message in (
        ("valeu=5", "pipe: unknown field 'valeu': did you mean value? (a field of your own: --custom valeu=5)\n"),
        ("Owner=anna", "pipe: unknown field 'Owner': did you mean owner? (a field of your own: --custom Owner=anna)\n"),
        (
            "regon=Nord Est",
            "pipe: unknown field 'regon': the fields are title, company, contact.name, contact.email, "
            "contact.phone, value, currency, owner, source, tags, close_date, probability "
            "(a field of your own: --custom 'regon=Nord Est')\n",
        ),
    ):
        r = run_pipe("-C", str(pipe.root), "set", d, assignment)
        assert (r.returncode, r.stderr, r.stdout) == (2, message, ""), assignment
    assert tree_bytes(pipe.root) == before


def test_set_custom_makes_a_field_of_your_own_and_plain_set_then_changes_it(pipe, run_pipe) -> None:
    d = pipe.add("Own", "--at", "2026-03-02")
    r = run_pipe(
        "-C", str(pipe.root), "set", d, "--custom", "zip=01234", "--custom", "region=Veneto", "--at", "2026-03-03"
    )
    assert (r.returncode, r.stdout) == (0, f"updated {d}: 2 fields changed\n"), r.stderr
    text = pipe.deal_text(d)
    assert "zip: '01234'\n" in text and "region: Veneto\n" in text
    assert raw(pipe, d)["zip"] == "01234"
    # a key the file has is set like any field; so is one written by hand
    assert run_pipe("-C", str(pipe.root), "set", d, "region=Lombardia", "--at", "2026-03-04").returncode == 0
    path = pipe.root / "deals" / f"{d}.yaml"
    path.write_text(path.read_text(encoding="utf-8") + "industry: logistics\n", encoding="utf-8")
    assert run_pipe("-C", str(pipe.root), "set", d, "industry=retail", "--at", "2026-03-05").returncode == 0
    assert (raw(pipe, d)["region"], raw(pipe, d)["industry"]) == ("Lombardia", "retail")
    assert [h["field"] for h in raw(pipe, d)["history"][1:]] == ["zip", "region", "region", "industry"]


def test_set_custom_refuses_pipes_own_fields(pipe) -> None:
    d = pipe.add("Own", "--at", "2026-03-02")
    for item, words in (
        ("value=5", "value is not a field of your own: value is a field of pipe's: set it as value=VALUE"),
        ("stage=x", "use `pipe move DEAL STAGE`"),
        ("contact.fax=1", "a key of your own is letters, digits and _"),
        ("region", "write KEY=VALUE"),
    ):
        r = pipe("set", d, "--custom", item, ok=False)
        assert r.exit_code == 2 and words in r.stderr, (item, r.stderr)
    r = pipe("set", d, ok=False)
    assert (r.exit_code, r.stderr) == (
        2,
        "pipe: give FIELD=VALUE pairs, or --custom KEY=VALUE for a field of your own\n",
    )
