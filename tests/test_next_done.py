"""Next steps: `pipe next DEAL --due DATE` moves the current step, `pipe done` records and clears
it, `won`/`lost` clear an open one the same way, and `show` gives no stage probability once closed."""

from __future__ import annotations

import yaml


def data(pipe, deal: str) -> dict:
    return yaml.load(pipe.deal_text(deal), Loader=yaml.BaseLoader)


def with_step(pipe, title: str = "Acme rollout") -> str:
    deal = pipe.add(title, "--at", "2026-03-02T10:00")
    pipe("next", deal, "Send the revised offer", "--due", "2026-03-06", "--at", "2026-03-02T11:00")
    return deal


def test_due_alone_reschedules_the_step_keeping_its_text(pipe, run_pipe) -> None:
    deal = with_step(pipe)
    r = run_pipe("-C", str(pipe.root), "next", deal, "--due", "+2d", "--at", "2026-03-05T09:00")
    assert (r.returncode, r.stderr) == (0, "")
    assert r.stdout == f"moved the next step of {deal}: Send the revised offer (due 2026-03-06 -> 2026-03-07)\n"
    d = data(pipe, deal)
    assert d["next_step"] == {"text": "Send the revised offer", "due": "2026-03-07"}
    last = d["history"][-1]
    assert (last["at"], last["field"], last["to"]["due"]) == ("2026-03-05T09:00:00+01:00", "next_step", "2026-03-07")


def test_reschedule_without_a_step_is_refused_with_one_line(pipe, run_pipe) -> None:
    deal = pipe.add("Bare", "--at", "2026-03-02")
    before = pipe.deal_text(deal)
    r = run_pipe("-C", str(pipe.root), "next", deal, "--due", "+2d")
    assert r.returncode == 1
    assert (
        r.stderr
        == f"pipe: deal {deal} has no next step to reschedule; set one with `pipe next {deal} TEXT --due DATE`\n"
    )
    assert pipe.deal_text(deal) == before


def test_done_records_the_step_in_the_notes_and_clears_it(pipe, run_pipe) -> None:
    deal = with_step(pipe, "Zażółć Sp. z o.o. pilot")
    r = run_pipe("-C", str(pipe.root), "done", deal, "--note", "Sent; answer by Friday", "--at", "2026-03-05T16:00")
    assert (r.returncode, r.stderr) == (0, "")
    assert r.stdout == (f"done on {deal}: Send the revised offer; it has no next step now (set one with `pipe next`)\n")
    d = data(pipe, deal)
    assert "next_step" not in d or d["next_step"] in (None, "", "null")
    assert d["notes"][-1]["at"] == "2026-03-05T16:00:00+01:00"
    assert d["notes"][-1]["text"] == "Done: Send the revised offer (due 2026-03-06)\nSent; answer by Friday"
    assert d["notes"][-1]["by"] == "tester"
    change = d["history"][-1]
    assert (change["field"], change["from"]["text"], change.get("to")) == ("next_step", "Send the revised offer", None)
    # a second done has nothing to do
    r = run_pipe("-C", str(pipe.root), "done", deal)
    assert r.returncode == 1 and "has no next step to mark done" in r.stderr


def test_done_keeps_earlier_notes_and_hand_written_comments(pipe) -> None:
    deal = with_step(pipe)
    pipe("note", deal, "Call went well", "--at", "2026-03-03")
    path = pipe.root / "deals" / f"{deal}.yaml"
    path.write_text("# hand-written: keep me\n" + path.read_text(encoding="utf-8"), encoding="utf-8")
    pipe("done", deal, "--at", "2026-03-04")
    text = pipe.deal_text(deal)
    assert text.startswith("# hand-written: keep me\n")
    assert [n["text"] for n in data(pipe, deal)["notes"]] == [
        "Call went well",
        "Done: Send the revised offer (due 2026-03-06)",
    ]


def test_won_and_lost_clear_an_open_step_and_say_so(pipe, run_pipe) -> None:
    won = with_step(pipe, "Won one")
    r = run_pipe("-C", str(pipe.root), "won", won, "--at", "2026-03-10")
    assert r.returncode == 0, r.stderr
    assert r.stdout == f"won {won}; its next step 'Send the revised offer' is cleared and kept in the notes\n"
    d = data(pipe, won)
    assert d["notes"][-1]["text"] == "Open when won: Send the revised offer (due 2026-03-06)"
    assert [h["event"] for h in d["history"]][-2:] == ["won", "changed"]
    lost = with_step(pipe, "Lost one")
    r = run_pipe("-C", str(pipe.root), "lost", lost, "--reason", "price", "--at", "2026-03-10")
    assert r.stdout.startswith(f"lost {lost} at lead: price; its next step 'Send the revised offer' is cleared")
    assert data(pipe, lost)["notes"][-1]["text"] == "Open when lost: Send the revised offer (due 2026-03-06)"
    # no step: no note, the line as before
    bare = pipe.add("Bare", "--at", "2026-03-02")
    r = run_pipe("-C", str(pipe.root), "won", bare, "--at", "2026-03-10")
    assert r.stdout == f"won {bare}\n"
    assert not data(pipe, bare).get("notes")


def test_show_gives_no_stage_probability_for_a_closed_deal(pipe) -> None:
    deal = pipe.add("Chance", "--at", "2026-03-02")
    assert "probability:" in pipe("show", deal).stdout
    pipe("lost", deal, "--reason", "timing", "--at", "2026-03-03")
    assert "probability:" not in pipe("show", deal).stdout
    pipe("reopen", deal, "--at", "2026-03-04")
    assert "(stage)" in pipe("show", deal).stdout
    pipe("set", deal, "probability=40%", "--at", "2026-03-05")
    pipe("won", deal, "--at", "2026-03-06")
    assert "probability: 40% (deal's own)" in pipe("show", deal).stdout
