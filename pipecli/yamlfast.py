"""A fast writer for new deal files that gives exactly what ``yamlio.dump_new`` gives.

``dump_new`` runs ruamel.yaml's full emitter, about a millisecond per deal: most
of the time of a large import. Deal files have a fixed shape (a mapping of
scalars, flow lists of scalars, small mappings, and lists of mappings whose values
are scalars, flow lists of scalars or small mappings: the history), so
this module lays the lines out itself and asks ruamel.yaml only how to write
each distinct scalar (plain or quoted) it cannot tell by pipe's rules, remembering
the answer. Anything outside that shape (multi-line text, nested lists, empty
mappings, very long values) goes to ``dump_new`` whole. Tests check both agree on
generated deals.

The scalars of a usual deal (keys, words and sentences in any script, ids, time
stamps, amounts, stage names) are told without ruamel.yaml, so a command that writes
such a deal never imports it (``store.rewritten_text`` relies on that for its speed):
text that starts with a letter, is not one of the words a YAML 1.1 or 1.2 reader takes
for a boolean or null, and holds no line break, control character, ``: ``, `` #``, or
(in a flow list) flow indicator, is written plain, exactly as ruamel.yaml's emitter
decides (its ``analyze_scalar``: no leading indicator, no special character, no
leading or trailing space).
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


# a key written plain by ruamel.yaml: a name of ASCII letters, digits and '_' that no
# reader takes for anything but text (not in _WORDS), short enough for a simple key
_PLAIN_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,63}")


@lru_cache(maxsize=4096)
def _key(key: str) -> str:
    if _PLAIN_KEY.fullmatch(key) and key not in _WORDS:
        return key
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
# Text in any script: a letter first (no YAML indicator, no number, no reader's date),
# then any character ruamel.yaml's emitter shows as it is (not a control character, a
# line break only YAML takes for one, a byte order mark or a surrogate: yamlio._UNPRINTABLE
# and the tab). ``_text_plain`` adds what the emitter looks for inside the text.
_PLAIN_TEXT = re.compile("[^\\W\\d_][^\x00-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff\ufeff\ufffe\uffff]*")
# An item of a flow list that yamlio._flow_item leaves plain (its _FLOW_PLAIN), starting with a letter
_FLOW_WORD = re.compile(r"[^\W\d_][\w.@+/-]*(?: [\w.@+/-]+)*")
# A float as ruamel.yaml writes it (its repr) when the repr is digits, a point and digits
_PLAIN_FLOAT = re.compile(r"-?[0-9]+\.[0-9]+")
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


def _text_plain(value: str, flow: bool) -> bool:
    """Whether ruamel.yaml writes ``value`` plain, by the rules above (False: not known)."""
    if value in _WORDS:
        return False
    if flow:
        return _FLOW_WORD.fullmatch(value) is not None
    return (
        _PLAIN_TEXT.fullmatch(value) is not None
        and not value.endswith((" ", ":"))
        and ": " not in value
        and " #" not in value
    )


def written_plain(value: str, key: str | None = None) -> bool:
    """Whether ``value``, the value of ``key`` in a block mapping, is known to be written
    plain (False: quoted, a block, or not known without asking ruamel.yaml)."""
    return (
        len(value) <= _MAX_SCALAR
        and _BREAKS.search(value) is None
        and (_plain(value, key) or _text_plain(value, False))
    )


def _scalar(value: Any, flow: bool = False, key: str | None = None) -> str:
    if isinstance(value, str):
        if len(value) > _MAX_SCALAR or _BREAKS.search(value):
            raise _Fallback
        if _plain(value, key) or _text_plain(value, flow):
            return value
        if not flow and value not in _WORDS and _PLAIN_TEXT.fullmatch(value):
            # text an indicator inside keeps from being plain (``a: b``, ``x #1``, a trailing
            # space): in double quotes when it holds a ', else in single quotes (the emitter's
            # choice; its characters need no escape but " and \)
            if "'" in value:
                return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
            return f"'{value}'"
        if not flow and key not in yamlio.DATE_KEYS and value.isascii() and _PLAIN_TIME.match(value):
            return f"'{value}'"  # a date or time stamp outside a date's key: quoted for every reader
    elif isinstance(value, Decimal):
        return yamlio.decimal_text(value)  # digits and a point: plain everywhere (not cached: 1.0 == 1.00)
    elif value is None or not isinstance(value, (bool, int, float)):
        raise _Fallback
    elif isinstance(value, bool):
        return "true" if value else "false"
    elif isinstance(value, int):
        return str(value)
    elif _PLAIN_FLOAT.fullmatch(text := repr(value)):
        return text
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
