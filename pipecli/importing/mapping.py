"""Mapping: the command line's options and a preset, resolved against one file's header.

``resolve`` gives a ``ColumnMap``: for each deal field the columns (or the
template) it comes from, the stage and status maps, the date format. Mistakes
the whole file would share (no title column, a stage the pipeline lacks) are
usage errors here, before any row is read.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from .. import actions
from ..errors import PipeError, usage_error
from ..models import EXPORTED_COLUMNS, STATUSES, Pipeline
from . import (
    DEFAULT_LOST_REASON,  # defined with the package, which the command line reads cheaply
    presets,
)
from .fields import ENTERED, PLACEHOLDER, field_problem


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
    """``name`` when a ``--map`` may fill it; a usage error naming the problem otherwise."""
    problem = field_problem(name)
    if problem is not None:
        raise usage_error(f"--map {name}: {problem}")
    return name


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
    decimal_comma: bool = False


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
    if len(spec) == 1 and PLACEHOLDER.search(spec[0]):
        text = spec[0]
        parts = []
        pos = 0
        lead = ""
        for i, m in enumerate(PLACEHOLDER.finditer(text)):
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
    decimal_mark: str | None = None  # "," (12.000,50), "." (1.000 is 1); None: 1.000 is ambiguous

    @property
    def key_field(self) -> str | None:
        """The field that identifies a row across imports."""
        if "external_id" in self.sources:
            return "external_id"
        if "id" in self.sources:
            return "id"
        return None


def resolve(header: Sequence[str], options: Options, pipeline: Pipeline, root: Path | None = None) -> ColumnMap:
    """Combine preset and options and check them against the file's header and the pipeline.

    ``root``: the pipeline folder, whose ``presets/`` may hold presets of its own.
    """
    preset_name = options.preset if options.preset is not None else presets.DEFAULT  # --map adds to it
    preset = presets.find(preset_name, root) if preset_name is not None else None
    sources: dict[str, Source] = {}
    if preset is not None:
        for name, spec in preset.field_columns(header).items():
            src = _source(header, spec, required=False, fieldname=name)
            if src is not None:
                sources[name] = src
    by_option: set[str] = set()  # fields --map names: the preset's decimal mark is not theirs
    for name, column in options.maps:
        fieldname = check_field(name)
        by_option.add(fieldname)
        if column == "":
            sources.pop(fieldname, None)  # --map FIELD= : do not import this field
            continue
        src = _source(header, [column], required=True, fieldname=fieldname)
        assert src is not None
        sources[fieldname] = src
    # a preset's decimal mark is for its own files: the default preset's (pipe's, a point) only
    # for a file pipe export wrote, not for any spreadsheet that has a column named value
    preset_mark = preset.decimal_mark if preset is not None else None
    if options.preset is None and tuple(header[: len(EXPORTED_COLUMNS)]) != EXPORTED_COLUMNS:
        preset_mark = None
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
    # a preset's stages (ids or labels) must exist in this pipeline; a value that maps to
    # one it lacks fails its rows, saying so ("?stage")
    for value, stage in stage_map.items():
        if stage:
            stage_map[value] = _stage_id(pipeline, stage)
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
        decimal_mark="," if options.decimal_comma else (preset_mark if "value" not in by_option else None),
    )


def _stage_id(pipeline: Pipeline, stage: str) -> str:
    """The id of a stage named by id or label, or ``?stage`` when the pipeline lacks it."""
    try:
        return actions.check_stage(pipeline, stage)
    except PipeError:
        return "?" + stage


def _stage_in(pipeline: Pipeline, stage: str) -> bool:
    try:
        actions.check_stage(pipeline, stage)
    except PipeError:
        return False
    return True
