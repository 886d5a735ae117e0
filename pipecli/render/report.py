"""The report as text: a funnel chart and tables for people, JSON, YAML and CSV for programs.

``report_data`` is the JSON contract documented in docs/metrics.md: keep it
stable. Rates are fractions (0..1) or null, money is an object keyed by
currency code, days are numbers (two decimals). ``JSON_VERSION`` goes up when
a key is renamed or changes meaning (docs/metrics.md says what changed).
"""

from __future__ import annotations

import csv
import io
import textwrap
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from ..calibration import Calibration
from ..report import Report, StageRow, Totals
from . import REPORT_FORMATS, OutputFormat, money, percent, plain, to_json, to_yaml
from .fit import Column, display_width, fit, truncate
from .terminal import Screen, paint

JSON_VERSION = 2
BAR = 30  # widest funnel bar, in characters
LABEL = 14  # stage names in the chart
_EIGHTHS = " ▏▎▍▌▋▊▉"


# -- plain data: the JSON contract -----------------------------------------------------------
def _days(x: float | None) -> float | None:
    return None if x is None else round(x, 2)


def totals_data(t: Totals) -> dict[str, Any]:
    data: dict[str, Any] = {
        "deals": t.deals,
        "open": t.open,
        "won": t.won,
        "lost": t.lost,
        "win_rate": t.win_rate,
        "won_value": t.won_value,
        "open_value": t.open_value,
        "lost_value": t.lost_value,
        "weighted_value": t.weighted_value,
        "median_cycle_days": _days(t.median_cycle_days),
        "back_moves": t.back_moves,
        "stale": t.stale,
        "stale_value": t.stale_value,
        "overdue_next_steps": t.overdue_next_steps,
        "touched": t.touched,
        "first_touch_median_hours": _days(t.first_touch_median_hours),
        "first_touch_mean_hours": _days(t.first_touch_mean_hours),
        "first_touch_within_rate": t.first_touch_within_rate,
        "untouched": t.untouched,
    }
    for key, value in t.extra.items():
        data.setdefault(key, value)
    return plain(data)


def stage_data(row: StageRow) -> dict[str, Any]:
    return plain(
        {
            "stage": row.stage,
            "label": row.label,
            "reached": row.reached,
            "advanced": row.advanced,
            "conversion": row.conversion,
            "cumulative_conversion": row.cumulative_conversion,
            "win_from_stage": row.win_from_stage,
            "won": row.won,
            "lost": row.lost,
            "lost_here": row.lost_here,
            "drop_off": row.drop_off,
            "open": row.open,
            "skipped": row.skipped,
            "reached_value": row.reached_value,
            "advanced_value": row.advanced_value,
            "lost_value": row.lost_value,
            "lost_here_value": row.lost_here_value,
            "open_value": row.open_value,
            "skipped_value": row.skipped_value,
            "time_in_stage_all_median_days": _days(row.all_days_median),
            "time_in_stage_all_median_above_days": _days(row.all_days_above),
            "time_in_stage_all_deals": row.all_days_deals,
            "time_in_stage_finished_median_days": _days(row.days_median),
            "time_in_stage_finished_mean_days": _days(row.days_mean),
            "time_in_stage_finished_deals": row.days_deals,
            "open_now": row.open_now,
            "open_age_median_days": _days(row.open_age_median),
        }
    )


def report_data(report: Report) -> dict[str, Any]:
    """The report as plain data (the ``--format json`` contract)."""
    data: dict[str, Any] = {
        "version": JSON_VERSION,
        "as_of": report.as_of.isoformat(),
        "cutoff": report.cutoff.isoformat(),
        "pipeline": report.pipeline,
        "currency": report.currency,
        "first_touch_within": report.first_touch_within,
        "filters": plain(report.filters),
        "totals": totals_data(report.totals),
        "funnel": [stage_data(r) for r in report.funnel],
        "velocity": [
            plain(
                {
                    "currency": v.currency,
                    "open": v.open,
                    "win_rate": v.win_rate,
                    "average_won_value": v.average_won_value,
                    "median_days_to_win": _days(v.median_days_to_win),
                    "per_day": v.per_day,
                    "mean_days_to_win": _days(v.mean_days_to_win),
                    "per_day_mean_cycle": v.per_day_mean_cycle,
                }
            )
            for v in report.velocity
        ],
        "forecast": [
            plain({"kind": b.kind, "month": b.month, "deals": b.deals, "value": b.value, "weighted_value": b.weighted})
            for b in report.forecast
        ],
        "lost_reasons": [plain({"reason": r.reason, "deals": r.deals, "value": r.value}) for r in report.lost_reasons],
    }
    if report.converted_to is not None:
        from ..rates import rates_data

        data["converted_to"] = report.converted_to
        data["rates_used"] = [plain(x) for x in rates_data(report.rates_used)]
    if report.calibration is not None:
        from ..calibration import calibration_data

        data["calibration"] = calibration_data(report.calibration)
    if report.by is not None:
        data["groups"] = [
            {"key": g.key, "totals": totals_data(g.totals), "funnel": [stage_data(r) for r in g.funnel]}
            for g in report.groups
        ]
        if report.calibration is not None:
            from ..calibration import calibration_data

            for g, shown in zip(report.groups, data["groups"], strict=True):
                shown["calibration"] = calibration_data(g.calibration or [])
    if report.periods is not None:
        from .periods import periods_data

        data.update(periods_data(report.periods))
    return _currencies_sorted(data)


def _currencies_sorted(value: Any) -> Any:
    """Money objects (keyed by currency code) in code order, so the output is stable."""
    if isinstance(value, dict):
        items = {k: _currencies_sorted(v) for k, v in value.items()}
        if items and all(isinstance(k, str) and len(k) == 3 and k.isupper() for k in items):
            return dict(sorted(items.items()))
        return items
    if isinstance(value, list):
        return [_currencies_sorted(v) for v in value]
    return value


# -- for people ----------------------------------------------------------------------------
def _bar_width(screen: Screen | None) -> int:
    """The widest funnel bar: 30 characters, less on a narrow screen."""
    if screen is None or screen.width is None or screen.wide:
        return BAR
    return max(8, min(BAR, screen.width - LABEL - 1 - 20))


def _bar(count: int, top: int, ascii_only: bool, width: int = BAR) -> str:
    if top <= 0 or count <= 0:
        return ""
    eighths = round(count / top * width * 8)
    if ascii_only:
        return "#" * max(1, round(eighths / 8))
    full, part = divmod(max(1, eighths), 8)
    return "█" * full + (_EIGHTHS[part] if part else "")


def _label_cell(text: str, screen: Screen | None, style: str | None) -> str:
    """A chart label: cut to LABEL columns, padded to exactly that, coloured when the screen is."""
    ascii_only = screen is not None and not screen.unicode
    cut = truncate(text, LABEL, ascii_only=ascii_only)
    padding = " " * max(0, LABEL - display_width(cut))
    return (paint(cut, style, screen) if screen is not None else cut) + padding


def funnel_chart(
    funnel: Sequence[StageRow], won: int, *, ascii_only: bool = False, screen: Screen | None = None
) -> str:
    """One bar per stage, proportional to the deals that reached it; conversion and drop-off beside."""
    if screen is None:
        screen = Screen(unicode=not ascii_only)
    ascii_only = not screen.unicode
    width = _bar_width(screen)
    top = max([r.reached for r in funnel] + [won, 0])
    head = " " * LABEL + " " + " " * width + f"{'reached':>8}{'conv':>6}{'drop':>6}"
    lines = [head.rstrip()]
    for r in funnel:
        bar = _bar(r.reached, top, ascii_only, width)
        line = (
            _label_cell(r.label, screen, "stage")
            + " "
            + bar
            + " " * (width - len(bar))
            + f"{r.reached:>8}{percent(r.conversion):>6}{percent(r.drop_off):>6}"
        )
        lines.append(line.rstrip())
    bar = _bar(won, top, ascii_only, width)
    lines.append((_label_cell("Won", screen, "won") + " " + bar + " " * (width - len(bar)) + f"{won:>8}").rstrip())
    return "\n".join(lines) + "\n"


def _money_cell(m: dict[str, Decimal], sep: str) -> str:
    if not m:
        return "-"
    return sep.join(money(v, c) for c, v in sorted(m.items()))


def _num(x: float | None) -> str:
    return "-" if x is None else f"{x:.1f}"


def _pct(x: float | None) -> str:
    return percent(x) or "-"


def _negative(text: str) -> str | None:
    return "negative" if text.startswith("-") and text[1:2].isdigit() else None


def _col(header: str, priority: int = 0, align: str = "right", **kw: Any) -> Column:
    return Column(header, header, align=align, priority=priority, **kw)


def _stage_col(header: str = "stage") -> Column:
    """The first column of a table by stage: on every screen, a long label cut to 16 columns (less if need be)."""
    return Column(header, header, max_width=16, min_width=8, align="left")


def _table(
    columns: Sequence[Column],
    body: list[list[Any]],
    tablefmt: str,
    screen: Screen | None = None,
    styles: Sequence[Sequence[str | None]] | None = None,
) -> str:
    cells = [[str(c) for c in row] for row in body]
    if tablefmt == "github":  # a bar in a cell (an owner, a lost reason) would start a new column
        cells = [[c.replace("|", "\\|") for c in row] for row in cells]
        headers = [c.header for c in columns]
        aligns = [c.align or "left" for c in columns]
        # the markdown tables are many and narrow: no padding around the headers
        import tabulate as tabulate_module  # here: only a markdown report pays for it
        from tabulate import tabulate

        saved = tabulate_module.MIN_PADDING
        tabulate_module.MIN_PADDING = 0
        try:
            text = tabulate(cells, headers=headers, tablefmt="github", colalign=aligns, disable_numparse=True)
        finally:
            tabulate_module.MIN_PADDING = saved
        return text + "\n"
    if screen is not None and screen.color:
        first = [styles[i][0] if styles else None for i in range(len(cells))]
        styles = [
            [first[i] if j == 0 else _negative(cell.split("\n", 1)[0]) for j, cell in enumerate(row)]
            for i, row in enumerate(cells)
        ]
    else:
        styles = None
    return fit(columns, cells, screen, styles=styles)


def _note(text: str, screen: Screen | None) -> str:
    """A note under a table, wrapped again when the screen is narrower than its lines."""
    width = screen.width if screen is not None and not screen.wide else None
    if width is None or all(len(line) <= width for line in text.splitlines()):
        return text
    return textwrap.fill(" ".join(text.split()), width=max(20, width)) + "\n"


def totals_table(t: Totals, tablefmt: str, sep: str, screen: Screen | None = None, limit: str = "24h") -> str:
    body: list[list[Any]] = [
        ["deals", t.deals],
        ["open", t.open],
        ["won", t.won],
        ["lost", t.lost],
        ["win rate (won / closed)", _pct(t.win_rate)],
        ["won value", _money_cell(t.won_value, sep)],
        ["open value", _money_cell(t.open_value, sep)],
        ["weighted open value", _money_cell(t.weighted_value, sep)],
        ["median sales cycle, days", _num(t.median_cycle_days)],
        ["back moves", t.back_moves],
        ["stale", t.stale],
        ["stale value", _money_cell(t.stale_value, sep)],
        ["overdue next steps", t.overdue_next_steps],
        ["touched", t.touched],
        ["hours to first touch, median", _num(t.first_touch_median_hours)],
        ["hours to first touch, mean", _num(t.first_touch_mean_hours)],
        [f"touched within {limit}", _pct(t.first_touch_within_rate)],
        ["untouched", t.untouched],
    ]
    for key, value in t.extra.items():
        shown = _money_cell(value, sep) if isinstance(value, dict) else ("-" if value is None else value)
        body.append([key.replace("_", " "), shown])
    roles = {"won": "won", "won value": "won", "lost": "lost", "stale": "stale", "stale value": "stale"}
    roles["overdue next steps"] = "overdue"
    styles = [[roles.get(str(row[0])), None] for row in body]
    columns = [_col("total", align="left"), _col("value")]
    return _table(columns, [[k, str(v)] for k, v in body], tablefmt, screen, styles)


def _stage_styles(n: int) -> list[list[str | None]]:
    return [["stage"] for _ in range(n)]


def funnel_table(funnel: Sequence[StageRow], strict: bool, tablefmt: str, screen: Screen | None = None) -> str:
    columns = [
        _stage_col(),
        _col("reached"),
        _col("adv", 3),
        _col("conv"),
        _col("cum", 2),
        _col("won/reached", 4),
        _col("lost", 1),
        _col("drop", 1),
        _col("open", 2),
    ]
    if strict:
        columns.append(_col("skip", 3))
    body = []
    for r in funnel:
        line = [
            r.label,
            r.reached,
            r.advanced,
            _pct(r.conversion),
            _pct(r.cumulative_conversion),
            _pct(r.win_from_stage),
            r.lost,
            _pct(r.drop_off),
            r.open,
        ]
        if strict:
            line.append(r.skipped)
        body.append([str(x) for x in line])
    return _table(columns, body, tablefmt, screen, _stage_styles(len(body)))


def _median_cell(r: StageRow) -> str:
    if r.all_days_median is None and r.all_days_above is not None:
        return f">{r.all_days_above:.1f}"  # not reached: over half the deals are still in the stage
    return _num(r.all_days_median)


TIME_NOTE = (
    "median: of every deal's days in the stage, those still in it counted so far\n"
    "(Kaplan-Meier; >N: not reached yet: over N days, the longest time seen);\n"
    "fin.: of the deals that have left it; open age: median days in it so far.\n"
)


def time_table(funnel: Sequence[StageRow], tablefmt: str, screen: Screen | None = None) -> str:
    columns = [
        _stage_col(),
        _col("median"),
        _col("open", 2),
        _col("finished", 3),
        _col("fin. median", 1),
        _col("fin. mean", 4),
        _col("open age", 2),
    ]
    body = [
        [
            r.label,
            _median_cell(r),
            str(r.open_now),
            str(r.days_deals),
            _num(r.days_median),
            _num(r.days_mean),
            _num(r.open_age_median),
        ]
        for r in funnel
    ]
    return _table(columns, body, tablefmt, screen, _stage_styles(len(body))) + "\n" + _note(TIME_NOTE, screen)


def lost_table(funnel: Sequence[StageRow], tablefmt: str, sep: str, screen: Screen | None = None) -> str:
    columns = [_stage_col(), _col("lost (furthest)", 1), _col("lost here"), _col("value lost here", 2)]
    body = [[r.label, str(r.lost), str(r.lost_here), _money_cell(r.lost_here_value, sep)] for r in funnel]
    note = (
        "lost (furthest): at the furthest stage the deal reached, as the funnel counts;\n"
        "lost here: in the stage it was in when lost (pipe list --stage S --status lost).\n"
    )
    return _table(columns, body, tablefmt, screen, _stage_styles(len(body))) + "\n" + _note(note, screen)


def value_table(funnel: Sequence[StageRow], tablefmt: str, sep: str, screen: Screen | None = None) -> str:
    columns = [_stage_col(), _col("reached", 2), _col("advanced", 3), _col("lost", 1), _col("open")]
    body = [
        [r.label] + [_money_cell(m, sep) for m in (r.reached_value, r.advanced_value, r.lost_value, r.open_value)]
        for r in funnel
    ]
    return _table(columns, body, tablefmt, screen, _stage_styles(len(body)))


def velocity_table(report: Report, tablefmt: str, screen: Screen | None = None) -> str:
    columns = [
        _col("currency", align="left"),
        _col("open", 2),
        _col("won/closed", 1),
        _col("avg won", 3),
        _col("median d", 3),
        _col("per day"),
        _col("textbook", 4),
    ]
    body = [
        [
            v.currency,
            str(v.open),
            _pct(v.win_rate),
            money(v.average_won_value) or "-",
            _num(v.median_days_to_win),
            money(v.per_day) or "-",
            money(v.per_day_mean_cycle) or "-",
        ]
        for v in report.velocity
    ]
    note = (
        "per day: open x won/closed x avg won / median days from creation to win;\n"
        "textbook: the same divided by the mean days to win (mean_days_to_win in JSON).\n"
    )
    return _table(columns, body, tablefmt, screen) + "\n" + _note(note, screen)


def forecast_table(report: Report, tablefmt: str, sep: str, screen: Screen | None = None) -> str:
    names = {"past": "past (overdue)", "none": "no close date"}
    body = [
        [b.month or names[b.kind], str(b.deals), _money_cell(b.value, sep), _money_cell(b.weighted, sep)]
        for b in report.forecast
    ]
    styles = [["overdue" if b.kind == "past" else None] for b in report.forecast]
    columns = [_col("expected close", align="left"), _col("deals", 1), _col("value", 2), _col("weighted")]
    return _table(columns, body, tablefmt, screen, styles)


def reasons_table(report: Report, tablefmt: str, sep: str, screen: Screen | None = None) -> str:
    body = [[r.reason or "(no reason)", str(r.deals), _money_cell(r.value, sep)] for r in report.lost_reasons]
    columns = [Column("lost reason", "lost reason", max_width=36, min_width=12), _col("deals"), _col("value", 1)]
    return _table(columns, body, tablefmt, screen)


GROUP_NAME = 24  # a group's name keeps this many columns before other columns give way
GROUP_NOTE = "cycle: median days from creation to win; stale: deals `pipe stale` lists; overdue: their next steps."


def _group_column(report: Report, names: Sequence[str]) -> Column:
    """The first column of a table by group: a name is cut only when the essential columns
    leave no room (other columns give way first), and never below GROUP_NAME columns."""
    by = report.by or "group"
    longest = max((display_width(n) for n in names), default=8)
    return Column(by, by, min_width=max(8, min(longest, GROUP_NAME)))


def groups_table(report: Report, tablefmt: str, sep: str, screen: Screen | None = None) -> str:
    """Each group's totals, as the totals table has them: the counts (the values: ``group_values_table``)."""
    body = []
    for g in report.groups:
        t = g.totals
        body.append(
            [
                g.key or "(none)",
                str(t.deals),
                str(t.open),
                str(t.won),
                str(t.lost),
                _pct(t.win_rate),
                _num(t.median_cycle_days),
                str(t.stale),
                str(t.overdue_next_steps),
            ]
        )
    columns = [
        _group_column(report, [row[0] for row in body]),
        _col("deals"),
        _col("open", 2),
        _col("won", 1),
        _col("lost", 1),
        _col("won/closed"),
        _col("cycle", 3),
        _col("stale", 4),
        _col("overdue", 5),
    ]
    return _table(columns, body, tablefmt, screen) + "\n" + _wrapped([GROUP_NOTE], screen)


def group_values_table(report: Report, tablefmt: str, sep: str, screen: Screen | None = None) -> str:
    """Each group's money: won, open, weighted open and lost value, per currency."""
    body = [
        [g.key or "(none)"]
        + [
            _money_cell(m, sep)
            for m in (g.totals.won_value, g.totals.open_value, g.totals.weighted_value, g.totals.lost_value)
        ]
        for g in report.groups
    ]
    columns = [
        _group_column(report, [row[0] for row in body]),
        _col("won value"),
        _col("open value", 1),
        _col("weighted", 2),
        _col("lost value", 3),
    ]
    return _table(columns, body, tablefmt, screen)


def first_touch_table(report: Report, tablefmt: str, screen: Screen | None = None) -> str:
    """Per group: deals touched, median and mean hours to first touch, the share within the limit, untouched."""
    limit = report.first_touch_within
    body = [
        [
            g.key or "(none)",
            str(g.totals.touched),
            _num(g.totals.first_touch_median_hours),
            _num(g.totals.first_touch_mean_hours),
            _pct(g.totals.first_touch_within_rate),
            str(g.totals.untouched),
        ]
        for g in report.groups
    ]
    by = report.by or "group"
    columns = [
        Column(by, by, max_width=16, min_width=8),
        _col("touched"),
        _col("median h"),
        _col("mean h", 1),
        _col(f"within {limit}"),
        _col("untouched"),
    ]
    return _table(columns, body, tablefmt, screen)


def _wrapped(lines: Sequence[str], screen: Screen | None) -> str:
    """Lines under a table, each wrapped to the screen (80 columns when it has no width)."""
    width = screen.width if screen is not None and screen.width and not screen.wide else 80
    return "".join(textwrap.fill(line, width=max(20, width), subsequent_indent="  ") + "\n" for line in lines)


def calibration_table(rows: Sequence[Calibration], tablefmt: str, screen: Screen | None = None) -> str:
    """Per stage: the configured probability, the won share of the closed deals that reached it, the
    count, the 95% interval and the verdict; a line for each stage whose probability is outside it."""
    from ..calibration import MIN_CLOSED, verdict_line

    shown = {"ok": "ok", "low": "too low", "high": "too high", "too_few": "too few"}
    body = [
        [
            c.label,
            _pct(c.probability),
            _pct(c.observed),
            str(c.closed),
            "-" if c.low is None or c.high is None else f"{percent(c.low)}-{percent(c.high)}",
            shown[c.verdict],
        ]
        for c in rows
    ]
    columns = [
        _stage_col(),
        _col("configured"),
        _col("won/closed"),
        _col("closed"),
        _col("95% interval", 1),
        _col("verdict", align="left"),
    ]
    lines = [line for c in rows if (line := verdict_line(c)) is not None]
    lines.append(f"closed: closed deals that reached the stage; too few: under {MIN_CLOSED} of them.")
    return _table(columns, body, tablefmt, screen, _stage_styles(len(body))) + "\n" + _wrapped(lines, screen)


def _heading(report: Report) -> str:
    f = report.filters
    parts = [f"{report.pipeline} pipeline as of {report.as_of.isoformat()}"]
    chosen = [f"{k} {f[k]}" for k in ("owner", "source", "tag") if f.get(k)]
    if report.periods is not None:
        parts[0] += f", by {report.periods.unit}"
    if f.get("since") or f.get("until"):
        since = f["since"].isoformat() if f.get("since") else "..."
        until = f["until"].isoformat() if f.get("until") else "..."
        chosen.append(f"created {since} to {until}")
    if report.strict:
        chosen.append("strict funnel")
    if chosen:
        parts.append(", ".join(chosen))
    return "; ".join(parts)


def _sections(report: Report, tablefmt: str, sep: str, screen: Screen | None = None) -> list[tuple[str, str]]:
    t = report.totals
    out = [
        ("Totals", totals_table(t, tablefmt, sep, screen, report.first_touch_within)),
        ("Funnel", funnel_table(report.funnel, report.strict, tablefmt, screen)),
        ("Lost deals by stage", lost_table(report.funnel, tablefmt, sep, screen)),
        ("Time in stage (days)", time_table(report.funnel, tablefmt, screen)),
        ("Value by stage", value_table(report.funnel, tablefmt, sep, screen)),
        ("Sales velocity", velocity_table(report, tablefmt, screen)),
        ("Forecast: weighted open value by expected close", forecast_table(report, tablefmt, sep, screen)),
    ]
    if report.lost_reasons:
        out.append(("Lost reasons", reasons_table(report, tablefmt, sep, screen)))
    if report.calibration is not None:
        out.append(
            (
                "Calibration: stage probability against closed deals",
                calibration_table(report.calibration, tablefmt, screen),
            )
        )
    if report.by is not None:
        out.append((f"By {report.by}", groups_table(report, tablefmt, sep, screen)))
        out.append((f"First touch by {report.by}", first_touch_table(report, tablefmt, screen)))
        out.append((f"Value by {report.by}", group_values_table(report, tablefmt, sep, screen)))
        for g in report.groups:
            title = f"Funnel, {report.by} {g.key or '(none)'}"
            out.append((title, funnel_table(g.funnel, report.strict, tablefmt, screen)))
            if g.calibration is not None:
                title = f"Calibration, {report.by} {g.key or '(none)'}"
                out.append((title, calibration_table(g.calibration, tablefmt, screen)))
    return out


def _through(report: Report) -> int:
    """Won deals that passed the last stage (all of them, except skippers in the strict funnel)."""
    return report.funnel[-1].advanced if report.funnel else report.totals.won


def render_table(report: Report, *, ascii_only: bool = False, screen: Screen | None = None) -> str:
    """The report for people: a funnel chart, then a table per section, fitted to ``screen``."""
    if screen is None:
        screen = Screen(unicode=not ascii_only)
    if report.periods is not None:
        from . import periods

        parts = [periods.render_table(report, _heading(report), screen)]
    else:
        parts = [_heading(report), "", funnel_chart(report.funnel, _through(report), screen=screen)]
        for title, body in _sections(report, "simple", "\n", screen):
            parts += [paint(title, "heading", screen), body]
    if report.converted_to is not None:
        parts.append(_wrapped([rates_note(report)], screen))
    return "\n".join(parts)


def rates_note(report: Report) -> str:
    """The line under a report in one currency: which rates of rates.yaml it used."""
    if not report.rates_used:
        return f"Amounts in {report.converted_to}; no rate was needed."
    used = "; ".join(r.text() for r in report.rates_used)
    return f"Amounts in {report.converted_to} at the rates of rates.yaml: {used}."


def render_markdown(report: Report, *, ascii_only: bool = False) -> str:
    if report.periods is not None:
        from . import periods

        parts = [periods.render_markdown(report, _heading(report), ascii_only=ascii_only)]
    else:
        chart = funnel_chart(report.funnel, _through(report), ascii_only=ascii_only)
        parts = [f"# {_heading(report)}", "", "```text", chart.rstrip("\n"), "```", ""]
        for title, body in _sections(report, "github", " + "):
            parts += [f"## {title}", "", body]
    if report.converted_to is not None:
        parts.append(rates_note(report) + "\n")
    return "\n".join(parts)


_CSV_COUNTS = [
    "reached",
    "advanced",
    "conversion",
    "cumulative_conversion",
    "win_from_stage",
    "won",
    "lost",
    "lost_here",
    "drop_off",
    "open",
    "skipped",
    "time_in_stage_all_median_days",
    "time_in_stage_all_median_above_days",
    "time_in_stage_all_deals",
    "time_in_stage_finished_median_days",
    "time_in_stage_finished_mean_days",
    "time_in_stage_finished_deals",
    "open_now",
    "open_age_median_days",
]
_CSV_VALUES = ["reached_value", "advanced_value", "lost_value", "lost_here_value", "open_value", "skipped_value"]


def render_csv(report: Report) -> str:
    """The funnel, one row per stage (and per group with ``--by``); money in a column per currency.
    With periods: a row per period (``render.periods.render_csv``)."""
    if report.periods is not None:
        from . import periods

        return periods.render_csv(report)
    scopes: list[tuple[str, str, list[StageRow]]] = [("all", "", report.funnel)]
    scopes += [("group", g.key or "", g.funnel) for g in report.groups]
    found = {report.currency}
    for _, _, rows in scopes:
        for r in rows:
            for m in (r.reached_value, r.advanced_value, r.lost_value, r.lost_here_value, r.open_value):
                found.update(m)
            found.update(r.skipped_value)
    currencies = sorted(found)
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(
        ["scope", "group", "stage", "label", *_CSV_COUNTS] + [f"{k}_{c}" for k in _CSV_VALUES for c in currencies]
    )
    for scope, key, rows in scopes:
        for r in rows:
            d = stage_data(r)
            counts = ["" if d[k] is None else d[k] for k in _CSV_COUNTS]
            values = [d[k].get(c, 0) for k in _CSV_VALUES for c in currencies]
            w.writerow([scope, key, r.stage, r.label, *counts, *values])
    return buf.getvalue()


def render_csv_tabs(report: Report) -> str:
    """:func:`render_csv` with tabs between the fields."""
    rows = csv.reader(io.StringIO(render_csv(report)))
    buf = io.StringIO()
    csv.writer(buf, delimiter="\t", lineterminator="\n").writerows(rows)
    return buf.getvalue()


FORMATS = REPORT_FORMATS  # the formats pipe report offers


def render_report(
    report: Report, fmt: OutputFormat | str, *, ascii_only: bool = False, screen: Screen | None = None
) -> str:
    """The report in one of ``FORMATS``; the table fits ``screen`` (default: every column)."""
    fmt = OutputFormat(fmt)
    if fmt is OutputFormat.table:
        return render_table(report, ascii_only=ascii_only, screen=screen)
    if fmt is OutputFormat.markdown:
        return render_markdown(report, ascii_only=ascii_only or (screen is not None and not screen.unicode))
    if fmt is OutputFormat.json:
        return to_json(report_data(report))
    if fmt is OutputFormat.yaml:
        return to_yaml(report_data(report))
    if fmt is OutputFormat.csv:
        return render_csv(report)
    if fmt is OutputFormat.tsv:
        return render_csv_tabs(report)
    if fmt is OutputFormat.html:
        from .html import report_page

        return report_page(report)
    raise ValueError(f"a report has no {fmt.value} format")
