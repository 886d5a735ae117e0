"""Turning plain data into text: the output formats every listing command shares.

A listing is a list of rows (dicts) and the columns to show. ``table`` and
``markdown`` are for people; ``json``, ``jsonl``, ``csv`` and ``tsv`` (and
``yaml``) are for programs: they carry every column, untruncated, with numbers
as numbers, and an empty listing is ``[]`` in JSON and a header line in CSV.
A table fits the :class:`~pipecli.render.terminal.Screen` it is given (see
``render/fit.py``).
"""

from __future__ import annotations

import csv
import functools
import io
import json
import os
import re
import sys
from collections.abc import Sequence
from dataclasses import replace
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any

from .fit import Column, display_width, fit_table, truncate
from .terminal import Screen, can_encode

__all__ = ["Column", "OutputFormat", "Screen", "display_width", "render_rows", "truncate"]


class OutputFormat(str, Enum):
    table = "table"
    markdown = "markdown"
    json = "json"
    jsonl = "jsonl"  # JSON Lines: one object per line
    csv = "csv"
    tsv = "tsv"  # CSV with tabs between the fields (quoted as CSV is)
    yaml = "yaml"
    email = "email"  # plain text for a mail body (no table rules): pipe stale
    text = "text"  # one deal, for people: pipe show
    sqlite = "sqlite"  # a database file: pipe export
    html = "html"  # one self-contained page: pipe report and pipe stale (render/html.py)
    ics = "ics"  # an iCalendar file: pipe agenda (render/agenda.py)


# the formats for programs, the same on every listing command (list, stale, export, log)
MACHINE_FORMATS: tuple[OutputFormat, ...] = (OutputFormat.json, OutputFormat.jsonl, OutputFormat.csv, OutputFormat.tsv)
# what a listing command offers: the people's formats, the machine formats, and YAML
LISTING_FORMATS: tuple[OutputFormat, ...] = (
    OutputFormat.table,
    OutputFormat.markdown,
    *MACHINE_FORMATS,
    OutputFormat.yaml,
)
# formats that escape what an output encoding cannot carry and stay valid (\uXXXX)
ESCAPING_FORMATS = frozenset({OutputFormat.json, OutputFormat.jsonl})
# what pipe report offers (``render/report.py``) and pipe stale (``render/stale.py``): named
# here, where a command's options can read them without importing what renders them
REPORT_FORMATS: tuple[OutputFormat, ...] = (
    OutputFormat.table,
    OutputFormat.markdown,
    OutputFormat.json,
    OutputFormat.csv,
    OutputFormat.tsv,
    OutputFormat.yaml,
    OutputFormat.html,
)
STALE_FORMATS: tuple[OutputFormat, ...] = (*LISTING_FORMATS, OutputFormat.email, OutputFormat.html)
AGENDA_FORMATS: tuple[OutputFormat, ...] = (
    OutputFormat.table,
    OutputFormat.markdown,
    OutputFormat.json,
    OutputFormat.csv,
    OutputFormat.ics,
)


class ExportFormat(str, Enum):
    """What `pipe export` writes (``pipecli.export``)."""

    csv = "csv"
    tsv = "tsv"  # the CSV with tabs between the fields
    json = "json"
    jsonl = "jsonl"
    sqlite = "sqlite"


def plain(value: Any, *, exact: bool = False) -> Any:
    """JSON-ready form of a value: dates ISO text; Decimals (a report's figures) int or
    float, or with ``exact`` (a deal's amounts) the Decimal itself, which ``to_json``,
    ``to_yaml`` and the CSV write with its own digits (8500.50)."""
    if type(value) in _AS_IS:  # most values: their own plain form, told at once
        return value
    if isinstance(value, Decimal):
        if exact:
            return value
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): v if type(v) in _AS_IS else plain(v, exact=exact) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [v if type(v) in _AS_IS else plain(v, exact=exact) for v in value]
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, bytes):  # a hand-written !!binary value: as text, like show --format json
        return value.decode("utf-8", errors="replace")
    return value


def json_text(data: Any, *, indent: int | None = None, sort_keys: bool = False, flat: bool | None = None) -> str:
    """JSON of plain data (``plain(..., exact=True)``); a Decimal is written as the number
    it is, with its own digits (``8500.50``, never 8500.5 or a float's noise). ``flat``:
    whether ``data`` is known to be ``flat_records`` (None: look)."""
    from ..yamlio import decimal_text

    numbers: dict[str, str] = {}
    mark = os.urandom(8).hex()

    def number(value: Any) -> str | int:
        if not isinstance(value, Decimal) or not value.is_finite():
            raise TypeError(f"{type(value).__name__} is not JSON")
        if value.as_tuple().exponent == 0 and (value or not value.is_signed()):
            return int(value)  # whole, written without a point: the same digits (-0 excepted)
        key = f"{mark}:{len(numbers)}"
        numbers[key] = decimal_text(value)
        return key

    records = indent is not None and (flat_records(data) if flat is None else flat)
    text = _orjson_text(data, indent, sort_keys, number, records)
    if text is None and records:
        text = _records_json(data, indent or 0, sort_keys, number)
    elif text is None:
        text = json.dumps(data, ensure_ascii=False, indent=indent, sort_keys=sort_keys, default=number)
    if not numbers:
        return text
    return re.sub(f'"({mark}:[0-9]+)"', lambda m: numbers[m.group(1)], text)


_SCALARS = frozenset({str, int, float, bool, type(None), Decimal})
_AS_IS = frozenset({str, int, float, bool, type(None)})  # what ``plain`` gives back as it is


def flat_records(data: Any) -> bool:
    """Whether ``data`` is a list of non-empty dicts of text keys and scalar values (a
    listing's records): ``_records_json`` lays those out as ``json.dumps`` with an indent."""
    return (
        type(data) is list
        and all(type(r) is dict and r for r in data)
        and all(type(k) is str for r in data for k in r)
        and all(type(v) in _SCALARS for r in data for v in r.values())
    )


def _records_json(data: list[dict[str, Any]], indent: int, sort_keys: bool, default: Any) -> str:
    """``json.dumps(data, indent=indent)`` of ``flat_records``, byte for byte, by the C encoder
    (which ``json`` uses only without an indent: with one, tens of thousands of records took
    seconds). Each record's items are joined by a line break and the record's indent; no
    text holds a line break unescaped, so what stands between two records can be told."""
    if not data:
        return "[]"
    one, two = " " * indent, " " * (2 * indent)
    encoder = json.JSONEncoder(ensure_ascii=False, sort_keys=sort_keys, default=default, separators=(",\n" + two, ": "))
    text = encoder.encode(data)  # [{"a": 1,\n    "b": 2},\n    {"a": 3, ...}]
    between = text[1:-1].replace("},\n" + two + "{", "\n" + one + "},\n" + one + "{\n" + two)
    return "[\n" + one + "{\n" + two + between[1:-1] + "\n" + one + "}\n]"


def _orjson_text(data: Any, indent: int | None, sort_keys: bool, default: Any, records: bool) -> str | None:
    """``json.dumps(data, ensure_ascii=False, indent=2)`` by orjson, ten times faster or more
    over tens of thousands of records or deals; None where orjson would write other bytes or
    cannot: another indent; anything but dicts with text keys, lists, tuples, text, numbers,
    true, false, null and Decimals (which ``default`` gives); a float Python writes otherwise
    (non-finite, or under 1e-4, which Python writes as ``1e-05`` and orjson as ``0.00001``);
    an integer beyond 64 bits or a lone surrogate (orjson refuses both); or orjson not
    installed. ``records``: ``data`` is ``flat_records``, so only its floats need a look."""
    if indent != 2:
        return None
    try:
        import orjson
    except ImportError:  # pragma: no cover - a declared dependency; json stays the fallback
        return None
    if records:
        if not all(map(_float_alike, [v for r in data for v in r.values() if type(v) is float])):
            return None
    elif not _orjson_writes_alike(data):
        return None
    option = orjson.OPT_INDENT_2 | (orjson.OPT_SORT_KEYS if sort_keys else 0)
    try:
        return orjson.dumps(data, default=default, option=option).decode("utf-8")
    except (TypeError, orjson.JSONEncodeError):  # an integer beyond 64 bits, a lone surrogate
        return None


def _orjson_writes_alike(data: Any) -> bool:
    """Whether every value in ``data`` (walked without recursion) is one orjson writes as
    ``json.dumps`` does: see ``_orjson_text``."""
    pending = [data]
    while pending:
        value = pending.pop()
        kind = type(value)
        if kind is dict:
            if not all(type(k) is str for k in value):
                return False
            pending += value.values()
        elif kind is list or kind is tuple:
            pending += value
        elif kind is float:
            if not _float_alike(value):
                return False
        elif kind not in _SCALARS:
            return False
    return True


def _float_alike(value: float) -> bool:
    """Whether orjson writes the float as Python's ``repr`` does: zero, and every finite
    float from ``_SMALLEST`` up (below, Python writes ``1e-05`` and orjson ``0.00001``)."""
    return _SMALLEST <= abs(value) < _INF or value == 0


_SMALLEST = 1e-4
_INF = float("inf")


def to_json(data: Any) -> str:
    return json_text(plain(data, exact=True), indent=2) + "\n"


@functools.cache
def _dumper() -> Any:
    import yaml

    from ..yamlio import decimal_text, needs_quotes  # the rules the deal files are written by

    class Dumper(yaml.SafeDumper):
        """Quotes text that a YAML 1.1 or 1.2 reader would take for something else ('0612', 'no',
        'true'); writes a Decimal with its own digits."""

        def ignore_aliases(self, data: Any) -> bool:
            return isinstance(data, Decimal) or bool(super().ignore_aliases(data))

    def _str(dumper: yaml.SafeDumper, text: str) -> yaml.ScalarNode:
        style = "'" if "\n" not in text and needs_quotes(text) else None
        return dumper.represent_scalar("tag:yaml.org,2002:str", text, style=style)

    def _decimal(dumper: yaml.SafeDumper, value: Decimal) -> yaml.ScalarNode:
        text = decimal_text(value)
        return dumper.represent_scalar("tag:yaml.org,2002:float" if "." in text else "tag:yaml.org,2002:int", text)

    Dumper.add_representer(str, _str)
    Dumper.add_representer(Decimal, _decimal)
    return Dumper


def to_yaml(data: Any) -> str:
    import yaml

    return yaml.dump(plain(data, exact=True), Dumper=_dumper(), allow_unicode=True, sort_keys=False, width=4096)


def unicode_ok(stream: Any = None) -> bool:
    """Whether the output stream can take non-ASCII drawing characters."""
    return can_encode("█…→", stream or sys.stdout)


def money(amount: Any, currency: str | None = None) -> str:
    """12000 -> '12,000'; 1234.5 -> '1,234.50'; 1234.567 -> '1,234.567' (an amount's digits are
    never rounded away); with a currency code after it."""
    if amount is None or amount == "":
        return ""
    d = Decimal(str(amount))
    if d == d.to_integral_value():
        text = f"{d:,.0f}"
    elif int(d.as_tuple().exponent) < -2:
        text = f"{d.normalize():,f}"
    else:
        text = f"{d:,.2f}"
    return f"{text} {currency}" if currency else text


def money_map(values: dict[str, Any]) -> str:
    """{'EUR': 1000, 'PLN': 5} -> '1,000 EUR + 5 PLN' (never added across currencies)."""
    if not values:
        return "0"
    return " + ".join(money(v, c) for c, v in sorted(values.items()))


def percent(rate: float | None) -> str:
    return "" if rate is None else f"{rate * 100:.0f}%"


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if type(value) is str:  # most cells: nothing to convert (a str subclass, an Enum, goes on)
        return value
    if isinstance(value, (list, tuple)):
        return ", ".join(str(v) for v in value)
    if isinstance(value, dict):
        return money_map(value)
    return plain(value)


def _cell_text(value: Any) -> str:
    return str(_cell(value))


def markdown_table(rows: Sequence[dict[str, Any]], columns: Sequence[Column]) -> str:
    """A GitHub table: every column, nothing shortened, bars in cells escaped."""
    body = [
        [(c.show(r.get(c.key)) if c.show else _cell_text(r.get(c.key))).replace("|", "\\|") for c in columns]
        for r in rows
    ]
    aligns = [c.align or "left" for c in columns]
    headers = [c.header for c in columns]
    from tabulate import tabulate  # here: only a markdown table pays for it

    return tabulate(body, headers=headers, tablefmt="github", colalign=aligns, disable_numparse=True) + "\n"


def render_rows(
    rows: Sequence[dict[str, Any]],
    columns: Sequence[Column],
    fmt: OutputFormat | str,
    *,
    machine_keys: Sequence[str] | None = None,
    screen: Screen | None = None,
    plain_scalars: bool = False,
) -> str:
    """A listing in the chosen format. Machine formats carry ``machine_keys`` (all by default);
    a table fits ``screen`` (default: every column, as for a file). ``plain_scalars``: every
    value of every row is a scalar already in its plain form (``plain(v, exact=True) is v``), so
    rows that hold exactly ``machine_keys``, in order, are written as they are."""
    fmt = OutputFormat(fmt)
    if fmt is OutputFormat.table:
        shown = [c if c.show else replace(c, show=_cell_text) for c in columns]
        return fit_table(rows, shown, screen) if rows else ""
    if fmt is OutputFormat.markdown:
        return markdown_table(rows, columns)
    keys = list(machine_keys) if machine_keys is not None else [c.key for c in columns]
    flat: bool | None = None
    records: Sequence[dict[str, Any]]
    if plain_scalars and all(list(r) == keys for r in rows):
        # rows made by one function, with the keys asked for: the records themselves
        records, flat = rows, bool(rows)
    else:
        # plain(exact=True) of each value; text, whole numbers, floats, true, false and null are
        # their own plain form (``_AS_IS``), without a call for each (tens of thousands of records)
        records = [
            {k: v if type(v) in _AS_IS else plain(v, exact=True) for k, v in zip(keys, map(r.get, keys), strict=True)}
            for r in rows
        ]
    if fmt is OutputFormat.json:
        return json_text(records, indent=2, flat=flat) + "\n"  # ``to_json`` of records already plain
    if fmt is OutputFormat.jsonl:
        return "".join(json_text(r) + "\n" for r in records)
    if fmt is OutputFormat.yaml:
        return to_yaml(records) if records else "[]\n"
    if fmt not in (OutputFormat.csv, OutputFormat.tsv):
        raise ValueError(f"a listing has no {fmt.value} format")
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n", delimiter="\t" if fmt is OutputFormat.tsv else ",")
    writer.writerow(keys)
    for r in records:
        writer.writerow(["" if r[k] is None else _csv_cell(r[k]) for k in keys])
    return buf.getvalue()


def _csv_cell(value: Any) -> Any:
    if isinstance(value, Decimal):
        from ..yamlio import decimal_text

        return decimal_text(value)
    if isinstance(value, (list, tuple)):
        return ",".join(str(v) for v in value)
    if isinstance(value, dict):
        return json_text(value, sort_keys=True)
    if isinstance(value, bool):
        return "true" if value else "false"
    return value


def deal_text(deal: Any, pipeline: Any) -> str:
    """Everything about one deal, for people: fields, next step, history and notes."""
    arrow = "→" if unicode_ok() else "->"
    stage = pipeline.stage(deal.stage)
    stage_name = stage.title if stage else f"{deal.stage} (unknown stage)"
    status = deal.status.upper() if deal.status != "open" else "open"
    currency = deal.currency or pipeline.currency
    lines = [f"{deal.title}", f"  id:          {deal.id}"]

    def field(label: str, value: Any) -> None:
        if value not in (None, "", []):
            lines.append(f"  {label + ':':<13}{value}")

    field("company", deal.company)
    if deal.contact:
        c = deal.contact
        field(
            "contact",
            " · ".join(x for x in (c.name, c.email, c.phone) if x)
            if unicode_ok()
            else ", ".join(x for x in (c.name, c.email, c.phone) if x),
        )
    field("stage", stage_name)
    field("status", status)
    field("lost reason", deal.lost_reason)
    field("value", money(deal.value, currency) if deal.value is not None else None)
    if deal.probability is not None:
        field("probability", percent(deal.probability) + " (deal's own)")
    elif deal.status == "open":  # a won or lost deal's chance is settled: no stage probability
        field("probability", percent(pipeline.probability(deal.stage)) + " (stage)")
    field("owner", deal.owner)
    field("source", deal.source)
    field("tags", ", ".join(deal.tags))
    field("created", deal.created.isoformat())
    field("close date", deal.close_date.isoformat() if deal.close_date else None)
    if deal.next_step:
        due = f" (due {deal.next_step.due.isoformat()})" if deal.next_step.due else " (no due date)"
        field("next step", deal.next_step.text + due)
    if deal.snooze:
        why = f": {deal.snooze.reason}" if deal.snooze.reason else ""
        field("snoozed", f"until {deal.snooze.until.isoformat()}{why}")
    known = set(type(deal).model_fields) | {"from"}
    for key, value in (deal.model_extra or {}).items():
        if key not in known:
            # a field of the user's own, shown as the file spells it (true, not True)
            field(key, value if isinstance(value, str) else json.dumps(plain(value), ensure_ascii=False))
    lines.append("")
    lines.append("History")
    for h in deal.timeline():
        lines.append(f"  {h.at.isoformat()}  {_by(h.by)}{history_text(h, arrow)}")
    if deal.notes:
        lines.append("")
        lines.append("Notes")
        for n in deal.notes:
            text = n.text.replace("\n", "\n" + " " * 29)
            lines.append(f"  {n.at.isoformat()}  {_by(n.by)}{text}")
    return "\n".join(lines) + "\n"


def _by(who: str | None) -> str:
    """Who made an entry, before what it says: ``anna: ``."""
    return f"{who}: " if who else ""


def history_text(h: Any, arrow: str) -> str:
    """One history entry in words: ``moved lead → qualified``, ``value: 1000 → 2000``."""
    if h.event == "created":
        return f"created in {h.to}"
    if h.event == "moved":
        return f"moved {h.from_} {arrow} {h.to}"
    if h.event == "won":
        return f"won (at {h.to})" if h.to else "won"
    if h.event == "lost":
        reason = f": {h.reason}" if h.reason else ""
        return f"lost (at {h.to}){reason}" if h.to else f"lost{reason}"
    if h.event == "reopened":
        return f"reopened in {h.to}"
    if h.event == "changed":
        return f"{h.field}: {_short(h.from_)} {arrow} {_short(h.to)}"
    return h.event


def _short(value: Any) -> str:
    if value is None:
        return "(none)"
    if isinstance(value, dict):
        return "; ".join(f"{k}={v}" for k, v in value.items())
    if isinstance(value, list):
        return "[" + ", ".join(str(v) for v in value) + "]"
    return str(value)
