"""The report as text: a funnel chart and tables for people, JSON, YAML and CSV for programs.

``report_data`` is the JSON contract documented in docs/metrics.md: keep it
stable. Rates are fractions (0..1) or null, money is an object keyed by
currency code, days are numbers (two decimals). ``JSON_VERSION`` goes up when
a key is renamed or changes meaning (docs/metrics.md says what changed).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import Any

from ..report import Report, StageRow, Totals
from . import OutputFormat, money, percent, plain, to_json, to_yaml

JSON_VERSION = 2
WIDTH = 80
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
    if report.by is not None:
        data["groups"] = [
            {"key": g.key, "totals": totals_data(g.totals), "funnel": [stage_data(r) for r in g.funnel]}
            for g in report.groups
        ]
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
def _fit(text: str, width: int, ascii_only: bool) -> str:
    """Cut ``text`` to ``width`` display columns and pad it to exactly that."""
    from wcwidth import wcswidth  # here: a JSON report never pays for it

    if wcswidth(text) > width:
        cut = text
        while cut and wcswidth(cut) > width - 1:
            cut = cut[:-1]
        text = cut + ("~" if ascii_only else "…")
    return text + " " * max(0, width - wcswidth(text))


def _bar(count: int, top: int, ascii_only: bool) -> str:
    if top <= 0 or count <= 0:
        return ""
    eighths = round(count / top * BAR * 8)
    if ascii_only:
        return "#" * max(1, round(eighths / 8))
    full, part = divmod(max(1, eighths), 8)
    return "█" * full + (_EIGHTHS[part] if part else "")


def funnel_chart(funnel: Sequence[StageRow], won: int, *, ascii_only: bool) -> str:
    """One bar per stage, proportional to the deals that reached it; conversion and drop-off beside."""
    top = max([r.reached for r in funnel] + [won, 0])
    head = _fit("", LABEL, ascii_only) + " " + " " * BAR + f"{'reached':>8}{'conv':>6}{'drop':>6}"
    lines = [head.rstrip()]
    for r in funnel:
        bar = _bar(r.reached, top, ascii_only)
        line = (
            _fit(r.label, LABEL, ascii_only)
            + " "
            + bar
            + " " * (BAR - len(bar))
            + f"{r.reached:>8}{percent(r.conversion):>6}{percent(r.drop_off):>6}"
        )
        lines.append(line.rstrip())
    bar = _bar(won, top, ascii_only)
    lines.append((_fit("Won", LABEL, ascii_only) + " " + bar + " " * (BAR - len(bar)) + f"{won:>8}").rstrip())
    return "\n".join(lines) + "\n"


def _money_cell(m: dict[str, Decimal], sep: str) -> str:
    if not m:
        return "-"
    return sep.join(money(v, c) for c, v in sorted(m.items()))


def _num(x: float | None) -> str:
    return "-" if x is None else f"{x:.1f}"


def _pct(x: float | None) -> str:
    return percent(x) or "-"


def _table(headers: list[str], body: list[list[Any]], align: list[str], tablefmt: str) -> str:
    if tablefmt == "github":  # a bar in a cell (an owner, a lost reason) would start a new column
        body = [[c.replace("|", "\\|") if isinstance(c, str) else c for c in row] for row in body]
    # tabulate pads every header by two spaces on top of the column gap; the report's tables
    # are many and narrow, so drop that padding to keep them within 80 columns
    import tabulate as tabulate_module
    from tabulate import tabulate

    saved = tabulate_module.MIN_PADDING
    tabulate_module.MIN_PADDING = 0
    try:
        text = tabulate(body, headers=headers, tablefmt=tablefmt, colalign=align, disable_numparse=True)
    finally:
        tabulate_module.MIN_PADDING = saved
    return text + "\n"


def _label(text: str, width: int = 16) -> str:
    from wcwidth import wcswidth

    return text if wcswidth(text) <= width else _fit(text, width, ascii_only=True).rstrip()


def totals_table(t: Totals, tablefmt: str, sep: str) -> str:
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
    ]
    for key, value in t.extra.items():
        shown = _money_cell(value, sep) if isinstance(value, dict) else ("-" if value is None else value)
        body.append([key.replace("_", " "), shown])
    return _table(["total", "value"], [[k, str(v)] for k, v in body], ["left", "right"], tablefmt)


def funnel_table(funnel: Sequence[StageRow], strict: bool, tablefmt: str) -> str:
    headers = ["stage", "reached", "adv", "conv", "cum", "won/reached", "lost", "drop", "open"]
    if strict:
        headers.append("skip")
    body = []
    for r in funnel:
        line = [
            _label(r.label),
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
    return _table(headers, body, ["left"] + ["right"] * (len(headers) - 1), tablefmt)


def _median_cell(r: StageRow) -> str:
    if r.all_days_median is None and r.all_days_above is not None:
        return f">{r.all_days_above:.1f}"  # not reached: over half the deals are still in the stage
    return _num(r.all_days_median)


TIME_NOTE = (
    "median: of every deal's days in the stage, those still in it counted so far\n"
    "(Kaplan-Meier; >N: not reached yet: over N days, the longest time seen);\n"
    "fin.: of the deals that have left it; open age: median days in it so far.\n"
)


def time_table(funnel: Sequence[StageRow], tablefmt: str) -> str:
    headers = ["stage", "median", "open", "finished", "fin. median", "fin. mean", "open age"]
    body = [
        [
            _label(r.label),
            _median_cell(r),
            str(r.open_now),
            str(r.days_deals),
            _num(r.days_median),
            _num(r.days_mean),
            _num(r.open_age_median),
        ]
        for r in funnel
    ]
    return _table(headers, body, ["left"] + ["right"] * 6, tablefmt) + "\n" + TIME_NOTE


def lost_table(funnel: Sequence[StageRow], tablefmt: str, sep: str) -> str:
    headers = ["stage", "lost (furthest)", "lost here", "value lost here"]
    body = [[_label(r.label), str(r.lost), str(r.lost_here), _money_cell(r.lost_here_value, sep)] for r in funnel]
    note = (
        "lost (furthest): at the furthest stage the deal reached, as the funnel counts;\n"
        "lost here: in the stage it was in when lost (pipe list --stage S --status lost).\n"
    )
    return _table(headers, body, ["left"] + ["right"] * 3, tablefmt) + "\n" + note


def value_table(funnel: Sequence[StageRow], tablefmt: str, sep: str) -> str:
    headers = ["stage", "reached", "advanced", "lost", "open"]
    body = [
        [_label(r.label)]
        + [_money_cell(m, sep) for m in (r.reached_value, r.advanced_value, r.lost_value, r.open_value)]
        for r in funnel
    ]
    return _table(headers, body, ["left"] + ["right"] * 4, tablefmt)


def velocity_table(report: Report, tablefmt: str) -> str:
    headers = ["currency", "open", "won/closed", "avg won", "median d", "per day", "textbook"]
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
    return _table(headers, body, ["left"] + ["right"] * 6, tablefmt) + "\n" + note


def forecast_table(report: Report, tablefmt: str, sep: str) -> str:
    names = {"past": "past (overdue)", "none": "no close date"}
    body = [
        [b.month or names[b.kind], str(b.deals), _money_cell(b.value, sep), _money_cell(b.weighted, sep)]
        for b in report.forecast
    ]
    return _table(["expected close", "deals", "value", "weighted"], body, ["left", "right", "right", "right"], tablefmt)


def reasons_table(report: Report, tablefmt: str, sep: str) -> str:
    body = [
        [_label(r.reason or "(no reason)", 36), str(r.deals), _money_cell(r.value, sep)] for r in report.lost_reasons
    ]
    return _table(["lost reason", "deals", "value"], body, ["left", "right", "right"], tablefmt)


def groups_table(report: Report, tablefmt: str, sep: str) -> str:
    body = [
        [
            _label(g.key or "(none)"),
            str(g.totals.deals),
            str(g.totals.open),
            str(g.totals.won),
            str(g.totals.lost),
            _pct(g.totals.win_rate),
            _money_cell(g.totals.won_value, sep),
        ]
        for g in report.groups
    ]
    headers = [report.by or "group", "deals", "open", "won", "lost", "won/closed", "won value"]
    return _table(headers, body, ["left"] + ["right"] * 6, tablefmt)


def _heading(report: Report) -> str:
    f = report.filters
    parts = [f"{report.pipeline} pipeline as of {report.as_of.isoformat()}"]
    chosen = [f"{k} {f[k]}" for k in ("owner", "source", "tag") if f.get(k)]
    if f.get("since") or f.get("until"):
        since = f["since"].isoformat() if f.get("since") else "..."
        until = f["until"].isoformat() if f.get("until") else "..."
        chosen.append(f"created {since} to {until}")
    if report.strict:
        chosen.append("strict funnel")
    if chosen:
        parts.append(", ".join(chosen))
    return "; ".join(parts)


def _sections(report: Report, tablefmt: str, sep: str) -> list[tuple[str, str]]:
    t = report.totals
    out = [
        ("Totals", totals_table(t, tablefmt, sep)),
        ("Funnel", funnel_table(report.funnel, report.strict, tablefmt)),
        ("Lost deals by stage", lost_table(report.funnel, tablefmt, sep)),
        ("Time in stage (days)", time_table(report.funnel, tablefmt)),
        ("Value by stage", value_table(report.funnel, tablefmt, sep)),
        ("Sales velocity", velocity_table(report, tablefmt)),
        ("Forecast: weighted open value by expected close", forecast_table(report, tablefmt, sep)),
    ]
    if report.lost_reasons:
        out.append(("Lost reasons", reasons_table(report, tablefmt, sep)))
    if report.by is not None:
        out.append((f"By {report.by}", groups_table(report, tablefmt, sep)))
        for g in report.groups:
            out.append((f"Funnel, {report.by} {g.key or '(none)'}", funnel_table(g.funnel, report.strict, tablefmt)))
    return out


def _through(report: Report) -> int:
    """Won deals that passed the last stage (all of them, except skippers in the strict funnel)."""
    return report.funnel[-1].advanced if report.funnel else report.totals.won


def render_table(report: Report, *, ascii_only: bool) -> str:
    chart = funnel_chart(report.funnel, _through(report), ascii_only=ascii_only)
    parts = [_heading(report), "", chart]
    for title, body in _sections(report, "simple", "\n"):
        parts += [title, body]
    return "\n".join(parts)


def render_markdown(report: Report, *, ascii_only: bool) -> str:
    chart = funnel_chart(report.funnel, _through(report), ascii_only=ascii_only)
    parts = [f"# {_heading(report)}", "", "```text", chart.rstrip("\n"), "```", ""]
    for title, body in _sections(report, "github", " + "):
        parts += [f"## {title}", "", body]
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
    """The funnel, one row per stage (and per group with ``--by``); money in a column per currency."""
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


RENDERERS: dict[OutputFormat, Callable[[Report, bool], str]] = {
    OutputFormat.table: lambda r, a: render_table(r, ascii_only=a),
    OutputFormat.markdown: lambda r, a: render_markdown(r, ascii_only=a),
    OutputFormat.json: lambda r, a: to_json(report_data(r)),
    OutputFormat.yaml: lambda r, a: to_yaml(report_data(r)),
    OutputFormat.csv: lambda r, a: render_csv(r),
}


def render_report(report: Report, fmt: OutputFormat | str, *, ascii_only: bool = False) -> str:
    return RENDERERS[OutputFormat(fmt)](report, ascii_only)
