"""The ladder: move (forward, back, skip), won, lost, reopen, and the history they leave."""

from __future__ import annotations

import pytest
import yaml
from conftest import tree_bytes


def raw(pipe, deal_id: str) -> dict:
    return yaml.load(pipe.deal_text(deal_id), Loader=yaml.BaseLoader)


def test_move_forward_skip_and_back(pipe) -> None:
    d = pipe.add("Ladder", "--at", "2026-03-02T09:00")
    out = pipe("move", d, "qualified", "--at", "2026-03-03T09:00").stdout
    assert out == f"moved {d} from lead to qualified\n"
    out = pipe("move", d, "proposal", "--at", "2026-03-04T09:00").stdout  # skips meeting
    assert out == f"moved {d} from qualified to proposal\n"
    out = pipe("move", d, "qualified", "--at", "2026-03-05T09:00").stdout  # back
    assert out == f"moved {d} back from proposal to qualified\n"
    data = raw(pipe, d)
    assert data["stage"] == "qualified"
    assert data["history"] == [
        {"at": "2026-03-02T09:00:00+01:00", "event": "created", "to": "lead", "by": "tester"},
        {"at": "2026-03-03T09:00:00+01:00", "event": "moved", "from": "lead", "to": "qualified", "by": "tester"},
        {"at": "2026-03-04T09:00:00+01:00", "event": "moved", "from": "qualified", "to": "proposal", "by": "tester"},
        {"at": "2026-03-05T09:00:00+01:00", "event": "moved", "from": "proposal", "to": "qualified", "by": "tester"},
    ]
    assert pipe("check").exit_code == 0


def test_move_with_note(pipe) -> None:
    d = pipe.add("Noted move", "--at", "2026-03-02")
    pipe("move", d, "meeting", "--note", "Demo booked for Friday", "--at", "2026-03-03T11:00")
    data = raw(pipe, d)
    assert data["notes"] == [{"at": "2026-03-03T11:00:00+01:00", "text": "Demo booked for Friday", "by": "tester"}]
    assert data["history"][-1]["to"] == "meeting"


def test_move_to_same_stage_is_a_no_op(pipe) -> None:
    d = pipe.add("Same", "--stage", "meeting", "--at", "2026-03-02")
    before = tree_bytes(pipe.root)
    result = pipe("move", d, "meeting", "--at", "2026-03-04")
    assert result.exit_code == 0
    assert result.stdout == f"{d} is already in meeting; nothing changed\n"
    assert tree_bytes(pipe.root) == before


def test_move_by_unique_prefix(pipe) -> None:
    pipe.add("Prefixed deal", "--id", "prefixed-deal")
    pipe.add("Other", "--id", "other")
    assert pipe("move", "pref", "qualified").stdout == "moved prefixed-deal from lead to qualified\n"


def test_won_keeps_stage_and_can_set_value(pipe) -> None:
    d = pipe.add("Winner", "--value", "10000", "--currency", "PLN", "--stage", "proposal", "--at", "2026-03-02")
    out = pipe("won", d, "--value", "12500.50", "--at", "2026-03-10T15:00").stdout
    assert out == f"won {d} (12,500.50 PLN)\n"
    data = raw(pipe, d)
    assert (data["status"], data["stage"], data["value"]) == ("won", "proposal", "12500.50")
    assert data["history"][-2:] == [
        {"at": "2026-03-10T15:00:00+01:00", "event": "won", "to": "proposal", "by": "tester"},
        {
            "at": "2026-03-10T15:00:00+01:00",
            "event": "changed",
            "field": "value",
            "from": "10000",
            "to": "12500.50",
            "by": "tester",
        },
    ]


def test_won_without_value(pipe) -> None:
    d = pipe.add("No value", "--at", "2026-03-02")
    assert pipe("won", d, "--at", "2026-03-03").stdout == f"won {d}\n"
    assert raw(pipe, d)["status"] == "won"


def test_lost_needs_a_reason_and_keeps_stage(pipe) -> None:
    d = pipe.add("Loser", "--stage", "proposal", "--at", "2026-03-02")
    before = tree_bytes(pipe.root)
    missing = pipe("lost", d, ok=False)
    assert missing.exit_code == 2
    assert missing.stderr.startswith("pipe: ")
    assert "--reason" in missing.stderr
    assert len(missing.stderr.strip().splitlines()) == 1
    blank = pipe("lost", d, "--reason", "   ", ok=False)
    assert blank.exit_code == 2
    assert blank.stderr.startswith("pipe: --reason")
    assert tree_bytes(pipe.root) == before
    out = pipe("lost", d, "--reason", "price too high", "--at", "2026-03-09").stdout
    assert out == f"lost {d} at proposal: price too high\n"
    data = raw(pipe, d)
    assert (data["status"], data["stage"], data["lost_reason"]) == ("lost", "proposal", "price too high")
    assert data["history"][-1] == {
        "at": "2026-03-09T00:00:00+01:00",
        "event": "lost",
        "to": "proposal",
        "reason": "price too high",
        "by": "tester",
    }


def test_closed_deal_needs_reopen_before_move(pipe) -> None:
    d = pipe.add("Closed", "--at", "2026-03-02")
    pipe("lost", d, "--reason", "timing", "--at", "2026-03-03")
    before = tree_bytes(pipe.root)
    for args in (["move", d, "qualified"], ["won", d], ["lost", d, "--reason", "again"]):
        result = pipe(*args, ok=False)
        assert result.exit_code == 1, args
        assert result.stderr.startswith("pipe: "), args
        assert "reopen" in result.stderr, args
    assert tree_bytes(pipe.root) == before


def test_reopen_in_place_and_in_another_stage(pipe) -> None:
    d = pipe.add("Comeback", "--stage", "proposal", "--at", "2026-03-02")
    pipe("lost", d, "--reason", "budget", "--at", "2026-03-03")
    assert pipe("reopen", d, "--at", "2026-03-04").stdout == f"reopened {d} in proposal\n"
    data = raw(pipe, d)
    assert (data["status"], data["stage"]) == ("open", "proposal")
    assert "lost_reason" not in data
    assert data["history"][-1] == {
        "at": "2026-03-04T00:00:00+01:00",
        "event": "reopened",
        "from": "lost",
        "to": "proposal",
        "by": "tester",
    }
    pipe("won", d, "--at", "2026-03-05")
    assert pipe("reopen", d, "--stage", "qualified", "--at", "2026-03-06").stdout == f"reopened {d} in qualified\n"
    data = raw(pipe, d)
    assert (data["status"], data["stage"]) == ("open", "qualified")
    assert data["history"][-1] == {
        "at": "2026-03-06T00:00:00+01:00",
        "event": "reopened",
        "from": "won",
        "to": "qualified",
        "by": "tester",
    }
    pipe("move", d, "negotiation", "--at", "2026-03-07")
    assert pipe("check").exit_code == 0


def test_reopen_an_open_deal_is_an_error(pipe) -> None:
    d = pipe.add("Open", "--at", "2026-03-02")
    before = tree_bytes(pipe.root)
    result = pipe("reopen", d, ok=False)
    assert result.exit_code == 1
    assert result.stderr == f"pipe: deal {d} is open already; nothing to reopen\n"
    assert tree_bytes(pipe.root) == before


def test_won_as_a_stage_points_to_the_status_command(pipe) -> None:
    d = pipe.add("Status", "--at", "2026-03-02")
    result = pipe("move", d, "won", ok=False)
    assert result.exit_code == 2
    assert "pipe won DEAL" in result.stderr


@pytest.mark.slow
def test_full_lifecycle_through_a_real_process(pipe, run_pipe) -> None:
    root = str(pipe.root)
    add = run_pipe("-C", root, "add", "Zażółć Sp. z o.o. rollout", "--value", "12000", "--currency", "PLN",
                   "--at", "2026-03-02T10:00")  # fmt: skip
    assert add.returncode == 0, add.stderr
    d = add.stdout.strip()
    assert d.startswith("zazolc-sp-z-o-o-rollout-")
    steps = [
        ["move", d, "qualified", "--at", "2026-03-03"],
        ["note", d, "Spoke to the CFO", "--at", "2026-03-03T12:00"],
        ["move", d, "proposal", "--at", "2026-03-10"],
        ["lost", d, "--reason", "went with a competitor", "--at", "2026-03-20"],
        ["reopen", d, "--at", "2026-04-01"],
        ["won", d, "--at", "2026-04-15"],
    ]
    for step in steps:
        r = run_pipe("-C", root, *step)
        assert r.returncode == 0, (step, r.stderr)
        assert r.stderr == ""
    show = run_pipe("-C", root, "show", d)
    assert show.returncode == 0
    assert "Zażółć Sp. z o.o. rollout" in show.stdout
    assert "WON" in show.stdout
    assert "12,000 PLN" in show.stdout
    assert "Spoke to the CFO" in show.stdout
    assert "lost (at proposal): went with a competitor" in show.stdout
    assert run_pipe("-C", root, "check").returncode == 0


def test_move_to_same_stage_keeps_the_note(pipe) -> None:
    d = pipe.add("Same with note", "--stage", "meeting", "--at", "2026-03-02")
    result = pipe("move", d, "meeting", "--note", "Agenda agreed", "--at", "2026-03-04T10:00")
    assert result.stdout == f"{d} is already in meeting; the note is added\n"
    data = raw(pipe, d)
    assert data["stage"] == "meeting"
    assert data["notes"] == [{"at": "2026-03-04T10:00:00+01:00", "text": "Agenda agreed", "by": "tester"}]
    assert [h["event"] for h in data["history"]] == ["created"]
