"""A file exactly as pipe writes it is rewritten without ruamel.yaml's round trip
(``store.canonical_rewrite``), to the same bytes the round trip gives; any other file
keeps the round trip, its comments, order, quoting and line ends."""

from __future__ import annotations

import contextlib
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from deal_strategies import PIPELINE, ZONES, apply_op, command_deals
from hypothesis import HealthCheck, event, given, note, settings
from hypothesis import strategies as st

from pipecli import actions
from pipecli.errors import PipeError
from pipecli.models import Contact, Deal
from pipecli.store import canonical_rewrite, checked_text, new_deal_text, parse_deal, rewritten_text, roundtrip_text

# Titles, notes, owners and reasons in Italian, Polish and Thai, and text that needs
# quotes or escapes (booleans, numbers and dates of some YAML reader, indicators,
# leading and trailing spaces, a tab, quotes, a non-breaking space, an emoji).
ODD = [
    "Caffè Roma – sede di Milano",
    "Zażółć gęślą jaźń",
    "Łódź: biuro",
    "ร้านกาแฟ เชียงใหม่",
    "สวัสดีครับ",
    "l'ami de Jean",
    'say "yes"',
    "no",
    "Yes",
    "on",
    "null",
    "~",
    "0612345678",
    "+48 600 700 800",
    "1e3",
    "12:30",
    "2026-01-01",
    "2026-01-01T10:00:00+01:00",
    "a: b",
    "x #y",
    "#hash",
    "- dash",
    "? what",
    "[x]",
    "{x}",
    "&a",
    "*a",
    "!tag",
    "%pct",
    "@at",
    "`tick",
    "|",
    ">",
    " leading",
    "trailing ",
    "two  spaces",
    "tab\there",
    "nbsp\u00a0here",
    "emoji 🚀 launch",
    "ends with colon:",
    "Called, they asked for a revised quote.",
    "Demo went well; the CFO joins the next call.",
    "a, b [c] {d}",
    "x",
]
words = st.one_of(
    st.sampled_from(ODD),
    st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), min_size=1, max_size=30),
)
one_line = words.filter(lambda s: s.strip() != "")


@st.composite
def deals(draw: st.DrawFn) -> Deal:
    """A deal made by pipe's commands (deal_strategies), with odd text in its fields."""
    deal = draw(command_deals("odd"))
    fields: dict[str, Any] = {}
    if draw(st.booleans()):
        fields["title"] = draw(one_line)
    if draw(st.booleans()):
        fields["company"] = draw(st.one_of(st.none(), one_line))
    if draw(st.booleans()):
        fields["owner"] = draw(st.one_of(st.none(), one_line))
    if draw(st.booleans()):
        fields["source"] = draw(st.one_of(st.none(), one_line))
    if draw(st.booleans()):
        fields["tags"] = draw(st.lists(one_line, max_size=3))
    if draw(st.booleans()):
        fields["probability"] = draw(st.sampled_from([None, 0.0, 0.25, 1.0, 1e-05, 0.3333333333333333]))
    if draw(st.booleans()):
        fields["value"] = draw(st.sampled_from([None, Decimal("8500.50"), Decimal("0"), Decimal("1E+3"), Decimal(7)]))
    if draw(st.booleans()):
        fields["contact"] = Contact(
            name=draw(st.one_of(st.none(), one_line)),
            email=draw(st.sampled_from([None, "anna@example.com", "łucja@przykład.pl"])),
            phone=draw(st.sampled_from([None, "+48 600 700 800", "0612345678", "555-0100"])),
        )
    deal = deal.model_copy(update=fields)
    for text in draw(st.lists(words, max_size=2)):
        with contextlib.suppress(PipeError):
            deal = actions.add_note(deal, deal.last_activity() + timedelta(hours=1), text)
    return Deal.model_validate(deal.model_dump(by_alias=True))  # validated as a file's deal is


changes = st.one_of(
    st.tuples(st.just("note"), words),
    st.tuples(st.just("next"), one_line, st.integers(-5, 30)),
    st.tuples(st.just("clear-next"), st.none()),
    st.tuples(st.just("move"), st.sampled_from(PIPELINE.stage_ids)),
    st.tuples(st.just("won"), st.sampled_from([None, "1200", "99.50"])),
    st.tuples(st.just("lost"), one_line),
    st.tuples(st.just("reopen"), st.sampled_from([None, *PIPELINE.stage_ids])),
    st.tuples(st.just("set"), st.sampled_from(["title", "owner", "company", "source", "tags", "value"]), one_line),
    st.tuples(st.just("snooze"), st.integers(-3, 12)),
)


def change(deal: Deal, op: tuple[Any, ...], at: datetime) -> Deal:
    """One of ``changes`` done by pipe's actions (``deal_strategies.apply_op``, which spells a
    cleared next step and a set field its own way)."""
    if op[0] == "clear-next":
        op = ("next", None, 0)
    elif op[0] == "set":
        op = (op[1], "12000.50" if op[1] == "value" else op[2])
    return apply_op(deal, op, at)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(deals(), st.lists(changes, min_size=1, max_size=4), st.integers(1, 60 * 24 * 30), st.sampled_from(ZONES))
def test_the_fast_rewrite_is_the_round_trip_byte_for_byte(
    tmp_path_factory: pytest.TempPathFactory, deal: Deal, ops: list[tuple[Any, ...]], minutes: int, zone: Any
) -> None:
    path = tmp_path_factory.mktemp("canonical") / "odd.yaml"
    text = new_deal_text(deal)
    path.write_bytes(text.encode("utf-8"))
    old = parse_deal(path, text)  # what a command reads from the file
    at = (old.last_activity() + timedelta(minutes=minutes)).astimezone(zone)
    new = old
    for op in ops:
        with contextlib.suppress(PipeError):
            new = change(new, op, at)
        at += timedelta(minutes=minutes)
    note(text)
    fast = canonical_rewrite(path, text, old, new)
    slow = roundtrip_text(path, text, old, new)
    if fast is None:
        # a change the round trip writes in the style of what it replaces (tags added to
        # `tags: []`, a text replacing a quoted one) keeps the round trip
        event("round trip")
    else:
        event("fast")
        assert fast == slow
    assert rewritten_text(path, text, old, new) == slow
    if new != old:
        assert checked_text(path, rewritten_text(path, text, old, new), new) == slow.encode("utf-8")


def written(tmp_path: Path, deal: Deal, text: str | bytes) -> Path:
    path = tmp_path / f"{deal.id}.yaml"
    path.write_bytes(text.encode("utf-8") if isinstance(text, str) else text)
    return path


def sample() -> Deal:
    deal = actions.new_deal(
        PIPELINE,
        deal_id="caffe",
        title="Caffè Roma",
        at=datetime.fromisoformat("2026-03-02T10:00:00+01:00"),
        stage="lead",
        value=Decimal("8500.50"),
        owner="Łucja",
        tags=["ไทย"],
        close_date=date(2026, 6, 30),
    )
    return actions.add_note(deal, datetime.fromisoformat("2026-03-03T09:00:00+01:00"), "Called; they want a pilot.")


AT = datetime.fromisoformat("2026-03-04T12:00:00+01:00")


def test_a_canonical_file_takes_the_fast_way(tmp_path: Path) -> None:
    old = sample()
    path = written(tmp_path, old, new_deal_text(old))
    new = actions.add_note(old, AT, "Sent the offer")
    fast = canonical_rewrite(path, new_deal_text(old), old, new)
    assert fast == new_deal_text(new)
    assert fast.endswith("  - at: 2026-03-04T12:00:00+01:00\n    text: Sent the offer\n")


@pytest.mark.parametrize(
    "how",
    ["comment", "order", "quoting", "own key", "crlf", "bom", "indent"],
)
def test_any_other_file_keeps_the_round_trip(tmp_path: Path, how: str) -> None:
    old = sample()
    text = new_deal_text(old)
    if how == "comment":
        text = text.replace("owner: Łucja\n", "owner: Łucja  # since March\n")
    elif how == "order":
        lines = text.splitlines(keepends=True)
        text = "".join([lines[1], lines[0], *lines[2:]])
    elif how == "quoting":
        text = text.replace("stage: lead", "stage: 'lead'")
    elif how == "own key":
        text += "region: north\n"
    elif how == "indent":
        text = text.replace("\n  - ", "\n- ").replace("\n    ", "\n  ")
    data = text.encode("utf-8")
    if how == "crlf":
        data = data.replace(b"\n", b"\r\n")
    if how == "bom":
        data = b"\xef\xbb\xbf" + data
    path = written(tmp_path, old, data)
    read = parse_deal(path, data.decode("utf-8").replace("\r\n", "\n"))
    new = actions.add_note(read, AT, "Sent the offer")
    as_read = data.decode("utf-8").replace("\r\n", "\n")
    assert canonical_rewrite(path, as_read, read, new) is None
    out = rewritten_text(path, as_read, read, new)
    assert out == roundtrip_text(path, as_read, read, new)
    assert "text: Sent the offer" in out
    if how == "comment":
        assert "owner: Łucja  # since March\n" in out
    if how == "crlf":
        assert out.count("\r\n") == out.count("\n")
    if how == "bom":
        assert out.startswith("\ufeff")
    if how == "own key":
        assert "region: north" in out


def test_a_file_changed_since_it_was_read_keeps_the_round_trip(tmp_path: Path) -> None:
    old = sample()
    path = written(tmp_path, old, new_deal_text(old) + "# later\n")
    new = actions.add_note(old, AT, "Sent the offer")
    assert canonical_rewrite(path, new_deal_text(old), old, new) is None


def _modules_after(run_pipe: Any, root: Path, *args: str) -> set[str]:
    """The modules the installed `pipe` imported running ``args`` (Python's -X importtime)."""
    done = run_pipe("-C", str(root), *args, env={"PYTHONPROFILEIMPORTTIME": "1"})
    assert done.returncode == 0, done.stderr
    return {line.split("|")[-1].strip() for line in done.stderr.splitlines() if line.startswith("import time:")}


@pytest.mark.parametrize("command", ["note", "move", "next", "won", "lost"])
def test_a_one_deal_command_on_a_canonical_file_never_imports_ruamel(
    pipe: Any, run_pipe: Any, command: str, tmp_path: Path
) -> None:
    pipe("add", "Zażółć gęślą jaźń", "--id", "zaz", "--value", "1234.56", "--owner", "Łucja", "--at", "2026-03-02")
    pipe("note", "zaz", "ร้านกาแฟ: pilot; call back.", "--at", "2026-03-03")
    before = pipe.deal_text("zaz")
    args = {
        "note": ["note", "zaz", "Caffè Roma, sede di Milano", "--at", "2026-03-04"],
        "move": ["move", "zaz", "proposal", "--at", "2026-03-04"],
        "next": ["next", "zaz", "Wyślij ofertę", "--due", "2026-03-10", "--at", "2026-03-04"],
        "won": ["won", "zaz", "--at", "2026-03-04"],
        "lost": ["lost", "zaz", "--reason", "price", "--at", "2026-03-04"],
    }[command]
    modules = _modules_after(run_pipe, pipe.root, *args)
    assert "ruamel.yaml" not in modules
    assert "yaml" not in modules  # PyYAML: yaml-rs reads what pipe writes
    after = pipe.deal_text("zaz")
    assert after != before
    assert after == new_deal_text(parse_deal(pipe.root / "deals" / "zaz.yaml", after))


def test_a_file_with_a_comment_is_rewritten_by_ruamel_keeping_it(pipe: Any, run_pipe: Any) -> None:
    pipe("add", "Caffè Roma", "--id", "roma", "--owner", "anna", "--at", "2026-03-02")
    path = pipe.root / "deals" / "roma.yaml"
    path.write_text(pipe.deal_text("roma").replace("owner: anna\n", "owner: anna  # since March\n"), encoding="utf-8")
    modules = _modules_after(run_pipe, pipe.root, "note", "roma", "Sent the offer", "--at", "2026-03-04")
    assert "ruamel.yaml" in modules
    text = pipe.deal_text("roma")
    assert "owner: anna  # since March\n" in text
    assert "text: Sent the offer" in text


def test_show_reads_a_deal_with_neither_pyyaml_nor_ruamel(pipe: Any, run_pipe: Any) -> None:
    pipe("add", "ร้านกาแฟ เชียงใหม่", "--id", "cafe", "--value", "1200", "--at", "2026-03-02")
    pipe("note", "cafe", "Called: they want a pilot", "--at", "2026-03-03")
    done = run_pipe("-C", str(pipe.root), "show", "cafe", env={"PYTHONPROFILEIMPORTTIME": "1"})
    assert done.returncode == 0, done.stderr
    modules = {line.split("|")[-1].strip() for line in done.stderr.splitlines() if line.startswith("import time:")}
    assert not {"yaml", "ruamel.yaml"} & modules
    assert "ร้านกาแฟ เชียงใหม่" in done.stdout
    assert "Called: they want a pilot" in done.stdout
