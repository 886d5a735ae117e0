"""Every bad input: one clear `pipe:` line on stderr, the documented exit code, nothing written."""

from __future__ import annotations

import re

import pytest
from conftest import tree_bytes

STAGES = "the stages are lead, qualified, meeting, proposal, negotiation"


@pytest.fixture(autouse=True)
def no_editor(monkeypatch: pytest.MonkeyPatch) -> None:
    """Should `pipe edit` get as far as starting an editor, it fails at once."""
    monkeypatch.setenv("EDITOR", "false")
    monkeypatch.delenv("VISUAL", raising=False)


@pytest.fixture
def deals(pipe):
    """Three deals, the last entry of each on 2026-03-10 12:00 (local time)."""
    pipe.add("Acme one", "--id", "acme-one", "--value", "100", "--at", "2026-03-01T09:00")
    pipe.add("Acme two", "--id", "acme-two", "--at", "2026-03-01T09:00")
    pipe.add("Closed", "--id", "closed", "--at", "2026-03-01T09:00")
    pipe("lost", "closed", "--reason", "price", "--at", "2026-03-10T12:00")
    pipe("note", "acme-one", "last entry", "--at", "2026-03-10T12:00")
    pipe("note", "acme-two", "last entry", "--at", "2026-03-10T12:00")
    return pipe


def refused(pipe, *args: str, code: int, stdin: str | None = None) -> str:
    """Run a command that must fail; check the shape of the failure; return the stderr line."""
    before = tree_bytes(pipe.root)
    result = pipe(*args, input=stdin, ok=False)
    assert result.exit_code == code, (args, result.exit_code, result.output)
    lines = result.stderr.splitlines()
    assert len(lines) == 1, (args, result.stderr)
    assert lines[0].startswith("pipe: "), (args, lines[0])
    assert "Traceback" not in result.output and "internal error" not in result.output
    assert result.stdout == "", (args, result.stdout)
    assert tree_bytes(pipe.root) == before, args
    return lines[0]


# -- stages ----------------------------------------------------------------------------
@pytest.mark.parametrize(
    "args",
    [
        ["move", "acme-one", "{stage}"],
        ["add", "New", "--stage", "{stage}"],
        ["reopen", "closed", "--stage", "{stage}"],
        ["list", "--stage", "{stage}"],
    ],
)
def test_unknown_stage_names_the_stages_and_closest_match(deals, args: list[str]) -> None:
    line = refused(deals, *[a.format(stage="qualifed") for a in args], code=2)
    assert line == f"pipe: unknown stage 'qualifed': {STAGES}; did you mean qualified?"
    line = refused(deals, *[a.format(stage="xyz") for a in args], code=2)
    assert line == f"pipe: unknown stage 'xyz': {STAGES}"


# -- deals -----------------------------------------------------------------------------
@pytest.mark.parametrize(
    "command",
    [
        ["move", "{deal}", "meeting"],
        ["won", "{deal}"],
        ["lost", "{deal}", "--reason", "x"],
        ["reopen", "{deal}"],
        ["note", "{deal}", "text"],
        ["next", "{deal}", "call", "--due", "2026-04-01"],
        ["set", "{deal}", "owner=x"],
        ["edit", "{deal}"],
        ["show", "{deal}"],
    ],
)
def test_unknown_and_ambiguous_deals(deals, command: list[str]) -> None:
    def run(ref: str) -> str:
        return refused(deals, *[ref if a == "{deal}" else a for a in command], code=1)

    assert run("acme") == "pipe: deal 'acme' is ambiguous: it starts acme-one, acme-two; type more of the id"
    line = run("acme-thre")
    assert line.startswith("pipe: no deal 'acme-thre'; did you mean ")
    assert sorted(line.removesuffix("?").split("did you mean ")[1].split(", ")) == ["acme-one", "acme-two"]
    assert run("zzz") == "pipe: no deal 'zzz'; `pipe list` shows the ids"


def test_unique_prefix_is_not_ambiguous(deals) -> None:
    assert deals("show", "acme-o").exit_code == 0
    assert deals("show", "clo").exit_code == 0


@pytest.mark.parametrize("ref", ["", " ", "../pipeline", "deals/acme-one", "/etc/passwd", "acme-one.yaml"])
def test_odd_deal_references(deals, ref: str) -> None:
    line = refused(deals, "show", ref, code=1)
    assert line.startswith("pipe: no deal")


# -- values, dates, currencies -----------------------------------------------------------
@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["add", "X", "--value", "-5"], "pipe: --value: '-5' is negative; a deal's value is 0 or more"),
        (["add", "X", "--value", "abc"], "pipe: --value: 'abc' is not a number; write e.g. 12000 or 12000.50"),
        (["add", "X", "--value", "12.000,50"], None),
        (["add", "X", "--value", "12,5"], None),
        (["add", "X", "--value", "1,2,3"], None),
        (["add", "X", "--value", "NaN"], "pipe: --value: 'NaN' is not a finite number"),
        (["add", "X", "--value", "Infinity"], "pipe: --value: 'Infinity' is not a finite number"),
        (["add", "X", "--value", "1e400"], None),
        (["add", "X", "--value", "0.1234567890123456789"], None),
        (["won", "acme-one", "--value", "-1"], "pipe: --value: '-1' is negative; a deal's value is 0 or more"),
        (["won", "acme-one", "--value", "ten"], "pipe: --value: 'ten' is not a number; write e.g. 12000 or 12000.50"),
        (["set", "acme-one", "value=-2"], "pipe: value: '-2' is negative; a deal's value is 0 or more"),
        (["add", "X", "--currency", "EURO"], None),
        (["add", "X", "--currency", "XYZ"], None),
        (["add", "X", "--currency", ""], None),
        (["set", "acme-one", "currency=zł"], None),
        (["add", "X", "--at", "2026-13-01"], None),
        (["add", "X", "--at", "yesterday-ish"], None),
        (["add", "X", "--at", "03/02/2026"], None),
        (["add", "X", "--close-date", "2026-02-30"], None),
        (["add", "X", "--probability", "2"], "pipe: probability '2' is outside 0..1 (0%..100%)"),
        (["add", "X", "--probability", "half"], None),
        (["add", "X", "--email", "not-an-email"], None),
        (["next", "acme-one", "call", "--due", "31.03.2026"], None),
        (["move", "acme-one", "meeting", "--at", "soon"], None),
    ],
)
def test_bad_values(deals, args: list[str], message: str | None) -> None:
    line = refused(deals, *args, code=2)
    if message is not None:
        assert line == message
    option = args[2].split("=")[0] if args[0] == "set" else next(a for a in args if a.startswith("--"))
    assert option.lstrip("-").split("-")[0] in line, (option, line)


# -- time order ----------------------------------------------------------------------------
@pytest.mark.parametrize(
    "args",
    [
        ["move", "acme-one", "meeting"],
        ["won", "acme-one"],
        ["lost", "acme-one", "--reason", "x"],
        ["reopen", "closed"],
        ["note", "acme-one", "late"],
        ["next", "acme-one", "call", "--due", "2026-04-01"],
        ["set", "acme-one", "owner=zoe"],
        ["move", "acme-one", "meeting", "--note", "x"],
    ],
)
def test_at_before_the_last_entry(deals, args: list[str]) -> None:
    line = refused(deals, *args, "--at", "2026-03-10T11:59", code=1)
    assert line == (
        "pipe: --at 2026-03-10T11:59:00+01:00 is before this deal's last entry (2026-03-10T12:00:00+01:00); "
        "history stays in time order: give a later --at"
    )
    # the same moment, said in another offset, is not before it
    assert deals(*args, "--at", "2026-03-10T11:00:00Z").exit_code == 0


def test_lost_without_reason_and_add_without_title(deals) -> None:
    assert "--reason" in refused(deals, "lost", "acme-one", code=2)
    assert "TITLE" in refused(deals, "add", code=2)  # as the usage line names it: pipe add [OPTIONS] TITLE
    assert refused(deals, "add", "   ", code=2) == "pipe: a deal needs a title"
    assert "Missing argument" in refused(deals, "move", "acme-one", code=2)
    assert "No such command" in refused(deals, "mvoe", code=2)
    assert "No such option" in refused(deals, "list", "--colour", code=2)


def test_bad_input_in_a_real_process(deals, run_pipe) -> None:
    before = tree_bytes(deals.root)
    r = run_pipe("-C", str(deals.root), "add", "X", "--value", "-5")
    assert (r.returncode, r.stdout) == (2, "")
    assert r.stderr == "pipe: --value: '-5' is negative; a deal's value is 0 or more\n"
    r = run_pipe("-C", str(deals.root), "move", "acme", "nowhere")
    assert r.returncode == 1
    assert re.fullmatch(r"pipe: .+\n", r.stderr)
    assert tree_bytes(deals.root) == before
