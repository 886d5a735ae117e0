"""`pipe report --calibration`: each stage's configured probability against the closed deals that reached it.

The pipeline (default stages lead .1, qualified .25, meeting .4, proposal .6, negotiation .8; EUR):
  w1, w2, w3  anna  lead 03-02, qualified 03-03, meeting 03-04, proposal 03-05, negotiation 03-06, won 03-10
  w4          anna  lead 03-02, proposal 03-04 (skips two stages), won 03-10
  l1 .. l6    bob   lead 03-02, lost 03-20
  l7, l8      bob   lead 03-02, qualified 03-04, lost 03-12
  l9          anna  lead 03-02, qualified 03-03, meeting 03-04, proposal 03-05, lost 03-12
  o1          anna  lead 03-02, proposal 03-06, open (open deals never count)

As of 03-31, closed deals that reached each stage (a won deal has passed every stage), won among them:
  lead 13 (4 won), qualified 7 (4), meeting 5 (4), proposal 5 (4), negotiation 4 (4)
strict (in order; w4 skipped qualified, so it reached only lead):
  lead 13 (4), qualified 6 (3), meeting 4 (3), proposal 4 (3), negotiation 3 (3)
Lead: 4 of 13, Wilson 95%: p = 0.3077, z^2/n = 0.2955, centre = (0.3077 + 0.1478) / 1.2955 = 0.3516,
half = 1.96 / 1.2955 x sqrt(0.3077 x 0.6923 / 13 + 3.8415 / 676) = 0.2248: 12.7% to 57.6%.
The configured 10% is below it: verdict low. Every other stage has under 10 closed deals: too_few.
"""

from __future__ import annotations

import json

import pytest

from pipecli.calibration import MIN_CLOSED, wilson

FULL = ["qualified", "meeting", "proposal", "negotiation"]


@pytest.fixture
def closed(pipe):
    def deal(name: str, owner: str, moves: list[str], end: str | None, day: str) -> None:
        d = pipe.add(name, "--id", name, "--value", "1000", "--owner", owner, "--at", "2026-03-02")
        for i, stage in enumerate(moves):
            pipe("move", d, stage, "--at", f"2026-03-0{3 + i}")
        if end == "won":
            pipe("won", d, "--at", day)
        elif end == "lost":
            pipe("lost", d, "--reason", "price", "--at", day)

    for i in (1, 2, 3):
        deal(f"w{i}", "anna", FULL, "won", "2026-03-10")
    deal("w4", "anna", ["meeting", "proposal"][1:], "won", "2026-03-10")
    for i in range(1, 7):
        deal(f"l{i}", "bob", [], "lost", "2026-03-20")
    deal("l7", "bob", ["qualified"], "lost", "2026-03-12")
    deal("l8", "bob", ["qualified"], "lost", "2026-03-12")
    deal("l9", "anna", FULL[:3], "lost", "2026-03-12")
    deal("o1", "anna", ["proposal"], None, "")
    return pipe


def calibration(pipe, *args: str) -> dict:
    return json.loads(pipe("report", "--calibration", "--format", "json", *args).stdout)


def counts(rows: list[dict]) -> list[tuple[int, int]]:
    return [(r["closed"], r["won"]) for r in rows]


def test_wilson_interval_by_hand() -> None:
    low, high = wilson(3, 10)  # p 0.3: centre 0.3555, half 0.2477
    assert (round(low, 4), round(high, 4)) == (0.1078, 0.6032)
    low, high = wilson(4, 13)
    assert (round(low, 4), round(high, 4)) == (0.1268, 0.5763)
    assert tuple(round(x, 4) for x in wilson(0, 5)) == (0.0, 0.4345)  # type: ignore[union-attr]
    assert tuple(round(x, 4) for x in wilson(10, 10)) == (0.7225, 1.0)  # type: ignore[union-attr]
    assert wilson(0, 0) is None


def test_per_stage_counts_interval_and_verdict(closed) -> None:
    data = calibration(closed, "--as-of", "2026-03-31")
    rows = data["calibration"]
    assert [r["stage"] for r in rows] == ["lead", "qualified", "meeting", "proposal", "negotiation"]
    assert counts(rows) == [(13, 4), (7, 4), (5, 4), (5, 4), (4, 4)]
    assert [r["probability"] for r in rows] == [0.1, 0.25, 0.4, 0.6, 0.8]
    lead = rows[0]
    assert lead["observed"] == pytest.approx(4 / 13)
    assert (round(lead["low"], 3), round(lead["high"], 3)) == (0.127, 0.576)
    assert [r["verdict"] for r in rows] == ["low", "too_few", "too_few", "too_few", "too_few"]
    assert MIN_CLOSED == 10
    # the rest of the report is as without --calibration
    plain = json.loads(closed("report", "--format", "json", "--as-of", "2026-03-31").stdout)
    assert {k: v for k, v in data.items() if k != "calibration"} == plain


def test_strict_counts_only_stages_reached_in_order(closed) -> None:
    rows = calibration(closed, "--as-of", "2026-03-31", "--strict")["calibration"]
    assert counts(rows) == [(13, 4), (6, 3), (4, 3), (4, 3), (3, 3)]


def test_as_of_counts_only_closings_up_to_the_cut_off(closed) -> None:
    # on 03-15 l1 .. l6 are still open: 7 closed deals reached lead, 4 of them won
    rows = calibration(closed, "--as-of", "2026-03-15")["calibration"]
    assert counts(rows) == [(7, 4), (7, 4), (5, 4), (5, 4), (4, 4)]
    assert rows[0]["verdict"] == "too_few"
    rows = calibration(closed, "--as-of", "2026-03-09")["calibration"]
    assert counts(rows) == [(0, 0)] * 5
    assert rows[0]["observed"] is None and rows[0]["low"] is None and rows[0]["verdict"] == "too_few"


def test_by_owner_and_filters(closed) -> None:
    data = calibration(closed, "--as-of", "2026-03-31", "--by", "owner")
    groups = {g["key"]: g["calibration"] for g in data["groups"]}
    assert counts(groups["anna"]) == [(5, 4), (5, 4), (5, 4), (5, 4), (4, 4)]
    assert counts(groups["bob"]) == [(8, 0), (2, 0), (0, 0), (0, 0), (0, 0)]
    assert counts(calibration(closed, "--as-of", "2026-03-31", "--owner", "bob")["calibration"]) == counts(
        groups["bob"]
    )
    assert "calibration" not in json.loads(closed("report", "--format", "json", "--by", "owner").stdout)["groups"][0]


def test_the_table_and_its_verdict_line_through_the_installed_pipe(closed, run_pipe) -> None:
    r = run_pipe("-C", str(closed.root), "report", "--calibration", "--as-of", "2026-03-31")
    assert r.returncode == 0, r.stderr
    section = r.stdout.split("Calibration: stage probability against closed deals\n", 1)[1]
    lines = section.splitlines()
    assert lines[0].split() == ["stage", "configured", "won/closed", "closed", "95%", "interval", "verdict"]
    assert lines[2].split() == ["Lead", "10%", "31%", "13", "13%-58%", "too", "low"]
    assert lines[3].split() == [
        "Qualified",
        "25%",
        "57%",
        "7",
        "25%-84%",
        "too",
        "few",
    ]  # 4 of 7: centre 0.5461, half 0.2957
    note = section.split("\n\n", 1)[1]
    assert note.startswith(
        "Lead: configured 10% is below the 95% interval 13%-58% (4 won of 13 closed):\n"
        "  deals that reach it win more often\n"
    )
    assert "Qualified:" not in note.split("closed: closed deals", 1)[0]
