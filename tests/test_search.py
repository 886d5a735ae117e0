"""Folding, matching and snippets (pipecli.search): accents and case never matter, Thai
marks do, and what a snippet marks is what the query found."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pipecli.models import SEARCHABLE_FIELDS, Contact, Deal, NextStep, Note
from pipecli.search import Item, deal_items, find, fold, folded_spans, matches, parse_query, snippet

texts = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=40)
latin = st.text(alphabet="aAąĄćĆeĘęłŁńŃóÓśŚźżŻ ÀàèÈéìòùßæœøÅđ Cafe", max_size=30)


def found(query: str, *texts: str) -> bool:
    return matches([Item("title", t) for t in texts], parse_query(query)) is not None


@pytest.mark.parametrize(
    ("query", "text"),
    [
        ("zazolc", "Zażółć Sp. z o.o."),
        ("ZAŻÓŁĆ", "zazolc"),
        ("gesla jazn", "Zażółć gęślą jaźń"),
        ("lodz", "Łódź office"),
        ("caffe", "Caffè Roma"),
        ("caffè", "Caffè Roma"),
        ("caffè", "caffe roma"),
        ("CAFFÉ", "Caffè"),
        ("strasse", "Hauptstraße 5"),
        ("straße", "HAUPTSTRASSE"),
        ("oresund", "Øresund Bridge"),
        ("aeroe", "Ærøe"),
        ("boeuf", "Bœuf & co"),
        ("dakovic", "Đaković"),
        ("thorsson", "Þórsson"),
        ("ﬁnance", "Finance"),  # a ligature
        ("ＡＣＭＥ", "acme"),  # full-width letters
        ("กาแฟ", "ร้านกาแฟ เชียงใหม่"),
        ("ดอยช้าง", "ร้านกาแฟดอยช้าง สาขาใหม่"),
        ('"revised offer"', "Send the revised\n   offer today"),
        ("\u0e01\u0e38\u0e48", "\u0e01\u0e48\u0e38"),  # a vowel below and a tone mark, typed in either order
    ],
)
def test_found_whatever_the_case_and_accents(query: str, text: str) -> None:
    assert found(query, text)


@pytest.mark.parametrize(
    ("query", "text"),
    [
        ("ก่า", "กา"),  # a tone mark makes another word: never stripped
        ("กา", "ก้า"),
        ("ช้าง", "ชาง"),
        ("ไม่", "ใหม่"),
        ("caffe", "café"),
        ("zazolc roma", "Zażółć"),  # every word must be found
        ('"offer revised"', "the revised offer"),  # a phrase keeps its order
    ],
)
def test_not_found(query: str, text: str) -> None:
    assert not found(query, text)


def test_every_word_somewhere_in_the_deal_but_never_across_two_texts() -> None:
    items = [Item("title", "Caffè Roma"), Item("notes", "Called Giulia")]
    assert matches(items, parse_query("roma giulia")) is not None
    assert matches(items, parse_query('"roma called"')) is None
    hits = matches(items, parse_query("roma giulia"))
    assert hits is not None and [h.item.field for h in hits] == ["title", "notes"]


def test_a_phone_is_found_by_its_digits_however_spaced() -> None:
    items = [Item("contact_phone", "+48 600-123-456")]
    for query in ("600123456", '"600 123 456"', "+48600123", "(600) 123", "123-456"):
        hits = matches(items, parse_query(query))
        assert hits is not None, query
    (hit,) = matches(items, parse_query("600123")) or []
    assert snippet(hit).matched() == "600-123"
    assert matches(items, parse_query("600124")) is None


def test_what_a_snippet_marks_is_the_text_as_written() -> None:
    (hit,) = matches([Item("title", "Zażółć Sp. z o.o.: phase 2")], parse_query("ZAZOLC")) or []
    piece = snippet(hit)
    assert piece.matched() == "Zażółć"
    assert piece.parts() == [("Zażółć", True), (" Sp. z o.o.: phase 2", False)]


def test_a_long_text_is_cut_around_the_match_with_an_ellipsis() -> None:
    text = "Called procurement. " * 10 + "They want the revised offer by Friday. " + "Lunch. " * 10
    (hit,) = matches([Item("notes", text)], parse_query("revised")) or []
    piece = snippet(hit, 40)
    assert len(piece.text) <= 40
    assert piece.text.startswith("…") and piece.text.endswith("…")
    assert piece.matched() == "revised"
    assert "revised offer" in piece.text


def test_a_cut_never_parts_a_thai_letter_from_its_marks() -> None:
    text = "ร้านกาแฟดอยช้าง " * 8 + "สาขาใหม่ " + "ร้านกาแฟดอยช้าง " * 8
    (hit,) = matches([Item("title", text)], parse_query("สาขา")) or []
    for width in range(8, 40):
        piece = snippet(hit, width)
        body = piece.text.strip("…")
        assert not unicodedata.category(body[0]).startswith("M"), width
        assert body in text and piece.matched() == "สาขา"
        nxt = text.find(body) + len(body)
        assert nxt >= len(text) or not unicodedata.category(text[nxt]).startswith("M"), width


def test_the_fields_searched_come_from_the_field_metadata() -> None:
    assert SEARCHABLE_FIELDS == (
        "title",
        "company",
        "contact.name",
        "contact.email",
        "contact.phone",
        "tags",
        "lost_reason",
        "next_step",
        "notes",
    )
    deal = Deal.model_validate(
        {
            "id": "d",
            "title": "T",
            "company": "C",
            "stage": "lead",
            "created": "2026-03-02T10:00:00+01:00",
            "contact": Contact(name="Ann", email="a@b.pl", phone="+48 1"),
            "tags": ["x", "y"],
            "lost_reason": "price",
            "next_step": NextStep(text="Call"),
            "notes": [Note(at="2026-03-03T10:00:00+01:00", text="Met")],
        }
    )
    got = [(i.field, i.text, i.at) for i in deal_items(deal, SEARCHABLE_FIELDS)]
    assert got == [
        ("title", "T", None),
        ("company", "C", None),
        ("contact_name", "Ann", None),
        ("contact_email", "a@b.pl", None),
        ("contact_phone", "+48 1", None),
        ("tags", "x", None),
        ("tags", "y", None),
        ("lost_reason", "price", None),
        ("next_step", "Call", None),
        ("notes", "Met", "2026-03-03T10:00:00+01:00"),
    ]


def test_a_query_of_nothing_has_no_terms() -> None:
    assert parse_query("") == [] and parse_query('  "" ') == []
    assert [t.folded for t in parse_query('Caffè "Nero  Torino" caffe')] == ["caffe", "nero torino"]


# -- properties -----------------------------------------------------------------------------------
@given(texts)
def test_fold_is_idempotent(text: str) -> None:
    assert fold(fold(text)) == fold(text)


@given(texts)
def test_folded_spans_agree_with_fold(text: str) -> None:
    shown, folded, starts = folded_spans(text)
    assert folded == fold(text)
    assert starts[0] == 0 and starts[-1] == len(folded) and len(starts) == len(shown) + 1
    assert starts == sorted(starts)


@given(latin, st.data())
def test_a_piece_of_a_text_is_found_in_it_and_marked(text: str, data: st.DataObject) -> None:
    shown = unicodedata.normalize("NFC", text)
    start = data.draw(st.integers(0, len(shown)))
    end = data.draw(st.integers(start, len(shown)))
    piece = shown[start:end]
    (term,) = parse_query('"' + piece + '"') or [None]
    if term is None:  # nothing but spaces
        return
    hit = find(Item("title", text), [term])
    assert hit is not None
    assert hit.spans
    for s, e in hit.spans:  # each marked piece holds the term, folded
        assert term.folded in fold(shown[s:e])


@given(texts, texts, st.sampled_from([str.upper, str.lower, str.title, str.swapcase, str.casefold]))
def test_a_change_of_case_never_changes_what_is_found(text: str, query: str, change) -> None:
    assert found(query, text) == found(change(query), text) == found(query, change(text))
