"""The report and the stale list as one self-contained HTML page, for a mail or a web folder.

:func:`report_page` draws a :class:`pipecli.report.Report`, :func:`stale_page` the
deals `pipe stale` lists. The page needs nothing else:

- no script, no font, image or style sheet from elsewhere: the style is in the page,
  the funnel is inline SVG, the other bars are HTML boxes with a width, so a mail
  client that draws no SVG still shows every number in the tables;
- printable (``@media print``: no shadows, sections kept whole, colours printed);
- pure ASCII: every other character is written as a character reference
  (``&#3619;``), so the page survives any mailer and any locale unchanged;
- every text that comes from a deal or the pipeline (titles, names, reasons, stage
  labels) is escaped: a title ``<script>`` is shown as text, never run, and control
  characters are shown as ``?``.

The figures are the ones `pipe report --format json` and `pipe stale --format json`
carry, formatted as the tables of ``render/report.py`` and ``render/stale.py`` show
them: counts, percentages rounded to whole ones, days to one decimal, money per
currency (never added across currencies).
"""

from __future__ import annotations

import html
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from typing import Any

from ..calibration import Calibration
from ..report import Report, StageRow, Totals
from ..stale import AsOf, StaleDeal, group_by_owner, summarize
from . import money, percent
from .stale import group_heading, summary_line
from .stale import row as stale_row

FUNNEL_WIDTH = 760  # the funnel's drawing, in CSS pixels
FUNNEL_LABEL = 150  # the stage names on its left
FUNNEL_BAR = 300  # the widest bar
FUNNEL_ROW = 30  # one bar and the gap under it
BLUE, GREEN = "#3b82c4", "#2f855a"  # a stage's bar, the won bar

CSS = """
:root { color-scheme: light; }
body { font: 15px/1.45 -apple-system, "Segoe UI", Roboto, "Noto Sans", "Noto Sans Thai", Arial, sans-serif;
  color: #1f2933; background: #ffffff; margin: 0; padding: 24px; }
main { max-width: 980px; margin: 0 auto; }
h1 { font-size: 24px; margin: 0 0 4px; }
h2 { font-size: 18px; margin: 0 0 10px; border-bottom: 2px solid #d9e2ec; padding-bottom: 4px; }
h3 { font-size: 15px; margin: 14px 0 6px; }
header { margin-bottom: 18px; }
.asof { font-size: 16px; margin: 0; }
.filters, .note, footer { color: #52606d; font-size: 13px; margin: 4px 0; }
section { margin: 0 0 26px; }
.tiles { display: flex; flex-wrap: wrap; gap: 10px; margin: 0 0 14px; }
.tile { border: 1px solid #d9e2ec; border-radius: 6px; padding: 8px 12px; min-width: 130px; }
.tile .k { color: #52606d; font-size: 12px; }
.tile .v { font-size: 17px; font-weight: 600; }
.tile.stale .v { color: #b7791f; } .tile.overdue .v { color: #c53030; } .tile.won .v { color: #2f855a; }
table { border-collapse: collapse; font-size: 14px; margin: 4px 0 6px; }
th, td { padding: 4px 10px; border-bottom: 1px solid #e4e7eb; vertical-align: top; }
th { text-align: left; font-weight: 600; background: #f5f7fa; }
td.n, th.n { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
.stage { color: #1a5fb4; font-weight: 600; }
.reason-overdue { color: #c53030; font-weight: 600; } .reason-stale { color: #b7791f; }
.bar { background: #e4e7eb; width: 160px; height: 12px; border-radius: 2px; }
.bar span { display: block; height: 12px; background: #3b82c4; border-radius: 2px; }
.bar.lost span { background: #c53030; } .bar.time span { background: #7c5cc4; }
svg text { font: 13px -apple-system, "Segoe UI", Roboto, "Noto Sans", "Noto Sans Thai", Arial, sans-serif; }
@media print {
  body { padding: 0; } section { break-inside: avoid; }
  * { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
}
"""


# -- text -------------------------------------------------------------------------------------
def esc(text: Any) -> str:
    """Text for an HTML element or attribute: markup escaped; control characters and Unicode's
    noncharacters (U+FDD0 to U+FDEF, U+FFFE and U+FFFF of each plane: a page may not carry
    them, and HTML readers drop them) as ``?``."""
    s = "" if text is None else str(text)
    if not s.isprintable():
        s = "".join(" " if ch in "\t\n\r" else ("?" if _not_shown(ch) else ch) for ch in s)
    return html.escape(s, quote=True)


def _not_shown(ch: str) -> bool:
    code = ord(ch)
    return unicodedata.category(ch) == "Cc" or 0xFDD0 <= code <= 0xFDEF or code & 0xFFFE == 0xFFFE


def _ascii(page: str) -> str:
    return page.encode("ascii", "xmlcharrefreplace").decode("ascii")


def _money_lines(m: Mapping[str, Decimal] | None) -> str:
    """Money per currency, one line each, in code order; ``-`` for none."""
    if not m:
        return "-"
    return "<br>".join(esc(money(v, c)) for c, v in sorted(m.items()))


def _pct(rate: float | None) -> str:
    return percent(rate) or "-"


def _days(x: float | None) -> str:
    return "-" if x is None else f"{x:.1f}"


def _median(r: StageRow) -> str:
    if r.all_days_median is None and r.all_days_above is not None:
        return f"&gt;{r.all_days_above:.1f}"  # over half the deals still in the stage: over N days
    return _days(r.all_days_median)


def _bar(part: float, whole: float, kind: str = "") -> str:
    share = 0.0 if whole <= 0 else max(0.0, min(1.0, part / whole))
    cls = f"bar {kind}".strip()
    return f'<div class="{cls}"><span style="width:{share * 100:.1f}%"></span></div>'


def _table(
    table_id: str, headers: Sequence[str], rows: Iterable[Sequence[str]], numeric: Iterable[int] | None = None
) -> str:
    """A table of HTML cells (escaped already); ``numeric`` columns (default: all but the first) right-aligned."""
    right = set(range(1, len(headers))) if numeric is None else set(numeric)
    head = "".join(f"<th{' class=n' if i in right else ''}>{h}</th>" for i, h in enumerate(headers))
    body = "".join(
        "<tr>" + "".join(f"<td{' class=n' if i in right else ''}>{c}</td>" for i, c in enumerate(r)) + "</tr>"
        for r in rows
    )
    return f'<table id="{table_id}"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


def _stage_cell(label: str) -> str:
    return f"<span class=stage>{esc(label)}</span>"


def _page(title: str, header: str, sections: Sequence[str]) -> str:
    body = "\n".join(sections)
    page = (
        "<!DOCTYPE html>\n"
        '<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{title}</title>\n<style>{CSS}</style>\n</head>\n<body>\n<main>\n"
        f"<header>\n{header}\n</header>\n{body}\n"
        "<footer>Made by pipe from the deal files. Every figure is defined in pipe's docs/metrics.md "
        "and docs/stale.md.</footer>\n</main>\n</body>\n</html>\n"
    )
    return _ascii(page)


def _section(section_id: str, title: str, *parts: str) -> str:
    return f'<section id="{section_id}">\n<h2>{esc(title)}</h2>\n' + "\n".join(p for p in parts if p) + "\n</section>"


# -- the report -----------------------------------------------------------------------------
def filters_text(report: Report) -> str:
    """The report's filters in words: 'owner sarah; created 2026-01-01 to ...; by owner', or 'all deals'."""
    f = report.filters
    parts = [f"{k} {f[k]}" for k in ("owner", "source", "tag") if f.get(k)]
    if f.get("since") or f.get("until"):
        since = f["since"].isoformat() if f.get("since") else "..."
        until = f["until"].isoformat() if f.get("until") else "..."
        parts.append(f"created {since} to {until}")
    if report.by:
        parts.append(f"by {report.by}")
    if report.strict:
        parts.append("strict funnel")
    return "; ".join(parts) if parts else "none: every deal"


TILES = (  # key in the JSON totals, label, style
    ("open", "open deals", ""),
    ("open_value", "open value", ""),
    ("weighted_value", "weighted open value", ""),
    ("win_rate", "win rate (won / closed)", "won"),
    ("won_value", "won value", "won"),
    ("stale", "stale deals", "stale"),
    ("overdue_next_steps", "overdue next steps", "overdue"),
)


def _total_cells(t: Totals, limit: str = "24h") -> list[tuple[str, str, str]]:
    """(JSON key, label, shown value) of every total, in the order of the text report."""
    cells = [
        ("deals", "deals", str(t.deals)),
        ("open", "open", str(t.open)),
        ("won", "won", str(t.won)),
        ("lost", "lost", str(t.lost)),
        ("win_rate", "win rate (won / closed)", _pct(t.win_rate)),
        ("won_value", "won value", _money_lines(t.won_value)),
        ("open_value", "open value", _money_lines(t.open_value)),
        ("lost_value", "lost value", _money_lines(t.lost_value)),
        ("weighted_value", "weighted open value", _money_lines(t.weighted_value)),
        ("median_cycle_days", "median sales cycle, days", _days(t.median_cycle_days)),
        ("back_moves", "back moves", str(t.back_moves)),
        ("stale", "stale", str(t.stale)),
        ("stale_value", "stale value", _money_lines(t.stale_value)),
        ("overdue_next_steps", "overdue next steps", str(t.overdue_next_steps)),
        ("touched", "touched", str(t.touched)),
        ("first_touch_median_hours", "hours to first touch, median", _days(t.first_touch_median_hours)),
        ("first_touch_mean_hours", "hours to first touch, mean", _days(t.first_touch_mean_hours)),
        ("first_touch_within_rate", f"touched within {esc(limit)}", _pct(t.first_touch_within_rate)),
        ("untouched", "untouched", str(t.untouched)),
    ]
    for key, value in t.extra.items():
        shown = _money_lines(value) if isinstance(value, dict) else ("-" if value is None else esc(value))
        cells.append((key, esc(key.replace("_", " ")), shown))
    return cells


def tiles_section(report: Report) -> str:
    """The key figures at the top of the page, each as the totals table shows it."""
    cells = {key: shown for key, _, shown in _total_cells(report.totals, report.first_touch_within)}
    tiles = "".join(
        f'<div class="tile {style}" data-key="{key}"><div class=k>{label}</div><div class=v>{cells[key]}</div></div>'
        for key, label, style in TILES
    )
    return f'<section id="key-figures"><div class="tiles">{tiles}</div></section>'


def totals_section(report: Report) -> str:
    rows = "".join(
        f'<tr data-key="{esc(key)}"><td>{label}</td><td class=n>{shown}</td></tr>'
        for key, label, shown in _total_cells(report.totals, report.first_touch_within)
    )
    table = (
        f'<table id="totals"><thead><tr><th>total</th><th class=n>value</th></tr></thead><tbody>{rows}</tbody></table>'
    )
    return _section("totals-section", "Totals", table)


def funnel_svg(funnel: Sequence[StageRow], won: int) -> str:
    """Bars proportional to the deals that reached each stage (and won), conversion and drop-off beside."""
    top = max([r.reached for r in funnel] + [won, 0])
    dot = " \u00b7 "
    rows: list[tuple[str, int, str, str]] = [
        (r.label, r.reached, f"{r.reached} reached{dot}conv {_pct(r.conversion)}{dot}drop {_pct(r.drop_off)}", BLUE)
        for r in funnel
    ]
    rows.append(("Won", won, f"{won} won", GREEN))
    height = FUNNEL_ROW * len(rows) + 6
    out = [
        f'<svg id="funnel-chart" role="img" width="{FUNNEL_WIDTH}" '
        f'height="{height}" viewBox="0 0 {FUNNEL_WIDTH} {height}"><title>Funnel: deals that reached each stage</title>'
    ]
    for i, (label, count, text, colour) in enumerate(rows):
        y = 4 + i * FUNNEL_ROW
        width = 0.0 if top <= 0 else count / top * FUNNEL_BAR
        out.append(
            f'<text x="{FUNNEL_LABEL - 8}" y="{y + 16}" text-anchor="end" fill="#1f2933">{esc(label)}</text>'
            f'<rect class="funnel-bar" data-count="{count}" x="{FUNNEL_LABEL}" y="{y}" width="{width:.2f}" '
            f'height="{FUNNEL_ROW - 8}" rx="2" fill="{colour}"/>'
            f'<text x="{FUNNEL_LABEL + width + 8:.2f}" y="{y + 16}" fill="#1f2933">{esc(text)}</text>'
        )
    out.append("</svg>")
    return "".join(out)


def funnel_table(funnel: Sequence[StageRow], strict: bool, table_id: str = "funnel") -> str:
    headers = ["stage", "reached", "advanced", "conv", "cum", "won/reached", "lost", "drop", "open"]
    if strict:
        headers.append("skipped")
    rows = []
    for r in funnel:
        row = [
            _stage_cell(r.label),
            str(r.reached),
            str(r.advanced),
            _pct(r.conversion),
            _pct(r.cumulative_conversion),
            _pct(r.win_from_stage),
            str(r.lost),
            _pct(r.drop_off),
            str(r.open),
        ]
        if strict:
            row.append(str(r.skipped))
        rows.append(row)
    return _table(table_id, headers, rows)


def _through(report: Report) -> int:
    """Won deals that passed the last stage (as the text report's chart counts them)."""
    return report.funnel[-1].advanced if report.funnel else report.totals.won


def funnel_section(report: Report) -> str:
    note = (
        '<p class="note">reached: deals that got to the stage; conv: of those, the share that went on; '
        "drop: the share lost at that stage.</p>"
    )
    return _section(
        "funnel-section",
        "Funnel",
        funnel_svg(report.funnel, _through(report)),
        funnel_table(report.funnel, report.strict),
        note,
    )


def value_section(report: Report) -> str:
    rows = [
        [_stage_cell(r.label)]
        + [_money_lines(m) for m in (r.reached_value, r.advanced_value, r.lost_value, r.open_value)]
        for r in report.funnel
    ]
    return _section(
        "value-section", "Value by stage", _table("value", ["stage", "reached", "advanced", "lost", "open"], rows)
    )


def time_section(report: Report) -> str:
    top = max([r.all_days_median or r.all_days_above or 0.0 for r in report.funnel] + [0.0])
    rows = [
        [
            _stage_cell(r.label),
            _bar(r.all_days_median or r.all_days_above or 0.0, top, "time"),
            _median(r),
            str(r.open_now),
            str(r.days_deals),
            _days(r.days_median),
            _days(r.days_mean),
            _days(r.open_age_median),
        ]
        for r in report.funnel
    ]
    headers = ["stage", "", "median", "open", "finished", "fin. median", "fin. mean", "open age"]
    note = (
        '<p class="note">median: of every deal\'s days in the stage, those still in it counted so far '
        "(Kaplan-Meier; &gt;N: not reached yet, over N days); fin.: of the deals that have left it; "
        "open age: median days in it so far.</p>"
    )
    return _section("time-section", "Time in stage (days)", _table("time", headers, rows), note)


def lost_section(report: Report) -> str:
    rows = [
        [_stage_cell(r.label), str(r.lost), str(r.lost_here), _money_lines(r.lost_here_value)] for r in report.funnel
    ]
    note = (
        '<p class="note">lost (furthest): at the furthest stage the deal reached, as the funnel counts; '
        "lost here: in the stage it was in when lost.</p>"
    )
    table = _table("lost", ["stage", "lost (furthest)", "lost here", "value lost here"], rows)
    return _section("lost-section", "Lost deals by stage", table, note)


def velocity_section(report: Report) -> str:
    rows = [
        [
            esc(v.currency),
            str(v.open),
            _pct(v.win_rate),
            esc(money(v.average_won_value)) or "-",
            _days(v.median_days_to_win),
            esc(money(v.per_day)) or "-",
            esc(money(v.per_day_mean_cycle)) or "-",
        ]
        for v in report.velocity
    ]
    headers = ["currency", "open", "won/closed", "avg won", "median days", "per day", "textbook"]
    note = (
        '<p class="note">per day: open &times; won/closed &times; avg won / median days from creation to win; '
        "textbook: the same divided by the mean days to win.</p>"
    )
    return _section("velocity-section", "Sales velocity", _table("velocity", headers, rows), note)


FORECAST_NAMES = {"past": "past (overdue)", "none": "no close date"}


def forecast_section(report: Report) -> str:
    top = max([b.deals for b in report.forecast] + [0])
    rows = [
        [
            esc(b.month or FORECAST_NAMES[b.kind]),
            _bar(b.deals, top),
            str(b.deals),
            _money_lines(b.value),
            _money_lines(b.weighted),
        ]
        for b in report.forecast
    ]
    table = _table("forecast", ["expected close", "", "deals", "value", "weighted"], rows)
    return _section("forecast-section", "Forecast by expected close month", table)


def reasons_section(report: Report) -> str:
    if not report.lost_reasons:
        return _section("reasons-section", "Lost reasons", '<p class="note">No deal was lost.</p>')
    top = max(r.deals for r in report.lost_reasons)
    rows = [
        [esc(r.reason or "(no reason)"), _bar(r.deals, top, "lost"), str(r.deals), _money_lines(r.value)]
        for r in report.lost_reasons
    ]
    return _section("reasons-section", "Lost reasons", _table("reasons", ["lost reason", "", "deals", "value"], rows))


def stale_table(items: Sequence[StaleDeal], table_id: str = "stale") -> str:
    """The stale deals with the columns of `pipe stale` (its rows: ``render.stale.row``)."""
    headers = ["deal", "title", "company", "owner", "stage", "idle (limit)", "value", "next step", "due", "reason"]
    rows = []
    for item in items:
        r = stale_row(item)
        reason = "reason-overdue" if r["reason"] == "overdue" else "reason-stale"
        rows.append(
            [
                esc(r["id"]),
                esc(r["title"]),
                esc(r["company"]),
                esc(r["owner"]),
                esc(r["stage"]),
                esc(r["idle_text"]),
                esc(r["value_text"]),
                esc(r["next_step"]),
                esc(r["next_due"] or ""),
                f'<span class="{reason}">{esc(r["reason_text"])}</span>',
            ]
        )
    return _table(table_id, headers, rows, numeric=(5, 6))


def stale_section(report: Report) -> str:
    if not report.stale:
        return _section("stale-section", "Stale deals", '<p class="note">No deal is stale.</p>')
    summary = f'<p class="summary">{esc(summary_line(summarize(report.stale)))}</p>'
    return _section("stale-section", "Stale deals", summary, stale_table(report.stale))


def groups_section(report: Report) -> str:
    if report.by is None:
        return ""
    rows = [
        [
            esc(g.key or "(none)"),
            str(g.totals.deals),
            str(g.totals.open),
            str(g.totals.won),
            str(g.totals.lost),
            _pct(g.totals.win_rate),
            _money_lines(g.totals.won_value),
            _money_lines(g.totals.open_value),
            _money_lines(g.totals.weighted_value),
            _money_lines(g.totals.lost_value),
            _days(g.totals.median_cycle_days),
            str(g.totals.stale),
            str(g.totals.overdue_next_steps),
            _days(g.totals.first_touch_median_hours),
            _days(g.totals.first_touch_mean_hours),
            _pct(g.totals.first_touch_within_rate),
            str(g.totals.untouched),
        ]
        for g in report.groups
    ]
    headers = [esc(report.by), "deals", "open", "won", "lost", "won/closed", "won value", "open value"]
    headers += ["weighted", "lost value", "median cycle, days", "stale", "overdue next steps"]
    headers += ["hours to first touch, median", "mean", f"touched within {esc(report.first_touch_within)}"]
    headers += ["untouched"]
    parts = [_table("groups", headers, rows)]
    for i, g in enumerate(report.groups):
        parts.append(f"<h3>Funnel, {esc(report.by)} {esc(g.key or '(none)')}</h3>")
        parts.append(funnel_table(g.funnel, report.strict, table_id=f"group-{i}-funnel"))
    return _section("groups-section", f"By {report.by}", *parts)


def calibration_table(rows: Sequence[Calibration], table_id: str = "calibration") -> str:
    from ..calibration import verdict_line

    shown = {"ok": "ok", "low": "too low", "high": "too high", "too_few": "too few"}
    body = [
        [
            _stage_cell(c.label),
            _pct(c.probability),
            _pct(c.observed),
            str(c.closed),
            "-" if c.low is None or c.high is None else f"{_pct(c.low)}-{_pct(c.high)}",
            shown[c.verdict],
        ]
        for c in rows
    ]
    headers = ["stage", "configured", "won/closed", "closed", "95% interval", "verdict"]
    notes = "".join(f'<p class="note">{esc(line)}</p>' for c in rows if (line := verdict_line(c)) is not None)
    return _table(table_id, headers, body, numeric=(1, 2, 3, 4)) + notes


def calibration_section(report: Report) -> str:
    """Each stage's configured probability against the closed deals that reached it (``--calibration``)."""
    if report.calibration is None:
        return ""
    from ..calibration import MIN_CLOSED

    note = f'<p class="note">closed: closed deals that reached the stage; too few: under {MIN_CLOSED} of them.</p>'
    parts = [calibration_table(report.calibration), note]
    for i, g in enumerate(report.groups):
        if g.calibration is not None:
            parts.append(f"<h3>Calibration, {esc(report.by)} {esc(g.key or '(none)')}</h3>")
            parts.append(calibration_table(g.calibration, f"group-{i}-calibration"))
    return _section("calibration-section", "Calibration: stage probability against closed deals", *parts)


def rates_section(report: Report) -> str:
    """Which rates of rates.yaml a report in one currency used (``--currency``)."""
    if report.converted_to is None:
        return ""
    from .report import rates_note

    return f'<p class="note" id="rates">{esc(rates_note(report))}</p>'


def report_page(report: Report) -> str:
    """The whole report as one HTML page."""
    title = f"{report.pipeline} pipeline as of {report.as_of.isoformat()}"
    header = (
        f"<h1>{esc(report.pipeline)} pipeline</h1>\n"
        f'<p class="asof">as of <time id="as-of" datetime="{report.as_of.isoformat()}">'
        f"{report.as_of.isoformat()}</time> (end of the day)</p>\n"
        f'<p class="filters" id="filters">Filters: {esc(filters_text(report))}</p>'
    )
    sections = [
        tiles_section(report),
        funnel_section(report),
        value_section(report),
        time_section(report),
        forecast_section(report),
        reasons_section(report),
        stale_section(report),
        totals_section(report),
        lost_section(report),
        velocity_section(report),
        groups_section(report),
        calibration_section(report),
        rates_section(report),
    ]
    if report.periods is not None:
        sections.insert(1, periods_section(report))
    return _page(esc(title), header, [s for s in sections if s])


# -- the report per period (--period) ------------------------------------------------------------
TREND_HEIGHT = 80  # the tallest column of a trend, in CSS pixels
TREND_STEP = 46  # one period's column and the gap after it
TREND_LABEL = 18  # room under the columns for the period's label


def trend_svg(report: Report, figure: str, title: str, currency: str, colour: str) -> str:
    """A column per period, its height proportional to ``figure`` (won value, open value at
    the end) in ``currency``; each column says its value in ``data-value``."""
    assert report.periods is not None
    periods = report.periods.periods
    values = [getattr(p, figure).get(currency, Decimal(0)) for p in periods]
    top = max([*values, Decimal(0)])
    width = TREND_STEP * len(periods) + 4
    height = TREND_HEIGHT + TREND_LABEL + 4
    out = [
        f'<svg class="trend" role="img" width="{width}" height="{height}" viewBox="0 0 {width} {height}">'
        f"<title>{esc(title)} in {esc(currency)}, by {esc(report.periods.unit)}</title>"
    ]
    for i, (p, v) in enumerate(zip(periods, values, strict=True)):
        h = 0.0 if top <= 0 else float(v / top) * TREND_HEIGHT
        x = 2 + i * TREND_STEP
        out.append(
            f'<rect class="trend-bar" data-figure="{figure}" data-currency="{esc(currency)}" '
            f'data-period="{esc(p.label)}" data-value="{v}" x="{x}" y="{2 + TREND_HEIGHT - h:.2f}" '
            f'width="{TREND_STEP - 10}" height="{h:.2f}" rx="2" fill="{colour}"/>'
            f'<text x="{x}" y="{height - 4}" fill="#52606d">{esc(p.label[-3:])}</text>'
        )
    out.append("</svg>")
    return "".join(out)


def _lines(text: str) -> str:
    """A table cell's text with one line per currency, each escaped."""
    return "<br>".join(esc(line) for line in text.split("\n"))


def periods_section(report: Report) -> str:
    """The trend (won value and open pipeline per period, per currency), the figures per
    period as `pipe report --period` prints them, and the forecast graded."""
    from .periods import accuracy_rows, figure_rows, mape_line

    pr = report.periods
    assert pr is not None
    title = f"By {pr.unit}"
    if not pr.periods:
        return _section("periods-section", title, '<p class="note">No period up to the as-of day.</p>')
    parts = []
    for figure, name, colour in (("won_value", "won value", GREEN), ("open_value", "open at end", BLUE)):
        currencies = sorted({c for p in pr.periods for c in getattr(p, figure)})
        for c in currencies:
            parts.append(f"<h3>{esc(name)}, {esc(c)}</h3>" + trend_svg(report, figure, name, c, colour))
    headers = ["figure"] + [esc(p.label + ("*" if p.partial else "")) for p in pr.periods]
    rows = [[esc(name), *map(_lines, cells)] for name, _, cells in figure_rows(pr, "\n")]
    parts.append(_table("periods", headers, rows))
    if any(p.partial for p in pr.periods):
        parts.append('<p class="note">*: up to the as-of day</p>')
    parts.append(f"<h3>Forecast accuracy by {esc(pr.unit)}</h3>")
    heads = ["period", "expected", "exp. wins", "won", "forecast", "won value", "error"]
    rows = [[_lines(cell) for cell in row] for row in accuracy_rows(pr, "\n")]
    parts.append(_table("accuracy", heads, rows))
    parts.append(f'<p class="note" id="mape">{esc(mape_line(pr).strip())}</p>')
    parts.append(
        '<p class="note">forecast: open deals at the period\'s start with a close date in it, weighted by '
        "probability (exp. wins: the probabilities added up); error: (forecast - won) / won.</p>"
    )
    return _section("periods-section", title, *parts)


# -- the stale list -------------------------------------------------------------------------
def stale_page(items: Sequence[StaleDeal], when: AsOf, filters: Sequence[str] = ()) -> str:
    """The stale list as one HTML page: the summary, then a table per owner (as the e-mail groups it)."""
    day = when.day.isoformat()
    header = (
        "<h1>Stale deals</h1>\n"
        f'<p class="asof">as of <time id="as-of" datetime="{day}">{day}</time></p>\n'
        f'<p class="filters" id="filters">Filters: {esc("; ".join(filters) or "none: every open deal")}</p>'
    )
    if not items:
        return _page(f"Stale deals as of {day}", header, ['<p class="summary">No deal is stale.</p>'])
    sections = [f'<p class="summary" id="summary">{esc(summary_line(summarize(items)))}</p>']
    for i, (owner, group) in enumerate(group_by_owner(items)):
        heading = group_heading(owner, group)
        sections.append(
            f'<section id="owner-{i}">\n<h2>{esc(heading)}</h2>\n{stale_table(group, f"stale-{i}")}\n</section>'
        )
    return _page(f"Stale deals as of {day}", header, sections)
