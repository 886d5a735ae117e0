"""The quick coercion of command-line values gives what typer's own coercion gives."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import typer.main
from hypothesis import given
from hypothesis import strategies as st
from typer._click.exceptions import BadParameter
from typer._coercion import build_runtime_param

from pipecli.cli import app
from pipecli.cli.coercion import _NO, QuickCoercion, quick_value


def every_param() -> list[tuple[str, Any]]:
    group = typer.main.get_command(app)
    found = [("pipe", p) for p in group.params]
    for name, command in group.commands.items():
        found.extend((name, p) for p in command.params)
    return found


PARAMS = every_param()
TEXT_PARAMS = [(n, p) for n, p in PARAMS if p.type_descriptor.annotation is str]
LIST_PARAMS = [(n, p) for n, p in PARAMS if p.type_descriptor.annotation == list[str]]
OTHER_PARAMS = [(n, p) for n, p in PARAMS if (n, p) not in TEXT_PARAMS and (n, p) not in LIST_PARAMS]


def typer_value(param: Any, value: Any) -> Any:
    return build_runtime_param(param.type_descriptor)._coerce_value(value, param=param, ctx=None)


def test_the_parameters_cover_text_lists_and_others() -> None:
    names = {f"{n} {p.name}" for n, p in TEXT_PARAMS}
    assert {"note text", "add title", "lost reason", "pipe color", "show fmt"} <= names
    assert {"add tag", "set assignments"} <= {f"{n} {p.name}" for n, p in LIST_PARAMS}
    assert {"pipe directory", "report by", "agenda days"} <= {f"{n} {p.name}" for n, p in OTHER_PARAMS}


SAMPLES = ["", " ", "-", "acme", "  spaced  ", "Zażółć gęślą jaźń", "กรุงเทพ", "1e3", "None", "a\tb\nc", "ß" * 300]


@pytest.mark.parametrize("value", SAMPLES)
def test_text_is_given_back_as_typer_gives_it(value: str) -> None:
    for _, param in TEXT_PARAMS:
        assert quick_value(str, param.type_descriptor.parameter_info, value) == typer_value(param, value) == value
    for _, param in LIST_PARAMS:
        quick = quick_value(list[str], param.type_descriptor.parameter_info, (value, "x"))
        assert quick == typer_value(param, (value, "x")) == [value, "x"]
        assert type(quick) is list


@given(st.text())
def test_any_text_is_given_back_as_typer_gives_it(value: str) -> None:
    _, param = TEXT_PARAMS[0]
    assert quick_value(str, param.type_descriptor.parameter_info, value) == typer_value(param, value)


def test_bytes_that_were_not_utf8_are_left_to_typer() -> None:
    mangled = b"caf\xe9".decode("utf-8", "surrogateescape")
    _, param = TEXT_PARAMS[0]
    assert quick_value(str, param.type_descriptor.parameter_info, mangled) is _NO
    assert quick_value(list[str], param.type_descriptor.parameter_info, ["ok", mangled]) is _NO


def coerced(coercion: Any, param: Any, value: str) -> Any:
    try:
        return coercion._coerce_value(value, param=param, ctx=None)
    except BadParameter as err:
        return ("error", err.format_message())
    finally:
        param._runtime_param = None


def test_paths_are_checked_as_typer_checks_them(tmp_path: Path) -> None:
    (tmp_path / "a file").write_text("x", encoding="utf-8")
    (tmp_path / "zażółć").mkdir()
    paths = [(n, p) for n, p in OTHER_PARAMS if p.type_descriptor.annotation is Path]
    assert {"pipe directory", "init directory", "list output"} <= {f"{n} {p.name}" for n, p in paths}
    for value in ["", ".", str(tmp_path), str(tmp_path / "a file"), str(tmp_path / "zażółć"), str(tmp_path / "none")]:
        for name, param in paths:
            descriptor = param.type_descriptor
            coercion = QuickCoercion(parameter_info=descriptor.parameter_info, annotation=descriptor.annotation)
            got = coerced(coercion, param, value)
            try:
                expected: Any = typer_value(param, value)
            except BadParameter as err:
                expected = ("error", err.format_message())
            assert got == expected, (name, param.name, value)
            assert type(got) is type(expected)


@pytest.mark.parametrize("value", ["3", "-2", "x", "today", "owner", "month"])
def test_numbers_and_choices_are_left_to_typer(value: str) -> None:
    for name, param in OTHER_PARAMS:
        descriptor = param.type_descriptor
        if descriptor.annotation in (bool, Path):
            continue
        coercion = QuickCoercion(parameter_info=descriptor.parameter_info, annotation=descriptor.annotation)
        assert quick_value(param.type_descriptor.annotation, param.type_descriptor.parameter_info, value) is _NO
        try:
            expected: Any = typer_value(param, value)
        except BadParameter as err:
            expected = ("error", err.format_message())
        assert coerced(coercion, param, value) == expected, (name, param.name)


def test_a_command_gets_the_same_values_and_errors(pipe) -> None:
    deal = pipe.add("Zażółć gęślą jaźń", "--id", "zaz", "--tag", "a,b", "--tag", "ข้อมูล", "--at", "2026-03-02")
    assert deal == "zaz"
    shown = pipe("show", deal, "--format", "json").stdout
    assert '"tags": [\n    "a",\n    "b",\n    "ข้อมูล"\n  ]' in shown
    bad = pipe("agenda", "--days", "many", ok=False)
    assert bad.exit_code == 2
    assert bad.stderr == (
        "pipe: Invalid value for '--days': Input should be a valid integer, unable to parse string as an integer "
        "(see `pipe agenda --help`)\n"
    )
