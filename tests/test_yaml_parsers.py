"""The fast YAML reader (yaml-rs) gives exactly what PyYAML's FastLoader gives, or steps aside.

Besides these cases, every file the rest of the suite reads in-process is parsed by both
(``yamlio.CHECK_FAST``, set in conftest.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from test_yamlfast import TRICKY, documents

from pipecli import yamlfast, yamlio

ROOT = Path(__file__).parent.parent


def both(text: str) -> tuple[object, object]:
    """(what the fast reader returns or None if it steps aside, FastLoader's result or its error type)."""
    done, fast = yamlio._fast(text)
    try:
        slow: object = yaml.load(text, Loader=yamlio.FastLoader)
    except Exception as exc:
        slow = type(exc)
    return (fast if done else None), slow


def agrees(text: str) -> None:
    fast, slow = both(text)
    if fast is not None:
        assert yamlio._shape(fast) == yamlio._shape(slow), text


EDGE = [
    "a: 1\na: 2\n",
    "x:\n  a: 1\n  a: 2\n",
    "a: {b: 1, b: 2}\n",
    "<<: {a: 1}\nb: 2\n",
    "a: !!binary aGVsbG8=\n",
    "a: !custom 3\n",
    "a: 1\n---\nb: 2\n",
    "%YAML 1.1\n---\na: 1\n",
    "",
    "# only a comment\n",
    "\ufeffa: 1\r\nb: 2\r\n",
    "a: 0o17\nb: 0x1F\nc: +1\nd: -0\ne: 1_000\nf: yes\ng: ~\nh: Null\ni: 12:30\nj: 2026-01-01\nk: 0b11\nl: 017\n",
    "a: 0X1F\nb: 0O17\nc: -0o7\nd: +0x1\ne: 1_0.5\n",
    "a: inf\nb: nan\nc: 1e400\nd: .NaN\ne: -.Inf\nf: .nan\ng: .INF\n",
    "a: +.5\nb: -.5e+3\nc: 1.e2\nd: 0.\ne: 00\nf: 1E5\n",
    "a: 123456789012345678901234567890\nb: -98765432109876543210.5\n",
    "'1': a\n1: b\n",
    "true: 1\nFalse: 2\nnull: 3\n",
    "a: &x 1\nb: *x\n",
    "? [a]\n: 1\n",
    "[a]: 1\n",
    "a: [[1], [2]]\n",
    "a: \x07\n",
    'a: "\\x00"\n',
    'a: "\\ud800"\n',
    'a: "\\e\\a\\N\\_\\L\\P"\n',
    "a:\tb\n",
    "a: 'x'y\n",
    "a: b: c\n",
    "a:\n  b: 1\n c: 2\n",
    "- a\nb: 1\n",
    "- 1\n- 2\n",
    "a: |-\n  x\n\nb: >+\n  y\n\n",
    "a: 'it''s'\nb: \"t\\tx\"\n",
    'a: "\\u263A \\U0001F600"\n',
    "tags: [a, 'b c', \"d\"]\nnotes: []\n",
    "title: Great deal!\ncompany: R&D 5*3\nnote: 50% off\n",
    "a: 2026-03-02T10:15:00+01:00\nb: 2026-03-02 10:15:00\nc: 2026-03-02\n",
]


@pytest.mark.parametrize("text", EDGE)
def test_edge_cases_agree_or_go_to_pyyaml(text: str) -> None:
    agrees(text)


def test_what_pipe_writes_takes_the_fast_path() -> None:
    text = (ROOT / "examples" / "demo" / "deals").glob("*.yaml")
    files = sorted(text)
    assert files
    fast = [f for f in files if yamlio._fast(f.read_text(encoding="utf-8"))[0]]
    assert len(fast) > len(files) // 2
    for f in files:
        agrees(f.read_text(encoding="utf-8"))


def test_every_yaml_file_in_the_repository_agrees() -> None:
    for f in sorted(ROOT.rglob("*.yaml")):
        if ".git" in f.parts or ".pipe" in f.parts:
            continue
        agrees(f.read_text(encoding="utf-8", errors="replace"))


@settings(max_examples=300, deadline=None)
@given(documents)
def test_written_documents_agree(doc: dict) -> None:
    agrees(yamlfast.dump(doc))


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(TRICKY) | st.text(max_size=20), st.sampled_from(["k: {}\n", "k: [{}]\n", "- {}\n", "k: '{}'\n"]))
def test_hand_typed_scalars_agree(value: str, shape: str) -> None:
    agrees(shape.replace("{}", value))


# The fast checks stand for the two rules as written (``_PYYAML_ONLY``, ``_NUMBER_TOKEN``):
# texts made of the characters and pieces those rules look for.
RULE_PIECES = [
    *" \n\r\t-:[],#!?&*{}<>|@`%._0123456789+eExXoObBaT'\"",
    *"\ufeff\x85\u2028\u2029\x07\x0b\x7f\xa0\u3000àłก\ud7ff\ue000\U0001f600",
    *["---", "...", "0x1F", "0o7", "1e5", "- ", "  ", "  - ", ".inf", ".NaN", "<<", "-0", "+0", "1_0", "\r\n"],
    *["at: ", "2026-03-02T10:15:00+01:00", "8500.50", "12000", "0612", "0.7", "1e+20", "a: [", "\n- ", "-5", "0"],
]
rule_texts = st.lists(st.sampled_from(RULE_PIECES), max_size=16).map("".join)


def reference_tokens(text: str) -> list[str]:
    """What ``_numbers_as_written`` looked at before: every ``_NUMBER_TOKEN``, without a final ':'."""
    return [m.group().removesuffix(":") for m in yamlio._NUMBER_TOKEN.finditer(text)]


def could_be_number(token: str) -> bool:
    """A token a number pattern matches, other than an int pipe reads as one (those need no check)."""
    if yamlio._CANONICAL_INT.match(token) and len(token) <= yamlio.MAX_NUMBER_CHARS:
        return False
    return any(pattern.match(token) for _, pattern in yamlio._NUMBER_TAGS)


def check_rules(text: str) -> None:
    assert yamlio.pyyaml_only(text) == bool(yamlio._PYYAML_ONLY.search(text)), text
    # the fast tokens leave out only tokens no number pattern matches
    fast = yamlio._number_tokens(text)
    assert sorted(t for t in fast if could_be_number(t)) == sorted(
        t for t in reference_tokens(text) if could_be_number(t)
    ), text


@settings(max_examples=3000, deadline=None)
@given(rule_texts)
def test_the_fast_checks_are_the_rules(text: str) -> None:
    check_rules(text)


RULE_EDGES = [
    *["", ":", ": a", "a\n:b", "  - :", "-:", "- - [a]", "-[a]", "a [b", "a\n  - [b]\n", "a\r", "a\r\nb"],
    *["-0", "+0", "x: +0", "a:-0", "a:+0", "x,-0", "x[+0", "x\t-0", "x\u3000-0", "x-0", "1-0"],
    *["!a", " ?a", "a!", "[!", ",?", "a: |", "a: >-2 # c", "a|", ":|", "a: b|", "0b1", "_1", "1_", "a_b"],
    *["1" * 99, "1" * 100, "1" * 101, "-" + "1" * 99, "-" + "1" * 100, "00", "-0", "0:", "05:", "-7:"],
    *["[1, 0612]", "0612: a", "a: 0612:", "a: 5::", "x,08", "x\u2028-0", "\ufeffa", "a\ufeff", "\n\ufeff"],
    *["---", "a\n---", "a---", "...", "%YAML", "a%", "<<", "a<b", "a: \x7f", "a: \x0b", "\x85", "a\u2029"],
]


@pytest.mark.parametrize("text", [*EDGE, *RULE_EDGES])
def test_the_fast_checks_are_the_rules_on_edge_cases(text: str) -> None:
    check_rules(text)


def test_the_fast_checks_are_the_rules_on_every_deal_file_of_the_repository() -> None:
    files = [f for f in sorted(ROOT.rglob("*.yaml")) if ".git" not in f.parts and ".pipe" not in f.parts]
    assert len(files) > 20
    for f in files:
        check_rules(f.read_text(encoding="utf-8", errors="replace"))
