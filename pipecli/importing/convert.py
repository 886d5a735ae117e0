"""Converting one row into deal data: fields, and a history rebuilt from the row's dates.

Pure: ``Importer.convert`` turns a row into the data of a deal file (everything
but the id), or raises ``RowError`` saying why the row cannot be imported;
``build_deal`` validates that data as a deal, ``make_id`` names a new one.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import date, datetime, time, tzinfo
from typing import Any

from pydantic import ValidationError

from .. import actions, ids
from ..documents import first_error
from ..errors import LocalTimeError, PipeError
from ..models import STATUSES, Deal, Pipeline
from ..timeutil import local_time, start_of_day
from .fields import CONTACT_KEYS, DAY_FIELDS, ENTERED, EXTRA, TEXT_FIELDS
from .mapping import ColumnMap

# a comma not followed by exactly three digits is no thousands separator: "12 000,50", "1,5"
_DECIMAL_COMMA = re.compile(r",(?!\d{3}(?:\D|$))")
# points between groups of three digits only: 1.000 is 1000 in Milan and Warsaw, 1 elsewhere
_POINT_GROUPS = re.compile(r"^[+-]?[1-9]\d{0,2}(?:\.\d{3})+$")
# with a decimal comma: 12000,50, 12.000,50 (spaces, no-break spaces and _ are gone by then)
_COMMA_DECIMALS = re.compile(r"^[+-]?(?:\d+|\d{1,3}(?:\.\d{3})+)(?:,\d+)?$")
_GROUPING = " _\u00a0\u202f"


def amount_text(text: str, column: str, decimal_mark: str | None = None) -> str:
    """A cell's amount as ``actions.parse_money`` reads it, or a ``RowError``.

    With the decimal mark ``,`` (``--decimal-comma``: Italy, Poland, most of Europe) points,
    spaces and no-break spaces group thousands: ``12.000,50``, ``12 000,50``. Otherwise a
    decimal comma fails the row, and, unless the mark is known to be ``.`` (``pipe export``'s
    files), so does ``1.000``, which is 1000 where the comma is the decimal mark and 1
    elsewhere: never read as either silently.
    """
    raw = "".join(ch for ch in text.strip() if ch not in _GROUPING)
    if decimal_mark == ",":
        if not _COMMA_DECIMALS.match(raw):
            raise RowError(
                f"{column}: {text!r} is not an amount with a decimal comma; write e.g. 12000,50, 12.000,50 or 12 000,50"
            )
        return raw.replace(".", "").replace(",", ".")
    if _DECIMAL_COMMA.search(text):
        raise RowError(
            f"{column}: {text!r} looks like a decimal comma; give --decimal-comma if the file's decimals are "
            "commas, or write the value with a decimal point (12000.50)"
        )
    if decimal_mark is None and _POINT_GROUPS.match(raw):
        whole = raw.replace(".", "")
        raise RowError(
            f"{column}: {text!r} is {whole} with a point grouping thousands (Italy, Poland) and "
            f"{raw.lstrip('+')} elsewhere; give --decimal-comma if the file's decimals are commas, "
            f"or write {whole} or {raw.split('.', 1)[0]}.{raw.split('.', 1)[1][:2]}"
        )
    return raw


class RowError(Exception):
    """Why one row cannot be imported (the caller adds the line number)."""


def parse_when(text: str, fmt: str | None, column: str, zone: tzinfo | None = None) -> datetime:
    """A date or date-time from a cell; without an offset it is local time in ``zone`` (the
    pipeline's; None: the local time zone), by the rule of ``--at`` (``timeutil.local_time``):
    a date alone is the start of that day, a time the clocks skip or show twice fails the row."""
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
    if dt.tzinfo is not None:
        return dt
    if dt.time() == time() and (len(raw) == 10 or (fmt is not None and not any(c in fmt for c in "HIMSp"))):
        return start_of_day(dt.date(), zone)
    try:
        return local_time(dt, zone)
    except LocalTimeError as err:
        raise RowError(f"{column}: {text!r}: {err.message}") from None


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
        return parse_when(text, self.cmap.date_format, self.label(name), self.pipeline.zone) if text else None

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
        for name in TEXT_FIELDS:
            value = get(row, name)
            if value:
                data[name] = value
        contact = {k: get(row, f"contact.{k}") for k in CONTACT_KEYS}
        contact = {k: v for k, v in contact.items() if v}
        if contact:
            data["contact"] = contact
        tags = get(row, "tags")
        if tags:
            data["tags"] = [t.strip() for t in tags.split(",") if t.strip()]
        value_text = get(row, "value")
        if value_text:
            amount = amount_text(value_text, self.label("value"), self.cmap.decimal_mark)
            try:
                money = actions.parse_money(amount, option=self.label("value"))
            except PipeError as err:
                raise RowError(err.message) from None
            if not (self.cmap.zero_value_unknown and money == 0):
                data["value"] = money
        currency = get(row, "currency")
        try:
            data["currency"] = (
                actions.parse_currency(currency, option=self.label("currency")) if currency else self.pipeline.currency
            )
            prob = get(row, "probability")
            if prob and self.cmap.decimal_mark == ",":
                prob = prob.replace(",", ".")
            if prob:
                data["probability"] = actions.parse_probability(prob)
        except PipeError as err:
            raise RowError(err.message) from None
        for name in DAY_FIELDS:
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
            closed = start_of_day(data["close_date"], self.pipeline.zone)
        known = [t for t, _ in entries] + ([closed] if closed else [])
        if created is None:
            if known:
                created = min(known)
            elif self.cmap.default_date is not None:
                created = start_of_day(self.cmap.default_date, self.pipeline.zone)
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
        raise RowError(first_error(exc)) from None


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
