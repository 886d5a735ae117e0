"""A deal worked from lead to won through the CLI."""

from __future__ import annotations


def test_add_move_won_show(pipe) -> None:
    deal_id = pipe.add("Zażółć Sp. z o.o. rollout", "--value", "12000", "--currency", "PLN", "--at", "2026-03-02T10:00")
    assert deal_id.startswith("zazolc-sp-z-o-o-rollout-")
    assert "from lead to qualified" in pipe("move", deal_id[:10], "qualified", "--at", "2026-03-05").stdout
    pipe("won", deal_id, "--at", "2026-03-09")
    shown = pipe("show", deal_id).stdout
    assert "Zażółć Sp. z o.o. rollout" in shown
    assert "WON" in shown
    assert "12,000 PLN" in shown
    assert "2026-03-05T00:00:00+01:00" in shown
