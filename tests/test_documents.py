"""pipecli.documents: one first-error formatter for what the models refuse, used everywhere."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from pipecli import actions
from pipecli.documents import Problem, first_error, validation_message, validation_problems
from pipecli.errors import InvalidValue
from pipecli.models import Deal, Pipeline

BAD_DEAL = """\
id: acme
title: Acme
value: -5
stage: lead
created: 2026-03-02
"""


def refused(data: dict) -> ValidationError:
    with pytest.raises(ValidationError) as caught:
        Deal.model_validate(data)
    return caught.value


def test_first_error_names_the_field_in_plain_words() -> None:
    exc = refused({"id": "a", "title": "A", "stage": "lead", "created": "2026-03-02T10:00:00+01:00", "value": -1})
    assert first_error(exc) == "value: must not be negative"


def test_validation_message_counts_the_rest_and_finds_the_line() -> None:
    import yaml

    exc = refused(yaml.safe_load(BAD_DEAL.replace("2026-03-02", "'2026-03-02'")))
    message, line = validation_message(exc, BAD_DEAL)
    assert message == "value: must not be negative (and 1 more problem)"
    assert line == 3


def test_validation_problems_lists_each_in_file_order() -> None:
    import yaml

    exc = refused(yaml.safe_load(BAD_DEAL.replace("2026-03-02", "'2026-03-02'")))
    problems = validation_problems(Path("deals/acme.yaml"), BAD_DEAL, exc)
    assert [(p.line, p.message) for p in problems] == [
        (3, "value: must not be negative"),
        (5, "created: time stamp needs a UTC offset, e.g. 2026-03-02T10:15:00+01:00"),
    ]


def test_the_same_words_in_a_command_and_in_a_file(pipe) -> None:
    """`pipe set` and `pipe check` say the same thing about the same bad value."""
    deal = pipe.add("Acme", "--at", "2026-03-02")
    result = pipe("set", deal, "contact.email=not-an-address", ok=False)
    assert result.exit_code == 2
    assert result.stderr == "pipe: contact.email: 'not-an-address' is not an e-mail address (name@example.com)\n"
    path = pipe.root / "deals" / f"{deal}.yaml"
    path.write_text(
        pipe.deal_text(deal).replace("notes:", "contact:\n  email: not-an-address\nnotes:"), encoding="utf-8"
    )
    checked = pipe("check", ok=False)
    assert "contact.email: 'not-an-address' is not an e-mail address (name@example.com)" in checked.stdout


def test_actions_raise_invalid_value_with_the_field() -> None:
    pipeline = Pipeline.model_validate({"stages": [{"id": "lead"}]})
    with pytest.raises(InvalidValue) as caught:
        actions.new_deal(pipeline, deal_id="x", title="X", at=_at(), contact={"email": "nope"})
    assert caught.value.field == "contact.email"
    assert caught.value.message == "contact.email: 'nope' is not an e-mail address (name@example.com)"


def test_init_stage_errors_use_the_same_formatter(runner, tmp_path: Path) -> None:
    from pipecli.cli import app

    result = runner.invoke(app, ["init", str(tmp_path / "p"), "--stages", "lead,Bad Stage"])
    assert result.exit_code == 2
    assert result.stderr == (
        "pipe: --stages: stage id 'Bad Stage' must be lower-case letters, digits, - or _ (e.g. 'qualified')\n"
    )


def test_a_warning_is_printed_as_such(tmp_path: Path) -> None:
    p = Problem(tmp_path / "deals" / "a.yaml", 4, "owner changed by hand", warning=True)
    assert str(p).endswith("a.yaml:4: warning: owner changed by hand")


def _at():
    from datetime import datetime, timezone

    return datetime(2026, 3, 2, 10, tzinfo=timezone.utc)


def _deeper_than(data: object, limit: int) -> bool:
    """The nesting rule as first written: a walk with a stack of (value, depth)."""
    stack: list[tuple[object, int]] = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        if depth > limit:
            return True
        if isinstance(value, dict):
            stack.extend((v, depth + 1) for v in value.values() if isinstance(v, (dict, list)))
        elif isinstance(value, list):
            stack.extend((v, depth + 1) for v in value if isinstance(v, (dict, list)))
    return False


nested = st.recursive(
    st.none() | st.integers() | st.text(max_size=3),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=2), inner, max_size=3),
    max_leaves=40,
)


@settings(max_examples=500, deadline=None)
@given(nested, st.integers(min_value=0, max_value=6))
def test_too_deep_follows_the_nesting_rule(data: object, limit: int) -> None:
    from pipecli.documents import _too_deep

    assert _too_deep(data, limit) == _deeper_than(data, limit)


@pytest.mark.parametrize(
    "text", ["a: 1\n", "a: [[1]]\n", "a: " + "[" * 31 + "1" + "]" * 31 + "\n", "a: " + "[" * 32 + "]" * 32]
)
def test_a_document_is_refused_as_too_deep_exactly_past_the_limit(text: str) -> None:
    from pipecli.documents import MAX_DEPTH, parse_document
    from pipecli.errors import PipeError

    depth = text.count("[") + 1
    if depth > MAX_DEPTH:
        with pytest.raises(PipeError, match="nested deeper than"):
            parse_document("d.yaml", text)
    else:
        assert parse_document("d.yaml", text)
