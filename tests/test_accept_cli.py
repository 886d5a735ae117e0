"""Command lines a new user tries from the docs, and what they see."""

from __future__ import annotations


def test_report_has_no_email_format_and_says_so(pipe) -> None:
    pipe.add("Acme", "--at", "2026-03-01")
    result = pipe("report", "--format", "email", ok=False)
    assert result.exit_code == 2
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("pipe: ")
    assert "internal error" not in lines[0]
    assert "email" in lines[0] and "pipe stale" in lines[0]
