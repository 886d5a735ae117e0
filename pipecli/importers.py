"""CSV rows in, deals out: column mappings, presets, and history rebuilt from dates.

The mapping from a row to a deal is pure (``Importer.convert``); reading the
file, finding deals imported before and writing new files live at the end of
this module (``read_csv``, ``existing_keys``, ``apply``).

A mapping names, for each deal field, the column (or columns, first non-empty
wins) it comes from, or a template such as ``{account} – {product}``. Field
names are those of a deal file, plus:

* ``contact.name``, ``contact.email``, ``contact.phone``;
* ``created``: when the deal was created (default: the earliest date in the row);
* ``created_stage``: the stage it was created in;
* ``entered.VALUE``: when the deal entered the stage VALUE (mapped through the
  stage map, like a value of the ``stage`` column);
* ``closed_at``: when it was won or lost (default: ``close_date``, else the
  latest date in the row);
* ``next_step``, ``next_due``: the next step and its due date;
* ``extra.KEY``: keep the column as the deal's own key KEY.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from . import actions, ids, yamlio
from .documents import read_text
from .errors import AlreadyExists, PipeError, usage_error
from .models import STATUSES, Deal, Pipeline
from .store import Store

# Fields a column may fill (besides entered.STAGE and extra.KEY).
FIELDS: tuple[str, ...] = (
    "id",
    "external_id",
    "title",
    "company",
    "contact.name",
    "contact.email",
    "contact.phone",
    "value",
    "currency",
    "stage",
    "status",
    "probability",
    "owner",
    "source",
    "tags",
    "created",
    "created_stage",
    "close_date",
    "closed_at",
    "lost_reason",
    "next_step",
    "next_due",
)
ENTERED = "entered."
EXTRA = "extra."
DEFAULT_LOST_REASON = "not recorded"
# a comma not followed by exactly three digits is no thousands separator: "12 000,50", "1,5"
_DECIMAL_COMMA = re.compile(r",(?!\d{3}(?:\D|$))")
_PLACEHOLDER = re.compile(r"\{([^{}]+)\}")
_EXTRA_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


class RowError(Exception):
    """Why one row cannot be imported (the caller adds the line number)."""


@dataclass(frozen=True)
class Failure:
    line: int
    message: str


# --------------------------------------------------------------------------------------
# Presets


@dataclass(frozen=True)
class Preset:
    """A known file shape: for each field, the headers it may have (first one present wins
    and, when several are present, the first non-empty value in a row)."""

    name: str
    description: str
    columns: Mapping[str, tuple[str, ...]]
    date_format: str | None = None
    stage_map: Mapping[str, str] = field(default_factory=dict)
    status_map: Mapping[str, str] = field(default_factory=dict)
    zero_value_unknown: bool = False
    # `pipe export` files: every `entered_STAGE` column is the date the deal entered STAGE
    entered_columns: bool = False


def _pipe_columns() -> dict[str, tuple[str, ...]]:
    return {f: (f.replace(".", "_"),) for f in FIELDS}


PRESETS: dict[str, Preset] = {
    "pipe": Preset(
        name="pipe",
        description="a `pipe export --format csv` file: columns named like the fields",
        columns=_pipe_columns(),
        entered_columns=True,
    ),
    "crm-sales-opportunities": Preset(
        name="crm-sales-opportunities",
        description="Maven Analytics' public CRM Sales Opportunities sample (sales_pipeline.csv)",
        columns={
            "external_id": ("opportunity_id",),
            "title": ("{account} – {product}",),
            "company": ("account",),
            "owner": ("sales_agent",),
            "tags": ("product",),
            "stage": ("deal_stage",),
            "status": ("deal_stage",),
            "entered.Engaging": ("engage_date",),
            "closed_at": ("close_date",),
            "close_date": ("close_date",),
            "value": ("close_value",),
        },
        date_format="%m/%d/%Y",
        stage_map={"Prospecting": "prospecting", "Engaging": "engaging", "Won": "", "Lost": ""},
        status_map={"Prospecting": "open", "Engaging": "open", "Won": "won", "Lost": "lost"},
        zero_value_unknown=True,
    ),
    "pipedrive": Preset(
        name="pipedrive",
        description="a Pipedrive deals export (Deals list > Export, CSV)",
        columns={
            "external_id": ("Deal - ID", "ID"),
            "title": ("Deal - Title", "Title"),
            "company": ("Deal - Organization", "Organization"),
            "contact.name": ("Deal - Contact person", "Contact person"),
            "value": ("Deal - Value", "Value"),
            "currency": ("Deal - Currency", "Currency"),
            "stage": ("Deal - Stage", "Stage"),
            "status": ("Deal - Status", "Status"),
            "owner": ("Deal - Owner", "Owner"),
            "source": ("Deal - Source channel", "Source channel"),
            "tags": ("Deal - Label", "Label"),
            "created": ("Deal - Deal created", "Deal created"),
            "close_date": ("Deal - Expected close date", "Expected close date"),
            "closed_at": ("Deal - Won time", "Deal - Lost time", "Won time", "Lost time", "Deal - Deal closed on"),
            "lost_reason": ("Deal - Lost reason", "Lost reason"),
        },
        stage_map={
            "Lead In": "lead",
            "Contact Made": "qualified",
            "Needs Defined": "meeting",
            "Demo Scheduled": "meeting",
            "Proposal Made": "proposal",
            "Negotiations Started": "negotiation",
        },
        status_map={"Open": "open", "Won": "won", "Lost": "lost"},
    ),
    "hubspot": Preset(
        name="hubspot",
        description="a HubSpot deals export (Deals index > Export, CSV)",
        columns={
            "external_id": ("Record ID", "Deal ID"),
            "title": ("Deal Name",),
            "company": ("Associated Company", "Associated Company (Primary)", "Company name"),
            "value": ("Amount",),
            "currency": ("Currency",),
            "stage": ("Deal Stage",),
            "status": ("Deal Stage",),
            "owner": ("Deal owner", "Deal Owner"),
            "source": ("Original Source Type", "Original Traffic Source"),
            "tags": ("Deal Type",),
            "created": ("Create Date",),
            "close_date": ("Close Date",),
            "closed_at": ("Close Date",),
            "lost_reason": ("Closed Lost Reason",),
            "next_step": ("Next step", "Next Step"),
        },
        stage_map={
            "Appointment Scheduled": "lead",
            "appointmentscheduled": "lead",
            "Qualified To Buy": "qualified",
            "qualifiedtobuy": "qualified",
            "Presentation Scheduled": "meeting",
            "presentationscheduled": "meeting",
            "Decision Maker Bought-In": "proposal",
            "decisionmakerboughtin": "proposal",
            "Contract Sent": "negotiation",
            "contractsent": "negotiation",
            "Closed Won": "",
            "closedwon": "",
            "Closed Lost": "",
            "closedlost": "",
        },
        status_map={"Closed Won": "won", "closedwon": "won", "Closed Lost": "lost", "closedlost": "lost", "*": "open"},
    ),
}


# --------------------------------------------------------------------------------------
# Options and the resolved mapping


def parse_pairs(items: Iterable[str], option: str) -> list[tuple[str, str]]:
    """``["A=B", ...]`` -> ``[("A", "B"), ...]``; a usage error for an item without ``=``."""
    out = []
    for item in items:
        if "=" not in item:
            raise usage_error(f"{option} {item!r}: write NAME=VALUE")
        name, value = item.split("=", 1)
        if not name.strip():
            raise usage_error(f"{option} {item!r}: the part before '=' is empty")
        out.append((name.strip(), value.strip()))
    return out


def check_field(name: str) -> str:
    if name in FIELDS:
        return name
    if name.startswith(ENTERED) and len(name) > len(ENTERED):
        return name
    if name.startswith(EXTRA):
        key = name[len(EXTRA) :]
        if not _EXTRA_KEY.match(key):
            raise usage_error(f"--map {name}: extra.KEY needs a key of letters, digits and _")
        if key in Deal.model_fields or key in FIELDS:
            raise usage_error(f"--map {name}: {key} is a deal field; map it as {key}=COLUMN")
        return name
    raise usage_error(
        f"--map {name}: unknown field; map one of {', '.join(FIELDS)}, entered.STAGE or extra.KEY (see docs/import.md)"
    )


@dataclass(frozen=True)
class Options:
    """Everything the command line says about how to read a file."""

    preset: str | None = None
    maps: tuple[tuple[str, str], ...] = ()
    date_format: str | None = None
    stage_map: tuple[tuple[str, str], ...] = ()
    status_map: tuple[tuple[str, str], ...] = ()
    default_date: date | None = None
    lost_reason: str = DEFAULT_LOST_REASON


@dataclass(frozen=True)
class Source:
    """Where one field's value comes from: columns (first non-empty wins) or a template."""

    columns: tuple[int, ...] = ()
    template: tuple[str, tuple[tuple[str, int], ...], str] | None = None  # lead, ((sep, col)...), tail
    names: tuple[str, ...] = ()

    def get(self, row: Sequence[str]) -> str:
        if self.template is not None:
            lead, parts, tail = self.template
            pieces: list[str] = []
            for sep, col in parts:
                value = row[col].strip() if col < len(row) else ""
                if value:
                    pieces.append((sep if pieces else "") + value)
            return (lead + "".join(pieces) + tail).strip() if pieces else ""
        for col in self.columns:
            if col < len(row):
                value = row[col].strip()
                if value:
                    return value
        return ""

    @property
    def label(self) -> str:
        return " or ".join(self.names)


def _find(header: Sequence[str], name: str) -> int | None:
    if name in header:
        return header.index(name)
    folded = [h.strip().casefold() for h in header]
    key = name.strip().casefold()
    return folded.index(key) if key in folded else None


def _source(header: Sequence[str], spec: Sequence[str], *, required: bool, fieldname: str) -> Source | None:
    """Resolve a field's candidates against the header."""
    if len(spec) == 1 and _PLACEHOLDER.search(spec[0]):
        text = spec[0]
        parts = []
        pos = 0
        lead = ""
        for i, m in enumerate(_PLACEHOLDER.finditer(text)):
            literal = text[pos : m.start()]
            if i == 0:
                lead = literal
                literal = ""
            col = _find(header, m.group(1))
            if col is None:
                if required:
                    raise usage_error(
                        f"--map {fieldname}: no column {m.group(1)!r} in the file; it has {_cols(header)}"
                    )
                return None
            parts.append((literal, col))
            pos = m.end()
        return Source(template=(lead, tuple(parts), text[pos:]), names=(text,))
    found = [(name, _find(header, name)) for name in spec]
    present = [(n, c) for n, c in found if c is not None]
    if not present:
        if required:
            raise usage_error(f"--map {fieldname}: no column {spec[0]!r} in the file; it has {_cols(header)}")
        return None
    return Source(columns=tuple(c for _, c in present), names=tuple(n for n, _ in present))


def _cols(header: Sequence[str]) -> str:
    shown = ", ".join(header[:30]) + (" ..." if len(header) > 30 else "")
    return shown or "no columns"


@dataclass(frozen=True)
class ColumnMap:
    """A mapping resolved against one file's header."""

    sources: dict[str, Source]
    date_format: str | None
    stage_map: dict[str, str]  # casefolded value -> stage id, or "" (not a stage: use the dates)
    status_map: dict[str, str]  # casefolded value -> open|won|lost; "*" for any other value
    zero_value_unknown: bool
    default_date: date | None
    lost_reason: str

    @property
    def key_field(self) -> str | None:
        """The field that identifies a row across imports."""
        if "external_id" in self.sources:
            return "external_id"
        if "id" in self.sources:
            return "id"
        return None


def resolve(header: Sequence[str], options: Options, pipeline: Pipeline) -> ColumnMap:
    """Combine preset and options and check them against the file's header and the pipeline."""
    preset_name = options.preset
    if preset_name is None and not options.maps:
        preset_name = "pipe"
    preset = None
    if preset_name is not None:
        preset = PRESETS.get(preset_name)
        if preset is None:
            raise usage_error(f"--preset {preset_name!r}: use one of {', '.join(PRESETS)}")
    sources: dict[str, Source] = {}
    if preset is not None:
        for name, spec in preset.columns.items():
            src = _source(header, spec, required=False, fieldname=name)
            if src is not None:
                sources[name] = src
        if preset.entered_columns:
            for col, h in enumerate(header):
                if h.startswith("entered_") and len(h) > len("entered_") and h[len("entered_") :]:
                    sources[ENTERED + h[len("entered_") :]] = Source(columns=(col,), names=(h,))
    for name, column in options.maps:
        fieldname = check_field(name)
        if column == "":
            sources.pop(fieldname, None)  # --map FIELD= : do not import this field
            continue
        src = _source(header, [column], required=True, fieldname=fieldname)
        assert src is not None
        sources[fieldname] = src
    if "title" not in sources:
        raise usage_error(
            f"no column for the deal title; name it with --map title=COLUMN (the file has {_cols(header)})"
        )
    stage_map: dict[str, str] = {}
    status_map: dict[str, str] = {}
    if preset is not None:
        stage_map.update({k.casefold(): v for k, v in preset.stage_map.items()})
        status_map.update({k.casefold(): v for k, v in preset.status_map.items()})
    for value, stage in options.stage_map:
        try:
            stage_map[value.casefold()] = actions.check_stage(pipeline, stage) if stage else ""
        except PipeError as err:
            raise usage_error(f"--stage-map {value}={stage}: {err.message}") from None
    for value, status in options.status_map:
        if status not in STATUSES:
            raise usage_error(f"--status-map {value}={status}: the status is open, won or lost")
        status_map[value.casefold()] = status
    # a preset's stage names must exist in this pipeline; say so before reading any row
    for value, stage in stage_map.items():
        if stage and not _stage_in(pipeline, stage):
            stage_map[value] = "?" + stage
    # a stage date column stands for one stage: if the pipeline lacks it, every dated row
    # would fail for the same reason, so say it once, before reading any row
    for name, src in sources.items():
        if not name.startswith(ENTERED):
            continue
        value = name[len(ENTERED) :]
        mapped = stage_map.get(value.casefold())
        if mapped == "":
            continue
        if (mapped or "").startswith("?") or (mapped is None and not _stage_in(pipeline, value)):
            stage = mapped[1:] if mapped else value
            raise usage_error(
                f"{src.label} is the date of entering stage {stage!r}, which this pipeline lacks "
                f"(its stages are {', '.join(pipeline.stage_ids)}); add --stage-map {value}=STAGE"
            )
    return ColumnMap(
        sources=sources,
        date_format=options.date_format or (preset.date_format if preset else None),
        stage_map=stage_map,
        status_map=status_map,
        zero_value_unknown=preset.zero_value_unknown if preset else False,
        default_date=options.default_date,
        lost_reason=options.lost_reason,
    )


def _stage_in(pipeline: Pipeline, stage: str) -> bool:
    try:
        actions.check_stage(pipeline, stage)
    except PipeError:
        return False
    return True


# --------------------------------------------------------------------------------------
# One row -> one deal (pure)


def parse_when(text: str, fmt: str | None, column: str) -> datetime:
    """A date or date-time from a cell; without an offset it is local time."""
    raw = text.strip()
    dt: datetime | None = None
    if fmt:
        try:
            dt = datetime.strptime(raw, fmt)
        except ValueError:
            dt = None
    if dt is None:
        try:
            dt = datetime.combine(date.fromisoformat(raw), time()) if len(raw) == 10 else None
            if dt is None:
                dt = datetime.fromisoformat(raw.replace("Z", "+00:00").replace("z", "+00:00"))
        except ValueError:
            wanted = f"the format {fmt} or ISO 8601" if fmt else "ISO 8601 (2017-03-01), or give --date-format"
            raise RowError(f"{column}: {text!r} is not a date in {wanted}") from None
    if dt.tzinfo is None:
        dt = dt.astimezone()
    return dt


class Importer:
    """Turns rows into deal data with a resolved mapping and the pipeline."""

    def __init__(self, cmap: ColumnMap, pipeline: Pipeline) -> None:
        self.cmap = cmap
        self.pipeline = pipeline
        self.entered = sorted((k for k in cmap.sources if k.startswith(ENTERED)), key=self._entered_order)

    def _entered_order(self, name: str) -> int:
        stage = self.cmap.stage_map.get(name[len(ENTERED) :].casefold(), name[len(ENTERED) :])
        i = self.pipeline.index(stage.lstrip("?")) if stage else -1
        return i if i >= 0 else len(self.pipeline.stages)

    def get(self, row: Sequence[str], name: str) -> str:
        src = self.cmap.sources.get(name)
        return src.get(row) if src is not None else ""

    def label(self, name: str) -> str:
        src = self.cmap.sources.get(name)
        return src.label if src is not None else name

    def stage_of(self, value: str, name: str) -> str | None:
        """A stage id for a cell value; None when the map says the value is no stage."""
        mapped = self.cmap.stage_map.get(value.casefold())
        if mapped is not None:
            if mapped == "":
                return None
            if mapped.startswith("?"):
                raise RowError(
                    f"{self.label(name)}: {value!r} maps to stage {mapped[1:]!r}, which this pipeline lacks "
                    f"(its stages are {', '.join(self.pipeline.stage_ids)}); add --stage-map {value}=STAGE"
                )
            return mapped
        try:
            return actions.check_stage(self.pipeline, value)
        except PipeError:
            raise RowError(
                f"{self.label(name)}: unknown stage {value!r}; the stages are "
                f"{', '.join(self.pipeline.stage_ids)}; map it with --stage-map {value}=STAGE"
            ) from None

    def status_of(self, value: str) -> str:
        folded = value.casefold()
        if folded in self.cmap.status_map:
            return self.cmap.status_map[folded]
        if folded in STATUSES:
            return folded
        if "*" in self.cmap.status_map:
            return self.cmap.status_map["*"]
        raise RowError(
            f"{self.label('status')}: {value!r} is not open, won or lost; "
            f"map it with --status-map {value}=open|won|lost"
        )

    def names_stage(self, row: Sequence[str]) -> bool:
        """Whether the row says a stage: a stage value that is one, a created stage, or a stage date."""
        text = self.get(row, "stage")
        if text and self.stage_of(text, "stage") is not None:
            return True
        return bool(self.get(row, "created_stage")) or any(self.get(row, name) for name in self.entered)

    def when(self, row: Sequence[str], name: str) -> datetime | None:
        text = self.get(row, name)
        return parse_when(text, self.cmap.date_format, self.label(name)) if text else None

    def convert(self, row: Sequence[str]) -> dict[str, Any]:
        """Deal data (everything but the id) for one row, or a RowError."""
        get = self.get
        title = get(row, "title")
        if not title:
            raise RowError(f"no title: {self.label('title')} is empty")
        data: dict[str, Any] = {"title": title}
        ext = get(row, "external_id")
        if ext:
            data["external_id"] = ext
        for name in ("company", "owner", "source", "next_step"):
            value = get(row, name)
            if value:
                data[name] = value
        contact = {k: get(row, f"contact.{k}") for k in ("name", "email", "phone")}
        contact = {k: v for k, v in contact.items() if v}
        if contact:
            data["contact"] = contact
        tags = get(row, "tags")
        if tags:
            data["tags"] = [t.strip() for t in tags.split(",") if t.strip()]
        value_text = get(row, "value")
        if value_text and _DECIMAL_COMMA.search(value_text):
            raise RowError(
                f"{self.label('value')}: {value_text!r} looks like a decimal comma; "
                "write the value with a decimal point (12000.50)"
            )
        if value_text:
            try:
                value = actions.parse_money(value_text, option=self.label("value"))
            except PipeError as err:
                raise RowError(err.message) from None
            if not (self.cmap.zero_value_unknown and value == 0):
                data["value"] = value
        currency = get(row, "currency")
        try:
            data["currency"] = (
                actions.parse_currency(currency, option=self.label("currency")) if currency else self.pipeline.currency
            )
            prob = get(row, "probability")
            if prob:
                data["probability"] = actions.parse_probability(prob)
        except PipeError as err:
            raise RowError(err.message) from None
        for name in ("close_date", "next_due"):
            dt = self.when(row, name)
            if dt is not None:
                data[name] = dt.date()
        if "next_due" in data:
            if "next_step" not in data:
                raise RowError(f"{self.label('next_due')} has a date but there is no next step to go with it")
            data["next_step"] = {"text": data.pop("next_step"), "due": data.pop("next_due")}
        elif "next_step" in data:
            data["next_step"] = {"text": data["next_step"]}
        for name, src in self.cmap.sources.items():
            if name.startswith(EXTRA):
                value = src.get(row)
                if value:
                    data[name[len(EXTRA) :]] = value
        self._history(row, data)
        return data

    def _history(self, row: Sequence[str], data: dict[str, Any]) -> None:
        status_text = self.get(row, "status")
        status = self.status_of(status_text) if status_text else "open"
        stage_text = self.get(row, "stage")
        stage = self.stage_of(stage_text, "stage") if stage_text else None
        entries: list[tuple[datetime, str]] = []
        for name in self.entered:
            at = self.when(row, name)
            if at is not None:
                target = self.stage_of(name[len(ENTERED) :], name)
                if target is not None:
                    entries.append((at, target))
        entries.sort(key=lambda e: (e[0], self.pipeline.index(e[1])))
        created = self.when(row, "created")
        closed = self.when(row, "closed_at") if status != "open" else None
        if status != "open" and closed is None and "close_date" in data:
            closed = datetime.combine(data["close_date"], time()).astimezone()
        known = [t for t, _ in entries] + ([closed] if closed else [])
        if created is None:
            if known:
                created = min(known)
            elif self.cmap.default_date is not None:
                created = datetime.combine(self.cmap.default_date, time()).astimezone()
            else:
                raise RowError("no date in this row; pass --default-date DATE to date rows without one")
        if entries and entries[0][0] < created:
            raise RowError(
                f"{self._entered_label(entries[0][1])} {entries[0][0].date()} is before the creation "
                f"date {created.date()}"
            )
        created_stage_text = self.get(row, "created_stage")
        first = self.stage_of(created_stage_text, "created_stage") if created_stage_text else None
        if first is None:
            if entries and entries[0][0] == created:
                first = entries[0][1]
            elif not entries and stage is not None:
                first = stage
            else:
                first = self.pipeline.stages[0].id
        history: list[dict[str, Any]] = [{"at": created, "event": "created", "to": first}]
        current = first
        for at, target in entries:
            if target != current:
                history.append({"at": at, "event": "moved", "from": current, "to": target})
                current = target
        if stage is not None and stage != current:
            history.append({"at": history[-1]["at"], "event": "moved", "from": current, "to": stage})
            current = stage
        if status != "open":
            at = closed or history[-1]["at"]
            if at < history[-1]["at"]:
                raise RowError(
                    f"{self.label('closed_at')} {at.date()} is before the last stage date {history[-1]['at'].date()}"
                )
            entry: dict[str, Any] = {"at": at, "event": status, "to": current}
            if status == "lost":
                reason = self.get(row, "lost_reason") or self.cmap.lost_reason
                entry["reason"] = reason
                data["lost_reason"] = reason
            history.append(entry)
        data.update(stage=current, status=status, created=created, history=history, notes=[])

    def _entered_label(self, stage: str) -> str:
        for name in self.entered:
            src = self.cmap.sources[name]
            mapped = self.cmap.stage_map.get(name[len(ENTERED) :].casefold(), name[len(ENTERED) :])
            if mapped == stage or name[len(ENTERED) :] == stage:
                return src.label
        return f"entered {stage}"


def build_deal(data: Mapping[str, Any], deal_id: str) -> Deal:
    """Validate imported data as a deal; a RowError naming the field otherwise."""
    try:
        return Deal.model_validate({"id": deal_id, **data})
    except ValidationError as exc:
        err = exc.errors()[0]
        name = ".".join(str(p) for p in err["loc"])
        raise RowError(f"{name}: {err['msg'].removeprefix('Value error, ')}") from None


def make_id(data: Mapping[str, Any], taken: set[str]) -> str:
    """A readable id: the title's slug and the source's id when there is one, else a random suffix."""
    ext = str(data.get("external_id") or "")
    base = ids.slugify(str(data["title"])) or "deal"
    tail = ids.slugify(ext)
    if tail:
        candidate = f"{base}-{tail}"[:80].rstrip("-")
        if candidate not in taken:
            return candidate
    return ids.new_id(str(data["title"]), taken)


# --------------------------------------------------------------------------------------
# Updating a deal imported before (pure)

_PLAIN_FIELDS = ("title", "company", "value", "currency", "owner", "source", "tags", "close_date", "probability")


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        return ",".join(value)
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    return str(value)


def update_deal(
    old: Deal,
    fresh: Deal,
    mapped: set[str],
    pipeline: Pipeline,
    at: datetime,
    *,
    close_dated: bool = True,
    stage_named: bool = True,
) -> Deal:
    """``old`` changed to agree with the row's ``fresh`` deal, through the usual actions.

    Only mapped fields change; stage and status changes are recorded at the row's
    dates when they are not before the deal's last entry, else at ``at``. Creation
    and past history are never rewritten. ``close_dated``: the row gives the date of
    its close (``closed_at`` or ``close_date``); without one a win or loss is dated at ``at``.
    ``stage_named``: the row names a stage or gives stage dates; without, the stage is kept
    (a HubSpot "Closed Won" is won where the deal was).
    """
    deal = old

    def when(t: datetime | None) -> datetime:
        last = deal.last_activity()
        candidate = t if t is not None else at
        return candidate if candidate >= last else max(at, last)

    status_mapped = "status" in mapped or any(m.startswith(ENTERED) for m in mapped) or "stage" in mapped
    if status_mapped:
        close_entry = fresh.history[-1] if fresh.status != "open" and close_dated else None
        entered_at = _entered_at(fresh)
        if deal.status != "open" and fresh.status != deal.status:
            deal = actions.reopen(deal, pipeline, when(None), fresh.stage if stage_named else None)
        if deal.status == "open" and stage_named and fresh.stage != deal.stage:
            deal = actions.move(deal, pipeline, fresh.stage, when(entered_at))
        if deal.status == "open" and fresh.status == "won":
            deal = actions.won(deal, when(close_entry.at if close_entry else None))
        elif deal.status == "open" and fresh.status == "lost":
            deal = actions.lost(deal, when(close_entry.at if close_entry else None), fresh.lost_reason or "")
    pairs: list[tuple[str, str]] = []
    for name in _PLAIN_FIELDS:
        if name in mapped and getattr(fresh, name) != getattr(deal, name):
            pairs.append((name, _text(getattr(fresh, name))))
    for key in ("name", "email", "phone"):
        if f"contact.{key}" in mapped:
            new = getattr(fresh.contact, key) if fresh.contact else None
            cur = getattr(deal.contact, key) if deal.contact else None
            if new != cur:
                pairs.append((f"contact.{key}", new or ""))
    for name in mapped:
        if name.startswith(EXTRA):
            key = name[len(EXTRA) :]
            new = (fresh.model_extra or {}).get(key)
            if new != (deal.model_extra or {}).get(key):
                pairs.append((key, _text(new)))
    if pairs:
        deal = actions.set_fields(deal, when(None), pairs)
    if "next_step" in mapped and fresh.next_step != deal.next_step:
        deal = actions.set_next_step(
            deal,
            when(None),
            fresh.next_step.text if fresh.next_step else None,
            fresh.next_step.due if fresh.next_step else None,
        )
    return deal


def _entered_at(deal: Deal) -> datetime | None:
    """When the row says the deal came into its stage: a move of the rebuilt history.

    A row that puts the deal in its stage from creation gives no date for entering it
    (the existing deal was created elsewhere), so the update's own time is used.
    """
    for h in reversed(deal.history):
        if h.event == "moved" and h.to == deal.stage:
            return h.at
    return None


# --------------------------------------------------------------------------------------
# Planning an import over a file's rows


@dataclass
class Plan:
    creates: list[Deal] = field(default_factory=list)
    updates: list[tuple[Deal, Deal]] = field(default_factory=list)
    unchanged: int = 0
    skipped: int = 0
    failures: list[Failure] = field(default_factory=list)

    def summary(self, dry_run: bool = False) -> str:
        verb = "would be " if dry_run else ""
        parts = [
            f"{len(self.creates)} {verb}created",
            f"{len(self.updates)} {verb}updated",
            f"{self.skipped + self.unchanged} skipped",
            f"{len(self.failures)} failed",
        ]
        detail = []
        if self.skipped:
            detail.append(f"{self.skipped} imported before; --update updates them")
        if self.unchanged:
            detail.append(f"{self.unchanged} unchanged")
        return ", ".join(parts) + (f" ({'; '.join(detail)})" if detail else "")


def plan(
    rows: Iterable[tuple[int, list[str]]],
    cmap: ColumnMap,
    pipeline: Pipeline,
    *,
    existing_ids: set[str],
    existing_keys: Mapping[str, str],
    load: Callable[[str], Deal],
    update: bool,
    at: datetime,
    progress: Callable[[int], None] | None = None,
) -> Plan:
    """Decide, row by row, what to create, update or skip. ``load`` reads an existing deal."""
    importer = Importer(cmap, pipeline)
    result = Plan()
    taken = set(existing_ids)
    seen: dict[str, int] = {}
    key_field = cmap.key_field
    mapped = set(cmap.sources)
    for n, (line, row) in enumerate(rows, 1):
        if progress is not None and n % 200 == 0:
            progress(n)
        try:
            data = importer.convert(row)
            given_id = importer.get(row, "id")
            if given_id:
                try:
                    given_id = ids.check_id(given_id)
                except PipeError:
                    raise RowError(f"{importer.label('id')}: {given_id!r} cannot be a deal id (a file name)") from None
            key = str(data.get("external_id") or "") if key_field == "external_id" else ""
            if not key and given_id:
                key = "id:" + given_id
            if key:
                if key in seen:
                    raise RowError(f"{_key_label(importer, key)} appears again; first on line {seen[key]}")
                seen[key] = line
            match = existing_keys.get(key) if key and not key.startswith("id:") else None
            if match is None and given_id and given_id in existing_ids:
                if key_field == "external_id" and data.get("external_id"):
                    raise RowError(f"id {given_id!r} is taken by another deal")
                match = given_id
            if match is not None:
                if not update:
                    result.skipped += 1
                    continue
                try:
                    old = load(match)
                except PipeError as err:
                    raise RowError(f"cannot update {match}: {err}") from None
                fresh = build_deal(data, match)
                try:
                    dated = importer.when(row, "closed_at") is not None or "close_date" in data
                    new = update_deal(
                        old, fresh, mapped, pipeline, at, close_dated=dated, stage_named=importer.names_stage(row)
                    )
                except PipeError as err:
                    raise RowError(f"cannot update {match}: {err.message}") from None
                if new == old:
                    result.unchanged += 1
                else:
                    result.updates.append((old, new))
                continue
            deal_id = given_id or make_id(data, taken)
            if deal_id in taken:
                raise RowError(f"id {deal_id!r} appears twice in this file")
            deal = build_deal(data, deal_id)
            taken.add(deal_id)
            result.creates.append(deal)
        except RowError as err:
            result.failures.append(Failure(line, str(err)))
    return result


def _key_label(importer: Importer, key: str) -> str:
    if key.startswith("id:"):
        return f"{importer.label('id')} {key[3:]!r}"
    return f"{importer.label('external_id')} {key!r}"


# --------------------------------------------------------------------------------------
# Files


def read_csv(path: Path) -> tuple[list[str], list[tuple[int, list[str]]]]:
    """The header and the rows of a CSV file, each row with the line it starts on.

    UTF-8 (a byte-order mark is fine); the delimiter is sniffed among , ; and tab.
    """
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise PipeError(f"{path}: no such file") from None
    except OSError as exc:
        raise PipeError(f"{path}: cannot read: {exc.strerror}") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise PipeError(
            "not UTF-8 text; save the file as CSV UTF-8 (e.g. iconv -f cp1252 -t utf-8)", path=path, line=line
        ) from None
    first = text.split("\n", 1)[0]
    delimiter = max((",", ";", "\t"), key=first.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        header = next(reader)
    except StopIteration:
        raise PipeError("the file is empty; expected a header line and rows", path=path) from None
    except csv.Error as exc:
        raise PipeError(f"CSV: {exc}", path=path, line=1) from None
    header = [h.strip() for h in header]
    rows: list[tuple[int, list[str]]] = []
    start = reader.line_num + 1
    try:
        for row in reader:
            if any(cell.strip() for cell in row):
                # a cell spanning lines in a file saved on Windows: plain LF, as notes have
                rows.append((start, [c.replace("\r\n", "\n") if "\r" in c else c for c in row]))
            start = reader.line_num + 1
    except csv.Error as exc:
        raise PipeError(f"CSV: {exc}", path=path, line=start) from None
    return header, rows


_EXTERNAL_ID_LINE = re.compile(r"^external_id:[ \t]*(.*)$", re.MULTILINE)


def existing_keys(store: Store, deal_ids: Iterable[str]) -> dict[str, str]:
    """external_id -> deal id for every deal file that has one (a top-level ``external_id:`` line)."""
    out: dict[str, str] = {}
    for deal_id in deal_ids:
        try:
            text = read_text(store.deal_path(deal_id))
        except PipeError:
            continue
        m = _EXTERNAL_ID_LINE.search(text)
        if m is None:
            continue
        try:
            value = yamlio.load_fast("v: " + m.group(1))["v"]
        except Exception:  # a broken file: `pipe check` reports it
            continue
        if value is not None and str(value) != "":
            out.setdefault(str(value), deal_id)
    return out


def deal_document(deal: Deal) -> dict[str, Any]:
    """The canonical data of a new deal file, with ``external_id`` right after the id."""
    data = deal.canonical()
    if "external_id" in data:
        ext = data.pop("external_id")
        data = {"id": data.pop("id"), "external_id": ext, **data}
    return data


def apply(store: Store, result: Plan, *, progress: Callable[[int], None] | None = None) -> None:
    """Write the plan, new files and updates, through the store's write path (in the
    caller's transaction when there is one).

    New files go through the batch write (``Transaction.create_many``): each is whole
    and on disk before its name appears, and none is written if one of them exists
    already.
    """
    with store.transaction() as tx:
        try:
            tx.create_many(result.creates, progress=progress)
        except AlreadyExists as err:
            raise PipeError(f"deal {err.deal_id!r} appeared while importing; nothing was written") from None
        for old, new in result.updates:
            tx.save(old, new)


__all__ = [
    "FIELDS",
    "PRESETS",
    "ColumnMap",
    "Failure",
    "Importer",
    "Options",
    "Plan",
    "Preset",
    "RowError",
    "apply",
    "build_deal",
    "check_field",
    "deal_document",
    "existing_keys",
    "make_id",
    "parse_pairs",
    "parse_when",
    "plan",
    "read_csv",
    "resolve",
    "update_deal",
]
