"""Presets: known file shapes, so a file from another tool imports without a ``--map`` each.

A preset is a YAML file (its schema is ``Preset``): for each deal field the
headers it may have, the meaning of the stage and status columns' values, the
date format. The built-in ones are files in ``preset_files/`` of this package;
a pipeline adds its own, or replaces a built-in one, as ``presets/NAME.yaml``
in its folder. ``--preset NAME`` reads the one named, and only that one.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Sequence
from importlib import resources
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, ValidationError

from ..documents import MAX_FILE_BYTES, parse_document, read_text, validation_message
from ..errors import EXIT_USAGE, PipeError, usage_error
from .fields import ENTERED, FIELDS, PLACEHOLDER, field_problem

PRESETS_DIR = "presets"  # in the pipeline folder
DEFAULT = "pipe"
_SUFFIX = ".yaml"
_BUILT_IN = resources.files("pipecli.importing") / "preset_files"


def _field_name(name: str) -> str:
    problem = field_problem(name)
    if problem is not None:
        raise ValueError(problem)
    return name


def _text(value: Any) -> Any:
    if not isinstance(value, str):
        raise ValueError(f"{value!r} is not text; put it in quotes")
    return value


def _headers(value: Any) -> Any:
    if isinstance(value, list):
        return tuple(_text(v) for v in value)
    return (_text(value),)


def _check_headers(headers: tuple[str, ...]) -> tuple[str, ...]:
    if not headers:
        raise ValueError("name at least one column")
    if any(not h.strip() for h in headers):
        raise ValueError("a column name is empty")
    if len(headers) > 1 and any(PLACEHOLDER.search(h) for h in headers):
        raise ValueError("a template ({column} ...) stands alone: give it as the only column")
    return headers


def _not_empty(text: str) -> str:
    if not text.strip():
        raise ValueError("the value is empty")
    return text


def _stage(value: Any) -> Any:
    return "" if value is None else _text(value)


def _strptime_format(text: str) -> str:
    if "%" not in text:
        raise ValueError(f"{text!r} is not a strptime format; write e.g. '%m/%d/%Y' or '%d.%m.%Y'")
    return text


FieldName = Annotated[str, AfterValidator(_field_name)]
Headers = Annotated[tuple[str, ...], BeforeValidator(_headers), AfterValidator(_check_headers)]
Value = Annotated[str, BeforeValidator(_text), AfterValidator(_not_empty)]
StageTarget = Annotated[str, BeforeValidator(_stage)]


class Preset(BaseModel):
    """A preset file: how to read one kind of CSV file (docs/import.md, "Your own presets").

    ``columns``: deal field -> a header, a list of headers (the first the file has;
    when it has several, the first not empty in each row) or a template such as
    ``"{First} {Last}"``. ``stage_map``: value of the stage column (or of an
    ``entered.VALUE`` field) -> stage id or label, ``""`` for "not a stage".
    ``status_map``: value of the status column -> open, won or lost; ``"*"`` for
    every other value. ``by_field_name``: every field also from the column of its
    own name (``contact_name`` for ``contact.name``) and ``entered.STAGE`` from
    each ``entered_STAGE`` column, as ``pipe export`` writes them. ``decimal_mark``: how
    the preset's value column writes decimals, ``.`` (``1.000`` is 1) or ``,`` (``1.000``
    is 1000); unset, a cell like ``1.000`` fails its row as ambiguous.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    columns: dict[FieldName, Headers] = {}
    stage_map: dict[Value, StageTarget] = {}
    status_map: dict[Value, Literal["open", "won", "lost"]] = {}
    date_format: Annotated[str, AfterValidator(_strptime_format)] | None = None
    zero_value_unknown: bool = False  # a 0 in the value column means "not known": no value
    by_field_name: bool = False
    decimal_mark: Literal[".", ","] | None = None

    def field_columns(self, header: Sequence[str]) -> dict[str, tuple[str, ...]]:
        """For each field, the headers it may come from in a file with ``header``."""
        out: dict[str, tuple[str, ...]] = {}
        if self.by_field_name:
            out = {f: (f.replace(".", "_"),) for f in FIELDS}
            prefix = ENTERED.replace(".", "_")
            for h in header:
                if h.startswith(prefix) and len(h) > len(prefix):
                    out[ENTERED + h[len(prefix) :]] = (h,)
        out.update(self.columns)
        return out


def built_in_names() -> tuple[str, ...]:
    """The names of the presets that come with pipe."""
    from . import built_in_preset_names

    return built_in_preset_names()


def user_files(root: Path | None) -> dict[str, Path]:
    """NAME -> path of each ``presets/NAME.yaml`` of the pipeline folder ``root``."""
    if root is None:
        return {}
    try:
        entries = os.scandir(root / PRESETS_DIR)
    except (FileNotFoundError, NotADirectoryError):
        return {}
    except OSError as exc:
        raise PipeError(
            f"cannot read the folder: {exc.strerror}", path=root / PRESETS_DIR, exit_code=EXIT_USAGE
        ) from None
    out: dict[str, Path] = {}
    with entries:
        for e in entries:
            if e.name.endswith(_SUFFIX) and not e.name.startswith(".") and len(e.name) > len(_SUFFIX):
                out[e.name.removesuffix(_SUFFIX)] = Path(e.path)
    return out


def names(root: Path | None = None) -> list[str]:
    """Every preset ``--preset`` knows in the pipeline folder ``root``."""
    return sorted({*built_in_names(), *user_files(root)})


def find(name: str, root: Path | None = None) -> Preset:
    """The preset ``name``: the pipeline's own file when it has one, else the built-in one.

    A usage error (exit code 2) for an unknown name, and for a preset file that is not
    valid, naming the file and the line.
    """
    path = user_files(root).get(name)
    if path is not None:
        return load(path, _read_user_file(path, root))
    if name in built_in_names():
        data = _BUILT_IN / f"{name}{_SUFFIX}"
        return load(str(data), data.read_text(encoding="utf-8"))
    where = f" or a file {PRESETS_DIR}/{name}{_SUFFIX} in the pipeline folder" if root is not None else ""
    raise usage_error(f"--preset {name!r}: use one of {', '.join(names(root))}{where}")


def load(path: Path | str, text: str) -> Preset:
    """Parse and validate the text of a preset file; a usage error naming file and line."""
    try:
        data = parse_document(path, text)
        return Preset.model_validate(data)
    except PipeError as err:
        raise _bad_file(path, err.message, err.line) from None
    except ValidationError as exc:
        message, line = _first_problem(exc, text)
        raise _bad_file(path, message, line) from None


def _read_user_file(path: Path, root: Path | None) -> str:
    try:
        st = path.stat()
    except OSError as exc:
        raise _bad_file(path, f"cannot read file: {exc.strerror}", None) from None
    if not stat.S_ISREG(st.st_mode):
        raise _bad_file(path, "not a file; a preset is a YAML file", None)
    if st.st_size > MAX_FILE_BYTES:
        raise _bad_file(path, "file is larger than 1 MiB; not a preset file?", None)
    try:
        return read_text(path, root)  # a symlink only when it stays inside the pipeline folder
    except PipeError as err:
        raise _bad_file(path, err.message, err.line) from None


def _first_problem(exc: ValidationError, text: str) -> tuple[str, int | None]:
    message, line = validation_message(exc, text)
    err = exc.errors()[0]
    if err["type"] == "extra_forbidden":
        keys = ", ".join(Preset.model_fields)
        message = f"{err['loc'][0]}: not a key of a preset file; it has {keys} (see docs/import.md)"
    return message.replace(".[key]", ""), line


def _bad_file(path: Path | str, message: str, line: int | None) -> PipeError:
    return PipeError(message, path=path, line=line, exit_code=EXIT_USAGE)
