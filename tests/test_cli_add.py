"""`pipe add`: every option, the ids it makes, and what it prints."""

from __future__ import annotations

import re

import yaml
from conftest import tree_bytes

SUFFIX = "[a-km-np-z2-9]"  # the suffix alphabet leaves out l, o, 0 and 1


def raw(pipe, deal_id: str) -> dict:
    """The deal file as plain strings (PyYAML's BaseLoader: no type guessing at all)."""
    return yaml.load(pipe.deal_text(deal_id), Loader=yaml.BaseLoader)


def test_add_prints_only_the_id(pipe) -> None:
    result = pipe("add", "Acme CRM rollout")
    assert re.fullmatch(rf"acme-crm-rollout-{SUFFIX}{{4}}\n", result.stdout)
    assert result.stderr == ""
    deal_id = result.stdout.strip()
    assert (pipe.root / "deals" / f"{deal_id}.yaml").is_file()


def test_add_every_option(pipe) -> None:
    deal_id = pipe.add(
        "Caffè Società rollout",
        "--company", "Caffè Società S.r.l.",
        "--contact", "Giulia Bianchi",
        "--email", "giulia@societa.it",
        "--phone", "+39 02 1234 5678",
        "--value", "12000.50",
        "--currency", "chf",
        "--stage", "meeting",
        "--owner", "anna",
        "--source", "referral",
        "--tag", "retail",
        "--tag", "italy,q2",
        "--close-date", "2026-06-30",
        "--probability", "35%",
        "--at", "2026-03-02T10:15",
    )  # fmt: skip
    data = raw(pipe, deal_id)
    assert data["id"] == deal_id
    assert data["title"] == "Caffè Società rollout"
    assert data["company"] == "Caffè Società S.r.l."
    assert data["contact"] == {"name": "Giulia Bianchi", "email": "giulia@societa.it", "phone": "+39 02 1234 5678"}
    assert data["value"] == "12000.50"
    assert data["currency"] == "CHF"
    assert data["stage"] == "meeting"
    assert data["status"] == "open"
    assert data["owner"] == "anna"
    assert data["source"] == "referral"
    assert data["tags"] == ["retail", "italy", "q2"]
    assert data["close_date"] == "2026-06-30"
    assert data["probability"] == "0.35"
    assert data["created"] == "2026-03-02T10:15:00+01:00"
    assert data["history"] == [{"at": "2026-03-02T10:15:00+01:00", "event": "created", "to": "meeting", "by": "tester"}]
    assert data["notes"] == []


def test_add_defaults(pipe) -> None:
    deal_id = pipe.add("Plain deal", "--at", "2026-07-01")
    data = raw(pipe, deal_id)
    assert data["stage"] == "lead"
    assert data["currency"] == "EUR"
    assert data["created"] == "2026-07-01T00:00:00+02:00"
    for absent in ("value", "company", "contact", "owner", "close_date", "lost_reason", "next_step"):
        assert absent not in data


def test_add_stage_by_label_or_case(pipe) -> None:
    assert raw(pipe, pipe.add("A", "--stage", "Proposal"))["stage"] == "proposal"
    assert raw(pipe, pipe.add("B", "--stage", "NEGOTIATION"))["stage"] == "negotiation"


def test_ids_from_unicode_titles(pipe) -> None:
    cases = {
        "Zażółć gęślą jaźń": "zazolc-gesla-jazn",
        "Łódź Żółw Sp. z o.o.": "lodz-zolw-sp-z-o-o",
        "Caffè Società & Figli": "caffe-societa-and-figli",
        "Perché no? Già!": "perche-no-gia",
    }
    for title, slug in cases.items():
        deal_id = pipe.add(title)
        assert re.fullmatch(rf"{slug}-{SUFFIX}{{4}}", deal_id), (title, deal_id)
        assert raw(pipe, deal_id)["title"] == title
        assert title in pipe("show", deal_id).stdout


def test_titles_in_other_scripts_get_readable_ids(pipe) -> None:
    cases = {
        "ระบบบัญชี สยามเทค": "rabbbaychi-syamethkh",
        "Ελληνικά Λογιστικά": "ellinika-logistika",
        "Москва Софт": "moskva-soft",
    }
    for title, slug in cases.items():
        deal_id = pipe.add(title)
        assert re.fullmatch(rf"{slug}-{SUFFIX}{{4}}", deal_id), (title, deal_id)
        assert raw(pipe, deal_id)["title"] == title
        assert title in pipe("show", deal_id).stdout


def test_title_without_letters_or_digits_gets_a_generated_id(pipe) -> None:
    deal_id = pipe.add("★ ☆ ★")
    assert re.fullmatch(rf"deal-{SUFFIX}{{4}}", deal_id), deal_id
    assert raw(pipe, deal_id)["title"] == "★ ☆ ★"


def test_long_title_slug_is_cut_at_a_word(pipe) -> None:
    deal_id = pipe.add("International widget distribution agreement for the northern region")
    slug = deal_id.rsplit("-", 1)[0]
    assert len(slug) <= 24
    assert slug == "international-widget"


def test_same_title_twice_gets_two_ids(pipe, make_pipe) -> None:
    a = pipe.add("Same title")
    b = pipe.add("Same title")
    assert a != b
    assert a.startswith("same-title-") and b.startswith("same-title-")
    # two clones, offline: the random suffix keeps their file names apart
    other = make_pipe(name="clone")
    c = other.add("Same title")
    assert c not in (a, b)


def test_add_with_id(pipe) -> None:
    assert pipe.add("Whatever", "--id", "acme-2026") == "acme-2026"
    assert raw(pipe, "acme-2026")["id"] == "acme-2026"


def test_add_with_bad_or_taken_id(pipe) -> None:
    pipe.add("First", "--id", "acme")
    before = tree_bytes(pipe.root)
    for bad in ("Acme Big", "../escape", "-dash", "a/b", "x" * 81, "", "acme"):
        result = pipe("add", "Second", "--id", bad, ok=False)
        assert result.exit_code == 2, (bad, result.output)
        assert result.stderr.startswith("pipe: --id"), (bad, result.stderr)
        assert len(result.stderr.strip().splitlines()) == 1
        assert result.stdout == ""
    assert "taken" in pipe("add", "Second", "--id", "acme", ok=False).stderr
    assert tree_bytes(pipe.root) == before


def test_tag_values_split_on_commas_and_trimmed(pipe) -> None:
    deal_id = pipe.add("Tags", "--tag", " a , b,,", "--tag", "c")
    assert raw(pipe, deal_id)["tags"] == ["a", "b", "c"]
