"""A wall clock behind the deal's last entry (another machine's clock ran ahead, or this one
stepped back): a change without --at is stamped with the last entry's time, never refused."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
import yaml

from pipecli import actions, timeutil
from pipecli.store import Store


@pytest.fixture
def ahead(pipe) -> tuple[str, str]:
    """A deal whose last entry is an hour after now, as a writer with a fast clock left it."""
    deal = pipe.add("Acme", "--id", "acme", "--at", "2026-03-02")
    later = timeutil.now() + timedelta(hours=1)
    # what that writer's `pipe note` did at its own "now" (this machine refuses --at in the future)
    store = Store.open(pipe.root)
    store.change(deal, lambda d: actions.add_note(d, later, "from a clock an hour ahead"))
    return deal, later.isoformat()


def entries(pipe, deal: str) -> tuple[list[dict], list[dict]]:
    data = yaml.load(pipe.deal_text(deal), Loader=yaml.BaseLoader)
    return data["history"], data.get("notes") or []


@pytest.mark.parametrize(
    "args",
    [
        ["note", "acme", "a note"],
        ["move", "acme", "meeting"],
        ["move", "acme", "meeting", "--note", "moved with a note"],
        ["set", "acme", "owner=anna"],
        ["next", "acme", "Call back", "--due", "2099-01-01"],
        ["won", "acme"],
        ["lost", "acme", "--reason", "price"],
        ["snooze", "acme", "--until", "2099-01-01", "--reason", "holiday"],
    ],
)
def test_a_change_without_at_takes_the_last_entrys_time(pipe, ahead: tuple[str, str], args: list[str]) -> None:
    deal, later = ahead
    history_before, notes_before = entries(pipe, deal)
    result = pipe(*args, ok=False)
    assert result.exit_code == 0, result.output
    history, notes = entries(pipe, deal)
    new = history[len(history_before) :] + notes[len(notes_before) :]
    assert new, "the change was recorded"
    assert {datetime.fromisoformat(e["at"]) for e in new} == {datetime.fromisoformat(later)}
    assert pipe("check").exit_code == 0


def test_reopen_without_at_after_a_fast_clock(pipe, ahead: tuple[str, str]) -> None:
    deal, later = ahead
    pipe("lost", deal, "--reason", "price")
    assert pipe("reopen", deal, ok=False).exit_code == 0
    history, _ = entries(pipe, deal)
    assert [datetime.fromisoformat(h["at"]) for h in history[-2:]] == [datetime.fromisoformat(later)] * 2


def test_with_at_the_order_is_still_enforced(pipe, ahead: tuple[str, str]) -> None:
    deal, _later = ahead
    earlier = (timeutil.now() - timedelta(minutes=1)).isoformat()  # past, but before the fast clock's entry
    result = pipe("note", deal, "late", "--at", earlier, ok=False)
    assert result.exit_code == 1
    assert "is before this deal's last entry" in result.stderr and result.stderr.count("\n") == 1


def test_a_clock_that_reads_later_is_used_as_it_is(pipe) -> None:
    deal = pipe.add("Acme", "--id", "acme", "--at", "2026-03-02")
    before = timeutil.now()
    pipe("note", deal, "now")
    _, notes = entries(pipe, deal)
    assert datetime.fromisoformat(notes[-1]["at"]) >= before
