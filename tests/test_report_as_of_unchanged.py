"""A report as of a past day never changes: whatever is done later through the CLI.

Random pipelines are written with `pipe add`, then `pipe report --as-of DAY --format json` (and `pipe
stale --as-of DAY`) is taken; more commands follow at later times (move, won, lost, reopen, note, next,
snooze, set, edit in $EDITOR, and new deals); the same reports, asked again, must print the same bytes.
"""

from __future__ import annotations

import sys
import tempfile
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from pipecli.cli import app

STAGES = ["lead", "qualified", "meeting", "proposal", "negotiation"]
START = datetime(2026, 3, 2, 9, 0)  # local time (the tests' TZ, Europe/Warsaw): `--at` without offset
OWNERS = ["anna", "Anna", "bob", "Łukasz"]
# an editor that sets one top-level field of the deal file, as a person would in $EDITOR
EDITOR = """\
import os, re, sys
path = sys.argv[-1]
text = open(path, encoding="utf-8").read()
field, value = os.environ["EDIT_FIELD"], os.environ["EDIT_VALUE"]
line = f"{field}: {value}"
pattern = re.compile(rf"^{field}:.*$", re.MULTILINE)
text = pattern.sub(line, text) if pattern.search(text) else text.replace("\\nstage:", f"\\n{line}\\nstage:", 1)
open(path, "w", encoding="utf-8").write(text)
"""


@st.composite
def command(draw: st.DrawFn, deals: int) -> tuple[Any, ...]:
    op = draw(st.sampled_from(["move", "won", "lost", "reopen", "note", "next", "snooze", "set", "set", "edit", "add"]))
    deal = f"d{draw(st.integers(0, deals - 1))}"
    if op == "add":
        return ("add", draw(st.integers(0, 10**4)), draw(st.sampled_from(OWNERS)))
    if op == "move":
        return ("move", deal, draw(st.sampled_from(STAGES)))
    if op == "won":
        return ("won", deal, draw(st.sampled_from([None, "2500", "9000"])))
    if op == "lost":
        return ("lost", deal, draw(st.sampled_from(["price", "timing"])))
    if op == "reopen":
        return ("reopen", deal, draw(st.sampled_from([None, *STAGES])))
    if op == "note":
        return ("note", deal, "Called; still interested")
    if op == "next":
        return ("next", deal, draw(st.integers(-3, 20)))
    if op == "snooze":
        return ("snooze", deal, draw(st.integers(1, 20)))
    if op == "edit":
        field, value = draw(
            st.sampled_from(
                [("value", "5000"), ("value", "1234.50"), ("owner", "bob"), ("owner", "Łukasz"),
                 ("currency", "PLN"), ("close_date", "2026-05-31"), ("title", "Caffè Roma")]
            )
        )  # fmt: skip
        return ("edit", deal, (field, value))
    field = draw(st.sampled_from(["value", "owner", "currency", "tags", "close_date", "probability", "title"]))
    value = {
        "value": draw(st.sampled_from(["1000", "5000", ""])),
        "owner": draw(st.sampled_from([*OWNERS, ""])),
        "currency": draw(st.sampled_from(["EUR", "PLN", "THB"])),
        "tags": draw(st.sampled_from(["smb", "smb,asia", ""])),
        "close_date": draw(st.sampled_from(["2026-03-15", "2026-04-30", ""])),
        "probability": draw(st.sampled_from(["0.5", "90%", ""])),
        "title": draw(st.sampled_from(["Zażółć rollout", "ร้านกาแฟ"])),
    }[field]
    return ("set", deal, f"{field}={value}")


@st.composite
def scripts(draw: st.DrawFn) -> dict[str, Any]:
    deals = draw(st.integers(1, 4))
    return {
        "deals": [
            (draw(st.sampled_from(STAGES[:3])), draw(st.sampled_from(["1000", "20000"])), draw(st.sampled_from(OWNERS)))
            for _ in range(deals)
        ],
        "before": draw(st.lists(command(deals), max_size=10)),
        "after": draw(st.lists(command(deals), min_size=1, max_size=10)),
        "steps": draw(st.lists(st.sampled_from([0, 1, 5, 11, 26, 50]), min_size=40, max_size=40)),
        "gap_days": draw(st.integers(0, 3)),
        "first_after_h": draw(st.sampled_from([0, 1, 30])),
    }


class Runner:
    def __init__(self, root: Path) -> None:
        self.runner = CliRunner()
        self.root = root
        self.added = 0
        self.editor = root.parent / "editor.py"
        self.editor.write_text(EDITOR, encoding="utf-8")

    def __call__(self, *args: str, env: dict[str, str] | None = None) -> Any:
        return self.runner.invoke(app, ["-C", str(self.root), *args], env=env)

    def run(self, cmd: tuple[Any, ...], at: datetime) -> None:
        when = ["--at", at.strftime("%Y-%m-%dT%H:%M")]
        op, deal, arg = cmd
        if op == "add":
            self.added += 1
            self("add", f"New {deal}", "--id", f"n{self.added}", "--owner", arg, "--value", "700", *when)
        elif op == "move":
            self("move", deal, arg, *when)
        elif op == "won":
            self("won", deal, *(["--value", arg] if arg else []), *when)
        elif op == "lost":
            self("lost", deal, "--reason", arg, *when)
        elif op == "reopen":
            self("reopen", deal, *(["--stage", arg] if arg else []), *when)
        elif op == "note":
            self("note", deal, arg, *when)
        elif op == "next":
            self("next", deal, "Send offer", "--due", (at.date() + timedelta(days=arg)).isoformat(), *when)
        elif op == "snooze":
            until = (at.date() + timedelta(days=arg)).isoformat()
            self("snooze", deal, "--until", until, "--reason", "holiday", *when)
        elif op == "edit":
            field, value = arg
            env = {"EDITOR": f"{sys.executable} {self.editor}", "VISUAL": "", "EDIT_FIELD": field, "EDIT_VALUE": value}
            self("edit", deal, *when, env=env)
        else:
            self("set", deal, arg, *when)


def reports(pipe: Runner, day: date) -> list[str]:
    out = []
    for args in ([], ["--by", "owner", "--strict"], ["--by", "tag"], ["--owner", "anna"]):
        result = pipe("report", "--as-of", day.isoformat(), "--format", "json", *args)
        assert result.exit_code == 0, result.output
        out.append(result.stdout)
    stale = pipe("stale", "--as-of", day.isoformat(), "--format", "json")
    assert stale.exit_code == 0, stale.output
    return [*out, stale.stdout]


@pytest.mark.slow
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scripts())
def test_a_past_report_is_unchanged_by_any_later_command(script: dict[str, Any]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "p"
        assert CliRunner().invoke(app, ["init", str(root)]).exit_code == 0
        pipe = Runner(root)
        steps = iter(script["steps"])
        at = START
        for i, (stage, value, owner) in enumerate(script["deals"]):
            result = pipe("add", f"Deal {i}", "--id", f"d{i}", "--stage", stage, "--value", value, "--owner", owner,
                          "--at", at.strftime("%Y-%m-%dT%H:%M"))  # fmt: skip
            assert result.exit_code == 0, result.output
            at += timedelta(hours=next(steps))
        for cmd in script["before"]:
            pipe.run(cmd, at)
            at += timedelta(hours=next(steps))
        day = at.date() + timedelta(days=script["gap_days"])
        before = reports(pipe, day)
        # the first later command comes at the cut-off itself (midnight after the day) or after it
        at = datetime.combine(day + timedelta(days=1), datetime.min.time()) + timedelta(hours=script["first_after_h"])
        for cmd in script["after"]:
            pipe.run(cmd, at)
            at += timedelta(hours=next(steps) + 1)
        assert reports(pipe, day) == before
