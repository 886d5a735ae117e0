"""The report per period (``pipe report --period``) as text: a trend, a table of periods side by side, the
forecast graded; and its plain data, the ``period`` and ``periods`` keys of the JSON contract.

A table with more periods than the screen holds is split into blocks of columns that
fit, each repeating the figures' names on the left. Without a width (a pipe, a file)
every period is in one table.
"""

from __future__ import annotations

import csv
import io
import textwrap
from collections.abc import Sequence
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from . import money, percent, plain
from .fit import GAP, Column, display_width, fit, truncate
from .terminal import Screen, paint

if TYPE_CHECKING:
    from ..periods import Period, PeriodReport
    from ..report import Report

SPARKS = "▁▂▃▄▅▆▇█"
ASCII_SPARKS = "_.,:-=+#"
LABEL_WIDTH = 19  # the figures' names, at most (a stage's name is cut to fit)
REASON_WIDTH = 13  # a lost reason in a period's column, on a screen with a width


# -- plain data: the JSON contract -----------------------------------------------------------
def _days(x: float | None) -> float | None:
    return None if x is None else round(x, 2)


def period_data(p: Period) -> dict[str, Any]:
    return plain(
        {
            "start": p.start.isoformat(),
            "end": p.end.isoformat(),
            "label": p.label,
            "partial": p.partial,
            "new": p.new,
            "new_value": p.new_value,
            "reached": [{"stage": r.stage, "label": r.label, "deals": r.deals} for r in p.reached],
            "won": p.won,
            "won_value": p.won_value,
            "lost": p.lost,
            "lost_value": p.lost_value,
            "top_lost_reason": _top_reason(p),
            "win_rate": p.win_rate,
            "median_cycle_days": _days(p.median_cycle_days),
            "open": p.open,
            "open_value": p.open_value,
            "weighted_value": p.weighted_value,
            "forecast": {
                "deals": p.forecast_deals,
                "wins": p.forecast_wins,
                "weighted_value": p.forecast_value,
                "error": p.forecast_error,
            },
            "slipped": p.slipped,
            "slip_days": p.slip_days,
        }
    )


def _top_reason(p: Period) -> dict[str, Any] | None:
    if p.top_lost_reason_deals == 0:
        return None
    return {"reason": p.top_lost_reason, "deals": p.top_lost_reason_deals}


def periods_data(pr: PeriodReport) -> dict[str, Any]:
    """The ``period`` and ``periods`` keys of the report's JSON."""
    first = pr.periods[0].start.isoformat() if pr.periods else None
    last = pr.periods[-1].end.isoformat() if pr.periods else None
    return {
        "period": plain(
            {
                "unit": pr.unit,
                "start": first,
                "end": last,
                "forecast_mape": pr.forecast_mape,
                "forecast_graded": pr.forecast_graded,
            }
        ),
        "periods": [period_data(p) for p in pr.periods],
    }


# -- the trend -----------------------------------------------------------------------------
def sparkline(values: Sequence[Decimal | int | float], *, unicode: bool = True) -> str:
    """One character per value, its height proportional to it (the highest: a full block);
    a zero is a space; nothing above zero counts as zero."""
    levels = SPARKS if unicode else ASCII_SPARKS
    top = max([Decimal(str(v)) for v in values] + [Decimal(0)])
    out = []
    for v in values:
        d = Decimal(str(v))
        if d <= 0 or top <= 0:
            out.append(" ")
            continue
        i = int((d / top * len(levels)).to_integral_value(rounding="ROUND_CEILING")) - 1
        out.append(levels[max(0, min(len(levels) - 1, i))])
    return "".join(out)


def _currencies(pr: PeriodReport, name: str) -> list[str]:
    found: set[str] = set()
    for p in pr.periods:
        found.update(getattr(p, name))
    return sorted(found)


TREND_FIGURES = (("won_value", "won value"), ("open_value", "open at end"))


def trend(pr: PeriodReport, screen: Screen | None = None) -> str:
    """A sparkline per currency of the won value and the open pipeline at each period's end, first
    period on the left; the highest value after it."""
    screen = screen or Screen()
    rows: list[tuple[str, str, str]] = []
    for name, title in TREND_FIGURES:
        currencies = _currencies(pr, name) or ["-"]
        for c in currencies:
            values = [getattr(p, name).get(c, Decimal(0)) for p in pr.periods]
            top = max([*values, Decimal(0)])
            shown = f"max {money(top, c)}" if c != "-" else "none"
            rows.append((f"{title} {c}" if c != "-" else title, sparkline(values, unicode=screen.unicode), shown))
    width = max(display_width(r[0]) for r in rows)
    first, last = pr.periods[0].label, pr.periods[-1].label
    lines = [f"{'':{width}}  {first} .. {last}"]
    for label, spark, shown in rows:
        lines.append(f"{label:<{width}}  {spark}  {shown}".rstrip())
    return "\n".join(lines) + "\n"


# -- tables --------------------------------------------------------------------------------
def _money_cell(m: dict[str, Decimal], sep: str) -> str:
    if not m:
        return "-"
    return sep.join(money(v, c) for c, v in sorted(m.items()))


def _pct(x: float | None) -> str:
    return percent(x) or "-"


def _num(x: float | None) -> str:
    return "-" if x is None else f"{x:.1f}"


def _header(p: Period) -> str:
    return p.label + ("*" if p.partial else "")


def figure_rows(pr: PeriodReport, sep: str) -> list[tuple[str, str | None, list[str]]]:
    """(name, style, one cell per period) of every figure of the periods table."""
    ps = pr.periods
    rows: list[tuple[str, str | None, list[str]]] = [("new deals", None, [str(p.new) for p in ps])]
    stages = ps[0].reached if ps else []
    for i, r in enumerate(stages):
        rows.append((f"reached {r.label}", "stage", [str(p.reached[i].deals) for p in ps]))
    rows += [
        ("won", "won", [str(p.won) for p in ps]),
        ("won value", "won", [_money_cell(p.won_value, sep) for p in ps]),
        ("lost", "lost", [str(p.lost) for p in ps]),
        ("lost value", "lost", [_money_cell(p.lost_value, sep) for p in ps]),
        (
            "top lost reason",
            None,
            [_reason_cell(p) for p in ps],
        ),
        ("won/closed", None, [_pct(p.win_rate) for p in ps]),
        ("median cycle, days", None, [_num(p.median_cycle_days) for p in ps]),
        ("open at end", None, [str(p.open) for p in ps]),
        ("open value at end", None, [_money_cell(p.open_value, sep) for p in ps]),
        ("weighted at end", None, [_money_cell(p.weighted_value, sep) for p in ps]),
        ("close dates slipped", "overdue", [str(p.slipped) for p in ps]),
        ("slip, days", None, [str(p.slip_days) for p in ps]),
    ]
    return rows


def _reason_cell(p: Period, ascii_only: bool | None = None) -> str:
    """The top lost reason and its count; the reason cut to fit ``REASON_WIDTH`` unless
    ``ascii_only`` is None (no width to fit)."""
    if p.top_lost_reason_deals == 0:
        return "-"
    count = f" ({p.top_lost_reason_deals})"
    reason = p.top_lost_reason or "(no reason)"
    if ascii_only is not None:
        reason = truncate(reason, max(4, REASON_WIDTH - len(count)), ascii_only=ascii_only)
    return reason + count


def _blocks(widths: Sequence[int], label: int, room: int | None) -> list[range]:
    """Consecutive period columns in blocks that fit ``room`` beside the label column."""
    if room is None or not widths:
        return [range(len(widths))]
    out: list[range] = []
    start, used = 0, label
    for i, w in enumerate(widths):
        if i > start and used + GAP + w > room:
            out.append(range(start, i))
            start, used = i, label
        used += GAP + w
    out.append(range(start, len(widths)))
    return out


def periods_table(pr: PeriodReport, tablefmt: str, sep: str, screen: Screen | None = None) -> str:
    """The figures down, the periods across, in blocks of columns that fit the screen."""
    rows = figure_rows(pr, sep)
    headers = [_header(p) for p in pr.periods]
    if tablefmt == "github":
        return _markdown(["figure", *headers], [[name, *cells] for name, _, cells in rows])
    room = None if screen is None or screen.wide else screen.width
    if room is not None:  # names and reasons cut, so that four periods fit in 80 columns
        ascii_only = screen is not None and not screen.unicode
        rows = [
            (
                truncate(name, LABEL_WIDTH, ascii_only=ascii_only),
                style,
                [_reason_cell(p, ascii_only) for p in pr.periods] if name == "top lost reason" else cells,
            )
            for name, style, cells in rows
        ]
    widths = [
        max([display_width(h)] + [display_width(line) for _, _, cells in rows for line in cells[j].split("\n")])
        for j, h in enumerate(headers)
    ]
    label = max(display_width(name) for name, _, _ in rows)
    parts = []
    for block in _blocks(widths, label, room):
        columns = [Column("figure", "figure", align="left")]
        columns += [Column(headers[j], headers[j], align="right") for j in block]
        body = [[name, *(cells[j] for j in block)] for name, _, cells in rows]
        styles = None
        if screen is not None and screen.color:
            styles = [[style] + [None] * len(block) for _, style, _ in rows]
        parts.append(fit(columns, body, screen, styles=styles))
    return "\n".join(parts)


def accuracy_rows(pr: PeriodReport, sep: str) -> list[list[str]]:
    out = []
    for p in pr.periods:
        if p.forecast_error is None:
            error = "(partial)"
        else:
            error = sep.join(f"{_signed(e)} {c}" for c, e in sorted(p.forecast_error.items())) or "-"
        out.append(
            [
                _header(p),
                str(p.forecast_deals),
                f"{p.forecast_wins:.2f}",
                str(p.won),
                _money_cell(p.forecast_value, sep),
                _money_cell(p.won_value, sep),
                error,
            ]
        )
    return out


def _signed(e: float | None) -> str:
    return "-" if e is None else f"{e * 100:+.0f}%"


ACCURACY_NOTE = (
    "expected: deals open at the period's start with a close date in it; exp. wins:\n"
    "their probabilities added up; forecast: their weighted value; error: (forecast -\n"
    "won value) / won value; its mean size over complete periods: the MAPE above.\n"
)


def mape_line(pr: PeriodReport) -> str:
    parts = []
    for c, v in pr.forecast_mape.items():
        n = pr.forecast_graded.get(c, 0)
        parts.append(f"{_pct(v) if v is not None else '-'} {c} ({n} period{'' if n == 1 else 's'})")
    return "mean absolute percentage error: " + ("; ".join(parts) if parts else "- (no complete period)") + "\n"


def accuracy_table(pr: PeriodReport, tablefmt: str, sep: str, screen: Screen | None = None) -> str:
    headers = ["period", "expected", "exp. wins", "won", "forecast", "won value", "error"]
    rows = accuracy_rows(pr, sep)
    if tablefmt == "github":
        return _markdown(headers, rows) + "\n" + mape_line(pr)
    columns = [Column("period", "period", align="left")]
    columns += [Column(h, h, align="right", priority=p) for h, p in zip(headers[1:], (2, 3, 0, 1, 1, 0), strict=True)]
    mape = mape_line(pr)
    width = None if screen is None or screen.wide else screen.width
    if width is not None and len(mape) > width:
        mape = textwrap.fill(mape, width=max(20, width), subsequent_indent="  ") + "\n"
    return fit(columns, rows, screen) + "\n" + mape + ACCURACY_NOTE


def _markdown(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    def cell(text: str) -> str:
        return text.replace("|", "\\|").replace("\n", " + ")

    lines = ["| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
    lines += ["| " + " | ".join(cell(c) for c in row) + " |" for row in rows]
    return "\n".join(lines) + "\n"


def sections(pr: PeriodReport, tablefmt: str, sep: str, screen: Screen | None = None) -> list[tuple[str, str]]:
    out = [(f"By {pr.unit}", periods_table(pr, tablefmt, sep, screen))]
    if any(p.partial for p in pr.periods):
        out[0] = (out[0][0], out[0][1] + "\n*: up to the as-of day\n")
    out.append((f"Forecast accuracy by {pr.unit}", accuracy_table(pr, tablefmt, sep, screen)))
    return out


def render_table(report: Report, heading: str, screen: Screen) -> str:
    """``pipe report --period`` for people: the heading, the trend, the periods, the forecast graded."""
    pr = report.periods
    assert pr is not None
    parts = [heading, ""]
    if not pr.periods:
        return "\n".join([*parts, "No period up to the as-of day.", ""])
    parts += [paint("Trend", "heading", screen), trend(pr, screen)]
    for title, body in sections(pr, "simple", "\n", screen):
        parts += [paint(title, "heading", screen), body]
    return "\n".join(parts)


def render_markdown(report: Report, heading: str, *, ascii_only: bool = False) -> str:
    pr = report.periods
    assert pr is not None
    parts = [f"# {heading}", ""]
    if not pr.periods:
        return "\n".join([*parts, "No period up to the as-of day.", ""])
    parts += ["```text", trend(pr, Screen(unicode=not ascii_only)).rstrip("\n"), "```", ""]
    for title, body in sections(pr, "github", " + "):
        parts += [f"## {title}", "", body]
    return "\n".join(parts)


# -- CSV: a row per period -----------------------------------------------------------------
_CSV_MONEY = ("new_value", "won_value", "lost_value", "open_value", "weighted_value")


def render_csv(report: Report, delimiter: str = ",") -> str:
    """A row per period: its days, counts, rates, the deals reaching each stage, then a column
    per money figure and currency (``won_value_EUR``; 0 when none), the forecast's last."""
    pr = report.periods
    assert pr is not None
    currencies = sorted(
        {report.currency}.union(*(getattr(p, k) for p in pr.periods for k in (*_CSV_MONEY, "forecast_value")))
    )
    stages = [r.stage for r in pr.periods[0].reached] if pr.periods else []
    buf = io.StringIO()
    w = csv.writer(buf, delimiter=delimiter, lineterminator="\n")
    head = ["start", "end", "label", "partial", "new", "won", "lost", "win_rate", "median_cycle_days", "open"]
    head += ["slipped", "slip_days", "forecast_deals", "forecast_wins", "top_lost_reason", "top_lost_reason_deals"]
    head += [f"reached_{s}" for s in stages]
    head += [f"{k}_{c}" for k in _CSV_MONEY for c in currencies]
    head += [f"forecast_value_{c}" for c in currencies] + [f"forecast_error_{c}" for c in currencies]
    w.writerow(head)
    for p in pr.periods:
        d = period_data(p)
        top = d["top_lost_reason"] or {}
        error = d["forecast"]["error"] or {}
        line: list[Any] = [d["start"], d["end"], d["label"], str(p.partial).lower(), p.new, p.won, p.lost]
        line += ["" if p.win_rate is None else p.win_rate]
        line += ["" if d["median_cycle_days"] is None else d["median_cycle_days"]]
        line += [p.open, p.slipped, p.slip_days, p.forecast_deals, p.forecast_wins]
        line += [top.get("reason") or "", top.get("deals", 0)]
        line += [r["deals"] for r in d["reached"]]
        line += [d[k].get(c, 0) for k in _CSV_MONEY for c in currencies]
        line += [d["forecast"]["weighted_value"].get(c, 0) for c in currencies]
        line += ["" if error.get(c) is None else error[c] for c in currencies]
        w.writerow(line)
    return buf.getvalue()
