"""Where output goes, and what it can take: width, colour, a pager.

:func:`decide` turns the facts about an output stream (is it a terminal, how
big, what encoding) and the user's choices (``--color``, ``--no-pager``,
``--wide``, ``COLUMNS``, ``NO_COLOR``, ``TERM``, ``PIPE_PAGER``/``PAGER``) into a
:class:`Screen`, the one value every renderer takes:

- **width**: the terminal's columns (``COLUMNS`` when set); ``None`` when the
  output is not a terminal and ``COLUMNS`` is not set, so scripts, files and
  cron mail get every column.
- **colour**: ``--color always``; or, with ``auto`` (the default), on a terminal
  unless ``NO_COLOR`` is set or ``TERM`` is ``dumb``. Never in a pipe or a file
  unless asked for.
- **pager**: on a terminal (and not ``TERM=dumb``), output longer than the
  screen goes through ``PIPE_PAGER``, else ``PAGER``, else ``less -FRX``, as
  git does; ``--no-pager``, or a pager of ``cat`` or nothing, turns it off.

This module imports nothing but the standard library: the command line
decides with it before anything heavy is loaded.
"""

from __future__ import annotations

import math
import os
import re
import subprocess
from dataclasses import dataclass
from typing import IO, Any

DEFAULT_PAGER = "less -FRX"

# SGR codes of each kind of text that is coloured
STYLES = {
    "stage": "36",  # cyan: a stage name
    "won": "32",  # green
    "lost": "31",  # red
    "overdue": "1;31",  # bold red: an overdue next step
    "stale": "33",  # yellow: idle too long, or no next step
    "negative": "31",  # red: a figure below zero
    "heading": "1",  # bold: a report section's title
    "match": "1;31",  # bold red: what a search found, in its context (as grep shows it)
}


_SGR = re.compile(r"\x1b\[[0-9;]*m")


@dataclass(frozen=True)
class Screen:
    """What output may look like. The default is output for a program: no width to
    fit, no colour, no pager."""

    width: int | None = None  # fit tables to this many columns; None: keep every column
    height: int | None = None  # rows of the terminal, for the pager
    color: bool = False
    unicode: bool = True  # the stream can carry "…", "█" and "→"
    wide: bool = False  # --wide: every column, nothing shortened
    pager: str | None = None  # the pager command, when output may go through one


def paint(text: str, style: str | None, screen: Screen) -> str:
    """``text`` in the colour of ``style`` when the screen takes colour."""
    if not style or not text or not screen.color:
        return text
    code = STYLES.get(style)
    return f"\x1b[{code}m{text}\x1b[0m" if code else text


def is_terminal(stream: Any) -> bool:
    try:
        return bool(stream is not None and stream.isatty())
    except (AttributeError, ValueError, OSError):
        return False


def _size(stream: Any) -> tuple[int | None, int | None]:
    try:
        size = os.get_terminal_size(stream.fileno())
    except (AttributeError, ValueError, OSError):
        return None, None
    return (size.columns or None), (size.lines or None)


def can_encode(text: str, stream: Any) -> bool:
    encoding = getattr(stream, "encoding", None) or "ascii"
    try:
        text.encode(encoding)
    except (UnicodeEncodeError, LookupError):
        return False
    return True


def decide(
    stream: IO[str] | Any,
    *,
    color: str = "auto",
    paging: bool = True,
    wide: bool = False,
    columns: int | None = None,
    lines: int | None = None,
    no_color: bool = False,
    term: str = "",
    pager: str | None = DEFAULT_PAGER,
) -> Screen:
    """The :class:`Screen` for output to ``stream``; ``color`` is ``--color``: auto, always or never.

    ``columns`` and ``lines`` are ``COLUMNS`` and ``LINES`` when set, ``no_color``
    whether ``NO_COLOR`` is set, ``term`` is ``TERM``, ``pager`` the pager command
    the environment names (``None`` or empty: none).
    """
    tty = is_terminal(stream)
    dumb = term.strip().lower() == "dumb"
    tty_columns, tty_lines = _size(stream) if tty else (None, None)
    if color == "always":
        colored = True
    elif color == "never":
        colored = False
    else:
        colored = tty and not no_color and bool(term.strip()) and not dumb
    command = (pager or "").strip()
    use_pager = paging and tty and not dumb and command not in ("", "cat")
    return Screen(
        width=columns or tty_columns,
        height=lines or tty_lines,
        color=colored,
        unicode=can_encode("█…→", stream),
        wide=wide,
        pager=command if use_pager else None,
    )


def screen_lines(text: str, width: int | None) -> int:
    """Rows ``text`` takes on a screen ``width`` columns wide (long lines wrap)."""
    from .fit import display_width  # wcwidth: only when there is something to measure

    rows = 0
    for line in text.splitlines():
        shown = display_width(_SGR.sub("", line)) if width else 0
        rows += max(1, math.ceil(shown / width)) if width else 1
    return rows


def page(text: str, screen: Screen, stream: Any, *, less: str | None = None) -> bool:
    """Show ``text`` through the screen's pager when it is longer than the screen.

    Returns False (and shows nothing) when there is no pager to use, the text
    fits, or the pager cannot be started; the caller then writes it itself.
    ``less`` is the ``LESS`` variable: unset, it is ``FRX`` for the pager (quit
    at once when the text fits, keep colours, leave the screen as it is), as
    git sets it.
    """
    if not screen.pager or not screen.height or screen_lines(text, screen.width) < screen.height:
        return False
    env = dict(os.environ)
    if less is None:
        env["LESS"] = "FRX"
    encoding = getattr(stream, "encoding", None) or "utf-8"
    try:
        stream.flush()
        proc = subprocess.Popen(screen.pager, shell=True, stdin=subprocess.PIPE, env=env)
    except OSError:
        return False
    assert proc.stdin is not None
    try:
        proc.stdin.write(text.encode(encoding, "replace"))
        proc.stdin.close()
    except BrokenPipeError:  # the reader quit before the end: as when `head` stops reading
        pass
    except OSError:
        pass
    while True:
        try:
            proc.wait()
            break
        except KeyboardInterrupt:  # Ctrl-C is for the pager (less stops a search with it)
            continue
    return proc.returncode != 127  # 127: the shell found no such pager; the text is shown without one
