"""Planning an import: for each row, whether it creates a deal, updates one, is skipped or fails.

``plan`` decides without writing anything (``--dry-run`` stops there); it matches
rows to deals imported before by ``external_id`` (``existing_keys`` finds them
in the deal files) or by deal id.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime

from .. import ids, yamlio
from ..errors import PipeError
from ..models import Deal, Pipeline
from ..store import Store
from .convert import Importer, RowError, build_deal, make_id
from .mapping import ColumnMap
from .update import update_deal


@dataclass(frozen=True)
class Failure:
    line: int
    message: str


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
    columns: int | None = None,
) -> Plan:
    """Decide, row by row, what to create, update or skip. ``load`` reads an existing deal.

    ``columns``: the header's width; a row with a cell beyond it that is not empty fails (a
    delimiter in a value that was not quoted would shift every cell after it).
    """
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
            if columns is not None and len(row) > columns and any(cell.strip() for cell in row[columns:]):
                cells = max(i for i, cell in enumerate(row) if cell.strip()) + 1
                raise RowError(
                    f"{cells} cells but the header has {columns} columns; quote a cell that holds the "
                    "delimiter, or name the extra column in the header"
                )
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


_EXTERNAL_ID_LINE = re.compile(r"^external_id:[ \t]*(.*)$", re.MULTILINE)


def existing_keys(store: Store, deal_ids: Iterable[str]) -> dict[str, str]:
    """external_id -> deal id for every deal file that has one (a top-level ``external_id:`` line)."""
    out: dict[str, str] = {}
    for deal_id in deal_ids:
        try:
            text = store.read_text(store.deal_path(deal_id))
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
