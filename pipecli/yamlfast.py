"""A fast writer for new deal files that gives exactly what ``yamlio.dump_new`` gives.

``dump_new`` runs ruamel.yaml's full emitter, about a millisecond per deal: most
of the time of a large import. Deal files have a fixed shape (a mapping of
scalars, flow lists of scalars, small mappings, and lists of mappings whose values
are scalars, flow lists of scalars or small mappings: the history), so
this module lays the lines out itself and asks ruamel.yaml only how to write
each distinct scalar (plain or quoted), remembering the answer. Anything
outside that shape (multi-line text, nested lists, empty mappings, very long
values) goes to ``dump_new`` whole. Tests check both agree on generated deals.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from decimal import Decimal
from functools import lru_cache
from typing import Any

from . import yamlio

_MAX_SCALAR = 400
# every character Python or YAML takes for a line break
_BREAKS = re.compile("[\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029]")


class _Fallback(Exception):
    pass


# The caches are keyed on the type name too: 1, 1.0 and True are equal as keys.
@lru_cache(maxsize=65536)
def _block(kind: str, value: Any, date_key: bool = False) -> str:
    """How ruamel.yaml writes ``value`` as a block mapping value (of a date key or another)."""
    key = "at" if date_key else "k"
    text = yamlio.dump_new({key: value})
    if not text.startswith(f"{key}: ") or len(text.splitlines()) != 1:
        raise _Fallback
    return text[len(key) + 2 : -1]


@lru_cache(maxsize=65536)
def _flow(kind: str, value: Any) -> str:
    """How ruamel.yaml writes ``value`` as an item of a flow list."""
    text = yamlio.dump_new({"k": [value]})
    if not text.startswith("k: [") or not text.endswith("]\n") or len(text.splitlines()) != 1:
        raise _Fallback
    return text[4:-2]


@lru_cache(maxsize=4096)
def _key(key: str) -> str:
    text = yamlio.dump_new({key: 1})
    if not text.endswith(": 1\n") or len(text.splitlines()) != 1:
        raise _Fallback
    return text[:-4]


# Text that every YAML reader takes for a string as it stands, in block and in flow
# context: words of letters, digits, '.', '_' and '-' starting with a letter (but not
# the YAML 1.1 booleans and nulls); letters and digits starting with a digit but with a
# letter no number can contain; ISO 8601 dates and times. Anything else: ask ruamel.yaml.
_PLAIN_WORDS = re.compile(r"^[A-Za-z](?:[A-Za-z0-9._-]| (?! ))*[A-Za-z0-9._-]$|^[A-Za-z]$")
_PLAIN_CODE = re.compile(r"^[0-9][A-Za-z0-9]*[g-nG-Np-wP-WyzYZ][A-Za-z0-9]*$")
_PLAIN_TIME = re.compile(r"^\d{4}-\d\d-\d\d(?:T\d\d:\d\d:\d\d(?:\.\d+)?(?:[+-]\d\d:\d\d|Z)?)?$")
_WORDS = frozenset(
    {
        "y",
        "Y",
        "yes",
        "Yes",
        "YES",
        "n",
        "N",
        "no",
        "No",
        "NO",
        "on",
        "On",
        "ON",
        "off",
        "Off",
        "OFF",
        "true",
        "True",
        "TRUE",
        "false",
        "False",
        "FALSE",
        "null",
        "Null",
        "NULL",
    }
)


def _plain(value: str, key: str | None) -> bool:
    if _PLAIN_WORDS.match(value):
        return value not in _WORDS
    if _PLAIN_TIME.match(value):
        return key in yamlio.DATE_KEYS  # elsewhere a date-like text is quoted, as dump_new does
    return bool(_PLAIN_CODE.match(value))


def _scalar(value: Any, flow: bool = False, key: str | None = None) -> str:
    if isinstance(value, str):
        if len(value) > _MAX_SCALAR or _BREAKS.search(value):
            raise _Fallback
        if _plain(value, key):
            return value
    elif isinstance(value, Decimal):
        return yamlio.decimal_text(value)  # digits and a point: plain everywhere (not cached: 1.0 == 1.00)
    elif value is None or not isinstance(value, (bool, int, float)):
        raise _Fallback
    kind = type(value).__name__
    if flow:
        return _flow.__wrapped__(kind, value) if kind == "float" else _flow(kind, value)
    date_key = key in yamlio.DATE_KEYS
    if kind == "float":  # 0.0 and -0.0 are equal keys: no cache
        return _block.__wrapped__(kind, value, date_key)
    return _block(kind, value, date_key)


def _value_lines(key: str, value: Any, indent: str, out: list[str], lead: str | None = None) -> None:
    """The lines of ``key: value`` at ``indent``; ``lead`` replaces the indent of the first
    line (``  - `` for the first key of a list item, whose value may be a mapping or a list
    of scalars, but not a list of mappings)."""
    k = _key(key)
    head = indent if lead is None else lead
    if isinstance(value, Mapping):
        if not value:
            raise _Fallback
        out.append(f"{head}{k}:")
        for sub_key, sub in value.items():
            if isinstance(sub, (Mapping, list)):
                raise _Fallback
            out.append(f"{indent}  {_key(sub_key)}: {_scalar(sub, key=sub_key)}")
    elif isinstance(value, list):
        if all(not isinstance(v, (Mapping, list)) for v in value):
            out.append(f"{head}{k}: [{', '.join(_scalar(v, flow=True) for v in value)}]")
            return
        if lead is not None or not all(isinstance(v, Mapping) and v for v in value):
            raise _Fallback
        out.append(f"{indent}{k}:")
        for item in value:
            first = True
            for sub_key, sub in item.items():
                lead = f"{indent}  - " if first else f"{indent}    "
                first = False
                if isinstance(sub, (Mapping, list)):
                    # a history entry's ``from`` and ``to`` of a next step, a snooze or the tags
                    _value_lines(sub_key, sub, f"{indent}    ", out, lead)
                    continue
                out.append(f"{lead}{_key(sub_key)}: {_scalar(sub, key=sub_key)}")
    else:
        out.append(f"{head}{k}: {_scalar(value, key=key)}")


def dump(data: Mapping[str, Any]) -> str:
    """The text ``yamlio.dump_new(data)`` would write, faster for deal-shaped data."""
    out: list[str] = []
    try:
        for key, value in data.items():
            if not isinstance(key, str) or not key:
                raise _Fallback
            _value_lines(key, value, "", out)
    except _Fallback:
        return yamlio.dump_new(data)
    return "\n".join(out) + "\n"
