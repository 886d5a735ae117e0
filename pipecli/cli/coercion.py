"""Command-line values taken as they are where typer's coercion would give the same value.

typer coerces every parameter of the command it runs through a Pydantic ``TypeAdapter``
built at that moment: importing its adapters and building one per parameter costs more
than ``import typer`` itself. Most of pipe's parameters are text (``str``, ``list[str]``)
given as text, where that coercion gives back the value it was given. :func:`install`
puts a :class:`QuickCoercion` on each parameter of a command: it returns such a value as
it is (and None, or nothing, as typer's own contract does), checks a path given as text
with typer's own path check (what typer's adapter calls), and for anything else (a
number, a choice, text Python cannot encode as UTF-8, a path typer refuses) builds
typer's own coercion and lets it decide, so values, errors and their wording stay typer's.

tests/test_coercion.py holds both to the same results.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from typer._coercion import RuntimeParam, build_runtime_param
from typer._param_types import coerce_cli_path, routes_to_path

_NO = object()  # not a value the quick rules take


def _text(value: object) -> bool:
    """True for a plain str that typer's ``str`` coercion gives back unchanged."""
    if type(value) is not str:
        return False
    if value.isascii():
        return True
    try:
        value.encode("utf-8")  # lone surrogates (bytes that were not UTF-8) go to typer
    except UnicodeEncodeError:
        return False
    return True


def quick_value(annotation: Any, parameter_info: Any, value: object) -> object:
    """The value typer's coercion would give for ``value``, or ``_NO`` when it must decide."""
    if parameter_info.parser is not None:
        return _NO
    if annotation is str:
        return value if _text(value) else _NO
    if annotation == list[str] and isinstance(value, (list, tuple)) and all(_text(v) for v in value):
        return list(value)
    return _NO


def quick_path(annotation: Any, parameter_info: Any, value: object) -> bool:
    """True for text given to a ``Path`` parameter typer checks with ``coerce_cli_path`` alone."""
    return (
        annotation is Path
        and parameter_info.parser is None
        and parameter_info.path_type in (None, Path)
        and routes_to_path(annotation, parameter_info)
        and _text(value)
    )


@dataclass(frozen=True)
class QuickCoercion(RuntimeParam):
    """A parameter's coercion: :func:`quick_value` first, typer's own for the rest."""

    def _coerce_value(self, value: Any, param: Any, ctx: Any) -> Any:
        quick = quick_value(self.annotation, self.parameter_info, value)
        if quick is not _NO:
            return quick
        if quick_path(self.annotation, self.parameter_info, value):
            # typer's adapter makes the Path (as Path(value) does) and hands it to this same check
            with contextlib.suppress(Exception):  # an error: typer's own coercion says it
                return coerce_cli_path(Path(value), self.parameter_info, path_type=Path, param=param, ctx=ctx)
        typer_own = build_runtime_param(param.type_descriptor)
        param._runtime_param = typer_own  # built once: the parameter's next values go to it directly
        return typer_own._coerce_value(value, param=param, ctx=ctx)


def install(params: list[Any]) -> None:
    """Give every typer parameter in ``params`` a :class:`QuickCoercion` (once)."""
    for param in params:
        descriptor = getattr(param, "type_descriptor", None)
        if descriptor is None or descriptor.file_annotation is not None:
            continue  # not a typer parameter, or a file typer opens
        if getattr(param, "_runtime_param", _NO) is not None:
            continue  # its coercion is in place already
        param._runtime_param = QuickCoercion(parameter_info=descriptor.parameter_info, annotation=descriptor.annotation)
