"""`pipe snooze`: recorded in the deal file, with a history entry, shown by `pipe show`."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from pipecli import timeutil
from pipecli.yamlio import load_fast


def test_snooze_is_written_to_the_deal_file_and_shown(pipe: Any) -> None:
    deal = pipe.add("Zażółć gęślą jaźń", "--at", "2026-03-01T10:00")
    out = pipe("snooze", deal, "--until", "2026-03-20", "--reason", "champion on holiday", "--at", "2026-03-09T09:00")
    assert out.stdout == f"snoozed {deal} until 2026-03-20: champion on holiday\n"
    data = load_fast(pipe.deal_text(deal))
    assert data["snooze"] == {"until": "2026-03-20", "reason": "champion on holiday"}
    last = data["history"][-1]
    assert last["event"] == "changed" and last["field"] == "snooze"
    assert last["at"] == "2026-03-09T09:00:00+01:00"
    assert last["to"] == {"until": "2026-03-20", "reason": "champion on holiday"}
    shown = pipe("show", deal).stdout
    assert "snoozed:     until 2026-03-20: champion on holiday" in shown


def test_clear_ends_the_snooze(pipe: Any) -> None:
    deal = pipe.add("Paused", "--at", "2026-03-01T10:00")
    pipe("snooze", deal, "--until", "2026-04-01", "--reason", "budget", "--at", "2026-03-02T10:00")
    assert pipe("snooze", deal, "--clear", "--at", "2026-03-03T10:00").stdout == f"ended the snooze of {deal}\n"
    data = load_fast(pipe.deal_text(deal))
    assert "snooze" not in data
    assert data["history"][-1]["from"] == {"until": "2026-04-01", "reason": "budget"}
    assert "snoozed" not in pipe("show", deal).stdout
    again = pipe("snooze", deal, "--clear", "--at", "2026-03-04T10:00")
    assert again.stdout == f"{deal} was not snoozed; nothing changed\n"


def test_snooze_until_a_relative_date(pipe: Any) -> None:
    deal = pipe.add("Later", "--at", "2026-03-01T10:00")
    first = timeutil.today()
    out = pipe("snooze", deal, "--until", "+2w", "--reason", "trade fair")
    last = timeutil.today()  # the day may turn while the command runs
    data = load_fast(pipe.deal_text(deal))
    until = date.fromisoformat(data["snooze"]["until"])
    assert until in {first + timedelta(days=14), last + timedelta(days=14)}
    assert data["snooze"]["reason"] == "trade fair"
    assert out.stdout == f"snoozed {deal} until {until.isoformat()}: trade fair\n"


def usage(pipe: Any, *args: str) -> Any:
    result = pipe("snooze", *args, ok=False)
    assert result.stdout == ""
    assert len(result.stderr.strip().splitlines()) == 1 and result.stderr.startswith("pipe: ")
    return result


def test_snooze_mistakes_are_one_line_errors(pipe: Any) -> None:
    deal = pipe.add("Open", "--at", "2026-03-01T10:00")
    before = pipe.deal_text(deal)
    assert usage(pipe, deal, "--reason", "why").exit_code == 2  # no --until
    assert usage(pipe, deal, "--until", "2026-03-20").exit_code == 2  # no --reason
    assert usage(pipe, deal, "--clear", "--until", "2026-03-20").exit_code == 2
    past = usage(pipe, deal, "--until", "2026-03-05", "--reason", "x", "--at", "2026-03-05T10:00")
    assert past.exit_code == 2 and "not after 2026-03-05" in past.stderr
    assert usage(pipe, deal, "--until", "someday", "--reason", "x").exit_code == 2
    assert pipe.deal_text(deal) == before


def test_a_closed_deal_cannot_be_snoozed(pipe: Any) -> None:
    deal = pipe.add("Done", "--at", "2026-03-01T10:00")
    pipe("won", deal, "--at", "2026-03-02T10:00")
    before = pipe.deal_text(deal)
    result = usage(pipe, deal, "--until", "2026-03-20", "--reason", "x", "--at", "2026-03-03T10:00")
    assert result.exit_code == 1 and "is won" in result.stderr
    assert pipe.deal_text(deal) == before
