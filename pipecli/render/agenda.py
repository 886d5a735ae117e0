"""The agenda as text: tables per group for people, JSON and CSV for programs, and an
iCalendar file (RFC 5545) of the next steps for a calendar app.

The iCalendar file is written by hand (no dependency): one VTODO per next step, its
UID derived from the deal's id and the step's text (``agenda.step_uid``) so that a
calendar subscribed to the file updates a rescheduled step instead of adding another;
lines end in CR LF and are folded at 75 octets without splitting a character; text
escapes backslash, comma, semicolon and line breaks; UTF-8 throughout.
"""

from __future__ import annotations

import csv
import io
from datetime import datetime, timedelta, timezone
from typing import Any

from ..agenda import OVERDUE, TODAY, UPCOMING, Agenda, Step
from ..stale import StaleDeal
from . import AGENDA_FORMATS, Column, OutputFormat, money, plain, to_json
from .fit import fit_table
from .terminal import Screen, paint

FORMATS = AGENDA_FORMATS

STEP_COLUMNS = [
    Column("due", "due"),
    Column("step", "next step", max_width=36, min_width=12),
    Column("id", "deal", priority=2),  # ids are copied from here: never cut, dropped before the step
    Column("title", "title", max_width=30, min_width=12, priority=1),
    Column("company", "company", max_width=20, min_width=10, priority=5),
    Column("stage", "stage", priority=4, style=lambda row: "stage"),
    Column("value_text", "value", align="right", priority=3),
    Column("owner", "owner", max_width=14, min_width=8, priority=6),
]
UNTOUCHED_COLUMNS = [
    Column("id", "deal"),
    Column("title", "title", max_width=30, min_width=12, priority=1),
    Column("company", "company", max_width=20, min_width=10, priority=5),
    Column("stage", "stage", priority=4, style=lambda row: "stage"),
    Column("value_text", "value", align="right", priority=3),
    Column("owner", "owner", max_width=14, min_width=8, priority=6),
    Column("age_text", "waiting", align="right", priority=2),
]
# the columns of JSON objects and of the CSV, in this order
KEYS = ["group", "due", "step", "id", "title", "company", "stage", "value", "currency", "owner", "created"]


def _when(created_us: int) -> datetime:
    return datetime(1970, 1, 1, tzinfo=timezone.utc) + timedelta(microseconds=created_us)


def _age(item: StaleDeal) -> str:
    """How long the lead has waited: whole days, or whole hours under two days."""
    waited = item.threshold + item.past
    if waited >= timedelta(days=2):
        return f"{waited // timedelta(days=1)}d"
    return f"{waited // timedelta(hours=1)}h"


def step_row(s: Step) -> dict[str, Any]:
    d = s.deal
    return {
        "group": s.group,
        "due": s.due,
        "step": s.text,
        "id": d.id,
        "title": d.title,
        "company": d.company,
        "stage": d.stage,
        "value": d.value,
        "currency": s.currency,
        "owner": d.owner,
        "created": _when(d.created),
        "value_text": money(d.value, s.currency) if d.value is not None else "",
    }


def untouched_row(item: StaleDeal) -> dict[str, Any]:
    d = item.deal
    return {
        "group": "untouched",
        "due": None,
        "step": None,
        "id": d.id,
        "title": d.title,
        "company": d.company,
        "stage": d.stage,
        "value": d.value,
        "currency": item.currency,
        "owner": d.owner,
        "created": _when(d.created),
        "value_text": money(d.value, item.currency) if d.value is not None else "",
        "age_text": _age(item),
    }


def headings(agenda: Agenda) -> list[tuple[str, str, list[dict[str, Any]]]]:
    """(group, heading, rows) of each part of the agenda, in order; empty groups included."""
    upcoming = (
        f"Next {agenda.days} days, to {agenda.until.isoformat()}"
        if agenda.days != 1
        else f"Tomorrow, {agenda.until.isoformat()}"
    )
    return [
        (OVERDUE, "Overdue", [step_row(s) for s in agenda.overdue]),
        (TODAY, f"Today, {agenda.day.isoformat()}", [step_row(s) for s in agenda.today]),
        (UPCOMING, upcoming, [step_row(s) for s in agenda.upcoming]),
        ("untouched", f"Not touched within {agenda.first_touch_within}", [untouched_row(i) for i in agenda.untouched]),
    ]


def _title(agenda: Agenda) -> str:
    whose = f" of {agenda.owner}" if agenda.owner else ""
    return f"Agenda{whose} for {agenda.day.isoformat()}"


def render_table(agenda: Agenda, screen: Screen | None = None) -> str:
    """A heading and a table per group (``nothing``: for an empty group)."""
    screen = screen or Screen()
    parts = [_title(agenda), ""]
    for group, heading, rows in headings(agenda):
        style = "overdue" if group == OVERDUE and rows else "heading"
        parts.append(paint(f"{heading} ({len(rows)})", style, screen))
        if rows:
            columns = UNTOUCHED_COLUMNS if group == "untouched" else STEP_COLUMNS
            parts.append(fit_table(rows, columns, screen).rstrip("\n"))
        else:
            parts.append("nothing")
        parts.append("")
    return "\n".join(parts)


def render_markdown(agenda: Agenda) -> str:
    from . import markdown_table

    parts = [f"# {_title(agenda)}", ""]
    for group, heading, rows in headings(agenda):
        parts += [f"## {heading} ({len(rows)})", ""]
        if rows:
            columns = UNTOUCHED_COLUMNS if group == "untouched" else STEP_COLUMNS
            parts.append(markdown_table(rows, columns).rstrip("\n"))
        else:
            parts.append("nothing")
        parts.append("")
    return "\n".join(parts)


def agenda_data(agenda: Agenda) -> dict[str, Any]:
    """The ``--format json`` object (docs/stale.md, "The agenda")."""
    data: dict[str, Any] = {
        "day": agenda.day.isoformat(),
        "days": agenda.days,
        "until": agenda.until.isoformat(),
        "owner": agenda.owner,
        "first_touch_within": agenda.first_touch_within,
    }
    for group, _, rows in headings(agenda):
        data[group] = [{k: plain(r[k], exact=True) for k in KEYS if k != "group"} for r in rows]
    return data


def render_csv(agenda: Agenda) -> str:
    """One line per step and untouched lead, ``group`` first; every column, unshortened."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(KEYS)
    for _, _, rows in headings(agenda):
        for r in rows:
            w.writerow(["" if r[k] is None else str(plain(r[k], exact=True)) for k in KEYS])
    return buf.getvalue()


# -- iCalendar ----------------------------------------------------------------------------------------
def ics_text(value: str) -> str:
    """A TEXT value escaped (RFC 5545 3.3.11): backslash, semicolon, comma, line breaks."""
    out = value.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
    out = out.replace("\r\n", "\n").replace("\r", "\n").replace("\n", "\\n")
    return "".join(ch for ch in out if ch == "\t" or (ord(ch) >= 32 and ord(ch) != 127))


def fold(line: str) -> str:
    """A content line folded at 75 octets (RFC 5545 3.1): CR LF and a space before each
    continuation, never inside a UTF-8 character; the line ends in CR LF."""
    pieces: list[str] = []
    current: list[str] = []
    size, limit = 0, 75
    for ch in line:
        n = len(ch.encode("utf-8"))
        if size + n > limit:
            pieces.append("".join(current))
            current, size, limit = [], 0, 74  # a continuation starts with a space: 74 octets of text
        current.append(ch)
        size += n
    pieces.append("".join(current))
    return "\r\n ".join(pieces) + "\r\n"


def _stamp(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y%m%dT%H%M%SZ")


def render_ics(agenda: Agenda, *, name: str, stamp: datetime) -> str:
    """The agenda's next steps as an iCalendar file: one VTODO per step, due on its day.

    ``stamp`` is the DTSTAMP of every entry (the moment the agenda is computed at, so that
    the same ``--as-of`` gives the same file); ``name`` the calendar's name."""
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//pipe//agenda//EN",
        "CALSCALE:GREGORIAN",
        f"X-WR-CALNAME:{ics_text(name)}",
    ]
    for s in agenda.steps:
        d = s.deal
        facts = [d.title]
        facts += [d.company] if d.company else []
        facts += [d.stage]
        facts += [money(d.value, s.currency)] if d.value is not None else []
        facts += [f"owner {d.owner}"] if d.owner else []
        facts += [f"deal {d.id}"]
        lines += [
            "BEGIN:VTODO",
            f"UID:{s.uid}",
            f"DTSTAMP:{_stamp(stamp)}",
            f"DUE;VALUE=DATE:{s.due.strftime('%Y%m%d')}",
            f"SUMMARY:{ics_text(f'{s.text} ({d.title})')}",
            f"DESCRIPTION:{ics_text(chr(10).join(facts))}",
            "STATUS:NEEDS-ACTION",
            "END:VTODO",
        ]
    lines.append("END:VCALENDAR")
    return "".join(fold(line) for line in lines)


def render_agenda(
    agenda: Agenda,
    fmt: OutputFormat | str,
    *,
    screen: Screen | None = None,
    name: str = "Sales",
    stamp: datetime | None = None,
) -> str:
    """The agenda in one of ``FORMATS``."""
    fmt = OutputFormat(fmt)
    if fmt is OutputFormat.table:
        return render_table(agenda, screen)
    if fmt is OutputFormat.markdown:
        return render_markdown(agenda)
    if fmt is OutputFormat.json:
        return to_json(agenda_data(agenda))
    if fmt is OutputFormat.csv:
        return render_csv(agenda)
    if fmt is OutputFormat.ics:
        if stamp is None:
            raise ValueError("an iCalendar file needs the moment it is computed at")
        return render_ics(agenda, name=f"{name}: next steps", stamp=stamp)
    raise ValueError(f"an agenda has no {fmt.value} format")
