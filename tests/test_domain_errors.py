"""The library raises typed errors that carry the facts and no command-line words; the
command line's one handler words them (with --at, `pipe reopen` ...) and picks the exit code."""

from __future__ import annotations

import re
from datetime import datetime, timezone
from pathlib import Path

import pytest

from pipecli import actions
from pipecli.errors import (
    AlreadyExists,
    Ambiguous,
    InvalidValue,
    NoPipeline,
    NotFound,
    OutOfOrder,
    PipeError,
    UnknownStage,
    WrongStatus,
)
from pipecli.models import Pipeline
from pipecli.store import Store

PIPELINE = Pipeline.model_validate({"stages": [{"id": "lead"}, {"id": "qualified"}, {"id": "proposal"}]})
T0 = datetime(2026, 3, 2, 10, tzinfo=timezone.utc)
T1 = datetime(2026, 3, 5, 10, tzinfo=timezone.utc)
# what only a command line has: an option, or a command to run
CLI_WORDS = re.compile(r"--[a-z]|`pipe |\bpipe [a-z]+ DEAL\b|PIPE_DIR|-C DIR")


def deal(status: str = "open"):
    d = actions.new_deal(PIPELINE, deal_id="acme", title="Acme", at=T0)
    if status == "won":
        d = actions.won(d, T0)
    return d


def raised(fn, *args, **kwargs) -> PipeError:
    with pytest.raises(PipeError) as caught:
        fn(*args, **kwargs)
    assert not CLI_WORDS.search(caught.value.message), caught.value.message
    return caught.value


def test_out_of_order_carries_both_times() -> None:
    d = actions.move(deal(), PIPELINE, "qualified", T1)
    err = raised(actions.add_note, d, T0, "late")
    assert isinstance(err, OutOfOrder)
    assert (err.deal_id, err.at, err.last) == ("acme", T0, T1)


@pytest.mark.parametrize(
    ("call", "action"),
    [
        (lambda d: actions.move(d, PIPELINE, "qualified", T1), "move"),
        (lambda d: actions.won(d, T1), "close"),
        (lambda d: actions.lost(d, T1, "price"), "close"),
    ],
)
def test_wrong_status_names_the_action(call, action: str) -> None:
    err = raised(call, deal("won"))
    assert isinstance(err, WrongStatus)
    assert (err.deal_id, err.status, err.action) == ("acme", "won", action)


def test_reopen_of_an_open_deal() -> None:
    err = raised(actions.reopen, deal(), PIPELINE, T1)
    assert isinstance(err, WrongStatus) and (err.status, err.action) == ("open", "reopen")


def test_unknown_stage_is_an_invalid_value_with_the_stages() -> None:
    err = raised(actions.check_stage, PIPELINE, "qualifed")
    assert isinstance(err, UnknownStage) and isinstance(err, InvalidValue)
    assert (err.value, err.stages, err.suggestion, err.status) == (
        "qualifed",
        ("lead", "qualified", "proposal"),
        "qualified",
        None,
    )
    won = raised(actions.check_stage, PIPELINE, "Won")
    assert isinstance(won, UnknownStage) and won.status == "won"
    assert won.message == "unknown stage 'Won': the stages are lead, qualified, proposal; won is a status, not a stage"


def test_invalid_values_carry_field_and_value() -> None:
    err = raised(actions.parse_money, "12,5", option="value")
    assert isinstance(err, InvalidValue) and (err.field, err.value) == ("value", "12,5")
    err = raised(actions.parse_probability, "1.5")
    assert isinstance(err, InvalidValue) and (err.field, err.value) == ("probability", "1.5")
    err = raised(actions.lost, deal(), T1, "  ")
    assert isinstance(err, InvalidValue) and err.field == "reason"


def test_store_errors(pipe, tmp_path: Path) -> None:
    for title in ("Acme one", "Acme two"):
        pipe("add", title, "--id", title.lower().replace(" ", "-"), "--at", "2026-03-02")
    store = Store.open(pipe.root)
    err = raised(store.resolve, "acme")
    assert isinstance(err, Ambiguous) and err.matches == ("acme-one", "acme-two")
    err = raised(store.resolve, "acme-thre")
    assert isinstance(err, NotFound) and err.ref == "acme-thre" and set(err.candidates) == {"acme-one", "acme-two"}
    err = raised(store.resolve, "zzz")
    assert isinstance(err, NotFound) and err.candidates == ()
    err = raised(store.create, store.load("acme-one"))
    assert isinstance(err, AlreadyExists) and err.deal_id == "acme-one"
    err = raised(Store.open, tmp_path / "nowhere")
    assert isinstance(err, NoPipeline) and err.missing
    (tmp_path / "empty").mkdir()
    err = raised(Store.open, tmp_path / "empty")
    assert isinstance(err, NoPipeline) and not err.missing


@pytest.mark.parametrize(
    ("setup", "args", "code", "line"),
    [
        (
            [("move", "{d}", "qualified", "--at", "2026-03-05")],
            ("note", "{d}", "late", "--at", "2026-03-04"),
            1,
            "pipe: --at 2026-03-04T00:00:00+01:00 is before this deal's last entry (2026-03-05T00:00:00+01:00); "
            "history stays in time order: give a later --at",
        ),
        (
            [("won", "{d}", "--at", "2026-03-05")],
            ("move", "{d}", "proposal", "--at", "2026-03-06"),
            1,
            "pipe: deal {d} is won; run `pipe reopen {d}` before moving it",
        ),
        (
            [("won", "{d}", "--at", "2026-03-05")],
            ("lost", "{d}", "--reason", "price"),
            1,
            "pipe: deal {d} is already won; `pipe reopen` it first",
        ),
        ([], ("reopen", "{d}"), 1, "pipe: deal {d} is open already; nothing to reopen"),
        (
            [("won", "{d}", "--at", "2026-03-05")],
            ("snooze", "{d}", "--until", "2099-01-01", "--reason", "holiday"),
            1,
            "pipe: deal {d} is won; only open deals go stale, so there is nothing to snooze",
        ),
        (
            [],
            ("move", "{d}", "won"),
            2,
            "pipe: unknown stage 'won': the stages are lead, qualified, meeting, proposal, negotiation; "
            "won is a status: use `pipe won DEAL`",
        ),
        ([], ("add", "Other", "--id", "{d}"), 2, "pipe: --id '{d}' is taken; choose another"),
        (
            [],
            ("set", "{d}", "value=12,5"),
            2,
            "pipe: value: '12,5': write the amount with a dot for decimals, e.g. 12000.50",
        ),
        (
            [],
            ("lost", "{d}", "--reason", " "),
            2,
            "pipe: --reason: say why the deal was lost (price, timing, competitor, ...)",
        ),
    ],
)
def test_the_command_line_words_them_as_before(pipe, setup, args, code: int, line: str) -> None:
    d = pipe.add("Acme", "--id", "acme", "--at", "2026-03-02")
    for step in setup:
        pipe(*(a.format(d=d) for a in step))
    result = pipe(*(a.format(d=d) for a in args), ok=False)
    assert (result.exit_code, result.stderr) == (code, line.format(d=d) + "\n")


def test_click_usage_errors_are_one_line_and_exit_2(pipe) -> None:
    for args, start in [
        (("report", "--by", "city"), "pipe: Invalid value for '--by':"),
        (("list", "--bogus"), "pipe: No such option: --bogus"),
        (("move",), "pipe: Missing argument 'DEAL'."),
        (("nonsense",), "pipe: No such command 'nonsense'."),
    ]:
        result = pipe(*args, ok=False)
        assert result.exit_code == 2, args
        assert result.stderr.startswith(start), result.stderr
        assert result.stderr.count("\n") == 1 and "--help`)" in result.stderr


def test_pipe_alone_shows_the_help(runner) -> None:
    from pipecli.cli import app

    result = runner.invoke(app, [])
    assert "Usage: pipe" in result.output and "Commands" in result.output
