"""YAML in and out.

Two parsers, one set of rules:

* Reading many files (list, report, check) uses PyYAML's C parser with a safe
  constructor: fast, and never builds arbitrary objects.
* Rewriting one file uses ruamel.yaml's round-trip mode, the only Python YAML
  library that keeps comments, key order, quoting and layout of a hand-edited
  file, so a command changes only the lines it means to change.

Both resolve plain scalars by the YAML 1.2 core rules (``no`` and ``on`` stay
strings) with one rule of pipe's own: **a number is read as a number only where
it is written as the number is written** (``12000``, ``-5``, ``0.7``,
``1e+20``: what ``str()`` of the int, ``repr()`` of the float, gives). Any
other spelling a YAML 1.2 reader would take for a number (``0612345678``,
``01234``, ``1e3``, ``8500.50``, ``1_000``, ``+5``, ``0x1F``, ``.inf``) is read
as the text written, so nothing a person typed is lost: a text field keeps its
leading zero, and an amount keeps its digits (the models turn the text into
the Decimal it spells). ``pipe check`` warns where another YAML reader would read
a value differently (``plain_readings``). Neither parser turns time stamps into
objects: dates and times reach the models as text, and are written back as text,
exactly as they were.

Money is written from Decimals with the digits it has (``decimal_text``):
``8500.50`` stays ``8500.50``.
"""

from __future__ import annotations

import functools
import io
import itertools
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, ClassVar

# --------------------------------------------------------------------------------------
# Fast, safe reading (PyYAML)
#
# PyYAML is imported when a text first needs it (yaml-rs stepped aside, an error to place,
# ``pipe check``'s readings): a one-deal command on a file yaml-rs reads never imports it.
# ``FastLoader`` (a module attribute, made then) is its loader with pipe's rules.

_R12 = [
    ("tag:yaml.org,2002:bool", r"^(?:true|True|TRUE|false|False|FALSE)$", list("tTfF")),
    (
        "tag:yaml.org,2002:int",
        r"^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$",
        list("-+0123456789"),
    ),
    (
        "tag:yaml.org,2002:float",
        r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?"
        r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$",
        list("-+0123456789."),
    ),
    ("tag:yaml.org,2002:null", r"^(?:~|null|Null|NULL|)$", ["~", "n", "N", ""]),
    ("tag:yaml.org,2002:merge", r"^(?:<<)$", ["<"]),
]
_NUMBER_TAGS = [(tag, re.compile(rx)) for tag, rx, _ in _R12 if tag.endswith((":int", ":float"))]
_STR = "tag:yaml.org,2002:str"


@functools.cache
def _pyyaml() -> tuple[type, Any, Any]:
    """PyYAML's side, made on first use: ``FastLoader`` (a safe loader with YAML 1.2 core
    scalar rules, pipe's numbers, no timestamp objects, no tags, a repeated key refused),
    a YAML 1.2 core resolver and PyYAML's own (YAML 1.1) resolver."""
    import yaml

    base: type = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

    class FastLoader(base):  # type: ignore[misc, valid-type]
        """Safe loader with YAML 1.2 core scalar rules and no timestamp objects."""

    class Core12(yaml.resolver.BaseResolver):
        """The YAML 1.2 core schema's resolution of plain scalars, as any 1.2 reader does it."""

    FastLoader.yaml_implicit_resolvers = {}
    Core12.yaml_implicit_resolvers = {}
    for tag, rx, first in _R12:
        FastLoader.add_implicit_resolver(tag, re.compile(rx), first)
        Core12.add_implicit_resolver(tag, re.compile(rx), first)
    FastLoader.add_constructor("tag:yaml.org,2002:int", _construct_int)
    FastLoader.add_constructor("tag:yaml.org,2002:float", _construct_float)
    # no Python sets (nothing downstream, JSON or the parse cache, can hold one), and no tags
    # of anyone's own; the other YAML types (binary, omap, an explicit timestamp) become
    # values every command shows
    FastLoader.add_constructor("tag:yaml.org,2002:set", _refuse_tag)
    FastLoader.add_constructor(None, _refuse_tag)
    FastLoader.construct_mapping = _construct_mapping  # type: ignore[method-assign]
    return FastLoader, Core12(), yaml.resolver.Resolver()  # the last: PyYAML's default, and many other tools': YAML 1.1


def fast_loader() -> Any:
    """``FastLoader``: PyYAML's loader with pipe's rules (imports PyYAML)."""
    return _pyyaml()[0]


@functools.cache
def _lazy(pattern: str) -> re.Pattern[str]:
    """A regular expression compiled when first used: one the commands that write or read a
    usual deal never use costs them nothing."""
    return re.compile(pattern)


def __getattr__(name: str) -> Any:
    # what is made on first use, under the names it had when it was made on import
    if name == "FastLoader":
        return fast_loader()
    if name == "_PYYAML_ONLY":
        return _pyyaml_only_rule()
    if name == "_NUMBER_TOKEN":
        return _lazy(_NUMBER_TOKEN_RULE)
    if name == "_UNPRINTABLE":
        return _lazy(_UNPRINTABLE_RULE)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def tag_12(text: str) -> str:
    """The tag a YAML 1.2 (core schema) reader gives the plain scalar ``text``."""
    import yaml

    return str(_pyyaml()[1].resolve(yaml.ScalarNode, text, (True, False)))


def tag_11(text: str) -> str:
    """The tag a YAML 1.1 reader (PyYAML's default) gives the plain scalar ``text``."""
    import yaml

    return str(_pyyaml()[2].resolve(yaml.ScalarNode, text, (True, False)))


def needs_quotes(text: str) -> bool:
    """Whether a YAML 1.1 or 1.2 reader would take ``text``, written plain, for something
    other than this text ('no', '0612', '1e3', '12:30', '2026-01-01', 'null'): such text
    is written in quotes, so that every reader sees it."""
    return tag_11(text) != _STR or tag_12(text) != _STR


MAX_NUMBER_CHARS = 100  # far beyond any amount; a longer run of digits is text as written

_CANONICAL_INT = re.compile(r"^(?:0|-?[1-9][0-9]*)$")


def number_or_text(text: str, tag: str) -> Any:
    """What a plain scalar resolved as a YAML 1.2 number reads as in pipe: the number when
    ``text`` is how that number is written (``str`` of the int, ``repr`` of the float),
    else ``text`` itself. The one statement of the rule; both readers follow it."""
    if len(text) > MAX_NUMBER_CHARS:
        return text
    if tag.endswith(":int"):
        return int(text) if _CANONICAL_INT.match(text) else text
    try:
        value = float(text)
    except ValueError:  # .inf, .nan
        return text
    return value if repr(value) == text else text


def _construct_int(loader: Any, node: Any) -> Any:
    return number_or_text(str(loader.construct_scalar(node)), "tag:yaml.org,2002:int")


def _construct_float(loader: Any, node: Any) -> Any:
    return number_or_text(str(loader.construct_scalar(node)), "tag:yaml.org,2002:float")


def _refuse_tag(loader: Any, node: Any) -> Any:
    import yaml

    tag = str(node.tag).replace("tag:yaml.org,2002:", "!!")
    raise yaml.constructor.ConstructorError(
        None, None, f"the YAML tag {tag} is not allowed in pipe files; write the value plainly", node.start_mark
    )


def _construct_mapping(loader: Any, node: Any, deep: bool = False) -> Any:
    # a key given twice is an error (which value did the author mean?), as for the
    # round-trip reader that rewrites the file, not a silent "last one wins"
    import yaml

    if isinstance(node, yaml.MappingNode):
        seen: dict[Any, Any] = {}
        for key_node, _ in node.value:
            if isinstance(key_node, yaml.ScalarNode):
                key = (key_node.tag, key_node.value)
                if key in seen and key_node.value != "<<":
                    raise yaml.constructor.ConstructorError(
                        "while constructing a mapping",
                        node.start_mark,
                        f"found the key {key_node.value!r} twice (first on line {seen[key].line + 1}); keep one",
                        key_node.start_mark,
                    )
                seen[key] = key_node.start_mark
    return yaml.constructor.SafeConstructor.construct_mapping(loader, node, deep=deep)


# A Rust parser (yaml-rs, about ten times PyYAML's C loader with its Python constructor)
# reads what it reads exactly as FastLoader does: YAML 1.2 core scalars, dates as text,
# a repeated key an error. It is used only on text without the constructs where the two
# could differ, and only where every number is written as pipe reads a number
# (``_numbers_as_written``: yaml-rs reads 0612 and 8500.50 as numbers, pipe as the text
# written); anything else, and any text it refuses, goes to FastLoader, so errors
# and their lines are PyYAML's. tests/test_yaml_parsers.py, and every file the test
# suite reads (``CHECK_FAST``), hold it to FastLoader's result.
@functools.cache
def _pyyaml_only_rule() -> re.Pattern[str]:
    """The rule as one regular expression (``_PYYAML_ONLY``, compiled when first asked for:
    ``pyyaml_only`` is what the readers use, and tests hold the two equal)."""
    return re.compile(
        r"^\ufeff"  # a byte order mark
        r"|[&*{]|<<"  # anchors and aliases (refused after parsing), flow mappings, merge keys
        r"|(?:^|[\s\[,])[!?]"  # tags, complex keys
        r"|^(?:---|\.\.\.|%)"  # document markers, directives
        r"|^ *(?:- +)*\["  # a flow sequence as a key (or a list item of lists)
        r"|[\[,][ \t]*[\[|>@`:]|\[[^\n]*:"  # nested flow sequences, indicators or pairs in a flow item
        r"|^ *(?:- +)*:|\t"  # an empty key, tabs (PyYAML refuses them where yaml-rs takes them as spaces)
        r"|[0-9]_|_[0-9]|(?:^|[\s\[,:])[-+]0|0[bBXO]"  # numbers only one of the two reads as such
        r"|[\x85\u2028\u2029]|\r(?!\n)"  # line breaks only PyYAML takes for such
        r"|(?:^|[\s:])[|>][-+0-9]*[ \t]*(?:#.*)?$"  # block scalars (they differ on empty ones)
        # what PyYAML refuses: every character but \t \n \r \x20-\x7e \x85 \xa0-\ud7ff \ue000-\ufffd and
        # \U00010000-\U0010ffff, written as the characters refused (the same set; a negated class that
        # reaches \U0010ffff costs the re module 5 to 30 ms to compile, on every start)
        r"|[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x84\x86-\x9f\ud800-\udfff\ufffe\uffff]",
        re.MULTILINE,
    )


CHECK_FAST = False  # tests: parse with both and fail on any difference

_rs_loads: Callable[..., Any] | None
try:
    from yaml_rs import loads as _rs_loads
except ImportError:  # pragma: no cover - a platform without a wheel: PyYAML alone
    _rs_loads = None


_NUMBER_TOKEN_RULE = r"(?:^|(?<=[\s\[,]))[-+.0-9][^\s\[\],#]*"  # ``_NUMBER_TOKEN``, compiled when asked for
# The tokens of _NUMBER_TOKEN that can be numbers at all: made only of the characters of a
# number (signs, digits, points, letters: 0x1F, 1e5, .inf), with one ':' at most at the end,
# ending where a token ends, and not an int as pipe reads one (digits, no leading zero, at most
# MAX_NUMBER_CHARS). A time stamp (an inner ':'), a word with other characters and a plain
# amount are passed over inside the regular expression, not in a Python loop. A token starts where
# _NUMBER_TOKEN's do: after a space (the search skips from space to space), after another
# blank, '[' or ',', or at the start of the text.
_NUMBER_REST = (
    r"(?!(?:0|[1-9][0-9]{0,99}|-[1-9][0-9]{0,98}):?(?:[\s\[\],#]|\Z))"  # an int written as pipe writes it
    r"((?:[0-9]|[-+.][-+.0-9a-zA-Z])[-+.0-9a-zA-Z]*+:?)(?=[\s\[\],#]|\Z)"  # ('-' alone is no number)
)
_NUMBER_AFTER_SPACE = re.compile(" " + _NUMBER_REST)
_NUMBER_AFTER_BLANK = re.compile(r"[^\S ]" + _NUMBER_REST)  # a blank other than a space
_NUMBER_AFTER_MARK = re.compile(r"[\[,]" + _NUMBER_REST)
_NUMBER_FIRST = re.compile(_NUMBER_REST)


def _number_tokens(text: str) -> list[str]:
    """The tokens of ``_NUMBER_TOKEN`` that can be numbers not written as pipe reads a number
    (see above), without a final ':'."""
    found = [m.group(1) for m in _NUMBER_AFTER_SPACE.finditer(text)]
    found += [m.group(1) for m in _NUMBER_AFTER_BLANK.finditer(text)]
    found += [m.group(1) for m in _NUMBER_AFTER_MARK.finditer(text)]
    first = _NUMBER_FIRST.match(text)
    if first is not None:
        found.append(first.group(1))
    return [t.removesuffix(":") for t in found]  # a key's too: 0612: is a text key to pipe


def _numbers_as_written(text: str) -> bool:
    """Whether every plain token of ``text`` that a YAML 1.2 reader takes for a number is written
    as pipe reads a number (``number_or_text``): yaml-rs reads 0612 and 8500.50 as numbers,
    pipe as the text written, so such a text goes to FastLoader. (A token inside quotes or a
    note counts too: that costs only speed.)"""
    for token in _number_tokens(text):
        for tag, pattern in _NUMBER_TAGS:
            if pattern.match(token):
                if isinstance(number_or_text(token, tag), str):
                    return False
                break
    return True


# ``pyyaml_only``: _PYYAML_ONLY's answer, one construct at a time, each looked for the cheap
# way: ``in``, or a search that jumps to a rare character.
_TAG_OR_KEY = re.compile(r"[!?](?<![^\s\[,][!?])")  # (?:^|[\s\[,])[!?]
_LINE_HEAD = re.compile(r" *(?:- +)*")  # what may stand between a line's start and a '[' or ':' that starts it
_COLON_AFTER_BLANK = re.compile(r":(?<=[ \n]:)")  # a ':' that may start a line (after its indentation)
_COMMA_ITEM = re.compile(r",[ \t]*[\[|>@`:]")  # [\[,][ \t]*[\[|>@`:]|\[[^\n]*: ...
_BRACKET_ITEM = re.compile(r"\[(?:[ \t]*[\[|>@`:]|[^\n]*:)")  # ... for ',' and '['
_UNDERSCORE = re.compile(r"_(?:(?<=[0-9]_)|[0-9])")  # [0-9]_|_[0-9]
_MINUS_ZERO = re.compile(r"-0(?<![^\s\[,:]-0)")  # (?:^|[\s\[,:])[-+]0 ...
_PLUS_ZERO = re.compile(r"\+0(?<![^\s\[,:]\+0)")  # ... for '-' and '+'
_LONE_CR = re.compile(r"\r(?!\n)")
_BLOCK_SCALAR = re.compile(r"[|>](?<![^\s:][|>])[-+0-9]*[ \t]*(?:#.*)?$", re.MULTILINE)
_ASCII_REFUSED = bytes(c for c in range(128) if (c < 32 and c not in (9, 10, 13)) or c == 127)
# what PyYAML refuses, and the line breaks only it takes for such (\x85, \u2028, \u2029): every
# character but \t \n \r \x20-\x7e \xa0-\u2027 \u202a-\ud7ff \ue000-\ufffd and \U00010000-\U0010ffff,
# written as the characters refused (the same set; the negated class took 4 ms to compile, on every start)
_REFUSED = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff\ufffe\uffff]")


def _starts_a_line(text: str, char: str, candidates: re.Pattern[str] | None = None) -> bool:
    """Whether some ``char`` of ``text`` has only spaces and '- ' before it on its line
    (``^ *(?:- +)*`` before it, multi-line); ``candidates``, when given, finds the places to try."""
    if candidates is None:
        places = []
        i = text.find(char)
        while i >= 0:
            places.append(i)
            i = text.find(char, i + 1)
    else:
        places = [m.start() for m in candidates.finditer(text)]
    return any(_LINE_HEAD.fullmatch(text, text.rfind("\n", 0, i) + 1, i) for i in places)


def pyyaml_only(text: str) -> bool:
    """``_PYYAML_ONLY.search(text) is not None``, found faster (a test holds the two equal)."""
    if (
        "&" in text
        or "*" in text
        or "{" in text
        or "\t" in text
        or ("<" in text and "<<" in text)
        or ("\ufeff" in text and (text.startswith("\ufeff") or "\n\ufeff" in text))
        or ("%" in text and (text.startswith("%") or "\n%" in text))
        or text.startswith(("---", "..."))
        or "\n---" in text
        or "\n..." in text
        or "0b" in text
        or "0B" in text
        or "0X" in text
        or "0O" in text
    ):
        return True
    if text.isascii():
        if len(text.encode().translate(None, _ASCII_REFUSED)) != len(text):
            return True  # an ASCII control character
    elif _REFUSED.search(text):
        return True
    return bool(
        ("\r" in text and _LONE_CR.search(text))
        or (("!" in text or "?" in text) and _TAG_OR_KEY.search(text))
        or ("[" in text and (_starts_a_line(text, "[") or _BRACKET_ITEM.search(text)))
        or text.startswith(":")
        or _starts_a_line(text, ":", _COLON_AFTER_BLANK)
        or _COMMA_ITEM.search(text)
        or ("_" in text and _UNDERSCORE.search(text))
        or _MINUS_ZERO.search(text)
        or _PLUS_ZERO.search(text)
        or (("|" in text or ">" in text) and _BLOCK_SCALAR.search(text))
    )


def _fast(text: str) -> tuple[bool, Any]:
    if _rs_loads is None or pyyaml_only(text) or not _numbers_as_written(text):
        return False, None
    try:
        return True, _rs_loads(text, parse_datetime=False)
    except Exception:  # its own error or a limit: PyYAML says what is wrong, and where
        return False, None


def load_fast(text: str) -> Any:
    """Parse one YAML document safely. Raises yaml.YAMLError (with a mark) on bad syntax."""
    done, data = _fast(text)
    if done and not CHECK_FAST:
        return data
    import yaml

    slow = yaml.load(text, Loader=fast_loader())
    if done and _shape(data) != _shape(slow):
        raise AssertionError(f"yaml-rs and FastLoader disagree on {text!r}: {data!r} != {slow!r}")
    return slow


def _shape(value: Any) -> Any:
    """Types as well as values (1 == 1.0 == True in Python)."""
    if isinstance(value, dict):
        return [(type(k).__name__, _shape(k), _shape(v)) for k, v in value.items()]
    if isinstance(value, list):
        return [_shape(v) for v in value]
    return (type(value).__name__, repr(value))


_BOOL = "tag:yaml.org,2002:bool"
_NULL = "tag:yaml.org,2002:null"


def _core_12(text: str, tag: str) -> Any:
    """The value a YAML 1.2 (core schema) reader makes of the plain scalar ``text``."""
    if tag == _BOOL:
        return text.lower() == "true"
    if tag == _NULL:
        return None
    if tag.endswith(":int"):
        if text.startswith("0o"):
            return int(text[2:], 8)
        if text.startswith("0x"):
            return int(text[2:], 16)
        return int(text) if len(text) <= MAX_NUMBER_CHARS else text
    if tag.endswith(":float"):
        special = {".inf": "inf", "-.inf": "-inf", "+.inf": "inf", ".nan": "nan"}
        return float(special.get(text.lower(), text))
    return text


def _yaml_11(text: str) -> Any:
    """The value a YAML 1.1 reader (PyYAML's safe_load, and many other tools) makes of it."""
    import yaml

    tag = tag_11(text)
    if tag == _STR:
        return text
    try:
        return yaml.constructor.SafeConstructor().construct_object(yaml.ScalarNode(tag, text))
    except (ValueError, yaml.YAMLError):
        return text


@functools.cache
def _first_characters() -> frozenset[str] | None:
    """The first characters of the plain scalars that a YAML 1.1 or 1.2 reader may take for
    something other than text (each resolver's implicit rules are keyed by them); None when
    a rule applies to any first character."""
    rules = [*_pyyaml()[1].yaml_implicit_resolvers, *_pyyaml()[2].yaml_implicit_resolvers]
    return None if None in rules else frozenset(rules)


@functools.lru_cache(maxsize=1 << 16)
def _three_readings(raw: str) -> tuple[str, Any, Any, Any]:
    """The 1.2 tag of the plain scalar ``raw``, and what pipe, a YAML 1.1 and a YAML 1.2
    reader make of it (a file's values repeat across files: stages, owners, currencies)."""
    tag = tag_12(raw)
    mine = number_or_text(raw, tag) if tag.endswith((":int", ":float")) else _core_12(raw, tag)
    try:
        y12 = _core_12(raw, tag)
    except ValueError:
        y12 = raw
    return tag, mine, _yaml_11(raw), y12


@dataclass(frozen=True)
class Reading:
    """How three readers read one plain (unquoted) scalar value of a file: ``pipe`` (this
    module's reader), a YAML 1.1 reader (``yaml11``) and a YAML 1.2 core one (``yaml12``)."""

    path: tuple[str | int, ...]  # keys and list positions down to the value
    line: int
    text: str
    pipe: Any
    yaml11: Any
    yaml12: Any


def plain_readings(text: str) -> list[Reading]:
    """Every plain scalar value of a valid document (not keys, not quoted text) that some
    reader reads differently from another: the places ``pipe check`` looks at."""
    import yaml

    try:
        root = yaml.compose(text, Loader=fast_loader())
    except yaml.YAMLError:
        return []
    out: list[Reading] = []
    stack: list[tuple[Any, tuple[str | int, ...]]] = [(root, ())]
    first = _first_characters()
    while stack:
        node, path = stack.pop()
        if isinstance(node, yaml.MappingNode):
            stack.extend((v, (*path, str(k.value))) for k, v in reversed(node.value) if isinstance(k, yaml.ScalarNode))
        elif isinstance(node, yaml.SequenceNode):
            stack.extend((v, (*path, i)) for i, v in reversed(list(enumerate(node.value))))
        elif isinstance(node, yaml.ScalarNode) and not node.style and node.value:  # plain: None, or "" (C parser)
            raw = str(node.value)
            if first is not None and raw[0] not in first:
                continue  # no rule of either reader starts with it: text to every reader, and to pipe
            tag, mine, y11, y12 = _three_readings(raw)
            if str(node.tag) != tag:
                continue  # an explicit tag (!!timestamp 2026-03-01) says what it is, to every reader
            if not (_same(mine, y11) and _same(mine, y12)):
                out.append(Reading(path, node.start_mark.line + 1, raw, mine, y11, y12))
    return out


def _same(a: Any, b: Any) -> bool:
    return type(a) is type(b) and a == b


def anchor_line(text: str) -> int | None:
    """The 1-based line of the first anchor (&a) or alias (*a) in a valid document, or None."""
    import yaml

    try:
        for token in yaml.scan(text, Loader=fast_loader()):
            if isinstance(token, (yaml.AnchorToken, yaml.AliasToken)):
                return token.start_mark.line + 1
    except yaml.YAMLError:
        return None
    return None


def error_line(exc: BaseException, text: str | None = None) -> int | None:
    """The 1-based line of a YAML syntax error, when the parser knows it (for a character
    YAML refuses, from its position in ``text``)."""
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    if mark is not None:
        return int(mark.line) + 1
    position = getattr(exc, "position", None)
    import yaml

    if isinstance(exc, yaml.reader.ReaderError) and text is not None and isinstance(position, int):
        return text.count("\n", 0, position) + 1
    return None


def error_reason(exc: BaseException) -> str:
    problem = getattr(exc, "problem", None)
    context = getattr(exc, "context", None)
    import yaml

    if isinstance(exc, yaml.constructor.ConstructorError) and not context and problem:
        return str(problem)  # pipe's own rules (a tag, a key given twice, a number): said plainly
    parts = [p for p in (context, problem) if p]
    return "YAML syntax: " + ("; ".join(parts) if parts else (str(exc).splitlines() or [type(exc).__name__])[0])


def locate(text: str, loc: tuple[Any, ...]) -> int | None:
    """The 1-based line of the value at path ``loc`` (keys and list indexes).

    When the path does not exist (a missing field), the line of the deepest
    part of it that does.
    """
    import yaml

    try:
        node = yaml.compose(text, Loader=fast_loader())
    except yaml.YAMLError:
        return None
    if node is None:
        return 1
    line = node.start_mark.line + 1
    for part in loc:
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                if isinstance(key, yaml.ScalarNode) and key.value == str(part):
                    line = key.start_mark.line + 1
                    node = value
                    break
            else:
                return line
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int):
            if part >= len(node.value):
                return line
            node = node.value[part]
            line = node.start_mark.line + 1
        else:
            return line
    return line


# --------------------------------------------------------------------------------------
# Round-trip rewriting (ruamel.yaml)

_TIMESTAMP = "tag:yaml.org,2002:timestamp"


@functools.cache
def _resolver() -> Any:
    """YAML 1.2 resolution without the timestamp type (dates stay text); ruamel.yaml is
    imported here, by the commands that rewrite a file, and not by those that only read."""
    from ruamel.yaml.resolver import VersionedResolver

    class Resolver(VersionedResolver):  # type: ignore[misc]
        _cache: ClassVar[dict[Any, Any]] = {}

        @property
        def versioned_resolver(self) -> Any:
            full = super().versioned_resolver
            key = id(full)
            if key not in self._cache:
                self._cache[key] = {
                    ch: [(tag, rx) for tag, rx in entries if str(tag) != _TIMESTAMP] for ch, entries in full.items()
                }
            return self._cache[key]

    return Resolver


def decimal_text(value: Decimal) -> str:
    """An amount as it is written: its digits, as many decimals as it has, no exponent
    (``Decimal('8500.50')`` -> ``8500.50``, ``Decimal('1E+3')`` -> ``1000``)."""
    return format(value, "f")


@functools.lru_cache(maxsize=1024)
def _rewrites_as_written(text: str) -> bool:
    """Whether ruamel.yaml writes the number it reads from the plain scalar ``text`` back as
    ``text`` (``0612`` and ``8500.50`` yes; ``+5``, ``-0`` and ``1__0`` no)."""
    from ruamel.yaml import YAML

    y = YAML(typ="rt")
    y.width = 4096
    buf = io.StringIO()
    try:
        y.dump(y.load(f"k: {text}\n"), buf)
    except Exception:
        return False
    return buf.getvalue() == f"k: {text}\n"


def _represent_decimal(representer: Any, value: Decimal) -> Any:
    text = decimal_text(value)
    tag = "tag:yaml.org,2002:float" if "." in text else "tag:yaml.org,2002:int"
    return representer.represent_scalar(tag, text)


@functools.cache
def _round_trip() -> tuple[Any, Any]:
    """ruamel.yaml's round-trip constructor and representer with pipe's rules for numbers;
    made when a command first rewrites a file (commands that only read never import ruamel)."""
    from ruamel.yaml.constructor import RoundTripConstructor
    from ruamel.yaml.representer import RoundTripRepresenter

    class Constructor(RoundTripConstructor):  # type: ignore[misc]
        """Reads numbers by ``number_or_text``: a number written another way than the number
        is written stays its text, unless ruamel.yaml keeps that spelling itself when it
        writes the file again."""

        def _number(self, node: Any, construct: Any) -> Any:
            value = construct(self, node)
            text = str(node.value)
            if not isinstance(number_or_text(text, str(node.tag)), str) or _rewrites_as_written(text):
                return value
            return text

    def construct_int(self: Any, node: Any) -> Any:
        return self._number(node, RoundTripConstructor.construct_yaml_int)

    def construct_float(self: Any, node: Any) -> Any:
        return self._number(node, RoundTripConstructor.construct_yaml_float)

    Constructor.add_constructor("tag:yaml.org,2002:int", construct_int)
    Constructor.add_constructor("tag:yaml.org,2002:float", construct_float)

    class Representer(RoundTripRepresenter):  # type: ignore[misc]
        """Writes a Decimal with its own digits."""

        def ignore_aliases(self, data: Any) -> bool:
            # one amount in two places (the value and the history's `to`) is written twice, never aliased
            return isinstance(data, Decimal) or bool(super().ignore_aliases(data))

    Representer.add_representer(Decimal, _represent_decimal)
    return Constructor, Representer


def _yaml(indent: int = 2, seq_indent: int = 4, offset: int = 2) -> Any:
    from ruamel.yaml import YAML

    y = YAML(typ="rt")
    y.Resolver = _resolver()
    y.Constructor, y.Representer = _round_trip()
    y.allow_unicode = True
    y.width = 4096
    y.preserve_quotes = True
    y.indent(mapping=indent, sequence=seq_indent, offset=offset)
    return y


def load_roundtrip(text: str) -> Any:
    return _yaml().load(text)


_KEY_ONLY = re.compile(r"^[^\s#-][^#]*:\s*(?:#.*)?$")  # a top-level "key:" opening a block


def _guess_layout(text: str) -> tuple[int, int, int]:
    """(mapping indent, sequence indent, dash offset) of a file, as its author wrote it.

    ruamel.yaml writes every list of a file in one style; when the author mixed
    styles, the one covering the most lines (usually the history) wins, so the
    fewest lines change.
    """
    lines = [line for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]
    mapping: int | None = None
    sequences: dict[tuple[int, int], int] = {}
    for i, (line, following) in enumerate(itertools.pairwise(lines)):
        if not _KEY_ONLY.match(line):
            continue
        child = following.lstrip(" ")
        indent = len(following) - len(child)
        if child.startswith("- ") or child == "-":
            # "- at:" or "-   at:": where the item's content starts, counted from the dash
            content = 1 + len(child[1:]) - len(child[1:].lstrip(" ")) if child != "-" else 2
            size = next((n for n, rest in enumerate(lines[i + 1 :]) if not rest.startswith((" ", "-"))), len(lines))
            style = (indent + max(content, 2), indent)
            sequences[style] = sequences.get(style, 0) + size
        elif indent > 0:
            mapping = mapping or indent
    mapping = mapping or 2
    seq_indent, offset = max(sequences, key=lambda k: sequences[k]) if sequences else (4, 2)
    return mapping, seq_indent, offset


def dump_roundtrip(doc: Any, original: str | None = None) -> str:
    """Serialize a document, in the layout of ``original`` when given."""
    y = _yaml(*_guess_layout(original)) if original else _yaml()
    buf = io.StringIO()
    y.dump(doc, buf)
    return buf.getvalue()


# keys whose values are dates or time stamps, written plain as the models write them
DATE_KEYS = frozenset({"created", "close_date", "at", "due", "until"})
# characters YAML cannot show as they are (control characters, and the line breaks
# NEL, LS and PS, which readers fold): only a double-quoted scalar can escape them
# every character but \t \n \x20-\x7e \xa0-\u2027 \u202a-\ud7ff \ue000-\ufefe \uff00-\ufffd and
# \U00010000-\U0010ffff, written as the characters it takes (the same set, ten times faster to compile)
_UNPRINTABLE_RULE = "[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff\ufeff\ufffe\uffff]"
_TAB_INDENT = re.compile("(?:^|\n)\t")  # a literal block (|) cannot start a line with a tab


# an item of a flow list [a, b] left unquoted: words, no YAML indicators (? : , [ ] # ...)
_FLOW_PLAIN = re.compile(r"^[^\W_][\w.@+/-]*(?: [\w.@+/-]+)*$")


def _flow_item(value: Any) -> Any:
    from ruamel.yaml.scalarstring import SingleQuotedScalarString

    node = to_node(value)
    if type(node) is str and not _FLOW_PLAIN.match(node):
        # readers disagree on plain items such as '? x', ':x' or '0?' in a flow list
        return SingleQuotedScalarString(node)
    return node


def to_node(value: Any, key: str | None = None) -> Any:
    """Plain data to ruamel nodes: block mappings, flow lists of scalars, literal text."""
    from ruamel.yaml.comments import CommentedMap, CommentedSeq
    from ruamel.yaml.scalarstring import DoubleQuotedScalarString, LiteralScalarString, SingleQuotedScalarString

    if isinstance(value, Mapping):
        m = CommentedMap()
        for k, v in value.items():
            m[k] = to_node(v, k)
        return m
    if isinstance(value, list):
        if all(not isinstance(v, (Mapping, list)) and "\n" not in str(v) for v in value):
            seq = CommentedSeq(_flow_item(v) for v in value)
            seq.fa.set_flow_style()
            return seq
        return CommentedSeq(to_node(v) for v in value)
    if isinstance(value, str):
        if _lazy(_UNPRINTABLE_RULE).search(value):
            return DoubleQuotedScalarString(value)
        if "\n" in value and not _TAB_INDENT.search(value):
            return LiteralScalarString(value)
        if key not in DATE_KEYS and needs_quotes(value):
            # a YAML 1.1 reader (PyYAML's default, many other tools) or a YAML 1.2 one would
            # take these for booleans, numbers, dates or null ('no', '0612', '1e3', '12:30',
            # '2026-01-01'): quote them so every reader sees text
            return SingleQuotedScalarString(value)
    return value


def merge(target: Any, old: Mapping[str, Any], new: Mapping[str, Any]) -> None:
    """Apply the difference between two canonical dicts to a round-trip document.

    Only keys whose canonical value changed are touched, so comments, order,
    quoting and unknown keys elsewhere stay as they were. Lists that only grew
    (the append-only history and notes) get their new items appended.
    """
    from ruamel.yaml.comments import CommentedSeq

    for key in list(target.keys()):
        if key in old and key not in new:
            del target[key]
    keys = list(new.keys())
    for i, key in enumerate(keys):
        value = new[key]
        before = old.get(key)
        if key in old and before == value:
            continue  # unchanged, whether the file spells it out or leaves it to the default
        current = target.get(key) if key in target else None
        if isinstance(value, Mapping) and isinstance(before, Mapping) and isinstance(current, Mapping):
            merge(current, before, value)
            continue
        if (
            isinstance(value, list)
            and isinstance(before, list)
            and isinstance(current, list)
            and len(current) == len(before)
            and value[: len(before)] == before
        ):
            for item in value[len(before) :]:
                current.append(to_node(item))
            continue
        if key in target:
            node = to_node(value, key)
            if isinstance(node, CommentedSeq) and isinstance(current, CommentedSeq) and not current.fa.flow_style():
                node.fa.set_block_style()  # a list the author wrote one item per line stays so
            target[key] = node
        else:
            pos = 0
            for prev in reversed(keys[:i]):
                if prev in target:
                    pos = list(target.keys()).index(prev) + 1
                    break
            target.insert(pos, key, to_node(value, key))


def dump_new(data: Mapping[str, Any]) -> str:
    """Serialize canonical data for a new file."""
    return dump_roundtrip(to_node(data))
