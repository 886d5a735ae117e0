"""Deals out: flat CSV, JSON, JSON Lines and an SQLite database.

* CSV has one row per deal and flat columns, named like the import fields, so
  ``pipe import --preset pipe`` reads it back (see docs/export.md). Its history
  columns are ``created``, ``created_stage``, ``entered_STAGE`` (the first time
  the deal came into each stage of the pipeline) and ``closed_at``; notes and
  field changes are not in it.
* JSON and JSON Lines carry each deal file whole (history, notes, own keys).
* SQLite has the tables ``deals``, ``stage_changes`` (every history entry that
  sets the stage or the status), ``field_changes``, ``notes``, ``deal_tags`` and
  ``stages`` (the pipeline's ladder).
"""

from __future__ import annotations

import sqlite3
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from . import currencies, history
from .fsio import output_target, replacing, write_into
from .models import EXPORTED_COLUMNS, Deal, Pipeline
from .query import deal_row
from .render import OutputFormat, json_text, plain, render_rows
from .yamlio import decimal_text

BASE_COLUMNS: tuple[str, ...] = EXPORTED_COLUMNS  # the fields marked ``exported`` in pipecli.models
STAGE_EVENTS = history.STAGE_EVENTS


def stage_entries(deal: Deal, walk: history.Replay | None = None) -> list[tuple[datetime, str]]:
    """When the deal came into a stage: its creation, and every move or reopening to another stage."""
    out: list[tuple[datetime, str]] = []
    for e in (walk if walk is not None else history.replay(deal)).entrances:
        if not out or e.stage != out[-1][1]:
            out.append((e.at, e.stage))
    return out


def closed_at(deal: Deal) -> datetime | None:
    """The time of a closed deal's last won or lost entry; None while it is open."""
    return history.replay(deal).closed_at


def csv_columns(pipeline: Pipeline, deals: Iterable[Deal] = ()) -> list[str]:
    """The CSV header: the base columns, then ``entered_STAGE`` per stage (pipeline order,
    then any stage only the deals name)."""
    stages = list(pipeline.stage_ids)
    for d in deals:
        for _, s in stage_entries(d):
            if s not in stages:
                stages.append(s)
    return [*BASE_COLUMNS, *(f"entered_{s}" for s in stages)]


def flat_row(deal: Deal, pipeline: Pipeline, walk: history.Replay | None = None) -> dict[str, Any]:
    """One deal as a flat CSV row (values as Python objects): the listing row, plus what
    an import needs to rebuild the history (``walk``: its replay, when the caller has it)."""
    walk = walk if walk is not None else history.replay(deal)
    entries = stage_entries(deal, walk)
    row = deal_row(deal, pipeline)
    row["external_id"] = (deal.model_extra or {}).get("external_id")
    row["created_stage"] = entries[0][1]
    row["closed_at"] = walk.closed_at
    for at, stage in entries:
        row.setdefault(f"entered_{stage}", at)
    return row


def to_csv(
    deals: Sequence[Deal],
    pipeline: Pipeline,
    *,
    tabs: bool = False,
    extra: Mapping[str, Mapping[str, Any]] | None = None,
) -> str:
    """The deals as CSV (TSV with ``tabs``); ``extra`` adds columns after the others, by deal id
    (``pipe export --currency``: ``converted_value``, ``converted_currency``)."""
    rows = [flat_row(d, pipeline) for d in deals]
    # the csv_columns header, read off the rows: each deal's history is replayed once
    stages = list(pipeline.stage_ids)
    for row in rows:
        for key in row:
            if key.startswith("entered_") and key[len("entered_") :] not in stages:
                stages.append(key[len("entered_") :])
    columns = [*BASE_COLUMNS, *(f"entered_{s}" for s in stages)]
    if extra is not None:
        added: list[str] = []
        for d, row in zip(deals, rows, strict=True):
            for key, value in extra.get(d.id, {}).items():
                row[key] = value
                if key not in added:
                    added.append(key)
        columns += added
    return render_rows(rows, [], OutputFormat.tsv if tabs else OutputFormat.csv, machine_keys=columns)


def converted_columns(
    deals: Sequence[Deal], pipeline: Pipeline, table: Any, target: str, today: Any, zone: Any
) -> dict[str, dict[str, Any]]:
    """Each deal's value in ``target`` (``pipe export --currency``): a closed deal at the rate of the
    day it was won or lost, an open one at today's (``rates.convert_amount``); empty for no value."""
    from .errors import MissingRate
    from .rates import convert_amount
    from .timeutil import day_in

    out: dict[str, dict[str, Any]] = {}
    for d in deals:
        converted = None
        if d.value is not None:
            walk = history.replay(d)
            day = day_in(walk.closed_at, zone) if d.status != "open" and walk.closed_at is not None else today
            try:
                converted = convert_amount(table, d.value, d.currency or pipeline.currency, target, day)[0]
            except MissingRate as err:
                raise MissingRate(err.frm, err.to, err.day, err.path, deal_id=d.id) from None
        out[d.id] = {"converted_value": converted, "converted_currency": target}
    return out


def document(deal: Deal) -> dict[str, Any]:
    """A deal as its file has it, as JSON-ready data (amounts as Decimals: ``json_text``
    writes them with their digits)."""
    return plain(deal.canonical(), exact=True)


def to_json(deals: Sequence[Deal]) -> str:
    return json_text([document(d) for d in deals], indent=2) + "\n"


def to_jsonl(deals: Sequence[Deal]) -> str:
    return "".join(json_text(document(d)) + "\n" for d in deals)


# --------------------------------------------------------------------------------------
# SQLite

SCHEMA = """
CREATE TABLE deals (
    id            TEXT PRIMARY KEY,
    external_id   TEXT,
    title         TEXT NOT NULL,
    company       TEXT,
    contact_name  TEXT,
    contact_email TEXT,
    contact_phone TEXT,
    stage         TEXT NOT NULL,
    stage_index   INTEGER,            -- position on the pipeline's ladder, 0 = first; NULL = unknown stage
    status        TEXT NOT NULL CHECK (status IN ('open', 'won', 'lost')),
    value         TEXT,               -- the amount as the deal file writes it: '12000.50'
    value_minor   INTEGER,            -- the amount in minor units of its currency (currencies.scale): exact sums
    currency      TEXT NOT NULL REFERENCES currencies(code),
    probability   REAL,               -- the deal's own, when it has one
    stage_probability REAL,           -- the stage's (pipeline.yaml)
    owner         TEXT,
    source        TEXT,
    tags          TEXT,               -- comma-separated; one row per tag in deal_tags
    created       TEXT NOT NULL,      -- ISO 8601 with offset: julianday() and datetime() read it
    close_date    TEXT,               -- ISO date
    closed_at     TEXT,               -- when won or lost (ISO 8601), NULL while open
    lost_reason   TEXT,
    next_step     TEXT,
    next_due      TEXT,
    snoozed_until TEXT,
    last_activity TEXT NOT NULL
);
CREATE TABLE stage_changes (
    deal_id    TEXT NOT NULL REFERENCES deals(id),
    seq        INTEGER NOT NULL,      -- position in the deal's history, from 0
    at         TEXT NOT NULL,
    day        TEXT NOT NULL,         -- the local date of `at`, as the file has it
    event      TEXT NOT NULL CHECK (event IN ('created', 'moved', 'won', 'lost', 'reopened')),
    from_stage TEXT,
    to_stage   TEXT,
    status     TEXT NOT NULL,         -- the deal's status after this entry
    reason     TEXT,
    by         TEXT,
    PRIMARY KEY (deal_id, seq)
);
CREATE TABLE field_changes (
    deal_id    TEXT NOT NULL REFERENCES deals(id),
    seq        INTEGER NOT NULL,
    at         TEXT NOT NULL,
    field      TEXT,
    from_value TEXT,                  -- JSON
    to_value   TEXT,                  -- JSON
    by         TEXT,
    PRIMARY KEY (deal_id, seq)
);
CREATE TABLE notes (
    deal_id TEXT NOT NULL REFERENCES deals(id),
    seq     INTEGER NOT NULL,
    at      TEXT NOT NULL,
    text    TEXT NOT NULL,
    by      TEXT,
    PRIMARY KEY (deal_id, seq)
);
CREATE TABLE stages (
    id          TEXT PRIMARY KEY,
    position    INTEGER NOT NULL,     -- 0 = the first stage of pipeline.yaml
    label       TEXT NOT NULL,
    probability REAL NOT NULL,        -- as the report uses it (set, or the stage's rung)
    stale_after TEXT NOT NULL
);
CREATE TABLE currencies (
    code  TEXT PRIMARY KEY,           -- every currency a deal of the export has
    scale INTEGER NOT NULL,           -- digits after the point in deals.value_minor: the currency's minor unit
                                      -- (ISO 4217: 2 for EUR, 0 for JPY), more when an amount has more decimals
    unit  INTEGER NOT NULL            -- 10^scale: value_minor / unit is the amount
);
CREATE TABLE deal_tags (
    deal_id TEXT NOT NULL REFERENCES deals(id),
    tag     TEXT NOT NULL,
    PRIMARY KEY (deal_id, tag)
);
CREATE INDEX deals_status ON deals(status);
CREATE INDEX deals_stage ON deals(stage);
CREATE INDEX deals_owner ON deals(owner);
CREATE INDEX deals_external_id ON deals(external_id);
CREATE INDEX stage_changes_to_stage ON stage_changes(to_stage);
CREATE INDEX stage_changes_event ON stage_changes(event);
CREATE INDEX field_changes_field ON field_changes(field);
CREATE INDEX notes_at ON notes(at);
CREATE INDEX deal_tags_tag ON deal_tags(tag);
"""


def _ts(dt: datetime | None) -> str | None:
    return dt.isoformat() if dt is not None else None


def _json(value: Any) -> str | None:
    return None if value is None else json_text(plain(value, exact=True), sort_keys=True)


def scales(deals: Iterable[Deal], pipeline: Pipeline) -> dict[str, int]:
    """Each currency of the deals and the digits after the point its amounts are counted in
    (``value_minor``): its ISO 4217 minor unit, or more when an amount has more decimals."""
    out: dict[str, int] = {}
    for d in deals:
        code = d.currency or pipeline.currency
        decimals = max(0, -int(d.value.as_tuple().exponent)) if d.value is not None else 0
        out[code] = max(out.get(code, currencies.minor_digits(code)), decimals)
    return out


def minor_units(value: Decimal | None, scale: int) -> int | None:
    """``value`` in units of 10^-``scale``, exactly (``scales`` makes every amount whole in them)."""
    return None if value is None else int(value.scaleb(scale))


def _stage_rows(deal: Deal, walk: history.Replay) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    fields = [
        (deal.id, seq, _ts(h.at), h.field, _json(h.from_), _json(h.to), h.by)
        for seq, h in enumerate(deal.timeline())
        if h.event == "changed"
    ]
    stages = [
        (
            deal.id,
            step.seq,
            _ts(step.entry.at),
            step.entry.at.date().isoformat(),
            step.entry.event,
            step.from_stage,
            step.to_stage,
            step.status,
            step.entry.reason,
            step.entry.by,
        )
        for step in walk.steps
    ]
    return stages, fields


def write_sqlite(deals: Sequence[Deal], pipeline: Pipeline, path: Path) -> None:
    """Write a new SQLite database at ``path``: replacing a file there (or a link's file)
    atomically; into a device or a FIFO (``-o /dev/stdout``) as its bytes, never replacing it."""
    target = output_target(path)
    if target is None:
        with tempfile.TemporaryDirectory() as folder:
            built = Path(folder) / "export.db"
            _build(deals, pipeline, built)
            write_into(path, built.read_bytes())
        return
    with replacing(target) as tmp:
        _build(deals, pipeline, tmp)


def _build(deals: Sequence[Deal], pipeline: Pipeline, path: Path) -> None:
    con = sqlite3.connect(path)
    try:
        _fill(con, deals, pipeline)
        con.commit()
    finally:
        con.close()


def _fill(con: sqlite3.Connection, deals: Sequence[Deal], pipeline: Pipeline) -> None:
    con.executescript(SCHEMA)
    deal_rows = []
    stage_rows: list[tuple[Any, ...]] = []
    field_rows: list[tuple[Any, ...]] = []
    note_rows = []
    tag_rows = []
    scale = scales(deals, pipeline)
    for d in deals:
        walk = history.replay(d)
        row = flat_row(d, pipeline, walk)
        index = pipeline.index(d.stage)
        deal_rows.append(
            (
                d.id,
                None if row["external_id"] is None else str(row["external_id"]),
                d.title,
                row["company"],
                row["contact_name"],
                row["contact_email"],
                row["contact_phone"],
                d.stage,
                index if index >= 0 else None,
                d.status,
                decimal_text(d.value) if d.value is not None else None,
                minor_units(d.value, scale[row["currency"]]),
                row["currency"],
                d.probability,
                pipeline.probability(d.stage) if index >= 0 else None,
                d.owner,
                d.source,
                ",".join(d.tags) or None,
                _ts(d.created),
                d.close_date.isoformat() if d.close_date else None,
                _ts(row["closed_at"]),
                d.lost_reason,
                row["next_step"],
                row["next_due"].isoformat() if row["next_due"] else None,
                d.snooze.until.isoformat() if d.snooze else None,
                _ts(d.last_activity()),
            )
        )
        s, f = _stage_rows(d, walk)
        stage_rows += s
        field_rows += f
        note_rows += [(d.id, i, _ts(n.at), n.text, n.by) for i, n in enumerate(d.notes)]
        tag_rows += [(d.id, t) for t in dict.fromkeys(d.tags)]
    con.executemany("INSERT INTO currencies VALUES (?, ?, ?)", [(c, n, 10**n) for c, n in sorted(scale.items())])
    con.executemany(f"INSERT INTO deals VALUES ({', '.join('?' * 26)})", deal_rows)
    con.executemany(f"INSERT INTO stage_changes VALUES ({', '.join('?' * 10)})", stage_rows)
    con.executemany(f"INSERT INTO field_changes VALUES ({', '.join('?' * 7)})", field_rows)
    con.executemany("INSERT INTO notes VALUES (?, ?, ?, ?, ?)", note_rows)
    con.executemany("INSERT INTO deal_tags VALUES (?, ?)", tag_rows)
    con.executemany(
        "INSERT INTO stages VALUES (?, ?, ?, ?, ?)",
        [
            (s.id, i, s.title, pipeline.probability(s.id), s.stale_after or pipeline.stale_after)
            for i, s in enumerate(pipeline.stages)
        ],
    )
