"""Stale deals as text: the shared listing formats, a plain-text e-mail body, and an HTML page (render/html.py)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import timedelta
from typing import Any

from ..fields import names
from ..models import DEAL_COLUMNS
from ..stale import IDLE, NO_NEXT_STEP, OVERDUE, UNTOUCHED, AsOf, StaleDeal, StaleSummary, group_by_owner, summarize
from . import STALE_FORMATS, Column, OutputFormat, Screen, money, render_rows


def _reason_style(row: Mapping[str, Any]) -> str:
    return "overdue" if row.get("reason") == OVERDUE else "stale"


def _due_style(row: Mapping[str, Any]) -> str | None:
    return "overdue" if row.get("reason") == OVERDUE else None


# priority 0 stays on every screen; higher numbers give way first on a narrow one
COLUMNS = [
    Column("id", "deal"),  # never shortened: people copy ids from here
    Column("title", "title", max_width=32, min_width=16),
    Column("company", "company", max_width=20, min_width=12, priority=6),
    Column("owner", "owner", max_width=14, min_width=8, priority=3),
    Column("stage", "stage", priority=2, style=lambda row: "stage"),
    Column("idle_text", "idle (limit)", align="right", priority=1),
    Column("value_text", "value", align="right", priority=4),
    Column("next_step", "next step", max_width=28, min_width=10, priority=5),
    Column("next_due", "due", priority=5, style=_due_style),
    Column("reason_text", "reason", style=_reason_style),
]
# what pipe stale offers: the formats of every listing, a mail body and a page (named in render)
FORMATS = STALE_FORMATS

# what json, csv and yaml carry: every number as a number, nothing pre-formatted; the deal's
# columns marked ``stale`` in pipecli.models, with the stale list's own keys placed among them
STALE_KEYS = {
    "reason": 60,
    "idle_days": 70,
    "idle_hours": 80,
    "stale_after": 90,
    "past_days": 100,
    "overdue_days": 110,
}
MACHINE_KEYS = list(names(DEAL_COLUMNS, "stale", STALE_KEYS))
_PEOPLE_KEYS = frozenset({"idle_text", "value_text", "reason_text"})  # what ``row`` makes for a table only

EXTENSIONS = {
    OutputFormat.table: "txt",
    OutputFormat.email: "txt",
    OutputFormat.markdown: "md",
    OutputFormat.json: "json",
    OutputFormat.jsonl: "jsonl",
    OutputFormat.csv: "csv",
    OutputFormat.tsv: "tsv",
    OutputFormat.yaml: "yaml",
    OutputFormat.html: "html",
}


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def idle_short(idle: timedelta) -> str:
    """Whole days, or whole hours under two days: '12d', '38h'."""
    if idle >= timedelta(days=2):
        return f"{idle // timedelta(days=1)}d"
    return f"{idle // timedelta(hours=1)}h"


def idle_long(idle: timedelta) -> str:
    if idle >= timedelta(days=2):
        return _plural(idle // timedelta(days=1), "day")
    return _plural(idle // timedelta(hours=1), "hour")


def reason_text(item: StaleDeal) -> str:
    if item.reason == OVERDUE:
        return f"overdue {item.overdue_days}d"
    if item.reason == UNTOUCHED:
        return f"{UNTOUCHED} within {item.threshold_text}"
    return item.reason


def row(item: StaleDeal, *, machine: bool = True, people: bool = True) -> dict[str, Any]:
    """The stale deal's listing row, every value a scalar in its plain form (dates as ISO
    text); without ``machine``, ``last_activity`` (a time made per deal, shown only by the
    machine formats) is left None, and without ``people``, the texts only a table shows
    (``idle_text``, ``value_text``, ``reason_text``) are left out: for listings of tens of
    thousands."""
    d = item.deal
    step = d.next_step
    due = step.due if step else None
    found = {
        "id": d.id,
        "title": d.title,
        "company": d.company,
        "owner": d.owner,
        "stage": d.stage,
        "reason": item.reason,
        "idle_days": item.idle_days,
        "idle_hours": round(item.idle / timedelta(hours=1), 1),
        "stale_after": item.threshold_text,
        "past_days": round(item.past_days, 2),
        "overdue_days": item.overdue_days,
        "value": d.value,
        "currency": item.currency,
        "next_step": step.text if step else None,
        "next_due": due.isoformat() if due is not None else None,
        "last_activity": item.last_activity.isoformat() if machine else None,
    }
    if people:
        found["idle_text"] = f"{idle_short(item.idle)} ({item.threshold_text})"
        found["value_text"] = money(d.value, item.currency) if d.value is not None else ""
        found["reason_text"] = reason_text(item)
    return found


def summary_line(summary: StaleSummary) -> str:
    """'7 stale deals, 41,300 EUR at risk; 3 overdue next steps'."""
    if summary.value:
        risk = " + ".join(money(v, c) for c, v in summary.value.items()) + " at risk"
    else:
        risk = "no value at risk"
    return f"{_plural(summary.count, 'stale deal')}, {risk}; {_plural(summary.overdue, 'overdue next step')}"


def group_heading(owner: str | None, items: Sequence[StaleDeal]) -> str:
    """An owner's heading in the e-mail and the HTML page: 'marek: 2 stale deals, 52,700 PLN'."""
    s = summarize(items)
    value = " + ".join(money(v, c) for c, v in s.value.items())
    name = owner if owner else "No owner"
    return f"{name}: {_plural(s.count, 'stale deal')}" + (f", {value}" if value else "")


def _deal_lines(item: StaleDeal) -> list[str]:
    d = item.deal
    head = f"- {d.title}" + (f", {d.company}" if d.company else "") + f" [{d.id}]"
    facts = d.stage + (f", {money(d.value, item.currency)}" if d.value is not None else "")
    facts += f"; idle {idle_long(item.idle)} (limit {item.threshold_text})"
    step = d.next_step
    if item.reason == OVERDUE and step is not None and step.due is not None:
        why = f"overdue {_plural(item.overdue_days or 0, 'day')}: {step.text} (due {step.due.isoformat()})"
    elif item.reason == UNTOUCHED:
        why = f"{UNTOUCHED} within {item.threshold_text} of its creation"
    elif item.reason == NO_NEXT_STEP:
        why = "no next step"
    elif item.reason == IDLE and step is not None:
        why = f"idle; next step without a due date: {step.text}"
    else:  # pragma: no cover - every reason is handled above
        why = item.reason
    return [head, f"  {facts}", f"  {why}"]


def email(items: Sequence[StaleDeal]) -> str:
    """A plain-text mail body: the one-line summary, then the deals grouped by owner."""
    if not items:
        return ""
    lines = [summary_line(summarize(items))]
    for owner, group in group_by_owner(items):
        lines.append("")
        lines.append(group_heading(owner, group))
        for item in group:
            lines.extend(_deal_lines(item))
    return "\n".join(lines) + "\n"


def listing(
    items: Sequence[StaleDeal],
    fmt: OutputFormat | str,
    screen: Screen | None = None,
    *,
    when: AsOf | None = None,
    filters: Sequence[str] = (),
) -> str:
    """The stale deals in any of ``FORMATS``. With none stale, the formats for people
    print nothing (cron mails only when there is something to say) and the machine
    formats an empty listing: ``[]``, or a CSV header. ``html`` is a whole page, headed
    by ``when`` (the as-of day) and the ``filters`` in words."""
    fmt = OutputFormat(fmt)
    if fmt is OutputFormat.email:
        return email(items)
    if not items and fmt in (OutputFormat.table, OutputFormat.markdown, OutputFormat.html):
        return ""
    if fmt is OutputFormat.html:
        from .html import stale_page

        if when is None:
            raise ValueError("an HTML stale list needs the moment it is computed at")
        return stale_page(items, when, filters)
    # a table and markdown show COLUMNS only; the machine formats MACHINE_KEYS only
    shown = fmt in (OutputFormat.table, OutputFormat.markdown)
    machine = not shown or any(c.key == "last_activity" for c in COLUMNS)
    people = shown or not _PEOPLE_KEYS.isdisjoint(MACHINE_KEYS)
    rows = [row(i, machine=machine, people=people) for i in items]
    return render_rows(rows, COLUMNS, fmt, machine_keys=MACHINE_KEYS, screen=screen, plain_scalars=True)
